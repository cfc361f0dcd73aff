"""The DAG file builds one DAG per spec, and a broken spec costs only its own DAG."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from tests.factories import ROOT

PROBE = """
import json, logging, sys
logging.disable(logging.CRITICAL)
from opendata.airflow.local_run import load_dag_module
module = load_dag_module(__import__("pathlib").Path(sys.argv[1]))
from airflow.sdk import DAG
print(json.dumps(sorted(k for k, v in vars(module).items() if isinstance(v, DAG))))
"""


def dag_ids(registry: Path) -> list[str]:
    import json
    import os

    env = {**os.environ, "OPENDATA__PATHS__REGISTRY": str(registry)}
    out = subprocess.run([sys.executable, "-c", PROBE, str(ROOT / "dags" / "opendata_datasets.py")],
                         capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_one_dag_per_spec_and_a_broken_spec_costs_only_its_own(tmp_path: Path) -> None:
    registry = tmp_path / "datasets"
    shutil.copytree(ROOT / "include" / "datasets", registry)
    healthy = dag_ids(registry)
    assert len(healthy) == 25 and "opendata__danang__snnmt__rain_gauge_stations" in healthy
    spec_path = registry / "danang" / "syt" / "hospitals.yaml"
    data = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    data["update_frequency"] = "every now and then"
    spec_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    broken = dag_ids(registry)
    assert set(broken) == set(healthy) - {"opendata__danang__syt__hospitals"}
