"""What stewards look at: the dashboard page (served by the Airflow plugin in plugins/)."""
