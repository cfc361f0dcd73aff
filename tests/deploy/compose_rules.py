"""The project's rules for docker-compose.yaml and the Dockerfiles, beyond what the Compose schema
checks: images pinned, every long-running service health-checked and waited for, no secret literal,
no development server, the images built from the lock files only. Each rule returns the problems it finds, as sentences."""

from __future__ import annotations

import re
from pathlib import Path

SECRET_KEY = re.compile(r"(PASSWORD|SECRET|TOKEN|FERNET_KEY|API_KEY)$")
URL_PASSWORD = re.compile(r"://[^:/@\s]+:([^@\s]+)@")
PINNED = re.compile(r"^[\w./-]+:(?!latest$)[\w.-]*\d[\w.-]*$|@sha256:[0-9a-f]{64}$")
ONE_SHOT = ("init",)  # services that run once and exit: no health check, others wait for their completion


def _one_shot(name: str, svc: dict) -> bool:
    return name.endswith(ONE_SHOT) or svc.get("restart") == "no"


def unpinned_images(doc: dict) -> list[str]:
    out = []
    for name, svc in doc["services"].items():
        image = svc.get("image")
        if image is None:
            out.append(f"{name}: no image name (a built image needs one with a version)")
        elif not PINNED.search(image):
            out.append(f"{name}: image '{image}' is not pinned to a version")
    return out


def missing_health_checks(doc: dict) -> list[str]:
    out = []
    for name, svc in doc["services"].items():
        if not _one_shot(name, svc) and not (svc.get("healthcheck") or {}).get("test"):
            out.append(f"{name}: a long-running service without a health check")
        deps = svc.get("depends_on") or {}
        if isinstance(deps, list):
            out.append(f"{name}: depends_on without conditions (wait for service_healthy)")
            continue
        for dep, how in deps.items():
            target = doc["services"].get(dep, {})
            want = "service_completed_successfully" if _one_shot(dep, target) else "service_healthy"
            if (how or {}).get("condition") != want:
                out.append(f"{name}: depends on {dep} without condition {want}")
    return out


def secret_literals(doc: dict) -> list[str]:
    out = []
    for name, svc in doc["services"].items():
        env = svc.get("environment") or {}
        items = env.items() if isinstance(env, dict) else (e.partition("=")[::2] for e in env)
        for key, value in items:
            value = "" if value is None else str(value)
            if SECRET_KEY.search(key) and value and not re.fullmatch(r"\$\{[A-Z0-9_]+(:?[?-][^}]*)?\}", value):
                out.append(f"{name}: {key} is a literal; take it from the environment (${{VAR}})")
            m = URL_PASSWORD.search(value)
            if m and not m.group(1).startswith("${"):
                out.append(f"{name}: {key} holds a password in its URL")
    return out


def dockerfile_problems(path: Path, lock: str) -> list[str]:
    """FROM pinned; pip installs only the lock file (``--no-deps -r requirements/…lock``) and local
    packages with --no-deps; the lock named is the one local runs install."""
    out = []
    text = path.read_text(encoding="utf-8").replace("\\\n", " ")
    for image in re.findall(r"^FROM\s+(\S+)", text, re.M):
        if not PINNED.search(image):
            out.append(f"{path.name}: base image '{image}' is not pinned")
    installs = re.findall(r"pip install ([^&\n]+)", text)
    if not any(f"-r /opt/{'opendata' if 'airflow' in lock else 'ckan'}/requirements/{lock}" in i for i in installs):
        out.append(f"{path.name}: does not install requirements/{lock}")
    for args in installs:
        if "--no-deps" not in args:
            out.append(f"{path.name}: 'pip install {args.strip()}' resolves dependencies itself (use --no-deps and the lock)")
        if re.search(r"(^|\s)[A-Za-z][\w.-]*(==|>=|\s|$)", args.replace("--no-deps", "").replace("-r", "")) and \
                not re.search(r"(-r\s+\S+\.lock|/opt/\S+)\s*$", args.strip()):
            out.append(f"{path.name}: installs a package by name, not from the lock: {args.strip()}")
    if "_PIP_ADDITIONAL_REQUIREMENTS" in text:
        out.append(f"{path.name}: installs packages at start")
    for command in re.findall(r"^CMD\s+(.+)$", text, re.M):
        if DEV_SERVER.search(command.replace('"', "").replace(",", " ")):
            out.append(f"{path.name}: its command runs a development server")
    return out


DEV_SERVER = re.compile(r"\b(ckan\b.*\brun|flask\b.*\brun|airflow\b.*\bstandalone)\b")


def development_servers(doc: dict) -> list[str]:
    """A development server (``ckan run``, ``flask run``, ``airflow standalone``) answers one request at a time
    and is not meant to face a city's visitors."""
    out = []
    for name, svc in doc["services"].items():
        command = svc.get("command") or []
        text = " ".join(command) if isinstance(command, list) else str(command)
        if DEV_SERVER.search(text):
            out.append(f"{name}: runs a development server ({text[:60]})")
    return out


def all_problems(doc: dict) -> list[str]:
    return unpinned_images(doc) + missing_health_checks(doc) + secret_literals(doc) + development_servers(doc)
