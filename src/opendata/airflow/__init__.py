"""Airflow 3 shell around the library: DAGs built from specs, tasks that call the stage functions."""
