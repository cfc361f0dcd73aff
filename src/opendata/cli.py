"""``opendata``: the stages from the command line, the same code the DAGs run."""

from __future__ import annotations

import argparse
import sys

from .settings import load_settings
from .spec.loader import load_registry


def spec_validate(_: argparse.Namespace) -> int:
    """Exactly the loader the DAG files use; exit 1 when any spec has a problem."""
    settings = load_settings()
    reg = load_registry(settings.paths.registry)
    for problem in reg.problems:
        print(f"LỖI / ERROR  {problem}", file=sys.stderr)
    print(f"{len(reg.datasets)} dataset spec(s) valid in {len(reg.cities)} city(ies); {len(reg.problems)} problem(s)")
    return 1 if reg.problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="opendata", description="Open-data platform / Nền tảng dữ liệu mở")
    sub = parser.add_subparsers(dest="command", required=True)
    spec = sub.add_parser("spec", help="dataset specifications").add_subparsers(dest="spec_command", required=True)
    spec.add_parser("validate", help="check every spec in the registry").set_defaults(func=spec_validate)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
