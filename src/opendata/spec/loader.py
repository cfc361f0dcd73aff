"""The one loader of include/datasets/: used by the DAG files, the CLI and the tests alike.

A broken file never stops the others from loading: it becomes a :class:`SpecProblem` naming the
file and the field, and the DAG factory shows it as an import error of its own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

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
        if matches:
            raise KeyError(f"'{key}' names {len(matches)} datasets: give the full key "
                           f"({', '.join(sorted(s.key for s in matches))})")
        raise KeyError(f"no dataset '{key}' in the registry (known: {known})")

    def for_city(self, code: str) -> Registry:
        """The same registry narrowed to one city (its datasets, paths and problems)."""
        keys = {k for k, s in self.datasets.items() if s.city == code}
        return Registry({code: self.cities[code]}, {k: self.datasets[k] for k in keys},
                        {k: p for k, p in self.paths.items() if k in keys}, list(self.problems))


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


def _fingerprint(root: Path) -> tuple[str, dict[str, str]] | None:
    """'<root>-<files>': a hash of the registry's folder, then of every YAML file's path and bytes (reading
    them is cheap next to parsing them; modification times can be too coarse to tell two quick edits apart),
    and each file's own digest, by path."""
    import hashlib

    h = hashlib.sha256()
    digests: dict[str, str] = {}
    try:
        for path in sorted(root.glob("*/*.yaml")) + sorted(root.glob("*/*/*.yaml")):
            digests[str(path)] = hashlib.sha1(path.read_bytes()).hexdigest()
            h.update(f"{path}\n{digests[str(path)]}\n".encode())
    except OSError:
        return None
    return f"{hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:16]}-{h.hexdigest()[:32]}", digests


class _Snapshot(BaseModel):
    """The validated registry as JSON: data only, so reading a cache can never run code."""

    cities: list[City]
    datasets: list[DatasetSpec]
    paths: dict[str, str]
    problems: list[tuple[str, str, str]]
    digests: dict[str, str] = {}  # each accepted spec file's sha1, by path: unchanged files are not parsed again

    def registry(self) -> Registry:
        return Registry({c.code: c for c in self.cities}, {d.key: d for d in self.datasets},
                        {k: Path(v) for k, v in self.paths.items()},
                        [SpecProblem(Path(p), f, m) for p, f, m in self.problems])

    def known_specs(self) -> dict[tuple[str, str], DatasetSpec]:
        """The validated specs by (file, digest of its bytes)."""
        return {(self.paths[d.key], self.digests[self.paths[d.key]]): d for d in self.datasets
                if self.paths.get(d.key) in self.digests}


def _cache_dir() -> Path | None:
    """A folder only this user can read and write (created 0700; its owner and mode are checked every
    time); None when it is not private, and the registry is then parsed without a cache."""
    from ..settings import registry_cache_base

    folder = registry_cache_base()
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = os.lstat(folder)
    except OSError:
        return None
    import stat

    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o077:
        return None
    return folder


def _read_cache(path: Path) -> _Snapshot | None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if st.st_uid != os.getuid() or st.st_mode & 0o077:
            return None
        try:
            return _Snapshot.model_validate_json(f.read(), context={"validated": True})  # written from valid specs
        except ValidationError:
            return None


def _write_cache(path: Path, reg: Registry, digests: dict[str, str]) -> None:
    paths = {k: str(v) for k, v in reg.paths.items()}
    snap = _Snapshot(cities=list(reg.cities.values()), datasets=list(reg.datasets.values()), paths=paths,
                     problems=[(str(p.path), p.field, p.message) for p in reg.problems],
                     digests={p: digests[p] for p in paths.values() if p in digests})
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(snap.model_dump_json().encode("utf-8"))
    tmp.replace(path)


def load_registry(root: Path, cache: bool = True) -> Registry:
    """Every city.yaml and <city>/<agency>/*.yaml below root, in sorted order.

    Airflow parses the DAG folder again and again while the specs rarely change: the validated registry
    is kept as JSON in a private cache keyed by every file's path and content, and read back (much faster
    than parsing and validating 1,000 YAML files) until any file changes. Then only the files that changed
    are parsed again; the checks across files (agencies, ids, portal names) run over all of them."""
    fingerprint = _fingerprint(root) if cache and root.is_dir() else None
    folder = _cache_dir() if fingerprint else None
    if fingerprint is None or folder is None:
        return _parse_registry(root)
    key, digests = fingerprint
    cached = folder / f"{key}.json"
    snap = _read_cache(cached) if cached.exists() else None
    if snap is not None:
        return snap.registry()
    earlier = [p for p in folder.glob(f"{key.split('-')[0]}-*.json") if p != cached]  # this folder, before the change
    known: dict[tuple[str, str], DatasetSpec] = {}
    for stale in earlier:
        old = _read_cache(stale)
        known.update(old.known_specs() if old is not None else {})
    reg = _parse_registry(root, digests, known)
    try:
        _write_cache(cached, reg, digests)
        for stale in earlier:
            stale.unlink(missing_ok=True)
    except OSError:
        pass  # no cache today; the registry is still right
    return reg


def _parse_registry(root: Path, digests: dict[str, str] | None = None,
                    known: dict[tuple[str, str], DatasetSpec] | None = None) -> Registry:
    """``known``: specs validated before, by (file, digest); a file whose digest is in ``digests`` and
    unchanged is taken from there instead of parsed."""
    reg = Registry()
    portal_names: dict[str, str] = {}  # a dataset's portal name -> the key of the spec that has it
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
        clash = _name_clash(reg, city)
        if clash:
            reg.problems.append(SpecProblem(city_path, "code", clash))
            continue
        reg.cities[city.code] = city
        for spec_path in sorted(city_dir.glob("*/*.yaml")):
            digest = (digests or {}).get(str(spec_path))
            before = (known or {}).get((str(spec_path), digest)) if digest else None
            _load_dataset(reg, city, spec_path, portal_names, before if before and before.city == city.code else None)
    return reg


def _portal_names(city: City) -> list[tuple[str, str]]:
    """Every name the portal and Airflow derive from a city's agencies, with the agency it belongs to."""
    return [(name, f"{city.code}/{a.code}") for a in city.agencies
            for name in dict.fromkeys((a.ckan_name(city.code), a.publisher_name(city.code), a.conn_id(city.code)))]


def _name_clash(reg: Registry, city: City) -> str | None:
    """'da-nang' + agency 'x' and 'da' + agency 'nang-x' would share an organization, a publisher user
    and a connection on the portal: the later city is refused before it can publish as the other."""
    owners: dict[str, str] = {}
    for other in [*reg.cities.values(), city]:
        for name, owner in _portal_names(other):
            if owners.setdefault(name, owner) != owner:
                return (f"'{name}' would be both {owners[name]} and {owner}: rename the city or the agency "
                        "(portal organizations, publisher users and connections must not collide)")
    return None


def _load_dataset(reg: Registry, city: City, path: Path, portal_names: dict[str, str],
                  validated: DatasetSpec | None = None) -> None:
    """``validated``: this file's spec as validated before (its bytes unchanged since)."""
    agency_dir = path.parent.name
    spec = validated or _validate_dataset(reg, city, path)
    if spec is None:
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
    same_name = portal_names.get(spec.ckan_name)
    if same_name is not None:
        reg.problems.append(SpecProblem(path, "id", f"its portal name '{spec.ckan_name}' is already {same_name}'s "
                                        f"({reg.paths[same_name]}): rename the dataset"))
        return
    reg.datasets[spec.key] = spec
    reg.paths[spec.key] = path
    portal_names[spec.ckan_name] = spec.key


def _validate_dataset(reg: Registry, city: City, path: Path) -> DatasetSpec | None:
    data = _read_yaml(path, reg.problems)
    if data is None:
        return None
    data.setdefault("city", city.code)
    data.setdefault("agency", path.parent.name)
    data.setdefault("missing_values", list(city.missing_values))
    try:
        return DatasetSpec.model_validate(data)
    except ValidationError as exc:
        reg.problems.extend(_validation_problems(path, exc))
        return None
