"""Python values from an operator's YAML file, and the mistakes PyYAML lets through silently.

Owns the YAML mistakes PyYAML lets through silently (duplicate keys, text cut short by a
``#``, a list item joined onto the one above) or raises one at a time (unsafe tags, bad dates
and numbers): each becomes a :class:`~servicebot.errors.Problem` that points at the line an
operator has to fix, and building goes on. Only a file shaped so that reading on would be
unsafe (nested too deep, an alias bomb) stops it, with :class:`RefusedError`.

Values are built straight from libyaml's event stream, by hand, because PyYAML's own loader
composes a node and two marks for every value first, which made a 10,000-intent FAQ take
over 3 s; the event stream alone takes a tenth of that. The node tree is composed only for a
file with a mistake to locate (see :mod:`.yamlfile`), or for the rare file that uses anchors
and aliases (see :mod:`.yamlnodes`). The problems both ways find are in :mod:`.yamlproblems`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import yaml

from .errors import Problem
from .yamlnodes import construct_from_nodes
from .yamlproblems import (
    COLLECTION_TAGS,
    STR,
    RefusedError,
    construct_scalar,
    duplicate_key,
    unsafe_tag,
)
from .yamlsyntax import COMMENT_AFTER_VALUE, CURLY_QUOTE, FULL_WIDTH_COLON, SAFE_LOADER

if TYPE_CHECKING:
    from .yamlfile import YamlFile

MAX_DEPTH = 50
"""Lists and mappings may nest this deep; a FAQ needs four levels."""

_RESOLVER = yaml.resolver.Resolver()
_MAY_BE_NOT_TEXT = frozenset(_RESOLVER.yaml_implicit_resolvers)  # first characters of non-text
_FOLD_WIDTH = 80  # the line width PyYAML and go-yaml fold plain text at
_NEXT_LINE = re.compile(r"[\r\n\x85\u2028\u2029]\s*")  # a line break, to the next line's text
_JOINED_ITEM = re.compile(r"\n[ \t]*- ")  # a line of a plain value that starts like an item
_TEXT_AFTER_ANCHOR = re.compile(r"&\S+[ \t]+[^\s#]")
# "en： yes" as a line of plain text: a key written with an input method's colon.
_WIDE_COLON_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*[ \t]*(：)(?=[ \t\r\n]|$)")
_WIDE_COLON_IN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*[ \t]*(：)")  # "answer：{en"


def construct(document: YamlFile, problems: list[Problem]) -> Any:
    """The file's data, its silent mistakes added to ``problems``. A syntax error raises
    PyYAML's ``MarkedYAMLError``, a file unsafe to read on :class:`RefusedError`."""
    found: list[Problem] = []
    builder = _EventBuilder(document, found)
    data = builder.build()
    if builder.needs_nodes:
        found = list(builder.anchored_text)  # the node tree no longer shows where text began
        data = construct_from_nodes(document, found)
    problems += found
    return data


class _EventBuilder:
    """Builds Python values from libyaml's events; notes what only the node tree handles."""

    def __init__(self, document: YamlFile, problems: list[Problem]) -> None:
        self._document, self._problems = document, problems
        self._events = iter(yaml.parse(document.text, Loader=SAFE_LOADER))
        self._depth = 0
        self._flow = 0  # how many [...] or {...} we are inside
        self.needs_nodes = False  # anchors, aliases, merge keys, several documents
        self._anchored_text: list[tuple[str, Problem]] = []  # "&Co will help": '&Co' is lost
        self._aliased: set[str] = set()
        self._wide_comma: Problem | None = None  # in the [...] item just read, if any

    def build(self) -> Any:
        data, documents = None, 0
        for event in self._events:
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                self.needs_nodes |= documents > 1  # the composer reports it with its line
                data = self._value(next(self._events))
        return data

    def _value(self, event: yaml.Event, in_list: bool = False, key: bool = False) -> Any:
        self.needs_nodes |= getattr(event, "anchor", None) is not None
        if isinstance(event, yaml.ScalarEvent):
            return self._scalar(event, in_list, key)
        if isinstance(event, yaml.AliasEvent):
            self.needs_nodes = True
            self._aliased.add(event.anchor or "")
            return None
        self._check_collection(event)
        flow = bool(getattr(event, "flow_style", False))
        self._depth += 1
        self._flow += flow
        try:
            if isinstance(event, yaml.SequenceStartEvent):
                return self._sequence(flow)
            return self._mapping(in_list)
        finally:
            self._depth -= 1
            self._flow -= flow

    def _check_collection(self, event: yaml.Event) -> None:
        if self._depth >= MAX_DEPTH:
            message = f"nested more than {MAX_DEPTH} levels deep"
            raise RefusedError(self._at(_index(event.start_mark), message))
        tag = getattr(event, "tag", None)
        if tag not in COLLECTION_TAGS:
            self._problems.append(self._at(_index(event.start_mark), unsafe_tag(tag)))

    def _sequence(self, flow: bool) -> list[Any]:
        """The list's items. ``[退货，退款，换货]`` is one item: its full-width commas were meant
        to separate items. In a list of several, ``，`` is more likely part of the text
        (``[你好，优惠券怎么用, coupon]``), and ``servicebot check`` only warns of it."""
        items: list[Any] = []
        wide_comma = None
        while not isinstance(event := next(self._events), yaml.SequenceEndEvent):
            self._wide_comma = None
            items.append(self._value(event, in_list=True))
            # Taken, so that a list around this one does not report it again.
            wide_comma, self._wide_comma = self._wide_comma, None
        if flow and len(items) == 1 and wide_comma:
            self._problems.append(wide_comma)
        return items

    def _mapping(self, in_list: bool) -> dict[Any, Any]:
        mapping: dict[Any, Any] = {}
        not_text: dict[Any, tuple[str, int]] = {}  # keys YAML did not read as text: as written
        while not isinstance(key_event := next(self._events), yaml.MappingEndEvent):
            key = self._value(key_event, key=True)
            value = self._value(next(self._events))
            if isinstance(key, list | dict) or key == "<<":
                self.needs_nodes = True  # unhashable keys and merge keys
                continue
            written = getattr(key_event, "value", str(key))
            if key in mapping:
                first = not_text.get(key)  # None for text: only other keys are kept there
                mark = key_event.start_mark
                self._problems.append(duplicate_key(self._document, written, mark, in_list, first))
                if first is not None and first[0] != written:
                    self._document.same_keys.add(_index(mark))  # see validation.validate
            elif not isinstance(key, str):
                not_text[key] = (written, _index(key_event.start_mark))
            mapping[key] = value
        return mapping

    def _scalar(self, event: yaml.ScalarEvent, in_list: bool = False, key: bool = False) -> Any:
        value, tag, plain = event.value, event.tag, not event.style and event.implicit[0]
        if plain:
            self._check_plain(event, in_list)
            self._check_anchored(event)
            if "：" in value and (key or not self._flow):
                self._check_wide_colons(event, key)
        if tag is None or tag == "!":
            if not plain or (value and value[0] not in _MAY_BE_NOT_TEXT):
                return value  # quoted, block, or plain text that cannot be a number or date
            tag = _RESOLVER.resolve(yaml.ScalarNode, value, event.implicit)  # type: ignore[no-untyped-call]
        if tag == STR:
            return value
        problem, result = construct_scalar(tag, value)
        if problem:
            self._problems.append(self._at(_index(event.start_mark), problem))
        return result

    def _check_plain(self, event: yaml.ScalarEvent, in_list: bool) -> None:
        """Plain text that YAML silently reads differently from how it looks.

        Works on character offsets (libyaml counts lines differently from editors, and this
        runs for every value, so it must stay cheap).
        """
        start, end = event.start_mark, event.end_mark
        if start is None or end is None:
            return
        text = self._document.text
        if end.line != start.line:  # "- a\n   - b": a list item indented too far is joined on
            joined = _JOINED_ITEM.search(text, start.index, end.index)
            line_start = text.rfind("\n", 0, start.index) + 1
            # A value alone on its line ("examples:\n  text\n  - b") is a list missing its
            # first '- ', which validation reports; the hint is for "- a\n   - b".
            after_dash = text[line_start : start.index].strip()
            if joined and after_dash:
                above = text.count("\n", 0, start.index) + 1  # the first item may be wrong
                message = (
                    f"this list item is indented further than the one on line {above}, so YAML "
                    "joined it onto that item's text: line their '- ' up"
                )
                self._problems.append(self._at(joined.end() - 2, message))
            elif in_list and after_dash and not self._flow and self._short_first_line(event):
                # "- where is my order\n    track my parcel": the second line is meant as a
                # phrasing of its own. A quoted item may run over lines, and so may a long one
                # that a YAML writer folded (see _short_first_line).
                message = (
                    "this line has no '- ', so YAML joined it onto the list item above: start "
                    "it with '- ' (or, for one long item, put the item in quotes)"
                )
                continued = _NEXT_LINE.search(text, start.index, end.index)
                self._problems.append(self._at(continued.end() if continued else 0, message))
        elif self._flow and "，" in event.value:
            message = (
                "full-width comma '，' between items: YAML needs a plain ',' (or quote the text)"
            )
            self._wide_comma = self._at(text.index("，", start.index), message)
        elif comment := COMMENT_AFTER_VALUE.match(text, end.index):
            message = (
                "' #' starts a YAML comment, so the rest of this line is dropped: put the whole "
                "text in quotes (or, for a comment, write '# ' with a space)"
            )
            if curly := CURLY_QUOTE.match(event.value):
                message = (
                    f"' #' starts a YAML comment, so the rest of this line is dropped: "
                    f"'{curly[0]}' is not a YAML quote, type plain \" marks around the text"
                )
            self._problems.append(self._at(comment.end() - 2, message))

    def _check_wide_colons(self, event: yaml.ScalarEvent, key: bool) -> None:
        """Lines of plain text that start as a key with a full-width colon: ``en： yes`` and
        ``zh： 是`` under ``answer:`` are one text to YAML, not a mapping. Only lines the text
        starts (``description: note： free`` is text), and only where the colon is followed
        by a space, as after a key (Chinese text has none after its '：'), unless YAML read
        the line as a key itself (``answer：{en: hi}`` is a key ``answer：{en``). Inside
        ``{ }`` the same goes for a key's start: ``{en： hi, zh： 是}`` is two keys with no
        values to YAML, ``en： hi`` and ``zh： 是``. The file is then read again with them
        mended (see :func:`~servicebot.yamlfile.read_yaml`)."""
        text, start, end = self._document.text, _index(event.start_mark), _index(event.end_mark)
        line_start = text.rfind("\n", 0, start) + 1
        before = text[line_start:start].strip(" \t")
        starts = [start] if not before or self._flow or (key and before == "-") else []
        starts += [found.end() for found in _NEXT_LINE.finditer(text, start, end)]
        # Inside { } a space after the colon is asked for, as in text: "{App：设置}" is more
        # likely Chinese text wrongly braced than a key.
        pattern = _WIDE_COLON_IN_KEY if key and not self._flow else _WIDE_COLON_KEY
        for pos in starts:
            if match := pattern.match(text, pos, end):
                self._problems.append(
                    self._at(match.start(1), f"{FULL_WIDTH_COLON}: YAML needs a plain ':'")
                )

    @property
    def anchored_text(self) -> list[Problem]:
        """Plain text that starts with '&' on the line of its key or dash, and that no alias
        refers to: YAML read the first word as an anchor's name and dropped it ("&Co will
        help" is "will help"). An anchor that an alias uses is one meant."""
        return [problem for name, problem in self._anchored_text if name not in self._aliased]

    def _check_anchored(self, event: yaml.ScalarEvent) -> None:
        start = _index(event.start_mark)
        if event.anchor is not None and _TEXT_AFTER_ANCHOR.match(self._document.text, start):
            message = (
                "text that starts with '&' must be in quotes: YAML reads the first word as an "
                "anchor's name and drops it"
            )
            self._anchored_text.append((event.anchor, self._at(start, message)))

    def _short_first_line(self, event: yaml.ScalarEvent) -> bool:
        """Whether a value that spans lines ends its first line before column _FOLD_WIDTH:
        PyYAML and go-yaml fold plain text only past it, so a shorter line was ended by hand."""
        text, start, end = self._document.text, _index(event.start_mark), _index(event.end_mark)
        line_start = max(text.rfind(newline, 0, start) for newline in "\r\n") + 1
        line_end = _NEXT_LINE.search(text, start, end)
        return line_end is not None and line_end.start() - line_start < _FOLD_WIDTH

    def _at(self, index: int, message: str) -> Problem:
        return self._document.problem_at_offset(message, index)


def _index(mark: Any) -> int:
    """A mark's character offset (libyaml always gives one; the stubs allow None)."""
    return int(mark.index) if mark is not None else 0
