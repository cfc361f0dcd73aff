"""What a dataset remembers between runs: the last published table and the SQL watermark, in the ledger
(ledger.DatasetCarry), so a backup of the ledger is a backup of it.

Written only after a successful publish, so a rejected or failed run changes nothing here and
the same rows are fetched again next time.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..spec.models import DatasetSpec
from .context import RunContext

_imported: set[tuple[str, str]] = set()


def state_ledger(settings):
    """The ledger that keeps the run state, with any state files from before it did imported (once per
    process and data folder)."""
    from .. import ledger

    engine = ledger.open_ledger(settings.ledger_url())
    done = (settings.ledger_url().get_secret_value(), str(settings.paths.data))
    if done not in _imported:
        ledger.import_state_files(engine, settings.paths.data)
        _imported.add(done)
    return engine


@dataclass
class DatasetState:
    dataset: str
    watermark: str | int | float | None = None
    current: str | None = None  # Parquet of the table now on the portal

    @classmethod
    def load(cls, ctx: RunContext, spec: DatasetSpec) -> DatasetState:
        from .. import ledger

        row = ledger.carry(state_ledger(ctx.settings), spec.key)
        return cls(spec.key, row.watermark, row.current_table) if row else cls(spec.key)

    def published(self, ctx: RunContext, spec: DatasetSpec, parquet: Path, meta: dict) -> None:
        from .. import ledger

        current = ctx.staging(spec) / "current.parquet"
        current.parent.mkdir(parents=True, exist_ok=True)
        if parquet.resolve() != current.resolve():
            shutil.copyfile(parquet, current)
        self.current = str(current)
        if "watermark" in meta:
            self.watermark = meta["watermark"]
        ledger.carry_published(state_ledger(ctx.settings), spec.key, self.current, self.watermark,
                               keep_watermark="watermark" not in meta)


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
