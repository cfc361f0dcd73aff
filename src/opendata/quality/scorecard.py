"""Scores per dimension (0–100), the verdict of the gate, and the JSON kept with every delivery."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..issues import Dimension, RowIssue, Severity
from .runner import CheckResult


@dataclass
class Scorecard:
    dataset: str
    sha256: str
    rows: int
    scores: dict[str, float]
    overall: float
    failed_checks: dict[str, dict[str, int]]  # dimension -> severity -> count
    issues: list[RowIssue] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return not any(i.severity == Severity.blocking for i in self.issues)

    def asdict(self) -> dict:
        return {"dataset": self.dataset, "sha256": self.sha256, "rows": self.rows, "accepted": self.accepted,
                "scores": self.scores, "overall": self.overall, "failed_checks": self.failed_checks,
                "issues": [i.asdict() for i in self.issues]}


def build_scorecard(dataset: str, sha256: str, rows: int, checks: list[CheckResult], issues: list[RowIssue],
                    type_failures: dict[str, int] | None = None) -> Scorecard:
    """A dimension's score is the mean share of rows passing its checks; each column with values of the
    wrong type counts as a failed đúng check (``type_failures`` holds the full counts, ``issues`` examples)."""
    ratios: dict[str, list[float]] = {d.value: [] for d in Dimension}
    failed = {d.value: {s.value: 0 for s in Severity} for d in Dimension}
    for c in checks:
        ratios[c.dimension.value].append(c.pass_ratio)
        if not c.success:
            failed[c.dimension.value][c.severity.value] += 1
    counts = dict(type_failures or {})
    for i in issues:
        if i.rule.startswith("type:") and i.column not in counts:
            counts[i.column] = sum(1 for j in issues if j.rule == i.rule and j.column == i.column)
    for bad in counts.values():
        ratios[Dimension.correct.value].append(max(0.0, 1 - bad / rows) if rows else 0.0)
        failed[Dimension.correct.value][Severity.blocking.value] += 1
    scores = {d: round(100 * sum(r) / len(r), 1) for d, r in ratios.items() if r}
    overall = round(sum(scores.values()) / len(scores), 1) if scores else 0.0
    return Scorecard(dataset, sha256, rows, scores, overall, failed, issues)
