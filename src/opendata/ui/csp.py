"""The Content-Security-Policy of every HTML page the platform writes or serves (one home).

The pages are self-contained: no script at all, one inline stylesheet (allowed by its hash, so an
injected <style> or style attribute is not), images only from the same origin or inline SVG. Even if
agency text ever escaped its escaping, a browser would run nothing from it and send nothing anywhere.
"""

from __future__ import annotations

import base64
import hashlib
from html import escape


def _hash(style: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(style.encode("utf-8")).digest()).decode() + "'"


def policy(*styles: str, framed_by_self: bool = True) -> str:
    """The policy for a page whose only inline styles are ``styles`` (their exact text)."""
    parts = ["default-src 'none'", f"style-src {' '.join(_hash(s) for s in styles) or chr(39) + 'none' + chr(39)}",
             "img-src 'self' data:", "base-uri 'none'", "form-action 'self'"]
    if framed_by_self:  # a header only: a <meta> policy cannot say who may frame the page
        parts.append("frame-ancestors 'self'")
    return "; ".join(parts)


def meta(*styles: str) -> str:
    """The policy as a <meta> element, for a page written to a file (a report on the portal)."""
    return f'<meta http-equiv="Content-Security-Policy" content="{escape(policy(*styles, framed_by_self=False))}">'


def headers(*styles: str) -> dict[str, str]:
    """The headers a served page goes out with."""
    return {"Content-Security-Policy": policy(*styles), "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin"}
