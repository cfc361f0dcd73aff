"""One DAG per dataset in include/datasets/, and the registry check. Reads only the specs: no pandas,
GX or network here.

A spec with a problem gets no DAG; the registry-check DAG names it (file and field) and fails until
it is fixed. Every other spec still gets its DAG.
"""

from __future__ import annotations

import logging

from opendata.airflow.dag_builder import build_dataset_dag
from opendata.airflow.platform_dags import build_registry_check_dag
from opendata.settings import load_settings
from opendata.spec.loader import load_registry


def _dags() -> dict:
    registry = load_registry(load_settings().paths.registry)
    for problem in registry.problems:
        logging.getLogger(__name__).error("dataset spec skipped: %s", problem)
    dags = [build_dataset_dag(registry.datasets[k], registry.paths[k]) for k in sorted(registry.datasets)]
    dags.append(build_registry_check_dag([str(p) for p in registry.problems]))
    return {dag.dag_id: dag for dag in dags}


globals().update(_dags())
