# opendata: the two commands that matter are `make demo` and `make test`; each installs what is missing first.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
VENV_CKAN := .venv-ckan
UV := $(VENV)/bin/uv
export AIRFLOW_HOME ?= $(CURDIR)/.dev/airflow
export AIRFLOW__CORE__DAGS_FOLDER := $(CURDIR)/dags
export AIRFLOW__CORE__PLUGINS_FOLDER := $(CURDIR)/plugins
export AIRFLOW__CORE__LOAD_EXAMPLES := False
export AIRFLOW__CORE__PARALLELISM := 4
export NO_COLOR := 1
export AIRFLOW__LOGGING__LOGGING_LEVEL ?= WARNING
# Byte-code compiled at install: with PYTHONDONTWRITEBYTECODE set (as on this machine) every process
# would otherwise compile pandas, Airflow and GX from source again (about a second per process).
export UV_COMPILE_BYTECODE := 1

.PHONY: help system-deps install portal-up portal-down down portal-status demo dashboard test fuzz bench bench-load lint lock clean-dev

help:
	@echo "make demo          install, start the local portal, run the sample pipelines, print where to look"
	@echo "make test          install, bring up the portal if needed, run the whole test suite"
	@echo "make down          stop everything make demo started (Airflow, the portal), by pid"
	@echo "make portal-up | portal-down | portal-status   the local CKAN stack (dev/)"
	@echo "make fuzz          fuzz the readers and the check entry point (FUZZ_SECONDS=600, FUZZ_EXAMPLES=2000)"
	@echo "make lint          ruff"

# Debian packages the portal needs: PostgreSQL 15 server, redis, headers to build psycopg2, Java 17 and
# Maven to build Apache Solr;
# headless Chromium for the browser tests; docker-compose to check docker-compose.yaml (no engine needed).
system-deps: .dev/.system-deps
.dev/.system-deps:
	@mkdir -p .dev
	@need=""; \
	  [ -x /usr/lib/postgresql/15/bin/initdb ] || need="$$need postgresql-15"; \
	  command -v psql >/dev/null || need="$$need postgresql-client-15"; \
	  command -v redis-server >/dev/null || need="$$need redis-server"; \
	  command -v pg_config >/dev/null || need="$$need libpq-dev"; \
	  command -v runuser >/dev/null || need="$$need util-linux"; \
	  command -v chromium >/dev/null || need="$$need chromium"; \
	  command -v docker-compose >/dev/null || need="$$need docker-compose"; \
	  command -v javac >/dev/null || need="$$need openjdk-17-jdk-headless"; \
	  command -v mvn >/dev/null || need="$$need maven"; \
	  if [ -n "$$need" ]; then \
	    echo "[install] apt-get install$$need"; \
	    SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$need >/dev/null; \
	  fi
	@touch $@

$(UV):
	$(PY) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check uv==0.13.8

# Airflow + GX + the opendata package (editable), exactly as locked.
$(VENV)/.installed: requirements/airflow.lock pyproject.toml | $(UV)
	@echo "[install] $(VENV): Airflow, Great Expectations, opendata"
	$(UV) pip install -q --python $(VENV)/bin/python --no-deps -r requirements/airflow.lock
	$(UV) pip install -q --python $(VENV)/bin/python --no-deps -e .
	@touch $@

# CKAN 2.12 and ckanext-xloader in their own venv (CKAN pins SQLAlchemy/Flask apart from Airflow's).
$(VENV_CKAN)/.installed: requirements/ckan.lock deploy/ckanext-opendata/pyproject.toml | $(UV) system-deps
	@echo "[install] $(VENV_CKAN): CKAN 2.12, ckanext-xloader, ckanext-opendata"
	[ -x $(VENV_CKAN)/bin/python ] || $(PY) -m venv $(VENV_CKAN)
	$(UV) pip install -q --python $(VENV_CKAN)/bin/python --no-deps -r requirements/ckan.lock
	$(UV) pip install -q --python $(VENV_CKAN)/bin/python --no-deps -e deploy/ckanext-opendata
	@touch $@

# Apache Solr 9 from Maven Central (solr-core in its embedded Jetty runner), for the local portal.
SOLR_LAUNCHER := dev/solr/target/solr-launcher.jar
$(SOLR_LAUNCHER): dev/solr/pom.xml $(wildcard dev/solr/src/main/java/opendata/dev/*.java) | system-deps
	@echo "[install] dev/solr: Apache Solr from Maven Central"
	mvn -q -B -f dev/solr/pom.xml package
	@touch $@

install: system-deps $(VENV)/.installed $(VENV_CKAN)/.installed $(SOLR_LAUNCHER)

# Re-resolve the locks after editing requirements/*.in.
lock: | $(UV)
	$(UV) pip compile -q --python-version 3.11 requirements/airflow.in -o requirements/airflow.lock
	$(UV) pip compile -q --python-version 3.11 --override requirements/ckan-overrides.txt requirements/ckan.in -o requirements/ckan.lock
	$(UV) pip compile -q --python-version 3.11 requirements/airflow.in requirements/bench.in -o requirements/bench.lock
	$(UV) pip compile -q --python-version 3.11 requirements/fuzz.in -o requirements/fuzz.lock

portal-up: install
	$(VENV)/bin/python dev/portal.py up

# Stops every process `make demo` and the tests started (Airflow's, then the portal's), by pid.
down portal-down:
	@$(PY) dev/portal.py down

portal-status:
	@$(PY) dev/portal.py status

demo: portal-up
	$(VENV)/bin/python dev/demo.py

test: install
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

# Fuzzing: a long random run of the property-based tests, then atheris (coverage-guided) for FUZZ_SECONDS;
# what it finds lands in tests/fuzz/findings/, which every `make test` replays. atheris only here.
fuzz: install
	$(UV) pip install -q --python $(VENV)/bin/python --no-deps -r requirements/fuzz.lock
	$(VENV)/bin/python tests/fuzz/run.py

# Benchmarks print figures beside the peer tools' (pandera, frictionless are installed for them only).
# Airflow's api-server with this project's plugins: the UI, and the stewards' dashboard at /opendata/
dashboard: install
	$(VENV)/bin/airflow db migrate >/dev/null
	$(VENV)/bin/airflow api-server --port $${AIRFLOW_PORT:-8080}

bench: install
	$(UV) pip install -q --python $(VENV)/bin/python --no-deps -r requirements/bench.lock
	$(VENV)/bin/python bench/registry_1000.py
	$(VENV)/bin/python bench/normalise_1m.py
	$(VENV)/bin/python bench/quality_1m.py
	$(VENV)/bin/python bench/dag_parse.py
	$(VENV)/bin/python bench/datastore_1m.py
	$(VENV)/bin/python bench/hostile_2gb.py
	$(VENV)/bin/python bench/large_csv.py
	$(MAKE) bench-load

# A generated city of 600 specs through Airflow's real scheduler onto the local portal (about an hour
# on 2 cores); writes its section of bench/RESULTS.md
bench-load: install portal-up
	$(VENV)/bin/python bench/city_load.py

lint: install
	$(VENV)/bin/ruff check src dags plugins dev tests bench

# Removes all local state (portal data, archive, Airflow DB). Stops the stack first.
clean-dev:
	@$(PY) dev/portal.py purge
