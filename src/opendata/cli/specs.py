"""Dataset specifications: the same loader the DAG files use."""

from __future__ import annotations

import argparse
import sys

from ..settings import load_settings
from ..spec.loader import load_registry


def spec_validate(_: argparse.Namespace) -> int:
    """Exactly the loader the DAG files use; exit 1 when any spec has a problem."""
    settings = load_settings()
    reg = load_registry(settings.paths.registry)
    for problem in reg.problems:
        print(f"LỖI / ERROR  {problem}", file=sys.stderr)
    print(f"{len(reg.datasets)} dataset spec(s) valid in {len(reg.cities)} city(ies); {len(reg.problems)} problem(s)")
    return 1 if reg.problems else 0
