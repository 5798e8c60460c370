"""Links written out so no link check reads them, though a customer types them in: dots
spaced ("www . evil . com / pay", "evil .com/pay", "evil. com/pay"), Chinese ("evil点com",
"evil 。com") or a word ("evil dot com slash refund"), each read as the link it spells.

A spaced dot is a sentence's stop as often, so the reading is careful. The last label must
be an ending no word is (:data:`_ENDINGS`; "我买了 iPhone 。it works" spells none), in lower
case after a plain dot ("Thanks. Net refunds" is prose). A dot with a space after it and
none before ends a sentence ("Go to the shop. evil . com" reads "evil.com"; "Step 1. com
port" none), and one with a space before it and none after names an ending ("sell .com
domains"): either is a link's only with a path ("evil. com/pay", "evil .com/pay"). "dot" as
a word, which prose says ("a former dot com CEO"), spells a link only with a path, a scheme
or "www" ("evil dot com slash refund"), or twice. Spelled-out emails and "Look at evil dot
com" are ``filters/emails.py``'s to read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .links import NOT_CJK_LETTER, SCHEME, URL_PATH

_LABEL = r"[a-z0-9-]+"
_DOT = r"[ \t]+\.[ \t]*|\.[ \t]+|[ \t]*[点。][ \t]*|[ \t]+dot[ \t]+|\."
_SLASH = r"(?:[ \t]*/[ \t]*|[ \t]+slash[ \t]+|[ \t]*斜杠[ \t]*)[a-z0-9_-]+"
# Starts where a run of letters starts (Chinese runs straight into a link: "请访问evil点com"),
# so no input makes it retry inside one (linear time).
_WRITTEN = re.compile(
    rf"(?<![.@/-])(?<!{NOT_CJK_LETTER})(?P<scheme>{SCHEME})?"
    rf"(?P<domain>{_LABEL}(?:(?:{_DOT}){_LABEL})+)(?P<path>{URL_PATH}|(?:{_SLASH})+)?",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(_DOT, re.IGNORECASE)
_SPOKEN_SLASH = re.compile(r"[ \t]+slash[ \t]+|[ \t]*斜杠[ \t]*|[ \t]*/[ \t]*", re.IGNORECASE)
# Endings no English word is, nor a word a sentence in lower case starts with.
_ENDINGS = frozenset("com net org edu gov biz info xyz io cn uk jp ru hk tw eu top vip icu".split())
_PROSE = frozenset("the a an this that my your our their his her its".split())


def find_written(text: str) -> Iterator[tuple[int, int, str]]:
    """Where ``text`` spells a link with a dot written out, and the link each spells
    ("evil.com/pay"): see the module's docstring for how prose is told apart."""
    for match in _WRITTEN.finditer(text):
        if (found := _read(text, match)) is not None:
            yield found


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
