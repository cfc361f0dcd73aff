"""The one loader of include/datasets/: used by the DAG files, the CLI and the tests alike.

A broken file never stops the others from loading: it becomes a :class:`SpecProblem` naming the
file and the field, and the DAG factory shows it as an import error of its own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError

from .models import City, DatasetSpec

CITY_FILE = "city.yaml"
# libyaml's C parser: the same safe subset as yaml.safe_load, about ten times faster.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class SpecProblem:
    path: Path
    field: str
    message: str

    def __str__(self) -> str:
        where = f" (field '{self.field}')" if self.field else ""
        return f"{self.path}{where}: {self.message}"


@dataclass
class Registry:
    cities: dict[str, City] = field(default_factory=dict)
    datasets: dict[str, DatasetSpec] = field(default_factory=dict)  # by DatasetSpec.key
    paths: dict[str, Path] = field(default_factory=dict)  # spec key -> its YAML file
    problems: list[SpecProblem] = field(default_factory=list)

    def get(self, key: str) -> DatasetSpec:
        """By full key ('danang.snnmt.rain-gauge-stations') or, when unambiguous, the bare id."""
        if key in self.datasets:
            return self.datasets[key]
        matches = [s for s in self.datasets.values() if s.id == key]
        if len(matches) == 1:
            return matches[0]
        known = ", ".join(sorted(self.datasets)) or "none"
        raise KeyError(f"no dataset '{key}' in the registry (known: {known})")


def _read_yaml(path: Path, problems: list[SpecProblem]) -> dict | None:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)  # noqa: S506 - a safe loader
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        problems.append(SpecProblem(path, "", f"cannot be read as YAML: {exc}"))
        return None
    if not isinstance(data, dict):
        problems.append(SpecProblem(path, "", "must be a YAML mapping of fields"))
        return None
    return data


def _validation_problems(path: Path, exc: ValidationError) -> list[SpecProblem]:
    out = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        out.append(SpecProblem(path, loc, err["msg"]))
    return out


def _fingerprint(root: Path) -> str | None:
    """'<root>-<files>': a hash of the registry's folder, then of every YAML file's path and bytes (reading
    them is cheap next to parsing them; modification times can be too coarse to tell two quick edits apart)."""
    import hashlib

    h = hashlib.sha256()
    try:
        for path in sorted(root.glob("*/*.yaml")) + sorted(root.glob("*/*/*.yaml")):
            h.update(f"{path}\n".encode())
            h.update(hashlib.sha1(path.read_bytes()).digest())
    except OSError:
        return None
    return f"{hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:16]}-{h.hexdigest()[:32]}"


def _cache_dir() -> Path:
    import os
    import tempfile

    return Path(os.environ.get("OPENDATA_REGISTRY_CACHE") or Path(tempfile.gettempdir()) / f"opendata-registry-{os.getuid()}")


def load_registry(root: Path, cache: bool = True) -> Registry:
    """Every city.yaml and <city>/<agency>/*.yaml below root, in sorted order.

    Airflow parses the DAG folder again and again while the specs rarely change: the validated registry
    is kept in a private cache keyed by every file's path and content, and read back (much faster than
    parsing and validating 1,000 YAML files) until any file changes."""
    import pickle

    key = _fingerprint(root) if cache and root.is_dir() else None
    cached = _cache_dir() / f"{key}.pickle" if key else None
    if cached is not None and cached.exists():
        try:
            return pickle.loads(cached.read_bytes())
        except Exception:  # noqa: BLE001 - a stale or foreign cache file: parse again
            pass
    reg = _parse_registry(root)
    if cached is not None:
        try:
            cached.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            tmp = cached.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(pickle.dumps(reg, protocol=pickle.HIGHEST_PROTOCOL))
            tmp.replace(cached)
            for stale in cached.parent.glob(f"{key.split('-')[0]}-*.pickle"):  # earlier states of this registry
                if stale != cached:
                    stale.unlink(missing_ok=True)
        except OSError:
            pass  # no cache today; the registry is still right
    return reg


def _parse_registry(root: Path) -> Registry:
    reg = Registry()
    if not root.is_dir():
        reg.problems.append(SpecProblem(root, "", "registry folder does not exist"))
        return reg
    for city_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        city_path = city_dir / CITY_FILE
        if not city_path.exists():
            reg.problems.append(SpecProblem(city_path, "", "missing: every city folder needs its city.yaml"))
            continue
        data = _read_yaml(city_path, reg.problems)
        if data is None:
            continue
        try:
            city = City.model_validate(data)
        except ValidationError as exc:
            reg.problems.extend(_validation_problems(city_path, exc))
            continue
        if city.code != city_dir.name:
            reg.problems.append(SpecProblem(city_path, "code", f"'{city.code}' differs from its folder '{city_dir.name}'"))
            continue
        reg.cities[city.code] = city
        for spec_path in sorted(city_dir.glob("*/*.yaml")):
            _load_dataset(reg, city, spec_path)
    return reg


def _load_dataset(reg: Registry, city: City, path: Path) -> None:
    data = _read_yaml(path, reg.problems)
    if data is None:
        return
    agency_dir = path.parent.name
    data.setdefault("city", city.code)
    data.setdefault("agency", agency_dir)
    try:
        spec = DatasetSpec.model_validate(data)
    except ValidationError as exc:
        reg.problems.extend(_validation_problems(path, exc))
        return
    if spec.city != city.code or spec.agency != agency_dir:
        where = f"spec says {spec.city}/{spec.agency} but lives in {city.code}/{agency_dir}"
        reg.problems.append(SpecProblem(path, "agency", where))
        return
    if city.agency(spec.agency) is None:
        reg.problems.append(SpecProblem(path, "agency", f"'{spec.agency}' is not an agency of {city.code} (see its city.yaml)"))
        return
    if spec.key in reg.datasets:
        reg.problems.append(SpecProblem(path, "id", f"'{spec.id}' is already used by {reg.paths[spec.key]}"))
        return
    reg.datasets[spec.key] = spec
    reg.paths[spec.key] = path
