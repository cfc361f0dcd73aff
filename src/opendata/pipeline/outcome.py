"""A run's outcome from what each stage returned or raised: one reading for the DAG's ``record`` task
(from XCom) and for a run in one process (pipeline.once), so both write the same ledger entry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..vocabulary import Outcome

Pull = Callable[..., Any]  # (stage, key="return_value") -> what the stage left under that key, or None


def summarise(pull: Pull) -> dict:
    """The outcome, the delivery and its scores; the error and failed stage when one failed."""
    published = pull("publish")
    checked = pull("quality") or {}
    archived = pull("archive") or {}
    summary = {"sha256": archived.get("sha256") or (pull("archive", "skip_reason") or {}).get("sha256"),
               "original_name": archived.get("original_name"), "overall": checked.get("overall"),
               "scores": checked.get("scores"), "warnings": checked.get("warnings"), "receipt": checked.get("receipt")}
    if published:
        outcome = Outcome.unchanged if published["outcome"] == Outcome.unchanged else Outcome.published
        return {**summary, "outcome": outcome.value,
                "url": published["url"], "content_sha256": published["content_sha256"], "rows": published.get("rows"),
                "content_newest": published.get("content_newest")}
    for task_id, failed in (("quality", Outcome.quarantined), ("normalise", Outcome.unreadable),
                            ("publish", Outcome.failed), ("archive", Outcome.failed), ("ingest", Outcome.failed)):
        error = pull(task_id, "error")
        if error:
            return {**summary, "outcome": failed.value, "error": error["message"], "failed_task": task_id,
                    "receipt": error.get("receipt") or summary["receipt"]}
    skipped = pull("archive", "skip_reason") or pull("ingest", "skip_reason")
    if skipped:
        return {**summary, "outcome": Outcome(skipped["reason"]).value}
    return {**summary, "outcome": Outcome.failed.value, "error": "a task failed without a message (see its log)"}
