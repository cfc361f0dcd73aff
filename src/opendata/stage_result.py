"""What a stage hands the next is a frozen dataclass with ``asdict()`` (plain data: what crosses an Airflow
XCom or lands in a JSON file) and ``from_dict()`` (read back on the other side, keys an older or newer
writer added ignored). This is the one home of that pattern; the results themselves live with the stage
that makes them (archive, pipeline.results, publish.sync)."""

from __future__ import annotations

from dataclasses import fields
from enum import Enum
from pathlib import Path
from typing import Any, ClassVar

from .issues import RowIssue


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, RowIssue):
        return value.asdict()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


class StageResult:
    """``asdict()`` and ``from_dict()`` for a frozen dataclass of plain values, paths, enums and issues, and a
    result made from the one before it with more fields."""

    _PATHS: ClassVar[tuple[str, ...]] = ()

    def asdict(self) -> dict:
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}  # type: ignore[arg-type]

    @classmethod
    def _read(cls, d: dict) -> dict:
        """The keys of ``d`` that are fields (an older or newer writer's extra keys are ignored), paths as paths."""
        names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        known = {k: v for k, v in d.items() if k in names}
        for name in cls._PATHS:
            if known.get(name):
                known[name] = Path(known[name])
        return known

    @classmethod
    def from_dict(cls, d: dict) -> Any:
        return cls(**cls._read(d))

    @classmethod
    def extending(cls, base: StageResult, **more: Any) -> Any:
        """This result from ``base`` (of a class this one extends) and the fields it adds."""
        return cls(**{f.name: getattr(base, f.name) for f in fields(base)}, **more)  # type: ignore[arg-type]
