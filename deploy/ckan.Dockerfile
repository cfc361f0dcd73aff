# The portal's CKAN image: CKAN 2.12 and its extensions from requirements/ckan.lock (the lock local
# runs install; xloader is installed there but not enabled: the platform loads the DataStore), and this
# project's plugin (deploy/ckanext-opendata) baked in: no pip at start.
FROM python:3.11.11-slim-bookworm

ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONUNBUFFERED=1 CKAN_INI=/etc/ckan/ckan.ini
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq-dev=15.* gcc=4:12.* libmagic1=1:5.* postgresql-client=15+* \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 900 --home-dir /srv/ckan ckan \
 && mkdir -p /etc/ckan /var/lib/ckan && chown ckan /etc/ckan /var/lib/ckan

COPY requirements/ckan.lock /opt/ckan/requirements/ckan.lock
RUN pip install --no-deps -r /opt/ckan/requirements/ckan.lock

COPY deploy/ckanext-opendata /opt/ckan/ckanext-opendata
RUN pip install --no-deps /opt/ckan/ckanext-opendata

COPY deploy/ckan-init.sh /opt/ckan/init.sh
COPY deploy/ckan-configure.sh /opt/ckan/configure.sh
USER ckan
RUN ckan generate config /etc/ckan/ckan.ini
ENTRYPOINT ["/opt/ckan/configure.sh"]
CMD ["gunicorn", "-c", "python:ckanext.opendata.gunicorn_conf", "ckanext.opendata.wsgi:application"]
