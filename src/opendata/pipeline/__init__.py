"""Stage functions ``(spec, context, input) -> result``: what Airflow tasks and the CLI both call."""
