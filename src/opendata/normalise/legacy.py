"""The two legacy Vietnamese font encodings still found in old Excel and CSV files: TCVN3 and VNI.

**TCVN3 (ABC, .VnTime fonts)**: one byte per letter. Bytes 0xA1–0xAE hold ĂÂÊÔƠƯĐ ăâêôơưđ and
0xB5–0xFE the lowercase letters with tone marks; there are no capitals with tone marks (the
.VnTimeH capital fonts draw the lowercase codes as capitals). Writers get round that by typing the
capital base and then the lowercase toned letter ("Aá" for "Á"), which is read back as the one capital;
without that, a cell written in capitals is re-capitalised here, and so is a toned letter starting a
cell ("Ủy ban"), while a lone lowercase code inside mixed-case text stays lowercase. The limit: in
capitals typed with the lowercase codes, a loanword's doubled o ("MOÓC") reads as one toned O.
"ư" is 0xAD, a soft hyphen in Latin-1: invisible if read the wrong way.

**VNI (VNI-Windows fonts)**: the bytes are Windows-1252; a toned letter is a base letter followed
by a mark character ("a" + "ù" = "á"); ơ, ư, đ and the i-tones are single characters.

Both tables are built here from those rules; the tests check every letter both ways, and TCVN3
against glibc's independent TCVN5712-1 converter.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

TONES = ("\u0300", "\u0301", "\u0309", "\u0303", "\u0323")  # huyền, sắc, hỏi, ngã, nặng
BASES = ("a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y")


def with_tone(base: str, tone: str) -> str:
    return unicodedata.normalize("NFC", base + tone)


def all_letters() -> list[str]:
    """The 134 Vietnamese letters beyond ASCII: 12 vowels × (5 tones) + ăâêôơư đ, both cases."""
    lower = [with_tone(b, t) for b in BASES for t in TONES] + ["ă", "â", "ê", "ô", "ơ", "ư", "đ"]
    return lower + [c.upper() for c in lower]


# ------------------------------------------------------------------ TCVN3

# Positions of the toned lowercase letters, by base, in tone order huyền sắc hỏi ngã nặng → bytes
# as grave, hook, tilde, acute, dot (TCVN3's own order within each group).
_TCVN3_GROUPS = {
    "a": (0xB5, 0xB6, 0xB7, 0xB8, 0xB9),
    "ă": (0xBB, 0xBC, 0xBD, 0xBE, 0xC6),
    "â": (0xC7, 0xC8, 0xC9, 0xCA, 0xCB),
    "e": (0xCC, 0xCE, 0xCF, 0xD0, 0xD1),
    "ê": (0xD2, 0xD3, 0xD4, 0xD5, 0xD6),
    "i": (0xD7, 0xD8, 0xDC, 0xDD, 0xDE),
    "o": (0xDF, 0xE1, 0xE2, 0xE3, 0xE4),
    "ô": (0xE5, 0xE6, 0xE7, 0xE8, 0xE9),
    "ơ": (0xEA, 0xEB, 0xEC, 0xED, 0xEE),
    "u": (0xEF, 0xF1, 0xF2, 0xF3, 0xF4),
    "ư": (0xF5, 0xF6, 0xF7, 0xF8, 0xF9),
    "y": (0xFA, 0xFB, 0xFC, 0xFD, 0xFE),
}
_TCVN3_GROUP_TONES = ("\u0300", "\u0309", "\u0303", "\u0301", "\u0323")
_TCVN3_PLAIN = dict(zip(range(0xA1, 0xAF), "ĂÂÊÔƠƯĐăâêôơưđ", strict=True))


@lru_cache(maxsize=1)
def tcvn3_table() -> dict[int, str]:
    """byte → letter, for the bytes TCVN3 gives Vietnamese letters; other bytes read as Latin-1."""
    table = dict(_TCVN3_PLAIN)
    for base, codes in _TCVN3_GROUPS.items():
        for code, tone in zip(codes, _TCVN3_GROUP_TONES, strict=True):
            table[code] = with_tone(base, tone)
    return table


def decode_tcvn3(raw: bytes) -> str:
    text = raw.decode("latin-1").translate(tcvn3_table())
    pattern, capitals = _tcvn3_capital_pairs()
    text = pattern.sub(lambda m: capitals[m.group()], text)
    text = _CELL_START_TONED.sub(lambda m: m.group(1) + m.group(2).upper(), text)
    return recapitalise(text)


@lru_cache(maxsize=1)
def _tcvn3_capital_pairs() -> tuple[re.Pattern, dict[str, str]]:
    """Writers' way round the missing toned capitals: the capital base letter, then the lowercase toned
    letter of that same vowel ("Aá" → "Á", "Aấ" or "Âấ" → "Ấ", "Ưứ" → "Ứ"). No Vietnamese word has a
    vowel doubled that way, so a pair of two different vowels ("Uỷ", "Oà") is never touched."""
    families = {"a": "aăâ", "ă": "ă", "â": "â", "e": "eê", "ê": "ê", "i": "i", "o": "oôơ", "ô": "ô", "ơ": "ơ",
                "u": "uư", "ư": "ư", "y": "y"}
    capitals = {}
    for capital_base, bases in families.items():
        for base in bases:
            for tone in TONES:
                toned = with_tone(base, tone)
                capitals[capital_base.upper() + toned] = toned.upper()
    return re.compile("|".join(sorted(capitals, key=len, reverse=True))), capitals


# A cell (start of text, line, or after a CSV delimiter or quote) that starts with a toned lowercase
# letter: TCVN3 cannot write the capital, and agency cells (names, addresses) start with one.
_CELL_START_TONED = re.compile(
    "(^|[\n\r,;\t\"])([" + "".join(sorted({with_tone(b, t) for b in BASES for t in TONES})) + "])(?=[a-zăâêôơưđ])",
    re.MULTILINE,
)


def encode_tcvn3(text: str) -> bytes:
    """For tests and fixtures: capitals with tone marks are written with the lowercase code."""
    back = {ch: code for code, ch in tcvn3_table().items()}
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        code = back.get(ch) or back.get(ch.lower()) if ord(ch) > 0x7F else None
        out += bytes([code]) if code else ch.encode("latin-1")
    return bytes(out)


_CAPS_WORD = re.compile(r"[^\W\d_]+")
_PLAIN_CAPITALS = "A-ZĂÂÊÔƠƯĐ"  # the capitals TCVN3 has
_TONED_LOWER = "".join(sorted({with_tone(b, t) for b in BASES for t in TONES}))
# A word of capitals and toned lowercase letters only, with at least one of the latter: the only
# words recapitalising can change (anything else is lowercase already, or has nothing to raise).
_CAPS_OR_TONED = _PLAIN_CAPITALS + _TONED_LOWER + _TONED_LOWER.upper()
_MAYBE_CAPS = re.compile(f"(?<![^\\W\\d_])[{_CAPS_OR_TONED}]*[{_TONED_LOWER}][{_CAPS_OR_TONED}]*(?![^\\W\\d_])")


def recapitalise(text: str) -> str:
    """Words written in capitals (.VnTimeH) whose toned letters came out lowercase get them capitalised.

    A word is in capitals when its letters that TCVN3 has in both cases are all capitals (two or more);
    a word with a single such capital ("Đà") follows its neighbours: capitals beside capitals. Only the
    words that could change are looked at: one scan of the text, then the few candidates.
    """
    def raised(m: re.Match) -> str:
        word = m.group()
        kind = _word_case(word)
        if kind == "single":
            before = _CAPS_WORD.findall(text[max(0, m.start() - 40):m.start()])[-1:]
            after = _CAPS_WORD.search(text, m.end(), m.end() + 40)
            near = before + ([after.group()] if after else [])
            kind = "upper" if near and all(_word_case(w) == "upper" for w in near) else kind
        return word.upper() if kind == "upper" else word

    return _MAYBE_CAPS.sub(raised, text)


@lru_cache(maxsize=65536)  # agency text repeats its words: each is classified once
def _word_case(word: str) -> str:
    plain = [c for c in word if c.isascii() or c in "ĂÂÊÔƠƯĐăâêôơưđ"]  # letters TCVN3 has in both cases
    caps = sum(1 for c in plain if c.isupper())
    if any(c.islower() for c in plain):
        return "lower"
    return "upper" if caps >= 2 else "single" if caps == 1 else "none"


# ------------------------------------------------------------------ VNI

# Marks after a base letter, as Windows-1252 characters: (lowercase mark, uppercase mark).
_VNI_TONE = {"\u0300": ("ø", "Ø"), "\u0301": ("ù", "Ù"), "\u0309": ("û", "Û"), "\u0303": ("õ", "Õ"), "\u0323": ("ï", "Ï")}
_VNI_HAT_TONE = {"": ("â", "Â"), "\u0300": ("à", "À"), "\u0301": ("á", "Á"), "\u0309": ("å", "Å"),
                 "\u0303": ("ã", "Ã"), "\u0323": ("ä", "Ä")}  # â ê ô (circumflex) + tone
_VNI_BREVE_TONE = {"": ("ê", "Ê"), "\u0300": ("è", "È"), "\u0301": ("é", "É"), "\u0309": ("ú", "Ú"),
                   "\u0303": ("ü", "Ü"), "\u0323": ("ë", "Ë")}  # ă (breve) + tone
_VNI_SINGLE = {"ơ": "ô", "ư": "ö", "đ": "ñ", "ỵ": "î", "ì": "ì", "í": "í", "ỉ": "æ", "ĩ": "ó", "ị": "ò",
               "Ơ": "Ô", "Ư": "Ö", "Đ": "Ñ", "Ỵ": "Î", "Ì": "Ì", "Í": "Í", "Ỉ": "Æ", "Ĩ": "Ó", "Ị": "Ò"}


@lru_cache(maxsize=1)
def vni_table() -> dict[str, str]:
    """Vietnamese letter → its VNI spelling (Windows-1252 characters)."""
    table: dict[str, str] = {}
    for upper in (False, True):
        pick = 1 if upper else 0
        for plain, hat in (("a", "â"), ("e", "ê"), ("o", "ô")):
            base = plain.upper() if upper else plain
            for tone, marks in _VNI_TONE.items():
                table[_case(with_tone(plain, tone), upper)] = base + marks[pick]
            for tone, marks in _VNI_HAT_TONE.items():
                table[_case(with_tone(hat, tone), upper)] = base + marks[pick]
        for tone, marks in _VNI_BREVE_TONE.items():
            table[_case(with_tone("ă", tone), upper)] = ("A" if upper else "a") + marks[pick]
        for plain in ("u", "y"):
            for tone, marks in _VNI_TONE.items():
                table[_case(with_tone(plain, tone), upper)] = (plain.upper() if upper else plain) + marks[pick]
        for horn, single in (("ơ", "ô"), ("ư", "ö")):
            for tone, marks in _VNI_TONE.items():
                table[_case(with_tone(horn, tone), upper)] = (single.upper() if upper else single) + marks[pick]
    for letter, spelled in _VNI_SINGLE.items():
        table[letter] = spelled
    table["ỵ"], table["Ỵ"] = "î", "Î"  # single characters, not y + dot
    return table


def _case(ch: str, upper: bool) -> str:
    return ch.upper() if upper else ch


@lru_cache(maxsize=1)
def _vni_decoder() -> tuple[re.Pattern, dict[str, str]]:
    back = {spelled: letter for letter, spelled in vni_table().items()}
    for spelled, letter in list(back.items()):
        if len(spelled) == 2:  # a base and its mark in different cases ("Aù"): the letter takes the base's case
            base, mark = spelled
            swapped = base + (mark.lower() if mark.isupper() else mark.upper())
            back.setdefault(swapped, letter.upper() if base.isupper() else letter.lower())
    keys = sorted(back, key=len, reverse=True)  # two-character spellings before single ones
    return re.compile("|".join(re.escape(k) for k in keys)), back


def decode_vni(raw: bytes) -> str:
    pattern, back = _vni_decoder()
    return pattern.sub(lambda m: back[m.group()], raw.decode("cp1252", errors="replace"))


def encode_vni(text: str) -> bytes:
    table = vni_table()
    return "".join(table.get(ch, ch) for ch in unicodedata.normalize("NFC", text)).encode("cp1252")
