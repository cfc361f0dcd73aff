"""The portal's web application for gunicorn (``ckanext.opendata.wsgi:application``): CKAN's own
``make_app`` on the ckan.ini that ``CKAN_INI`` names, as the wsgi.py of CKAN's deployment guide does.

``ckan run`` is Werkzeug's development server: it answers one request at a time, so while an agency's
bulk load ran (minutes for a large file) every visitor of the portal waited for it (measured: 17.5 s
for a read during a 20 s load of 1M rows). gunicorn (``gunicorn_conf``) answers on several threads
and processes, and restarts a worker that stops answering.
"""

from __future__ import annotations

import os
from logging.config import fileConfig

from ckan.cli import CKANConfigLoader
from ckan.config.middleware import make_app

_CONFIG = os.environ["CKAN_INI"]
fileConfig(_CONFIG, disable_existing_loggers=False)
application = make_app(CKANConfigLoader(_CONFIG).get_config())
