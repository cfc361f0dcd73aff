"""opendata: Airflow pipelines that take agency data to a CKAN open-data portal, checked on the way."""

__version__ = "0.1.0"
