"""The daily refresh states onto the portal: each agency's published datasets, with its own token.

The KPI (compliance.kpi) says where every dataset stands today; this makes each public page say the
same. An agency whose connection is missing or whose portal call fails is reported, and the others
are still updated: one agency's problem never leaves the rest of the portal out of date.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from ..exceptions import OpendataError
from ..settings import Settings
from ..sources.connections import Resolver
from ..spec.loader import Registry
from .access import access_for
from .client import CkanClient
from .sync import Publisher

log = logging.getLogger(__name__)


@dataclass
class RefreshUpdate:
    changed: list[str] = field(default_factory=list)  # dataset keys whose page now tells a new state
    unchanged: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # agency (city/agency) → why
    mqa: dict[str, dict] = field(default_factory=dict)  # dataset key → its page's MqaScore.asdict()

    def asdict(self) -> dict:
        return {"changed": self.changed, "unchanged": self.unchanged, "failed": self.failed,
                "mqa": {k: v["total"] for k, v in self.mqa.items()}}


def show_refresh_states(cities, registry: Registry, resolve: Resolver, settings: Settings) -> RefreshUpdate:
    """``cities``: compliance.kpi.CityKpi of today. The metadata quality goes with it, its reachability
    from the last link check."""
    from ..quality.links import latest_answers

    answers = latest_answers(settings.paths.data / "links")
    out = RefreshUpdate()
    for city_kpi in cities:
        city = registry.cities[city_kpi.city]
        for agency_kpi in city_kpi.agencies:
            published = [d for d in agency_kpi.datasets if d.published and d.last_refreshed_at]
            if not published:
                continue
            agency = city.agency(agency_kpi.agency)
            try:
                access = access_for(agency, city, resolve, settings)
                publisher = Publisher(CkanClient(access, retries=2), city, agency, access.url)
                for d in published:
                    changed, mqa = publisher.show_refresh(registry.get(d.dataset), d.refresh_state,
                                                          d.days_since_refresh or 0, d.last_refreshed_at, answers)
                    if changed:
                        out.changed.append(d.dataset)
                    else:
                        out.unchanged += 1
                    if mqa is not None:
                        out.mqa[d.dataset] = mqa
            except OpendataError as exc:
                log.warning("refresh states of %s/%s not shown on the portal: %s", city.code, agency.code, exc.message)
                out.failed[f"{city.code}/{agency.code}"] = exc.message
    return out
