"""The drop zone's side of the fetch stage: what is taken, what is refused, what is found again.

Order of a run: first a file taken by a run that died before archiving it (``.taken/`` swept), then
the refusals of this look (each set aside, its bytes archived where they can be read safely, a
receipt written and a line recorded), then the oldest complete file.
"""

from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path

from ..archive import RawArchive
from ..sources.base import RawDelivery
from ..sources.dropzone import DropZone, Refusal, stable
from ..sources.safe_fs import UnsafePath
from ..spec.models import DatasetSpec
from .context import RunContext
from .receipts import write_agency_receipt

log = logging.getLogger(__name__)


def next_drop(spec: DatasetSpec, ctx: RunContext, zone: DropZone, archive: RawArchive, incoming: Path) -> RawDelivery | None:
    try:
        recovered = zone.untaken(spec, archive.known(spec.key), incoming, ctx.now)
        if recovered is not None:
            log.warning("%s was taken by an earlier run but never archived: delivered again", recovered.original_name)
            return recovered
        first = zone.look(spec, ctx.now)
        for refusal in first.refused:
            refuse(spec, ctx, zone, archive, refusal)
        if not first.ready:
            log.info("no new file in %s", zone.folder(spec))
            return None
        time.sleep(zone.look_interval_s)
        for look in stable(first.ready, zone.look(spec, ctx.now).ready):
            delivery = zone.take(spec, look, ctx.now, incoming)
            if delivery is not None:
                return delivery
        log.info("the files in %s are still changing: left for the next run", zone.folder(spec))
        return None
    except UnsafePath as exc:
        _receipt(spec, ctx, "(thư mục / folder)", exc.message, platform_side=True)
        exc.dataset = spec.key
        raise


def refuse(spec: DatasetSpec, ctx: RunContext, zone: DropZone, archive: RawArchive, refusal: Refusal) -> dict:
    """Set the entry aside, keep its bytes if they can be read safely, tell the agency, record it."""
    moved_as = zone.set_aside(spec, refusal, ctx.now)
    sha256 = None
    if moved_as is not None and refusal.reason == "bad_name":
        data = zone.read_refused(spec, moved_as, spec.limits.max_bytes)
        if data is not None:
            sha256 = archive.put(data).name
    entry = {"dataset": spec.key, "name": refusal.name, "reason": refusal.reason, "detail": refusal.detail_en,
             "size": refusal.size, "link_target": refusal.link_target, "moved_as": moved_as, "sha256": sha256,
             "at": ctx.now.isoformat(), "run": ctx.run_id}
    archive.record_refusal(entry)
    _receipt(spec, ctx, refusal.name, f"Tệp '{refusal.name}' bị từ chối: {refusal.detail_vi}. {refusal.fix_vi} / The file "
             f"'{refusal.name}' was refused: it {refusal.detail_en}. {refusal.fix_en}")
    log.warning("refused %s in %s: %s", refusal.name, zone.folder(spec), refusal.detail_en)
    return entry


def _receipt(spec: DatasetSpec, ctx: RunContext, shown_name: str, message: str, platform_side: bool = False) -> None:
    from ..quality.receipt import receipt_dict, write_receipt

    told = receipt_dict(spec.key, spec.title.vi, shown_name, False, {}, None, [], ctx.now.isoformat(), error=message)
    if platform_side:  # the agency's folder itself cannot be trusted: the receipt stays with the platform
        write_receipt(ctx.data / "receipts" / spec.city / spec.agency / spec.id, f"{ctx.now:%Y%m%dT%H%M%S}-refused",
                      told, trusted_root=ctx.data)
    else:
        stem = f"refused-{hashlib.sha256(shown_name.encode()).hexdigest()[:12]}"
        write_agency_receipt(spec, ctx, stem, ctx.now.isoformat(), told)
