"""Several pages of one API delivery, kept as they came: the one definition of the bundle file.

Only the HTTP source writes bundles and only a delivery that came from it is read as one (never a
file that merely has the name). Every page path must lie inside the folder the platform itself
wrote the pages to (incoming, then the archive): a bundle can never point the platform at other files.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from ..exceptions import InputError

BUNDLE_SUFFIX = ".bundle.json"
BUNDLE_VERSION = 1


@dataclass(frozen=True)
class Bundle:
    format: str  # json | csv
    records_path: str | None
    url: str
    pages: list[Path]

    def to_json(self) -> str:
        return json.dumps({"opendata_bundle": BUNDLE_VERSION, "format": self.format, "records_path": self.records_path,
                           "url": self.url, "pages": [str(p) for p in self.pages]}, ensure_ascii=False, indent=1)

    def with_pages(self, pages: list[Path]) -> Bundle:
        return Bundle(self.format, self.records_path, self.url, pages)


def inside(path: Path, root: Path) -> bool:
    """``path`` is a regular file (not a link) below ``root`` once both are fully resolved."""
    try:
        real, real_root = Path(os.path.realpath(path)), Path(os.path.realpath(root))
    except OSError:
        return False
    return real.is_relative_to(real_root) and not path.is_symlink() and real.is_file()


def read_bundle(raw: bytes, allowed_root: Path, name: str = "bundle") -> Bundle:
    """Parse a bundle and check that every page lies inside ``allowed_root``."""
    try:
        data = json.loads(raw)
        if not isinstance(data, dict) or data.get("opendata_bundle") != BUNDLE_VERSION:
            raise ValueError("not a bundle of this platform")
        pages = [Path(p) for p in data["pages"]]
        bundle = Bundle(str(data["format"]), data.get("records_path"), str(data.get("url") or ""), pages)
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{name}: gói trang API không hợp lệ / not a valid bundle of API pages: {exc}",
                         stage="normalise") from None
    if bundle.format not in ("json", "csv") or not pages:
        raise InputError(f"{name}: gói trang API không hợp lệ / not a valid bundle of API pages", stage="normalise")
    for page in pages:
        if not inside(page, allowed_root):
            raise InputError(f"{name}: trang '{page.name}' nằm ngoài thư mục của nền tảng / a page lies outside the "
                             "platform's own folder: refused", stage="normalise")
    return bundle
