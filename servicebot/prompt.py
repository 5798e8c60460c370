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
The application's customer details reach templates as ``customer.py`` makes them.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, NamedTuple

from pydantic import RootModel

from .config import TEMPLATES_FOLDER, BotSpec
from .customer import customer_details
from .errors import ConfigError, Problem, TemplateError
from .faq import FewShot, Intent
from .filters.traditional import (
    to_simplified,
    to_traditional,
    writes_simplified,
    writes_traditional,
)
from .postfilter import visible
from .renderfailure import failure_message
from .routing import Match, detect_language
from .routing.scripts import writes_kana_or_hangul
from .sandbox import UnsetSetting, create_environment, render
from .settings import Script
from .source import SourceFile
from .validation import validate
from .yamlfile import YamlFile, read_yaml

Role = Literal["system", "user", "assistant"]
log = logging.getLogger("servicebot")


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

    def messages(self) -> tuple[Message, ...]:
        """The pair as messages; without the customer's when there is none (a person's turn
        added with no customer message: see handover.py)."""
        answer = Message("assistant", self.assistant)
        return (Message("user", self.user), answer) if self.user else (answer,)


def with_unanswered(history: Sequence[Exchange], text: str) -> tuple[list[Exchange], str]:
    """The history as a prompt sends it, and the customer's message: each message that got
    no answer (left to a person, or stopped before any text was shown) goes, in order, with
    the next message that got one, or with ``text``. An empty answer would teach the model
    to say nothing, and a message left out was never read by the bot taking it back."""
    if all(exchange.assistant for exchange in history):
        # Every message answered (nearly every turn): the loop below would rebuild each
        # exchange equal to itself (nothing waits to join it) and return ``text`` as it is.
        return list(history), text
    answered: list[Exchange] = []
    waiting: list[str] = []
    for exchange in history:
        if not exchange.assistant:
            waiting.append(exchange.user)
            continue
        answered.append(Exchange(joined(waiting, exchange.user), exchange.assistant))
        waiting = []
    return answered, joined(waiting, text)


def joined(waiting: Sequence[str], said: str) -> str:
    """Messages that waited for an answer, then ``said`` (if anything), as one message."""
    return "\n".join([*waiting, said] if said else waiting)


@dataclass(frozen=True)
class Context:
    """What a turn's templates may read, besides the bot's own settings."""

    language: str
    matches: tuple[Match, ...] = ()
    out_of_scope: bool = False
    flags: frozenset[str] = frozenset()
    customer: Mapping[str, Any] | None = None
    script: Script = "simplified"  # the Chinese script the customer writes, for a zh reply
    # The writing system of a message in none of the bot's languages (``Japanese kana``).
    other_script: str | None = None

    @functools.cached_property
    def details(self) -> Any:
        """The customer details as templates get them, made once for this context: fitting
        the budget renders the system message several times a turn, and each made them
        anew, logging a detail that cannot be read as often (see :mod:`servicebot.customer`)."""
        return customer_details(self.customer)


def script_of(
    text: str, language: str, previous: str | None = None, default: Script = "simplified"
) -> Script:
    """The Chinese script a customer writes in, so that a Chinese reply can use it too. A
    message with no character that tells the scripts apart (an order number, "ok", 7-11,
    信用卡可以分期) keeps the previous one's, or, if that one did not tell either, is
    ``default`` (the bot's ``chinese_script``: a shop in Taiwan answers 真人 in traditional).
    Japanese and Korean are never traditional Chinese, though Japanese writes 状況 where
    Chinese writes 状况: a bot that speaks Chinese alone answers them in simplified characters."""
    if language != "zh":
        return "simplified"
    return _told(text) or (_told(previous) if previous else None) or default


def _told(text: str) -> Script | None:
    """The script ``text`` is written in, if it has a character that tells them apart."""
    if _writes_traditional(text):
        return "traditional"
    return "simplified" if writes_simplified(text) else None


def _writes_traditional(text: str) -> bool:
    """Whether ``text`` is Chinese in traditional characters (see :func:`script_of`)."""
    return writes_traditional(text) and not writes_kana_or_hangul(text)


def in_script(reply: str, context: Context, written: Script = "simplified") -> str:
    """A canned reply (an FAQ answer, a template) ``written`` in one Chinese script (the bot's
    ``chinese_script``), in the customer's: as written when they are the same."""
    if context.language != "zh" or context.script == written:
        return reply
    return to_traditional(reply) if context.script == "traditional" else to_simplified(reply)


def reply_language(language: str, script: Script) -> str:
    """The language a reply's own words are in, for the post-filter's "[已刪除]" and the
    wording of a placeholder ("您的電子郵件"): ``zh-Hant`` for a customer writing traditional."""
    return "zh-Hant" if language == "zh" and script == "traditional" else language


def faq_answer(intent: Intent, context: Context, written: Script = "simplified") -> str:
    """An intent's canonical answer as the customer reads it: their language and script,
    without invisible characters (it does not pass the post-filter). ``written``: the
    script the bot's answers are in (its ``chinese_script``)."""
    return visible(in_script(intent.answer_in(context.language), context, written))


_NO_OTHER_SCRIPT = UnsetSetting(
    hint="other_script is set only for a message in a writing system none of the bot's"
    " languages uses: guard it with {% if other_script %}"
)


class Renderer:
    """The bot's templates compiled once in the sandbox; renders them for each turn."""

    def __init__(self, spec: BotSpec) -> None:
        self.folder = spec.root / TEMPLATES_FOLDER
        self._sources = spec.templates
        self.written = spec.settings.chinese_script  # the script of the bot's Chinese text
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
            context.language,
            context.out_of_scope,
            context.flags,
            context.script,
            context.other_script,
        )

    @functools.lru_cache(maxsize=64)  # noqa: B019 - one Renderer per bot, kept for its life
    def _bare_system(
        self,
        language: str,
        out_of_scope: bool,
        flags: frozenset[str],
        script: Script,
        other_script: str | None,
    ) -> str:
        context = Context(language, (), out_of_scope, flags, None, script, other_script)
        return self.render("system.j2", context)

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
            "customer": context.details,
            "script": context.script,
            "other_script": context.other_script or _NO_OTHER_SCRIPT,
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
        return visible(in_script(text, context, self.written))


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
