"""How fast Airflow parses the DAG folder for 10, 100, 1,000 and 10,000 dataset specs, and what a
dataset run costs Airflow around the work.

    .venv/bin/python bench/dag_parse.py [--runs 3]

Parse: a fresh process per measurement builds Airflow's DagBag from dags/ with a generated registry
(copies of the sample city's specs, bench/registry_1000.py), after importing Airflow (which the DAG
processor has done already, so it is shown apart). The first parse after a spec changes validates
every YAML file; later ones read the registry cache (opendata.spec.loader); after one spec file
changes, only that one is validated again (the cache keeps each file's digest). Targets (issue 17):
≤ 1.0 s for 1,000 specs (median, warm), ≤ 1.5 s for the first parse after a change. Writes its
section of bench/RESULTS.md.
A worker's parse: the same file parsed the way a worker does before it runs one task (Airflow's parsing
context names the DAG, and only that one is built).
Scheduling overhead: ``dag.test()`` of a dataset DAG whose drop folder is empty (fetch finds nothing
and marks the four stages after it skipped at once, record writes "no-delivery"), i.e. six task
instances with next to no work, two of them run, median of 5.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from registry_1000 import make_registry  # noqa: E402

from opendata.airflow.assets import dag_id_for  # noqa: E402
from opendata.spec.loader import load_registry  # noqa: E402

PARSE = r"""
import json, sys, time
t0 = time.perf_counter()
from airflow.dag_processing.dagbag import DagBag
import airflow.sdk
t1 = time.perf_counter()
bag = DagBag(dag_folder=sys.argv[1])
t2 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "parse_s": t2 - t1, "dags": len(bag.dags), "errors": len(bag.import_errors)}))
"""

RUN = r"""
import json, logging, sys, time
logging.disable(logging.WARNING)
from pathlib import Path
from opendata.airflow.local_run import load_dag_module, run_dag
module = load_dag_module(Path(sys.argv[1]))
dag = getattr(module, sys.argv[2])
times = []
for _ in range(int(sys.argv[3])):
    t = time.perf_counter()
    run = run_dag(dag)
    times.append(time.perf_counter() - t)
    assert run.outcome == "no-delivery", run
print(json.dumps({"runs": times}))
"""


def parse_once(registry: Path, only: str | None = None) -> dict:
    env = {**os.environ, "OPENDATA__PATHS__REGISTRY": str(registry)}
    env.pop("_AIRFLOW_PARSING_CONTEXT_DAG_ID", None)
    if only is not None:
        env["_AIRFLOW_PARSING_CONTEXT_DAG_ID"] = only
    out = subprocess.run([sys.executable, "-c", PARSE, str(ROOT / "dags")], capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise SystemExit(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", default="10,100,1000,10000", help="registry sizes, comma-separated")
    args = parser.parse_args()
    os.environ.setdefault("AIRFLOW_HOME", str(ROOT / ".dev" / "airflow"))
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(ROOT / "dags"))  # as the Makefile exports it
    print(f"DAG folder parse (dags/: dataset DAGs, registry check, platform DAGs), median of {args.runs} fresh processes\n")
    head = ("| specs | DAGs | parse s (warm) | per spec ms | after one spec changed s | new registry s | "
            "a worker's parse s | Airflow's import s (not included) |")
    table = [head, "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    print(head)
    figures: dict[int, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(s) for s in args.sizes.split(",")):
            registry = Path(tmp) / f"r{n}" / "datasets"
            make_registry(registry, n)
            first = parse_once(registry)  # the specs are parsed and validated; later parses read the registry cache
            results = [parse_once(registry) for _ in range(args.runs)]
            changed = []
            for i in range(args.runs):  # a steward edits one spec: its file alone is validated again
                edited = sorted(registry.rglob("*.yaml"))[i]
                edited.write_text(edited.read_text(encoding="utf-8") + f"# edited {i}\n", encoding="utf-8")
                changed.append(parse_once(registry))
            one = next(iter(sorted(dag_id_for(spec) for spec in load_registry(registry).datasets.values())))
            worker = [parse_once(registry, only=one) for _ in range(args.runs)]
            assert all(r["errors"] == 0 for r in [first, *results, *changed, *worker]), results
            assert all(r["dags"] == 4 for r in worker), worker  # that DAG and the three in the platform file
            parse_s = statistics.median(r["parse_s"] for r in results)
            change_s = statistics.median(r["parse_s"] for r in changed)
            figures[n] = (parse_s, change_s)
            row = (f"| {n:,} | {results[0]['dags']:,} | {parse_s:.2f} | {1000 * parse_s / n:.2f} | {change_s:.2f} | "
                   f"{first['parse_s']:.2f} | {statistics.median(r['parse_s'] for r in worker):.2f} | "
                   f"{statistics.median(r['import_s'] for r in results):.2f} |")
            table.append(row)
            print(row, flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "OPENDATA__PATHS__DATA": tmp}
        subprocess.run([str(ROOT / ".venv" / "bin" / "airflow"), "db", "migrate"], env=env, check=True, capture_output=True)
        out = subprocess.run([sys.executable, "-c", RUN, str(ROOT / "dags" / "opendata_datasets.py"),
                              "opendata__danang__snnmt__rain_gauge_stations", "5"], env=env, capture_output=True, text=True)
        if out.returncode != 0:
            raise SystemExit(out.stderr[-3000:])
        runs = json.loads(out.stdout.strip().splitlines()[-1])["runs"]
    overhead = (f"Scheduling overhead: a dataset run with nothing to do (6 task instances, `dag.test()`, in process; "
                f"fetch finds nothing and marks the 4 stages after it skipped at once, record runs): median "
                f"{statistics.median(runs):.2f} s, i.e. {statistics.median(runs) / 6 * 1000:.0f} ms per task instance "
                f"(first run {runs[0]:.2f} s, imports included). Before the stages were skipped at once, each skip "
                f"took `dag.test()` one more pass of its loop, which waits a second when no task is ready: 4.69 s.")
    print("\n" + overhead)
    verdicts = []
    if 1000 in figures:
        warm, change = figures[1000]
        verdicts.append(f"1,000 specs: warm parse **{warm:.2f} s** (target ≤ 1.0 s: {'met' if warm <= 1.0 else 'not met'}), "
                        f"after a change **{change:.2f} s** (target ≤ 1.5 s: {'met' if change <= 1.5 else 'not met'}).")
    from results import write_section

    write_section("DAG folder parse (issue 17)", "bench/dag_parse.py", "\n".join([
        f"Airflow's DagBag over dags/ (dataset DAGs, the registry check, the platform DAGs), median of {args.runs} fresh "
        "processes each; a worker's parse builds only the DAG of the task it runs (Airflow's parsing context).", "",
        *table, "", *verdicts, "", overhead]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
