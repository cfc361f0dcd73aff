"""The comparison key for headers and labels."""

from __future__ import annotations

import re
import unicodedata


def fold_key(text: str) -> str:
    """'  Mã  Trạm ' and 'ma tram' give the same key: case, accents, đ and spacing ignored."""
    decomposed = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", " ", bare).strip()
