"""Small builders for specs and files used across tests."""

from __future__ import annotations

from pathlib import Path

import yaml

from opendata.spec.models import DatasetSpec

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DROP = ROOT / "include" / "samples" / "danang" / "snnmt" / "rain-gauge-stations" / "tram-do-mua-2026-q4.csv"
RAIN_SPEC = ROOT / "include" / "datasets" / "danang" / "snnmt" / "rain-gauge-stations.yaml"


def rain_spec(**overrides) -> DatasetSpec:
    data = yaml.safe_load(RAIN_SPEC.read_text(encoding="utf-8"))
    return DatasetSpec.model_validate({"city": "danang", "agency": "snnmt", **data, **overrides})


def small_spec(**overrides) -> DatasetSpec:
    data = {
        "id": "clinics", "city": "danang", "agency": "syt",
        "title": {"vi": "Phòng khám", "en": "Clinics"}, "description": {"vi": "Danh sách phòng khám"},
        "domain": "y-te", "contact": {"name": "Sở Y tế", "email": "syt@danang.gov.vn"},
        "update_frequency": "monthly", "source": {"kind": "drop_zone", "pattern": "*.csv"},
        "primary_key": ["code"],
        "columns": [
            {"name": "code", "label": {"vi": "Mã"}, "required": True, "pattern": r"^PK\d{3}$"},
            {"name": "name", "label": {"vi": "Tên phòng khám"}, "required": True},
            {"name": "beds", "label": {"vi": "Số giường"}, "type": "integer", "minimum": 0, "maximum": 500},
            {"name": "opened_on", "label": {"vi": "Ngày thành lập"}, "type": "date"},
        ],
    }
    data.update(overrides)
    return DatasetSpec.model_validate(data)


def write_spec(folder: Path, name: str, data: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def to_cp1258(text: str) -> bytes:
    """Encode as Windows does: letters with ă/â/ê/ô/ơ/ư precomposed, tone marks as combining characters."""
    import unicodedata

    out = []
    for ch in unicodedata.normalize("NFC", text):
        try:
            out.append(ch.encode("cp1258"))
            continue
        except UnicodeEncodeError:
            pass
        parts = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in TONE_MARKS))
        tones = "".join(c for c in parts if c in TONE_MARKS)
        out.append(base.encode("cp1258") + tones.encode("cp1258"))
    return b"".join(out)


# The `opendata` command's own entry point, then the process's peak memory as VmHWM: getrusage's ru_maxrss
# would also count the pages of the test process it was started from (kept across fork and exec).
_MEASURED = ("import sys\nfrom opendata.cli import main\ntry:\n    code = main(sys.argv[1:])\nfinally:\n"
             "    print(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')), file=sys.stderr)\n"
             "sys.exit(code)\n")


def measured_cli(args: list[str], folder: Path, env: dict, kill_after: float = 120) -> tuple[int, str, str, float, int]:
    """``opendata *args`` in a process of its own: (exit code, stdout, stderr, seconds, peak RSS in KiB)."""
    import subprocess
    import threading
    import time

    started = time.monotonic()
    with open(folder / "out", "wb") as out, open(folder / "err", "wb") as err:
        proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "python"), "-c", _MEASURED, *args], stdout=out, stderr=err,
                                env=env, cwd=folder)
        killer = threading.Timer(kill_after, proc.kill)
        killer.start()
        code = proc.wait()
        killer.cancel()
    said = (folder / "out").read_text(encoding="utf-8", errors="replace")
    errors = (folder / "err").read_text(encoding="utf-8", errors="replace")
    peak = int(errors.split("VmHWM:")[1].split()[0]) if "VmHWM:" in errors else -1
    return code, said, errors, time.monotonic() - started, peak
