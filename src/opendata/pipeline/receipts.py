"""Where an agency finds its receipts, and writing them there without following a planted link."""

from __future__ import annotations

from pathlib import Path

from ..sources.dropzone import DropZone
from ..spec.models import DatasetSpec
from .context import RunContext


def drop_zone(ctx: RunContext) -> DropZone:
    intake = ctx.settings.intake
    return DropZone(ctx.settings.paths.dropzone_root, intake.settle_seconds, intake.look_interval_s)


def receipt_folder(spec: DatasetSpec, ctx: RunContext) -> tuple[Path, Path]:
    """(folder, trusted root): next to the agency's drop in its receipts/ folder, where it looks (never
    taken as a delivery: a folder); API and database sources under the platform's receipts/."""
    if spec.source.kind == "drop_zone":
        zone = drop_zone(ctx)
        return zone.receipts(spec), zone.root
    return ctx.data / "receipts" / spec.city / spec.agency / spec.id, ctx.data


def _receipt_stem(original_name: str, received_at: str) -> str:
    stamp = received_at.replace("-", "").replace(":", "")[:15]
    return f"{stamp}-{Path(original_name).stem}"


def write_agency_receipt(spec: DatasetSpec, ctx: RunContext, original_name: str, received_at: str, receipt: dict):
    """The receipt where the agency finds it (see receipt_folder), written without following links."""
    from ..quality.receipt import write_receipt

    folder, root = receipt_folder(spec, ctx)
    return write_receipt(folder, _receipt_stem(original_name, received_at), receipt, trusted_root=root)
