"""A run's outcome from what each stage returned or raised: one reading for the DAG's ``record`` task
(from XCom) and for a run in one process (pipeline.once), so both write the same ledger entry.

Each stage leaves, under its own name (``vocabulary.Stage``), its result's ``asdict()`` as
``return_value``, or an ``error`` (a terminal failure: message and receipt), or a ``skip_reason`` (nothing
to do: no delivery, a repeat)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..vocabulary import Outcome, Stage
from .results import RunSummary

Pull = Callable[..., Any]  # (stage, key="return_value") -> what the stage left under that key, or None

# the stage whose terminal failure gives the run its outcome, latest first
FAILED_AT = ((Stage.check, Outcome.quarantined), (Stage.normalise, Outcome.unreadable), (Stage.publish, Outcome.failed),
             (Stage.archive, Outcome.failed), (Stage.fetch, Outcome.failed))


def summarise(pull: Pull) -> RunSummary:
    """The outcome, the delivery and its scores; the error and failed stage when one failed."""
    published = pull(Stage.publish)
    checked = pull(Stage.check) or {}
    archived = pull(Stage.archive) or {}
    delivery = {"sha256": archived.get("sha256") or (pull(Stage.archive, "skip_reason") or {}).get("sha256"),
                "original_name": archived.get("original_name"), "overall": checked.get("overall"),
                "scores": checked.get("scores"), "warnings": checked.get("warnings"), "receipt": checked.get("receipt")}
    if published:
        outcome = Outcome.unchanged if published["outcome"] == Outcome.unchanged else Outcome.published
        return RunSummary(outcome, **delivery, url=published["url"], content_sha256=published["content_sha256"],
                          rows=published.get("rows"), content_newest=published.get("content_newest"))
    for stage, failed in FAILED_AT:
        error = pull(stage, "error")
        if error:
            if stage == Stage.fetch and error.get("type") == "InputError":  # what the API or database gave is unusable
                failed = Outcome.unreadable
            return RunSummary(failed, **{**delivery, "receipt": error.get("receipt") or delivery["receipt"]},
                              error=error["message"], failed_stage=stage)
    skipped = pull(Stage.archive, "skip_reason") or pull(Stage.fetch, "skip_reason")
    if skipped:
        return RunSummary(Outcome(skipped["reason"]), **delivery)
    return RunSummary(Outcome.failed, **delivery, error="a stage failed without a message (see its log)")
