"""How a benchmark's child process measures itself.

Peak memory is the process's own high-water mark (VmHWM in /proc/self/status), not
``getrusage().ru_maxrss``: Linux carries ru_maxrss over fork and exec, so a child of a parent that once
held 1.5 GiB reports 1.5 GiB whatever it did itself (what made every tool of bench/quality_1m.py show
the same peak before). A child imports this module with the bench folder on its path.
"""

from __future__ import annotations

import os
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def peak_mib() -> float:
    """This process's peak resident memory, MiB (all its threads; children not included)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a measured child: this folder importable (for ``peak_mib``)."""
    path = os.pathsep.join(p for p in (str(BENCH), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, **extra}
