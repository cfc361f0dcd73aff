"""GX expectation configurations evaluated with pyarrow kernels (RE2, SIMD), the way GX judges them.

GX stays the rule language (the configurations are GX's) and the report (Data Docs); this module
only executes the expectation types the platform generates, vectorised, because GX's pandas engine
runs text rules value by value in Python (≈37 s for 1M rows and our rules, see bench/quality_1m.py).
Semantics follow GX's: nulls are not unexpected for value rules, regexes search (not full-match),
bounds are inclusive, a duplicated value flags every row that holds it. A type not listed here, or a
regex RE2 cannot compile, returns None and the caller hands that rule to GX. tests/quality/
test_fast.py checks both give the same verdicts and rows on the whole sample city.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..arrow_values import FALSE, TRUE, array, from_numpy, scalar, to_numpy
from ..columns import has_few_distinct, in_parallel


@dataclass
class RuleVerdict:
    success: bool
    checked: int  # element count (rows), or 1 for a rule on the whole table/column
    unexpected: int
    rows: list[int]  # 0-based positions of the first unexpected values
    observed: object = None


def _values(table: pa.Table, column: str) -> pa.ChunkedArray | None:
    return table.column(column) if column in table.column_names else None


def _map_outcome(table: pa.Table, bad: pa.ChunkedArray | pa.Array, limit: int) -> RuleVerdict:
    bad = pc.fill_null(bad, FALSE)
    count = pc.sum(bad).as_py() or 0
    rows = pc.indices_nonzero(bad.combine_chunks() if isinstance(bad, pa.ChunkedArray) else bad)[:limit].to_pylist() \
        if count else []
    return RuleVerdict(count == 0, table.num_rows, count, rows)


def distinct_encoded(values: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """A text column with few distinct values (wards, statuses, station codes) dictionary-encoded, or None:
    its rules then run on each distinct value once. Made once per column for all its rules (a hash of
    every cell each time cost as much as the rule)."""
    return pc.dictionary_encode(values) if values.type == pa.string() and has_few_distinct(values) else None


def _per_distinct(values: pa.ChunkedArray, kernel, encoded: pa.ChunkedArray | None = None) -> pa.ChunkedArray:
    """``kernel`` on each distinct value once, taken back to every row, for a column with few distinct
    values: far cheaper than touching every cell. ``encoded``: the column's distinct_encoded, if made."""
    encoded = encoded if encoded is not None else distinct_encoded(values)
    if encoded is None:
        return kernel(values)
    return pa.chunked_array([pc.take(kernel(c.dictionary), c.indices) for c in encoded.chunks], pa.bool_())


def _regex(values: pa.ChunkedArray, pattern: str, encoded: pa.ChunkedArray | None = None) -> pa.ChunkedArray:
    text = pc.cast(values, pa.string()) if values.type != pa.string() else values
    return _per_distinct(text, lambda v: pc.match_substring_regex(v, pattern), encoded)


def joined_key(columns: list[pa.ChunkedArray]) -> pa.ChunkedArray:
    """One value per row for a key: the column itself, or several joined as text (a separator no cell holds)."""
    if len(columns) == 1:
        return columns[0]
    return pc.binary_join_element_wise(*[pc.cast(c, pa.string()) for c in columns], "\x1f")


def duplicated_rows(keys: pa.ChunkedArray) -> pa.ChunkedArray | pa.Array:
    """True on every row whose (non-null) key appears more than once. A missing key is not a duplicate
    (value_counts counts nulls as one value: two empty key cells would read as the same key); the
    missing-key rule names those rows."""
    if pa.types.is_integer(keys.type) or pa.types.is_temporal(keys.type):
        return _duplicated_sorted(keys)
    encoded = pc.dictionary_encode(keys).combine_chunks()
    counts = pc.value_counts(encoded.indices)
    repeated = pc.filter(counts.field("values"), pc.greater(counts.field("counts"), scalar(1)))
    return pc.and_(pc.is_valid(encoded.indices), pc.is_in(encoded.indices, value_set=repeated, skip_nulls=True))


def _duplicated_sorted(keys: pa.ChunkedArray) -> pa.Array:
    """Numeric keys: sort (cheap, agency keys usually come sorted) and compare neighbours."""
    order = to_numpy(pc.sort_indices(keys))  # nulls sort last
    ranked = pc.take(keys, from_numpy(order)).combine_chunks()
    n_valid = len(keys) - keys.null_count
    same = pc.equal(ranked.slice(1, max(n_valid - 1, 0)), ranked.slice(0, max(n_valid - 1, 0)))
    pairs = np.flatnonzero(to_numpy(pc.fill_null(same, FALSE)))
    mask = np.zeros(len(keys), dtype=bool)
    mask[order[pairs]] = True
    mask[order[pairs + 1]] = True
    return from_numpy(mask)


def _bound(kind: pa.DataType, value):
    """A rule's bound as the column's type: the JSON holds dates and times as ISO text."""
    if not isinstance(value, str) or not pa.types.is_temporal(kind):
        return scalar(value)
    import datetime as dt

    parsed = dt.date.fromisoformat(value) if pa.types.is_date(kind) else dt.datetime.fromisoformat(value)
    return scalar(parsed, kind)


def _value_set(values: list, kind: pa.DataType) -> pa.Array:
    """A rule's allowed values as the column's type."""
    if pa.types.is_string(kind) and all(isinstance(v, str) for v in values):
        return array(values, kind)
    return pa.array(values).cast(kind) if kind != pa.null() else pa.array(values)


def evaluate(table: pa.Table, cfg: dict, limit: int = 20,
             encodings: dict[str, pa.ChunkedArray | None] | None = None) -> RuleVerdict | None:
    """One rule's verdict, or None when GX must judge it. ``encodings``: columns' distinct_encoded, shared
    by their rules."""
    kind, kw = cfg["type"], cfg.get("kwargs", {})
    if kind == "expect_table_row_count_to_be_between":
        n = table.num_rows
        ok = (kw.get("min_value") is None or n >= kw["min_value"]) and (kw.get("max_value") is None or n <= kw["max_value"])
        return RuleVerdict(ok, 1, 0 if ok else 1, [], n)
    if kind == "expect_compound_columns_to_be_unique":
        cols = [_values(table, c) for c in kw["column_list"]]
        if any(c is None for c in cols):
            return None
        return _map_outcome(table, duplicated_rows(joined_key(cols)), limit)
    if kind == "expect_column_pair_values_to_be_in_set":
        a, b = _values(table, kw["column_A"]), _values(table, kw["column_B"])
        if a is None or b is None or kw.get("ignore_row_if") != "either_value_is_missing":
            return None
        allowed = array([f"{x}\x1f{y}" for x, y in kw["value_pairs_set"]], pa.string())
        inside = pc.is_in(joined_key([a, b]), value_set=allowed)
        return _map_outcome(table, pc.and_(pc.and_(pc.is_valid(a), pc.is_valid(b)), pc.invert(inside)), limit)
    if kind == "expect_column_pair_values_a_to_be_greater_than_b":
        a, b = _values(table, kw["column_A"]), _values(table, kw["column_B"])
        if a is None or b is None or kw.get("ignore_row_if", "both_values_are_missing") != "either_value_is_missing":
            return None
        bigger = pc.greater_equal(a, b) if kw.get("or_equal") else pc.greater(a, b)
        return _map_outcome(table, pc.invert(pc.fill_null(bigger, TRUE)), limit)
    column = kw.get("column")
    if column is None:
        return None
    values = _values(table, column)
    encoded = (encodings or {}).get(column)
    if kind == "expect_column_to_exist":
        return RuleVerdict(values is not None, 1, 0 if values is not None else 1, [])
    if values is None:
        return RuleVerdict(False, 1, 1, [])  # GX fails a rule on a missing column too
    try:
        if kind == "expect_column_values_to_not_be_null":
            return _map_outcome(table, pc.is_null(values), limit)
        if kind == "expect_column_values_to_be_between":
            bad = pc.is_null(values)  # all False where a value is present; nulls are not judged
            bad = pc.and_(bad, pc.is_valid(values))
            if kw.get("min_value") is not None:
                bad = pc.or_(bad, pc.less(values, _bound(values.type, kw["min_value"])))
            if kw.get("max_value") is not None:
                bad = pc.or_(bad, pc.greater(values, _bound(values.type, kw["max_value"])))
            return _map_outcome(table, bad, limit)
        if kind == "expect_column_values_to_be_in_set":
            value_set = _value_set(kw["value_set"], values.type)
            inside = _per_distinct(values, lambda v: pc.is_in(v, value_set=value_set), encoded)
            return _map_outcome(table, pc.and_(pc.is_valid(values), pc.invert(inside)), limit)
        if kind == "expect_column_values_to_match_regex":
            matched = _regex(values, kw["regex"], encoded)
            return _map_outcome(table, pc.and_(pc.is_valid(values), pc.invert(matched)), limit)
        if kind == "expect_column_values_to_not_match_regex":
            return _map_outcome(table, _regex(values, kw["regex"], encoded), limit)
        if kind == "expect_column_values_to_not_match_regex_list":
            pattern = _forbidden(cfg)
            return None if pattern is None else _map_outcome(table, _regex(values, pattern, encoded), limit)
        if kind == "expect_column_value_lengths_to_be_between":
            lengths = pc.utf8_length(values)
            bad = pc.or_(pc.less(lengths, scalar(kw.get("min_value") or 0)),
                         pc.greater(lengths, scalar(kw["max_value"] if kw.get("max_value") is not None else 2**31 - 1)))
            return _map_outcome(table, bad, limit)
        if kind == "expect_column_values_to_be_unique":
            return _map_outcome(table, duplicated_rows(values), limit)
        if kind == "expect_column_max_to_be_between":
            observed = pc.max(values).as_py()
            if observed is None:
                return RuleVerdict(False, 1, 1, [], None)
            as_text = observed.isoformat() if hasattr(observed, "isoformat") else observed
            lo, hi = kw.get("min_value"), kw.get("max_value")
            compare = as_text if isinstance(lo or hi, str) else observed
            ok = (lo is None or compare >= lo) and (hi is None or compare <= hi)
            return RuleVerdict(ok, 1, 0 if ok else 1, [], observed)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, TypeError):
        return None  # a regex RE2 cannot compile, or types these kernels do not compare: GX decides
    return None


def _forbidden(cfg: dict) -> str | None:
    """The pattern no value of a 'must not match' rule may contain (a list as one alternation); None for
    any other rule."""
    kw = cfg.get("kwargs", {})
    if cfg["type"] == "expect_column_values_to_not_match_regex":
        return kw.get("regex")
    if cfg["type"] == "expect_column_values_to_not_match_regex_list" and kw.get("match_on", "any") == "any":
        return _any_of(kw["regex_list"])
    return None


def _any_of(patterns: list[str]) -> str:
    """One RE2 pattern matching wherever any of ``patterns`` does: each value is scanned once for all."""
    return "|".join(f"(?:{p})" for p in patterns)


def _none_forbidden(table: pa.Table, column: str, patterns: list[str], encoded: pa.ChunkedArray | None = None) -> bool:
    """No value of ``column`` contains any of ``patterns``: one scan of their alternation. False when it
    cannot tell (RE2 refuses the alternation): then each rule is judged on its own."""
    try:
        found = _regex(table.column(column), _any_of(patterns), encoded)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False
    return not pc.any(found).as_py()


_PER_DISTINCT = ("expect_column_values_to_be_in_set", "expect_column_values_to_match_regex",
                 "expect_column_values_to_not_match_regex", "expect_column_values_to_not_match_regex_list")


def evaluate_all(table: pa.Table, configs: list[dict], limit: int = 20) -> list[RuleVerdict | None]:
    """Every rule's verdict (None: GX must judge it), rules side by side on the cores. A text column
    carries three or four 'must not match' rules (personal data, formula injection, clean text); they are
    screened together first, by one scan: when no value matches any of them, all pass at once (the
    usual case), and otherwise each is judged alone for its own count and rows."""
    screened: dict[str, list[int]] = {}
    alone: list[list[int]] = []
    for i, cfg in enumerate(configs):
        column = cfg.get("kwargs", {}).get("column")
        if column in table.column_names and _forbidden(cfg) is not None:
            screened.setdefault(column, []).append(i)
        else:
            alone.append([i])
    work = [group for group in screened.values() if len(group) > 1]
    alone += [group for group in screened.values() if len(group) == 1]
    ruled = Counter(cfg.get("kwargs", {}).get("column") for cfg in configs if cfg["type"] in _PER_DISTINCT)
    shared = [c for c, n in ruled.items() if n > 1 and c in table.column_names]
    encodings = dict(zip(shared, in_parallel(lambda c: distinct_encoded(table.column(c)), shared), strict=True))

    def judged(indices: list[int]) -> list[tuple[int, RuleVerdict | None]]:
        if len(indices) > 1:
            column = configs[indices[0]]["kwargs"]["column"]
            if _none_forbidden(table, column, [_forbidden(configs[i]) for i in indices], encodings.get(column)):
                return [(i, RuleVerdict(True, table.num_rows, 0, [])) for i in indices]
        return [(i, evaluate(table, configs[i], limit, encodings)) for i in indices]

    outcomes: list[RuleVerdict | None] = [None] * len(configs)
    for pairs in in_parallel(judged, work + alone):
        for i, outcome in pairs:
            outcomes[i] = outcome
    return outcomes
