"""Jinja's template syntax errors in words an operator can act on, at the line and column
they have to fix.

Jinja words its syntax errors for template authors who know its parser ("expected token
'end of print statement', got '='", "Encountered unknown tag 'elseif'") and places them
where the parser gave up, often a line or more after the mistake. Owns
:func:`syntax_problem`, which recognises the slips operators make (``=`` for ``==``,
``else if``, an unclosed ``{{`` or ``{% if %}``, a curly quotation mark) and says, at the
mistake, what to type instead. Reading and checking templates is ``templates.py``'s.
"""

from __future__ import annotations

import difflib
import re

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from .errors import Problem
from .source import SourceFile


def syntax_problem(
    environment: SandboxedEnvironment, source: SourceFile, exc: jinja2.TemplateSyntaxError
) -> Problem:
    """Jinja's syntax error, placed where the operator has to look."""
    text = str(exc.message)
    if hinted := _tag_hint(environment, source, exc):
        return hinted
    if text.startswith("Unexpected end of template") and (
        opened := _unclosed_block(environment, source.text)
    ):  # Jinja points at the last line; the mistake is where the block begins
        tag, line = opened
        end = len(source.lines) - (source.lines[-1] == "")  # a final line break ends no line
        message = (
            f"this {{% {tag} %}} is never closed: type {{% end{tag} %}} where it ends "
            f"(the file ends at line {end} inside it)"
        )
        return _syntax_at(source, line, _tag_at(source, line, tag)[1], message)
    if opened := _unclosed_tag(environment, source.text, exc.lineno):
        tag, line = opened
        closing = "}}" if tag == "{{" else "%}"
        message = f"template syntax error: this '{tag}' is never closed: type {closing} to end it"
        return source.problem(message, line, _unclosed_column(_line(source, line), tag))
    if hinted := _expression_hint(source, exc):
        return hinted
    unexpected = _UNEXPECTED_CHAR.fullmatch(text)  # "... at <offset>"
    message = f"template syntax error: {text}"
    if unexpected:
        message = f"template syntax error: unexpected character {unexpected[1]}"
    if any(char in text for char in "｛｝％"):
        message += " (a full-width brace or percent sign: type { } % plainly)"
    elif any(char in text for char in "“”‘’"):
        message += " (a curly quotation mark: type a plain \" or ')"
    elif unexpected and (hint := _CHARACTER_HINTS.get(unexpected[1].strip("'\""))):
        message += f" ({hint})"
    elif unexpected and unexpected[1] in ("'\"'", '"\'"'):
        message = f"template syntax error: this {unexpected[1]} is never closed: type it again "
        message += "where the text ends"
    elif unexpected:
        message += " inside {{ }} or {% %} (is a closing }} or %} missing before it?)"
    if not unexpected:
        return source.problem(message, exc.lineno)
    before = _LINE_BREAK.sub("\n", source.text)[: int(unexpected[2])]  # Jinja's offset is
    column = len(before) - before.rfind("\n")  # into the text with every break made "\n"
    return source.problem(message, before.count("\n") + 1, column)


# Jinja's parser says what token it expected ("expected token 'name', got 'end of print
# statement'") with no column and nothing about what the operator typed: the mistakes an
# operator makes in an expression are recognised on the line and worded by hand.
_CHARACTER_HINTS = {"&": "Jinja writes 'and', not &&", "!": "Jinja writes 'not', not !"}


def _expression_hint(source: SourceFile, exc: jinja2.TemplateSyntaxError) -> Problem | None:
    """A slip inside {{ }} or {% %} (= for ==, a | with no filter, one closing brace, an
    unclosed comment), at its column, with what to type."""
    text, line = str(exc.message), _line(source, exc.lineno)
    for pattern, found, message in _EXPRESSION_SLIPS:
        if re.fullmatch(pattern, text) and (where := list(re.finditer(found, line))):
            last = where[-1]  # the last: a right one may come before it on the line
            column = last.start(last.lastindex or 0) + 1
            return _syntax_at(source, exc.lineno, column, message)
    return None


_END = r"expected token '(?:end of print statement|end of statement block)'"
_EXPRESSION_SLIPS = [
    (
        _END + ", got '='",
        r"(?<![=!<>])=(?!=)",
        "'=' sets a value; to compare, type '==' (as in {% if language == \"zh\" %})",
    ),
    (
        r"expected token 'name', got 'end of (?:print statement|statement block)'",
        r"\|(?=\s*[-+]?[}%]\})",
        "a | needs a filter name after it (as in | upper): type one, or remove the |",
    ),
    (r"expected token 'name', got '\|'", r"\|\|", "Jinja writes 'or', not ||"),
    (
        r"unexpected '}'",
        r"\{\{[^{}]*(?<!\})(\})(?!\})",
        "a tag opened with {{ closes with }}: type }}",
    ),
    (
        r"unexpected '}'",
        r"\{%[^{}]*(?<![%}])(\})(?!\})",
        "a tag opened with {% closes with %}: type %}",
    ),
    (r"unexpected '}', expected '\)'", r"\((?!.*\))", "this ( is never closed: type )"),
    (r"unexpected '}', expected '\]'", r"\[(?!.*\])", "this [ is never closed: type ]"),
    (
        r"Expected an expression, got 'end of statement block'",
        r"\{%[-+]?\s*(?:el)?if\s*[-+]?%\}",
        'this tag needs a condition, as in {% if language == "zh" %}',
    ),
    (
        r"Expected an expression, got 'end of statement block'",
        r"\{%[-+]?\s*for\b[^%]*\bin\s*[-+]?%\}",
        "a for needs what to loop over after 'in', as in {% for intent in intents %}",
    ),
    (
        r"Expected an expression, got 'end of print statement'",
        r"\{\{[-+]?\s*[-+]?\}\}",
        "nothing to print: put a variable inside, as in {{ bot.name }}, or remove the {{ }}",
    ),
    (
        r"expected token 'in', got '[^']*'",
        r"\{%[-+]?\s*for\s+\w+(?:\s*,\s*(?!in\b)\w+)*\s+(?!in\b)(\S)",
        "a for reads {% for intent in intents %}: type 'in' before what it loops over",
    ),
    (
        r"expected name or number",
        r"\w(\.)(?=\.|\s*(?:\}\}|%\}|\||\)|\]|,))",
        "a '.' needs an attribute name after it, as in bot.name",
    ),
    (
        _END + r", got '[^']*'",
        r"\{%[-+]?\s*(?:end\w+|else)\s+(\S)",
        "an end or else tag takes nothing after its name: remove what follows it",
    ),
    (
        r"Missing end of comment tag",
        r"\{#(?!.*#\})",
        "this {# is never closed: type #} where the comment ends",
    ),
]


def _unclosed_column(line: str, tag: str) -> int | None:
    """The column of the last ``tag`` (``{{`` or ``{%``) on ``line`` not closed on it."""
    closing = "}}" if tag == "{{" else "%}"
    where = [
        m.start() for m in re.finditer(re.escape(tag), line) if closing not in line[m.start() :]
    ]
    return where[-1] + 1 if where else None


# Jinja's parser names a tag it did not expect, and what it was looking for, but neither the
# column nor the tag the operator meant; an operator types what other languages spell
# ("else if", "elseif", "end if") or closes a block twice. Each is worded by hand below.
_UNKNOWN_TAG = re.compile(r"Encountered unknown tag '(\w+)'")
_INNERMOST = re.compile(r"innermost block that needs to be closed is '(\w+)'")
_ELSE_IF = re.compile(r"\{%[-+]?\s*else\s+if\b")
_ELIF_SPELLINGS = frozenset({"elseif", "elsif", "elsf", "elif_"})
_TAGS = (
    "if elif else endif for endfor set endset macro endmacro call endcall filter endfilter "
    "block endblock with endwith include import from raw endraw autoescape endautoescape"
).split()


def _tag_hint(
    environment: SandboxedEnvironment, source: SourceFile, exc: jinja2.TemplateSyntaxError
) -> Problem | None:
    """A tag Jinja does not know or did not expect there, with what to type instead."""
    line = exc.lineno
    if _ELSE_IF.search(_line(source, line)):  # Jinja: "expected 'end of statement block'"
        return _unknown(source, line, r"else\s+if", "{% elif ... %}")
    if not (unknown := _UNKNOWN_TAG.match(str(exc.message))):
        return None
    name, innermost = unknown[1], _INNERMOST.search(str(exc.message))
    block = innermost[1] if innermost else None
    if name in _ELIF_SPELLINGS:
        return _unknown(source, line, name, "{% elif ... %}")
    if name == "end":
        return _unknown(source, line, name, f"{{% end{block or 'if'} %}}")
    if name.startswith("end") or name in ("else", "elif"):
        return _misplaced_tag(environment, source, line, name, block)
    close = difflib.get_close_matches(name, _TAGS, n=1, cutoff=0.6)
    return _unknown(source, line, name, f"{{% {close[0]} %}}" if close else None, first=True)


def _unknown(
    source: SourceFile, line: int, name: str, meant: str | None, first: bool = False
) -> Problem:
    """The unknown tag ``name`` (a regular expression) on ``line``, and the tag it likely meant."""
    tag, column = _tag_at(source, line, name, first)
    hint = f"did you mean {meant}?" if meant else "Jinja has no such tag"
    return _syntax_at(source, line, column, f"unknown tag '{tag}' ({hint})")


def _misplaced_tag(
    environment: SandboxedEnvironment, source: SourceFile, line: int, name: str, block: str | None
) -> Problem:
    """An end, else or elif tag where no open block takes it: it closes nothing, closes the
    wrong block (an endif for a for), or is a second else."""
    tag, column = f"{{% {name} %}}", _tag_at(source, line, name)[1]
    if block is None:
        opener = name[3:] if name.startswith("end") else "if"
        verb = "closes" if name.startswith("end") else "belongs to"
        message = f"{tag} {verb} no {{% {opener} %}}: remove it, or add the {{% {opener} ... %}}"
        return _syntax_at(source, line, column, message)
    opened = _open_block_line(environment, source, line, column)
    where = f"the {{% {block} %}}" + (f" on line {opened}" if opened else "")
    if name.startswith("end"):
        message = f"{tag} inside {where}: close that first with {{% end{block} %}}"
    elif name == "else":
        message = f"a second {{% else %}} in {where}: use {{% elif ... %}} for another case"
    else:
        message = f"{tag} inside {where}: an elif belongs to an {{% if %}}"
    return _syntax_at(source, line, column, message)


def _tag_at(
    source: SourceFile, line: int, name: str, first: bool = False
) -> tuple[str, int | None]:
    """The tag ``name`` (a regular expression) on ``line`` as written, and its column. The
    last such tag on the line unless ``first``: an end or else tag is wrong after a right one
    on its line, not before it."""
    found = list(re.finditer(r"\{%[-+]?\s*(" + name + r")\b", _line(source, line)))
    match = (found[0] if first else found[-1]) if found else None
    return (re.sub(r"\s+", " ", match[1]), match.start() + 1) if match else (name, None)


def _syntax_at(source: SourceFile, line: int, column: int | None, message: str) -> Problem:
    return source.problem(f"template syntax error: {message}", line, column)


def _line(source: SourceFile, line: int) -> str:
    return source.lines[line - 1] if 0 < line <= len(source.lines) else ""


def _open_block_line(
    environment: SandboxedEnvironment, source: SourceFile, line: int, column: int | None
) -> int | None:
    """The line of the innermost block still open where the tag at ``line``/``column`` is."""
    before = "\n".join([*source.lines[: line - 1], _line(source, line)[: (column or 1) - 1]])
    try:
        opened = _unclosed_block(environment, before)
    except jinja2.TemplateSyntaxError:
        return None
    return opened[1] if opened else None


def _unclosed_block(environment: SandboxedEnvironment, text: str) -> tuple[str, int] | None:
    """The innermost block tag (if, for, ...) left open, and its line, read from the tokens."""
    opened: list[tuple[str, int]] = []
    tag: list[tuple[int, str, str]] = []
    for line, kind, value in environment.lex(text):
        if kind == "block_begin":
            tag = []
        elif kind == "block_end" and tag:
            name = tag[0][2]
            if name in _BLOCK_TAGS or (
                name == "set" and ("operator", "=") not in {(k, v) for _, k, v in tag}
            ):
                opened.append((name, tag[0][0]))
            elif name.startswith("end") and opened:
                opened.pop()
            tag = []
        elif kind != "whitespace":
            tag.append((line, kind, value))
    return opened[-1] if opened else None


def _unclosed_tag(
    environment: SandboxedEnvironment, text: str, error_line: int
) -> tuple[str, int] | None:
    """A ``{{`` or ``{%`` opened by ``error_line`` and never closed, and its line: another tag
    opens inside it, or the text ends inside it. Jinja reads on into what follows and fails
    there, a line or more after the mistake."""
    opened: tuple[str, int] | None = None
    previous = ""
    try:
        for line, kind, value in environment.lex(text):
            if kind in ("variable_begin", "block_begin"):
                opened, previous = (value.strip("-+"), line), ""
            elif kind in ("variable_end", "block_end"):
                opened = None
            elif kind == "operator" and opened and previous == "{" and value in ("{", "%"):
                break
            elif kind != "whitespace":
                previous = value if kind == "operator" else ""
    except jinja2.TemplateSyntaxError:  # the lexer's own error is reported as it is
        return None
    return opened if opened and opened[1] <= error_line else None


_BLOCK_TAGS = frozenset({"if", "for", "macro", "call", "filter", "block", "with", "autoescape"})
_UNEXPECTED_CHAR = re.compile(r"unexpected char (.+) at (\d+)")  # Jinja's lexer, by offset
_LINE_BREAK = re.compile(r"\r\n|\r")  # Jinja reads these as "\n"
