# The platform's Airflow image: Airflow 3.3, Great Expectations and the opendata package, installed
# from requirements/airflow.lock exactly as local runs install it (make install). Nothing is installed
# at container start. Built by `docker compose build`; every process of the stack runs from it.
FROM python:3.11.11-slim-bookworm

ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONUNBUFFERED=1 \
    AIRFLOW_HOME=/opt/airflow NO_COLOR=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq5=15.* curl=7.88.* \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 50000 --home-dir /opt/airflow airflow

COPY requirements/airflow.lock /opt/opendata/requirements/airflow.lock
RUN pip install --no-deps -r /opt/opendata/requirements/airflow.lock

COPY pyproject.toml README.md /opt/opendata/
COPY src /opt/opendata/src
RUN pip install --no-deps /opt/opendata

COPY dags /opt/opendata/dags
COPY plugins /opt/opendata/plugins
COPY include /opt/opendata/include
COPY expectations /opt/opendata/expectations
COPY deploy/airflow-init.sh /opt/opendata/deploy/airflow-init.sh
ENV OPENDATA__PATHS__REGISTRY=/opt/opendata/include/datasets OPENDATA__PATHS__EXPECTATIONS=/opt/opendata/expectations

USER airflow
WORKDIR /opt/airflow
ENTRYPOINT ["airflow"]
CMD ["version"]
