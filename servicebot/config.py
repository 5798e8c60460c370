"""Loading a bot folder into a frozen :class:`BotSpec`, reporting every mistake at once.

A bot folder is ``servicebot.yaml`` (settings, all optional), ``faq/*.yaml`` (intents) and
``templates/*.j2``. :func:`load_bot` reads them all, validates them against
:mod:`servicebot.settings`, checks what no single file can show (duplicate intent names,
one phrasing under two intents, answers missing a language), and raises one
:class:`~servicebot.errors.ConfigError` listing every problem as ``file:line:column``.
``servicebot check`` runs exactly this.
"""

from __future__ import annotations

import contextlib
import difflib
import re
import typing
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .errors import ConfigError, Problem
from .prompt import read_templates
from .settings import ANY_LANGUAGE, FaqFile, Intent, Settings
from .source import YamlFile, read_yaml

SETTINGS_FILE = "servicebot.yaml"
FAQ_FOLDER = "faq"
TEMPLATES_FOLDER = "templates"

_Model = TypeVar("_Model", bound=BaseModel)


@dataclass(frozen=True)
class BotSpec:
    """Everything a bot folder says, validated. Build one with :func:`load_bot`."""

    root: Path
    settings: Settings
    intents: tuple[Intent, ...]
    templates: Mapping[str, str]  # file name -> template source

    @property
    def example_count(self) -> int:
        return sum(len(intent.examples) for intent in self.intents)

    def summary(self) -> str:
        """One line an operator can read: what this bot knows."""
        few_shot = sum(len(intent.few_shot) for intent in self.intents)
        return (
            f"{self.settings.name}: {len(self.intents)} intents, {self.example_count} examples, "
            f"{few_shot} few-shot pairs, {len(self.templates)} templates, "
            f"languages {', '.join(self.settings.languages)}"
        )


@dataclass(frozen=True)
class _Loaded:
    """An intent that passed schema validation, with where it came from."""

    intent: Intent
    document: YamlFile
    index: int

    def problem(self, message: str, *loc: str | int, key: bool = False) -> Problem:
        """A problem at ``loc`` inside this intent (at the key itself if ``key``)."""
        node = self.document.node_at(("intents", self.index, *loc), key=key)
        assert node is not None  # the intent validated, so its node exists
        return self.document.problem_at(node, message)

    @property
    def origin(self) -> str:
        node = self.document.node_at(("intents", self.index))
        line = node.start_mark.line + 1 if node is not None else 0
        return f"{self.document.path}:{line}"


def load_bot(path: str | Path) -> BotSpec:
    """Read and validate the bot folder at ``path``.

    Raises:
        ConfigError: listing every mistake in every file, each with file, line and column.
    """
    root = Path(path)
    if not (root / SETTINGS_FILE).is_file() and not (root / FAQ_FOLDER).is_dir():
        raise ConfigError.at(
            root, "not a bot folder: no servicebot.yaml or faq/ here (`servicebot init` makes one)"
        )
    problems: list[Problem] = []
    settings = _load_settings(root / SETTINGS_FILE, problems)
    loaded = _load_faq(root / FAQ_FOLDER, problems)
    templates = read_templates(root / TEMPLATES_FOLDER, problems)
    _check_intents(loaded, settings.languages if settings else None, problems)
    if problems or settings is None:
        raise ConfigError(sorted(problems, key=_reading_order))
    return BotSpec(
        root=root,
        settings=settings,
        intents=tuple(item.intent for item in loaded),
        templates=MappingProxyType(templates),
    )


def _reading_order(problem: Problem) -> tuple[int, str, int, int]:
    """Settings first, then FAQ files, then templates; by line within a file."""
    folder_rank = {FAQ_FOLDER: 1, TEMPLATES_FOLDER: 2}.get(problem.path.parent.name, 0)
    return (folder_rank, str(problem.path), problem.line or 0, problem.column or 0)


def _load_settings(path: Path, problems: list[Problem]) -> Settings | None:
    if not path.exists():
        return Settings()
    document = read_yaml(path, problems)
    if document is None:
        return None
    return _validate(document, Settings, problems)


def _load_faq(folder: Path, problems: list[Problem]) -> list[_Loaded]:
    files = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
    if not files:
        problems.append(Problem(folder, "no intents: add at least one faq/*.yaml file"))
    loaded: list[_Loaded] = []
    for path in files:
        document = read_yaml(path, problems)
        if document is not None:
            loaded += [
                _Loaded(intent, document, i) for i, intent in _faq_intents(document, problems)
            ]
    return loaded


def _faq_intents(document: YamlFile, problems: list[Problem]) -> list[tuple[int, Intent]]:
    """The file's valid intents, by position; a broken intent does not hide its neighbours."""
    if document.data is None:
        problems.append(document.problem("empty file: a FAQ file starts with 'intents:'", 1, 1))
        return []
    faq = _validate(document, FaqFile, problems)
    if faq is not None:
        return list(enumerate(faq.intents))
    items = document.data.get("intents") if isinstance(document.data, dict) else None
    valid = []
    for i, item in enumerate(items if isinstance(items, list) else []):
        with contextlib.suppress(ValidationError):  # already reported for the whole file
            valid.append((i, Intent.model_validate(item)))
    return valid


def _validate(document: YamlFile, model: type[_Model], problems: list[Problem]) -> _Model | None:
    data = {} if document.data is None and model is Settings else document.data
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        found = []
        for error in _root_causes(exc.errors(), model):
            message, at_key = _describe(error, model)
            node = document.node_at(error["loc"], key=at_key)
            found.append(document.problem_at(node, message) if node else document.problem(message))
        problems += sorted(found, key=lambda problem: (problem.line or 0, problem.column or 0))
        return None


def _root_causes(errors: list[Any], model: type[BaseModel]) -> list[Any]:
    """Drop errors that only echo another: a list 'too short' because its items failed, and a
    'missing' key that an unknown key right beside it was surely meant to be."""
    failed_parents = {error["loc"][:i] for error in errors for i in range(len(error["loc"]))}
    misspelt = {
        (*error["loc"][:-1], close)
        for error in errors
        if error["type"] == "extra_forbidden"
        for close in difflib.get_close_matches(
            str(error["loc"][-1]), _fields_at(model, error["loc"][:-1]), n=1, cutoff=0.6
        )
    }
    return [
        error
        for error in errors
        if not (error["type"] == "too_short" and error["loc"] in failed_parents)
        and not (error["type"] == "missing" and error["loc"] in misspelt)
    ]


# --- turning pydantic's errors into sentences for operators ------------------------------

_EXPECTED = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "tuple_type": "a list",
    "list_type": "a list",
    "dict_type": "a mapping of keys to values",
    "model_type": "a mapping of keys to values",
    "model_attributes_type": "a mapping of keys to values",
}
_BOUNDS = {
    "greater_than": "more than",
    "greater_than_equal": "at least",
    "less_than": "less than",
    "less_than_equal": "at most",
}
_EXPECTED_FOR_FIELD = {"answer": "text, or a mapping from language to text ({en: ..., zh: ...})"}


def _describe(error: Any, model: type[BaseModel]) -> tuple[str, bool]:
    """An operator-facing message for one pydantic error, and whether it is about the key."""
    loc, kind, ctx = error["loc"], error["type"], error.get("ctx", {})
    name = _field_name(loc)
    if not loc and kind in _EXPECTED:
        return f"this file should be a mapping of keys, not {_kind_of(error['input'])}", False
    if kind == "extra_forbidden":
        allowed = _fields_at(model, loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else f"allowed: {', '.join(allowed)}"
        return f"unknown key '{loc[-1]}' ({hint})", True
    if kind == "missing":
        return f"missing required key '{loc[-1]}'", False
    if kind in _EXPECTED:
        expected = _EXPECTED_FOR_FIELD.get(str(loc[-1]), _EXPECTED[kind])
        return f"{name} should be {expected}, not {_kind_of(error['input'])}", False
    if kind == "value_error":
        return f"{name} {ctx['error']}", False
    if kind == "too_short":
        count = ctx["min_length"]
        return f"{name} needs at least {count} item{'s' if count > 1 else ''}", False
    if kind in _BOUNDS:
        return f"{name} should be {_BOUNDS[kind]} {next(iter(ctx.values()))}", False
    if kind == "string_pattern_mismatch" and name == "name":
        return (
            "intent names use letters, digits, '_', '-' and '.', starting with a letter or digit",
            False,
        )
    return f"{name}: {error['msg'][0].lower()}{error['msg'][1:]}", False


def _field_name(loc: tuple[str | int, ...]) -> str:
    names = [part for part in loc if isinstance(part, str)]
    field = names[-1] if names else "item"
    return f"'{field}' item {loc[-1] + 1}" if loc and isinstance(loc[-1], int) else f"'{field}'"


def _kind_of(value: Any) -> str:
    if value is None:
        return "empty"
    kinds = {dict: "a mapping", list: "a list", str: "text", bool: "true/false", int: "a number"}
    return kinds.get(type(value), "a number" if isinstance(value, float) else type(value).__name__)


def _fields_at(model: type[BaseModel], loc: tuple[str | int, ...]) -> list[str]:
    """The keys allowed at ``loc`` inside ``model``, for did-you-mean suggestions."""
    current: type[BaseModel] | None = model
    for part in loc:
        if current is None:
            return []
        if isinstance(part, str):
            field = current.model_fields.get(part)
            current = _model_in(field.annotation) if field else None
    return list(current.model_fields) if current else []


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


# --- what no single file can show ---------------------------------------------------------


def _check_intents(
    loaded: list[_Loaded], languages: tuple[str, ...] | None, problems: list[Problem]
) -> None:
    """Checks across intents and files; answer languages only once the settings are valid."""
    names: dict[str, _Loaded] = {}
    examples: dict[str, tuple[_Loaded, int]] = {}
    for item in loaded:
        intent = item.intent
        if intent.name in names:
            first = names[intent.name].origin
            problems.append(
                item.problem(f"intent '{intent.name}' is already defined at {first}", "name")
            )
        names.setdefault(intent.name, item)
        if intent.direct and intent.handoff:
            problems.append(
                item.problem("an intent cannot be both 'direct' and 'handoff'", "handoff")
            )
        if languages is not None:
            problems += _answer_languages(item, languages)
        problems += _repeated_examples(item, examples)


def _answer_languages(item: _Loaded, languages: tuple[str, ...]) -> list[Problem]:
    given = set(item.intent.answer)
    if ANY_LANGUAGE in given:
        return []
    problems = [
        item.problem(
            f"language '{code}' is not one of this bot's languages ({', '.join(languages)})",
            *("answer", code),
            key=True,
        )
        for code in sorted(given - set(languages))
    ]
    missing = [code for code in languages if code not in given]
    if missing:
        names = " or ".join(repr(code) for code in missing)
        problems.append(item.problem(f"'answer' has no {names} text", "answer", key=True))
    return problems


_NOT_WORD = re.compile(r"[\W_]+")


def normalise_example(text: str) -> str:
    """The form two phrasings must not share: width- and case-folded, letters and digits only."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text).casefold())


def _repeated_examples(item: _Loaded, seen: dict[str, tuple[_Loaded, int]]) -> list[Problem]:
    problems = []
    for i, example in enumerate(item.intent.examples):
        key = normalise_example(example)
        if key not in seen:
            seen[key] = (item, i)
            continue
        owner, j = seen[key]
        first = owner.problem("", "examples", j)
        where = "in this intent" if owner is item else f"under intent '{owner.intent.name}'"
        problems.append(
            item.problem(
                f"the same phrasing is already an example {where} ({first.path}:{first.line})",
                *("examples", i),
            )
        )
    return problems
