"""Normalisation of a 1,000,000-row, 16-column CSV with Vietnamese text, beside a plain pyarrow read.

    .venv/bin/python bench/normalise_1m.py [--rows 1000000] [--runs 3]

Each measurement is a fresh process (median of --runs): whole-process wall time, the time of the
work itself, and the process's own peak RSS (bench/measure.py). Target (issue 3): opendata's
normalisation (decode, NFC, typed columns, Parquet) within 3× the pyarrow read time and within 2× its
peak memory. Writes its section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from measure import child_env  # noqa: E402

OUT = ROOT / "bench" / "output"
WARDS = ["Phường Hải Châu", "Phường Hòa Cường", "Phường Thanh Khê", "Phường An Khê", "Phường Sơn Trà",
         "Phường Ngũ Hành Sơn", "Phường Hòa Khánh", "Phường Liên Chiểu", "Xã Hòa Vang", "Xã Bà Nà", "Phường Cẩm Lệ",
         "Phường Hội An", "Xã Tam Kỳ", "Phường Điện Bàn", "Xã Đại Lộc", "Xã Duy Xuyên", "Đặc khu Hoàng Sa"]
STATUS = ["Hoạt động", "Bảo trì", "Mất kết nối", "Ngừng hoạt động", "Hiệu chuẩn"]
NOTES = ["Mưa lớn kéo dài", "Triều cường dâng cao", "Cảm biến ổn định", "Đã kiểm tra định kỳ", "Nước ngập cục bộ", ""]


def make_table(rows: int, seed: int = 48, first_id: int = 1):
    """Deterministic rows shaped like stack-notes' benchmark: ids, codes, wards, coordinates, readings."""
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    ts = np.datetime64("2025-01-01T00:00:00") + rng.integers(0, 365 * 86400, rows).astype("timedelta64[s]")
    rain = np.round(rng.uniform(0, 300, rows), 1).astype(object)
    rain[rng.random(rows) < 0.001] = None
    return pa.table({
        "id": pa.array(np.arange(first_id, first_id + rows)),
        "station_code": pa.array([f"DN-RG-{i:04d}" for i in rng.integers(1, 84, rows)]),
        "ward": pa.array(np.array(WARDS, dtype=object)[rng.integers(0, len(WARDS), rows)]),
        "lat": pa.array(np.round(rng.uniform(15.3, 16.2, rows), 5)),
        "lon": pa.array(np.round(rng.uniform(107.6, 108.4, rows), 5)),
        "timestamp": pa.array(np.datetime_as_string(ts, unit="s")),
        "rainfall_mm": pa.array(list(rain), pa.float64()),
        "water_level_m": pa.array(np.round(rng.uniform(0, 6, rows), 2)),
        "temperature_c": pa.array(np.round(rng.uniform(15, 40, rows), 1)),
        "humidity": pa.array(rng.integers(0, 101, rows)),
        "status": pa.array(np.array(STATUS, dtype=object)[rng.integers(0, 5, rows)]),
        "phone": pa.array([f"0236{n:07d}" for n in rng.integers(0, 10**7, rows)]),
        "note": pa.array(np.array(NOTES, dtype=object)[rng.integers(0, len(NOTES), rows)]),
        "category": pa.array(rng.integers(1, 10, rows)),
        "flag": pa.array(rng.random(rows) < 0.5),
        "updated_by": pa.array([f"canbo{n}@danang.gov.vn" for n in rng.integers(0, 500, rows)]),
    })


def make_csv(path: Path, rows: int, chunk: int = 1_000_000) -> None:
    """The file, written a million rows at a time (each million its own seed), so that a 30M-row file
    never sits in memory; its first million rows are the 1M-row file's."""
    import pyarrow.csv as pacsv

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    writer = None
    for n, start in enumerate(range(0, rows, chunk)):
        table = make_table(min(chunk, rows - start), 48 + n, start + 1)
        writer = writer or pacsv.CSVWriter(tmp, table.schema)
        writer.write_table(table)
    writer.close()
    tmp.replace(path)


def spec_dict() -> dict:
    cols = [("id", "integer"), ("station_code", "string"), ("ward", "string"), ("lat", "number"), ("lon", "number"),
            ("timestamp", "datetime"), ("rainfall_mm", "number"), ("water_level_m", "number"), ("temperature_c", "number"),
            ("humidity", "integer"), ("status", "string"), ("phone", "string"), ("note", "string"), ("category", "integer"),
            ("flag", "boolean"), ("updated_by", "string")]
    return {"id": "bench-1m", "city": "danang", "agency": "ioc", "title": {"vi": "Bench"}, "description": {"vi": "Bench"},
            "domain": "moi-truong", "contact": {"name": "IOC", "email": "ioc@danang.gov.vn"}, "update_frequency": "daily",
            "source": {"kind": "drop_zone"}, "columns": [{"name": n, "label": {"vi": n}, "type": t} for n, t in cols]}


# --------------------------------------------------------------- what runs inside each fresh process

CHILD = r"""
import json, sys, time
from measure import peak_mib
start = time.perf_counter()
mode, path, out = sys.argv[1], sys.argv[2], sys.argv[3]
if mode == "pyarrow":
    import pyarrow.csv as pacsv
    t0 = time.perf_counter()
    table = pacsv.read_csv(path)
    work = time.perf_counter() - t0
    rows = table.num_rows
else:
    from pathlib import Path
    from opendata.spec.models import DatasetSpec
    from opendata.normalise import normalise_file
    spec = DatasetSpec.model_validate(json.loads(sys.argv[4]))
    t0 = time.perf_counter()
    result = normalise_file(spec, Path(path), Path(path).name, Path(out))
    work = time.perf_counter() - t0
    rows = result.rows
    assert not result.issues, result.issues[:3]
    convert_s, write_s = result.seconds["convert"], result.seconds["write"]
whole = time.perf_counter() - start
print(json.dumps({"work_s": work, "process_s": whole, "rows": rows,
                  "convert_s": convert_s if mode != "pyarrow" else work, "write_s": write_s if mode != "pyarrow" else 0.0,
                  "peak_mib": peak_mib()}))
"""


def measure(mode: str, csv_path: Path, runs: int) -> dict:
    results = []
    for _ in range(runs):
        started = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", CHILD, mode, str(csv_path), str(OUT / "normalised"), json.dumps(spec_dict())],
                             capture_output=True, text=True, check=True, env=child_env())
        r = json.loads(out.stdout.strip().splitlines()[-1])
        r["wall_s"] = time.perf_counter() - started
        results.append(r)
    keys = ("work_s", "process_s", "wall_s", "peak_mib", "rows", "convert_s", "write_s")
    return {k: statistics.median(r[k] for r in results) for k in keys}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    csv_path = OUT / f"readings-{args.rows}.csv"
    if not csv_path.exists():
        print(f"writing {csv_path} …", flush=True)
        make_csv(csv_path, args.rows)
    size = csv_path.stat().st_size / 2**20
    print(f"{args.rows:,} rows × 16 columns, {size:.0f} MiB, median of {args.runs} fresh processes\n")
    base = measure("pyarrow", csv_path, args.runs)
    ours = measure("opendata", csv_path, args.runs)
    lines = ["| tool | read/convert s | + Parquet s | whole process s | peak MiB (its own) |", "|---|---:|---:|---:|---:|",
             f"| pyarrow.csv.read_csv (types inferred) | {base['convert_s']:.2f} | – | {base['wall_s']:.2f} | "
             f"{base['peak_mib']:,.0f} |",
             f"| opendata normalise (decode, NFC, typed, cleaned) | {ours['convert_s']:.2f} | {ours['write_s']:.2f} | "
             f"{ours['wall_s']:.2f} | {ours['peak_mib']:,.0f} |"]
    print("\n".join(lines))
    ratio_t, ratio_m = ours["convert_s"] / base["convert_s"], ours["peak_mib"] / base["peak_mib"]
    ratio_all = ours["work_s"] / base["convert_s"]
    verdict = (f"opendata / pyarrow: normalisation {ratio_t:.2f}× (target ≤ 3×; {ratio_all:.2f}× with the Parquet "
               f"write), peak memory {ratio_m:.2f}× (target ≤ 2×)")
    print("\n" + verdict)
    from results import write_section

    write_section("Normalisation, 1M rows", "bench/normalise_1m.py", "\n".join([
        f"{args.rows:,} rows × 16 columns ({size:.0f} MiB CSV), median of {args.runs} fresh processes.", "", *lines, "",
        verdict]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
