"""Messenger ids (the ``MESSENGER_ID`` kind): a WeChat, QQ, LINE or Telegram id right after
its label, which customers give to be contacted ("加我微信 abc_123", "QQ号 12345678",
"賴ID：mary.chan", "my wechat id is john_smith88", "telegram @john_doe").

Only after its label: an unlabelled word is never one, since product codes and model numbers
have an id's shape. The id must have its app's shape whole (a WeChat id 6 to 20 letters,
digits, "_" or "-" from a letter; a QQ number 5 to 11 digits; a LINE id 4 to 20 letters,
digits, ".", "_" or "-"; a Telegram name 5 to 32 from a letter), and one with no digit, "_"
or "@" in it only after a colon, "id", 号 or 是: "my wechat is broken" and "wechat payment"
give none, nor do 微信支付 and "LINE Pay", whose label no id follows. A WhatsApp account is
its phone number, a ``PHONE`` (labels.py). A labelled QQ number is this kind, not the phone or
order number its digits may look like (:func:`named_ids`). An id of letters alone may come in
a message with no digit ("我的微信是zhangsan_sh"), whose labels are read only if it holds a
WeChat, LINE or Telegram label (:func:`may_name_an_id`).

Owns :func:`messenger_spans` and :func:`named_ids`, called by ``pii.find_pii``. The labels are
words of ``labels.CUES`` (Chinese ones too: 微信, 扣扣, 赖), found by ``labelled.py``'s one pass
over every label, so a message without one reads nothing here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from .boundaries import Spans

_MOST_LABELS: Final = 50  # more is a paste or spam ("qq qq qq ..."), each costs a match

# The text is normalised: traditional characters read as simplified (微信號 as 微信号, 賴 as
# 赖), full-width letters and colons as ASCII ones.
_LABELLED: Final = re.compile(
    r"(?:(?P<wechat>wechat(?:[ ]?id)?|weixin|wx|vx|微信号?|威信|薇信|v信)"
    r"|(?P<qq>qq(?:[ ]?(?:number|no\.?|号码?))?|扣扣|企鹅号)"
    r"|(?P<line>line[ ]?id|赖)"
    r"|(?P<telegram>telegram))"
    # The words between a label and its id: each one way, so a failed match backs off in steps.
    r"(?P<link>(?:[ \t]{0,3}(?:[:=]|(?:id|is|number|no\.|handle|username|account)(?![a-z])"
    r"|号码?|[账帐]号|就?是|为)){0,6}+)[ \t]{0,3}"
    r"(?P<value>@?[a-z0-9][a-z0-9._-]{0,40})",
    re.IGNORECASE,
)
_SHAPES: Final = {
    "wechat": re.compile(r"[a-z][a-z0-9_-]{5,19}", re.IGNORECASE),
    "qq": re.compile(r"[1-9][0-9]{4,10}"),
    "line": re.compile(r"@?(?=[0-9._-]*[a-z])[a-z0-9._-]{4,20}", re.IGNORECASE),
    "telegram": re.compile(r"@?[a-z][a-z0-9_]{4,31}", re.IGNORECASE),
}
_ID_CHARACTER: Final = re.compile(r"[A-Za-z0-9._@-]")
# Links that say an id follows, so that one of letters alone is taken ("wechat: johnsmith").
_NAMING: Final = re.compile(r"[:=]|id|号|是|为", re.IGNORECASE)
_MARKED: Final = re.compile(r"[0-9_@]")  # an id with one of these is no word
# Words that follow a messenger's name as often as an id does, with a colon too.
_NOT_ID: Final = frozenset(
    "payment payments support official account message messages group groups login "
    "verification wallet transfer refund business channel".split()
)


# The labels of an id that may have no digit (a QQ number is digits), in lower case: those with
# an "x" (wx, vx, weixin) and 信 (微信, 威信, 薇信, v信) looked for only after it, which most
# messages lack, so that one with none costs five searches in C. Not "we" for wechat and
# weixin, nor 信 alone, which most messages have ("were", 信息): each would read every label.
_LABELS_WITH_X: Final = ("wx", "vx", "weixin")
_LABELS_WITH_XIN: Final = ("微信", "威信", "薇信", "v信")


def may_name_an_id(lowered: str) -> bool:
    """Whether ``lowered`` (normalised, in lower case) may hold the label of an id with no
    digit: a message with no digit is read for labels only then ("my wechat is zhangsan_sh")."""
    if "wechat" in lowered or "telegram" in lowered or "line id" in lowered:
        return True
    if "x" in lowered and any(map(lowered.__contains__, _LABELS_WITH_X)):
        return True
    if lowered.isascii():
        return False
    if "信" in lowered and any(map(lowered.__contains__, _LABELS_WITH_XIN)):
        return True
    return "赖" in lowered


def messenger_spans(text: str, cues: Sequence[tuple[int, int, str]]) -> Spans:
    """Messenger ids in normalised ``text``, each right after a label that ``cues`` (from
    ``labelled.find_labelled``) says stands there."""
    starts = [start for start, _, cue in cues if cue == "messenger"][:_MOST_LABELS]
    for start in starts:
        if (match := _LABELLED.match(text, start)) and (end := _id_end(text, match)):
            yield match.start("value"), end


def _id_end(text: str, match: re.Match[str]) -> int | None:
    """Where the id ``match`` read after its label ends, if it has its app's shape whole and
    its label or link names it: None for "my wechat is broken", "QQ 123456789012"."""
    if _ID_CHARACTER.match(text, match.end("value")):
        return None  # it runs on: longer than an id, or an email's name (12345@qq.com)
    value = match["value"].rstrip(".-")  # a sentence's full stop
    end = match.start("value") + len(value)
    app = next(name for name in _SHAPES if match[name] is not None)
    if not _SHAPES[app].fullmatch(value) or value.lower() in _NOT_ID:
        return None
    named = _NAMING.search(match["link"]) or _NAMING.search(match[app])
    return end if named or _MARKED.search(value) else None


def named_ids(
    found: list[tuple[int, int, str]], ids: list[tuple[int, int]]
) -> list[tuple[int, int, str]]:
    """``found`` without what lies inside a messenger id, with the ids: the label says what
    the value is, so "QQ 13800138000" is no mobile phone and "QQ 4895803924" no order."""
    kept = [f for f in found if not any(start <= f[0] and f[1] <= end for start, end in ids)]
    return kept + [(start, end, "MESSENGER_ID") for start, end in ids]
