"""A small Solr-compatible search index for CKAN in development and tests (production uses Apache Solr)."""
