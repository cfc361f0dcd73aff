"""What the commands share: the run context of a terminal run, finding a spec by its key."""

from __future__ import annotations

from datetime import UTC, datetime

from ..spec.loader import load_registry


def cli_context(settings):
    """A run context for a command-line run: now, and a run id that says so."""
    from ..pipeline.context import RunContext

    now = datetime.now(UTC)
    return RunContext.create(run_id=f"cli-{now:%Y%m%dT%H%M%S}", now=now, settings=settings)


def spec_or_none(console, settings, key: str):
    """The spec and its registry, or None after saying which datasets exist."""
    reg = load_registry(settings.paths.registry)
    try:
        return reg.get(key), reg
    except KeyError as exc:
        console.print(f"[red]{exc.args[0]}[/red]")
        return None


def for_dataset(key: str):
    """What a dataset's command starts from: a console, the settings, the spec and its registry; None
    (exit 3) after saying which datasets exist."""
    from rich.console import Console

    from ..settings import load_settings

    console, settings = Console(), load_settings()
    found = spec_or_none(console, settings, key)
    return None if found is None else (console, settings, *found)


def agency_connections(path: str) -> None:
    """The agencies' own publishers, as `opendata portal provision` wrote them, for the commands that act
    for every agency; AIRFLOW_CONN_* already in the environment win."""
    from pathlib import Path

    from ..publish.provision import as_environment
    from ..settings import export_connections

    if Path(path).is_file():
        export_connections(as_environment(Path(path)))
