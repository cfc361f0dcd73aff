"""``python -m searchindex --port 8983 --data .dev/searchindex/docs.sqlite3`` (run from ``dev/``)."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from .server import make_server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="searchindex", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8983)
    parser.add_argument("--data", type=Path, required=True, help="SQLite file that keeps the documents")
    args = parser.parse_args(argv)
    server = make_server(args.host, args.port, args.data)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"searchindex listening on http://{args.host}:{args.port}/solr/ckan", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
