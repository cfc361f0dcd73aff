"""The names a dataset has in Airflow: its DAG's id, the Asset of its published version and the Asset of
a file waiting in its drop folder. A leaf: the DAG builder, the task bodies and the platform DAGs all
name datasets through it. Also the pool every task that writes to the portal takes a slot of."""

from __future__ import annotations

from airflow.sdk import Asset

from ..spec.models import DatasetSpec

PORTAL_POOL = "ckan_portal"  # created by dev/airflow_stack.py and deploy/airflow-init.sh (airflow pools set)


def dag_id_for(spec: DatasetSpec) -> str:
    return f"opendata__{spec.city}__{spec.agency}__{spec.id}".replace("-", "_")


def dataset_asset(spec: DatasetSpec) -> Asset:
    """The published dataset: an event each time the portal shows a new delivery of it."""
    return Asset(name=spec.key, uri=f"opendata://{spec.city}/{spec.agency}/{spec.id}", group="opendata-dataset")


def drop_asset(spec: DatasetSpec) -> Asset:
    """A file waiting in the dataset's drop folder (announced by the drop-zone watcher DAG)."""
    return Asset(name=f"{spec.key}.drop", uri=f"opendata-drop://{spec.city}/{spec.agency}/{spec.id}", group="opendata-drop")
