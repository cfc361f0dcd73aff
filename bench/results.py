"""bench/RESULTS.md: one section per benchmark, each replaced whole by the benchmark that measured it
(with the machine and the date), the others left as they were."""

from __future__ import annotations

import os
import platform
import re
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
HEADER = ("# Benchmark results\n\nWritten by the benchmarks in `bench/` (`make bench`); each section says which "
          "script measured it, on what machine and when. Figures are measured, never typed in.\n")


def machine() -> str:
    """Cores, memory and CPU model, as the benchmark saw them."""
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor() or "unknown CPU") if Path("/proc/cpuinfo").exists() \
        else platform.processor()
    mem_kb = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal:")), 0) if Path("/proc/meminfo").exists() else 0
    return f"{os.cpu_count()} cores ({model}), {mem_kb / 1024 / 1024:.1f} GiB RAM, Python {platform.python_version()}"


def write_section(name: str, script: str, body: str) -> Path:
    """Section ``name`` of RESULTS.md, replaced by ``body`` (Markdown) under a line naming the script,
    the machine and the moment."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else HEADER
    begin, end = f"<!-- section: {name} -->", f"<!-- end: {name} -->"
    stamp = f"`{script}`, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, on {machine()}."
    block = f"{begin}\n## {name}\n\n{stamp}\n\n{body.strip()}\n{end}"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + block
    RESULTS.write_text(text.rstrip("\n") + "\n", encoding="utf-8")
    return RESULTS
