"""What ``servicebot check`` warns of in the Chinese script of the templates' own text.

A canned reply (``handoff.j2``, ``out_of_scope.j2``, ``blocked.j2`` and what they include)
is converted for a customer who writes the script ``chinese_script`` does not name, and shown
as written to one who writes the script it names (``prompt.in_script``). A bot set to
``chinese_script: traditional`` whose templates are still the simplified ones ``servicebot
init`` copies would show its traditional-writing customers simplified replies. The script is
read as the FAQ answers' is (:func:`~servicebot.filters.traditional.most_written_in`), over a
template's literal text only: variables (``{{ bot.name }}``), expressions and comments are not
what the customer reads as written. ``system.j2`` is the model's instructions, never shown.
"""

from __future__ import annotations

from jinja2 import Environment

from .config import TEMPLATES_FOLDER, BotSpec
from .errors import Problem
from .filters.traditional import most_written_in, writes_simplified, writes_traditional

_NOT_SHOWN = "system.j2"  # the system message, read by the model alone


def template_script_warnings(spec: BotSpec) -> list[Problem]:
    """A warning for each template (but ``system.j2``) whose literal Chinese text is written
    in the script ``chinese_script`` does not name, at its first line in that script."""
    written = spec.settings.chinese_script
    other = "simplified" if written == "traditional" else "traditional"
    problems = []
    for name, source in spec.templates.items():
        if name == _NOT_SHOWN:
            continue
        lines = _literal_lines(source)
        if not lines or most_written_in("\n".join(lines.values())) != other:
            continue
        # Text of characters both scripts write (你好) reads the same either way: no warning.
        told = (number for number, text in lines.items() if _tells(text, other))
        if (number := next(told, None)) is not None:
            path = spec.root / TEMPLATES_FOLDER / name
            line = source.splitlines()[number - 1]
            problems.append(Problem(path, _message(written, other), number, None, line))
    return problems


def _literal_lines(source: str) -> dict[int, str]:
    """The literal text on each line of ``source`` that has some, by line number in order,
    read by Jinja's lexer: the text between tags, not what ``{{ }}``, ``{% %}`` or ``{# #}``
    hold."""
    found: dict[int, str] = {}
    for number, kind, value in Environment().lex(source):
        if kind == "data":
            for offset, text in enumerate(value.split("\n")):
                if text.strip():
                    found[number + offset] = found.get(number + offset, "") + text
    return dict(sorted(found.items()))


def _tells(text: str, script: str) -> bool:
    """Whether ``text`` has a character that is written in ``script`` alone."""
    return writes_traditional(text) if script == "traditional" else writes_simplified(text)


def _message(written: str, other: str) -> str:
    """The warning for a template written in ``other`` in a bot of ``chinese_script:
    written``."""
    return (
        f"this template's Chinese text is written in {other} characters, but chinese_script "
        f"is {written}: customers who write {written} would read it unconverted, in {other} "
        f"characters. Rewrite it in {written} characters, or set chinese_script: {other}"
    )
