#!/usr/bin/env bash
# One-shot (the ckan-init service): CKAN's schema, the DataStore's permissions, the platform's sysadmin
# and its API token, written 0600 into the secrets volume for airflow-init. Safe to run again.
set -euo pipefail
ckan -c "$CKAN_INI" db init
ckan -c "$CKAN_INI" db pending-migrations --apply || true
ckan -c "$CKAN_INI" datastore set-permissions \
  | psql "postgresql://postgres:${POSTGRES_PASSWORD}@postgres/datastore" -v ON_ERROR_STOP=1 >/dev/null
# Full-text words without an English dictionary (Vietnamese has none in PostgreSQL): 'english' drops
# "An" of "Hội An" as a stop word. CKAN's queries use the same (ckan.datastore.default_fts_lang = simple).
psql "postgresql://postgres:${POSTGRES_PASSWORD}@postgres/datastore" -v ON_ERROR_STOP=1 \
  -c "ALTER DATABASE datastore SET default_text_search_config = 'pg_catalog.simple'" >/dev/null
if ! ckan -c "$CKAN_INI" user show "$CKAN_SYSADMIN_NAME" | grep -q "name=${CKAN_SYSADMIN_NAME}"; then
  ckan -c "$CKAN_INI" user add "$CKAN_SYSADMIN_NAME" "email=${CKAN_SYSADMIN_EMAIL}" "password=${CKAN_SYSADMIN_PASSWORD}"
fi
ckan -c "$CKAN_INI" sysadmin add "$CKAN_SYSADMIN_NAME"
token_file=/run/opendata-secrets/ckan-sysadmin-token
if [ ! -s "$token_file" ]; then
  umask 077
  ckan -c "$CKAN_INI" user token add "$CKAN_SYSADMIN_NAME" opendata-platform | tail -1 | tr -d '[:space:]' > "$token_file"
fi
chmod 600 "$token_file"
