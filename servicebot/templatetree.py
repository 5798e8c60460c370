"""The static checks of a parsed template's tree, against what templates get.

Owns which variables every template receives (:data:`TEMPLATE_VARIABLES`) and their
attributes (:data:`TEMPLATE_ATTRIBUTES`), and the checks of a template's syntax tree
against them: unknown variables, filters and tests, private or mistyped attributes,
includes of templates that are not read, conditions that always hold, and templates that
use themselves on every render.
"""

from __future__ import annotations

import collections
import posixpath
import re
from collections.abc import Collection, Mapping
from pathlib import Path

from jinja2 import nodes
from jinja2.sandbox import SandboxedEnvironment

from .errors import Problem
from .sandbox import LOOP_STEPS, UNWANTED_FILTERS
from .source import SourceFile
from .validation import closest, suggest

TEMPLATE_VARIABLES = {
    "bot": "settings to quote: bot.name, bot.languages, bot.contact.phone/email/website",
    "language": "the language to reply in, such as 'en' or 'zh'",
    "intents": "the intents selected for this turn, best first: name, answer, score, description",
    "out_of_scope": "true when no intent matched well enough: answer without FAQ facts",
    "flags": "what the pre-filter noticed in the message, such as 'injection' (a list of names)",
    "customer": "metadata the embedding application passes with the turn (a mapping)",
    "script": "'traditional' when the customer writes traditional Chinese, else 'simplified'",
    "other_script": "the writing system of a message in none of the bot's languages, if so",
}


TEMPLATE_ATTRIBUTES = {
    "bot": ("name", "languages", "contact"),
    "bot.contact": ("phone", "email", "website"),
    "intent": ("name", "answer", "score", "description"),  # an item of `intents`
}


def assigned(tree: nodes.Template) -> set[str]:
    """Names a template assigns anywhere: ``{% set %}``, loop targets, macro parameters."""
    try:
        return {node.name for node in tree.find_all(nodes.Name) if node.ctx in ("store", "param")}
    except RecursionError:  # nested too deeply: templates._check_template reports it
        return set()


def _filter_problem(environment: SandboxedEnvironment, name: str) -> str:
    """Why filter ``name`` cannot be used: refused, or unknown (then the filters an operator
    may use, not the one the sandbox puts in every loop)."""
    if name in UNWANTED_FILTERS:
        return f"filter '{name}' is not allowed: {UNWANTED_FILTERS[name]}"
    allowed = sorted(filter_ for filter_ in environment.filters if filter_ != LOOP_STEPS)
    return f"unknown filter '{name}' ({suggest(name, allowed)})"


def _meant(name: str, assigned: set[str]) -> str:
    """What an unknown variable was likely meant to be: a template variable, or a name the
    template sets (a loop's item); else the template variables."""
    close = closest(name, [*TEMPLATE_VARIABLES, *sorted(assigned)])
    return f"did you mean '{close}'?" if close else suggest(name, list(TEMPLATE_VARIABLES))


def tree_problems(
    environment: SandboxedEnvironment,
    tree: nodes.Template,
    source: SourceFile,
    templates: Collection[str],
    included: set[str],
) -> list[Problem]:
    def at(node: nodes.Node, message: str) -> Problem:
        return source.problem(message, node.lineno)

    # Not jinja2.meta.find_undeclared_variables: it runs the code generator, which stops at
    # the first unknown filter and so would hide every other problem (rendering in check
    # finds a name used outside the block that sets it, as a {% set %} inside {% if %} is
    # still the template's own variable).
    assigned_here, declared = assigned(tree), _declared(tree)
    known = set(TEMPLATE_VARIABLES) | set(environment.globals) | assigned_here | declared
    known |= included
    problems = [
        at(node, f"unknown variable '{node.name}' ({_meant(node.name, assigned_here)})")
        for node in tree.find_all(nodes.Name)
        if node.ctx == "load" and node.name not in known
    ]
    problems += [
        at(node, _filter_problem(environment, node.name))
        for node in tree.find_all(nodes.Filter)
        if node.name not in environment.filters
    ]
    problems += [
        at(node, f"unknown test '{node.name}' ({suggest(node.name, sorted(environment.tests))})")
        for node in tree.find_all(nodes.Test)
        if node.name not in environment.tests
    ]
    problems += [  # Jinja raises this at render time, on the wrong line
        at(
            node,
            f"cannot set {node.name}.{node.attr}: only a namespace() the template sets can "
            f"take attributes ({{% set ns = namespace({node.attr}=...) %}})",
        )
        for node in tree.find_all(nodes.NSRef)
        if node.name not in assigned_here | included
    ]
    problems += [at(node, message) for node, message in _always_true(tree)]
    problems += [  # the last use on the line: the first may be the loop's own ({% for k, v %})
        source.problem(message, node.lineno, _last_column(source, node.lineno, name))
        for node, name, message in _outside_its_loop(tree, included, declared)
    ]
    problems += _attribute_problems(tree, source)
    problems += _include_problems(tree, source, templates)
    problems += [
        source.problem_at_offset(
            f"stray '{m.group()[0]}' next to a Jinja tag: it would reach customers", m.start()
        )
        for m in _STRAY_BRACE.finditer(source.text)
    ]
    return [_with_column(problem, source) for problem in problems]


def _always_true(tree: nodes.Template) -> list[tuple[nodes.Node, str]]:
    """Conditions that always hold: ``{% if language == "zh" or "en" %}`` reads as
    ``(language == "zh") or "en"``, and a text that is not empty is true."""
    conditions = [
        node.test
        for node in tree.find_all((nodes.If, nodes.CondExpr))
        if isinstance(node, nodes.If | nodes.CondExpr) and node.test
    ]
    found: list[tuple[nodes.Node, str]] = []
    for either in (n for test in conditions for n in _joined(test) if isinstance(n, nodes.Or)):
        text, left = either.right, either.left
        if not (isinstance(text, nodes.Const) and isinstance(text.value, str) and text.value):
            continue
        message = f"'or \"{text.value}\"' is always true, so this condition always holds"
        if isinstance(left, nodes.Compare) and len(left.ops) == 1 and left.ops[0].op == "eq":
            name, value = _dotted(left.expr), left.ops[0].expr
            if name and isinstance(value, nodes.Const) and isinstance(value.value, str):
                message += f': write {name} in ["{value.value}", "{text.value}"]'
        found.append((text, message))
    return found


def _outside_its_loop(
    tree: nodes.Template, included: set[str], declared: set[str]
) -> list[tuple[nodes.Node, str, str]]:
    """Names only a ``{% for %}`` sets, used outside the loops that set them: Jinja keeps a
    loop's item inside its loop, so ``{{ intent.answer }}`` after ``{% endfor %}`` fails at
    render time ("'intent' is undefined"), on every turn. (An included template may use the
    item of a loop it is included in: ``included``.)"""
    loops = list(tree.find_all(nodes.For))
    set_by_loop = {id(name): loop for loop in loops for name in _stored(loop.target)}
    set_otherwise = {
        node.name
        for node in tree.find_all(nodes.Name)
        if node.ctx in ("store", "param") and id(node) not in set_by_loop
    } | declared
    loop_line = {
        name.name: loop.lineno for loop in reversed(loops) for name in _stored(loop.target)
    }
    only_in_loops = set(loop_line) - set_otherwise - included - set(TEMPLATE_VARIABLES)
    found: list[tuple[nodes.Node, str, str]] = []

    def walk(node: nodes.Node, inside: frozenset[str]) -> None:
        if isinstance(node, nodes.For):
            walk(node.iter, inside)
            sets = inside | {name.name for name in _stored(node.target)}
            for child in [*node.body, *([node.test] if node.test else [])]:
                walk(child, sets)
            for child in node.else_:  # runs when there was nothing to loop over
                walk(child, inside)
            return
        if isinstance(node, nodes.Name) and node.name in only_in_loops - inside:
            message = (
                f"'{node.name}' is set only inside the {{% for %}} on line "
                f"{loop_line[node.name]}: use it inside that loop"
            )
            found.append((node, node.name, message))
        for child in node.iter_child_nodes():
            walk(child, inside)

    if only_in_loops:
        walk(tree, frozenset())
    return found


def _last_column(source: SourceFile, line: int, name: str) -> int | None:
    """The column of the last use of ``name`` as a word on ``line``."""
    found = list(re.finditer(rf"(?<![\w.]){re.escape(name)}\b", source.lines[line - 1]))
    return found[-1].start() + 1 if found else None


def _stored(target: nodes.Node) -> list[nodes.Name]:
    """The names a loop's target sets: ``intent``, or ``key, value``."""
    return [*target.find_all(nodes.Name), *([target] if isinstance(target, nodes.Name) else [])]


def _joined(test: nodes.Node) -> list[nodes.Node]:
    """A condition and the parts ``and``, ``or`` and ``not`` join in it: not what is inside a
    comparison, a filter or a call, where ``(customer.tier or "standard") == "gold"`` is a
    default, and no condition."""
    if isinstance(test, nodes.And | nodes.Or):
        return [test, *_joined(test.left), *_joined(test.right)]
    if isinstance(test, nodes.Not):
        return [test, *_joined(test.node)]
    return [test]


def _dotted(node: nodes.Node) -> str:
    """``language`` or ``customer.tier`` as written; "" for other expressions."""
    if isinstance(node, nodes.Name):
        return str(node.name)
    if isinstance(node, nodes.Getattr) and (parent := _dotted(node.node)):
        return f"{parent}.{node.attr}"
    return ""


def _declared(tree: nodes.Template) -> set[str]:
    """Names a template defines other than by assignment: macros, imports, and the ones
    Jinja itself provides (``loop`` in a for, ``caller`` in a macro, ``self``, ...)."""
    names = set(_JINJA_NAMES)
    for node in tree.find_all((nodes.Macro, nodes.Import, nodes.FromImport)):
        if isinstance(node, nodes.Macro):
            names.add(node.name)
        elif isinstance(node, nodes.Import):
            names.add(node.target)
        elif isinstance(node, nodes.FromImport):  # names, or (name, alias) pairs
            names |= {name if isinstance(name, str) else name[1] for name in node.names}
    return names


def _attribute_problems(tree: nodes.Template, source: SourceFile) -> list[Problem]:
    """Private attributes (the sandbox refuses them) and typos in the attributes we know."""
    loop_items = {
        node.target.name
        for node in tree.find_all(nodes.For)
        if isinstance(node.iter, nodes.Name)
        and node.iter.name == "intents"
        and isinstance(node.target, nodes.Name)
    }
    problems: list[Problem] = []
    private: dict[int, list[str]] = {}
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Filter)):
        assert isinstance(node, nodes.Getattr | nodes.Getitem | nodes.Filter)
        if isinstance(node, nodes.Filter) and node.name != "attr":
            continue
        name = _attribute(node)
        if name.startswith("_"):
            private.setdefault(node.lineno, []).append(name)
            continue
        known = TEMPLATE_ATTRIBUTES.get(_schema_of(node.node, loop_items), ())
        if known and name and name not in known:
            message = f"unknown attribute '{name}' ({suggest(name, list(known))})"
            problems.append(source.problem(message, node.lineno))
    for line, names in private.items():  # one escape attempt: name its first private attribute
        first = min(names, key=source.lines[line - 1].find)
        message = f"'{first}': templates cannot reach private attributes (the sandbox refuses them)"
        problems.append(source.problem(message, line))
    return problems


def _schema_of(node: nodes.Node | None, loop_items: set[str]) -> str:
    """Which entry of TEMPLATE_ATTRIBUTES an expression is, if any: bot, bot.contact, intent."""
    if isinstance(node, nodes.Name):
        return "intent" if node.name in loop_items else node.name
    if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name):
        return f"{node.node.name}.{node.attr}"
    if isinstance(node, nodes.Getitem) and isinstance(node.node, nodes.Name):
        return "intent" if node.node.name == "intents" else ""
    return ""


def _attribute(node: nodes.Node) -> str:
    """The attribute or constant item ``x.attr``, ``x["item"]`` or ``x|attr("name")`` reaches."""
    if isinstance(node, nodes.Getattr):
        return str(node.attr)
    if isinstance(node, nodes.Filter):
        key = node.args[0] if node.args else None
        return key.value if isinstance(key, nodes.Const) and isinstance(key.value, str) else ""
    key = getattr(node, "arg", None)
    return key.value if isinstance(key, nodes.Const) and isinstance(key.value, str) else ""


_USES = (nodes.Include, nodes.Extends, nodes.Import, nodes.FromImport)


def _include_problems(
    tree: nodes.Template, source: SourceFile, templates: Collection[str]
) -> list[Problem]:
    """Uses of templates that are not among ``templates``, the names of those read: only
    those are rendered from (hidden folders and links are not read)."""
    problems = []
    for node in tree.find_all(_USES):
        name = _used_name(node)
        if name is None or name in templates:  # None: a computed name, only rendering can tell
            continue
        if Path(name).is_absolute() or ".." in Path(name).parts:
            message = f"'{name}': templates may include only files in templates/"
        elif (plain := posixpath.normpath(name)) in templates:
            message = f"'{name}': write it '{plain}', its path in templates/"
        elif any(part.startswith(".") for part in Path(name).parts):
            message = f"'{name}': hidden files and folders (names starting with '.') are not read"
        else:
            message = f"template '{name}' does not exist"
        problems.append(source.problem(message, node.lineno))
    return problems


def _used_name(node: nodes.Node) -> str | None:
    """The template an include, import or extends names, if a constant names it."""
    name = getattr(getattr(node, "template", None), "value", None)
    return name if isinstance(name, str) else None


def loop_problems(trees: Mapping[str, tuple[SourceFile, nodes.Template]]) -> list[Problem]:
    """Templates that use themselves on every render, directly or round a loop (``a.j2 ->
    b.j2 -> a.j2``): each render would never end. Reported once a loop, at the use in the
    template that comes first by name. Only uses outside any ``if``, loop or macro count:
    only those surely come round again."""
    uses = {name: _unguarded_uses(tree) for name, (_, tree) in trees.items()}
    problems = []
    for name in sorted(uses):
        for target, node in uses[name]:
            loop = _way(uses, target, name)
            if loop is None or min(loop) < name:
                continue
            if loop == [name]:
                message = f"'{name}' is this template itself: each render would use it again"
            else:
                message = (
                    f"'{target}' uses this template again ({' -> '.join([name, *loop])}): each "
                    "render would go round for ever"
                )
            source = trees[name][0]
            problems.append(_with_column(source.problem(message, node.lineno), source))
    return problems


def _unguarded_uses(tree: nodes.Template) -> list[tuple[str, nodes.Node]]:
    """The templates ``tree`` names in includes, imports and extends outside any ``if``,
    loop or macro, with the tag that names each."""
    guarded = {
        id(node)
        for block in tree.find_all((nodes.If, nodes.For, nodes.Macro, nodes.CallBlock))
        for node in block.find_all(_USES)
    }
    named = ((_used_name(node), node) for node in tree.find_all(_USES) if id(node) not in guarded)
    return [(name, node) for name, node in named if name is not None]


def _way(
    uses: Mapping[str, list[tuple[str, nodes.Node]]], start: str, goal: str
) -> list[str] | None:
    """The shortest way from ``start`` to ``goal`` along ``uses``, both ends included."""
    ways = {start: [start]}
    queue = collections.deque([start])
    while queue:
        name = queue.popleft()
        if name == goal:
            return ways[name]
        for target, _ in uses.get(name, ()):
            if target not in ways:
                ways[target] = [*ways[name], target]
                queue.append(target)
    return None


_STRAY_BRACE = re.compile(r"\}(?<=[}%]\}\})|\{(?=\{[{%])")  # "}}}" or "{{{", "{{%"
_JINJA_NAMES = frozenset({"loop", "caller", "varargs", "kwargs", "self", "super"})
_QUOTED_NAME = re.compile(r"'([^']+)'")


def _with_column(problem: Problem, source: SourceFile) -> Problem:
    """Point at the name a problem is about, so a long template line is shown around it."""
    name = _QUOTED_NAME.search(problem.message)
    if problem.column is not None or problem.line is None or name is None:
        return problem
    column = source.lines[problem.line - 1].find(name.group(1)) + 1
    return source.problem(problem.message, problem.line, column or None)
