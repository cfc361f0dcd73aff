"""Every case of the bad-input corpus through ``opendata check``, the agencies' own pre-check: the
outcome it must get, a message that says why, no traceback; the heavy ones in a process of their own,
within seconds and under 1 GiB of memory."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml

from tests.corpus.make_corpus import build, cases
from tests.factories import ROOT, measured_cli

KEY = "danang.snnmt.rain-gauge-stations"
STRICT = "danang.snnmt.rain-gauge-strict"
EXIT = {"accepted": 0, "rejected": 1, "unreadable": 2}
CASES = [c for c, _ in cases()]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, Path]:
    return {case.name: path for case, path in build(tmp_path_factory.mktemp("corpus"))}


@pytest.fixture(scope="module")
def registry(tmp_path_factory) -> Path:
    """The sample registry, plus the rain-gauge spec again with small limits."""
    root = tmp_path_factory.mktemp("registry") / "datasets"
    shutil.copytree(ROOT / "include" / "datasets", root)
    spec = yaml.safe_load((root / "danang" / "snnmt" / "rain-gauge-stations.yaml").read_text(encoding="utf-8"))
    spec.update(id="rain-gauge-strict", limits={"max_bytes": 100_000, "max_rows": 50, "max_json_bytes": 10_000})
    (root / "danang" / "snnmt" / "rain-gauge-strict.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True),
                                                                     encoding="utf-8")
    return root


def test_the_corpus_is_large_and_covers_each_outcome() -> None:
    assert len(CASES) >= 40 and len({c.name for c in CASES}) == len(CASES)
    assert {c.expect for c in CASES} == set(EXIT)
    assert sum(1 for c in CASES if c.heavy) >= 8


@pytest.mark.parametrize("case", [c for c in CASES if not c.heavy], ids=lambda c: c.name)
def test_each_light_case_gets_its_outcome(case, corpus, registry, monkeypatch, capsys) -> None:
    from opendata.cli import main

    monkeypatch.setenv("OPENDATA__PATHS__REGISTRY", str(registry))
    monkeypatch.setenv("COLUMNS", "1000")
    code = main(["check", "--dataset", STRICT if case.strict else KEY, str(corpus[case.name])])
    captured = capsys.readouterr()
    said = " ".join(captured.out.split())
    assert code == EXIT[case.expect], said[-1500:]
    assert case.says in said, said[-1500:]
    assert "Traceback" not in captured.out + captured.err
    if case.hides:
        assert case.hides not in said and "***" in said


@pytest.mark.parametrize("case", [c for c in CASES if c.heavy], ids=lambda c: c.name)
def test_each_heavy_case_is_refused_quickly_in_bounded_memory(case, corpus, registry, tmp_path: Path) -> None:
    env = {**os.environ, "OPENDATA__PATHS__REGISTRY": str(registry), "COLUMNS": "1000"}
    code, out, errors, seconds, peak_kib = measured_cli(["check", "--dataset", KEY, str(corpus[case.name])], tmp_path, env)
    said = " ".join(out.split())
    assert code == EXIT[case.expect], (said[-1500:], errors[-1500:])
    assert case.says in said and "Traceback" not in errors, (said[-800:], errors[-800:])
    assert seconds < 60, f"{case.name}: {seconds:.1f} s"
    assert 0 < peak_kib < 1 << 20, f"{case.name}: peak RSS {peak_kib / 1024:.0f} MiB"
