"""Stable placeholders for personal data: ``[PHONE_1]`` means the same number all conversation.

The map from values to placeholders travels with the conversation (``to_state`` /
``from_state``: plain JSON for the store), so any process serving the next turn gives the
same value the same placeholder. It never holds a value: only a keyed digest of it (HMAC-
SHA256), with the key from an environment variable when one is set (then a stolen store
cannot be brute-forced for phone numbers) or else a random per-conversation salt.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

KEY_ENV = "SERVICEBOT_PII_KEY"
PLACEHOLDER = re.compile(r"\[([A-Z][A-Z_]*)_(\d+)\]")


@dataclass
class Placeholders:
    """One conversation's placeholders, by a digest of the value they stand for."""

    salt: str = field(default_factory=lambda: secrets.token_hex(16))
    by_digest: dict[str, str] = field(default_factory=dict)

    def placeholder_for(self, kind: str, value: str, avoid: str = "") -> str:
        """The placeholder for ``value``: the one it had before, or the next free number.

        A number whose placeholder appears literally in ``avoid`` (the customer's own text) is
        skipped, so a placeholder never collides with text the customer typed.
        """
        digest = self._digest(kind, value)
        if digest not in self.by_digest:
            used = {int(p[len(kind) + 2 : -1]) for p in self.by_digest.values() if _of(p, kind)}
            number = 1
            while number in used or f"[{kind}_{number}]" in avoid:
                number += 1
            self.by_digest[digest] = f"[{kind}_{number}]"
        return self.by_digest[digest]

    def to_state(self) -> dict[str, Any]:
        """What the store keeps for the conversation: a salt and digests, never a value."""
        return {"salt": self.salt, "by_digest": dict(self.by_digest)}

    @classmethod
    def from_state(cls, state: dict[str, Any] | None) -> Placeholders:
        if not state:
            return cls()
        return cls(salt=str(state["salt"]), by_digest=dict(state["by_digest"]))

    def _digest(self, kind: str, value: str) -> str:
        key = (os.environ.get(KEY_ENV) or self.salt).encode()
        canonical = _canonical(kind, value)
        return hmac.new(key, f"{kind}:{canonical}".encode(), hashlib.sha256).hexdigest()


def _canonical(kind: str, value: str) -> str:
    """One form per value: "+86 138-0013-8000" and "13800138000" are one phone number."""
    if kind != "PHONE":
        return re.sub(r"[\s\-]", "", value).casefold()
    digits = re.sub(r"\D", "", value)
    international = value.lstrip().startswith(("+", "00"))
    digits = digits.removeprefix("00") if international else digits
    for country in ("86", "1"):  # the country codes of the numbers written without one here
        if international and digits.startswith(country):
            return digits[len(country) :]
    return digits


def _of(placeholder: str, kind: str) -> bool:
    match = PLACEHOLDER.fullmatch(placeholder)
    return match is not None and match.group(1) == kind


def restore(text: str, values: dict[str, str]) -> str:
    """``text`` with each placeholder in ``values`` replaced by the customer's own value."""
    return PLACEHOLDER.sub(lambda match: values.get(match.group(), match.group()), text)
