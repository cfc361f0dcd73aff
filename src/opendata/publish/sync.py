"""Make the portal show one delivery: organization, dataset, data resource. Idempotent.

The dataset name comes from the spec and the resource is found by its name, so a re-run updates
in place; the same content (sha256 of the clean CSV) is not uploaded again. Only ``open`` data is
published, and only into the spec's own agency organization.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path

from ..exceptions import PublishError
from ..spec.models import Agency, Classification, DatasetSpec
from .client import CkanClient
from .mapping import base_extras, dataset_dict, organization_dict


@dataclass(frozen=True)
class Publication:
    dataset: str
    ckan_name: str
    url: str
    resource_id: str
    content_sha256: str
    outcome: str  # created | updated | unchanged

    def asdict(self) -> dict:
        return asdict(self)


def ensure_organization(client: CkanClient, agency: Agency, city: str) -> dict:
    wanted = organization_dict(agency, city)
    current = client.show("organization_show", wanted["name"])
    if current is None:
        return client.call("organization_create", wanted)
    if current.get("title") != wanted["title"] or (current.get("description") or "") != wanted["description"]:
        return client.call("organization_patch", {"id": current["id"], **wanted})
    return current


def publish_csv(client: CkanClient, spec: DatasetSpec, agency: Agency, csv_path: Path,
                extras: dict[str, str], portal_url: str) -> Publication:
    if spec.classification != Classification.open:
        raise PublishError(f"'{spec.key}' is {spec.classification.value}: only open data is published",
                           dataset=spec.key, stage="publish")
    if agency.code != spec.agency:
        raise PublishError(f"'{spec.key}' belongs to {spec.agency}, not {agency.code}", dataset=spec.key, stage="publish")
    content_sha = hashlib.sha256(csv_path.read_bytes()).hexdigest()
    org = ensure_organization(client, agency, spec.city)
    current = client.show("package_show", spec.ckan_name)
    resource_name = f"{spec.id}.csv"
    if current and current.get("owner_org") != org["id"]:
        raise PublishError(f"dataset '{spec.ckan_name}' exists in another organization; refusing to take it over",
                           dataset=spec.key, stage="publish")
    old_extras = {e["key"]: e["value"] for e in (current or {}).get("extras", [])}
    existing = next((r for r in (current or {}).get("resources", []) if r.get("name") == resource_name), None)
    all_extras = {**base_extras(spec), **extras, "content_sha256": content_sha}
    if current and existing and old_extras.get("content_sha256") == content_sha:
        outcome = "unchanged"
        resource_id = existing["id"]
        keep = {k: v for k, v in all_extras.items() if k != "last_refreshed_at"}
        keep["last_refreshed_at"] = old_extras.get("last_refreshed_at", extras.get("last_refreshed_at", ""))
        client.call("package_patch", {"id": current["id"], "extras": [{"key": k, "value": v} for k, v in sorted(keep.items())]})
    else:
        body = dataset_dict(spec, org["id"], all_extras)
        pkg = client.call("package_update", {**body, "id": current["id"], "resources": current.get("resources", [])}) \
            if current else client.call("package_create", body)
        resource = {"package_id": pkg["id"], "name": resource_name, "format": "CSV", "mimetype": "text/csv",
                    "description": f"Dữ liệu đã kiểm tra chất lượng / Quality-checked data ({spec.title.en or spec.title.vi})"}
        with open(csv_path, "rb") as fh:
            files = {"upload": fh}
            if existing:
                res = client.call("resource_update", {**resource, "id": existing["id"]}, files=files)
            else:
                res = client.call("resource_create", resource, files=files)
        resource_id = res["id"]
        outcome = "updated" if current else "created"
    return Publication(spec.key, spec.ckan_name, f"{portal_url.rstrip('/')}/dataset/{spec.ckan_name}",
                       resource_id, content_sha, outcome)
