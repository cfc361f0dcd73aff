"""Documents on disk (SQLite), mirrored in memory for searching; keyed by CKAN's ``index_id``."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any


class DocumentStore:
    """Every add and delete is committed to disk at once, so a restart finds what CKAN indexed."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS docs (key TEXT PRIMARY KEY, body TEXT NOT NULL)")
        self._lock = threading.RLock()
        self._docs: dict[str, dict[str, Any]] = {
            key: json.loads(body) for key, body in self._db.execute("SELECT key, body FROM docs")
        }

    def add(self, docs: list[dict[str, Any]], unique_key: str = "index_id") -> None:
        with self._lock:
            rows = []
            for doc in docs:
                key = doc.get(unique_key) or doc.get("id")
                if not key:
                    raise ValueError(f"Document is missing required uniqueKey field: {unique_key}")
                self._docs[str(key)] = doc
                rows.append((str(key), json.dumps(doc, ensure_ascii=False)))
            self._db.executemany("INSERT OR REPLACE INTO docs (key, body) VALUES (?, ?)", rows)

    def delete_where(self, matches: Callable[[dict[str, Any]], bool]) -> int:
        with self._lock:
            gone = [k for k, d in self._docs.items() if matches(d)]
            for key in gone:
                del self._docs[key]
            self._db.executemany("DELETE FROM docs WHERE key = ?", [(k,) for k in gone])
            return len(gone)

    def delete_ids(self, ids: list[str]) -> int:
        return self.delete_where(lambda d: str(d.get("index_id")) in ids or str(d.get("id")) in ids)

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._docs.values())

    def close(self) -> None:
        self._db.close()
