"""One DAG per dataset in include/datasets/. Reads only the specs: no pandas, GX or network here.

A spec with a problem is logged (file and field) and gets no DAG; every other spec still does.
"""

from __future__ import annotations

import logging

from opendata.airflow.dag_builder import build_dataset_dag
from opendata.settings import load_settings
from opendata.spec.loader import load_registry


def _dags() -> dict:
    registry = load_registry(load_settings().paths.registry)
    for problem in registry.problems:
        logging.getLogger(__name__).error("dataset spec skipped: %s", problem)
    return {dag.dag_id: dag for dag in (build_dataset_dag(registry.datasets[k], registry.paths[k])
                                        for k in sorted(registry.datasets))}


globals().update(_dags())
