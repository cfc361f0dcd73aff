"""A 2 GB delivery, the one case of the bad-input corpus too large for `make test` (issue 11).

    .venv/bin/python bench/hostile_2gb.py

Two runs, each in a fresh process whose own peak memory is read from wait4:
1. `opendata check` on a 2 GiB CSV: refused from its size before a byte is read (limits.max_bytes);
2. the same file dropped in the drop zone and fetched by `opendata normalise`: taken and archived whole
   (nothing is lost; both copies streamed), then refused by the normalise stage with a receipt.
Prints wall time, peak RSS and the exit code beside what the run must show; writes its section of
bench/RESULTS.md. (wait4's peak of a child starts from its parent's at the fork: this parent stays
small, and its own peak is printed beside.)
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from measure import peak_mib  # noqa: E402
from results import write_section  # noqa: E402

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
        lines = ["| run | exit | wall s | peak MiB | refused for |", "|---|---:|---:|---:|---|"]
        print(lines[0])
        code, secs, peak, said = run([exe, "check", "--dataset", "danang.snnmt.rain-gauge-stations", str(big)], env)
        lines.append(f"| `opendata check` (the agency pre-check) | {code} | {secs:.1f} | {peak:,.0f} | "
                     f"{'max_bytes' if 'max_bytes' in said else said[-200:]} |")
        print(lines[-1], flush=True)
        ok = code == 2 and "max_bytes" in said and peak < 1024
        code, secs, peak, said = run([exe, "normalise", "--dataset", "danang.snnmt.rain-gauge-stations"], env)
        archived = [p for p in (data / "archive" / "objects").rglob("*") if p.is_file()]
        whole = any(p.stat().st_size == size for p in archived) if not big.exists() else "not taken"
        lines.append(f"| `opendata normalise` (drop zone → archive → read) | {code} | {secs:.1f} | {peak:,.0f} | "
                     f"{'max_bytes' if 'max_bytes' in said else said[-200:]}; archived whole: {whole} |")
        print(lines[-1])
        ok = ok and code == 2 and "max_bytes" in said and peak < 1024
        verdict = ("Target: exit 2 with a max_bytes receipt, within seconds, peak RSS under 1 GiB: "
                   f"**{'met' if ok else 'NOT MET'}** (this benchmark's own process: {peak_mib():.0f} MiB at most).")
        print(verdict.replace("**", ""))
        write_section("A 2 GiB delivery (issue 11)", "bench/hostile_2gb.py", "\n".join([
            f"A {size / 2**30:.2f} GiB CSV (the sample delivery's rows repeated), each run in a fresh process.", "",
            *lines, "", verdict]))
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
