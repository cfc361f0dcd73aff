"""The platform's words and colours on the portal's pages, from ``vocabulary.json``, which the platform
generates (``python -m opendata.vocabulary.export``; a test keeps the file current): the plugin keeps
no word or colour of its own, so the panel, the facets and the dashboard say the same."""

from __future__ import annotations

import json
from importlib.resources import files

WORDS: dict = json.loads(files(__package__).joinpath("vocabulary.json").read_text(encoding="utf-8"))


def both(table: str, key: str, default: str | None = None) -> str:
    """'vi / en' of ``key`` in one of the file's tables; ``default`` (or the key) when it has none."""
    found = WORDS[table].get(key)
    return f"{found[0]} / {found[1]}" if found else (default if default is not None else key)
