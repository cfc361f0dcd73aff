"""One DAG per dataset in include/datasets/, and the registry check. Reads only the specs: no pandas,
GX or network here.

A spec with a problem gets no DAG; the registry-check DAG names it (file and field) and fails until
it is fixed. Every other spec still gets its DAG. A worker about to run one task gets only that task's
DAG built (Airflow's parsing context names it), however many specs the city has.
"""

from __future__ import annotations

import logging

from airflow.sdk import get_parsing_context

from opendata.airflow.dag_builder import dataset_dags
from opendata.settings import registry_root
from opendata.spec.loader import load_registry


def _dags() -> dict:
    registry = load_registry(registry_root())
    for problem in registry.problems:
        logging.getLogger(__name__).error("dataset spec skipped: %s", problem)
    return dataset_dags(registry, only=get_parsing_context().dag_id)


globals().update(_dags())
