"""Text rules shared by reading and header matching: NFC, trimming, and a comparison key."""

from __future__ import annotations

import re
import unicodedata


def fold_key(text: str) -> str:
    """'  Mã  Trạm ' and 'ma tram' give the same key: case, accents, đ and spacing ignored."""
    decomposed = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", " ", bare).strip()


def decode(raw: bytes, forced: str | None = None) -> tuple[str, str]:
    """Bytes to text; returns (text, encoding). UTF-8 (with or without BOM) first, then Windows-1258."""
    if forced:
        return raw.decode(forced), forced
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8"), "utf-8-sig"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("cp1258"), "cp1258"
