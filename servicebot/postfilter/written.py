"""Links written out so no link check reads them, though a customer types them in: dots
spaced ("www . evil . com / pay", "evil .com/pay", "evil. com/pay"), Chinese ("evil点com",
"evil 。com") or a word ("evil dot com slash refund"), each read as the link it spells.

A spaced dot is a sentence's stop as often, so the reading is careful. The last label must
be an ending no word is (:data:`_ENDINGS`; "我买了 iPhone 。it works" spells none), in lower
case after a plain dot ("Thanks. Net refunds" is prose). A dot with a space after it and
none before ends a sentence ("Go to the shop. evil . com" reads "evil.com"; "Step 1. com
port" none), and one with a space before it and none after names an ending ("sell .com
domains"): either is a link's only with a path ("evil. com/pay", "evil .com/pay"), as is a
dot that ends a line before the ending starts the next ("evil." then "com/pay"). "dot" as
a word, which prose says ("a former dot com CEO"), spells a link only with a path, a scheme
or "www" ("evil dot com slash refund"), or twice. Spelled-out emails and "Look at evil dot
com" are ``filters/emails.py``'s to read.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from .links import NOT_CJK_LETTER, SCHEME, URL_PATH

# Possessive: a label that gives back letters leaves one of them next, which no dot, path or
# slash starts with, so the match is the same, without retrying each shorter label.
_LABEL = r"[a-z0-9-]++"
_DOT = r"\.[ \t]*\n[ \t]*|[ \t]+\.[ \t]*|\.[ \t]+|[ \t]*[点。][ \t]*|[ \t]+dot[ \t]+|\."
_SLASH = r"(?:[ \t]*/[ \t]*|[ \t]+slash[ \t]+|[ \t]*斜杠[ \t]*)[a-z0-9_-]+"


# Compiled on first use, as links.py's patterns are: 4 ms of `servicebot check`'s start,
# which reads no answer.
@functools.cache
def _written() -> re.Pattern[str]:
    """A link with its dots written out. Starts where a run of letters starts (Chinese runs
    straight into a link: "请访问evil点com"), so no input makes it retry inside one (linear
    time)."""
    return re.compile(
        rf"(?<![.@/-])(?<!{NOT_CJK_LETTER})(?P<scheme>{SCHEME})?"
        rf"(?P<domain>{_LABEL}(?:(?:{_DOT}){_LABEL})+)(?P<path>{URL_PATH}|(?:{_SLASH})+)?",
        re.IGNORECASE,
    )


_SEPARATOR = re.compile(_DOT, re.IGNORECASE)
_SPOKEN_SLASH = re.compile(r"[ \t]+slash[ \t]+|[ \t]*斜杠[ \t]*|[ \t]*/[ \t]*", re.IGNORECASE)
# Endings no English word is, nor a word a sentence in lower case starts with.
_ENDINGS = frozenset("com net org edu gov biz info xyz io cn uk jp ru hk tw eu top vip icu".split())
_PROSE = frozenset("the a an this that my your our their his her its".split())
# A stop (". ", or "." ending a line) right before an ending: the only way a written link
# has no dot written out but stops (see _may_write).
_STOP_ENDING = re.compile(
    rf"\.(?:[ \t]+|[ \t]*\n[ \t]*)(?:{'|'.join(sorted(_ENDINGS))})(?![a-z0-9-])", re.IGNORECASE
)


def find_written(text: str) -> Iterator[tuple[int, int, str]]:
    """Where ``text`` spells a link with a dot written out, and the link each spells
    ("evil.com/pay"): see the module's docstring for how prose is told apart."""
    if not _may_write(text):  # most answers: a link's dots are plain, a sentence's stops
        return
    for match in _written().finditer(text):
        if _lone_word_dot(match):  # prose to _read too: "help at evil dot com", each line
            continue
        if (found := _read(text, match)) is not None:
            yield found


def _may_write(text: str) -> bool:
    """Whether ``text`` has a dot written out that a link may spell: a Chinese one, a spaced
    one (" .", " . "), a word "dot" (``.lower()`` as ``re.IGNORECASE`` reads its letters), or
    a stop before an ending. :func:`_read` finds no link without one: a link with plain dots
    alone is the link check's, and a stop counts only as the last dot before the ending
    (``first`` starts after every earlier stop), so it comes right before it."""
    return (
        "点" in text
        or "。" in text
        or " ." in text
        or "\t." in text
        or "dot" in text.lower()
        or _STOP_ENDING.search(text) is not None
    )


def _lone_word_dot(match: re.Match[str]) -> bool:
    """Whether ``match`` is two labels and a word "dot" between them ("evil dot com"), with no
    scheme, path or "www" before it: :func:`_read` reads no link in it (a word dot spells one
    only with one of those, or twice). With no other dot in it, each dot is a word "dot" with
    blanks around it, so three words are one dot."""
    if match["scheme"] or match["path"]:
        return False
    domain = match["domain"]
    if "." in domain or "点" in domain or "。" in domain:
        return False
    words = domain.split()
    return len(words) == 3 and words[0].lower() != "www"


def _read(text: str, match: re.Match[str]) -> tuple[int, int, str] | None:
    """The link ``match`` spells, from the last sentence's start in it to its last ending
    (the path only if that is the last label), unless it reads as prose."""
    labels, dots = _labels(text, match.start("domain"), match.end("domain"))
    last = max((i for i in range(1, len(labels)) if _ends(text, labels[i], dots[i - 1])), default=0)
    first = max((i + 1 for i in range(last - 1) if _kind(dots[i]) == "stop"), default=0)
    kinds = [_kind(dot) for dot in dots[first:last]]
    path = (match["path"] or "") if last == len(labels) - 1 else ""
    if not last or all(kind == "plain" for kind in kinds):
        return None  # no dot written out: the link check's
    name = text[labels[first][0] : labels[first][1]].lower()
    if name in _PROSE or (("ending" in kinds or "stop" in kinds) and not path):
        return None
    if not any(c.isalpha() for c in text[labels[last - 1][0] : labels[last - 1][1]]):
        return None  # a version or an amount: "版本 2.0。com"
    if "word" in kinds and not (path or match["scheme"] or name == "www" or len(kinds) > 1):
        return None
    start = match.start() if first == 0 else labels[first][0]
    end = match.end() if path else labels[last][1]
    spelled = ".".join(text[a:b] for a, b in labels[first : last + 1])
    return start, end, spelled + _SPOKEN_SLASH.sub("/", path)


def _labels(text: str, start: int, end: int) -> tuple[list[tuple[int, int]], list[str]]:
    """The labels of the domain ``text[start:end]`` and the dots between them, as written."""
    labels, dots = [], []
    for dot in _SEPARATOR.finditer(text, start, end):
        labels.append((start, dot.start()))
        dots.append(dot.group())
        start = dot.end()
    labels.append((start, end))
    return labels, dots


def _kind(dot: str) -> str:
    """How ``dot`` is written: "plain" ("."), "stop" (". ", as a sentence ends), "ending"
    (" .", as an ending is named), "spaced" (" . "), "word" (" dot ") or "chinese" (点, 。)."""
    if dot == ".":
        return "plain"
    if "." not in dot:
        return "word" if "dot" in dot.lower() else "chinese"
    if dot[0] == ".":
        return "stop"
    return "ending" if dot[-1] == "." else "spaced"


def _ends(text: str, label: tuple[int, int], dot: str) -> bool:
    """Whether ``label``, after ``dot``, is an ending a link may end in: in lower case after
    a plain dot, spaced ("Thanks. Net refunds" is prose)."""
    word = text[label[0] : label[1]]
    return word.lower() in _ENDINGS and (word.islower() or "." not in dot)


# What a stream reads past a sentence end's dot to tell whether it is a written link's: the
# labels after it, each after a dot of any kind, a slash or a path's first character, or a
# word "dot" or "slash". A run longer than this is held as a link's (only a contrived one is).
_RUN_CHARS = 200
# The sentence ends a written link's dot may be: a 。 after a Latin word ("evil 。", "evil。 "),
# a spaced dot ("evil ."), one after "www" or after a word a dot came before ("www. evil.",
# "U.S."), or one that ends a line (see _LINE_END). A plain "days. " is held for no one: a
# model that pauses there (or a server that stalls) would hold its customer's sentence.
_LINK_DOT = re.compile(
    r"(?:[A-Za-z0-9-][ \t]*。|[A-Za-z0-9-][ \t]+\."
    r"|(?:\bwww|(?:[.。点]|[ \t]dot[ \t])[ \t]*[A-Za-z0-9-]+)\.)\Z",
    re.IGNORECASE,
)
_LINE_END = re.compile(r"[A-Za-z0-9-]\.\Z")
_BREAKS = re.compile(r"[ \t]*\n")
_BLANK_TO_END = re.compile(r"\s*\Z")
_NEXT_LABEL = re.compile(r"[ \t]*\n?[ \t]*[a-z0-9_-]+", re.IGNORECASE)
_GOES_ON = re.compile(r"[ \t]*(?:[.点。/?#]|斜杠)|[ \t]+(?:dot|slash)[ \t]", re.IGNORECASE)
# The start of one, cut off where the text so far ends: " d", " sla", "斜".
_MAY_GO_ON = re.compile(r"[ \t]*|[ \t]+(?:d(?:ot?)?|s(?:l(?:a(?:sh?)?)?)?)|[ \t]*斜", re.IGNORECASE)


def spells_through(text: str, end: int) -> bool:
    """Whether the sentence end at ``end`` in ``text`` (the answer so far) may be a written
    link's dot ("evil ." before "com / pay", "evil 。" before "com/pay"): such a dot (see
    :data:`_LINK_DOT`) is read with the labels after it until they end, and a link the
    reader finds across it, or labels that may still go on, hold the sentence back.
    "Thanks." before a line break is shown as "Net refunds" comes."""
    if not _may_be_links(text, end):
        return False
    run_end = _run_end(text, end)
    if run_end is None:
        return True  # the labels may go on: wait for more of the answer
    start = max(0, end - _RUN_CHARS)
    for match in _written().finditer(text, start, run_end):
        found = _read(text, match)
        if found is not None and found[0] < end < found[1]:
            return True
    return False


def _may_be_links(text: str, end: int) -> bool:
    """Whether the dot before ``end`` is written as a link's dot may be (:data:`_LINK_DOT`)."""
    if _LINK_DOT.search(text, max(0, end - 64), end):
        return True
    return bool(_LINE_END.search(text, max(0, end - 2), end) and _BREAKS.match(text, end))


def _run_end(text: str, end: int) -> int | None:
    """Where the labels after the dot before ``end`` end, or None while they may go on: the
    text so far ends in them (or in blanks before them), or they run past
    :data:`_RUN_CHARS`."""
    position = last = end
    while position - end < _RUN_CHARS:
        label = _NEXT_LABEL.match(text, position)
        if label is None:
            return None if _BLANK_TO_END.match(text, position) else last
        last = label.end()
        if (goes_on := _GOES_ON.match(text, last)) is None:
            return None if _MAY_GO_ON.fullmatch(text, last) else last
        position = goes_on.end()
    return None
