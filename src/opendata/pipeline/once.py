"""A dataset's whole flow in one process, outside Airflow: the same stages in the same order as its DAG
and the same ledger entry. For an operator's one-off run (``opendata run``) and for replaying a city's
earlier deliveries on the day they came (the demo); a transient fault is raised, not retried."""

from __future__ import annotations

from typing import Any

from ..exceptions import OpendataError
from ..sources.connections import Resolver
from ..spec.models import City, DatasetSpec
from ..vocabulary import Outcome, Stage
from . import stages
from .context import RunContext
from .outcome import summarise
from .results import RunEntry


class _Stopped(Exception):
    """A stage ended the run (an error recorded, or nothing new to process)."""


def run_once(spec: DatasetSpec, city: City, ctx: RunContext, resolve: Resolver, access_for) -> RunEntry:
    """fetch → archive → normalise → check → publish, then record; ``access_for()`` gives the agency's
    portal access only when there is something to publish. Returns the ledger entry."""
    left: dict[tuple[str, str], Any] = {}  # (stage, key) → what the stage left, as a DAG task leaves it in XCom

    def step(name: Stage, stage, *args):
        try:
            value = stage(*args)
        except OpendataError as exc:
            if exc.transient:
                raise
            left[(name, "error")] = {"type": type(exc).__name__, "message": exc.message, "receipt": getattr(exc, "receipt", None)}
            raise _Stopped from exc
        if value is not None:
            left[(name, "return_value")] = value.asdict()
        return value

    try:
        delivery = step(Stage.fetch, stages.fetch, spec, ctx, resolve)
        if delivery is None:
            left[(Stage.fetch, "skip_reason")] = {"reason": Outcome.no_delivery.value}
            raise _Stopped
        archived = step(Stage.archive, stages.archive, spec, ctx, delivery)
        if stages.is_repeat(spec, ctx, archived):
            del left[(Stage.archive, "return_value")]
            left[(Stage.archive, "skip_reason")] = {"reason": Outcome.repeat.value, **archived.asdict()}
            raise _Stopped
        table = step(Stage.normalise, stages.normalise, spec, ctx, archived)
        checked = step(Stage.check, stages.check, spec, ctx, table, city.province_code)
        step(Stage.publish, stages.publish, spec, city.agency(spec.agency), city, ctx, checked, access_for())
    except _Stopped:
        pass
    return stages.record(spec, ctx, summarise(lambda stage, key="return_value": left.get((stage, key))))
