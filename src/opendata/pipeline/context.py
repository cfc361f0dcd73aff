"""What every stage needs besides the spec: settings, the run id, an injected clock, the folders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..settings import Settings, load_settings
from ..spec.models import DatasetSpec


@dataclass(frozen=True)
class RunContext:
    settings: Settings
    run_id: str
    now: datetime  # the clock, injected: no stage calls datetime.now() itself

    @classmethod
    def create(cls, run_id: str, now: datetime | None = None, settings: Settings | None = None) -> RunContext:
        return cls(settings or load_settings(), run_id, now or datetime.now(UTC))

    @property
    def data(self) -> Path:
        return self.settings.paths.data

    def staging(self, spec: DatasetSpec) -> Path:
        return self.data / "staging" / spec.city / spec.agency / spec.id

    def quarantine(self, spec: DatasetSpec) -> Path:
        return self.data / "quarantine" / spec.city / spec.agency / spec.id
