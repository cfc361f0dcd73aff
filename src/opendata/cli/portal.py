"""The portal: provisioning the agencies, the DCAT catalogue, and the portal against the ledger."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

from ..settings import load_settings
from ..spec.loader import load_registry
from .common import agency_connections


def portal_provision(args: argparse.Namespace) -> int:
    """Groups, organizations and a least-privilege publisher per agency, with the platform's sysadmin token
    (OPENDATA__CKAN__TOKEN). Agency tokens go to FILE (Airflow `connections import` format, mode 600)."""
    from rich.console import Console

    from ..exceptions import OpendataError
    from ..publish.client import CkanClient, PortalAccess
    from ..publish.provision import provision

    console = Console()
    settings = load_settings()
    if settings.ckan.token is None:
        console.print("[red]OPENDATA__CKAN__TOKEN (a sysadmin token) is needed to provision the portal[/red]")
        return 3
    reg = load_registry(settings.paths.registry)
    try:
        report = provision(CkanClient(PortalAccess(settings.ckan.url, settings.ckan.token)), reg, Path(args.tokens_file))
    except OpendataError as exc:
        console.print(f"[red]{exc}[/red]")
        return 3
    console.print(f"{len(report.groups)} nhóm / groups, {len(report.organizations)} tổ chức / organizations, "
                  f"{len(report.users)} tài khoản đăng dữ liệu / publishers ({len(report.new_tokens)} new token(s)); "
                  f"connections in {args.tokens_file}: `airflow connections import {args.tokens_file}`")
    return 0


def catalogue_dcat(args: argparse.Namespace) -> int:
    """The portal's catalogue as DCAT-AP 3, from ckanext-dcat's endpoint (``/catalog.<format>``, every page
    merged into one graph): the same document the national portal harvests."""
    from rich.console import Console

    from ..exceptions import OpendataError
    from ..publish.catalogue import fetch_catalogue

    console = Console(stderr=True)
    settings = load_settings()
    try:
        graph, pages = fetch_catalogue(settings.ckan.url)
    except OpendataError as exc:
        console.print(f"[red]{exc}[/red]")
        return 3
    text = graph.serialize(format={"ttl": "turtle", "jsonld": "json-ld", "xml": "xml"}[args.format])
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        console.print(f"{len(graph)} bộ ba / triples from {pages} trang / page(s) of {settings.ckan.url}/catalog → {args.out}")
    else:
        print(text)
    return 0


def reconcile_command(args: argparse.Namespace) -> int:
    """Every open dataset's portal page against the ledger: 0 when they agree, 1 when drift remains."""
    import json

    from rich.console import Console
    from rich.table import Table

    from .. import ledger
    from ..pipeline.reconcile import reconcile as compare
    from ..sources.connections import from_environment

    console = Console()
    settings = load_settings()
    reg = load_registry(settings.paths.registry)
    agency_connections(args.connections)
    result = compare(reg, ledger.open_ledger(settings.ledger_url()), datetime.now(UTC), settings, from_environment,
                     args.city, repair=args.repair, remove_unrecorded=args.repair)
    if args.format == "json":
        print(json.dumps(result.asdict(), ensure_ascii=False, indent=1))
    else:
        for done in result.repaired:
            console.print(f"đã sửa / repaired: {done['dataset']}: {done['action']} ({done['why']})")
        if result.drift:
            table = Table(title=f"Sai lệch cổng / sổ — portal drift ({len(result.drift)} of {result.checked} datasets checked)")
            for column in ("dataset", "sai lệch / drift", "cổng / portal", "sổ / ledger"):
                table.add_column(column)
            for d in result.drift:
                row = d.asdict()
                table.add_row(d.dataset, row["label"], d.portal, d.ledger)
            console.print(table)
        else:
            console.print(f"không sai lệch / no drift: {result.checked} datasets on the portal match the ledger")
    return 1 if result.drift else 0
