"""Detectors the pre- and post-filter share: normalisation, profanity, PII, injection.

Every detector takes a (normalised) string and returns :class:`Finding` spans on it; the
filter stages (``prefilter.py``, ``postfilter.py``) decide what to do with them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Finding:
    """``text[start:end]`` is something a detector found, of ``kind`` (such as ``PHONE``)."""

    start: int
    end: int
    kind: str
