"""Loading the dataset registry: 10, 100 and 1,000 specs (copies of the sample city's, renamed).

    .venv/bin/python bench/registry_1000.py

Target (issue 3): 1,000 specs well under a second. Prints the first load per size (every file parsed
and validated) and the median of 5 later ones (from the registry cache: what a DAG-file parse pays),
in this process, and the import cost of the loader in a fresh process. Writes its section of
bench/RESULTS.md.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from opendata.spec.loader import load_registry  # noqa: E402


def make_registry(target: Path, n: int) -> None:
    """n specs spread over cities of 10 agencies, each a renamed copy of a sample spec."""
    samples = sorted((ROOT / "include" / "datasets" / "danang").glob("*/*.yaml"))
    city_yaml = yaml.safe_load((ROOT / "include" / "datasets" / "danang" / "city.yaml").read_text(encoding="utf-8"))
    per_city = 250
    for c in range((n + per_city - 1) // per_city):
        code = f"city{c:02d}"
        agencies = [{"code": f"ag{a:02d}", "name": {"vi": f"Cơ quan {a}"}} for a in range(10)]
        cdir = target / code
        cdir.mkdir(parents=True)
        (cdir / "city.yaml").write_text(yaml.safe_dump({**city_yaml, "code": code, "agencies": agencies}, allow_unicode=True),
                                        encoding="utf-8")
        for i in range(min(per_city, n - c * per_city)):
            spec = yaml.safe_load(samples[i % len(samples)].read_text(encoding="utf-8"))
            spec["id"] = f"{spec['id']}-{i:04d}"
            adir = cdir / f"ag{i % 10:02d}"
            adir.mkdir(exist_ok=True)
            (adir / f"{spec['id']}.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")


def main() -> int:
    lines = ["| specs | first load s (every YAML validated) | from the cache s (median of 5) | per spec ms (cache) |",
             "|---:|---:|---:|---:|"]
    print(f"PyYAML with libyaml: {yaml.__with_libyaml__}")
    print(lines[0])
    for n in (10, 100, 1000):
        tmp = Path(tempfile.mkdtemp())
        try:
            make_registry(tmp, n)
            t0 = time.perf_counter()
            reg = load_registry(tmp)  # parses and validates every file, then writes the cache
            first = time.perf_counter() - t0
            times = []
            for _ in range(5):
                t0 = time.perf_counter()
                reg = load_registry(tmp)
                times.append(time.perf_counter() - t0)
            assert len(reg.datasets) == n and not reg.problems, reg.problems[:3]
            med = statistics.median(times)
            lines.append(f"| {n:,} | {first:.3f} | {med:.3f} | {1000 * med / n:.2f} |")
            print(lines[-1], flush=True)
        finally:
            shutil.rmtree(tmp)
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", "import opendata.spec.loader"],
                         capture_output=True, text=True, cwd=ROOT, env={"PYTHONPATH": str(ROOT / "src")})
    last = [line for line in out.stderr.splitlines() if "opendata.spec.loader" in line]
    imported = f"import of opendata.spec.loader in a fresh process: {int(last[-1].split('|')[1]) / 1e6:.2f} s" \
        if last else ""
    print(imported)
    sys.path.insert(0, str(ROOT / "bench"))
    from results import write_section

    write_section("Registry load", "bench/registry_1000.py", "\n".join([
        f"The registry of 10, 100 and 1,000 specs (copies of the sample city's), in one process: the first load "
        f"parses and validates every YAML file (PyYAML with libyaml: {yaml.__with_libyaml__}) and writes the "
        "registry cache; later loads read the cache. 10,000 specs: the city-sized load's section.", "", *lines, "",
        imported + "."]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
