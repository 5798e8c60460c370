"""Email addresses with letters beyond ASCII in the domain or the local part (IDN and EAI:
``张三@例子.中国``, ``user@münchen.de``, ``иван@почта.рф``), for ``emails.email_spans``, which
reads customer text and, through the PII detector, answers for the post-filter.

A domain ends at its top-level domain: an ASCII one of letters, or one of :data:`_IDN_TLDS`.
Chinese and Japanese are written without spaces, so an address may run straight into the
sentence around it (请发到张三@例子.中国谢谢). After the domain, the longest top-level domain
the text starts with ends it (中国, not 中国谢谢). Before the "@" nothing tells the name from
the words before it (请发到张三 or 张三), so the address is masked from the start of the run of
letters, up to 64 of them: more than the address, rather than part of it (``emails.py`` does
the same for Latin text glued to an address by a 。).

Each "@" before a dotted host reads at most 64 characters back and 253 forward: time stays
linear. Other "@"s (a mention, "张@张@..." pasted) are passed over by a search in C.
"""

from __future__ import annotations

import re
from typing import Final

from .boundaries import Spans

# Top-level domains in other scripts that the root zone holds and customers meet.
_IDN_TLDS: Final = frozenset(
    """中国 中國 公司 网络 網絡 香港 台湾 台灣 新加坡 澳门 澳門 在线 网址 网店 商城 移动 集团 中文网
    我爱你 みんな コム 한국 닷컴 닷넷 рф рус бел укр срб мкд қаз мон москва онлайн сайт орг ком
    дети ελ ευ بھارت مصر السعودية امارات قطر عمان الجزائر المغرب تونس भारत ไทย ישראל""".split()
)
_LONGEST_TLD: Final = max(map(len, _IDN_TLDS))
_LOCAL_RUN: Final = re.compile(r"[\w.%+'-]+")  # read backwards from the "@"
_LOCAL_REACH: Final = 64
_HOST: Final = re.compile(r"[^\W_](?:[\w-]{0,62})(?:[.。][^\W_][\w-]{0,62}){1,8}")
# An "@" that a host with a dot follows: the others are no address, and are skipped in C.
_AT_HOST: Final = re.compile(r"@(?=[^\W_][\w-]{0,62}[.。][^\W_])")
_ASCII_TLD: Final = re.compile(r"[A-Za-z]{2,63}", re.ASCII)
# What emails.py reads a local part of as typed (it imports it from here): Latin letters, some
# accented (josé.garcía@...), digits and the usual signs.
LOCAL: Final = r"A-Za-z0-9\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f._%+'-"
_ASCII_LOCAL: Final = re.compile(f"[{LOCAL}]+")
_LATIN_RUN: Final = re.compile(f"[{LOCAL}]*")


def idn_email_spans(text: str) -> Spans:
    """Addresses in ``text`` whose domain or local part holds letters beyond Latin ones (those
    ``emails.py`` reads as typed are left to it)."""
    for found in _AT_HOST.finditer(text):
        at = found.start()
        start, end = _local_start(text, at), _domain_end(text, at + 1)
        if start < at and end is not None:
            local, domain = text[start:at], text[at + 1 : end]
            if not (domain.isascii() and _ASCII_LOCAL.fullmatch(local)):
                yield start, end


def _local_start(text: str, at: int) -> int:
    """Where the local part before the "@" at ``at`` starts: the run of letters, digits and
    . % + ' - before it, at most :data:`_LOCAL_REACH` of them, without a sentence's dots and
    quotes at its start. A name in Latin letters ends the run where another script stands
    before it (邮箱test@qq.com, 请发邮件到zhang@例子.中国): the name is the Latin part."""
    before = text[max(0, at - _LOCAL_REACH) : at][::-1]
    latin = _LATIN_RUN.match(before)  # "邮箱test@qq.com": the Latin name glued to Chinese
    run = latin if latin and latin.end() else _han_name(before) or _LOCAL_RUN.match(before)
    start = at - (run.end() if run else 0)
    while start < at and text[start] in ".'":
        start += 1
    return start


def _han_name(before: str) -> re.Match[str] | None:
    """The Chinese name that ``before`` (the text before an "@", reversed) starts with, if it
    starts with a Chinese character: at most :data:`_HAN_NAME` characters, up to a word that
    introduces it (请发邮件到张三, 邮箱是李四). A name's second character may be such a word
    (张为民, 王发), so the word ends a name of two characters or more."""
    name = _HAN_NAME_REVERSED.match(before)
    if name is None:
        return None
    for size in range(2, len(name[0])):
        if before[size:].startswith(_HAN_LINKS_REVERSED):
            return _HAN_NAME_REVERSED.match(before, 0, size)
    return name


_HAN_NAME: Final = 4  # Chinese names are 2 to 4 characters: 张三, 欧阳明月
_HAN_NAME_REVERSED: Final = re.compile(
    f"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{{1,{_HAN_NAME}}}"
)
# The words that introduce an address (text is folded to simplified characters), reversed.
_HAN_LINKS_REVERSED: Final = tuple(
    word[::-1] for word in ("是", "到", "至", "为", "给", "发", "邮箱", "邮件", "地址", "信箱")
)


def _domain_end(text: str, start: int) -> int | None:
    """Where the domain from ``start`` ends: after its last label that is a top-level domain
    (an ASCII one of letters, or one of :data:`_IDN_TLDS`, which may run into the text after
    it); None if it has none."""
    host = _HOST.match(text, start)
    if host is None:
        return None
    labels = re.split("[.。]", host[0])
    end = host.end()
    for n in range(len(labels) - 1, 0, -1):
        last = labels[n]
        tld = _tld_in(last)
        if tld and (n > 1 or labels[0]):
            return end - len(last) + tld
        end -= len(last) + 1
    return None


def _tld_in(label: str) -> int:
    """How much of ``label`` (the domain's last, so far) is a top-level domain: all of an ASCII
    label of letters or of one in :data:`_IDN_TLDS`; the longest of those it starts with
    (中国 of 中国谢谢); 0 if none."""
    if label.isascii():
        return len(label) if _ASCII_TLD.fullmatch(label) else 0
    for size in range(min(len(label), _LONGEST_TLD), 1, -1):
        if label[:size] in _IDN_TLDS:
            return size
    return 0
