"""A Parquet file too large to hold, judged one row group at a time (normalise.stream writes one per block).

The same rules and the same receipt as quality.runner's whole-table judgement: rules on single rows run
per group (counts added up, the first examples kept in file order), the row count comes from the file's
metadata, a column's largest value from each group's, and a key's uniqueness is found in 8 bytes a row
(sorted values, or sorted hashes whose repeats are judged exactly). tests/quality/test_row_groups.py
holds the two alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow.compute as pc

from ..issues import MAX_EXAMPLES, ROW_COLUMN
from .fast import RuleVerdict, duplicated_rows, evaluate, evaluate_all, joined_key
from .runner import SuiteRun, cell_of, report_checks, rule_column, run_gx

# Rules that judge the whole table at once; every other rule judges each row on its own.
WHOLE_TABLE_RULES = {"expect_table_row_count_to_be_between", "expect_column_values_to_be_unique",
                     "expect_compound_columns_to_be_unique"}
REDUCED_RULES = {"expect_column_max_to_be_between"}  # judged on the largest value of each row group
TABLE_LEVEL_RULES = {"expect_column_to_exist"}  # one verdict on the column, the same in every group


def _has_columns(batch, cfg: dict) -> bool:
    kw = cfg.get("kwargs", {})
    wanted = kw.get("column_list") or [kw[k] for k in ("column", "column_A", "column_B") if kw.get(k)]
    return all(c in batch.column_names for c in wanted)


@dataclass
class _Tally:
    """One rule's verdicts over the row groups so far."""

    success: bool = True
    checked: int = 0
    unexpected: int = 0
    examples: list[tuple[int, object]] = field(default_factory=list)
    observed: object = None

    def add(self, outcome: RuleVerdict, found: list[tuple[int, object]], per_row: bool = True) -> None:
        """``per_row``: the verdict counts this group's rows (added up); else it is one verdict on the
        table or column (a column missing, a GX rule on the whole group), which fails if any group's does."""
        self.success = self.success and outcome.success
        if per_row:
            self.checked += outcome.checked
            self.unexpected += outcome.unexpected
        else:
            self.checked, self.unexpected = 1, max(self.unexpected, outcome.unexpected)
        self.examples.extend(found[:MAX_EXAMPLES - len(self.examples)])
        if not outcome.success and outcome.observed is not None:
            self.observed = outcome.observed

    def verdict(self) -> RuleVerdict:
        return RuleVerdict(self.success, self.checked, self.unexpected, [], self.observed)


def run_suite_in_row_groups(parquet, configs: list[dict], suite_name: str) -> SuiteRun:
    """The same judgement as :func:`run_suite`, over a Parquet file too large to hold: each row group in
    turn for the rules on single rows (counts added up, the first examples kept), the columns of a key
    read alone for the uniqueness rules, the row count from the file's metadata, a column's largest value
    from each group's. A rule only GX can judge runs on each row group's rows through GX. No Data Docs
    (GX renders them for small tables only)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    source = pq.ParquetFile(parquet)
    kinds = [cfg["type"] for cfg in configs]
    tallies = [_Tally() for _ in configs]
    maxima: dict[int, list] = {i: [] for i, kind in enumerate(kinds) if kind in REDUCED_RULES}
    row_rules = [i for i, kind in enumerate(kinds) if kind not in WHOLE_TABLE_RULES]
    gx_judged: set[int] = set()
    for group in range(source.num_row_groups):
        batch = source.read_row_group(group)
        rows = batch.column(ROW_COLUMN)
        outcomes = evaluate_all(batch, [configs[i] for i in row_rules], MAX_EXAMPLES)
        leftover = [i for i, o in zip(row_rules, outcomes, strict=True) if o is None]
        if leftover:
            gx_outcomes, _ = run_gx(batch.to_pandas(), [configs[i] for i in leftover], suite_name, None)
            by_rule = dict(zip(leftover, gx_outcomes, strict=True))
            outcomes = [o if o is not None else by_rule[i] for i, o in zip(row_rules, outcomes, strict=True)]
            gx_judged.update(leftover)
        for i, outcome in zip(row_rules, outcomes, strict=True):
            if i in maxima:
                column = configs[i]["kwargs"]["column"]
                if column in batch.column_names:
                    maxima[i].append(pc.max(batch.column(column)))
                continue
            column = rule_column(configs[i])
            per_row = (outcome.checked == batch.num_rows) if i in gx_judged else \
                (kinds[i] not in TABLE_LEVEL_RULES and _has_columns(batch, configs[i]))
            tallies[i].add(outcome, [(rows[k].as_py(), cell_of(batch, column, k)) for k in outcome.rows[:MAX_EXAMPLES]],
                           per_row)
        del batch, rows
    for i, found in maxima.items():
        column = configs[i]["kwargs"]["column"]
        kind = source.schema_arrow.field(column).type
        largest = pa.table({column: pa.array([m.as_py() for m in found], kind)}) if found else \
            pa.table({column: pa.array([], kind)}) if column in source.schema_arrow.names else pa.table({})
        tallies[i].add(evaluate(largest, configs[i], MAX_EXAMPLES), [], per_row=False)
    for i, kind in enumerate(kinds):
        if kind not in WHOLE_TABLE_RULES:
            continue
        kw = configs[i].get("kwargs", {})
        if kind == "expect_column_values_to_be_unique" and (found := _unique_by_sorting(source, kw["column"])):
            tallies[i].add(*found)
            continue
        if kind != "expect_table_row_count_to_be_between" and \
                (found := _unique_by_hashing(source, kw.get("column_list") or [kw.get("column")])) is not None:
            tallies[i].add(*found)
            continue
        wanted = [c for c in kw.get("column_list") or [kw.get("column")] if c in source.schema_arrow.names]
        keys = source.read(columns=[*wanted, ROW_COLUMN]) if kind != "expect_table_row_count_to_be_between" \
            else pa.table({ROW_COLUMN: pa.nulls(source.metadata.num_rows)})  # no buffer: only its length
        outcome = evaluate(keys, configs[i], MAX_EXAMPLES)
        if outcome is None:
            outcome, _ = run_gx(keys.to_pandas(), [configs[i]], suite_name, None)
            outcome = outcome[0]
            gx_judged.add(i)
        column = rule_column(configs[i])
        found = [(keys.column(ROW_COLUMN)[k].as_py(), cell_of(keys, column, k)) for k in outcome.rows[:MAX_EXAMPLES]]
        tallies[i].add(outcome, found, per_row=kind != "expect_table_row_count_to_be_between")
        del keys
    checks, issues = report_checks(configs, [t.verdict() for t in tallies], lambda i, _column, _outcome: tallies[i].examples)
    return SuiteRun(checks, issues, None, {"arrow": len(configs) - len(gx_judged), "gx": len(gx_judged)})


def _as_int64(values):
    """An integer or temporal column as int64 (its order kept); None for any other type."""
    import pyarrow as pa

    kind = values.type
    if pa.types.is_date32(kind) or pa.types.is_time32(kind):
        return pc.cast(pc.cast(values, pa.int32()), pa.int64())
    if pa.types.is_integer(kind) or pa.types.is_temporal(kind):
        return pc.cast(values, pa.int64())
    return None


def _repeats(parts, most: int, dtype):
    """The values that occur more than once among ``parts`` (numpy arrays, at most ``most`` values in all),
    found in one array of 8 bytes a value, sorted in place, by comparing neighbours."""
    import numpy as np

    gathered, filled = np.empty(most, dtype=dtype), 0
    for part in parts:
        gathered[filled:filled + len(part)] = part
        filled += len(part)
    gathered = gathered[:filled]
    gathered.sort()
    return np.unique(gathered[1:][gathered[1:] == gathered[:-1]])


def _unique_by_sorting(source, column: str) -> tuple[RuleVerdict, list[tuple[int, object]]] | None:
    """A numeric or temporal key of a large file checked in 8 bytes a row: its values gathered a row group
    at a time into one array sorted in place, the repeated ones found between neighbours, then every row
    holding one flagged group by group (as GX does). None for other types, or values past int64."""
    import numpy as np
    import pyarrow as pa

    if column not in source.schema_arrow.names or _as_int64(pa.array([], source.schema_arrow.field(column).type)) is None:
        return None
    def values():
        for group in range(source.num_row_groups):
            for chunk in _as_int64(pc.drop_null(source.read_row_group(group, columns=[column]).column(0))).chunks:
                yield chunk.to_numpy(zero_copy_only=False)

    try:
        repeated = pa.array(_repeats(values(), source.metadata.num_rows, np.int64))
    except pa.ArrowInvalid:  # an unsigned value past int64
        return None
    unexpected, examples = 0, []
    if len(repeated):
        for group in range(source.num_row_groups):
            batch = source.read_row_group(group, columns=[column, ROW_COLUMN])
            flagged = pc.fill_null(pc.is_in(_as_int64(batch.column(0)), value_set=repeated), False)
            unexpected += pc.sum(flagged).as_py() or 0
            for k in pc.indices_nonzero(flagged.combine_chunks()).to_pylist()[:MAX_EXAMPLES - len(examples)]:
                examples.append((batch.column(1)[k].as_py(), batch.column(0)[k].as_py()))
    return RuleVerdict(unexpected == 0, source.metadata.num_rows, unexpected, []), examples


def _unique_by_hashing(source, columns: list[str]) -> tuple[RuleVerdict, list[tuple[int, object]]] | None:
    """A text or compound key of a large file checked in 8 bytes a row: each key's 64-bit hash gathered a row
    group at a time into one array sorted in place; only the rows whose hash repeats are read again, and
    judged exactly (quality.fast's rule, on those rows alone), so a hash collision never flags a row. None
    for a key of another type (the key is then read whole)."""
    import numpy as np
    import pyarrow as pa
    from pandas.util import hash_array

    schema = source.schema_arrow
    if not columns or any(c not in schema.names for c in columns) or (
            len(columns) == 1 and not (pa.types.is_string(schema.field(columns[0]).type)
                                       or pa.types.is_large_string(schema.field(columns[0]).type))):
        return None

    def hashes(group: int):
        batch = source.read_row_group(group, columns=[*columns, ROW_COLUMN])
        return batch, hash_array(joined_key([batch.column(c) for c in columns]).to_numpy(zero_copy_only=False), categorize=False)

    repeated = _repeats((hashes(group)[1] for group in range(source.num_row_groups)), source.metadata.num_rows,
                        np.uint64)
    suspects = []
    if len(repeated):
        for group in range(source.num_row_groups):
            batch, found = hashes(group)
            suspects.append(batch.filter(pa.array(np.isin(found, repeated))))
    judged = pa.concat_tables(suspects) if suspects else pa.table({c: pa.array([], schema.field(c).type) for c in
                                                                    [*columns, ROW_COLUMN]})
    flagged = pc.fill_null(duplicated_rows(joined_key([judged.column(c) for c in columns])), False) \
        if judged.num_rows else pa.array([], pa.bool_())
    flagged = flagged.combine_chunks() if isinstance(flagged, pa.ChunkedArray) else flagged
    unexpected = pc.sum(flagged).as_py() or 0 if judged.num_rows else 0
    examples = [(judged.column(ROW_COLUMN)[k].as_py(), cell_of(judged, ",".join(columns), k))
                for k in (pc.indices_nonzero(flagged).to_pylist()[:MAX_EXAMPLES] if unexpected else [])]
    return RuleVerdict(unexpected == 0, source.metadata.num_rows, unexpected, []), examples
