"""opendata.settings: the light reading of the registry's folder that the DAG file uses must give what
pydantic-settings gives, in every way the environment can say it; and importing the module (or parsing the
dataset DAG file) must not import pydantic-settings, whose import alone costs the DAG processor 0.12 s a parse."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from opendata.settings import PROJECT_ROOT, load_settings, registry_root
from tests.factories import ROOT

PRODUCTION = {"OPENDATA__PATHS__DATA": "/var/lib/opendata", "OPENDATA__PATHS__DROPZONE": "/srv/dropzone",
              "OPENDATA__PATHS__REGISTRY": "/opt/opendata/include/datasets",
              "OPENDATA__PATHS__EXPECTATIONS": "/opt/opendata/expectations"}


@pytest.mark.parametrize(("env", "expected"), [
    ({}, PROJECT_ROOT / "include" / "datasets"),
    ({"OPENDATA__PATHS__REGISTRY": "/srv/specs"}, Path("/srv/specs")),
    ({"opendata__paths__registry": "/srv/lower"}, Path("/srv/lower")),
    ({"OPENDATA__PATHS__REGISTRY": "relative/specs"}, Path("relative/specs")),
    (PRODUCTION, Path("/opt/opendata/include/datasets")),
    ({"OPENDATA__PATHS__DATA": "/srv/data"}, PROJECT_ROOT / "include" / "datasets"),
    ({"OPENDATA__PATHS": '{"registry": "/srv/json"}'}, Path("/srv/json")),
    ({"OPENDATA__PATHS": '{"data": "/srv/data"}', "OPENDATA__PATHS__REGISTRY": "/srv/both"}, Path("/srv/both")),
])
def test_the_registry_root_is_what_the_settings_say(monkeypatch, env: dict, expected: Path) -> None:
    for name in list(os.environ):
        if name.upper().startswith("OPENDATA__"):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert registry_root() == load_settings().paths.registry == expected


def test_a_bad_registry_path_is_refused_as_the_settings_refuse_it(monkeypatch) -> None:
    monkeypatch.setenv("OPENDATA__PATHS", "not json")
    with pytest.raises(Exception) as light:
        registry_root()
    with pytest.raises(Exception) as full:
        load_settings()
    assert type(light.value) is type(full.value)


def test_neither_the_module_nor_the_dataset_dag_file_imports_pydantic_settings() -> None:
    probe = (
        "import sys\n"
        "import opendata.settings\n"
        "assert 'pydantic_settings' not in sys.modules, 'opendata.settings'\n"
        "from airflow.dag_processing.dagbag import DagBag\n"
        "assert 'pydantic_settings' not in sys.modules, 'airflow'\n"
        f"bag = DagBag(dag_folder={str(ROOT / 'dags' / 'opendata_datasets.py')!r})\n"
        "assert not bag.import_errors and len(bag.dags) > 10, (bag.import_errors, len(bag.dags))\n"
        "assert 'pydantic_settings' not in sys.modules, 'the DAG file'\n"
        "from opendata.settings import Settings\n"
        "assert 'pydantic_settings' in sys.modules and Settings.__name__ == 'Settings'\n")
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("OPENDATA__PATHS")}
    env.update(PRODUCTION, OPENDATA__PATHS__REGISTRY=str(ROOT / "include" / "datasets"))
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
