"""Jinja templates: the sandboxed environment, the variables templates get, and their checks.

Owns the contract between operators' ``templates/*.j2`` and the renderer: which templates a
bot must have (:data:`TEMPLATE_NAMES`), which variables every template receives
(:data:`TEMPLATE_VARIABLES`), and the load-time checks that turn a template mistake into a
:class:`~servicebot.errors.Problem` with the template's own line.
"""

from __future__ import annotations

from pathlib import Path

import jinja2
from jinja2 import meta, nodes
from jinja2.sandbox import SandboxedEnvironment

from .errors import Problem
from .source import SourceFile, read_text

TEMPLATE_NAMES = {
    "system.j2": "the system message: the bot's voice, rules and the selected intents' facts",
    "handoff.j2": "the reply when the conversation goes to a person",
    "blocked.j2": "the reply when the pre-filter blocks a customer's message",
    "out_of_scope.j2": "the reply, without a model, when no intent matches",
}

TEMPLATE_VARIABLES = {
    "bot": "settings to quote: bot.name, bot.languages, bot.contact.phone/email/website",
    "language": "the language to reply in, such as 'en' or 'zh'",
    "intents": "the intents selected for this turn, best first: name, description, answer, score",
    "out_of_scope": "true when no intent matched well enough: answer without FAQ facts",
    "flags": "what the pre-filter noticed in the message, such as 'injection' (a list of names)",
    "customer": "metadata the embedding application passes with the turn (a mapping)",
}


def create_environment(folder: Path) -> SandboxedEnvironment:
    """The one Jinja environment templates render in: sandboxed, strict, reproducible."""
    return SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(folder),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def read_templates(folder: Path, problems: list[Problem]) -> dict[str, str]:
    """Read and check every template the bot needs; add each mistake to ``problems``."""
    if not folder.is_dir():
        problems.append(
            Problem(folder, f"no templates folder: a bot needs {', '.join(TEMPLATE_NAMES)}")
        )
        return {}
    environment = create_environment(folder)
    sources: dict[str, str] = {}
    for name in TEMPLATE_NAMES:
        if not (folder / name).is_file():
            problems.append(
                Problem(folder / name, f"missing template: {name} is {TEMPLATE_NAMES[name]}")
            )
    for path in sorted(folder.glob("*.j2")):
        source = read_text(path, problems)
        if source is not None:
            problems.extend(_check_template(environment, source, folder))
            sources[path.name] = source.text
    return sources


def _check_template(
    environment: SandboxedEnvironment, source: SourceFile, folder: Path
) -> list[Problem]:
    try:
        tree = environment.parse(source.text, name=source.path.name)
        environment.compile(tree, name=source.path.name)  # unknown filters and tests
    except jinja2.TemplateSyntaxError as exc:
        return [source.problem(f"template syntax error: {exc.message}", exc.lineno)]
    known = set(TEMPLATE_VARIABLES) | set(environment.globals)
    unknown = meta.find_undeclared_variables(tree) - known
    problems = [
        source.problem(_unknown_variable(node.name), node.lineno)
        for node in tree.find_all(nodes.Name)
        if node.ctx == "load" and node.name in unknown
    ]
    private: dict[int, set[str]] = {}
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        if _attribute(node).startswith("_"):
            private.setdefault(node.lineno, set()).add(_attribute(node))
    problems += [
        source.problem(
            f"{', '.join(sorted(names))}: templates cannot reach private attributes (sandbox)",
            line,
        )
        for line, names in private.items()
    ]
    problems += [
        source.problem(f"template '{name}' does not exist", line)
        for line, name in _referenced_templates(tree)
        if not (folder / name).is_file()
    ]
    return _first_per_line(problems)


def _attribute(node: nodes.Node) -> str:
    """The attribute or constant item a ``x.attr`` or ``x["item"]`` expression reaches for."""
    if isinstance(node, nodes.Getattr):
        return str(node.attr)
    key = getattr(node, "arg", None)
    return key.value if isinstance(key, nodes.Const) and isinstance(key.value, str) else ""


def _referenced_templates(tree: nodes.Template) -> list[tuple[int, str]]:
    """(line, name) of every template that include/extends/import names literally."""
    found = tree.find_all((nodes.Include, nodes.Extends, nodes.Import, nodes.FromImport))
    return [
        (node.lineno, node.template.value)  # type: ignore[attr-defined]
        for node in found
        if isinstance(getattr(node, "template", None), nodes.Const)
    ]


def _unknown_variable(name: str) -> str:
    import difflib

    close = difflib.get_close_matches(name, TEMPLATE_VARIABLES, n=1)
    hint = (
        f"did you mean '{close[0]}'?"
        if close
        else f"templates get: {', '.join(TEMPLATE_VARIABLES)}"
    )
    return f"unknown variable '{name}' ({hint})"


def _first_per_line(problems: list[Problem]) -> list[Problem]:
    """One problem per line and message: a variable used twice on a line is one mistake."""
    seen: set[tuple[int | None, str]] = set()
    unique = []
    for problem in problems:
        if (problem.line, problem.message) not in seen:
            seen.add((problem.line, problem.message))
            unique.append(problem)
    return unique
