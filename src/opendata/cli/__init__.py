"""``opendata``: the stages from the command line, the same code the DAGs run; a verb names the stage it
ends with (``normalise``: fetch → archive → normalise; ``check`` a file; ``publish``; ``run`` all of them). One module per topic
(specs, delivery, portal, standing, archive, daily); this one only builds the parser.

Exit codes: 0 done, 1 the data was rejected, 2 the input could not be used, 3 a setup problem,
4 a transient fault (retry later).
"""

from __future__ import annotations

import argparse
import sys

from ..settings import PROJECT_ROOT
from .archive import archive_verify
from .daily import compliance_run, links_check
from .delivery import check_command, normalise_command, publish_command, run_command
from .portal import catalogue_dcat, portal_provision, reconcile_command
from .specs import spec_validate
from .standing import kpi


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="opendata", description="Open-data platform / Nền tảng dữ liệu mở")
    sub = parser.add_subparsers(dest="command", required=True)
    spec = sub.add_parser("spec", help="dataset specifications").add_subparsers(dest="spec_command", required=True)
    spec.add_parser("validate", help="check every spec in the registry").set_defaults(func=spec_validate)
    nrm = sub.add_parser("normalise", help="fetch (or take FILE), archive it untouched, normalise it; print the table "
                         "(publishes nothing)")
    nrm.add_argument("--dataset", required=True, help="dataset key (city.agency.id) or id")
    nrm.add_argument("file", nargs="?", help="a file to take instead of the dataset's source")
    nrm.set_defaults(func=normalise_command)
    chk = sub.add_parser("check", help="pre-check a file against a dataset's rules and print the receipt (nothing kept)")
    chk.add_argument("file")
    chk.add_argument("--dataset", required=True, help="dataset key (city.agency.id) or id")
    chk.set_defaults(func=check_command)
    pub = sub.add_parser("publish", help="publish the dataset's latest accepted delivery (the publish stage alone)")
    pub.add_argument("--dataset", required=True, help="dataset key (city.agency.id) or id")
    pub.add_argument("--sha256", help="re-publish this archived delivery (through the gate again) instead of the latest")
    pub.set_defaults(func=publish_command)
    rn = sub.add_parser("run", help="the dataset's whole flow in this process, onto the portal and into the ledger")
    rn.add_argument("--dataset", required=True, help="dataset key (city.agency.id) or id")
    rn.add_argument("--at", help="ISO time with zone to run at (an earlier delivery on its own day; default: now)")
    rn.set_defaults(func=run_command)
    portal = sub.add_parser("portal", help="the CKAN portal").add_subparsers(dest="portal_command", required=True)
    prov = portal.add_parser("provision", help="groups, organizations and one publisher per agency (sysadmin token)")
    prov.add_argument("--tokens-file", default=str(PROJECT_ROOT / ".dev" / "ckan" / "agency-connections.json"),
                      help="where the agency connections go (mode 600; default under the git-ignored .dev/)")
    prov.set_defaults(func=portal_provision)
    cat = sub.add_parser("catalogue", help="the city catalogue").add_subparsers(dest="catalogue_command", required=True)
    dcat = cat.add_parser("dcat", help="the portal's DCAT-AP 3 catalogue (ckanext-dcat), as the national portal harvests it")
    dcat.add_argument("--format", choices=("ttl", "jsonld", "xml"), default="ttl")
    dcat.add_argument("--out", help="file to write (default: standard output)")
    dcat.set_defaults(func=catalogue_dcat)
    arc = sub.add_parser("archive", help="the raw archive").add_subparsers(dest="archive_command", required=True)
    ver = arc.add_parser("verify", help="hash every archived object again against the manifest (exit 1 if any is "
                         "missing or corrupt)")
    ver.add_argument("--format", choices=("text", "json"), default="text")
    ver.set_defaults(func=archive_verify)
    rc = sub.add_parser("reconcile", help="the portal against the ledger: drift per dataset (exit 1 while any remains)")
    rc.add_argument("--city", help="one city")
    rc.add_argument("--format", choices=("table", "json"), default="table")
    rc.add_argument("--connections", default=str(PROJECT_ROOT / ".dev" / "ckan" / "agency-connections.json"),
                    help="the agency connections file of `opendata portal provision` (used when it exists; "
                    "AIRFLOW_CONN_* in the environment win)")
    rc.add_argument("--repair", action="store_true", help="republish from the archive what is missing or inconsistent, "
                    "remove what the platform did not put there (or the ledger never published), then compare again")
    rc.set_defaults(func=reconcile_command)
    links = sub.add_parser("links", help="the portal's download links").add_subparsers(dest="links_command", required=True)
    lc = links.add_parser("check", help="every download link the portal shows must answer (exit 1 if any does not)")
    lc.add_argument("--format", choices=("text", "json"), default="text")
    lc.set_defaults(func=links_check)
    comp = sub.add_parser("compliance", help="the compliance DAG's day").add_subparsers(dest="compliance_command",
                                                                                          required=True)
    cr = comp.add_parser("run", help="KPI snapshot, reminders, reports and the KPI's own open dataset, now")
    cr.add_argument("--pages", action="store_true", help="also write each published page's refresh state and MQA")
    cr.add_argument("--connections", default=str(PROJECT_ROOT / ".dev" / "ckan" / "agency-connections.json"),
                    help="the agency connections file of `opendata portal provision` (for --pages)")
    cr.add_argument("--format", choices=("text", "json"), default="text")
    cr.set_defaults(func=compliance_run)
    k = sub.add_parser("kpi", help="the agencies' KPI from the run ledger (≥ 10 high-quality, fresh open datasets)")
    k.add_argument("--agency", help="one agency's datasets")
    k.add_argument("--city", help="one city")
    k.add_argument("--format", choices=("table", "json", "csv"), default="table")
    k.add_argument("--at", help="ISO time to compute at (default: now)")
    k.add_argument("--trend", choices=("week", "month"), help="the share of agencies meeting the target per week or month "
                   "(the daily snapshots of the compliance DAG)")
    k.set_defaults(func=kpi)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
