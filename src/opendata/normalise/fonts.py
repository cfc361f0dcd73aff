"""Text typed in the legacy TCVN3 (.VnTime) and VNI fonts inside a Unicode file, decided per column and
per cell, never once per sheet.

A clerk's workbook often has Unicode headers (typed later, or by another person) over names typed in
.VnTime: "NguyÔn Thanh Hµ" is "Nguyễn Thanh Hà" read through the wrong font. Such a cell holds only
characters of one 8-bit code page; read back as TCVN3 or VNI bytes, it becomes Vietnamese. A column's
cells vote for the reading that makes them Vietnamese words (encodings.plausibility); each cell is then
converted only if that reading reads better than the cell as it is, so a column that mixes Unicode and
legacy cells comes out whole. A column whose votes do not settle between TCVN3 and VNI is not guessed:
the caller refuses it, naming the column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import pyarrow as pa
import pyarrow.compute as pc

from ..arrow_values import FALSE, array
from ..issues import Dimension, RowIssue, Severity
from .encodings import NAMES, word_scores
from .legacy import all_letters, decode_tcvn3, decode_vni

SAMPLE = 400  # distinct cells a column's vote is taken on
CANDIDATE = "[\\x{80}-\\x{FF}]"  # a character of the upper half of Latin-1: what legacy-font text shows
_DECODERS = {"tcvn3": decode_tcvn3, "vni": decode_vni}


@dataclass(frozen=True)
class Verdict:
    encoding: str | None  # tcvn3, vni, or None: the column is Unicode
    undecided: bool = False  # legacy text whose font cannot be told
    converted: int = 0  # cells converted


def _as_bytes(cell: str) -> bytes | None:
    for codec in ("cp1252", "latin-1"):
        try:
            return cell.encode(codec)
        except UnicodeEncodeError:
            continue
    return None  # a character outside both: real Unicode text (ễ, ạ …), not a legacy font


@lru_cache(maxsize=65536)  # names and places repeat: each distinct cell is read once
def readings(cell: str) -> dict[str, tuple[float, str, int]]:
    """The cell as it is and in each legacy reading: (plausibility, text, words that are not Vietnamese)."""
    raw = _as_bytes(cell)
    out = {"unicode": _scored(cell)}
    if raw is not None:
        for name, decode in _DECODERS.items():
            out[name] = _scored(decode(raw))
    return out


def _scored(text: str) -> tuple[float, str, int]:
    score, bad = word_scores(text)
    return score, text, bad + len(_ALIEN_BY_A_LETTER.findall(text)) + len(_MIXED_CASE.findall(text))


# Latin-1 characters Vietnamese text never holds, that TCVN3 and VNI letters read as (the soft hyphen is TCVN3's
# "ư", "·" its "ã", "®" its "đ", "©" "«" "µ" its "â" "ô" "à", "×" its "ì"); counted beside a letter only ("B×nh" is
# TCVN3's "Bình", 25×30 is a size), and the degree and power signs never.
_ALIEN = "".join(sorted(frozenset(chr(c) for c in range(0xA0, 0x100)) - set("°²³") - set(all_letters()) - {"\xa0"}))
_LETTER = "A-Za-z" + "".join(sorted(set(all_letters())))
_ALIEN_BY_A_LETTER = re.compile(f"(?<=[{_LETTER}])[{re.escape(_ALIEN)}]|[{re.escape(_ALIEN)}](?=[{_LETTER}])")
# A lowercase letter then a toned or hatted capital inside a word ("cÊp", "nghÒ"): TCVN3 reads its lowercase
# letters ấ, ề as Latin-1 capitals; Vietnamese words never change case there.
_MIXED_CASE = re.compile("[a-z" + "".join(sorted({c for c in all_letters() if c.islower()})) + "]["
                         + "".join(sorted({c for c in all_letters() if c.isupper()})) + "]")


def _legacy_looking(scores: dict[str, tuple[float, str, int]]) -> bool:
    """A cell that could be legacy-font bytes with a word that is not Vietnamese as it is ('Hè Thu' has none: left
    alone), which a legacy reading makes read better."""
    if len(scores) == 1 or not scores["unicode"][2]:
        return False
    best = max(scores["tcvn3"], scores["vni"])
    return best[0] > 0 and best[2] < scores["unicode"][2] and best[0] > scores["unicode"][0]  # Vietnamese only then


def vote(cells: list[str]) -> Verdict:
    """The column's reading, from its candidate cells (distinct, non-ASCII): the legacy-looking ones vote."""
    totals = {"tcvn3": 0.0, "vni": 0.0}
    legacy_cells = 0
    for cell in cells[:SAMPLE]:
        scores = readings(cell)
        if not _legacy_looking(scores):
            continue
        legacy_cells += 1
        for name in totals:
            totals[name] += scores[name][0]
    tcvn3, vni = totals["tcvn3"], totals["vni"]
    if not legacy_cells or max(tcvn3, vni) <= 0:
        return Verdict(None)  # not Vietnamese in any reading (a foreign name): the gate's legacy_font rule still looks
    if abs(tcvn3 - vni) < max(3.0, 0.1 * max(tcvn3, vni)):
        return Verdict(None, undecided=True)
    return Verdict("tcvn3" if tcvn3 > vni else "vni")


def convert_cell(cell: str, encoding: str) -> str | None:
    """The cell in the reading its column was decided in, when that reads as Vietnamese, better than the cell as
    it is. A TCVN3 cell nearly always has a word that is not Vietnamese as it is ("NguyÔn"): one without is left
    alone ("Hè Thu" would read "Hố Thu"). VNI spells with Vietnamese letters ("Sôn La" for "Sơn La", "Xaõ" for
    "Xã"), so in a column decided VNI a cell is converted when its reading is better and no worse in any word."""
    raw = _as_bytes(cell)
    if raw is None:
        return None
    score, _, bad = _scored(cell)
    if encoding == "tcvn3" and not bad:
        return None
    legacy_score, text, legacy_bad = _scored(_DECODERS[encoding](raw))
    fewer = legacy_bad < bad if encoding == "tcvn3" else legacy_bad <= bad
    return text if legacy_score > 0 and fewer and legacy_score > score and text != cell else None


def fix_column(values: pa.ChunkedArray) -> tuple[pa.ChunkedArray, Verdict]:
    """A text column with its legacy-font cells converted (cell by cell, in the column's reading)."""
    if values.type != pa.string() or not len(values):
        return values, Verdict(None)
    marked = pc.fill_null(pc.match_substring_regex(values, CANDIDATE), FALSE)
    if not pc.any(marked).as_py():
        return values, Verdict(None)
    candidates = pc.unique(pc.filter(values, marked)).to_pylist()
    verdict = vote(candidates)
    if verdict.encoding is None:
        return values, verdict
    fixed = {c: t for c in candidates if (t := convert_cell(c, verdict.encoding)) is not None}
    if not fixed:
        return values, Verdict(None)
    olds = array(list(fixed), pa.string())
    news = array(list(fixed.values()), pa.string())
    where = pc.index_in(values, value_set=olds)
    replaced = pc.take(news, pc.fill_null(where, 0))
    out = pc.if_else(pc.is_valid(where), replaced, values)
    converted = pc.sum(pc.is_valid(where)).as_py() or 0
    return out, Verdict(verdict.encoding, converted=converted)


def fix_cells(rows: list[list[str]]) -> list[list[str]]:
    """Each legacy-font cell of a few rows (a sheet's head, where its header is looked for) converted on its
    own: a header has too few cells for a column vote."""
    def fixed(cell: str) -> str:
        if cell.isascii():
            return cell
        scores = readings(cell)
        if not _legacy_looking(scores):
            return cell
        best = max(("tcvn3", "vni"), key=lambda n: scores[n][0])
        return scores[best][1]

    return [[fixed(c) for c in row] for row in rows]


def font_issues(verdicts: dict[str, Verdict]) -> list[RowIssue]:
    """A column converted from a legacy font is said (a warning); one that cannot be decided is refused."""

    out = []
    for column, v in verdicts.items():
        if v.undecided:
            out.append(RowIssue(rule="legacy_font", dimension=Dimension.correct, severity=Severity.blocking, column=column,
                                message_vi="Cột có chữ gõ bằng phông cũ nhưng không xác định được là TCVN3 hay VNI",
                                message_en="The column holds text in a legacy font that is neither clearly TCVN3 nor VNI"))
        elif v.converted:
            vi = en = NAMES[v.encoding]
            out.append(RowIssue(rule="legacy_font_converted", dimension=Dimension.clean, severity=Severity.warning,
                                column=column, total=v.converted,
                                message_vi=f"{v.converted:,} ô gõ bằng phông {vi} đã được chuyển sang Unicode",
                                message_en=f"{v.converted:,} cells typed in the {en} font were converted to Unicode"))
    return out
