"""Operators' Jinja templates: the sandboxed environment, what templates get, and checks.

Owns the contract between ``templates/*.j2`` and the renderer: which templates a bot must
have (:data:`TEMPLATE_NAMES`), which variables every template receives
(:data:`TEMPLATE_VARIABLES`) and their attributes (:data:`TEMPLATE_ATTRIBUTES`), and the
load-time checks that turn a template mistake into a :class:`~servicebot.errors.Problem`
on the template's own line, so that a typo fails ``servicebot check`` rather than a
customer's conversation.
"""

from __future__ import annotations

import collections
import contextvars
import datetime
import math
import numbers
import posixpath
import re
from collections.abc import Collection, Generator, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEnvironment

from .errors import Problem
from .source import SourceFile, operator_files, read_text
from .validation import closest, suggest

TEMPLATE_NAMES = {
    "system.j2": "the system message: the bot's voice, rules and the selected intents' facts",
    "handoff.j2": "the reply when the conversation goes to a person",
    "blocked.j2": "the reply when the pre-filter blocks a customer's message",
    "out_of_scope.j2": "the reply, without a model, when no intent matches",
}

TEMPLATE_VARIABLES = {
    "bot": "settings to quote: bot.name, bot.languages, bot.contact.phone/email/website",
    "language": "the language to reply in, such as 'en' or 'zh'",
    "intents": "the intents selected for this turn, best first: name, answer, score, description",
    "out_of_scope": "true when no intent matched well enough: answer without FAQ facts",
    "flags": "what the pre-filter noticed in the message, such as 'injection' (a list of names)",
    "customer": "metadata the embedding application passes with the turn (a mapping)",
    "script": "'traditional' when the customer writes traditional Chinese, else 'simplified'",
}


TEMPLATE_ATTRIBUTES = {
    "bot": ("name", "languages", "contact"),
    "bot.contact": ("phone", "email", "website"),
    "intent": ("name", "answer", "score", "description"),  # an item of `intents`
}


def create_environment(
    folder: Path, sources: Mapping[str, str] | None = None
) -> SandboxedEnvironment:
    """The one Jinja environment templates render in: sandboxed, strict, reproducible.

    Jinja's immutable sandbox: a template cannot change the lists and mappings it is given
    (``{{ bot.languages.append('fr') }}``), which are the bot's for its whole life and would
    grow with every turn.

    With ``sources`` (file name -> text, as checked at load time) templates and includes
    come from there, under their file names, so that an edit on disk after loading cannot
    bypass the checks, and tracebacks name the template file.
    """
    loader: jinja2.BaseLoader = jinja2.FileSystemLoader(folder)
    if sources is not None:
        loader = jinja2.FunctionLoader(
            lambda name: (sources[name], name, lambda: True) if name in sources else None
        )
    environment = _BoundedSandbox(
        loader=loader,
        undefined=_StrictEvenInLists,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_printable,
    )
    environment.tests["none"] = _is_none
    environment.policies["json.dumps_kwargs"] = {"sort_keys": True, "default": _json_default}
    for name in _UNWANTED_GLOBALS:
        del environment.globals[name]
    for name in _UNWANTED_FILTERS:
        del environment.filters[name]
    return environment


# What one render may do. Jinja's sandbox keeps templates from Python's internals, but not
# from running away: {{ 'x' * 100000000 }} took 80 s and 5 GB in `check`, and loops over
# range(100000) inside each other would take hours, on every turn. No library bounds this.
MAX_RENDER_STEPS = 100_000  # calls (filters are not calls), range() items and loop steps
MAX_RENDER_CHARS = 100_000  # what one render prints, and the longest text or list * makes
_TOO_LONG = f"the template prints over {MAX_RENDER_CHARS:,} characters"
_MAX_POWER_BITS = 1_000  # 10 ** 300 passes; 10 ** 100000000 would compute for minutes


class _BoundedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, bounded in the work a render does: see :func:`render`.

    Meant for an operator's mistake, not a determined author: a macro that doubles a text
    with ``~`` at each level still can exhaust memory. Whoever writes templates already
    decides what the bot says.
    """

    intercepted_binops = frozenset({"*", "**"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.filters[_LOOP_STEPS] = _loop_steps

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        """The template, each ``{% for %}`` counting its steps: a loop over a list or a text
        inside another (``{% for i in l %}{% for j in l %}``) calls nothing while it runs."""
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            loop.iter = nodes.Filter(
                loop.iter, _LOOP_STEPS, [], [], None, None, lineno=loop.iter.lineno
            )
        return tree

    def call(self, context: jinja2.runtime.Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        result = super().call(context, obj, *args, **kwargs)
        _spend(1 + len(result) if isinstance(result, range) else 1)
        return result

    def call_binop(
        self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any
    ) -> Any:
        if operator == "*" and _repeated_size(left, right) > MAX_RENDER_CHARS:
            raise SecurityError(f"'*' would make over {MAX_RENDER_CHARS:,} characters or items")
        if operator == "**" and _power_bits(left, right) > _MAX_POWER_BITS:
            raise SecurityError(f"'**' would make a number of over {_MAX_POWER_BITS:,} bits")
        return super().call_binop(context, operator, left, right)


def _repeated_size(left: object, right: object) -> int:
    """The length of ``left * right`` when it repeats a text or a list, else 0."""
    if isinstance(right, str | list | tuple):
        left, right = right, left
    if isinstance(left, str | list | tuple) and isinstance(right, int):
        return len(left) * right
    return 0


def _power_bits(base: object, exponent: object) -> int:
    """How many bits the integer ``base ** exponent`` takes, to within one as floats go (0
    for other numbers): 2 ** 600 takes 601."""
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and abs(base) > 1:
        if exponent > _MAX_POWER_BITS:  # at least a bit each, and maybe too large for a float
            return exponent
        return math.floor(exponent * math.log2(abs(base))) + 1
    return 0


# What is left of the current render's MAX_RENDER_STEPS (None: no render of ours is running).
_STEPS_LEFT: contextvars.ContextVar[int | None] = contextvars.ContextVar("steps", default=None)


def _spend(steps: int) -> None:
    left = _STEPS_LEFT.get()
    if left is not None:
        _STEPS_LEFT.set(left - steps)
        if left < steps:
            raise SecurityError(
                f"the template does too much: over {MAX_RENDER_STEPS:,} calls and loop steps "
                "in one render (a loop inside another?)"
            )


_LOOP_STEPS = "_loop_steps"  # the filter every loop's items pass through


def _loop_steps(items: Iterable[Any]) -> Iterator[Any]:
    """``items``, one step each."""
    for item in items:
        _spend(1)
        yield item


def render(template: jinja2.Template, variables: Mapping[str, Any]) -> str:
    """``template`` rendered with ``variables``, within :data:`MAX_RENDER_STEPS` calls and
    loop steps and :data:`MAX_RENDER_CHARS` characters of output (a SecurityError past them)."""
    token = _STEPS_LEFT.set(MAX_RENDER_STEPS)
    try:
        parts, size = [], 0
        printing = template.generate(variables)
        for part in printing:
            size += len(part)
            if size > MAX_RENDER_CHARS:
                # Thrown in where the template printed, so that the error has its line.
                error = SecurityError(_TOO_LONG)
                if isinstance(printing, Generator):  # Jinja's is; it is typed as an Iterator
                    printing.throw(error)
                raise error
            parts.append(part)
        return "".join(parts)
    finally:
        _STEPS_LEFT.reset(token)


class _StrictEvenInLists(jinja2.StrictUndefined):
    """StrictUndefined that fails when printed inside a list too: ``{{ intents|map(attribute=
    '__class__')|list }}`` printed ``[Undefined]``, as a list prints its items' repr."""

    __repr__ = jinja2.StrictUndefined._fail_with_undefined_error

    @property
    def _undefined_message(self) -> str:
        """Jinja's message, naming the attribute a typo most likely meant: ``{{ i.answr }}``
        on an intent passed to a macro, ``{{ loop.idx }}``. Only rendering finds these."""
        message = super()._undefined_message
        name, owner = self._undefined_name, self._undefined_obj
        if self._undefined_hint or not isinstance(name, str) or owner is jinja2.utils.missing:
            return message
        if isinstance(owner, Mapping):
            known = [key for key in owner if isinstance(key, str)]
        else:
            known = [key for key in dir(type(owner)) if not key.startswith("_")]
        meant = closest(name, known)
        return f"{message} (did you mean '{meant}'?)" if meant and meant != name else message


class Unset(jinja2.Undefined):
    """A value left unset, such as ``bot.contact.phone`` with no phone in ``servicebot.yaml``.

    Templates get this for None: it is false in ``{% if %}``, ``none`` and not ``defined``
    in their tests, and ``|default`` replaces it; anything that would print it fails, with
    ``hint`` naming it. As None, it printed "None" wherever a template made text of it
    without ``{{ }}``: ``"call " ~ phone``, ``phone|string``, ``|join``, ``|format``. A
    customer detail of None is this, and reads as an empty list (``{% for o in
    customer.orders %}``), as it did.
    """

    __str__ = __repr__ = __format__ = jinja2.Undefined._fail_with_undefined_error


class UnsetSetting(Unset):
    """A setting left unset (``bot.contact.phone``), which is one text when set: not an empty
    list either, which ``phone|urlencode`` and ``phone|length`` printed as nothing and 0."""

    __iter__ = __len__ = jinja2.Undefined._fail_with_undefined_error


def _is_none(value: object) -> bool:
    """Jinja's ``none`` test, true for an :class:`Unset` value too."""
    return value is None or isinstance(value, Unset)


def _json_default(value: object) -> None:
    """``|tojson`` writes an :class:`Unset` value as null, as it wrote None."""
    if not isinstance(value, Unset):
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# Jinja's own helpers no bot needs: {{ lipsum }} would print a function to a customer.
_UNWANTED_GLOBALS = ("lipsum", "cycler", "joiner")
# Filters refused, and why: rendering must be deterministic, as recorded replies and the
# answer cache find a request by its exact messages.
_UNWANTED_FILTERS = {
    "random": "it picks differently each time, so the same turn's prompt would differ "
    "from one render to the next (recorded replies and the answer cache need them equal)"
}
_DATA = (str, numbers.Number, type(None), datetime.date, datetime.time)
# An undefined value passes: printing it raises StrictUndefined's own error.
_PRINTABLE = (*_DATA, jinja2.Undefined)


def _printable(value: object) -> object:
    """What ``{{ ... }}`` may print: text, numbers, dates and the variables' lists and
    mappings of them. A function, a method or a template object would print Python's
    description of it (``<built-in method join of str object at 0x7f...>``) to a customer,
    alone or inside a list; so would None print "None". A text too long to print fails here,
    at its own line: :func:`render` finds it only where Jinja yields the line's output, which
    it joins with the lines before it."""
    if value is None:
        raise TypeError("{{ }} would print None: print it inside {% if ... %}")
    if isinstance(value, str) and len(value) > MAX_RENDER_CHARS:
        raise SecurityError(_TOO_LONG)
    _check_printable(value)
    return value


def _check_printable(value: object) -> None:
    if isinstance(value, list | tuple):
        for item in value:
            _check_printable(item)
    elif isinstance(value, dict):
        for item in (*value, *value.values()):
            _check_printable(item)
    elif not isinstance(value, _PRINTABLE):
        raise TypeError(
            f"{{{{ }}}} prints text, numbers and variables, not a {type(value).__name__}"
        )


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
        *(_assigned(tree) for _, tree in parsed if isinstance(tree, nodes.Template))
    )
    trees, read_names = {}, {_name(source, folder) for source in read}
    for source, tree in parsed:
        if isinstance(tree, Problem):
            problems.append(tree)
            continue
        trees[_name(source, folder)] = source, tree
        partial = _name(source, folder) not in TEMPLATE_NAMES
        included = shared if partial else set()
        problems += _check_template(environment, tree, source, read_names, included)
    problems += _loop_problems(trees)
    return {_name(source, folder): source.text for source in read}


def _name(source: SourceFile, folder: Path) -> str:
    """A template's name, as an include gives it: its path in ``folder`` (``parts/faq.j2``)."""
    return source.path.relative_to(folder).as_posix()


def _parsed(environment: SandboxedEnvironment, source: SourceFile) -> nodes.Template | Problem:
    """The template's syntax tree, or the problem that keeps it from being read."""
    if wide := _WIDE_DELIMITER.search(source.text):  # Jinja reads it as text, or fails later
        line, column = source.position(wide.start())
        message = (
            f"'{wide[0]}': a full-width brace or percent sign neither opens nor closes a "
            "template tag (the customer would read it as written): type {{ }} or {% %} plainly"
        )
        return source.problem(message, line + 1, column + 1)
    try:
        return environment.parse(source.text, name=source.path.name)
    except jinja2.TemplateSyntaxError as exc:
        return _syntax_problem(environment, source, exc)
    except RecursionError:
        return source.problem("template is nested too deeply to read")


# "｛｛ bot.name ｝｝", "｛% if %｝": a Chinese IME's braces and percent signs around a tag.
_WIDE_DELIMITER = re.compile("｛[｛{％%]|{[｛％]|[％%｝]｝|％}")


def _assigned(tree: nodes.Template) -> set[str]:
    """Names a template assigns anywhere: ``{% set %}``, loop targets, macro parameters."""
    try:
        return {node.name for node in tree.find_all(nodes.Name) if node.ctx in ("store", "param")}
    except RecursionError:  # nested too deeply: _check_template reports it
        return set()


def _check_template(
    environment: SandboxedEnvironment,
    tree: nodes.Template,
    source: SourceFile,
    templates: Collection[str],
    included: set[str],
) -> list[Problem]:
    """``templates``: the names of the templates read, which this one may include;
    ``included``: names an including template may set, which this one may use."""
    try:
        problems = _tree_problems(environment, tree, source, templates, included)
        if not problems:
            environment.compile(tree, name=source.path.name)
    except jinja2.TemplateSyntaxError as exc:
        return [_syntax_problem(environment, source, exc)]
    except RecursionError:
        return [source.problem("template is nested too deeply to read")]
    except SyntaxError:  # Python's own limits on the code Jinja makes: about 20 nested loops
        return [source.problem("template is nested too deeply to run")]
    return _first_per_line(problems)


def _syntax_problem(
    environment: SandboxedEnvironment, source: SourceFile, exc: jinja2.TemplateSyntaxError
) -> Problem:
    """Jinja's syntax error, placed where the operator has to look."""
    text = str(exc.message)
    if text.startswith("Unexpected end of template") and (
        opened := _unclosed_block(environment, source.text)
    ):  # Jinja points at the last line; the mistake is where the block begins
        tag, line = opened
        message = f"template syntax error: this '{{% {tag} %}}' is never closed (no end{tag})"
        return source.problem(message, line)
    if opened := _unclosed_tag(environment, source.text, exc.lineno):
        tag, line = opened
        closing = "}}" if tag == "{{" else "%}"
        return source.problem(
            f"template syntax error: this '{tag}' is never closed (no {closing})", line
        )
    unexpected = _UNEXPECTED_CHAR.fullmatch(text)  # "... at <offset>"
    message = f"template syntax error: {text}"
    if unexpected:
        message = f"template syntax error: unexpected character {unexpected[1]}"
    if any(char in text for char in "｛｝％"):
        message += " (a full-width brace or percent sign: type { } % plainly)"
    elif any(char in text for char in "“”‘’"):
        message += " (a curly quotation mark: type a plain \" or ')"
    elif unexpected:
        message += " inside {{ }} or {% %} (is a closing }} or %} missing before it?)"
    if not unexpected:
        return source.problem(message, exc.lineno)
    before = _LINE_BREAK.sub("\n", source.text)[: int(unexpected[2])]  # Jinja's offset is
    column = len(before) - before.rfind("\n")  # into the text with every break made "\n"
    return source.problem(message, before.count("\n") + 1, column)


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


def _filter_problem(environment: SandboxedEnvironment, name: str) -> str:
    """Why filter ``name`` cannot be used: refused, or unknown (then the filters an operator
    may use, not the one the sandbox puts in every loop)."""
    if name in _UNWANTED_FILTERS:
        return f"filter '{name}' is not allowed: {_UNWANTED_FILTERS[name]}"
    allowed = sorted(filter_ for filter_ in environment.filters if filter_ != _LOOP_STEPS)
    return f"unknown filter '{name}' ({suggest(name, allowed)})"


def _meant(name: str, assigned: set[str]) -> str:
    """What an unknown variable was likely meant to be: a template variable, or a name the
    template sets (a loop's item); else the template variables."""
    close = closest(name, [*TEMPLATE_VARIABLES, *sorted(assigned)])
    return f"did you mean '{close}'?" if close else suggest(name, list(TEMPLATE_VARIABLES))


def _tree_problems(
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
    assigned = _assigned(tree)
    known = set(TEMPLATE_VARIABLES) | set(environment.globals) | assigned | _declared(tree)
    known |= included
    problems = [
        at(node, f"unknown variable '{node.name}' ({_meant(node.name, assigned)})")
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
        if node.name not in assigned | included
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


def _loop_problems(trees: Mapping[str, tuple[SourceFile, nodes.Template]]) -> list[Problem]:
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
_BLOCK_TAGS = frozenset({"if", "for", "macro", "call", "filter", "block", "with", "autoescape"})
_JINJA_NAMES = frozenset({"loop", "caller", "varargs", "kwargs", "self", "super"})
_QUOTED_NAME = re.compile(r"'([^']+)'")
_UNEXPECTED_CHAR = re.compile(r"unexpected char (.+) at (\d+)")  # Jinja's lexer, by offset
_LINE_BREAK = re.compile(r"\r\n|\r")  # Jinja reads these as "\n"


def _with_column(problem: Problem, source: SourceFile) -> Problem:
    """Point at the name a problem is about, so a long template line is shown around it."""
    name = _QUOTED_NAME.search(problem.message)
    if problem.column is not None or problem.line is None or name is None:
        return problem
    column = source.lines[problem.line - 1].find(name.group(1)) + 1
    return source.problem(problem.message, problem.line, column or None)


def _first_per_line(problems: list[Problem]) -> list[Problem]:
    """One problem per line and message: a variable used twice on a line is one mistake."""
    seen: set[tuple[int | None, str]] = set()
    unique = []
    for problem in problems:
        if (problem.line, problem.message) not in seen:
            seen.add((problem.line, problem.message))
            unique.append(problem)
    return unique
