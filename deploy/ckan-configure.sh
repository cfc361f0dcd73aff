#!/usr/bin/env bash
# Every CKAN container's entrypoint: ckan.ini from the environment (docker-compose.yaml / .env), then
# the command. Secrets are read from the environment at start; the image itself holds none.
set -euo pipefail
ckan config-tool "$CKAN_INI" \
  "sqlalchemy.url = ${CKAN_SQLALCHEMY_URL}" \
  "ckan.datastore.write_url = ${CKAN_DATASTORE_WRITE_URL}" \
  "ckan.datastore.read_url = ${CKAN_DATASTORE_READ_URL}" \
  "solr_url = ${CKAN_SOLR_URL}" \
  "ckan.redis.url = ${CKAN_REDIS_URL}" \
  "ckan.site_url = ${CKAN_SITE_URL}" \
  "SECRET_KEY = ${CKAN_SECRET}" \
  "ckan.plugins = activity scheming_datasets datastore datatables_view image_view dcat opendata" \
  "scheming.dataset_schemas = ckanext.opendata:schemas/dataset.yaml" \
  "scheming.presets = ckanext.scheming:presets.json" \
  "ckanext.dcat.rdf.profiles = euro_dcat_ap_3 opendata_vn" \
  "ckanext.dcat.translate_keys = false" \
  "ckanext.opendata.catalog_publisher = ${CKAN_CATALOG_PUBLISHER:-UBND thành phố}" \
  "ckan.views.default_views = datatables_view image_view" \
  "ckan.storage_path = /var/lib/ckan" \
  "ckan.locale_default = vi" \
  "ckan.datastore.default_fts_lang = simple" \
  "ckan.locales_offered = vi en" \
  "ckan.auth.user_create_organizations = false" \
  "ckan.auth.create_dataset_if_not_in_organization = false" >/dev/null
if [ "${1:-}" = "gunicorn" ]; then  # the web server: the pages' JavaScript translations (`ckan run` built them at start)
  ckan -c "$CKAN_INI" translation js >/dev/null
fi
exec "$@"
