"""What the PII detector's tests (test_pii.py, test_emails.py, test_phones.py, test_numbers.py,
test_labelled.py) read of :func:`~servicebot.filters.pii.find_pii`: every finding as
(kind, matched text) (``spans``), or the matched texts of one kind (``found``)."""

from __future__ import annotations

from servicebot.filters.pii import find_pii


def spans(text: str, kinds: tuple[str, ...] | None = None) -> list[tuple[str, str]]:
    """(kind, matched text) for every finding, in order."""
    return [(f.kind, text[f.start : f.end]) for f in find_pii(text, kinds)]


def found(text: str, kind: str) -> list[str]:
    """The matched texts of one kind, in order."""
    return [value for k, value in spans(text) if k == kind]
