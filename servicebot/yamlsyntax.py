"""YAML syntax errors in words an operator can act on, at the line they have to fix.

PyYAML words its errors for parser authors ("while scanning a simple key, could not find
expected ':'") and often places them lines after the cause. Owns the translation: the likely
cause above an error (a full-width colon, a quote left open), the right mark (where an unclosed
quote, key or bracket begins), and hints such as "put text that starts with '@' in quotes"
(:func:`syntax_problem`). The mistakes after the first, which PyYAML never reaches, are found
by :mod:`.yamlrecovery`.
"""

from __future__ import annotations

import json
import re

import yaml

from .errors import Problem, shorten
from .source import SourceFile
from .yamlindent import BLOCK_OPENERS, COMMENT, after_block_text, dedented_child, misplaced_item

SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's
COMMENT_AFTER_VALUE = re.compile(r"[ \t]+#\S")  # " #100482": YAML reads it as a comment
FULL_WIDTH_COLON = "full-width colon '：' after a key"
CURLY_QUOTE = re.compile("[“”‘’「」『』]")  # a word processor's or input method's: text to YAML
JSON_BRACKETS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')  # strings (their brackets are text)

_FULL_WIDTH_KEY = re.compile(r"^\s*(?:-\s+)?[A-Za-z_][\w.-]*\s*(：)")
# Spaces YAML does not read as spaces: an input method's full-width one, and the
# non-breaking ones that text pasted from Word or a web page brings.
_ODD_SPACES = "\u3000\u00a0\u2007\u202f"
_FULL_WIDTH_DASH = re.compile(f"[ \t]*-([{_ODD_SPACES}])")  # "-　text": after a dash
_FULL_WIDTH_INDENT = re.compile(f"[ \t]*([{_ODD_SPACES}])")  # "　　- text": as indentation
_WIDE_LIST_DASH = re.compile("[ \t\u3000]*([\uff0d\u2014\u2013\u2212])[ \u3000]")  # "－ text"
# "name:Maple" or "description:\u3000text": a key whose colon has no plain space after it.
_COLON_WITHOUT_SPACE = re.compile(r"^[ \t]*(?:-[ \t]+)?([A-Za-z_][\w-]*):([^ \t/:])")
_OPENING_QUOTE = re.compile(r"^\s*(?:-\s+|[\w.-]+:\s+)*([\"'])")
_UNREADABLE = (
    "YAML cannot read this line: check its indentation against the lines above, and put text "
    "in quotes if it starts with a quote, '[' or '{', or contains ': '"
)
_UNEXPECTED_COLON = (
    "unexpected ':' here: check this line's indentation, or put quotes around text that "
    "contains ': '"
)
_INDENTATION_HINTS = (_UNREADABLE, _UNEXPECTED_COLON)  # see yamlindent.misplaced_item
_HINTS = {
    "mapping values are not allowed": _UNEXPECTED_COLON,
    "did not find expected key": _UNREADABLE,
    "expected <block end>, but found": _UNREADABLE,
    "did not find expected '-' indicator": _UNREADABLE,
    "could not find expected ':'": (
        "this line has no ':' after its key (a list item starts with '- ')"
    ),
    "found unhashable key": (  # "answer: {{ bot.name }}": a mapping inside a mapping
        "text that starts with '{' must be in quotes (and '{{ }}' in YAML text is sent as "
        "written, not filled in)"
    ),
    "block sequence entries are not allowed in this context": (
        "a list item cannot start on its key's line: put the '- ' on the line below, indented "
        "as the other items, or put text that starts with '- ' in quotes"
    ),
    "while scanning an alias": "text that starts with '*' must be in quotes",
    "while scanning an anchor": "text that starts with '&' must be in quotes",
    "found duplicate anchor": (
        "an anchor named as one above: give it a name of its own, or, if this is text that "
        "starts with '&', put it in quotes"
    ),
}


def control_character_problem(document: SourceFile, exc: yaml.reader.ReaderError) -> Problem:
    """The problem for a character YAML forbids (NUL, an escape), where it stands."""
    code = exc.character if isinstance(exc.character, int) else ord(exc.character)
    message = f"control character U+{code:04X} is not allowed in YAML; remove it"
    return document.problem_at_offset(message, exc.position)


def syntax_problem(document: SourceFile, exc: yaml.MarkedYAMLError) -> Problem:
    """The problem for a YAML syntax error, at the line an operator has to fix."""
    if document.path.suffix.lower() == ".json" and (in_json := _json_problem(document)):
        return in_json  # YAML's advice (quotes, indentation) does not fit a JSON file
    mark = exc.problem_mark or exc.context_mark
    error_line = document.position(mark.index)[0] if mark is not None else len(document.lines)
    if (cause := _likely_cause(document, error_line)) is not None:
        return cause
    if (cause := _colon_without_space(document, error_line)) is not None:
        return cause
    problem, context = exc.problem or str(exc), exc.context or ""
    found = document.text[mark.index : mark.index + 1] if mark is not None else ""
    if (
        context == "while scanning a block scalar"
        and exc.context_mark
        and not found.isdigit()
        and "tab character" not in problem  # a tab indenting a line after the block's text
    ):
        mark = exc.context_mark  # "- > quoted": the '>' that YAML took for a block's start
    elif exc.context_mark is not None and (
        "end of stream" in problem
        or "could not find expected ':'" in problem
        or context.startswith("while parsing a flow")
    ):
        mark = exc.context_mark  # where the unclosed quote, key or bracket begins
    if mark is None:
        return document.problem(f"YAML syntax error: {problem}")
    index = mark.index
    if context == "while parsing a flow node" and not document.text[index:].strip():
        # "intents: [" as the file's last line: PyYAML marks the end of the file, past any line.
        index = _last_opening(document.text, index)
    number, column = document.position(index)
    line = document.lines[number] if number < len(document.lines) else ""
    above = next((text for text in reversed(document.lines[:number]) if text.strip()), "")
    message = _message_for(problem, context, line[column : column + 1], line, above)
    if "could not find expected ':'" in problem and after_block_text(document.lines, number):
        message = (
            "this line is less indented than the '|' or '>-' block text above it, so it ends "
            "that text: indent it as far as the text above if it is more of it, or put ':' "
            "after its key if it is a key"
        )
    if message in _INDENTATION_HINTS and (moved := misplaced_item(document, number)):
        return moved
    if message in _INDENTATION_HINTS and (child := dedented_child(document, number)):
        return child
    if message == _UNEXPECTED_COLON and (curly := CURLY_QUOTE.search(line[:column])):
        message = f"'{curly[0]}' is not a YAML quote, so the ': ' in this text reads as a key: "
        message += 'type plain " marks around the text'
        index -= column - curly.start()
    return document.problem_at_offset(message, index)


def _last_opening(text: str, end: int) -> int:
    """Where the last '[' or '{' before ``end`` is, outside comments (0 if none)."""
    start = end
    while start > 0:
        start = text.rfind("\n", 0, start - 1) + 1
        line = COMMENT.sub("", text[start:end])
        if (found := max(line.rfind("["), line.rfind("{"))) >= 0:
            return start + found
        end = start
    return 0


def _json_problem(document: SourceFile) -> Problem | None:
    """Python's own JSON error, which says what it expected where, if it finds one."""
    try:
        json.loads(document.text)
    except json.JSONDecodeError as exc:
        if not document.text[exc.pos :].strip():  # "Expecting ',' delimiter" at the very end
            opened = _unclosed(document.text)
            message = "JSON syntax error: the file ends before the '[' or '{' here is closed"
            return document.problem_at_offset(message, opened)
        return document.problem_at_offset(f"JSON syntax error: {exc.msg}", exc.pos)
    return None


def _unclosed(text: str) -> int:
    """Where the innermost '[' or '{' that JSON ``text`` leaves open is (0 if none)."""
    opened: list[int] = []
    for token in JSON_BRACKETS.finditer(text):
        if token[0] in "[{":
            opened.append(token.start())
        elif token[0] in "]}" and opened:
            opened.pop()
    return opened[-1] if opened else 0


def _message_for(problem: str, context: str, char: str, line: str, above: str) -> str:
    indentation = _INDENTATION.match(line)  # list dashes too: "-\thello", but not "---\t"
    if indentation and "\t" in indentation[0]:
        return "tab character: YAML indentation must use spaces, not tabs"
    if above.rstrip().endswith((">-", ">", "|", "|-", ">+", "|+")):
        return "the text of a '>-' or '|' block must be indented further than its key"
    if "end of stream" in problem:
        what = context.removeprefix("while scanning ").replace("scalar", "value")
        return f"YAML syntax error: {what} that starts here is never closed"
    if context.startswith("while parsing a flow"):
        if char == "-":  # [hello, - dash]: a block list's dash inside [ ]
            return (
                "'- ' cannot start an item inside [ ] or { }: separate items with commas, or "
                "put text that starts with '-' in quotes"
            )
        if COMMENT_AFTER_VALUE.search(line):
            return "' #' starts a YAML comment that hides the closing ']': put that text in quotes"
        return "a '[' or '{' that starts here is never closed (put text starting with it in quotes)"
    if "cannot start any token" in problem and char in "@`%|>":
        return f"text that starts with '{char}' must be in quotes"
    if context == "while scanning a block scalar" and char in "|>":
        return (
            f"text that starts with '{char}' must be in quotes (a '{char}' block's text starts "
            "on the line below, indented)"
        )
    if "found unhashable key" in problem and (char != "{" or line.lstrip().startswith("?")):
        return "a key must be text, not a list or mapping: put it in quotes"  # "? [a, b]"
    for text, hint in _HINTS.items():
        if text in problem or text in context:
            return hint
    return f"YAML syntax error: {context + ', ' if context else ''}{problem}"


def _likely_cause(document: SourceFile, error_line: int) -> Problem | None:
    """A full-width colon or an unclosed quote above a syntax error is usually its cause.

    Lines inside block text (after ``>-`` or ``|``) or inside a quoted text over several
    lines are text, not keys, and a quote that closes on a later line before the error is a
    legal multi-line string: none of them is blamed. One pass over the lines, so a large file
    with a late mistake stays quick.
    """
    lines = document.lines[: error_line + 1]
    block_indent: int | None = None  # the indentation of the key that opened block text
    quoted_until = -1  # the last line of a quoted text that goes on over several lines
    flow = 0  # how many [ or { the lines so far leave open
    for number, line in enumerate(lines):
        if not line.strip() or number <= quoted_until:
            continue  # blank, or in quoted text ("note： free" there is the text's)
        if flow:  # inside [ ] or { } over several lines: "note： free" there is text too
            flow = _flow_depth(line, 0, flow)
            continue
        flow = _flow_depth(line, opened.start(1), 0) if (opened := _OPENING_FLOW.match(line)) else 0
        indent = len(line) - len(line.lstrip())
        if block_indent is not None and indent > block_indent:
            continue  # block text
        block_indent = indent if line.rstrip().endswith(BLOCK_OPENERS) else None
        if match := _FULL_WIDTH_KEY.match(line):
            message = f"{FULL_WIDTH_COLON}: YAML needs a plain ':'"
            return document.problem(message, number + 1, match.start(1) + 1)
        if match := _FULL_WIDTH_DASH.match(line):
            message = f"{_space(match[1])} after a list dash: YAML needs a plain space"
            return document.problem(message, number + 1, match.start(1) + 1)
        if match := _WIDE_LIST_DASH.match(line):
            message = f"'{match[1]}' is not a list dash: a list item starts with a plain '- '"
            return document.problem(message, number + 1, match.start(1) + 1)
        if match := _FULL_WIDTH_INDENT.match(line):
            message = f"{_space(match[1])} in the indentation: YAML indents with plain spaces"
            return document.problem(message, number + 1, match.start(1) + 1)
        quote = _OPENING_QUOTE.match(line)
        if quote is None:
            continue
        closing = _closing(lines, number, quote)
        if closing is not None and not closing[0]:
            quoted_until = closing[1] - 1  # a legal text over several lines: read past it
            continue
        message = _quote_message(line, number, quote, closing)
        return document.problem(message, number + 1, quote.start(1) + 1)
    return None


_OPENING_FLOW = re.compile(r"^\s*(?:-\s+|[\w.-]+:\s+)*([\[{])")  # "examples: [" and the like
_FLOW_TOKEN = re.compile(r"\"(?:[^\"\\]|\\.)*\"?|'(?:[^']|'')*'?|(?:^|(?<=\s))#.*|[\[\]{}]")


def _flow_depth(line: str, start: int, depth: int) -> int:
    """How many [ or { are open after ``line``, read from ``start`` with ``depth`` open before
    it; quoted text and a comment aside."""
    for token in _FLOW_TOKEN.finditer(line, start):
        if token[0] in "[{":
            depth += 1
        elif token[0] in "]}":
            depth = max(depth - 1, 0)
    return depth


def _colon_without_space(document: SourceFile, error_line: int) -> Problem | None:
    """A key written "name:Maple" on the error's line or the line above it, where YAML
    reports it. Only there: elsewhere "- note:see below" is legal text."""
    for number in (error_line - 1, error_line):
        line = document.lines[number] if 0 <= number < len(document.lines) else ""
        if match := _COLON_WITHOUT_SPACE.match(line):
            key, after = shorten(match[1]), match[2]
            if after in _ODD_SPACES:
                message = f"{_space(after)} after '{key}:': YAML needs a plain space"
            else:
                message = f"no space after '{key}:': YAML needs one, as in '{key}: value'"
            return document.problem(message, number + 1, match.start(2) + 1)
    return None


def _quote_message(
    line: str, number: int, quote: re.Match[str], closing: tuple[str, int] | None
) -> str:
    """What is wrong with the quote opened on ``line`` (0-based ``number``) that ``closing``
    (see :func:`_closing`) does not close properly."""
    if closing is None:
        message = "a quoted text that starts here is not closed on this line"
        if "”" in line or "’" in line:
            message += ' (a Chinese quotation mark ” does not close it: type a plain ")'
        return message
    words, closed_on = closing
    where = "" if closed_on == number + 1 else f" on line {closed_on}"
    inside = (
        "write an apostrophe inside single quotes as ''"
        if quote.group(1) == "'"
        else 'put the whole text in single quotes to keep its " marks (and write '
        "an apostrophe in it as ''), or write each \" in it as \\\""
    )
    return (
        f"the quoted text that starts here ends at the {quote.group(1)} in "
        f"{shorten(words)!r}{where}, with more text after it: close it on this line, or "
        f"{inside}"
    )


def _space(char: str) -> str:
    """How an operator can tell a space YAML does not read as one: its name, and where from."""
    if char == "\u3000":
        return "full-width space '\u3000'"
    return f"non-breaking space (U+{ord(char):04X}, from pasted text)"


_INDENTATION = re.compile(r"[ \t]*(?:-[ \t]+)*")


def _closing(lines: list[str], number: int, quote: re.Match[str]) -> tuple[str, int] | None:
    """How the quote opened on ``lines[number]`` ends, and the line it closes on, counted from
    1: no words when it closes properly (nothing but a comment, ':' or a bracket after it),
    else the words around the quote that closes it too early (an apostrophe in "they're");
    None when it never closes."""
    mark = quote.group(1)
    rest = lines[number][quote.end() :]
    end = _closing_quote(rest, mark)
    if end is None:  # the usual case, a quote closed on its own line, is decided without joining
        rest = "\n".join(lines[number:])[quote.end() :]
        end = _closing_quote(rest, mark)
    if end is None:
        return None
    after = rest[end + 1 :].split("\n", 1)[0].strip()
    closed_on = number + 1 + rest.count("\n", 0, end)
    if not after or after[0] in "#:,]}":
        return "", closed_on
    word_before = rest[:end].split()[-1] if end and not rest[end - 1].isspace() else ""
    return word_before + rest[end] + after.split()[0], closed_on


def _closing_quote(rest: str, quote: str) -> int | None:
    """Where ``quote`` closes in ``rest`` (a doubled '' inside single quotes does not)."""
    pattern = r"'(?!')|''" if quote == "'" else r'\\.|"'
    for match in re.finditer(pattern, rest):
        if match[0] == quote:
            return match.start()
    return None
