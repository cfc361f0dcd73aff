"""Set the portal up from the registry, once per change of the registry, with a sysadmin token.

- one group per domain of the catalogue;
- one organization per agency (Vietnamese title, description, image);
- one CKAN user per agency, editor of its own organization and member of the domain groups (so it
  can file its datasets under them), with an API token of its own.

The pipelines then publish with the agency's token (least privilege: a token leaked from one agency
cannot touch another's data). Tokens are written to a file in Airflow's ``connections import``
format (mode 600), one connection per agency; they are never printed or logged.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretStr

from ..exceptions import PublishError
from ..spec.loader import Registry
from ..spec.models import Agency, City, Domain
from .client import CkanClient, PortalAccess
from .mapping import group_dict, organization_dict

log = logging.getLogger(__name__)
TOKEN_NAME = "opendata-publisher"


@dataclass
class ProvisionReport:
    groups: list[str] = field(default_factory=list)
    organizations: list[str] = field(default_factory=list)
    users: list[str] = field(default_factory=list)
    new_tokens: list[str] = field(default_factory=list)  # users whose token was (re)issued


def _ensure(client: CkanClient, kind: str, wanted: dict, compare: tuple[str, ...]) -> dict:
    current = client.show(f"{kind}_show", wanted["name"])
    if current is None:
        return client.call(f"{kind}_create", wanted)
    if any((current.get(k) or "") != (wanted.get(k) or "") for k in compare):
        return client.call(f"{kind}_patch", {"id": current["id"], **wanted})
    return current


def ensure_groups(client: CkanClient, domains: set[Domain]) -> list[dict]:
    return [_ensure(client, "group", group_dict(d), ("title", "description")) for d in sorted(domains)]


def ensure_agency(client: CkanClient, city: City, agency: Agency, groups: list[dict]) -> str:
    """The organization and its publisher user (editor there, member of the groups); returns the user name."""
    org = _ensure(client, "organization", organization_dict(agency, city.code), ("title", "description", "image_url"))
    user = agency.publisher_name(city.code)
    if client.show("user_show", user) is None:
        client.call("user_create", {"name": user, "email": str(agency.email or f"{user}@opendata.invalid"),
                                    "password": secrets.token_urlsafe(24), "fullname": agency.name.vi})
    client.call("organization_member_create", {"id": org["id"], "username": user, "role": "editor"})
    for group in groups:
        client.call("group_member_create", {"id": group["id"], "username": user, "role": "member"})
    return user


def _token_works(url: str, token: str, user: str) -> bool:
    """Only the user itself (or a sysadmin) may list its tokens: a cheap proof the token is still valid."""
    try:
        CkanClient(PortalAccess(url, SecretStr(token)), retries=1).call("api_token_list", {"user_id": user})
        return True
    except PublishError:  # refused, or the user is gone (PortalNotFound)
        return False


def connection(url: str, token: str) -> dict:
    """An Airflow connection (import format) for the portal with this token."""
    scheme, _, rest = url.partition("://")
    host, _, port = rest.rstrip("/").partition(":")
    conn = {"conn_type": "http", "host": host, "schema": scheme, "password": token}
    if port:
        conn["port"] = int(port)
    return conn


def provision(client: CkanClient, registry: Registry, tokens_file: Path) -> ProvisionReport:
    """Idempotent: run it again after the registry changes. Existing valid tokens are kept."""
    report = ProvisionReport()
    stored: dict[str, dict] = json.loads(tokens_file.read_text()) if tokens_file.exists() else {}
    domains = {s.domain for s in registry.datasets.values()}
    groups = ensure_groups(client, domains)
    report.groups = [g["name"] for g in groups]
    url = client.access.url
    for city in registry.cities.values():
        for agency in city.agencies:
            user = ensure_agency(client, city, agency, groups)
            report.organizations.append(agency.ckan_name(city.code))
            report.users.append(user)
            conn_id = agency.conn_id(city.code)
            token = (stored.get(conn_id) or {}).get("password")
            if not token or not _token_works(url, token, user):
                token = client.call("api_token_create", {"user": user, "name": TOKEN_NAME})["token"]
                report.new_tokens.append(user)
            stored[conn_id] = connection(url, token)
    write_private(tokens_file, json.dumps(stored, indent=1))
    return report


def write_private(path: Path, text: str) -> None:
    """A file of secrets: mode 0600 whatever the file's mode was before, in a folder only its owner
    enters; written whole under a temporary name (never through a link) and renamed into place."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def as_environment(tokens_file: Path) -> dict[str, str]:
    """AIRFLOW_CONN_<ID> variables for the agency connections in ``tokens_file`` (for local runs)."""
    stored = json.loads(tokens_file.read_text())
    return {f"AIRFLOW_CONN_{conn_id.upper()}": json.dumps(conn) for conn_id, conn in stored.items()}
