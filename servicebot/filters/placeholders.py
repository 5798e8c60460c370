"""Stable placeholders for personal data: ``[PHONE_1]`` means the same number all conversation.

The map from values to placeholders travels with the conversation (``to_state`` /
``from_state``: plain JSON for the store), so any process serving the next turn gives the
same value the same placeholder. It never holds a value: only a digest of it (HMAC-SHA256
over the conversation's random salt and the value), keyed by ``SERVICEBOT_PII_KEY`` when it
is set, so that a copy of the store can be neither brute-forced for phone numbers nor used
to link one customer's conversations; without the key, the salt alone keys the digest.
Beside the digests, the state names the keys they were made with, by a mark that reveals
nothing of a key (``key_mark``), so that a look-up with another key can say which
conversations it cannot read (store/holding.py) rather than find nothing in silence.

A key is rotated with the old one kept as ``SERVICEBOT_PII_KEY_PREVIOUS`` for a while: a value
the new key has no digest of in a conversation is looked up under the old key too (and under
none, the salt alone, which a state always holds), and keeps the placeholder it had, its
digest under the new key added. Without it, the customer's phone, ``[PHONE_1]`` in the turns
before the rotation, became ``[PHONE_2]`` after it, and the model read of two phones. A value
whose kind a new version splits off is looked up under the kind it had too: a Hong Kong ID
stored as ``[CN_ID_1]`` before HK_ID was a kind stays ``[CN_ID_1]`` in that conversation.
"""

from __future__ import annotations

import functools
import hmac
import itertools
import os
import re
import secrets
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, Self

from .pii import PII_KINDS
from .values import canonical

# A kind whose values an earlier version gave another kind's placeholders: a Hong Kong ID was
# a CN_ID before HK_ID was its own kind, and keeps its [CN_ID_1] in a conversation begun then.
_FORMER_KIND = {"HK_ID": "CN_ID"}
KEY_ENV = "SERVICEBOT_PII_KEY"
PREVIOUS_KEY_ENV = "SERVICEBOT_PII_KEY_PREVIOUS"  # the key rotated out: see the docstring
PLACEHOLDER = re.compile(r"\[([A-Z][A-Z_]*)_(\d+)\]")


@dataclass
class Placeholders:
    """One conversation's placeholders, by a digest of the value they stand for."""

    salt: str = field(default_factory=lambda: secrets.token_hex(16))
    by_digest: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)  # placeholders issued, per kind
    # The placeholders that stood for part of a value typed in pieces (filters/pieces.py): a
    # stored "my card number is [CARD_1]" reads the same whether the value was whole or not,
    # and only a part leaves its label open for the next message.
    pieces: set[str] = field(default_factory=set)
    # The key_mark of each SERVICEBOT_PII_KEY (or none) a digest here was made with; a state
    # kept before keys were marked has none.
    keys: set[str] = field(default_factory=set)

    def placeholder_for(self, kind: str, value: str) -> str:
        """The placeholder for ``value``: the one it had before, or the kind's next number."""
        key = os.environ.get(KEY_ENV) or ""  # read once: a message may hold 10,000 values
        digest = self._digest(kind, value, key)
        if digest not in self.by_digest:
            self.by_digest[digest] = self._earlier(kind, value, key) or self._next(kind)
            self.keys.add(_mark_of(key))
        return self.by_digest[digest]

    def placeholder_of(self, kind: str, value: str) -> str | None:
        """The placeholder ``value`` has had in this conversation, issuing none: None if the
        customer never typed it here (how an erasure request finds it: store/holding.py)."""
        key = os.environ.get(KEY_ENV) or ""
        return self.by_digest.get(self._digest(kind, value, key)) or self._earlier(kind, value, key)

    def _next(self, kind: str) -> str:
        """The kind's next placeholder, counted as issued."""
        self.counts[kind] = self.counts.get(kind, 0) + 1
        return f"[{kind}_{self.counts[kind]}]"

    def _earlier(self, kind: str, value: str, key: str) -> str | None:
        """The placeholder ``value`` had under a key this conversation used before ``key``
        (the rotated-out SERVICEBOT_PII_KEY_PREVIOUS, or none), or as the kind an earlier
        version gave such values (``_FORMER_KIND``) under any of them. Tried only for a key
        the state names (or a state kept before keys were named), and a former kind only if
        the state issued one, so a miss costs no HMAC more. Each key once: with no previous
        key set, none's digest is not made twice."""
        keys = dict.fromkeys((key, os.environ.get(PREVIOUS_KEY_ENV) or "", ""))
        former = _FORMER_KIND.get(kind)
        kinds = (kind, former) if former in self.counts else (kind,)
        for each, earlier in itertools.product(kinds, keys):
            if (each, earlier) == (kind, key) or (self.keys and _mark_of(earlier) not in self.keys):
                continue
            if found := self.by_digest.get(self._digest(each, value, earlier)):
                return found
        return None

    def mark_piece(self, placeholder: str) -> None:
        """Record that ``placeholder`` stood for part of a value, not all of it."""
        self.pieces.add(placeholder)

    def to_state(self) -> dict[str, Any]:
        """What the store keeps for the conversation: a salt and digests, never a value; and
        the placeholders of pieces, if any (a conversation with none keeps the state it had)."""
        state: dict[str, Any] = {
            "salt": self.salt,
            "by_digest": dict(self.by_digest),
            "counts": dict(self.counts),
        }
        if self.pieces:
            state["pieces"] = sorted(self.pieces)
        if self.keys:
            state["keys"] = sorted(self.keys)
        return state

    @classmethod
    def from_state(cls, state: dict[str, Any] | None) -> Self:
        if not state:
            return cls()
        pieces = set(state.get("pieces") or ())  # a state kept before pieces were marked has none
        keys = set(state.get("keys") or ())
        salt, digests, counts = str(state["salt"]), dict(state["by_digest"]), state["counts"]
        return cls(salt, digests, dict(counts), pieces, keys)

    def _digest(self, kind: str, value: str, key: str) -> str:
        """The digest of ``value`` under ``key`` (SERVICEBOT_PII_KEY), or the salt if none."""
        message = f"{self.salt}:{kind}:{canonical(kind, value)}"
        secret = (key or self.salt).encode()
        return hmac.digest(secret, message.encode("utf-8", "surrogatepass"), "sha256").hex()


def key_mark() -> str:
    """What names the ``SERVICEBOT_PII_KEY`` set here in a state: "" for none, else the
    start of an HMAC of a fixed text under it, which tells two keys apart and reveals no
    more of a key than its digests of phone numbers already do."""
    return _mark_of(os.environ.get(KEY_ENV) or "")


def readable_marks() -> set[str]:
    """The marks of the keys whose digests a look-up here reads: SERVICEBOT_PII_KEY's, the
    rotated-out SERVICEBOT_PII_KEY_PREVIOUS's if set, and none's (the salt is in the state)."""
    return {key_mark(), _mark_of(os.environ.get(PREVIOUS_KEY_ENV) or ""), ""}


@functools.lru_cache(maxsize=4)
def _mark_of(key: str) -> str:
    """``key``'s mark, made once per key: each new placeholder marks its key, and a message
    of 10,000 addresses made an HMAC more for each. Kept: the key is in the environment
    already, and the mark reveals nothing of it."""
    if not key:
        return ""
    return hmac.digest(key.encode(), b"servicebot: which key", "sha256").hex()[:16]


# What a placeholder whose value is not known this turn is shown as: the model may repeat
# [PHONE_1] from an earlier turn, whose value was never kept (see the module docstring).
_DESCRIBED = {
    "en": {"PHONE": "your phone number", "EMAIL": "your email address", "CARD": "your card",
           "CN_ID": "your ID number", "HK_ID": "your HKID number",
           "PASSPORT": "your passport number", "IBAN": "your IBAN",
           "IP": "your IP address", "SSN": "your social security number", "SECRET": "your key",
           "ADDRESS": "your address", "DATE_OF_BIRTH": "your date of birth",
           "MESSENGER_ID": "your messenger ID", "": "your details"},
    "zh": {"PHONE": "您的电话号码", "EMAIL": "您的邮箱", "CARD": "您的银行卡",
           "CN_ID": "您的身份证号", "HK_ID": "您的香港身份证号码",
           "PASSPORT": "您的护照号", "IBAN": "您的IBAN账号",
           "IP": "您的IP地址", "SSN": "您的社会安全号", "SECRET": "您的密钥",
           "ADDRESS": "您的地址", "DATE_OF_BIRTH": "您的出生日期",
           "MESSENGER_ID": "您的微信/QQ号", "": "您的信息"},
    # Taiwan's words, as the customers of a shop writing traditional use them (郵箱, 銀行卡
    # and 身分證號 are mainland words in traditional characters).
    "zh-Hant": {"PHONE": "您的電話號碼", "EMAIL": "您的電子郵件", "CARD": "您的卡片",
                "CN_ID": "您的身分證字號", "HK_ID": "您的香港身份證號碼",
                "PASSPORT": "您的護照號碼", "IBAN": "您的IBAN帳號",
                "IP": "您的IP位址", "SSN": "您的社會安全號碼", "SECRET": "您的金鑰",
                "ADDRESS": "您的地址", "DATE_OF_BIRTH": "您的出生日期",
                "MESSENGER_ID": "您的通訊軟體帳號", "": "您的資料"},
}  # fmt: skip


# Models copy a placeholder loosely, Chinese answers most: 【PHONE_1】, ［PHONE_1］, {PHONE_1},
# [Phone 1], [PHONE-1], [CN-ID-1], [PHONE_01], a bare PHONE_1. Such forms are read as
# placeholders only for the kinds the pre-filter issues, so "[Step 1]" stays as written;
# (PHONE_1) is a customer's own text.
# A bare one may touch Chinese (打PHONE_1联系), so its edges are ASCII letters and digits.
_COPIED = re.compile(
    r"[\[［【{]\s*([A-Za-z][A-Za-z_-]*?)[ _-]?0*(\d+)\s*[\]］】}]"
    r"|(?<![A-Za-z0-9_\[［【{(])([A-Z][A-Z_]*)_0*(\d+)(?![A-Za-z0-9_\]］】})])"
)


def restore(
    text: str,
    values: dict[str, str],
    language: str = "en",
    kinds: Collection[str] | None = None,
) -> str:
    """``text`` with each placeholder, as written or as models copy it, replaced by the
    customer's own value from ``values``, or, for a value not known this turn or of a kind
    not in ``kinds`` (None: every kind), by what it stands for in the turn's ``language``
    ("your phone number", "您的电话号码"): a customer never reads a bracketed token."""
    described = _DESCRIBED.get(language, _DESCRIBED["en"])

    def value(match: re.Match[str]) -> str:
        kind, number = (match[1] or match[3]).upper().replace("-", "_"), match[2] or match[4]
        if kind not in PII_KINDS and not PLACEHOLDER.fullmatch(match[0]):
            return match[0]
        given = values.get(f"[{kind}_{number}]") if kinds is None or kind in kinds else None
        return _shown(kind, given) if given else described.get(kind, described[""])

    return _COPIED.sub(value, text)


def _shown(kind: str, value: str) -> str:
    """How a customer's own value is shown back. A card number only by its last four digits,
    and its security code, a password, key or one-time code never (as •••): a shop may display
    no more of a card (PCI DSS), and a chat window is read over shoulders and kept in logs."""
    if kind == "SECRET":
        return "•••"
    if kind == "CARD":
        digits = "".join(c for c in value if c.isdigit())
        return f"•••• {digits[-4:]}" if len(digits) >= 12 else "•••"
    return value
