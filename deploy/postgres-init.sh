#!/usr/bin/env bash
# First start of the production PostgreSQL: roles and databases for Airflow, CKAN and the DataStore.
# Passwords come from the container's environment (docker-compose.yaml), never from this file.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username postgres <<SQL
CREATE ROLE airflow LOGIN PASSWORD '${AIRFLOW_DB_PASSWORD}';
CREATE DATABASE airflow OWNER airflow;
CREATE DATABASE opendata_ledger OWNER airflow;
CREATE ROLE ckan LOGIN PASSWORD '${CKAN_DB_PASSWORD}';
CREATE DATABASE ckan OWNER ckan ENCODING 'UTF8';
CREATE DATABASE datastore OWNER ckan ENCODING 'UTF8';
CREATE ROLE datastore_ro LOGIN PASSWORD '${DATASTORE_RO_PASSWORD}';
SQL
