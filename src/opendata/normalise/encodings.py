"""Bytes to Unicode text (NFC), whatever the agency's computer saved.

Order: a BOM decides (UTF-8, UTF-16); then UTF-16 without BOM (many NUL bytes); then valid UTF-8;
then the 8-bit legacy candidates, Windows-1258, TCVN3 and VNI, each decoded and scored by how much
of the result reads as Vietnamese words. The spec can force an encoding when detection is not wanted.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from .legacy import all_letters, decode_tcvn3, decode_vni

SAMPLE_BYTES = 256 * 1024
_VIET = set(all_letters())
_WORD = re.compile(r"[^\W\d_]+")
_TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}

ALIASES = {"utf8": "utf-8", "utf-8-sig": "utf-8", "cp1258": "cp1258", "windows-1258": "cp1258",
           "tcvn3": "tcvn3", "abc": "tcvn3", "vni": "vni", "utf-16": "utf-16", "utf16": "utf-16"}


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # utf-8, utf-8-sig, utf-16, cp1258, tcvn3, vni


def _decode_as(raw: bytes, encoding: str) -> str:
    if encoding == "tcvn3":
        return decode_tcvn3(raw)
    if encoding == "vni":
        return decode_vni(raw)
    if encoding == "cp1258":
        return raw.decode("cp1258", errors="replace")
    return raw.decode(encoding)


_INITIAL = "ngh|ng|nh|ch|gh|gi|kh|ph|th|tr|qu|[bcdđghklmnprstvx]"
_NUCLEUS = ("iêu|yêu|oai|oay|oao|oeo|uây|uôi|ươi|ươu|uya|uyê|uyu|ai|ao|au|ay|âu|ây|eo|êu|ia|iê|iu|oa|oă|oe|oi|ôi|ơi"
            "|oo|ua|uâ|uê|ui|uô|uơ|ưa|ưi|ưu|ươ|uy|yê|[aăâeêioôơuưy]")
_SYLLABLE = re.compile(f"^(?:{_INITIAL})?(?:{_NUCLEUS})(?:ch|nh|ng|[cmnpt])?$")
# Words common in agency sheets, beside the place names from vietnam-provinces.
_COMMON = ("mã tên số ngày tháng năm địa chỉ điện thoại trạm khám bệnh viện trường học giá đất tổng cộng người lập "
           "biểu đơn vị loại hình tình trạng hoạt động dân diện tích ấp thôn đường phòng khách sạn nhà hàng ăn uống "
           "cơ sở y tế giáo dục văn hóa hoá du lịch môi nông nghiệp công thương ban nhân quản lý chủ đầu tư dự án "
           "giấy phép cấp hạn ghi chú độ cao vĩ kinh mưa nước lượng quan sát cảnh báo lũ ngập thủ trưởng giám đốc")


@lru_cache(maxsize=1)
def _known_syllables() -> frozenset[str]:
    words = set(_COMMON.split())
    try:
        from vietnam_provinces import Province, Ward

        for unit in list(Province.iter_all()) + list(Ward.iter_all()):
            words.update(unicodedata.normalize("NFC", unit.name).lower().split())
    except Exception:  # noqa: BLE001 - the vocabulary only sharpens detection
        pass
    return frozenset(words)


def _toneless(word: str) -> str:
    return unicodedata.normalize("NFC", "".join(c for c in unicodedata.normalize("NFD", word) if c not in _TONE_MARKS))


def plausibility(text: str) -> float:
    """How much of the text reads as Vietnamese: known syllables score most, well-formed ones some,
    anything else (unknown letters, two tone marks, impossible spellings) counts against.
    Words of plain ASCII are the same in every candidate decoding and are not counted."""
    return word_scores(text)[0]


def word_scores(text: str) -> tuple[float, int]:
    """plausibility, and how many words do not read as Vietnamese at all."""
    score, bad = 0.0, 0
    for word in _WORD.findall(unicodedata.normalize("NFC", text)):
        if not word.isascii():
            points = _word_score(word)
            score, bad = score + points, bad + (points < 0)
    return score, bad


@lru_cache(maxsize=65536)  # a language repeats its words: each is judged once
def _word_score(word: str) -> int:
    """+3 a known syllable, +1 a well-formed one, -3 anything else (unknown letters, two tone marks)."""
    low = word.lower()
    tones = sum(1 for c in unicodedata.normalize("NFD", low) if c in _TONE_MARKS)
    if not all(c.isascii() or c in _VIET for c in word) or tones > 1:
        return -3
    if low in _known_syllables():
        return 3
    if _SYLLABLE.match(_toneless(low)):
        return 1
    return 0 if word.isupper() and len(word) <= 5 else -3  # an abbreviation ('ĐH', 'HĐLĐ') is no word, nor wrong


def detect_and_decode(raw: bytes, forced: str | None = None) -> Decoded:
    """Raises UnicodeDecodeError / LookupError only when a forced encoding does not fit."""
    if forced:
        enc = ALIASES.get(forced.lower(), forced)
        if enc == "utf-8" and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        return Decoded(_nfc(_decode_as(raw, enc)), enc)
    if raw.startswith(b"\xef\xbb\xbf"):
        return Decoded(_nfc(raw[3:].decode("utf-8")), "utf-8-sig")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return Decoded(_nfc(raw.decode("utf-16")), "utf-16")
    sample = raw[:SAMPLE_BYTES]
    if sample and sample.count(0) > len(sample) // 4:
        odd_nuls = sample[1::2].count(0)
        enc = "utf-16-le" if odd_nuls > len(sample) // 4 else "utf-16-be"
        return Decoded(_nfc(raw.decode(enc)), "utf-16")
    try:
        return Decoded(_nfc(raw.decode("utf-8")), "utf-8")
    except UnicodeDecodeError as exc:
        refuse_broken_utf8(raw, exc)
    cut = sample[: sample.rfind(b"\n") + 1] or sample
    scores = {enc: plausibility(_decode_as(cut, enc)) for enc in LEGACY}
    best = max(scores, key=lambda e: (scores[e], e == "cp1258"))
    refuse_two_legacy(raw)
    return Decoded(_nfc(_decode_as(raw, best)), best)


LEGACY = ("cp1258", "tcvn3", "vni")
WINDOW_BYTES = 8 * 1024
MAX_WINDOWS = 64  # spread over the file: a bounded cost whatever its size


def refuse_two_legacy(raw: bytes) -> None:
    """Raise :class:`BrokenText` when a later part of the file reads as Vietnamese in another legacy
    encoding than its first part: two files pasted together, one typed in TCVN3 and one in VNI. Decoded
    as one, either part would be mojibake that passes every rule not looking at its columns."""
    size = max(1024, min(WINDOW_BYTES, len(raw) // 8))
    step = max(size, len(raw) // MAX_WINDOWS)
    first, previous = None, 0
    for start in range(0, len(raw), step):
        begin = raw.rfind(b"\n", 0, start) + 1 if start else 0
        end = raw.find(b"\n", start + size)
        window = raw[begin: len(raw) if end < 0 else end + 1]
        if window.isascii():
            continue
        scores = _scores(window)
        if first is None:
            first = max(scores, key=scores.__getitem__)
        elif (other := _clearly_other(scores, first)) is not None:
            offset = previous  # the change lies after the last window that read well: find its line
            for line in raw[previous: begin + len(window)].splitlines(keepends=True):
                if not line.isascii() and _clearly_other(_scores(line), first, margin=1) == other:
                    break
                offset += len(line)
            raise BrokenText(offset, raw.count(b"\n", 0, offset) + 1, truncated=False, encodings=(first, other))
        previous = begin


def _scores(raw: bytes) -> dict[str, float]:
    return {enc: plausibility(_decode_as(raw, enc)) for enc in LEGACY}


def _clearly_other(scores: dict[str, float], chosen: str, margin: float = 6) -> str | None:
    """The other legacy encoding in which the text reads as Vietnamese clearly better than in ``chosen``."""
    other = max((e for e in LEGACY if e != chosen), key=scores.__getitem__)
    if margin < 6:
        return other if scores[other] > max(0, scores[chosen]) else None
    return other if scores[other] >= max(margin, scores[chosen] + margin, 4 * scores[chosen]) else None


NAMES = {"cp1258": "Windows-1258", "tcvn3": "TCVN3 (ABC)", "vni": "VNI"}


class BrokenText(ValueError):
    """UTF-8 that stops being UTF-8: written partly in another encoding, or cut inside a character.
    Decoding it all in a legacy code page would turn every earlier line into mojibake, so it is refused."""

    def __init__(self, offset: int, line: int, truncated: bool, encodings: tuple[str, str] | None = None) -> None:
        self.offset, self.line, self.truncated, self.encodings = offset, line, truncated, encodings
        super().__init__(self.message_vi + " / " + self.message_en)

    @property
    def message_en(self) -> str:
        if self.encodings:
            first, then = (NAMES[e] for e in self.encodings)
            return (f"the text reads as {first} up to byte {self.offset:,} and as {then} from line {self.line}: two "
                    "encodings in one file; export it again as one CSV UTF-8 file")
        if self.truncated:
            return (f"the file is cut short inside a character at byte {self.offset:,}: the last complete row is line "
                    f"{max(self.line - 1, 1)}; send the whole file again")
        return (f"the text is UTF-8 up to byte {self.offset:,} (line {self.line}) and not after it: part of the file was "
                "written in another encoding; export it again as one CSV UTF-8 file")

    @property
    def message_vi(self) -> str:
        if self.encodings:
            first, then = (NAMES[e] for e in self.encodings)
            return (f"văn bản là mã {first} đến byte {self.offset:,} rồi là mã {then} từ dòng {self.line}: "
                    "hai bảng mã trong một tệp, hãy xuất lại toàn bộ tệp dạng UTF-8")
        if self.truncated:
            return f"tệp bị cắt giữa một ký tự ở byte {self.offset:,}: dòng đầy đủ cuối cùng là dòng {max(self.line - 1, 1)}"
        return f"văn bản là UTF-8 đến byte {self.offset:,} (dòng {self.line}) rồi đổi mã: hãy xuất lại toàn bộ tệp dạng UTF-8"


def refuse_broken_utf8(raw: bytes, exc: UnicodeDecodeError, base: int = 0, lines_before: int = 0) -> None:
    """Raise :class:`BrokenText` when the bytes before the first invalid one are UTF-8 with Vietnamese
    letters in it (so the file is UTF-8 that breaks), or when the file ends inside a UTF-8 character;
    return when the prefix is plain ASCII: then it is a legacy encoding from the start."""
    start = exc.start
    truncated = exc.reason == "unexpected end of data" and exc.end >= len(raw)
    prefix = raw[:start].decode("utf-8", errors="ignore")
    letters = [c for c in prefix if not c.isascii()]
    viet = sum(1 for c in letters if c in _VIET or unicodedata.category(c).startswith("M"))
    if (letters and viet >= max(1, len(letters) * 0.8)) or (truncated and raw[start] >= 0xC2):
        raise BrokenText(base + start, lines_before + raw.count(b"\n", 0, start) + 1, truncated)


def refuse_cut_utf8(raw: bytes, base: int = 0, lines_before: int = 0) -> None:
    """Raise :class:`BrokenText` when UTF-8 bytes end inside a character (a file cut short), looking only
    at the last few bytes: caught before a parser meets the broken character and prints its own error."""
    start = len(raw)
    while start > max(0, len(raw) - 3) and 0x80 <= raw[start - 1] <= 0xBF:
        start -= 1
    if start > 0 and raw[start - 1] >= 0xC2:
        start -= 1
    try:
        raw[start:].decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data":
            at = start + exc.start
            raise BrokenText(base + at, lines_before + raw.count(b"\n", 0, at) + 1, truncated=True) from None


def _nfc(text: str) -> str:
    """cp1258 gives base letter + combining tone; NFC makes 'Hòa' one code point per letter."""
    return unicodedata.normalize("NFC", text)
