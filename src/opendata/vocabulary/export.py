"""The portal's words and colours as one generated file for the CKAN plugin, which runs in CKAN's own
virtualenv without the platform: ``deploy/ckanext-opendata/ckanext/opendata/vocabulary.json``. Written
by ``python -m opendata.vocabulary.export``; tests/vocabulary fails when the committed file is not what
this writes, so the plugin never keeps words of its own."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from . import DIMENSIONS, REFRESH_LABELS
from .portal import FACET_LABELS, FREQUENCY_LABELS, LIGHTS, MQA_RATINGS, QUALITY_BANDS, REFRESH_COLOURS, SOURCE_LABELS

PLUGIN_FILE = Path(__file__).resolve().parents[3] / "deploy" / "ckanext-opendata" / "ckanext" / "opendata" / "vocabulary.json"


def portal_words() -> dict:
    """Everything the portal's pages say or colour that the platform decides."""
    return {
        "dimensions": [[d.value, vi, en] for d, vi, en in DIMENSIONS],
        "refresh_states": {state.value: list(labels) for state, labels in REFRESH_LABELS.items()},
        "refresh_colours": REFRESH_COLOURS, "lights": LIGHTS,
        "sources": {k: list(v) for k, v in SOURCE_LABELS.items()},
        "facets": [[field, vi, en] for field, (vi, en) in FACET_LABELS.items()],  # in the order the page shows them
        "quality_bands": {k: list(v) for k, v in QUALITY_BANDS.items()},
        "mqa_ratings": {k: list(v) for k, v in MQA_RATINGS.items()},
        "frequencies": {k: list(v) for k, v in FREQUENCY_LABELS.items()},
    }


def render() -> str:
    return json.dumps({"generated_by": "python -m opendata.vocabulary.export", **portal_words()}, ensure_ascii=False,
                      indent=1, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    target = Path(argv[1]) if len(argv) > 1 else PLUGIN_FILE
    target.write_text(render(), encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
