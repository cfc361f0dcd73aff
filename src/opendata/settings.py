"""The one reader of the environment: ``OPENDATA__SECTION__KEY`` variables, secrets as SecretStr, and
the few process-level variables named below (the registry's cache folder, the streaming block sizes,
Airflow's ``AIRFLOW_CONN_*`` connections). No other module reads ``os.environ`` (tests/test_structure.py).

Nothing is read at import time: call :func:`load_settings` where the values are needed. The module is
cheap to import: :class:`Settings` (pydantic-settings, whose import alone takes 0.12 s) is built on its
first use. The DAG processor imports the dataset DAG file in a fresh process at every parse, and that
file needs only the registry's folder (:func:`registry_root`).
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from pydantic import BaseModel, Field, SecretStr, field_validator

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class PathSettings(BaseModel):
    """Where specs are read from and where pipeline state is written."""

    registry: Path = Field(PROJECT_ROOT / "include" / "datasets", description="Root of include/datasets/<city>/<agency>/*.yaml")
    expectations: Path = Field(PROJECT_ROOT / "expectations", description="Extra GX suites, <city>.<agency>.<dataset>.json")
    data: Path = Field(PROJECT_ROOT / ".dev" / "data", description="Archive, staging, receipts, quarantine")
    dropzone: Path | None = Field(None, description="Agencies' drop folders; default <data>/dropzone")

    @property
    def dropzone_root(self) -> Path:
        return self.dropzone or self.data / "dropzone"


class CkanSettings(BaseModel):
    """The portal. In Airflow the connection ``conn_id`` wins; these are the fallback for the CLI and tests."""

    conn_id: str = "opendata_ckan"
    url: str = "http://127.0.0.1:5000"
    token: SecretStr | None = None
    timeout_s: float = 30.0


class ComplianceSettings(BaseModel):
    """The city's KPI and who hears about it."""

    ledger_url: SecretStr | None = Field(None, description="SQLAlchemy URL of the ledger (a secret); default SQLite in <data>")
    good_score: float = Field(80, description="Overall score from which a dataset counts as high quality")
    target: int = Field(10, description="High-quality, fresh open datasets every agency must keep")
    stewards: list[str] = Field(default_factory=list, description="E-mail addresses of the city's data stewards")
    refresh_days: dict[str, tuple[float, float, float]] = Field(
        default_factory=dict, description="Per update frequency, the days after the last refresh at which a dataset "
        "turns due, overdue and delinquent (default quarterly: 90, 120, 150)")

    @field_validator("refresh_days")
    @classmethod
    def _ordered_days(cls, value: dict[str, tuple[float, float, float]]) -> dict[str, tuple[float, float, float]]:
        from .spec.models import Frequency

        for frequency, days in value.items():
            Frequency(frequency)  # an unknown frequency is refused with pydantic's message
            if not 0 < days[0] <= days[1] <= days[2]:
                raise ValueError(f"refresh_days.{frequency}: due, overdue and delinquent days must grow: {days}")
        return value

    def thresholds(self):
        """The refresh thresholds: the defaults with the city's own days (quality.liveness)."""
        from .quality.liveness import thresholds_with

        return thresholds_with(self.refresh_days)


class IntakeSettings(BaseModel):
    """When a dropped file counts as complete: settled for a while, unchanged between two looks."""

    settle_seconds: float = Field(2.0, ge=0, description="A file modified more recently than this is still being written")
    look_interval_s: float = Field(1.0, ge=0, description="Pause between the two looks at a drop folder")


class LinkSettings(BaseModel):
    """The portal's link check (sống): what it may reach, and for how long."""

    allow_private: bool = Field(False, description="Also check links to private, loopback and link-local addresses")
    allowed_hosts: list[str] = Field(default_factory=list, description="Hosts checked even when private (the portal's own)")
    budget_s: float = Field(600, gt=0, description="Time for the whole check; links not reached are reported as unchecked")
    timeout_s: float = Field(20, gt=0)
    max_redirects: int = Field(5, ge=0, le=20)


ENV_PREFIX = "OPENDATA__"


@cache
def _settings_class() -> type:
    from pydantic_settings import BaseSettings, SettingsConfigDict

    class Settings(BaseSettings):
        model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="ignore")

        paths: PathSettings = PathSettings()
        ckan: CkanSettings = CkanSettings()
        compliance: ComplianceSettings = ComplianceSettings()
        intake: IntakeSettings = IntakeSettings()
        links: LinkSettings = LinkSettings()

        def ledger_url(self) -> SecretStr:
            """A secret: a database URL carries its password."""
            return self.compliance.ledger_url or SecretStr(f"sqlite:///{self.paths.data / 'ledger.sqlite3'}")

    Settings.__module__, Settings.__qualname__ = __name__, "Settings"
    return Settings


def __getattr__(name: str):
    if name == "Settings":  # `from opendata.settings import Settings` builds it then
        return _settings_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load_settings() -> Settings:  # noqa: F821 - built on first use, see __getattr__
    return _settings_class()()


def registry_root() -> Path:
    """``load_settings().paths.registry``, without building the settings when the registry's folder is
    named by ``OPENDATA__PATHS__REGISTRY`` alone or not at all (the other paths do not change it). The
    section given whole as JSON (``OPENDATA__PATHS``), or the key spelt twice, is left to pydantic-settings."""
    section, key = ENV_PREFIX + "PATHS", ENV_PREFIX + "PATHS__REGISTRY"
    names = [name for name in os.environ if name.upper() == section or name.upper().startswith(key)]
    if not names:
        return PathSettings().registry
    if len(names) == 1 and names[0].upper() == key:
        return PathSettings(registry=os.environ[names[0]]).registry
    return load_settings().paths.registry


# ------------------------------------------------------------------ process-level variables, not settings


def registry_cache_base() -> Path:
    """Where the parsed registry is cached: ``OPENDATA_REGISTRY_CACHE``, else the user's cache folder."""
    named = os.environ.get("OPENDATA_REGISTRY_CACHE")
    if named:
        return Path(named)
    return Path(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")) / "opendata-registry"


def stream_sizes() -> tuple[int, int]:
    """(size from which a CSV is read in blocks, block size) in bytes: ``OPENDATA_STREAM_FROM_BYTES``,
    ``OPENDATA_BLOCK_BYTES`` (for the benchmarks and the tests), 256 MiB and 64 MiB by default."""
    return (int(os.environ.get("OPENDATA_STREAM_FROM_BYTES", 256 << 20)),
            int(os.environ.get("OPENDATA_BLOCK_BYTES", 64 << 20)))


def connection_from_environment(conn_id: str) -> str | None:
    """``AIRFLOW_CONN_<ID>``, as Airflow itself reads a connection from the environment."""
    return os.environ.get(f"AIRFLOW_CONN_{conn_id.upper()}")


def export_connections(values: dict[str, str]) -> None:
    """``AIRFLOW_CONN_*`` variables for this process, each unless it is set already (the environment wins)."""
    for name, value in values.items():
        os.environ.setdefault(name, value)
