"""One DAG per dataset in include/datasets/. Reads only the specs: no pandas, GX or network here."""

from __future__ import annotations

import logging

from opendata.airflow.dag_builder import build_dataset_dag
from opendata.settings import load_settings
from opendata.spec.loader import load_registry

_registry = load_registry(load_settings().paths.registry)
for _problem in _registry.problems:
    logging.getLogger(__name__).error("dataset spec skipped: %s", _problem)
for _key in sorted(_registry.datasets):
    _dag = build_dataset_dag(_registry.datasets[_key], _registry.paths[_key])
    globals()[_dag.dag_id] = _dag
