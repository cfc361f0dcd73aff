"""gunicorn's settings for the portal (``gunicorn -c python:ckanext.opendata.gunicorn_conf``), the same in
docker-compose.yaml and dev/portal.py. Threads, because a request mostly waits on PostgreSQL or Solr
(a bulk load for minutes); two processes, so that one stuck process does not stop the portal."""

import os

bind = os.environ.get("CKAN_BIND", "0.0.0.0:5000")
worker_class = "gthread"
workers = int(os.environ.get("CKAN_WEB_WORKERS", "2"))
threads = int(os.environ.get("CKAN_WEB_THREADS", "8"))
# A gthread worker's main loop keeps answering the arbiter while its threads serve long requests (a bulk load
# of 30M rows takes ten minutes): this bounds a worker whose loop itself stopped, not a request.
timeout = 120
graceful_timeout = 60
max_requests, max_requests_jitter = 2000, 200  # a worker is replaced now and then: no slow leak grows for months
accesslog = None  # CKAN logs each request itself ("<status> <path> render time"), into the same log
errorlog = "-"
