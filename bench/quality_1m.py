"""The quality stage on 1,000,000 rows × 16 columns, beside pandera (on pandas) and frictionless.

    .venv/bin/python bench/quality_1m.py [--rows 1000000] [--runs 3] [--frictionless-runs 1]     (make bench installs the peers)

The file of bench/normalise_1m.py with 19 violations planted at known rows, and the 12 rules of
stack-notes (not-null ×3, unique id, 2 ranges, value set, regex, lat/lon ranges, ward in a list,
timestamp parseable); ours also runs its own PII, formula-injection and clean-text scans. Each tool
runs in a fresh process from the CSV: whole-process time, check time, peak memory; and the rows each
one flags are compared. Peak memory is each process's own (bench/measure.py). Targets (issue 17): ours
at most 0.6× pandera's whole process with the same rows found, at least 20× faster than frictionless.
Writes its section of bench/RESULTS.md.
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
from normalise_1m import OUT, STATUS, WARDS, make_csv  # noqa: E402
from results import write_section  # noqa: E402

# (row, column, bad value): row is the 0-based data row
PLANTED = [
    (10, "station_code", ""), (20, "station_code", ""), (30, "ward", ""), (40, "timestamp", ""),
    (50, "id", "DUP49"), (60, "rainfall_mm", "350.0"), (70, "rainfall_mm", "-1.0"), (80, "humidity", "150"),
    (190, "humidity", "-5"), (90, "status", "Hỏng"), (100, "status", "Không rõ"), (110, "station_code", "DN-XX-1"),
    (120, "lat", "25.0"), (130, "lon", "120.0"), (140, "ward", "Phường Phước Ninh"), (150, "ward", "Quận Hải Châu"),
    (160, "timestamp", "2025-02-30T10:00:00"), (170, "timestamp", "hôm qua"), (180, "rainfall_mm", "999.9"),
]


def make_bad_csv(rows: int) -> Path:
    good = OUT / f"readings-{rows}.csv"
    bad = OUT / f"readings-{rows}-violations.csv"
    if bad.exists():
        return bad
    if not good.exists():
        make_csv(good, rows)
    lines = good.read_text(encoding="utf-8").split("\n")
    header = [h.strip('"') for h in lines[0].split(",")]
    for row, column, value in PLANTED:
        cells = lines[row + 1].split(",")
        if value == "DUP49":
            value = lines[row].split(",")[0]  # the id of the row before
        cells[header.index(column)] = value
        lines[row + 1] = ",".join(cells)
    bad.write_text("\n".join(lines), encoding="utf-8")
    return bad


RULES = {  # the 12 rules of stack-notes' benchmark, as spec fields
    "station_code": {"required": True, "pattern": r"^DN-RG-\d{4}$"},
    "ward": {"required": True, "allowed_values": WARDS},
    "timestamp": {"required": True},
    "rainfall_mm": {"minimum": 0, "maximum": 300},
    "humidity": {"minimum": 0, "maximum": 100},
    "status": {"allowed_values": STATUS},
    "lat": {"minimum": 14.9, "maximum": 16.4},
    "lon": {"minimum": 107.1, "maximum": 109.0},
    "phone": {"format": "phone", "public": True},
    "updated_by": {"format": "email", "public": True},
}


def spec_dict() -> dict:
    from normalise_1m import spec_dict as base

    spec = base()
    for col in spec["columns"]:
        name = col["name"]
        col.update(RULES.get(name, {}))
    spec["primary_key"] = ["id"]
    spec["row_count"] = {"min": 1}
    return spec


CHILD = r"""
import json, sys, time
from measure import peak_mib
start = time.perf_counter()
tool, path, spec_json, out_dir = sys.argv[1:5]
flagged = set()
if tool == "opendata":
    import logging; logging.disable(logging.WARNING)
    from pathlib import Path
    from datetime import UTC, datetime
    from opendata.spec.models import DatasetSpec
    from opendata.normalise import normalise_for_check
    from opendata.quality.gate import judge
    spec = DatasetSpec.model_validate(json.loads(spec_json))
    t0 = time.perf_counter()
    # what `opendata check FILE` does: normalise (in memory), then the gate's judgement of every rule
    table, rows = normalise_for_check(spec, Path(path), Path(path).name, Path(out_dir))
    card, run = judge(spec, rows, "-", list(table.issues), table.type_failures, province_code=None,
                      previous_rows=None, now=datetime.now(UTC), expectations_dir=Path(out_dir) / "no-extra-suites")
    engine = run.engine
    check = time.perf_counter() - t0
    for i in table.issues + run.issues:
        if i.row is not None and i.severity.value == "blocking":
            flagged.add(i.row - 2)
elif tool == "pandera":
    import pandas as pd
    import pandera.pandas as pa
    spec = json.loads(spec_json)
    col = {c["name"]: c for c in spec["columns"]}
    df = pd.read_csv(path, dtype={"station_code": "string", "ward": "string", "timestamp": "string", "status": "string",
                                   "id": "string"}, keep_default_na=True)
    t0 = time.perf_counter()
    schema = pa.DataFrameSchema({
        "id": pa.Column("string", unique=True),
        "station_code": pa.Column("string", pa.Check.str_matches(col["station_code"]["pattern"]), nullable=False),
        "ward": pa.Column("string", pa.Check.isin(col["ward"]["allowed_values"]), nullable=False),
        "timestamp": pa.Column("string", pa.Check(
            lambda s: pd.to_datetime(s, errors="coerce", format="%Y-%m-%dT%H:%M:%S").notna(), element_wise=False),
            nullable=False),
        "rainfall_mm": pa.Column(float, pa.Check.in_range(0, 300), nullable=True),
        "humidity": pa.Column(int, pa.Check.in_range(0, 100)),
        "status": pa.Column("string", pa.Check.isin(col["status"]["allowed_values"])),
        "lat": pa.Column(float, pa.Check.in_range(14.9, 16.4)),
        "lon": pa.Column(float, pa.Check.in_range(107.1, 109.0)),
    })
    try:
        schema.validate(df, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        flagged = {int(i) for i in cases["index"].dropna()}
    check = time.perf_counter() - t0
else:
    from frictionless import Resource, Schema, validate
    spec = json.loads(spec_json)
    col = {c["name"]: c for c in spec["columns"]}
    types = {"integer": "integer", "number": "number", "string": "string", "datetime": "datetime", "boolean": "boolean"}
    fields = []
    for c in spec["columns"]:
        f = {"name": c["name"], "type": types[c.get("type", "string")], "constraints": {}}
        if c["name"] == "flag":
            f["trueValues"], f["falseValues"] = ["true"], ["false"]
        if c.get("required"):
            f["constraints"]["required"] = True
        if "minimum" in c:
            f["constraints"]["minimum"], f["constraints"]["maximum"] = c["minimum"], c["maximum"]
        if c.get("allowed_values"):
            f["constraints"]["enum"] = c["allowed_values"]
        if c.get("pattern"):
            f["constraints"]["pattern"] = c["pattern"].strip("^$")
        fields.append(f)
    fields[0]["constraints"]["unique"] = True
    t0 = time.perf_counter()
    from pathlib import Path
    p = Path(path)  # frictionless refuses absolute paths as unsafe: a base path and a relative name instead
    report = validate(Resource(path=p.name, basepath=str(p.parent), schema=Schema.from_descriptor({"fields": fields})),
                      limit_errors=1000)
    check = time.perf_counter() - t0
    if report.errors:
        raise SystemExit(f"frictionless could not validate: {report.errors[:2]}")
    for row in report.flatten(["rowNumber"]):
        if row[0] is not None:
            flagged.add(row[0] - 2)
whole = time.perf_counter() - start
print(json.dumps({"check_s": check, "process_s": whole, "flagged": sorted(flagged), "engine": locals().get("engine"),
                  "peak_mib": peak_mib()}))
"""


def measure(tool: str, path: Path, runs: int) -> dict:
    results = []
    for _ in range(runs):
        t = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", CHILD, tool, str(path), json.dumps(spec_dict()), str(OUT / "quality")],
                             capture_output=True, text=True, env=child_env())
        if out.returncode != 0:
            raise SystemExit(f"{tool} failed:\n{out.stderr[-3000:]}")
        r = json.loads(out.stdout.strip().splitlines()[-1])
        r["wall_s"] = time.perf_counter() - t
        results.append(r)
    return {**{k: statistics.median(r[k] for r in results) for k in ("check_s", "wall_s", "peak_mib")},
            "flagged": results[0]["flagged"], "engine": results[0].get("engine")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--frictionless-runs", type=int, default=1, help="it takes ~45 s a run")
    args = parser.parse_args()
    path = make_bad_csv(args.rows)
    planted_rows = {r for r, _, _ in PLANTED} | {49}  # the duplicated id stands on row 49 and row 50
    intro = (f"{args.rows:,} rows × 16 columns ({path.stat().st_size / 2**20:.0f} MiB CSV), {len(PLANTED)} planted "
             f"violations, median of {args.runs} fresh processes ({args.frictionless_runs} for frictionless)")
    print(intro + "\n", flush=True)
    results = {tool: measure(tool, path, args.frictionless_runs if tool == "frictionless" else args.runs)
               for tool in ("opendata", "pandera", "frictionless")}
    rows_md = ["| tool | check s | whole process s | peak MiB (its own) | rows flagged | = the planted rows |",
               "|---|---:|---:|---:|---:|---|"]
    print(f"{'tool':34} {'check s':>8} {'process s':>10} {'peak MiB':>9} {'rows flagged':>13} {'= planted':>10}")
    for tool, r in results.items():
        rows = set(r["flagged"])
        if 50 in rows:
            rows.add(49)  # a duplicated id is one violation on two rows; frictionless names only the second
        label = {"opendata": "opendata quality stage", "pandera": "pandera on pandas",
                 "frictionless": "frictionless.validate"}[tool]
        same = "yes" if rows == planted_rows else f"no: {sorted(rows ^ planted_rows)[:6]}"
        print(f"{label:34} {r['check_s']:8.2f} {r['wall_s']:10.2f} {r['peak_mib']:9.0f} {len(rows):13} {same:>10}")
        rows_md.append(f"| {label} | {r['check_s']:.2f} | {r['wall_s']:.2f} | {r['peak_mib']:,.0f} | {len(rows)} | {same} |")
    engine = results["opendata"]["engine"]
    print(f"\nopendata rules judged by engine: {engine} (arrow = vectorised, gx = Great Expectations)")
    ours, pandera, fl = results["opendata"]["wall_s"], results["pandera"]["wall_s"], results["frictionless"]["wall_s"]
    verdict = (f"opendata / pandera whole process: **{ours / pandera:.2f}×** (target ≤ 0.6×: "
               f"{'met' if ours / pandera <= 0.6 else 'not met'}); frictionless / opendata: **{fl / ours:.1f}×** "
               f"(target ≥ 20×: {'met' if fl / ours >= 20 else 'not met'})")
    print("\n" + verdict.replace("**", ""))
    write_section("Quality stage, 1M rows (issue 17)", "bench/quality_1m.py", "\n".join([
        intro + ". Each tool reads the CSV in a fresh process; *check* is the rules alone (ours: normalise, "
        "then every rule of the spec incl. PII, formula injection and clean text), *whole process* is the "
        "process from start to exit (interpreter, imports, read, check).", "", *rows_md, "",
        f"opendata's rules by engine: {engine} (arrow = vectorised pyarrow kernels; gx = Great Expectations).", "",
        verdict]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
