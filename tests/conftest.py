"""Test set-up shared by every test: Airflow configured before anything imports it, paths on sys.path."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "dev"))

# Airflow reads its configuration when first imported: set it before any test module does.
os.environ.setdefault("AIRFLOW_HOME", str(ROOT / ".dev" / "test-airflow"))
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(ROOT / "dags")
os.environ["AIRFLOW__CORE__PLUGINS_FOLDER"] = str(ROOT / "plugins")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
os.environ.pop("AIRFLOW_CONN_OPENDATA_CKAN", None)
for key in [k for k in os.environ if k.startswith("OPENDATA__")]:
    del os.environ[key]
