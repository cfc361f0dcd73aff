"""The subset of the Lucene/Solr query language that CKAN 2.12 sends, parsed and matched in Python.

Covers: ``*:*``, ``field:value``, ``field:"phrase"``, ``field:(a OR b)``, ``field:[a TO b]``,
``field:*``, wildcards, ``+``/``-``/``NOT`` and ``AND``/``OR`` with Lucene's clause rules
(q.op decides the implicit operator), parentheses, backslash escapes, and dismax free text
(``qf`` boosts, ``mm``). Anything else raises :class:`QuerySyntaxError`, which the server answers
with an error like real Solr's.
"""

from __future__ import annotations

import fnmatch
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

# Fields CKAN's Solr schema tokenises (type "text"); every other field is an exact string.
TEXT_FIELDS = {"text", "title", "notes", "res_name", "res_description", "author", "maintainer", "urls"}


class QuerySyntaxError(ValueError):
    """The query does not parse; real Solr answers these with an error status too."""


def fold(text: str) -> str:
    """Lower-case and drop diacritics so 'Mưa' matches 'mua' (Solr's ASCIIFolding + LowerCase)."""
    decomposed = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def tokens_of(text: str) -> list[str]:
    return re.findall(r"\w+", fold(text))


def as_strings(value: Any) -> list[str]:
    """A stored field value as the list of strings Solr would index for it."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in as_strings(v)]
    if isinstance(value, bool):
        return ["true" if value else "false"]
    return [str(value)]


def catch_all_text(doc: dict[str, Any]) -> str:
    """Stands in for the schema's copyField into ``text``: every value of the document."""
    skip = {"data_dict", "validated_data_dict", "index_id", "site_id", "permission_labels"}
    return " ".join(s for k, v in doc.items() if k not in skip for s in as_strings(v))


# ---------------------------------------------------------------- query tree


@dataclass
class Term:
    field: str
    value: str
    phrase: bool = False

    def score(self, doc: dict[str, Any]) -> float:
        if self.field == "*" and self.value == "*":
            return 1.0
        values = field_values(doc, self.field)
        if self.value == "*" and not self.phrase:
            return 1.0 if any(v != "" for v in values) else 0.0
        if self.field in TEXT_FIELDS or self.field.startswith("extras_"):
            return _text_match(values, self.value, self.phrase)
        if self.phrase or not _has_wildcard(self.value):
            return 1.0 if self.value in values else 0.0
        return 1.0 if any(fnmatch.fnmatchcase(v, self.value) for v in values) else 0.0


@dataclass
class Range:
    field: str
    low: str
    high: str
    include_low: bool
    include_high: bool

    def score(self, doc: dict[str, Any]) -> float:
        return 1.0 if any(self._inside(v) for v in field_values(doc, self.field)) else 0.0

    def _inside(self, value: str) -> bool:
        def cmp(a: str, b: str) -> int:
            try:
                fa, fb = float(a), float(b)
            except ValueError:
                fa, fb = a, b  # ISO dates and strings compare as text
            return (fa > fb) - (fa < fb)

        if self.low != "*":
            c = cmp(value, _now_to_iso(self.low))
            if c < 0 or (c == 0 and not self.include_low):
                return False
        if self.high != "*":
            c = cmp(value, _now_to_iso(self.high))
            if c > 0 or (c == 0 and not self.include_high):
                return False
        return True


MUST, SHOULD, MUST_NOT = "must", "should", "must_not"


@dataclass
class Boolean:
    clauses: list[tuple[str, Any]] = field(default_factory=list)
    min_should: int = 0  # dismax "mm"; 0 means Lucene's rule (one SHOULD when no MUST)

    def score(self, doc: dict[str, Any]) -> float:
        total, should_hits, has_must, has_positive = 0.0, 0, False, False
        for occur, node in self.clauses:
            s = node.score(doc)
            if occur == MUST_NOT:
                if s > 0:
                    return 0.0
                continue
            has_positive = True
            if occur == MUST:
                has_must = True
                if s <= 0:
                    return 0.0
            elif s > 0:
                should_hits += 1
            total += s
        if not has_positive:
            return 1.0  # a purely negative query: Solr adds *:* at the top
        needed = self.min_should or (0 if has_must else 1)
        if should_hits < needed:
            return 0.0
        return total


@dataclass
class DisMax:
    """One free-text term searched in several boosted fields; the best field wins, plus ``tie``."""

    term: Term
    boosts: dict[str, float]
    tie: float

    def score(self, doc: dict[str, Any]) -> float:
        hits = [boost * Term(f, self.term.value, self.term.phrase).score(doc) for f, boost in self.boosts.items()]
        hits = [h for h in hits if h > 0]
        if not hits:
            return 0.0
        best = max(hits)
        return best + self.tie * (sum(hits) - best)


def field_values(doc: dict[str, Any], name: str) -> list[str]:
    if name == "text":
        return [catch_all_text(doc)]
    return as_strings(doc.get(name))


def _has_wildcard(value: str) -> bool:
    return "*" in value or "?" in value


def _text_match(values: list[str], query: str, phrase: bool) -> float:
    wanted = tokens_of(query.replace("*", " WILDCARDSTAR ")) if not phrase else tokens_of(query)
    if not wanted:
        return 0.0
    for value in values:
        toks = tokens_of(value)
        if phrase:
            n = len(wanted)
            if any(toks[i : i + n] == wanted for i in range(len(toks) - n + 1)):
                return 1.0
        elif _has_wildcard(query):
            pattern = fold(query)
            if any(fnmatch.fnmatchcase(t, pattern) for t in toks):
                return 1.0
        elif all(w in toks for w in wanted):
            return 1.0
    return 0.0


def _now_to_iso(value: str) -> str:
    if value.startswith("NOW"):
        from datetime import datetime, timedelta

        now = datetime.now(UTC)
        m = re.fullmatch(r"NOW(?:([+-])(\d+)(DAY|DAYS|HOUR|HOURS|MONTH|MONTHS|YEAR|YEARS))?(?:/DAY)?", value)
        if not m:
            raise QuerySyntaxError(f"Invalid Date Math String:'{value}'")
        if m.group(1):
            n = int(m.group(2)) * (1 if m.group(1) == "+" else -1)
            unit = m.group(3).rstrip("S")
            days = {"DAY": 1, "HOUR": 1 / 24, "MONTH": 30, "YEAR": 365}[unit]
            now = now + timedelta(days=n * days)
        return now.strftime("%Y-%m-%dT%H:%M:%SZ")
    return value


# ---------------------------------------------------------------- lexer and parser

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<phrase>"(?:[^"\\]|\\.)*")
  | (?P<range>[\[{][^\]}]*[\]}])
  | (?P<word>(?:[^\s()"\\\[\]{}]|\\.)+)
  | (?P<bad>.)
    """,
    re.VERBOSE | re.DOTALL,
)


def _lex(text: str) -> list[tuple[str, str]]:
    out = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind == "ws":
            continue
        if kind == "bad":
            raise QuerySyntaxError(f"Cannot parse '{text}': unexpected '{m.group()}'")
        out.append((kind, m.group()))
    return out


def _unescape(s: str) -> str:
    return re.sub(r"\\(.)", r"\1", s)


class _Parser:
    def __init__(self, text: str, default_field: str, default_and: bool) -> None:
        self.text = text
        self.toks = _lex(text)
        self.pos = 0
        self.default_field = default_field
        self.default_and = default_and

    def fail(self, why: str) -> QuerySyntaxError:
        return QuerySyntaxError(f"org.apache.solr.search.SyntaxError: Cannot parse '{self.text}': {why}")

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.pos] if self.pos < len(self.toks) else None

    def take(self) -> tuple[str, str]:
        tok = self.toks[self.pos]
        self.pos += 1
        return tok

    def parse(self) -> Boolean:
        node = self.boolean(self.default_field, top=True)
        if self.peek() is not None:
            raise self.fail(f"unexpected '{self.peek()[1]}'")
        return node

    def boolean(self, fld: str, top: bool = False) -> Boolean:
        """Lucene's QueryParser.addClause rules, so '+a b', 'a OR b' and 'a AND NOT b' mean what Solr means."""
        clauses: list[list[Any]] = []
        conj = None
        while True:
            tok = self.peek()
            if tok is None or tok[0] == "rparen":
                if tok is not None and top:
                    raise self.fail("unbalanced ')'")
                break
            if tok[0] == "word" and tok[1] in ("AND", "OR", "&&", "||"):
                self.take()
                if not clauses:
                    raise self.fail(f"'{tok[1]}' with nothing before it")
                conj = "AND" if tok[1] in ("AND", "&&") else "OR"
                continue
            mod = None
            if tok[0] == "word" and tok[1] in ("NOT", "!"):
                self.take()
                mod = "NOT"
            node, sign = self.clause(fld)
            mod = mod or sign
            if clauses and conj == "AND" and clauses[-1][0] == SHOULD:
                clauses[-1][0] = MUST
            if clauses and conj == "OR" and clauses[-1][0] == MUST and self.default_and and clauses[-1][2] != "+":
                clauses[-1][0] = SHOULD
            if mod in ("NOT", "-"):
                occur = MUST_NOT
            elif mod == "+":
                occur = MUST
            elif self.default_and:
                occur = SHOULD if conj == "OR" else MUST
            else:
                occur = MUST if conj == "AND" else SHOULD
            clauses.append([occur, node, mod])
            conj = None
        if conj is not None:
            raise self.fail("expected a clause after the operator")
        return Boolean([(occur, node) for occur, node, _ in clauses])

    def clause(self, fld: str) -> tuple[Any, str | None]:
        kind, value = self.take()
        sign = None
        if kind == "word" and value[0] in "+-" and len(value) > 1:
            sign, value = value[0], value[1:]
        elif kind == "word" and value in ("+", "-"):
            sign = value
            if self.peek() is None:
                raise self.fail("operator at the end")
            kind, value = self.take()
        if kind == "lparen":
            node = self.boolean(fld)
            self.close()
            return node, sign
        if kind == "phrase":
            return Term(fld, _unescape(value[1:-1]), phrase=True), sign
        if kind == "range":
            raise self.fail(f"range '{value}' without a field")
        if kind != "word":
            raise self.fail(f"unexpected '{value}'")
        if value.startswith(":"):
            raise self.fail(f"'{value}': a field name is missing before ':'")
        name, colon, rest = _split_field(value)
        if not colon:
            return Term(fld, _unescape(value)), sign
        if name == "*" and rest == "*":
            return Term("*", "*"), sign
        if not re.fullmatch(r"[A-Za-z_][\w.\-]*", name):
            raise self.fail(f"bad field name '{name}'")
        if rest:
            return Term(name, _unescape(rest)), sign
        nxt = self.peek()
        if nxt is None:
            raise self.fail(f"field '{name}' without a value")
        kind, value = self.take()
        if kind == "phrase":
            return Term(name, _unescape(value[1:-1]), phrase=True), sign
        if kind == "lparen":
            node = self.boolean(name)
            self.close()
            return node, sign
        if kind == "range":
            return _range(name, value, self.fail), sign
        if kind == "word":
            return Term(name, _unescape(value)), sign
        raise self.fail(f"unexpected '{value}' after '{name}:'")

    def close(self) -> None:
        tok = self.peek()
        if tok is None or tok[0] != "rparen":
            raise self.fail("missing ')'")
        self.take()


def _split_field(word: str) -> tuple[str, bool, str]:
    """'name:abc' -> ('name', True, 'abc'); an escaped colon does not split."""
    m = re.match(r"((?:[^:\\]|\\.)*):(.*)", word, re.DOTALL)
    if not m or not m.group(1):
        return word, False, ""
    return m.group(1), True, m.group(2)


def _range(name: str, text: str, fail) -> Range:
    m = re.fullmatch(r"([\[{])\s*(\S+)\s+TO\s+(\S+)\s*([\]}])", text)
    if not m:
        raise fail(f"bad range '{text}'")
    return Range(name, _unescape(m.group(2)), _unescape(m.group(3)), m.group(1) == "[", m.group(4) == "]")


def parse_lucene(text: str, default_field: str = "text", default_and: bool = True) -> Boolean:
    return _Parser(text, default_field, default_and).parse()


def parse_dismax(text: str, qf: str, mm: str | None, tie: float) -> Boolean:
    """Free text as dismax does it: each term in any of the ``qf`` fields; ``mm`` of them must match."""
    boosts: dict[str, float] = {}
    for spec in qf.split():
        name, _, boost = spec.partition("^")
        boosts[name] = float(boost) if boost else 1.0
    clauses: list[tuple[str, Any]] = []
    for kind, value in _lex(text):
        if kind in ("lparen", "rparen", "range"):
            continue
        sign = None
        if kind == "word" and value[0] in "+-" and len(value) > 1:
            sign, value = value[0], value[1:]
        phrase = kind == "phrase"
        term = Term("", _unescape(value[1:-1] if phrase else value), phrase=phrase)
        if not phrase and not tokens_of(term.value) and not _has_wildcard(term.value):
            continue  # punctuation only: dismax drops it
        occur = {"+": MUST, "-": MUST_NOT}.get(sign or "", SHOULD)
        clauses.append((occur, DisMax(term, boosts, tie)))
    should = sum(1 for o, _ in clauses if o == SHOULD)
    return Boolean(clauses, min_should=min_should_match(mm, should))


def min_should_match(mm: str | None, n: int) -> int:
    """Solr's ``mm`` spec: '2<-1 5<80%' means all of up to 2, all but one of up to 5, else 80%."""
    if n == 0:
        return 0
    if not mm:
        return n
    result = n
    for part in mm.split():
        if "<" in part:
            limit, spec = part.split("<", 1)
            if n > int(limit):
                result = _mm_value(spec, n)
        else:
            result = _mm_value(part, n)
    return max(1, min(n, result))


def _mm_value(spec: str, n: int) -> int:
    if spec.endswith("%"):
        pct = int(spec[:-1])
        v = math.floor(n * abs(pct) / 100)
        return n - v if pct < 0 else v
    v = int(spec)
    return n + v if v < 0 else v


def parse_sort(spec: str | None) -> list[tuple[str, bool]]:
    """'score desc, metadata_modified desc' -> [('score', True), ...]; a bad spec raises like Solr's 400."""
    if not spec or not spec.strip():
        return [("score", True)]
    out = []
    for part in spec.split(","):
        words = part.split()
        if len(words) != 2 or words[1].lower() not in ("asc", "desc"):
            raise SortError(f"Can't determine a Sort Order (asc or desc) in sort spec '{part.strip()}'")
        if not re.fullmatch(r"[A-Za-z_][\w.\-]*", words[0]):
            raise SortError(f"Can't determine a Sort Order (asc or desc) in sort spec '{part.strip()}'")
        out.append((words[0], words[1].lower() == "desc"))
    return out


class SortError(ValueError):
    """A sort parameter Solr would refuse."""


def sort_docs(scored: Iterable[tuple[float, dict[str, Any]]], keys: list[tuple[str, bool]]):
    """Stable multi-key sort; documents missing a field go last, as in Solr."""
    rows = list(scored)
    for name, desc in reversed(keys):
        if name == "score":
            rows.sort(key=lambda r: r[0], reverse=desc)
            continue
        present = [r for r in rows if as_strings(r[1].get(name))]
        missing = [r for r in rows if not as_strings(r[1].get(name))]
        present.sort(key=lambda r: _sort_key(r[1].get(name)), reverse=desc)
        rows = present + missing
    return rows


def _sort_key(value: Any) -> tuple:
    first = as_strings(value)[0]
    try:
        return (0, float(first), "")
    except ValueError:
        return (1, 0.0, first)
