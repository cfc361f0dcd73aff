"""What a dataset remembers between runs: the last published table and the SQL watermark.

Written only after a successful publish, so a rejected or failed run changes nothing here and
the same rows are fetched again next time.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..spec.models import DatasetSpec
from .context import RunContext


@dataclass
class DatasetState:
    path: Path
    watermark: str | int | float | None = None
    current: str | None = None  # Parquet of the table now on the portal

    @classmethod
    def load(cls, ctx: RunContext, spec: DatasetSpec) -> DatasetState:
        path = ctx.data / "state" / f"{spec.key}.json"
        if path.exists():
            d = json.loads(path.read_text(encoding="utf-8"))
            return cls(path, d.get("watermark"), d.get("current"))
        return cls(path)

    def published(self, ctx: RunContext, spec: DatasetSpec, parquet: Path, meta: dict) -> None:
        current = ctx.staging(spec) / "current.parquet"
        current.parent.mkdir(parents=True, exist_ok=True)
        if parquet.resolve() != current.resolve():
            shutil.copyfile(parquet, current)
        self.current = str(current)
        if "watermark" in meta:
            self.watermark = meta["watermark"]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"watermark": self.watermark, "current": self.current}), encoding="utf-8")
        os.replace(tmp, self.path)


def merge_by_key(current: Path, delta: Path, key: list[str]) -> int:
    """Rows of ``delta`` replace rows of ``current`` with the same key; the result overwrites ``delta``."""
    old, new = pq.read_table(current), pq.read_table(delta)
    old = old.select(new.schema.names).cast(new.schema)
    if len(key) == 1:
        keep = pc.invert(pc.is_in(old.column(key[0]), value_set=new.column(key[0]).combine_chunks()))
    else:
        def joined(t: pa.Table) -> pa.ChunkedArray:
            return pc.binary_join_element_wise(*[pc.cast(t.column(k), pa.string()) for k in key], "\x1f")

        keep = pc.invert(pc.is_in(joined(old), value_set=joined(new).combine_chunks()))
    merged = pa.concat_tables([old.filter(keep), new])
    pq.write_table(merged, delta, compression="lz4")
    return merged.num_rows
