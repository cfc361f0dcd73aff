"""A 2 GB delivery, the one case of the bad-input corpus too large for `make test` (issue 11).

    .venv/bin/python bench/hostile_2gb.py

Two runs, each in a fresh process whose own peak memory is read from wait4:
1. `opendata check` on a 2 GiB CSV: refused from its size before a byte is read (limits.max_bytes);
2. the same file dropped in the drop zone and fetched by `opendata normalise`: taken and archived whole
   (nothing is lost; both copies streamed), then refused by the normalise stage with a receipt.
Prints wall time, peak RSS and the exit code beside what the run must show.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "include" / "samples" / "danang" / "snnmt" / "rain-gauge-stations" / "tram-do-mua-2026-q4.csv"
SIZE = 2 << 30


def make(path: Path) -> None:
    """The sample delivery, then more of its rows, to 2 GiB (written for real: the archive copies it)."""
    rows = SAMPLE.read_bytes()
    body = rows[rows.index(b"\n") + 1:]
    with open(path, "wb") as f:
        f.write(rows)
        while f.tell() < SIZE:
            f.write(body * 64)


def run(args: list[str], env: dict) -> tuple[int, float, float, str]:
    started = time.monotonic()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        out.seek(0)
        said = " ".join(out.read().decode("utf-8", "replace").split())
    return os.waitstatus_to_exitcode(status), time.monotonic() - started, usage.ru_maxrss / 1024, said


def main() -> int:
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        data = Path(tmp) / "data"
        drop = data / "dropzone" / "danang" / "snnmt" / "rain-gauge-stations"
        drop.mkdir(parents=True)
        big = drop / "tram-do-mua-2gb.csv"
        t0 = time.monotonic()
        make(big)
        os.utime(big, (time.time() - 60, time.time() - 60))
        print(f"generated {big.stat().st_size / 2**30:.2f} GiB in {time.monotonic() - t0:.1f} s")
        size = big.stat().st_size
        env = {**os.environ, "OPENDATA__PATHS__DATA": str(data), "COLUMNS": "1000"}
        exe = str(ROOT / ".venv" / "bin" / "opendata")
        print(f"{'run':44} {'exit':>4} {'wall s':>7} {'peak MiB':>9}  refused for")
        code, secs, peak, said = run([exe, "check", "--dataset", "danang.snnmt.rain-gauge-stations", str(big)], env)
        print(f"{'opendata check (the agency pre-check)':44} {code:>4} {secs:>7.1f} {peak:>9.0f}  "
              f"{'max_bytes' if 'max_bytes' in said else said[-200:]}")
        ok = code == 2 and "max_bytes" in said and peak < 1024
        code, secs, peak, said = run([exe, "normalise", "--dataset", "danang.snnmt.rain-gauge-stations"], env)
        archived = [p for p in (data / "archive" / "objects").rglob("*") if p.is_file()]
        print(f"{'opendata normalise (drop zone → archive → read)':44} {code:>4} {secs:>7.1f} {peak:>9.0f}  "
              f"{'max_bytes' if 'max_bytes' in said else said[-200:]}; archived whole: "
              f"{any(p.stat().st_size == size for p in archived) if not big.exists() else 'not taken'}")
        ok = ok and code == 2 and "max_bytes" in said and peak < 1024
        print("target: exit 2 with a max_bytes receipt, within seconds, peak RSS under 1 GiB:", "met" if ok else "NOT MET")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
