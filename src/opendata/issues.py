"""A problem found in a delivery: data, not an exception. Stages count them; receipts list them."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum

# The column of a normalised table that keeps each record's line in the agency's file (header = 1): the
# normalise stage writes it, the check stage names rows by it, the publish stage drops it (never public).
ROW_COLUMN = "_source_row"
MAX_EXAMPLES = 20  # rows a problem names by example in a receipt; the count says how many there are


class Dimension(StrEnum):
    """The city's standard: đúng (correct), đủ (complete), sạch (clean), sống (live)."""

    correct = "dung"
    complete = "du"
    clean = "sach"
    live = "song"


class Severity(StrEnum):
    blocking = "blocking"
    warning = "warning"


@dataclass(frozen=True)
class RowIssue:
    rule: str
    dimension: Dimension
    severity: Severity
    message_vi: str
    message_en: str
    row: int | None = None  # line number in the agency's file (header = 1)
    column: str | None = None
    value: str | None = None
    total: int | None = None  # how many cells (rows) broke this rule in this column; the examples are the first
    fix_vi: str | None = None  # advice naming what is allowed (the list, the range, the format); else the rule's own
    fix_en: str | None = None

    def asdict(self) -> dict:
        d = asdict(self)
        d["dimension"] = self.dimension.value
        d["severity"] = self.severity.value
        return d

    @classmethod
    def from_dict(cls, d: dict) -> RowIssue:
        return cls(**{**d, "dimension": Dimension(d["dimension"]), "severity": Severity(d["severity"])})
