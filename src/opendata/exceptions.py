"""One error base for the pipeline: which dataset, run and stage failed, and whether a retry can help."""

from __future__ import annotations


class OpendataError(Exception):
    """A job-level failure. ``transient`` errors (network, 5xx) are retried by Airflow; terminal ones are not."""

    transient = False

    def __init__(self, message: str, *, dataset: str | None = None, stage: str | None = None, run: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.dataset = dataset
        self.stage = stage
        self.run = run

    def __str__(self) -> str:
        where = " / ".join(x for x in (self.dataset, self.stage, self.run) if x)
        return f"[{where}] {self.message}" if where else self.message


class TransientError(OpendataError):
    transient = True


class ArchiveUnavailable(TransientError):
    """The archive cannot keep the delivery (its disk is full or read-only): nothing is processed, the
    delivery waits where it is and the next run (or Airflow's retry) takes it again."""


class SpecError(OpendataError):
    """A dataset specification that cannot be used; the message names the file and the field."""


class SourceError(OpendataError):
    """The source had nothing usable, or could not be read."""


class InputError(OpendataError):
    """The delivered file cannot be read as the spec describes (file, row, column in the message)."""


class QualityGateFailed(OpendataError):
    """The delivery broke a blocking rule; it is quarantined and nothing is published."""

    receipt: str | None = None  # the agency's receipt (JSON) naming every problem


class PublishError(OpendataError):
    """CKAN refused or failed a call; ``status`` is the HTTP status when there was one."""

    def __init__(self, message: str, *, status: int | None = None, **kw) -> None:
        super().__init__(message, **kw)
        self.status = status


class PortalNotFound(PublishError):
    """CKAN says the dataset, resource, organization or DataStore table asked for does not exist (404)."""


class TransientPublishError(PublishError, TransientError):
    """CKAN timed out, answered 5xx, or refused the connection."""
