"""The raw archive, checked."""

from __future__ import annotations

import argparse

from ..settings import load_settings


def archive_verify(args: argparse.Namespace) -> int:
    """Every archived object hashed again against the manifest: 0 when all are whole, 1 otherwise."""
    import json

    from ..archive.store import RawArchive

    check = RawArchive(load_settings().paths.data / "archive").verify()
    if args.format == "json":
        print(json.dumps(check.asdict(), indent=1))
    else:
        print(f"kho lưu trữ / archive: {check.verified} object(s) whole; missing {len(check.missing)}, "
              f"corrupt {len(check.corrupt)}, not in the manifest {len(check.unlisted)}, "
              f"torn manifest lines skipped {check.torn_lines}")
        for label, shas in (("thiếu / missing", check.missing), ("hỏng / corrupt", check.corrupt)):
            for sha in shas:
                print(f"  {label}: {sha}")
    return 0 if check.ok else 1
