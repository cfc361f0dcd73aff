"""The attack tests that need the real portal and Airflow use the end-to-end fixtures (tests/e2e)."""

from tests.e2e.conftest import agency_connections, airflow_db, pipeline_env, portal  # noqa: F401
