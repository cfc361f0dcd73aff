"""``make fuzz``: a long random run of the property-based tests, then the coverage-guided fuzzer for
FUZZ_SECONDS, seeded with the bad-input corpus and the sample deliveries. Prints how long each ran and
how many inputs it tried; what breaks an invariant is copied into tests/fuzz/findings/ (replayed by every
``make test`` once its cause is fixed) and the run exits 1."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.fuzz.harness import SUFFIXES  # noqa: E402

WORK = ROOT / ".dev" / "fuzz"
FINDINGS = ROOT / "tests" / "fuzz" / "findings"


def seeds(folder: Path) -> int:
    """The corpus cases that are not heavy, and the samples, each behind its format's byte."""
    from tests.corpus.make_corpus import cases

    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    inputs = [(c.name, data) for c, data in cases() if not c.heavy]
    inputs += [(p.name, p.read_bytes()) for p in (ROOT / "include" / "samples").rglob("*") if p.suffix in SUFFIXES
               and p.stat().st_size < 1 << 20]
    for name, data in inputs:
        suffix = Path(name).suffix
        (folder / f"seed-{count:04d}").write_bytes(bytes([SUFFIXES.index(suffix)]) + data)
        count += 1
    return count


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("FUZZ_SECONDS", "600")))
    parser.add_argument("--examples", type=int, default=int(os.environ.get("FUZZ_EXAMPLES", "2000")))
    args = parser.parse_args()
    failed = False

    started = time.monotonic()
    env = {**os.environ, "FUZZ_EXAMPLES": str(args.examples), "FUZZ_RANDOM": "1"}
    prop = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(ROOT / "tests" / "fuzz"),
                           "-k", "not harness"], env=env, cwd=ROOT)
    print(f"[fuzz] property-based: {args.examples:,} random inputs per strategy (5 strategies over CSV, XLSX, XLS and JSON), "
          f"{time.monotonic() - started:.0f} s, {'FAILED' if prop.returncode else 'no finding'}")
    failed |= prop.returncode != 0

    corpus, artifacts = WORK / "corpus", WORK / "artifacts"
    shutil.rmtree(artifacts, ignore_errors=True)
    artifacts.mkdir(parents=True)
    seeded = seeds(WORK / "seeds")
    started = time.monotonic()
    corpus.mkdir(parents=True, exist_ok=True)
    out = subprocess.run([sys.executable, str(ROOT / "tests" / "fuzz" / "atheris_check.py"), str(corpus), str(WORK / "seeds"),
                          f"-max_total_time={args.seconds}", "-timeout=60", "-rss_limit_mb=2560", "-max_len=65536",
                          f"-artifact_prefix={artifacts}/", "-print_final_stats=1"],
                         cwd=ROOT, capture_output=True, text=True)
    runs = re.findall(r"stat::number_of_executed_units:\s*(\d+)", out.stderr)
    cov = re.findall(r"cov: (\d+)", out.stderr)
    print(f"[fuzz] coverage-guided (atheris): {time.monotonic() - started:.0f} s, {int(runs[-1]) if runs else 0:,} inputs "
          f"tried from {seeded} seeds, coverage {cov[-1] if cov else '?'} edges, corpus {len(list(corpus.iterdir()))} inputs")
    found = [p for p in artifacts.iterdir() if p.is_file()]
    for crash in found:
        data = crash.read_bytes()
        suffix = SUFFIXES[data[0] % len(SUFFIXES)] if data else ".csv"
        target = FINDINGS / f"{crash.name}{suffix}"
        target.write_bytes(data[1:])
        print(f"[fuzz] FINDING {target.relative_to(ROOT)} ({len(data) - 1} bytes); libFuzzer said:")
    if found or out.returncode not in (0,):
        print(out.stderr[-4000:])
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
