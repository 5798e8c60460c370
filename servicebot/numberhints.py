"""How to write a number an operator typed in a way YAML or the setting does not take.

Owns the hints :mod:`.validation` adds to "should be a number" problems: ``0,22`` with a
decimal comma, ``20s`` or ``2 weeks`` with a unit, ``4OO`` with a letter O, ``50.000`` with a
point between thousands; each says what to write instead. A hint offers a number only if the
key at fault takes it, which the caller answers with a ``takes`` function, so that nothing
here needs to know the settings' schema.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

Takes = Callable[[Any], bool]


def number_hint(kind: str, given: Any) -> str:
    """How to write a number YAML read as text: ``0,22`` with a decimal comma, ``6,000`` with a
    thousands separator in a whole number, ``０.２２`` in full-width digits. (``2,000`` is
    either in a number that may have decimals: no hint.)"""
    if kind not in ("float_parsing", "int_parsing") or not isinstance(given, str):
        return ""
    text = unicodedata.normalize("NFKC", given).strip()  # full-width digits: plain ones
    if kind == "int_parsing" and re.fullmatch(r"[-+]?[1-9]\d{0,2}(?:,\d{3})+", text):
        text = text.replace(",", "")
    elif kind == "float_parsing" and re.fullmatch(r"[-+]?\d+,(?!\d{3}$)\d+", text):
        text = text.replace(",", ".")
    try:
        float(text)
    except ValueError:
        return ""
    return f" (write {text})" if text != given.strip() else ""


def unit_hint(kind: str, given: Any, key: str, takes: Takes) -> str:
    """How to write a number typed with its unit (``timeout: 20s``, ``ttl_seconds: 1h``,
    ``retention_days: 2 weeks``, ``max_prompt_tokens: 6k``, ``min_score: 22%``) or with a
    letter O for a zero (``4OO``): the number the key takes, in the key's own unit."""
    if kind not in ("float_parsing", "int_parsing") or not isinstance(given, str):
        return ""
    text = unicodedata.normalize("NFKC", given).strip()
    if re.fullmatch(r"\d*[Oo][\dOo]*", text) and re.search(r"\d", text):
        return _offer(text.translate(_LETTER_O), takes, ": a letter O was typed for a zero")
    found = _WITH_UNIT.fullmatch(text)
    if not found:
        return ""
    number, unit = float(found[1]), found[2].lower()
    if unit in _SECONDS and (
        key in ("timeout", "max_retry_after", "turn_timeout", "breaker_pause")
        or key.endswith("_seconds")
    ):
        return _offer(_plain(number * _SECONDS[unit]), takes, ": the number of seconds")
    if unit in _SECONDS and key.endswith("_days") and _SECONDS[unit] >= _DAY:
        return _offer(_plain(number * _SECONDS[unit] / _DAY), takes, ": the number of days")
    scale = {"k": 1000, "%": 0.01}.get(unit, 1 if unit in _COUNTED else None)
    return _offer(_plain(number * scale), takes) if scale else ""


def whole_hint(kind: str, given: Any, takes: Takes) -> str:
    """How to write a whole number written with a point (``max_chars: 50.000``, which YAML
    reads as 50.0), offering only what the key takes: ``top_k: 3.0`` is 3, never 3000, and
    ``max_retries: -1.0`` is told nothing to write."""
    if kind != "int_from_float" or not isinstance(given, float) or not given.is_integer():
        return ""
    whole, thousands = int(given), int(given) * 1000
    taken = [
        number
        for number in dict.fromkeys((whole, thousands if abs(given) < 1000 else whole))
        if takes(number)
    ]
    if taken == [thousands] and thousands != whole:
        return f" (write {thousands} if the point separates thousands)"
    if len(taken) == 2:
        return f" (write {whole}, or {thousands} if the point separates thousands)"
    return f" (write {whole})" if taken else ""


def _offer(number: str, takes: Takes, why: str = "") -> str:
    """ " (write NUMBER)" if the key at fault takes it."""
    return f" (write {number}{why})" if takes(number) else ""


def _plain(number: float) -> str:
    """A number as an operator writes it: 3600, not 3600.0; 0.22, not 0.22000000000000003."""
    return str(int(number)) if number.is_integer() else f"{number:.10g}"


_WITH_UNIT = re.compile(r"([-+]?\d+(?:\.\d+)?)\s*([^\W\d_]+|%)")
_DAY = 86_400
_SECONDS = {  # a unit typed after a number of seconds or days, in seconds
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds", "秒"), 1),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes", "分钟"), 60),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours", "小时"), 3600),
    **dict.fromkeys(("d", "day", "days", "天"), _DAY),
    **dict.fromkeys(("w", "week", "weeks", "周"), 7 * _DAY),
}
_COUNTED = frozenset({"tokens", "token", "chars", "characters", "entries", "turns", "items"})
_LETTER_O = str.maketrans("Oo", "00")
