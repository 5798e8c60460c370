"""The one Jinja environment templates render in: sandboxed, strict, reproducible, bounded.

Owns :func:`create_environment` and :func:`render`: Jinja's immutable sandbox, bounded in the
work one render may do (:data:`MAX_RENDER_STEPS`, :data:`MAX_RENDER_CHARS`); undefined values
that fail where they would print (:class:`Unset` for a value left unset); what ``{{ }}`` may
print; and the globals and filters no bot gets, so that rendering is deterministic. A render
failure in the operator's words is :mod:`servicebot.renderfailure`'s.
"""

from __future__ import annotations

import contextvars
import datetime
import math
import numbers
import threading
from collections.abc import Generator, Iterable, Iterator, Mapping
from pathlib import Path
from types import CodeType
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEnvironment

from .renderfailure import no_item, no_key
from .validation import closest


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
        bytecode_cache=_COMPILED,
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
    for name in UNWANTED_FILTERS:
        del environment.filters[name]
    return environment


def compile_checked(
    environment: SandboxedEnvironment, tree: nodes.Template, name: str, text: str
) -> None:
    """Compile ``tree``, parsed from ``text``, as loading template ``name`` from the bot's
    checked sources compiles it, and keep the code: a bot's templates are compiled when they
    are checked (compiling finds mistakes of its own), and the environment that renders them
    loads that code instead of parsing and compiling them again (3 ms a template).

    Code this process compiled already, for this name and text, compiled cleanly: it is
    not compiled again. A process hosting many shops' bots made with ``servicebot init``
    (or reloading one) compiled the same templates anew for each bot, about 5 ms each."""
    bucket = _COMPILED.get_bucket(environment, name, name, text)
    if bucket.code is None:
        bucket.code = environment.compile(tree, name=name, filename=name)
        _COMPILED.set_bucket(bucket)


class _CompiledTemplates(jinja2.BytecodeCache):
    """Code compiled in this process, by template name and text (Jinja's checksum of it):
    never stale, since other text is another entry. Holds the last ``size`` only."""

    def __init__(self, size: int) -> None:
        self._size, self._lock = size, threading.Lock()
        self._codes: dict[tuple[str, str], CodeType] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        bucket.code = self._codes.get((bucket.key, bucket.checksum))

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.code is None:
            return
        with self._lock:
            self._codes.pop((bucket.key, bucket.checksum), None)
            self._codes[bucket.key, bucket.checksum] = bucket.code
            while len(self._codes) > self._size:
                del self._codes[next(iter(self._codes))]


_COMPILED = _CompiledTemplates(size=256)

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
        self.filters[LOOP_STEPS] = _loop_steps

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        """The template, each ``{% for %}`` counting its steps: a loop over a list or a text
        inside another (``{% for i in l %}{% for j in l %}``) calls nothing while it runs."""
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            loop.iter = nodes.Filter(
                loop.iter, LOOP_STEPS, [], [], None, None, lineno=loop.iter.lineno
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


LOOP_STEPS = "_loop_steps"  # the filter every loop's items pass through


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
    '__class__')|list }}`` printed ``[Undefined]``, as a list prints its items' repr; and
    that fails as a whole number too: ``range(customer.orders)`` without that detail said
    "'_StrictEvenInLists' object cannot be interpreted as an integer"."""

    __repr__ = __index__ = jinja2.StrictUndefined._fail_with_undefined_error

    @property
    def _undefined_message(self) -> str:
        """Jinja's message, naming the attribute a typo most likely meant: ``{{ i.answr }}``
        on an intent passed to a macro, ``{{ loop.idx }}``. Only rendering finds these."""
        message = super()._undefined_message
        name, owner = self._undefined_name, self._undefined_obj
        if not self._undefined_hint and isinstance(owner, list | tuple) and isinstance(name, int):
            return no_item(len(owner), name)
        if self._undefined_hint or not isinstance(name, str) or owner is jinja2.utils.missing:
            return message
        if isinstance(owner, Mapping):
            return no_key(name, [key for key in owner if isinstance(key, str)])
        meant = closest(name, [key for key in dir(type(owner)) if not key.startswith("_")])
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

    __str__ = __repr__ = __format__ = __index__ = jinja2.Undefined._fail_with_undefined_error


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
UNWANTED_FILTERS = {
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
