from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from opendata.spec import load_registry
from tests.factories import ROOT, small_spec, write_spec


def copy_registry(tmp_path: Path) -> Path:
    target = tmp_path / "datasets"
    shutil.copytree(ROOT / "include" / "datasets", target)
    return target


def test_the_sample_registry_loads_without_problems() -> None:
    reg = load_registry(ROOT / "include" / "datasets")
    assert reg.problems == []
    assert "danang.snnmt.rain-gauge-stations" in reg.datasets
    assert reg.cities["danang"].agency("snnmt").name.vi == "Sở Nông nghiệp và Môi trường"


def test_a_broken_spec_names_file_and_field_and_the_others_still_load(tmp_path: Path) -> None:
    root = copy_registry(tmp_path)
    data = yaml.safe_load((root / "danang" / "snnmt" / "rain-gauge-stations.yaml").read_text())
    data["id"] = "rainfall-copy"
    data["columns"][4]["minimum"] = "north"  # not a number
    data["update_frequnecy"] = "daily"  # a typo of a field name
    bad = write_spec(root / "danang" / "snnmt", "broken.yaml", data)
    reg = load_registry(root)
    assert "danang.snnmt.rain-gauge-stations" in reg.datasets
    assert "danang.snnmt.rainfall-copy" not in reg.datasets
    fields = {p.field for p in reg.problems if p.path == bad}
    assert "columns.4.minimum" in fields and "update_frequnecy" in fields
    assert all(str(bad) in str(p) for p in reg.problems)


def test_unreadable_yaml_and_unknown_agency_are_problems(tmp_path: Path) -> None:
    root = copy_registry(tmp_path)
    (root / "danang" / "snnmt" / "bad.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    data = yaml.safe_load((root / "danang" / "snnmt" / "rain-gauge-stations.yaml").read_text())
    write_spec(root / "danang" / "nobody", "x.yaml", data)
    reg = load_registry(root)
    messages = [str(p) for p in reg.problems]
    assert any("bad.yaml" in m and "YAML" in m for m in messages)
    assert any("'nobody' is not an agency of danang" in m for m in messages)


def test_open_data_must_be_refreshed_at_least_quarterly() -> None:
    with pytest.raises(ValidationError, match="longer than 3 months"):
        small_spec(update_frequency="annual")
    assert small_spec(update_frequency="annual", classification="restricted").update_frequency.value == "annual"


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"primary_key": ["nope"]}, "primary_key names unknown columns: nope"),
        ({"id": "Has Spaces"}, "String should match pattern"),
        ({"columns": [{"name": "a", "label": {"vi": "A"}, "minimum": 1}]},
         "minimum/maximum need type integer, number, date or datetime"),
        ({"columns": [{"name": "a", "label": {"vi": "A"}, "pattern": "(["}]}, "not a valid regular expression"),
        ({"contact": {"name": "Sở Y tế", "email": "syt.danang.gov.vn"}}, "not a valid e-mail address"),
        ({"contact": {"name": "Sở Y tế", "email": "syt@"}}, "not a valid e-mail address"),
    ],
)
def test_spec_rules(override: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace("[", r"\[")):
        small_spec(**override)


def test_the_registry_cache_is_used_until_a_file_changes(tmp_path: Path, monkeypatch) -> None:

    monkeypatch.setenv("OPENDATA_REGISTRY_CACHE", str(tmp_path / "cache"))
    root = tmp_path / "datasets"
    shutil.copytree(ROOT / "include" / "datasets", root)
    first = load_registry(root)
    assert len(list((tmp_path / "cache").glob("*.json"))) == 1
    again = load_registry(root)
    assert again.datasets == first.datasets and again.cities == first.cities
    spec = root / "danang" / "syt" / "hospitals.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("update_frequency: quarterly", "update_frequency: weekly"),
                    encoding="utf-8")
    changed = load_registry(root)
    assert changed.datasets["danang.syt.hospitals"].update_frequency.value == "weekly"
    assert len(list((tmp_path / "cache").glob("*.json"))) == 1  # the stale state was pruned
    assert load_registry(root, cache=False).datasets == changed.datasets


def test_the_sample_specs_carry_real_keywords() -> None:
    """Keywords a visitor would search for: at least two beyond the city's name, never only the title's first word."""
    from opendata.spec import load_registry
    from tests.factories import ROOT

    for key, spec in load_registry(ROOT / "include" / "datasets").datasets.items():
        own = [t for t in spec.tags if t != "đà nẵng"]
        assert len(own) >= 2, key
        assert own != [spec.title.vi.split()[0].lower()], key


def test_after_a_change_only_the_changed_file_is_parsed_again_and_the_checks_across_files_still_run(
        tmp_path: Path, monkeypatch) -> None:
    from opendata.spec import loader

    monkeypatch.setenv("OPENDATA_REGISTRY_CACHE", str(tmp_path / "cache"))
    root = tmp_path / "datasets"
    shutil.copytree(ROOT / "include" / "datasets", root)
    load_registry(root)
    parsed: list[str] = []
    real_read = loader._read_yaml
    monkeypatch.setattr(loader, "_read_yaml", lambda path, problems: parsed.append(path.name) or real_read(path, problems))
    hospitals = root / "danang" / "syt" / "hospitals.yaml"
    hospitals.write_text(hospitals.read_text(encoding="utf-8").replace("update_frequency: quarterly",
                                                                       "update_frequency: weekly"), encoding="utf-8")
    changed = load_registry(root)
    assert sorted(parsed) == ["city.yaml", "city.yaml", "hospitals.yaml"]  # two cities' files, and the one spec
    assert changed.datasets["danang.syt.hospitals"].update_frequency.value == "weekly"
    assert changed.datasets == load_registry(root, cache=False).datasets and changed.problems == []

    # the next change gives a second file the id of a first: that clash is found though the first is not parsed
    parsed.clear()
    clinics = sorted(p for p in (root / "danang" / "syt").glob("*.yaml") if p != hospitals)[0]
    text = clinics.read_text(encoding="utf-8")
    own_id = next(line for line in text.splitlines() if line.startswith("id:"))
    clinics.write_text(text.replace(own_id, "id: hospitals"), encoding="utf-8")
    clash = load_registry(root)
    assert clinics.name in parsed and "hospitals.yaml" not in parsed
    assert [p.field for p in clash.problems] == ["id"] and "already used" in clash.problems[0].message
    assert clash.problems == load_registry(root, cache=False).problems


def test_two_specs_that_would_share_a_portal_name_are_refused_the_second_named(tmp_path: Path, monkeypatch) -> None:
    """syt/x-hospitals and syt-x/hospitals are both 'danang-syt-x-hospitals' on the portal."""
    monkeypatch.setenv("OPENDATA_REGISTRY_CACHE", str(tmp_path / "cache"))
    root = tmp_path / "datasets"
    shutil.copytree(ROOT / "include" / "datasets" / "danang", root / "danang")
    city = root / "danang" / "city.yaml"
    city.write_text(city.read_text(encoding="utf-8") + "  - code: syt-x\n    name: {vi: Sở Thử}\n    email: x@danang.gov.vn\n",
                    encoding="utf-8")
    hospitals = (root / "danang" / "syt" / "hospitals.yaml").read_text(encoding="utf-8")
    (root / "danang" / "syt" / "x-hospitals.yaml").write_text(hospitals.replace("id: hospitals", "id: x-hospitals"),
                                                              encoding="utf-8")
    (root / "danang" / "syt-x").mkdir()
    (root / "danang" / "syt-x" / "hospitals.yaml").write_text(hospitals, encoding="utf-8")
    for reg in (load_registry(root), load_registry(root), load_registry(root, cache=False)):  # parsed, cached, uncached
        assert "danang.syt.x-hospitals" in reg.datasets and "danang.syt-x.hospitals" not in reg.datasets
        [problem] = reg.problems
        assert problem.path.parent.name == "syt-x" and "portal name 'danang-syt-x-hospitals'" in problem.message


def test_an_email_is_checked_and_normalised_but_not_again_when_the_registry_reads_its_own_cache() -> None:
    from opendata.spec.models import Contact

    assert small_spec(contact={"name": "Sở Y tế", "email": "SYT@DaNang.gov.vn"}).contact.email == "SYT@danang.gov.vn"
    with pytest.raises(ValidationError):
        Contact.model_validate({"name": "x", "email": "nope"})
    # the cache holds only what was validated when it was written (a file of this user's, mode 600)
    assert Contact.model_validate({"name": "x", "email": "nope"}, context={"validated": True}).email == "nope"
