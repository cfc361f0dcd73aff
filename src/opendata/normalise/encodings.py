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
    known = _known_syllables()
    score = 0.0
    for word in _WORD.findall(unicodedata.normalize("NFC", text)):
        if word.isascii():
            continue
        low = word.lower()
        tones = sum(1 for c in unicodedata.normalize("NFD", low) if c in _TONE_MARKS)
        if not all(c.isascii() or c in _VIET for c in word) or tones > 1:
            score -= 3
        elif low in known:
            score += 3
        elif _SYLLABLE.match(_toneless(low)):
            score += 1
        else:
            score -= 3
    return score


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
    except UnicodeDecodeError:
        pass
    cut = sample[: sample.rfind(b"\n") + 1] or sample
    scores = {enc: plausibility(_decode_as(cut, enc)) for enc in ("cp1258", "tcvn3", "vni")}
    best = max(scores, key=lambda e: (scores[e], e == "cp1258"))
    return Decoded(_nfc(_decode_as(raw, best)), best)


def _nfc(text: str) -> str:
    """cp1258 gives base letter + combining tone; NFC makes 'Hòa' one code point per letter."""
    return unicodedata.normalize("NFC", text)
