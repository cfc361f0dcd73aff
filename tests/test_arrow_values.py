"""Arrow values built without importing pandas (opendata.arrow_values): the same values as pyarrow's
own constructors, and a check of a file that really leaves pandas unimported."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from opendata import arrow_values as av

ROOT = Path(__file__).resolve().parent.parent

VALUES = [
    (["a", None, "Phường Hải Châu", ""], pa.string()),
    ([True, None, False, True, False, True, True, False, True], pa.bool_()),
    ([1, None, -5, 2**40], pa.int64()),
    ([1.5, None, -0.25, 3], pa.float64()),
    ([7, None], pa.int32()),
    ([dt.date(2024, 2, 29), None, dt.date(1969, 12, 31)], pa.date32()),
    ([dt.datetime(2024, 1, 1, 10, 0, 5), None, dt.datetime(1960, 5, 1)], pa.timestamp("s")),
    ([dt.datetime(2024, 1, 1, 10, 0, 5, 250)], pa.timestamp("us")),
    ([dt.datetime(2024, 1, 1, 10, 0, 5, tzinfo=dt.UTC)], pa.timestamp("s", tz="UTC")),
]


@pytest.mark.parametrize(("values", "kind"), VALUES, ids=[str(k) for _, k in VALUES])
def test_arrays_equal_pyarrows_own(values: list, kind: pa.DataType) -> None:
    built = av.array(values, kind)
    built.validate(full=True)
    assert built.equals(pa.array(values, kind))
    assert av.scalar(values[0], kind).equals(pa.scalar(values[0], kind))


def test_scalars_take_the_type_arrow_would_infer() -> None:
    for value in (True, 3, 2.5, "x", dt.date(2024, 1, 1)):
        assert av.scalar(value).equals(pa.scalar(value))
    assert av.NULL_TEXT.equals(pa.scalar(None, pa.string())) and av.ZERO.equals(pa.scalar(0))


def test_numpy_round_trips() -> None:
    for values in (np.array([3, 1, 2]), np.array([0.5, -1.0]), np.array([True, False, True] * 5), np.array([], np.int64)):
        arrow = av.from_numpy(values)
        assert arrow.to_pylist() == values.tolist()
        assert av.to_numpy(arrow).tolist() == values.tolist()
    sliced = pa.array([True, False, True, True, False]).slice(1, 3)
    assert av.to_numpy(sliced).tolist() == [False, True, True]
    with pytest.raises(ValueError):
        av.to_numpy(pa.array([1, None]))


def test_dates_are_never_built_as_nanoseconds() -> None:
    with pytest.raises(TypeError):
        av.array([dt.datetime(2024, 1, 1)], pa.timestamp("ns"))


CHECK = """
import json, sys
from datetime import UTC, datetime
from pathlib import Path
from opendata.spec.models import DatasetSpec
from opendata.normalise import normalise_for_check
from opendata.quality.gate import judge
spec = DatasetSpec.model_validate(json.loads(sys.argv[1]))
path, out = Path(sys.argv[2]), Path(sys.argv[3])
table, rows = normalise_for_check(spec, path, path.name, out)
card, run = judge(spec, rows, "-", list(table.issues), table.type_failures, province_code=None, previous_rows=None,
                  now=datetime.now(UTC), expectations_dir=out / "none")
print(json.dumps({"pandas": "pandas" in sys.modules, "rows": rows.num_rows, "blocking": sorted(
    {i.row for i in table.issues + run.issues if i.row and i.severity.value == "blocking"}), "engine": run.engine}))
"""


def test_checking_a_file_does_not_import_pandas(tmp_path: Path) -> None:
    """Every kind of rule, a column that takes the forgiving rules, a duplicated key: pandas stays out."""
    spec = {
        "id": "stations", "city": "danang", "agency": "stnmt", "title": {"vi": "Trạm", "en": "Stations"},
        "description": {"vi": "Trạm đo"}, "domain": "moi-truong", "contact": {"name": "Sở", "email": "s@danang.gov.vn"},
        "update_frequency": "monthly", "source": {"kind": "drop_zone", "pattern": "*.csv"}, "primary_key": ["id"],
        "row_count": {"min": 1},
        "columns": [
            {"name": "id", "label": {"vi": "Mã"}, "type": "integer", "required": True},
            {"name": "code", "label": {"vi": "Mã trạm"}, "required": True, "pattern": r"^DN-\d{2}$"},
            {"name": "ward", "label": {"vi": "Phường"}, "allowed_values": ["Hải Châu", "Sơn Trà"]},
            {"name": "level", "label": {"vi": "Mực nước"}, "type": "number", "minimum": 0, "maximum": 10},
            {"name": "seen", "label": {"vi": "Thời điểm"}, "type": "datetime", "required": True},
            {"name": "phone", "label": {"vi": "Điện thoại"}, "format": "phone", "public": True},
        ],
    }
    lines = ["Mã,Mã trạm,Phường,Mực nước,Thời điểm,Điện thoại"]
    lines += [f"{i},DN-{i % 100:02d},{'Hải Châu' if i % 2 else 'Sơn Trà'},{i % 10}.5,2025-01-0{1 + i % 9}T10:00:00,"
              f"0236{i:07d}" for i in range(1, 2001)]
    lines[5] = "4,DN-05,Cẩm Lệ,12.5,hôm qua,=HYPERLINK()"  # a duplicated id, a ward outside, too high, not a time
    (tmp_path / "stations.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run([sys.executable, "-c", CHECK, json.dumps(spec), str(tmp_path / "stations.csv"), str(tmp_path)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["rows"] == 2000 and found["blocking"] == [5, 6] and found["engine"]["gx"] == 0
    assert found["pandas"] is False


def test_opendata_keeps_openblas_to_one_thread_unless_told(tmp_path: Path) -> None:
    probe = "import os, opendata; print(os.environ['OPENBLAS_NUM_THREADS'])"
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"} | {"PYTHONPATH": str(ROOT / "src")}
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env).stdout.strip() == "1"
    env["OPENBLAS_NUM_THREADS"] = "4"
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env).stdout.strip() == "4"
