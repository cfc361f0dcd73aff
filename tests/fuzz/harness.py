"""One input through the agencies' entry point (``opendata check``: read, normalise, the gate, the
receipt), and the invariants every input must keep, whoever made it:

- the only outcomes are a receipt (accepted or rejected) or an :class:`InputError` receipt (unreadable):
  no other exception, no traceback;
- bounded time and memory per input;
- nothing read outside the delivery: every file the Python side opens (an audit hook sees them all)
  is the delivery, its scratch folder, or the platform's own code, specifications and reference data.

Used by the property-based tests (tests/fuzz/test_fuzz_readers.py, in ``make test``) and by the
coverage-guided fuzzer (tests/fuzz/atheris_check.py, ``make fuzz``).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from tests.factories import ROOT, rain_spec

SUFFIXES = (".csv", ".xlsx", ".xls", ".json")
SPEC = rain_spec(limits={"max_bytes": 4 << 20, "max_rows": 20_000, "max_seconds": 20})
PROVINCE = 48
SECONDS = 30  # any one input, judged whole
RSS_LIMIT_KIB = 2 << 20  # 2 GiB: what a worker may hold for one small delivery


class Broken(AssertionError):
    """An input broke an invariant (the message says which); the input is the finding."""


def _allowed_roots() -> tuple[str, ...]:
    import pyarrow

    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, str(ROOT / "src"), str(ROOT / "include"),
             str(ROOT / "expectations"), str(Path(pyarrow.__file__).parents[1]), "/usr/share/zoneinfo", "/proc/self",
             "/dev/null", "/dev/urandom"}
    return tuple(str(Path(r).resolve()) if not r.endswith("/") else r for r in roots)


class _Reads(threading.local):
    watching: bool = False
    folder: str = ""
    outside: list


_reads = _Reads()
_ALLOWED: tuple[str, ...] = ()


def _audit(event: str, args: tuple) -> None:
    if not _reads.watching or event not in ("open", "os.listdir", "os.scandir"):
        return
    target = args[0] if args else None
    if isinstance(target, int) or target is None:
        return  # an already open handle (a no-follow open below the folder): its opening was seen
    path = os.path.realpath(os.fsdecode(target))
    if not path.startswith(_reads.folder) and not path.startswith(_ALLOWED):
        _reads.outside.append(path)


def _install() -> None:
    """The audit hook, once; then one unwatched check per format, so that what libraries read once for
    themselves on first use (modules found on sys.path, /etc/mime.types) is not taken for an input's doing."""
    global _ALLOWED
    if _ALLOWED:
        return
    from opendata.normalise import normalise_for_check
    from tests.corpus.make_corpus import SAMPLE, _records, _rows, _xlsx

    _ALLOWED = _allowed_roots()
    sys.addaudithook(_audit)  # process-wide and permanent: inert unless a check is being watched
    rows = _rows()
    warm = {".csv": SAMPLE.read_bytes(), ".xlsx": _xlsx(rows), ".json": json.dumps(_records(rows)).encode()}
    for suffix, data in warm.items():
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / f"warm{suffix}").write_bytes(data)
            normalise_for_check(SPEC, Path(tmp) / f"warm{suffix}", f"warm{suffix}", Path(tmp))
    for suffix in SUFFIXES:
        check_bytes(b"\xd0\xcf\x11\xe0" if suffix == ".xls" else b"x", suffix)


def rss_kib() -> int:
    with open("/proc/self/status") as status:
        return int(next(line for line in status if line.startswith("VmRSS")).split()[1])


def check_bytes(data: bytes, suffix: str, folder: Path | None = None) -> str:
    """'accepted', 'rejected' or 'unreadable' for ``data`` delivered as ``delivery<suffix>``; raises
    :class:`Broken` for anything else."""
    from opendata.cli.delivery import gate
    from opendata.exceptions import InputError
    from opendata.normalise import normalise_for_check
    from opendata.quality.receipt import receipt_dict, render_markdown
    from opendata.quality.report_html import render_html

    _install()
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        path = Path(tmp) / f"delivery{suffix}"
        path.write_bytes(data)
        (Path(tmp) / "work").mkdir()
        received = datetime.now(UTC).isoformat(timespec="seconds")
        started = time.monotonic()
        _reads.folder, _reads.outside, _reads.watching = str(Path(tmp).resolve()), [], True
        try:
            table, rows = normalise_for_check(SPEC, path, path.name, Path(tmp) / "work")
            receipt = gate(SPEC, PROVINCE, table, rows, path.name, received)
            outcome = "accepted" if receipt["accepted"] else "rejected"
        except InputError as exc:
            receipt, outcome = receipt_dict(SPEC.key, SPEC.title.vi, path.name, False, {}, None, [], received,
                                            error=exc.message), "unreadable"
        except Exception as exc:  # noqa: BLE001 - exactly what the invariant forbids
            raise Broken(f"{type(exc).__name__} escaped the check: {exc!s:.300}") from exc
        finally:
            _reads.watching = False
        render_markdown(receipt), render_html(receipt, received)  # the receipt renders, whatever it holds
        seconds = time.monotonic() - started
    if _reads.outside:
        raise Broken(f"read outside the delivery: {sorted(set(_reads.outside))[:5]}")
    if seconds > SECONDS:
        raise Broken(f"took {seconds:.1f} s (bound {SECONDS} s)")
    if rss_kib() > RSS_LIMIT_KIB:
        raise Broken(f"the process holds {rss_kib() / 1024:.0f} MiB after the check (bound {RSS_LIMIT_KIB >> 10} MiB)")
    return outcome
