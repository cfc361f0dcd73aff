"""Arrow arrays and scalars made from Python values without importing pandas.

``pa.array``, ``pa.scalar`` and any plain Python value given to a compute function first ask whether
the value is a pandas object, and to ask, pyarrow imports pandas: 0.15 s and 40 MB in a task process
that never uses it (a quarter of the quality stage's own time on 1M rows). The check stage's hot path
builds its values here instead, from the values' bytes; tests/test_arrow_values.py holds it to that.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pyarrow as pa

_EPOCH_DAY = dt.date(1970, 1, 1)
_EPOCH = dt.datetime(1970, 1, 1)
_UTC_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_UNIT = {"s": dt.timedelta(seconds=1), "ms": dt.timedelta(milliseconds=1), "us": dt.timedelta(microseconds=1)}


def _bits(flags: Sequence[bool]) -> pa.Buffer:
    return pa.py_buffer(np.packbits(np.asarray(flags, np.bool_), bitorder="little"))


def _number(value, kind: pa.DataType):
    if pa.types.is_date32(kind):
        return (value - _EPOCH_DAY).days
    if pa.types.is_timestamp(kind):
        if kind.unit == "ns":
            raise TypeError("nanosecond timestamps are not built here")
        since = value - (_UTC_EPOCH if value.tzinfo else _EPOCH)
        return since // _UNIT[kind.unit]
    return value


def _storage(kind: pa.DataType) -> np.dtype:
    """The numpy type that holds a fixed-width Arrow type's values."""
    if pa.types.is_date32(kind):
        return np.dtype(np.int32)
    if pa.types.is_timestamp(kind):
        return np.dtype(np.int64)
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        return np.dtype(kind.to_pandas_dtype())  # a numpy type: this does not import pandas
    raise TypeError(f"no Arrow array of {kind} is built here")


def array(values: Sequence, kind: pa.DataType) -> pa.Array:
    """``pa.array(values, kind)`` for text, yes/no, numbers, dates and timestamps; None is null."""
    count = len(values)
    present = [v is not None for v in values]
    validity = None if all(present) else _bits(present)
    if pa.types.is_string(kind):
        data = [v.encode("utf-8") if v is not None else b"" for v in values]
        offsets = np.zeros(count + 1, np.int32)
        np.cumsum([len(d) for d in data], out=offsets[1:])
        return pa.Array.from_buffers(kind, count, [validity, pa.py_buffer(offsets), pa.py_buffer(b"".join(data))])
    if pa.types.is_boolean(kind):
        return pa.Array.from_buffers(kind, count, [validity, _bits([bool(v) for v in values])])
    storage = _storage(kind)
    numbers = np.array([_number(v, kind) if v is not None else 0 for v in values], storage)
    return pa.Array.from_buffers(kind, count, [validity, pa.py_buffer(numbers)])


_KINDS = ((bool, pa.bool_()), (int, pa.int64()), (float, pa.float64()), (str, pa.string()),
          (dt.datetime, pa.timestamp("us")), (dt.date, pa.date32()))


def scalar(value, kind: pa.DataType | None = None) -> pa.Scalar:
    """``pa.scalar(value, kind)``; without ``kind``, the type Arrow would infer for a bool, int, float,
    str, date or datetime."""
    if kind is None:
        kind = next(k for python, k in _KINDS if isinstance(value, python))
    return array([value], kind)[0]


def from_numpy(values: np.ndarray) -> pa.Array:
    """A one-dimensional numpy array of numbers or booleans as Arrow, without a copy for numbers."""
    if values.dtype == np.bool_:
        return pa.Array.from_buffers(pa.bool_(), len(values), [None, _bits(values)])
    kind = pa.from_numpy_dtype(values.dtype)
    return pa.Array.from_buffers(kind, len(values), [None, pa.py_buffer(np.ascontiguousarray(values))])


FALSE, TRUE, ZERO, EMPTY_TEXT = scalar(False), scalar(True), scalar(0), scalar("")
NULL_TEXT = scalar(None, pa.string())


def to_numpy(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A number or boolean array without nulls as numpy (``Array.to_numpy`` imports pandas): numbers
    without a copy, booleans unpacked."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if values.null_count:
        raise ValueError("an array with nulls has no numpy form here")
    data = values.buffers()[1]
    if pa.types.is_boolean(values.type):
        bits = np.unpackbits(np.frombuffer(data, np.uint8), bitorder="little")
        return bits[values.offset:values.offset + len(values)].astype(np.bool_)
    kind = np.dtype(values.type.to_pandas_dtype())
    return np.frombuffer(data, kind)[values.offset:values.offset + len(values)]
