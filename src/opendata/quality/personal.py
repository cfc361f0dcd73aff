"""Personal data in the forms people write it, found and masked by the same patterns.

A mobile number is written 0905123456, 0905.123.456, 0905 123 456, 0905-123-456, +84 905 123 456
or (+84) 905 123 456; a citizen ID (CCCD) 079203001234 or 079 203 001 234; digits may be full-width
(０９０５…, as some input methods type them). The gate's rule searches with these patterns (RE2, in
quality.fast), and a receipt masks exactly what they match (Python's re, ASCII classes as RE2's), so
what is masked is what is caught.

Every pattern runs in linear time in both engines: quantifiers are bounded, or a run can only start
after a character that cannot be inside it, so a 32,000-character cell is one pass, never a
backtracking blow-up. No look-arounds (RE2 has none); the character before a match is consumed, and
the part to mask is the pattern's one group.
"""

from __future__ import annotations

import re

_DIGIT = "[0-9\uff10-\uff19]"
_NOT_DIGIT = "[^0-9\uff10-\uff19]"
_ZERO = "[0\uff10]"
_SEP = "[ .\\-]?"  # one space, dot or dash between digits, or none
_LOCAL = "A-Za-z0-9_.+\\-\u00c0-\u1ef9"  # what an address's local part is written with (Vietnamese letters too)

# (what may come before, the personal data itself, what may come after)
_PARTS = {
    # citizen ID (CCCD): 12 digits, the province code (0xx) first
    "cccd": (f"(?:^|{_NOT_DIGIT})", f"{_ZERO}{_DIGIT}{{2}}(?:{_SEP}{_DIGIT}){{9}}", f"(?:{_NOT_DIGIT}|$)"),
    # old ID card (CMND): 9 digits in a row (with separators it reads as an amount: 123.456.789 đồng)
    "cmnd": ("(?:^|[^0-9\uff10-\uff19/])", f"{_DIGIT}{{9}}", "(?:[^0-9\uff10-\uff19/]|$)"),
    # mobile: 0 or +84, then 3/5/7/8/9 and eight more digits
    "mobile": ("(?:^|[^0-9\uff10-\uff19+])",
               f"(?:\\(\\+84\\)|\\+84|{_ZERO}){_SEP}[35789\uff13\uff15\uff17-\uff19](?:{_SEP}{_DIGIT}){{8}}",
               f"(?:{_NOT_DIGIT}|$)"),
    # e-mail: a run of address characters starts only after a character that cannot be in it
    "email": (f"(?:^|[^{_LOCAL}])", f"[{_LOCAL}]+@[A-Za-z0-9_\\-]+(?:\\.[A-Za-z0-9_\\-]+)+", ""),
}
PII_PATTERNS = {name: f"{before}(?:{found}){after}" for name, (before, found, after) in _PARTS.items()}
CONTACT_PATTERNS = ("cccd", "mobile", "email")  # in a contact column: a personal number or address still is not

_FOUND = re.compile("|".join(f"{before}({found}){after}" for before, found, after in _PARTS.values()))


def _masked(found: str) -> str:
    if "@" in found:
        return f"{found[0]}***{found[found.index('@'):]}"
    digits = [c for c in found if c.isdigit()]
    keep = "".join(digits[:3]), "".join(digits[-3:])
    return keep[0] + "*" * max(len(digits) - 6, 3) + keep[1]


def mask_personal(text: str) -> str:
    """``text`` with every match of the personal-data patterns masked: '079 203 001 234' → '079******234',
    an e-mail as 'n***@example.vn'. A receipt must not republish what the file was rejected for."""
    out, at = [], 0
    while (m := _FOUND.search(text, at)) is not None:
        group = next(i for i in range(1, len(PII_PATTERNS) + 1) if m.group(i) is not None)
        start, end = m.span(group)
        out.append(text[at:start] + _masked(m.group(group)))
        at = end  # not the match's end: the character after a number may be the next one's boundary
    return "".join(out) + text[at:]


def holds_personal(text: str) -> bool:
    """Whether the gate's rule would find personal data in ``text`` (the same patterns)."""
    return _FOUND.search(text) is not None
