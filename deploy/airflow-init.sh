#!/usr/bin/env bash
# One-shot (the airflow-init service): Airflow's schema, the portal pool, the UI's passwords file, the
# agencies provisioned on CKAN (organizations, groups, one least-privilege publisher each) and their
# connections imported into Airflow. The same steps as dev/airflow_stack.py up. Safe to run again.
set -euo pipefail
secrets=/run/opendata-secrets
umask 077
airflow db migrate
airflow pools set ckan_portal "${OPENDATA_PORTAL_POOL_SLOTS:-4}" "CKAN portal: publish tasks at once"
if [ ! -s "$secrets/airflow-passwords.json" ]; then
  python -c "import json, secrets; print(json.dumps({'admin': secrets.token_urlsafe(16)}))" > "$secrets/airflow-passwords.json"
fi
OPENDATA__CKAN__TOKEN="$(cat "$secrets/ckan-sysadmin-token")" \
  opendata portal provision --tokens-file "$secrets/agency-connections.json"
python - "$secrets/agency-connections.json" <<'PY'
import json, sys
conns = json.load(open(sys.argv[1]))
conns["opendata_ckan"] = {"conn_type": "http", "host": "ckan", "port": 5000, "schema": "http"}
json.dump(conns, open(sys.argv[1], "w"))
PY
airflow connections import --overwrite "$secrets/agency-connections.json"
