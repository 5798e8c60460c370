"""Routing evaluation: read labelled messages, route each one, and measure how well it went.

A labelled file is CSV (a header row with a ``text`` column and an ``intent``, ``category``
or ``label`` column), JSON Lines (one object a line with the same keys) or a JSON array of
such objects; ``.tsv`` is CSV separated by tabs. An empty label, ``out_of_scope``, or
``oos`` or ``none`` as other datasets write it (CLINC150's ``oos``), marks a message the bot
should not claim to know.

:func:`evaluate` routes every message with :class:`~servicebot.routing.Router`, exactly as a
turn does, and returns an :class:`EvalReport`: top-1 accuracy, recall@k, the most confused
intent pairs, out-of-scope precision and recall, the routes the bot's thresholds take (and
the rows a handoff intent sends to a person though an intent that answers was asked for),
and routing times. The figures other than the times depend only on the inputs.
:func:`intents_from` builds intents from a labelled file when there is no bot folder to
evaluate.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from .errors import ConfigError, Problem
from .routing import Route, Router, decide, handing_off
from .routing.index import features
from .settings import Intent, RoutingSettings
from .source import decode
from .validation import closest
from .yamlsyntax import JSON_BRACKETS

OUT_OF_SCOPE = "out_of_scope"
LABEL_COLUMNS = ("intent", "category", "label")
_CSV_SUFFIXES = (".csv", ".tsv")
_OTHER_OUT_OF_SCOPE = ("oos", "none")  # how other datasets label a message of no intent
_JSONL_SUFFIXES = (".jsonl", ".json", ".ndjson")
_CONFUSED_SHOWN = 10
_NEXT_ITEM = re.compile(r"[^\s,]")  # where a JSON array's next item starts
_EXCEL_SEPARATOR = re.compile(r'"?sep=(.)"?')  # Excel's first line naming the separator
_WIDE_SEPARATORS = {"，": "a full-width comma '，'", "；": "a full-width semicolon '；'"}
_SHOWN_DEPTH = 50  # JSON too deep for Python's decoder is reported where it passes this depth


@dataclass(frozen=True)
class Labelled:
    """One message and the intent it should route to (``out_of_scope`` for none)."""

    text: str
    intent: str
    line: int  # where the row starts in its file, 1-based
    item: int = 0  # its number in a JSON array that has other items on its line, else 0
    # the row's first line as written, shown under a problem with its label
    source_line: str | None = field(default=None, compare=False, repr=False)

    @property
    def in_scope(self) -> bool:
        return self.intent != OUT_OF_SCOPE


@dataclass(frozen=True)
class Misroute:
    """A message routed to the wrong intent; ``score`` is the best intent's, even below min."""

    text: str
    expected: str
    got: str
    score: float
    line: int
    item: int = 0  # as in Labelled


@dataclass(frozen=True)
class UnknownLabel:
    """A label that names no intent (a typo, or an intent the bot lacks): counted wrong."""

    label: str
    line: int  # its first row's
    rows: int
    closest: str | None  # the intent name it is closest to, if any is close
    item: int = 0  # as in Labelled


@dataclass(frozen=True)
class EvalReport:
    """What evaluating a labelled file against a set of intents found."""

    rows: int
    intents: int
    examples: int
    k: int
    correct: int  # rows routed to their label (out_of_scope counts as a label)
    accuracy: float
    # in-scope rows whose intent is in the top k at or above min_score; None without such rows
    recall_at_k: float | None
    found_at_k: int  # how many in-scope rows that is
    confused: tuple[tuple[str, str, int], ...]  # (expected, predicted, count), most first
    out_of_scope_rows: int
    out_of_scope_precision: float | None  # None when nothing was routed out of scope
    out_of_scope_recall: float | None  # None when no row is labelled out of scope
    unknown_intents: tuple[UnknownLabel, ...]  # in the order of their first rows
    # How the bot's thresholds route the rows (its top_k, not k), most first; and the rows
    # a handoff intent took from an intent that answers: (labelled, handoff intent, count).
    routes: tuple[tuple[Route, int], ...]
    handed_off: tuple[tuple[str, str, int], ...]
    misroutes: tuple[Misroute, ...]  # the most confident mistakes, as many as asked for
    build_seconds: float
    route_ms_median: float
    route_ms_p99: float

    def as_dict(self) -> dict[str, Any]:
        """The report as plain JSON-ready data."""
        return asdict(self)


def place(line: int, item: int) -> str:
    """Where a row is, for people: 'line 3', or 'line 1, item 2' in a one-line JSON array."""
    return f"line {line}, item {item}" if item else f"line {line}"


def read_labelled(path: Path) -> list[Labelled]:
    """Read a labelled CSV, JSON Lines or JSON file (an array of objects), by its extension.

    Raises:
        ConfigError: the file is missing, unreadable or empty, or rows are malformed: every
            malformed row, each with its file and line.
    """
    rows, problems = read_rows(path)
    if problems:
        raise ConfigError.listing(problems)
    return rows


def read_rows(path: Path) -> tuple[list[Labelled], list[Problem]]:
    """The well-formed rows of a labelled file, and a problem for each malformed one, so that
    a caller can report them beside problems it finds itself (see :func:`unknown_labels`).

    Raises:
        ConfigError: the file is missing, unreadable, empty or of an unknown type.
    """
    suffix = path.suffix.lower()
    if suffix not in _CSV_SUFFIXES + _JSONL_SUFFIXES:
        message = "unknown file type: use .csv, .tsv, .jsonl (JSON Lines) or .json"
        raise ConfigError.at(path, message)
    text = _read_text(path)
    read = list(_csv_rows(path, text) if suffix in _CSV_SUFFIXES else _json_rows(path, text))
    if not read:
        what = "only a header" if suffix in _CSV_SUFFIXES and text.strip() else "the file is empty"
        raise ConfigError.at(path, f"no labelled rows: {what}")
    rows = [row for row in read if isinstance(row, Labelled)]
    return rows, [row for row in read if isinstance(row, Problem)]


def unknown_labels(
    path: Path, rows: Sequence[Labelled], intents: Sequence[Intent]
) -> list[Problem]:
    """A problem for each label of ``rows`` (read from ``path``) that names none of
    ``intents``, at its first row: a typo such as ``refund_stauts`` would otherwise only
    lower the scores."""
    found = {(row.line, row.item): row for row in rows}
    problems = []
    for unknown in _unknown(rows, intents):
        count = f" ({unknown.rows:,} rows, the first here)" if unknown.rows > 1 else ""
        meant = f"; did you mean '{unknown.closest}'?" if unknown.closest else ""
        message = f"no intent is named '{unknown.label}'{count}{meant}"
        if unknown.item:
            message = f"item {unknown.item}: {message}"
        first = found[unknown.line, unknown.item]
        problems.append(Problem(path, message, unknown.line, None, first.source_line))
    return problems


def _read_text(path: Path) -> str:
    """The file's text; unlike an operator's bot files, a labelled file has no size limit."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError.at(path, f"cannot read: {exc.strerror or exc}") from exc
    problems: list[Problem] = []
    source = decode(path, raw, problems)
    if source is None:
        raise ConfigError(problems)
    return source.text


def _csv_rows(path: Path, text: str) -> Iterator[Labelled | Problem]:
    lines = io.StringIO(text, newline="").readlines()
    delimiter = _delimiter(lines)
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        first = next((row for row in reader if any(cell.strip() for cell in row)), None)
        if first is not None and _EXCEL_SEPARATOR.fullmatch(delimiter.join(first)):
            first = next((row for row in reader if any(cell.strip() for cell in row)), None)
        if first is None:  # blank lines above the header are skipped
            raise ConfigError.at(path, "no labelled rows: the file is empty")
        header = [name.strip().casefold() for name in first]
        where = Problem(path, "", reader.line_num, None, lines[reader.line_num - 1])
        text_at, label_at = _csv_columns(where, header)
        start = reader.line_num + 1
        for row in reader:
            if any(cell.strip() for cell in row):
                where = Problem(path, "", start, None, lines[start - 1])
                rows_lines = lines[start - 1 : reader.line_num]
                if _unclosed_quote(rows_lines, reader.line_num, lines, delimiter):
                    message = (
                        'a double quote (") opened on this line is never closed, so the rest '
                        'of the file is read as its text: close it, or write a quote as ""'
                    )
                    yield replace(where, message=message)
                elif len(row) <= max(text_at, label_at):  # "hi" where "hi," was meant
                    message = f"the row has {len(row)} of the header's {len(header)} columns"
                    message += _wide_separator("".join(row))
                    yield replace(where, message=message)
                elif any(cell.strip() for cell in row[len(header) :]):  # hi, there,greeting
                    message = (
                        f"the row has {len(row)} columns, the header {len(header)}: "
                        'put a text that holds a comma in double quotes ("hi, there")'
                    )
                    yield replace(where, message=message)
                else:
                    yield _labelled(where, row[text_at], row[label_at])
            start = reader.line_num + 1
    except csv.Error as exc:  # the rest of the file cannot be read: after the rows before
        yield Problem(path, f"not valid CSV: {exc}", reader.line_num)


def _delimiter(lines: list[str]) -> str:
    """The header's column separator: a comma, or the semicolon that Excel writes where a
    comma is the decimal mark (much of Europe), or a tab (a TSV, or one saved as .csv); or
    what an Excel ``sep=;`` line above the header names."""
    header = next((line for line in lines if line.strip()), "")
    if named := _EXCEL_SEPARATOR.fullmatch(header.strip()):
        return named.group(1)
    if "," in header:
        return ","
    return next((separator for separator in ";\t" if separator in header), ",")


def _unclosed_quote(row_lines: list[str], end: int, lines: list[str], delimiter: str) -> bool:
    """Whether a CSV row that runs to the end of the file does so because a quoted text is
    never closed (Python's csv module, unless strict, takes the rest of the file as the text)."""
    if end < len(lines) or len(row_lines) < 2:
        return False
    try:
        list(csv.reader(row_lines, delimiter=delimiter, strict=True))
    except csv.Error:
        return True
    return False


def _csv_columns(where: Problem, header: list[str]) -> tuple[int, int]:
    """The positions of the text column and of the label column in the header at ``where``."""
    labels = [name for name in LABEL_COLUMNS if name in header]
    if "text" not in header or not labels:
        message = "the header needs a 'text' column and an 'intent', 'category' or 'label' one"
        raise ConfigError([replace(where, message=message + _wide_separator("".join(header)))])
    return header.index("text"), header.index(labels[0])


def _wide_separator(text: str) -> str:
    """The hint for a row or header that a Chinese input method's separator left one cell."""
    wide = next((name for mark, name in _WIDE_SEPARATORS.items() if mark in text), None)
    return f" ({wide} does not separate columns: use ',')" if wide else ""


def _json_rows(path: Path, text: str) -> Iterator[Labelled | Problem]:
    """JSON Lines; or, for a ``.json`` file that is one JSON array (``[{"text": ...}, ...]``),
    its items, each at the line it starts on."""
    lines = text.split("\n")
    if path.suffix.lower() == ".json" and _is_one_document(text):
        try:
            records = _decode(text)
        except json.JSONDecodeError as exc:
            yield Problem(
                path, f"not valid JSON: {exc.msg}", exc.lineno, exc.colno, lines[exc.lineno - 1]
            )
            return
        if isinstance(records, list):
            numbers = list(_item_lines(text, len(records)))
            shared = {number for number, count in Counter(numbers).items() if count > 1}
            for item, (number, record) in enumerate(zip(numbers, records, strict=True), 1):
                read = _json_labelled(path, number, lines[number - 1], record)
                # An array on one line has every item on line 1: say which item it is.
                if isinstance(read, Problem):
                    yield replace(read, message=f"item {item}: {read.message}")
                else:
                    yield replace(read, item=item if number in shared else 0)
            return
    for number, line in enumerate(lines, start=1):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        try:
            record = _decode(line)
        except json.JSONDecodeError as exc:
            yield Problem(path, f"not valid JSON: {exc.msg}", number, exc.colno, line)
            continue
        yield _json_labelled(path, number, line, record)


def _decode(text: str) -> object:
    """``json.loads``; a value nested too deeply for Python's decoder is a JSONDecodeError
    too (json raises RecursionError), at its 51st level."""
    try:
        return json.loads(text)
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", text, _too_deep(text)) from None


def _too_deep(text: str) -> int:
    """Where ``text`` first opens a bracket deeper than ``_SHOWN_DEPTH`` (0 if it does not)."""
    depth = 0
    for token in JSON_BRACKETS.finditer(text):
        if token[0] in "[{":
            depth += 1
            if depth > _SHOWN_DEPTH:
                return token.start()
        elif token[0] in "]}":
            depth -= 1
    return 0


def _is_one_document(text: str) -> bool:
    """Whether ``text`` opens a JSON array that its first line does not close, as a file
    holding one array does; a JSON Lines file's first line is a whole value."""
    first = text.lstrip().split("\n", 1)[0]
    if not first.startswith("["):
        return False
    try:
        _decode(first)
    except json.JSONDecodeError:
        return True
    return "\n" not in text.strip()  # "[...]" alone: one array either way


def _item_lines(array: str, count: int) -> Iterator[int]:
    """The line each of the ``count`` items of a valid JSON array starts on."""
    decoder, position = json.JSONDecoder(), array.index("[") + 1
    line = 1 + array.count("\n", 0, position)
    for _ in range(count):
        item = _NEXT_ITEM.search(array, position)
        assert item is not None  # the array was parsed: it has ``count`` items
        line += array.count("\n", position, item.start())
        yield line
        _, end = decoder.raw_decode(array, item.start())
        line += array.count("\n", item.start(), end)
        position = end


def _json_labelled(path: Path, number: int, line: str, record: object) -> Labelled | Problem:
    keys = [key for key in LABEL_COLUMNS if isinstance(record, dict) and key in record]
    where = Problem(path, "", number, None, line)
    if not isinstance(record, dict) or "text" not in record or not keys:
        message = 'each row needs an object with "text" and "intent" (or "category", "label")'
        return replace(where, message=message)
    return _labelled(where, record["text"], record[keys[0]])


def _labelled(where: Problem, text: object, label: object) -> Labelled | Problem:
    """One row, checked: a non-empty text and a string label (empty means out of scope).

    ``where`` is the row's place in its file; if the row is wrong, it is returned with the
    mistake as its message.
    """
    given = "" if text is None else text
    if not isinstance(given, str):
        return replace(where, message="the text must be a string")
    if not given.strip():
        return replace(where, message="the text is missing or empty")
    name = "" if label is None else label
    if not isinstance(name, str):
        return replace(where, message="the intent must be a string (or empty)")
    return Labelled(given, _label(name), where.line or 0, source_line=where.source_line)


def _label(name: str) -> str:
    """A row's intent: ``out_of_scope`` for an empty label, for that word written
    otherwise (``OUT_OF_SCOPE``, ``out of scope``, ``Out-of-scope``), and for ``oos`` and
    ``none``."""
    name = name.strip()
    spelt = re.sub(r"[\s-]+", "_", name.casefold())
    out = not name or spelt == OUT_OF_SCOPE or spelt in _OTHER_OUT_OF_SCOPE
    return OUT_OF_SCOPE if out else name


def read_intents(path: Path) -> tuple[Intent, ...]:
    """Intents built from a labelled file (see :func:`intents_from`).

    Raises:
        ConfigError: as :func:`read_labelled`, or when no row gives an intent to route to.
    """
    intents = intents_from(read_labelled(path))
    if not intents:
        raise ConfigError.at(path, "every row is out of scope: no intents to build")
    if not any(features(text) for intent in intents for text in (intent.name, *intent.examples)):
        raise ConfigError.at(path, "no row has a word or a Chinese character to route by")
    return intents


def labelled_twice(path: Path, rows: Sequence[Labelled]) -> list[Problem]:
    """A warning for each row of ``path`` whose text an earlier row labels otherwise: built
    into intents, it is an example of both, and each takes some of the other's messages (a bot
    folder refuses this; in a labelled file it is the data's own noise)."""
    first: dict[str, Labelled] = {}
    warnings = []
    for row in rows:
        earlier = first.setdefault(row.text.strip().casefold(), row)
        if row.in_scope and earlier.in_scope and earlier.intent != row.intent:
            message = (
                f"'{row.text.strip()}' is labelled '{row.intent}' here and '{earlier.intent}' "
                f"at {place(earlier.line, earlier.item)}: it is an example of both"
            )
            if row.item:
                message = f"item {row.item}: {message}"
            warnings.append(Problem(path, message, row.line))
    return warnings


def intents_from(rows: Sequence[Labelled]) -> tuple[Intent, ...]:
    """One intent per label, its examples the label's texts (out-of-scope rows are skipped).

    Labels such as ``reverted_card_payment?`` are not valid YAML intent names, so the
    intents are built without validation; they only ever feed a routing index.
    """
    texts: dict[str, list[str]] = {}
    for row in rows:
        if row.in_scope:
            texts.setdefault(row.intent, []).append(row.text)
    return tuple(_intent(name, examples) for name, examples in texts.items())


def _intent(name: str, examples: list[str]) -> Intent:
    return Intent.model_construct(
        name=name,
        examples=tuple(dict.fromkeys(examples)),
        answer={},
        description="",
        few_shot=(),
        direct=False,
        handoff=False,
    )


@dataclass(frozen=True)
class _Outcome:
    """How one row was routed."""

    row: Labelled
    predicted: str
    ranked: tuple[str, ...]  # intents at or above min_score, best first, at most k
    nanoseconds: int
    route: Route  # as a turn would route it, with the bot's own top_k
    handoff: str | None  # the handoff intent that took it, if one did


def evaluate(
    rows: Sequence[Labelled],
    intents: Sequence[Intent],
    settings: RoutingSettings,
    languages: Sequence[str] = ("en",),
    *,
    k: int = 3,
    errors: int = 0,
    advance: Callable[[], None] | None = None,
) -> EvalReport:
    """Route every row with ``intents`` and ``settings``; ``advance`` is called after each.

    ``errors`` asks for that many misrouted rows, the most confident first.
    """
    started = time.perf_counter()
    router = Router(intents, _wide(settings, k), languages)
    build_seconds = time.perf_counter() - started
    outcomes = [_route(router, row, k, settings, advance) for row in rows]
    correct, found = _accuracy(outcomes)
    in_scope = sum(row.in_scope for row in rows)
    precision, out_recall = _out_of_scope(outcomes)
    times = sorted(outcome.nanoseconds for outcome in outcomes)
    return EvalReport(
        rows=len(rows),
        intents=len(intents),
        examples=sum(len(intent.examples) for intent in intents),
        k=k,
        correct=correct,
        accuracy=_ratio(correct, len(rows)) or 0.0,
        recall_at_k=_ratio(found, in_scope),
        found_at_k=found,
        confused=_confused(outcomes),
        out_of_scope_rows=sum(not row.in_scope for row in rows),
        out_of_scope_precision=precision,
        out_of_scope_recall=out_recall,
        unknown_intents=_unknown(rows, intents),
        routes=tuple(Counter(outcome.route for outcome in outcomes).most_common()),
        handed_off=_handed_off(outcomes, intents),
        misroutes=_misroutes(router, outcomes, errors),
        build_seconds=round(build_seconds, 4),
        route_ms_median=round(percentile(times, 50) / 1e6, 4),
        route_ms_p99=round(percentile(times, 99) / 1e6, 4),
    )


def _wide(settings: RoutingSettings, k: int) -> RoutingSettings:
    """The settings with room for k matches: top_k changes no intent's rank or the cut."""
    return settings.model_copy(update={"top_k": max(k, settings.top_k)})


def _route(
    router: Router,
    row: Labelled,
    k: int,
    settings: RoutingSettings,
    advance: Callable[[], None] | None,
) -> _Outcome:
    started = time.perf_counter_ns()
    routing = router.route(row.text)
    elapsed = time.perf_counter_ns() - started
    if advance is not None:
        advance()
    ranked = tuple(match.intent.name for match in routing.matches[:k])
    predicted = ranked[0] if ranked else OUT_OF_SCOPE  # none: out of scope, or handoff_after 1
    shortlist = routing.matches[: settings.top_k]  # what a turn decides on
    route = decide(shortlist, settings, 0, routing.runner_up) if ranked else routing.route
    handoff = handing_off(shortlist, settings) if route == "handoff" else None
    return _Outcome(row, predicted, ranked, elapsed, route, handoff and handoff.intent.name)


def _accuracy(outcomes: Sequence[_Outcome]) -> tuple[int, int]:
    """Rows routed to their label, and in-scope rows with theirs in the top k."""
    correct = sum(outcome.predicted == outcome.row.intent for outcome in outcomes)
    found = sum(o.row.in_scope and o.row.intent in o.ranked for o in outcomes)
    return correct, found


def _confused(outcomes: Sequence[_Outcome]) -> tuple[tuple[str, str, int], ...]:
    """The most frequent (expected, predicted) mistakes; ties in name order."""
    pairs = Counter((o.row.intent, o.predicted) for o in outcomes if o.predicted != o.row.intent)
    return _most_common(pairs)


def _most_common(pairs: Counter[tuple[str, str]]) -> tuple[tuple[str, str, int], ...]:
    """The ``_CONFUSED_SHOWN`` most frequent pairs, with their counts; ties in name order."""
    ordered = sorted(pairs.items(), key=lambda item: (-item[1], item[0]))
    return tuple((first, second, count) for (first, second), count in ordered[:_CONFUSED_SHOWN])


def _handed_off(
    outcomes: Sequence[_Outcome], intents: Sequence[Intent]
) -> tuple[tuple[str, str, int], ...]:
    """Rows labelled with an intent that answers, which a handoff intent sent to a person:
    (labelled, handoff intent, count), most first."""
    hands_off = {intent.name for intent in intents if intent.handoff}
    pairs = Counter(
        (o.row.intent, o.handoff)
        for o in outcomes
        if o.handoff and o.row.in_scope and o.row.intent not in hands_off
    )
    return _most_common(pairs)


def _out_of_scope(outcomes: Sequence[_Outcome]) -> tuple[float | None, float | None]:
    """Precision and recall of routing out of scope (None where nothing is to divide by)."""
    routed = [outcome.predicted == OUT_OF_SCOPE for outcome in outcomes]
    labelled = [not outcome.row.in_scope for outcome in outcomes]
    both = sum(r and lab for r, lab in zip(routed, labelled, strict=True))
    return _ratio(both, sum(routed)), _ratio(both, sum(labelled))


def _unknown(rows: Sequence[Labelled], intents: Sequence[Intent]) -> tuple[UnknownLabel, ...]:
    names = [intent.name for intent in intents]
    unknown: dict[str, list[Labelled]] = {}
    for row in rows:
        if row.in_scope and row.intent not in names:
            unknown.setdefault(row.intent, []).append(row)
    return tuple(
        UnknownLabel(label, found[0].line, len(found), closest(label, names), found[0].item)
        for label, found in unknown.items()
    )


def _misroutes(router: Router, outcomes: Sequence[_Outcome], wanted: int) -> tuple[Misroute, ...]:
    """The ``wanted`` misroutes with the highest best score: the most confident mistakes."""
    wrong = [o for o in outcomes if o.predicted != o.row.intent] if wanted else []
    found = [_misroute(router, outcome) for outcome in wrong]
    found.sort(key=lambda misroute: (-misroute.score, misroute.line, misroute.item))
    return tuple(found[:wanted])


def _misroute(router: Router, outcome: _Outcome) -> Misroute:
    best = router.index.rank(outcome.row.text, 1)[0]
    row = outcome.row
    return Misroute(row.text, row.intent, outcome.predicted, best.score, row.line, row.item)


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def percentile(values: Sequence[int], percent: float) -> float:
    """The nearest-rank percentile of sorted ``values`` (0 for none): 50 is the lower median."""
    if not values:
        return 0.0
    return float(values[max(0, math.ceil(percent / 100 * len(values)) - 1)])
