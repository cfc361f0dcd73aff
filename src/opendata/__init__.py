"""opendata: Airflow pipelines that take agency data to a CKAN open-data portal, checked on the way."""

import os

__version__ = "0.1.0"

# opendata never calls BLAS, and OpenBLAS's idle threads spin for a while after numpy is imported: about
# 0.1 s of a core taken from the column kernels in each task process (measured on 2 cores). One thread,
# unless whoever runs us said otherwise (or numpy was imported before us: then this changes nothing).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
