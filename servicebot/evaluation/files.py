"""Labelled files: reading the messages of a CSV, TSV, JSON Lines or JSON file and the
intent each should route to, every malformed row reported with its file and line.

A labelled file is CSV (a header row with a ``text`` column, or ``utterance``, ``query`` or
``message`` as other datasets name it, and an ``intent``, ``category`` or ``label`` column;
where a header has two of a kind, Bitext's ``category`` and ``intent``, the first named here
is read, and a warning says so), JSON Lines (one object a line with the same keys) or a JSON
array of such objects; ``.tsv`` is CSV separated by tabs; a ``.yml`` file is Rasa's NLU
format (``nlu:`` with ``- intent:`` items and ``examples: |``, as ``rasa test nlu`` reads).
An optional ``previous`` column (key) holds the customer's previous message, which a short
follow-up is routed with; other columns are ignored. An empty label, ``out_of_scope``, or
``oos`` or ``none`` as other datasets write it (CLINC150's ``oos``), marks a message the bot
should not claim to know.

In a CSV or TSV file, a text or previous message that starts with ``'`` before one of
``= + - @``, a tab or a carriage return (or before another ``'`` and one of those) is read
without that first ``'``: it is the guard
``servicebot export`` puts before a cell a spreadsheet would run as a formula (export.py), so
that an export is evaluated as it is; so is a row export wrote for a person's message alone
(``persons_own``): passed over, with nothing to route.

Decoding a JSON file's text (one array or JSON Lines, and where each item starts) is
``evaluation/jsontext.py``'s.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..errors import ConfigError, Problem
from ..export import GUARD, persons_own, spreadsheet_safe
from ..rasaimport import rasa_examples
from ..source import decode
from .jsontext import decode_json, is_one_document, item_lines

OUT_OF_SCOPE = "out_of_scope"
TEXT_COLUMNS = ("text", "utterance", "query", "message")  # the first a file has is read
LABEL_COLUMNS = ("intent", "category", "label")
PREVIOUS = "previous"  # the column of the customer's previous message, for follow-ups
_CSV_SUFFIXES = (".csv", ".tsv")
_OTHER_OUT_OF_SCOPE = ("oos", "none")  # how other datasets label a message of no intent
_JSONL_SUFFIXES = (".jsonl", ".json", ".ndjson")
_EXCEL_SEPARATOR = re.compile(r'"?sep=(.)"?')  # Excel's first line naming the separator
_WIDE_SEPARATORS = {"，": "a full-width comma '，'", "；": "a full-width semicolon '；'"}
_JSON_NEEDS = (
    'each row needs an object with "text" (or "utterance", "query", "message") and "intent" '
    '(or "category", "label")'
)


@dataclass(frozen=True)
class Labelled:
    """One message and the intent it should route to (``out_of_scope`` for none)."""

    text: str
    intent: str
    line: int  # where the row starts in its file, 1-based
    item: int = 0  # its number in a JSON array that has other items on its line, else 0
    previous: str | None = None  # the customer's previous message, if the file gives one
    # the row's first line as written, shown under a problem with its label
    source_line: str | None = field(default=None, compare=False, repr=False)

    @property
    def in_scope(self) -> bool:
        return self.intent != OUT_OF_SCOPE


def place(line: int, item: int) -> str:
    """Where a row is, for people: 'line 3', or 'line 1, item 2' in a one-line JSON array."""
    return f"line {line}, item {item}" if item else f"line {line}"


def read_labelled(path: Path, warnings: list[Problem] | None = None) -> list[Labelled]:
    """Read a labelled CSV, JSON Lines or JSON file (an array of objects), by its extension;
    ``warnings`` gets which column was read where the file has two of a kind.

    Raises:
        ConfigError: the file is missing, unreadable or empty, or rows are malformed: every
            malformed row, each with its file and line.
    """
    rows, problems = read_rows(path, warnings)
    if problems:
        raise ConfigError.listing(problems)
    return rows


def read_rows(
    path: Path, warnings: list[Problem] | None = None
) -> tuple[list[Labelled], list[Problem]]:
    """The well-formed rows of a labelled file, and a problem for each malformed one, so that
    a caller can report them beside problems it finds itself (see
    :func:`~servicebot.evaluation.unknown_labels`). ``warnings`` gets, once each, which
    column was read where the file has two of a kind (``category`` and ``intent``).

    Raises:
        ConfigError: the file is missing, unreadable, empty or of an unknown type.
    """
    suffix = path.suffix.lower()
    if suffix in (".yml", ".yaml"):  # a Rasa NLU test file, as `rasa test nlu` reads it
        return [Labelled(text, intent, line) for text, intent, line in rasa_examples(path)], []
    if suffix not in _CSV_SUFFIXES + _JSONL_SUFFIXES:
        message = "unknown file type: use .csv, .tsv, .jsonl (JSON Lines), .json or Rasa's .yml"
        raise ConfigError.at(path, message)
    text = _read_text(path)
    notes: list[Problem] = []
    csv_file = suffix in _CSV_SUFFIXES
    read = list(_csv_rows(path, text, notes) if csv_file else _json_rows(path, text, notes))
    once: dict[str, Problem] = {}  # each JSON object with two labels says the same
    for note in notes:
        once.setdefault(note.message, note)
    if warnings is not None:
        warnings.extend(once.values())
    if not read:
        what = "only a header" if suffix in _CSV_SUFFIXES and text.strip() else "the file is empty"
        raise ConfigError.at(path, f"no labelled rows: {what}")
    rows = [row for row in read if isinstance(row, Labelled)]
    return rows, [row for row in read if isinstance(row, Problem)]


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


def _csv_rows(path: Path, text: str, notes: list[Problem]) -> Iterator[Labelled | Problem]:
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
        notes.extend(replace(where, message=note) for note in _read_from(header, "column"))
        previous_at = header.index(PREVIOUS) if PREVIOUS in header else None
        action_at = header.index("action") if "action" in header else len(header)
        needed = max(text_at, label_at, -1 if previous_at is None else previous_at)
        start = reader.line_num + 1
        for row in reader:
            if any(cell.strip() for cell in row):
                where = Problem(path, "", start, None, lines[start - 1])
                rows_lines = lines[start - 1 : reader.line_num]
                if unclosed := _unclosed_quote(rows_lines, reader.line_num, lines, delimiter):
                    yield replace(where, message=unclosed)
                elif len(row) <= needed:  # "hi" where "hi," was meant
                    message = f"the row has {len(row)} of the header's {len(header)} columns"
                    message += _wide_separator("".join(row))
                    yield replace(where, message=message)
                elif any(cell.strip() for cell in row[len(header) :]):  # hi, there,greeting
                    message = (
                        f"the row has {len(row)} columns, the header {len(header)}: "
                        'put a text that holds a comma in double quotes ("hi, there")'
                    )
                    yield replace(where, message=message)
                elif not persons_own(row[text_at], [*row, ""][action_at].strip()):
                    previous = None if previous_at is None else unguarded(row[previous_at])
                    yield _labelled(where, unguarded(row[text_at]), row[label_at], previous)
            start = reader.line_num + 1
    except csv.Error as exc:  # the rest of the file cannot be read: after the rows before
        yield Problem(path, f"not valid CSV: {exc}", reader.line_num)


def unguarded(cell: str) -> str:
    """``cell`` without the ``'`` that export puts before a formula's first character, so
    that ``'=1+1`` reads as the customer typed it, ``=1+1``; any other cell as it is. The
    guard is a ``'`` that export would have put there (export.py's spreadsheet_safe)."""
    guarded = cell.startswith(GUARD) and spreadsheet_safe(cell[1:]) == cell
    return cell[1:] if guarded else cell


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


def _unclosed_quote(row_lines: list[str], end: int, lines: list[str], delimiter: str) -> str | None:
    """What a double quote left open on a CSV row's first line did, if one did. Python's csv
    module, unless strict, reads the rest of the file as the quoted text, or the lines up to
    the next quote (the one opening a later row's text): a row of one short column, or rows
    silently merged into one text."""
    if len(row_lines) < 2 and end < len(lines):  # one line, not the last: no quote left open
        return None
    try:
        list(csv.reader(row_lines, delimiter=delimiter, strict=True))
    except csv.Error as exc:
        # At the end of the file, one line of "hi"x is a stray character, not an open quote.
        if end == len(lines) and (len(row_lines) > 1 or "end of data" in str(exc)):
            return (
                'a double quote (") opened on this line is never closed, so the rest of the '
                'file is read as its text: close it, or write a quote as ""'
            )
        if len(row_lines) > 1 and _opens_a_field(row_lines[-1], delimiter):
            return (
                'a double quote (") opened on this line is not closed on it, so the lines up '
                f"to the next quote, on line {end}, are read as its text: close it, or write a "
                'quote as ""'
            )
    return None


def _opens_a_field(line: str, delimiter: str) -> bool:
    """Whether the first double quote on ``line`` opens a text (at the line's start or after
    a separator): the one that closed a quote left open rows before. One after a word
    closes a text on purpose (``"my order\nis late" ,order_status``: a space before the comma)."""
    at = line.find('"')
    return at == 0 or (at > 0 and line[at - 1] == delimiter)


def _csv_columns(where: Problem, header: list[str]) -> tuple[int, int]:
    """The positions of the text column and of the label column in the header at ``where``:
    the first of TEXT_COLUMNS and of LABEL_COLUMNS that it has."""
    texts = [name for name in TEXT_COLUMNS if name in header]
    labels = [name for name in LABEL_COLUMNS if name in header]
    if not texts or not labels:
        needs = [f"a {kind} column ({_names(names)})" for kind, names in _lacking(texts, labels)]
        message = f"the header needs {' and '.join(needs)}" + _wide_separator("".join(header))
        raise ConfigError([replace(where, message=message)])
    return header.index(texts[0]), header.index(labels[0])


def _lacking(texts: list[str], labels: list[str]) -> list[tuple[str, tuple[str, ...]]]:
    """The kinds of column (or JSON key) a header (or object) lacks, each with its names."""
    kinds = (("text", texts, TEXT_COLUMNS), ("label", labels, LABEL_COLUMNS))
    return [(kind, names) for kind, found, names in kinds if not found]


def _names(names: tuple[str, ...]) -> str:
    """``'text', 'utterance', 'query' or 'message'``."""
    quoted = [f"'{name}'" for name in names]
    return f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def _read_from(names: Iterable[str], what: str) -> Iterator[str]:
    """Which text and which label column (``what``: or key) is read, for a header (or object)
    that has several of one: Bitext's has ``category`` (ORDER) and ``intent`` (cancel_order)."""
    for kind, aliases in (("text", TEXT_COLUMNS), ("label", LABEL_COLUMNS)):
        found = [alias for alias in aliases if alias in names]
        if len(found) > 1:
            others = " or ".join(f"'{name}'" for name in found[1:])
            yield f"the {kind} is read from the '{found[0]}' {what}, not from {others}"


def _wide_separator(text: str) -> str:
    """The hint for a row or header that a Chinese input method's separator left one cell."""
    wide = next((name for mark, name in _WIDE_SEPARATORS.items() if mark in text), None)
    return f" ({wide} does not separate columns: use ',')" if wide else ""


def _json_rows(path: Path, text: str, notes: list[Problem]) -> Iterator[Labelled | Problem]:
    """JSON Lines; or, for a ``.json`` file that is one JSON array (``[{"text": ...}, ...]``),
    its items, each at the line it starts on."""
    lines = text.split("\n")
    if path.suffix.lower() == ".json" and is_one_document(text):
        try:
            records = decode_json(text)
        except json.JSONDecodeError as exc:
            yield Problem(
                path, f"not valid JSON: {exc.msg}", exc.lineno, exc.colno, lines[exc.lineno - 1]
            )
            return
        if isinstance(records, list):
            numbers = list(item_lines(text, len(records)))
            shared = {number for number, count in Counter(numbers).items() if count > 1}
            for item, (number, record) in enumerate(zip(numbers, records, strict=True), 1):
                read = _json_labelled(path, number, lines[number - 1], record, notes)
                # An array on one line has every item on line 1: say which item it is.
                if read is None:
                    continue
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
            record = decode_json(line)
        except json.JSONDecodeError as exc:
            yield Problem(path, f"not valid JSON: {exc.msg}", number, exc.colno, line)
            continue
        if (read := _json_labelled(path, number, line, record, notes)) is not None:
            yield read


def _json_labelled(
    path: Path, number: int, line: str, record: object, notes: list[Problem]
) -> Labelled | Problem | None:
    """One object's row (None: a person's, see ``persons_own``); ``notes`` gets which key
    was read where it has two of a kind."""
    where = Problem(path, "", number, None, line)
    if not isinstance(record, dict):
        return replace(where, message=_JSON_NEEDS)
    if persons_own(
        next((record[k] for k in TEXT_COLUMNS if k in record), ""), record.get("action")
    ):
        return None
    texts = [key for key in TEXT_COLUMNS if key in record]
    labels = [key for key in LABEL_COLUMNS if key in record]
    if not texts or not labels:
        return replace(where, message=_JSON_NEEDS)
    notes.extend(replace(where, message=note) for note in _read_from(record, "key"))
    return _labelled(where, record[texts[0]], record[labels[0]], record.get(PREVIOUS))


def _labelled(
    where: Problem, text: object, label: object, previous: object = None
) -> Labelled | Problem:
    """One row, checked: a non-empty text, a string label (empty means out of scope) and, if
    given, a string previous message (empty means none).

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
    if previous is not None and not isinstance(previous, str):
        return replace(where, message="the previous message must be a string (or empty)")
    earlier = previous.strip() if previous else None
    line = where.line or 0
    return Labelled(
        given, _label(name), line, previous=earlier or None, source_line=where.source_line
    )


def _label(name: str) -> str:
    """A row's intent: ``out_of_scope`` for an empty label, for that word written
    otherwise (``OUT_OF_SCOPE``, ``out of scope``, ``Out-of-scope``), and for ``oos`` and
    ``none``."""
    name = name.strip()
    spelt = re.sub(r"[\s-]+", "_", name.casefold())
    out = not name or spelt == OUT_OF_SCOPE or spelt in _OTHER_OUT_OF_SCOPE
    return OUT_OF_SCOPE if out else name
