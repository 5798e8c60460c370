"""A provider's content filter refusing the prompt, told from any other refused request.

Azure OpenAI screens each prompt before its model sees it, and refuses one its filter flags
with an HTTP 400 whose error says so: ``{"error": {"code": "content_filter", "param":
"prompt", "innererror": {"code": "ResponsibleAIPolicyViolation", "content_filter_result":
{"violence": {"filtered": true, "severity": "medium"}, ...}}}}``. That was one turn's
``rejected``, as a sampling setting the model does not take is: the trace said ``failed
(rejected)``, which sent the on-call engineer looking for a bug in the request. It is the
``content_filter`` kind now (never retried, as no 400 is, and no outage), and the log says
which of the filter's categories flagged it: names and severities, never the customer's text.
(An answer the filter cuts short is a ``finish_reason`` of ``content_filter`` instead: see
``Completion.declined``.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_CODES = frozenset({"content_filter", "responsibleaipolicyviolation"})


def refused_by_filter(error: Any) -> bool:
    """Whether a server's ``error`` object (the SDK's ``body``) is its content filter's
    refusal: its ``code``, or its ``innererror``'s, says so."""
    if not isinstance(error, Mapping):
        return False
    inner = error.get("innererror")
    codes = [error.get("code"), inner.get("code") if isinstance(inner, Mapping) else None]
    return any(isinstance(code, str) and code.lower() in _CODES for code in codes)


def filtered_categories(error: Any) -> str:
    """The categories the filter flagged, for the log: ``"violence (medium), jailbreak"``;
    "" when the error names none."""
    inner = error.get("innererror") if isinstance(error, Mapping) else None
    results = inner.get("content_filter_result") if isinstance(inner, Mapping) else None
    if not isinstance(results, Mapping):
        return ""
    flagged = []
    for name, result in results.items():
        if isinstance(result, Mapping) and result.get("filtered") is True:
            severity = result.get("severity")
            flagged.append(f"{name} ({severity})" if isinstance(severity, str) else str(name))
    return ", ".join(flagged)[:120]


def filter_detail(error: Any, described: str) -> str:
    """What a ModelError ``content_filter`` says: the filter, what it flagged, then the
    server's error as ``described`` (see failures._describe)."""
    flagged = filtered_categories(error)
    said = f" (flagged: {flagged})" if flagged else ""
    return f"the provider's content filter refused the prompt{said}: {described}"
