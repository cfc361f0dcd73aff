"""A spec's ``pattern`` runs on agency text: it must run in linear time, whoever wrote it.

The gate judges patterns with RE2 (linear by construction), so a pattern RE2 cannot compile
(backreferences, look-arounds) is refused. Great Expectations' own pass (Data Docs of a small
delivery) runs the same pattern in Python's backtracking engine, where a repeated group that can
itself repeat or choose, ``(a+)+`` or ``(a|ab)*``, takes exponential time on a cell built for it: those
shapes are refused too, with the rewrite to use.
"""

from __future__ import annotations

import re
from re import _constants as sre_constants  # the parsed-pattern vocabulary of the stdlib engine
from re import _parser as sre_parse

_REPEATS = {sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, sre_constants.POSSESSIVE_REPEAT}
_UNBOUNDED = sre_constants.MAXREPEAT


def _items(parsed) -> list:
    """The (op, argument) items directly inside a parsed (sub)pattern."""
    return list(parsed.data if isinstance(parsed, sre_parse.SubPattern) else parsed)


def _children(op, arg) -> list:
    if op in _REPEATS:
        return [arg[2]]
    if op is sre_constants.SUBPATTERN:
        return [arg[-1]]
    if op is sre_constants.BRANCH:
        return list(arg[1])
    if op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
        return [arg[1]]
    if op is sre_constants.GROUPREF_EXISTS:
        return [a for a in arg[1:] if a is not None]
    return []


def _risky_inside(parsed) -> bool:
    """Whether ``parsed`` holds an unbounded repeat or a choice between alternatives."""
    for op, arg in _items(parsed):
        if op is sre_constants.BRANCH or (op in _REPEATS and arg[1] == _UNBOUNDED):
            return True
        if any(_risky_inside(child) for child in _children(op, arg)):
            return True
    return False


def _nested(parsed) -> bool:
    for op, arg in _items(parsed):
        if op in _REPEATS and arg[1] == _UNBOUNDED and _risky_inside(arg[2]):
            return True
        if any(_nested(child) for child in _children(op, arg)):
            return True
    return False


def pattern_problem(pattern: str) -> str | None:
    """Why ``pattern`` cannot be a spec's pattern (English and Vietnamese), or None."""
    try:
        re.compile(pattern)
        parsed = sre_parse.parse(pattern)
    except re.error as exc:
        return f"not a valid regular expression: {exc}"
    try:
        import pyarrow as pa
        import pyarrow.compute as pc

        from ..arrow_values import array  # not pa.array: converting a Python list would import pandas

        pc.match_substring_regex(array([""], pa.string()), pattern)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return ("uses what RE2 cannot run in linear time (a backreference or a look-around); write it without / "
                "biểu thức dùng tham chiếu ngược hoặc look-around, không chạy được trong thời gian tuyến tính")
    if _nested(parsed):
        return ("repeats a group that itself repeats or chooses, such as (a+)+ or (a|ab)*: on a long cell that takes "
                "exponential time; repeat the characters once instead, e.g. [ab]+ / biểu thức lặp một nhóm tự lặp "
                "(như (a+)+): có thể chạy vô hạn trên một ô dài, hãy viết lại, ví dụ [ab]+")
    return None
