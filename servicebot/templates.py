"""Operators' Jinja templates: which a bot must have, reading and parsing them, and checks.

Owns which templates a bot must have (:data:`TEMPLATE_NAMES`) and :func:`read_templates`,
which reads every template in ``templates/``, parses it and runs the load-time checks that
turn a template mistake into a :class:`~servicebot.errors.Problem` on the template's own
line, so that a typo fails ``servicebot check`` rather than a customer's conversation.

Jinja's syntax errors are worded and placed where the operator has to look by
``templatesyntax.py``; which variables every template receives
(:data:`~servicebot.templatetree.TEMPLATE_VARIABLES`) and their attributes, and the checks
of a parsed template's tree, are ``templatetree.py``'s; the environment templates render in
is ``sandbox.py``'s.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path

import jinja2
from jinja2 import nodes
from jinja2.sandbox import SandboxedEnvironment

from .errors import Problem
from .sandbox import compile_checked, create_environment
from .source import SourceFile, operator_files, read_text
from .templatesyntax import syntax_problem
from .templatetree import assigned, loop_problems, tree_problems

TEMPLATE_NAMES = {
    "system.j2": "the system message: the bot's voice, rules and the selected intents' facts",
    "handoff.j2": "the reply when the conversation goes to a person",
    "blocked.j2": "the reply when the pre-filter blocks a customer's message",
    "out_of_scope.j2": "the reply, without a model, when no intent matches",
}


def read_templates(folder: Path, problems: list[Problem]) -> dict[str, str]:
    """Read and check every template the bot needs; add each mistake to ``problems``."""
    if not folder.is_dir():
        names = ", ".join(TEMPLATE_NAMES)
        problems.append(Problem(folder, f"no templates folder: a bot needs {names}"))
        return {}
    environment = create_environment(folder)
    read: list[SourceFile] = []
    paths = sorted({*operator_files(folder, ".j2"), *(folder / name for name in TEMPLATE_NAMES)})
    for path in paths:
        if not path.exists() and path.name in TEMPLATE_NAMES:
            problems.append(Problem(path, f"missing template: {TEMPLATE_NAMES[path.name]}"))
        elif (source := read_text(path, problems)) is not None:
            read.append(source)
    parsed = [(source, _parsed(environment, source)) for source in read]
    # An included file sees the includer's variables: a loop's item, a {% set %}. So a file
    # the bot does not render itself may use any name another template sets.
    shared = set().union(
        *(assigned(tree) for _, tree in parsed if isinstance(tree, nodes.Template))
    )
    trees, read_names = {}, {_name(source, folder) for source in read}
    for source, tree in parsed:
        if isinstance(tree, Problem):
            problems.append(tree)
            continue
        name = _name(source, folder)
        trees[name] = source, tree
        included = shared if name not in TEMPLATE_NAMES else set()  # a partial's
        problems += _check_template(environment, (name, tree), source, read_names, included)
    problems += loop_problems(trees)
    return {_name(source, folder): source.text for source in read}


def _name(source: SourceFile, folder: Path) -> str:
    """A template's name, as an include gives it: its path in ``folder`` (``parts/faq.j2``)."""
    return source.path.relative_to(folder).as_posix()


def _parsed(environment: SandboxedEnvironment, source: SourceFile) -> nodes.Template | Problem:
    """The template's syntax tree, or the problem that keeps it from being read."""
    if wide := _WIDE_DELIMITER.search(source.text):  # Jinja reads it as text, or fails later
        message = (
            f"'{wide[0]}': a full-width brace or percent sign neither opens nor closes a "
            "template tag (the customer would read it as written): type {{ }} or {% %} plainly"
        )
        return source.problem_at_offset(message, wide.start())
    if half := _ONE_BRACE.search(source.text):  # Jinja reads it as text: no error of its own
        message = (
            f"'{half[0]}' opens with one brace, so it is no template tag (the customer would "
            f"read it as written): type {{{half[0]}"
        )
        return source.problem_at_offset(message, half.start())
    try:
        return environment.parse(source.text, name=source.path.name)
    except jinja2.TemplateSyntaxError as exc:
        return syntax_problem(environment, source, exc)
    except RecursionError:
        return source.problem("template is nested too deeply to read")


# "｛｛ bot.name ｝｝", "｛% if %｝": a Chinese IME's braces and percent signs around a tag.
_WIDE_DELIMITER = re.compile("｛[｛{％%]|{[｛％]|[％%｝]｝|％}")
# "{ bot.contact.phone }}": a name (and filters) between one opening brace and two closing
# ones. Not JSON ({"id": {"n": 1}}), which has quotes and colons.
_ONE_BRACE = re.compile(r"(?<![{$])\{[ \t]*[A-Za-z_][\w.]*(?:[ \t]*\|[ \t]*\w+)*[ \t]*\}\}")


def _check_template(
    environment: SandboxedEnvironment,
    named: tuple[str, nodes.Template],
    source: SourceFile,
    templates: Collection[str],
    included: set[str],
) -> list[Problem]:
    """``templates``: the names of the templates read, which this one may include;
    ``included``: names an including template may set, which this one may use. Compiled
    once clean, for mistakes only compiling finds; the code is kept for rendering."""
    name, tree = named
    try:
        problems = tree_problems(environment, tree, source, templates, included)
        if not problems:
            compile_checked(environment, tree, name, source.text)
    except jinja2.TemplateSyntaxError as exc:
        return [syntax_problem(environment, source, exc)]
    except RecursionError:
        return [source.problem("template is nested too deeply to read")]
    except SyntaxError:  # Python's own limits on the code Jinja makes: about 20 nested loops
        return [source.problem("template is nested too deeply to run")]
    return _first_per_line(problems)


def _first_per_line(problems: list[Problem]) -> list[Problem]:
    """One problem per line and message: a variable used twice on a line is one mistake."""
    seen: set[tuple[int | None, str]] = set()
    unique = []
    for problem in problems:
        if (problem.line, problem.message) not in seen:
            seen.add((problem.line, problem.message))
            unique.append(problem)
    return unique
