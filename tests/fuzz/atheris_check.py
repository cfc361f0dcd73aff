"""The coverage-guided fuzzer (atheris, libFuzzer) over the check entry point: the first byte picks the
format, the rest is the delivery; an input that breaks an invariant (tests/fuzz/harness.py) is a crash,
written by libFuzzer where ``-artifact_prefix`` says. Run by tests/fuzz/run.py (``make fuzz``)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import atheris  # noqa: E402 - after the path, so that tests.* imports

with atheris.instrument_imports(include=["opendata"]):
    from opendata import normalise, quality  # noqa: F401 - instrumented for coverage before the harness uses them
from tests.fuzz.harness import SUFFIXES, check_bytes  # noqa: E402


def one_input(data: bytes) -> None:
    if data:
        check_bytes(data[1:], SUFFIXES[data[0] % len(SUFFIXES)])


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
