"""The city's KPI: every agency keeps ≥ 10 high-quality open datasets, each refreshed at least as often
as promised (and at least every 3 months).

Per dataset: *published* (the portal shows it), *high quality* (what is published passed the gate, so
no blocking failure, and its overall score is ≥ the threshold, default 80) and *fresh* (its refresh
state, from the last accepted delivery and the promised frequency, is fresh or due; see
quality.liveness). An agency meets the target with ≥ 10 datasets that are both. Content currency
(the newest date in the data) is shown beside it and scores sống, but does not count here. Pure
functions of the registry, the ledger's standings and a clock.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from ..ledger import DatasetStatus
from ..quality.liveness import COUNTING, THRESHOLDS, Thresholds, content_currency, days_since, refresh_state
from ..spec.loader import Registry
from ..spec.models import Classification
from ..vocabulary import ContentCurrency, Outcome, RefreshState


@dataclass(frozen=True)
class DatasetKpi:
    dataset: str
    agency: str
    title: str
    frequency: str
    published: bool
    overall: float | None
    scores: dict
    last_refreshed_at: str | None
    refresh_state: RefreshState  # fresh | due | overdue | delinquent | never (never published)
    days_since_refresh: int | None
    content_newest: str | None  # the newest value of the date column in the published data
    content_currency: ContentCurrency  # current | stale | undated
    mqa_score: float | None  # metadata quality of its portal page, of 405 (quality.mqa), from the last daily run
    mqa_rating: str | None
    high_quality: bool
    fresh: bool
    url: str | None
    last_outcome: Outcome | None
    receipt: str | None

    @property
    def good(self) -> bool:
        return self.high_quality and self.fresh


@dataclass
class AgencyKpi:
    agency: str
    city: str
    name_vi: str
    name_en: str
    datasets: list[DatasetKpi] = field(default_factory=list)
    target: int = 10

    @property
    def published(self) -> int:
        return sum(d.published for d in self.datasets)

    @property
    def high_quality(self) -> int:
        return sum(d.high_quality for d in self.datasets)

    @property
    def fresh(self) -> int:
        return sum(d.fresh for d in self.datasets)

    @property
    def good(self) -> int:
        return sum(d.good for d in self.datasets)

    @property
    def meets(self) -> bool:
        return self.good >= self.target

    @property
    def light(self) -> str:
        """Traffic light: green meets the target, amber has open data but too little, red has none."""
        return "green" if self.meets else ("amber" if self.published else "red")

    def summary(self) -> dict:
        return {"agency": self.agency, "city": self.city, "name_vi": self.name_vi, "name_en": self.name_en,
                "published": self.published, "high_quality": self.high_quality, "fresh": self.fresh, "good": self.good,
                "target": self.target, "meets": self.meets, "light": self.light}


@dataclass
class CityKpi:
    city: str
    at: str
    agencies: list[AgencyKpi]
    name_vi: str = ""
    name_en: str = ""

    @property
    def share_meeting(self) -> float:
        return sum(a.meets for a in self.agencies) / len(self.agencies) if self.agencies else 0.0

    @property
    def without_open_data(self) -> list[str]:
        return [a.agency for a in self.agencies if a.published == 0]

    def by_state(self) -> dict[str, int]:
        counts = {s.value: 0 for s in RefreshState}
        for a in self.agencies:
            for d in a.datasets:
                counts[d.refresh_state] += 1
        return counts

    def summary(self) -> dict:
        return {"city": self.city, "at": self.at, "share_meeting": round(self.share_meeting, 4),
                "agencies_meeting": sum(a.meets for a in self.agencies), "agencies": len(self.agencies),
                "without_open_data": self.without_open_data, "by_state": self.by_state(),
                "per_agency": [a.summary() for a in self.agencies]}


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite gives back naive UTC


def dataset_kpi(spec, status: DatasetStatus | None, now: datetime, good_score: float,
                thresholds: Thresholds = THRESHOLDS) -> DatasetKpi:
    published = bool(status and status.published)
    refreshed = _aware(status.last_refreshed_at) if published else None
    state = refresh_state(refreshed, spec.update_frequency, now, thresholds)
    newest = status.content_newest if published else None
    currency = content_currency(newest, spec.update_frequency, now.date(), bool(spec.date_column), thresholds)
    overall = status.overall if status else None
    mqa = status.mqa if published else None
    return DatasetKpi(
        dataset=spec.key, agency=spec.agency, title=spec.title.vi, frequency=spec.update_frequency.value,
        published=published, overall=overall, scores=(status.scores or {}) if status else {},
        last_refreshed_at=refreshed.isoformat() if refreshed else None, refresh_state=state,
        days_since_refresh=days_since(refreshed, now) if refreshed else None,
        content_newest=newest.isoformat() if newest else None, content_currency=currency,
        mqa_score=mqa.get("total") if mqa else None, mqa_rating=mqa.get("rating") if mqa else None,
        high_quality=published and overall is not None and overall >= good_score,
        fresh=state in COUNTING, url=status.url if status else None,
        last_outcome=Outcome(status.last_outcome) if status and status.last_outcome else None,
        receipt=status.receipt if status else None)


def compute(registry: Registry, standings: dict[str, DatasetStatus], now: datetime, good_score: float = 80,
            target: int = 10, city: str | None = None, thresholds: Thresholds = THRESHOLDS) -> list[CityKpi]:
    out = []
    for c in sorted(registry.cities.values(), key=lambda c: c.code):
        if city and c.code != city:
            continue
        agencies = []
        for agency in c.agencies:
            specs = sorted((s for s in registry.datasets.values() if s.city == c.code and s.agency == agency.code
                            and s.classification == Classification.open), key=lambda s: s.key)
            agencies.append(AgencyKpi(agency.code, c.code, agency.name.vi, agency.name.en or agency.name.vi,
                                      [dataset_kpi(s, standings.get(s.key), now, good_score, thresholds) for s in specs], target))
        out.append(CityKpi(c.code, now.isoformat(timespec="seconds"), agencies, c.name.vi, c.name.en or c.name.vi))
    return out


def dataset_rows(city: CityKpi) -> list[dict]:
    return [{**asdict(d), "good": d.good} for a in city.agencies for d in a.datasets]
