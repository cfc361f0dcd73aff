"""Great Expectations' Data Docs with the agency's text escaped.

GX renders the unexpected values of a validation (``partial_unexpected_list`` and friends) into its
HTML as they are: a cell holding ``<script>…`` becomes a script in the Data Docs page (seen with GX
1.x here). So the docs are built from a copy of the validation result whose values from the data are
HTML-escaped text; the verdicts come from the real result, untouched.
"""

from __future__ import annotations

import copy
from html import escape

# the keys of an expectation's result that carry values from the data
_VALUE_KEYS = ("partial_unexpected_list", "unexpected_list", "partial_unexpected_counts", "observed_value",
               "details", "unexpected_rows", "partial_unexpected_index_list", "unexpected_index_list",
               "unexpected_index_query")


def _escaped(value):
    if isinstance(value, str):
        return escape(value)
    if isinstance(value, dict):
        return {(escape(k) if isinstance(k, str) else k): _escaped(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_escaped(v) for v in value]
    return value


def escaped_copy(result):
    """A copy of a suite's validation result whose data values are escaped text (for rendering only)."""
    shown = copy.deepcopy(result)
    for res in shown.results:
        found = res.result or {}
        for key in _VALUE_KEYS:
            if key in found:
                found[key] = _escaped(found[key])
    return shown


def build(ctx, site: str, suite_name: str, identifier, result) -> None:
    """Store the escaped copy under the run's identifier (the ephemeral context's own store) and render
    the site from it."""
    from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier

    ctx.validation_results_store.set(identifier, escaped_copy(result))
    ctx.build_data_docs(site_names=[site], resource_identifiers=[identifier, ExpectationSuiteIdentifier(name=suite_name)])
