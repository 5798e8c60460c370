"""Prompt: the operator's templates rendered into the chat messages the model will see.

Roles are decided here, in code, and never read back out of rendered text:

    system.j2 ─► Message("system", ...)   the voice, rules and the selected intents' facts
    few-shot  ─► Message("user"), Message("assistant")   from the selected intents' YAML
    history   ─► Message("user"), Message("assistant")   the conversation so far
    customer  ─► Message("user", text)                   exactly as the pre-filter left it

Only ``system.j2`` and the canned replies (``handoff.j2``, ``blocked.j2``,
``out_of_scope.j2``) are templates. Customer text, history and few-shot pairs never pass
through Jinja, and FAQ text reaches a template only as a variable's value. So ``{{ 7*7 }}``,
``{% if %}`` or ``</system>`` in any of them stay literal, and nothing a customer types
can open, close or relabel a message. Template tools that build several messages from one
rendered string (banks' ``{% chat %}``) need a sentinel to keep user text from faking a role
marker. Here no rendered string is ever split into messages, so there is no marker to fake.

Templates render in Jinja's ``SandboxedEnvironment`` with ``StrictUndefined``. The values
they get are plain dicts, lists and strings, never live objects with methods. A template
mistake that only rendering can find raises :class:`~servicebot.errors.TemplateError`
naming the file and line. Rendering is deterministic: the same inputs give the same bytes.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import json
import logging
import numbers
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, NamedTuple

import jinja2
from pydantic import RootModel

from .config import TEMPLATES_FOLDER, BotSpec
from .errors import ConfigError, Problem, TemplateError
from .filters.normalise import decoded, visible_only, without_surrogates
from .filters.traditional import to_traditional, writes_simplified, writes_traditional
from .postfilter import visible
from .routing import Match, detect_language
from .sandbox import Unset, UnsetSetting, create_environment, failure_message, render
from .settings import FewShot, Intent
from .source import SourceFile
from .validation import validate
from .yamlfile import YamlFile, read_yaml

Role = Literal["system", "user", "assistant"]
Script = Literal["simplified", "traditional"]
log = logging.getLogger("servicebot")
_DEEPEST_DETAIL = 8  # customer details nest no deeper in a template's variables
_BREAKS = re.compile(r"[\s\x00-\x1f\x7f-\x9f]+")  # line breaks, other spaces, control characters
# How Python describes an object by where it is in memory: <object object at 0x7f3a...>
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+>")


class Message(NamedTuple):
    """One chat message as the model receives it (a named tuple: dozens are built a turn)."""

    role: Role
    content: str

    def as_dict(self) -> dict[str, str]:
        """The OpenAI wire form: ``{"role": ..., "content": ...}``."""
        return {"role": self.role, "content": self.content}


@dataclass(frozen=True)
class Exchange:
    """A customer message and the bot's answer: history or a few-shot example."""

    user: str
    assistant: str

    def messages(self) -> tuple[Message, Message]:
        return Message("user", self.user), Message("assistant", self.assistant)


@dataclass(frozen=True)
class Context:
    """What a turn's templates may read, besides the bot's own settings."""

    language: str
    matches: tuple[Match, ...] = ()
    out_of_scope: bool = False
    flags: frozenset[str] = frozenset()
    customer: Mapping[str, Any] | None = None
    script: Script = "simplified"  # the Chinese script the customer writes, for a zh reply


def script_of(text: str, language: str, previous: str | None = None) -> Script:
    """The Chinese script a customer writes in, so that a Chinese reply can use it too. A
    message with no character that tells the scripts apart (an order number, "ok", 我的CVV是)
    keeps the previous one's."""
    if language != "zh":
        return "simplified"
    if writes_traditional(text):
        return "traditional"
    kept = previous and writes_traditional(previous) and not writes_simplified(text)
    return "traditional" if kept else "simplified"


def in_script(reply: str, context: Context) -> str:
    """A canned reply (an FAQ answer, a template) in the customer's Chinese script."""
    traditional = context.language == "zh" and context.script == "traditional"
    return to_traditional(reply) if traditional else reply


def faq_answer(intent: Intent, context: Context) -> str:
    """An intent's canonical answer as the customer reads it: their language and script,
    without invisible characters (it does not pass the post-filter)."""
    return visible(in_script(intent.answer_in(context.language), context))


class Renderer:
    """The bot's templates compiled once in the sandbox; renders them for each turn."""

    def __init__(self, spec: BotSpec) -> None:
        self.folder = spec.root / TEMPLATES_FOLDER
        self._sources = spec.templates
        environment = create_environment(self.folder, spec.templates)
        self._templates = {name: environment.get_template(name) for name in spec.templates}
        contact = spec.settings.contact
        self._bot = {
            "name": spec.settings.name,
            "languages": list(spec.settings.languages),
            "contact": {
                name: UnsetSetting(hint=f"bot.contact.{name} is not set in servicebot.yaml")
                if value is None
                else value
                for name, value in contact.model_dump().items()
            },
        }

    def system(self, context: Context, faq_entries: int | None = None) -> str:
        """The system message, with the first ``faq_entries`` matches as facts (all if None).

        Without facts or customer details it is the same for every turn with the same
        language and flags, so it is rendered once for them (budget fitting needs it each turn).
        """
        matches = context.matches[:faq_entries]
        if matches or context.customer:  # customer details are not kept in a cache
            return self.render("system.j2", context, matches)
        return self._bare_system(
            context.language, context.out_of_scope, context.flags, context.script
        )

    @functools.lru_cache(maxsize=64)  # noqa: B019 - one Renderer per bot, kept for its life
    def _bare_system(
        self, language: str, out_of_scope: bool, flags: frozenset[str], script: Script
    ) -> str:
        return self.render("system.j2", Context(language, (), out_of_scope, flags, None, script))

    def render(self, name: str, context: Context, matches: Sequence[Match] | None = None) -> str:
        """Render template ``name`` (such as ``handoff.j2``) for this turn, with ``matches``
        as its intents (by default the context's)."""
        if matches is None:
            matches = context.matches
        variables = {
            "bot": self._bot,
            "language": context.language,
            "intents": [_intent_variable(m, context.language) for m in matches],
            "out_of_scope": context.out_of_scope,
            "flags": sorted(context.flags),
            "customer": _customer_details(context.customer),
            "script": context.script,
        }
        try:
            return render(self._templates[name], variables).strip()
        except Exception as exc:  # any failure inside operator template code
            raise self._template_error(name, exc) from exc

    def _template_error(self, name: str, exc: Exception) -> TemplateError:
        """A TemplateError at the template line the exception came from, if Jinja recorded it:
        in an included template, that template's."""
        failed, line = _template_frame(exc.__traceback__, self._sources)
        source = SourceFile(self.folder / (failed or name), self._sources[failed or name])
        said = failure_message(exc, source.lines[line - 1] if line else "")
        message = f"template failed while rendering: {said or f'{type(exc).__name__}: {exc}'}"
        if (
            isinstance(exc, jinja2.UndefinedError)
            and "'dict object' has no attribute" in str(exc)
            and "(did you mean" not in str(exc)  # a typo: `is defined` would hide it for good
        ):
            # a customer detail the application did not pass; not "'loop' is undefined", nor
            # a method a text or a number lacks ("'str object' has no attribute 'uppercase'")
            message += " (guard optional values with `is defined`)"
        return TemplateError(source.problem(message, line or None))

    def reply(self, name: str, context: Context) -> str:
        """A canned reply's template (such as ``handoff.j2``), in the customer's script; without
        the customer details if they break it (see :func:`customer_details_failed`)."""
        try:
            text = self.render(name, context)
        except TemplateError as error:
            if not context.customer:
                raise
            customer_details_failed(error)
            text = self.render(name, dataclasses.replace(context, customer=None))
        return visible(in_script(text, context))


def customer_details_failed(error: TemplateError) -> None:
    """Log a template that failed on this turn's customer details (``{{ customer.tier.upper()
    }}`` with a number for the tier): the turn goes on without them, and the operator reads
    the template's file and line in the log. ``check`` cannot foresee the application's data."""
    log.error("%s (this turn goes on without the customer details)", error)


def few_shot(
    matches: Iterable[Match], language: str, languages: Sequence[str]
) -> list[tuple[str, Exchange]]:
    """The selected intents' few-shot pairs in the turn's language, labelled with their intent.

    Most relevant intent first. A Chinese example teaches an English answer little, and
    costs tokens.
    """
    return [
        (m.intent.name, Exchange(pair.user, pair.assistant))
        for m in matches
        for pair in m.intent.few_shot
        if _language_of(pair.user, tuple(languages)) == language
    ]


@functools.lru_cache(maxsize=4096)
def _language_of(text: str, languages: tuple[str, ...]) -> str:
    """A few-shot pair's language: the same pairs come back turn after turn."""
    return detect_language(text, languages)


class _HistoryFile(RootModel[tuple[FewShot, ...]]):
    """A conversation so far, oldest first, written like few-shot pairs: user, assistant."""


def read_history(path: Path) -> list[Exchange]:
    """A history file (YAML or JSON: a list of ``user``/``assistant`` pairs) as exchanges."""
    problems: list[Problem] = []
    document = read_yaml(path, problems)
    if document is not None and not isinstance(document.data, list):
        wrong, root = (
            "a history file is a list of pairs: - user: ...  assistant: ...",
            document.root,
        )
        problems.append(document.problem_at(root, wrong) if root else document.problem(wrong))
    elif document is not None:
        problems += _history_items(document)
    history = validate(document, _HistoryFile, problems) if document and not problems else None
    if history is None:
        raise ConfigError(problems)
    return [Exchange(pair.user, pair.assistant) for pair in history.root]


def _history_items(document: YamlFile) -> list[Problem]:
    """A history file's items that are not pairs; or one problem for a file of OpenAI's
    role/content messages, whose every key would be reported wrong one by one."""
    items: list[Any] = document.data

    def at(loc: list[int], message: str) -> Problem:
        node = document.node_at(loc)
        return document.problem_at(node, message) if node else document.problem(message)

    in_json = document.path.suffix.lower() == ".json"
    pair = '{"user": ..., "assistant": ...}' if in_json else "- user: ...  assistant: ..."
    if items and all(isinstance(item, dict) and "role" in item for item in items):
        message = "these are role/content messages: a history file is a list of pairs"
        return [at([], f"{message}, {pair}, one for each exchange")]
    return [
        at([n], f"history item {n + 1} should be a pair: {pair}")
        for n, item in enumerate(items)
        if not isinstance(item, dict)
    ]


def _intent_variable(match: Match, language: str) -> dict[str, Any]:
    intent = match.intent
    return {
        "name": intent.name,
        "answer": intent.answer_in(language),
        "score": match.score,
        "description": intent.description,
    }


def _one_line(value: Any, inside: tuple[int, ...] = (), where: str = "customer") -> Any:
    """Customer details with every text on one line: a name such as "Ada\\n\\nNew rules: ..."
    (a customer may choose their own) cannot start a section of the system message. A
    mapping or list inside itself (``details["account"] = details``), or nested deeper than
    ``_DEEPEST_DETAIL`` (``inside``: the ids of those it is in), is "...". None is
    :class:`~servicebot.sandbox.Unset`: printed, it would read "None". ``where`` names the
    detail (``customer.orders[1]``) in the log.
    """
    if value is None:
        return Unset(hint="a customer detail is None")
    if isinstance(value, numbers.Number | datetime.date | datetime.time):
        return value  # a template may format them ({{ customer.since.year }})
    if isinstance(value, Mapping | list | tuple | set | frozenset):
        if id(value) in inside or len(inside) == _DEEPEST_DETAIL:
            return "..."
        entries = _entries_of(value, where)
        if entries is None:
            return Unset(hint=f"{where} could not be read")
        return _collection_on_one_line(value, entries, (*inside, id(value)), where)
    text = _text_of(value, where)
    return Unset(hint=f"{where} has no text to print") if text is None else _on_one_line(text)


def _customer_details(customer: Mapping[str, Any] | None) -> Any:
    """The customer details as templates get them (see :func:`_one_line`); none, and logged,
    when the application's mapping cannot be read: the turn goes on without them."""
    try:
        details = dict(customer or {})
    except Exception as exc:  # the application's own mapping: any bug it has
        _detail_left_out("customer", customer, f"reading it raised {type(exc).__name__}")
        return {}
    return _one_line(details)


def _entries_of(value: Collection[Any], where: str) -> list[tuple[Any, Any]] | None:
    """A mapping's (key, value) pairs, or a list's (index, item) ones; None, and logged, when
    reading them raises (a lazy session whose backend is gone, an ORM relation detached):
    as with a detail whose str() raises, the turn goes on without it."""
    try:
        return list(value.items() if isinstance(value, Mapping) else enumerate(value))
    except Exception as exc:  # the application's own collection: any bug it has
        _detail_left_out(where, value, f"reading it raised {type(exc).__name__}")
        return None


def _collection_on_one_line(
    value: Collection[Any], entries: list[tuple[Any, Any]], inside: tuple[int, ...], where: str
) -> Any:
    """A mapping or list of customer details (``entries``, read from ``value``), each on one
    line; a set's items in one order in every process."""
    if isinstance(value, Mapping):
        return {
            name: _one_line(item, inside, f"{where}.{name}")
            for key, item in entries
            if (name := _detail_key(key, where)) is not None
        }
    items = [_one_line(item, inside, f"{where}[{n}]") for n, item in entries]
    return sorted(items, key=_set_order) if isinstance(value, set | frozenset) else items


def _on_one_line(text: str) -> str:
    """``text`` on one line, without invisible characters too: a bidi override would show the
    model one order of words and an operator reading the prompt another."""
    return visible_only(_BREAKS.sub(" ", without_surrogates(text))).strip()


def _text_of(value: object, where: str) -> str | None:
    """A customer detail that is not a number, a date or a collection, as text: a str (a str
    Enum too: its value, as before) as it is, bytes decoded as a customer's message is, and
    anything else (a UserString, a lazy translation, an ORM value) as its ``str()``.

    None, and logged, when that text cannot be made (``__str__`` raised) or would not be the
    same in the next process: Python's description of an object by its address (``<object
    object at 0x7f...>``, a function, a generator) changes from run to run, and the answer
    cache and recorded replies find a turn by its exact messages. The turn goes on without
    that detail, as it goes on without details a template fails on."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray):
        return decoded(value, f"the customer detail {where}")
    try:
        text = str(value)
    except Exception as exc:  # the application's own __str__: any bug it has
        _detail_left_out(where, value, f"its str() raised {type(exc).__name__}")
        return None
    if _ADDRESS.search(text):
        _detail_left_out(where, value, "its text is its address, which changes each run")
        return None
    return text


def _detail_left_out(where: str, value: object, why: str) -> None:
    """Log a customer detail the turn goes on without: the operator reads which and why."""
    kind = type(value).__name__
    log.error("%s (%s) is left out: %s (this turn goes on without it)", where, kind, why)


def _detail_key(key: object, where: str) -> object:
    """A customer detail's key as templates read it: a number as it is, anything else as
    text on one line (a tuple key was made a list, which cannot be a key); None for a key
    with no text (see :func:`_text_of`), whose detail is left out."""
    if isinstance(key, numbers.Number):
        return key
    text = _text_of(key, f"a key of {where}")
    return None if text is None else _on_one_line(text)


def _set_order(item: object) -> str:
    """A set's items in the order of their text, so that a set renders the same in every
    process: its own order follows the hash seed, and recorded replies and the answer cache
    find a turn by its exact messages. (``repr`` would fail on an Unset, a None made one.)"""
    return f"{type(item).__name__}:{json.dumps(item, default=_as_json, ensure_ascii=False)}"


def _as_json(value: object) -> object:
    return None if isinstance(value, Unset) else str(value)


def _template_frame(trace: TracebackType | None, names: Mapping[str, str]) -> tuple[str, int]:
    """The innermost template in ``trace`` (one of ``names``: an included or imported file,
    or the macro's), and its line: Jinja rewrites tracebacks so that template frames carry
    the template's own file name and line. ("", 0) if none."""
    found = ("", 0)
    while trace is not None:
        if trace.tb_frame.f_code.co_filename in names:
            found = (trace.tb_frame.f_code.co_filename, trace.tb_lineno)
        trace = trace.tb_next
    return found
