"""Validating a parsed YAML file against a pydantic model, in sentences an operator can act on.

Owns the translation of pydantic's errors ("string_pattern_mismatch", "extra_forbidden")
into problems like ``unknown key 'exampels' (did you mean 'examples'?)``, placed on the
line of the value or key at fault. The hints on how to write a number (``20s``, ``0,22``,
``50.000``) come from :mod:`.numberhints`.
"""

from __future__ import annotations

import datetime
import difflib
import json
import math
import re
import typing
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, RootModel, ValidationError

from .errors import Problem, shorten
from .languages import ANY_LANGUAGE
from .numberhints import number_hint, unit_hint, whole_hint
from .yamlfile import YamlFile

Model = TypeVar("Model", bound=BaseModel)

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
_EXPECTED_FOR_FIELD = {"answer": "text, or a mapping from language to text ({en: ..., zh: ...})"}
_PATTERN_FOR_FIELD = {
    "name": "intent names use English letters, digits, '_', '-' and '.', with no spaces "
    "(such as order_status)",
    "languages": "languages are lower-case codes such as en, zh, de or pt-br",
}
# Keys an operator pastes an API key under, in servicebot.yaml or its model section.
_KEY_IN_FILE = frozenset({"api_key", "apikey", "key", "openai_api_key", "token", "secret"})


def _key_in_file(key: str | int) -> bool:
    return str(key).lower().replace("-", "_") in _KEY_IN_FILE


_BOUNDS = {
    "greater_than": "more than",
    "greater_than_equal": "at least",
    "less_than": "less than",
    "less_than_equal": "at most",
}


def validate(document: YamlFile, model: type[Model], problems: list[Problem]) -> Model | None:
    """``document.data`` as a ``model``; or None, with every mistake added to ``problems``.

    A key that is not text and reads as the same key as one above it (``1:`` and ``yes:``)
    was reported as such when the file was read, with what to do (quotes): it is not
    reported again as a key that is not text."""
    try:
        return model.model_validate(document.data)
    except ValidationError as exc:
        found = []
        for error in _root_causes(exc.errors(), model):
            message, at_key = _describe(error, model)
            loc = error["loc"]
            if loc and loc[-1] == "[key]":  # a key that YAML read as true/false or a number
                loc, at_key = loc[:-1], True
            node = document.node_at(loc, key=at_key)
            if at_key and node is not None and node.start_mark.index in document.same_keys:
                continue
            found.append(document.problem_at(node, message) if node else document.problem(message))
        problems += sorted(found, key=lambda problem: (problem.line or 0, problem.column or 0))
        return None


# Keys other tools' files use for ours (Rasa's "- intent: greet"), as did-you-mean suggests them.
_KNOWN_AS = {"intent": "name", "title": "name", "utterances": "examples", "response": "answer"}


def suggest(name: str, choices: Sequence[str]) -> str:
    """``did you mean 'x'?`` for the closest choice, or the list of choices."""
    close = _meant(name, choices)
    return f"did you mean '{close}'?" if close else f"allowed: {', '.join(choices)}"


def closest(name: str, choices: Sequence[str]) -> str | None:
    """The choice a mistyped ``name`` most likely meant: the same but for case, or the most
    similar if it is similar enough; None if none is."""
    same = [choice for choice in choices if choice.casefold() == name.casefold()]
    close = same or difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    return close[0] if close else None


def _meant(name: str, choices: Sequence[str]) -> str | None:
    """The key an unknown key ``name`` most likely stands for: another tool's word for one of
    ``choices``, or the closest spelling."""
    known_as = _KNOWN_AS.get(name.casefold())
    return known_as if known_as in choices else closest(name, choices)


def _root_causes(errors: list[Any], model: type[BaseModel]) -> list[Any]:
    """Drop errors that only echo another: a list 'too short' because its items failed, and a
    'missing' key that an unknown key right beside it was surely meant to be."""
    failed_parents = {error["loc"][:i] for error in errors for i in range(len(error["loc"]))}
    misspelt = {
        (*error["loc"][:-1], close)
        for error in errors
        if error["type"] == "extra_forbidden"
        and (close := _meant(str(error["loc"][-1]), _fields_at(model, error["loc"][:-1])))
    }
    return [
        error
        for error in errors
        if not (error["type"] == "too_short" and error["loc"] in failed_parents)
        and not (error["type"] == "missing" and error["loc"] in misspelt)
    ]


def _describe(error: Any, model: type[BaseModel]) -> tuple[str, bool]:
    """An operator-facing message for one pydantic error, and whether it is about the key."""
    loc, kind, ctx = error["loc"], error["type"], error.get("ctx", {})
    name, field = _field_name(loc), _last_field(loc)
    if (loc and loc[-1] == "[key]") or kind == "invalid_key":
        given = error["input"]
        if kind != "literal_error":
            return f"this key reads as {_key_kind(given)}, not text: put it in quotes", True
        choices = _choices(ctx)  # a key from a fixed set
        if not isinstance(given, str):
            return (
                f"this key reads as {_key_kind(given)}, not one of {', '.join(choices)}",
                True,
            )
        return f"unknown key '{shorten(given)}' ({suggest(given, choices)})", True
    if not loc and kind in _EXPECTED:
        start = (
            " (a FAQ file starts with 'intents:' and the list under it)"
            if "intents" in model.model_fields
            else ""
        )
        return (
            f"this file should be a mapping of keys, not {_kind_of(error['input'])}{start}",
            False,
        )
    if kind == "extra_forbidden" and loc[:-1] in ((), ("model",)) and _key_in_file(loc[-1]):
        return (
            f"unknown key '{loc[-1]}': servicebot never reads an API key from a file, which "
            "gets shared and committed; remove it, and set the key in the environment variable "
            "OPENAI_API_KEY (api_key_env names another)",
            True,
        )
    if kind == "extra_forbidden":
        given = str(loc[-1])
        return (
            f"unknown key '{shorten(given)}' ({suggest(given, _fields_at(model, loc[:-1]))})",
            True,
        )
    if kind == "missing":
        return f"missing required key '{loc[-1]}'", False
    if kind in _EXPECTED:
        expected = _EXPECTED_FOR_FIELD.get(str(loc[-1]), _EXPECTED[kind])
        given = error["input"]
        textual = kind == "string_type" or str(loc[-1]) in _EXPECTED_FOR_FIELD  # answer: yes
        takes = _taker(model, loc)
        hint = (
            (_quote_hint(given) if textual else "")
            or _block_hint(kind, given)
            or number_hint(kind, given)
            or unit_hint(kind, given, str(loc[-1]), takes)
            or whole_hint(kind, given, takes)
            or _section_hint(kind, given, loc, model)
        )
        return f"{name} should be {expected}, not {_kind_of(given)}{hint}", False
    if kind == "literal_error" and isinstance(error["input"], bool):  # "mode: off" is false
        choices = _choices(ctx)
        # Only a word YAML reads as this very value can have been meant: "mode: on" is true,
        # and quoting "off" would give it the opposite of what was written.
        words = ("on", "yes") if error["input"] else ("off", "no")
        word = next((c for c in choices if c in words), None)
        quote = f': put it in quotes, as in "{word}"' if word else ""
        return (
            f"{name} should be one of {', '.join(choices)}, not true/false (YAML reads yes, "
            f"no, on and off as true/false){quote}",
            False,
        )
    if kind == "literal_error" and isinstance(error["input"], str):
        given = error["input"]
        return f"{name}: '{shorten(given)}' is not allowed ({suggest(given, _choices(ctx))})", False
    if kind == "value_error":
        return f"{name} {ctx['error']}", False
    if kind == "too_short":
        count = ctx["min_length"]
        return f"{name} needs at least {count} item{'s' if count > 1 else ''}", False
    if kind == "string_pattern_mismatch" and field in _PATTERN_FOR_FIELD:
        return f"'{shorten(error['input'])}' is not allowed: {_PATTERN_FOR_FIELD[field]}", False
    if kind == "finite_number":
        return f"{name} should be a finite number, not {_yaml_number(error['input'])}", False
    if kind in _BOUNDS:
        return f"{name} should be {_BOUNDS[kind]} {next(iter(ctx.values()))}", False
    return f"{name}: {error['msg'][0].lower()}{error['msg'][1:]}", False


def _yaml_number(number: Any) -> str:
    """A number that is not finite as YAML writes it: ``.inf``, ``-.inf``, ``.nan``."""
    if math.isnan(number):
        return ".nan (not a number)"
    return {float("inf"): ".inf", float("-inf"): "-.inf"}.get(number, str(number))


def _key_kind(key: Any) -> str:
    """What YAML read a key that is not text as: ``null:`` is empty, ``2024-01-01:`` a date,
    ``yes:`` and ``1:`` true/false or a number (which Python does not tell apart as keys)."""
    if key is None:
        return "empty (null)"
    if isinstance(key, datetime.date):
        return "a date"
    return "true/false or a number"


def _choices(ctx: dict[str, Any]) -> list[str]:
    """The allowed values a literal_error lists: "'a', 'b' or 'c'"."""
    return re.findall(r"'([^']*)'", ctx["expected"])


def _quote_hint(given: Any) -> str:
    """YAML turns ``yes``, ``12``, ``2024-05-01`` and ``a: b`` into other things than text."""
    if isinstance(given, dict):
        first = str(next(iter(given), ""))
        if first.startswith(("“", "‘", "「")):  # an input method's quotation marks: text to YAML
            return (
                f" (text that contains ': ' must be in quotes, and '{first[0]}' is not one: "
                'type a plain ")'
            )
        return " (text that contains ': ' must be in quotes)"
    if isinstance(given, bool | int | float | datetime.date):
        return " (put it in quotes to keep it as text)"
    return ""


def _block_hint(kind: str, given: Any) -> str:
    """A list written as a ``|`` block of ``- `` lines (as Rasa's examples are) is one text;
    so is one whose first dash is a Chinese input method's ``－`` or ``—``, not ``-``."""
    if kind not in ("list_type", "tuple_type") or not isinstance(given, str):
        return ""
    if given.startswith("- "):
        return " (after '|' its '- ' lines are one text: remove the '|' to make them a list)"
    if given.startswith(_WIDE_DASHES):
        return f" ('{given[0]}' is not a list dash: a list item starts with a plain '- ')"
    return ""


def _section_hint(kind: str, given: Any, loc: tuple[str | int, ...], model: type[BaseModel]) -> str:
    """Where the text given for a whole section goes, when one key of it takes that text:
    ``model: gpt-4o``, as other tools write it, is ``model:`` with ``name: gpt-4o`` under it."""
    section = _model_at(model, loc) if kind in ("model_type", "model_attributes_type") else None
    if section is None or not isinstance(given, str):
        return ""
    takers = [name for name in section.model_fields if _takes(section, name, given)]
    if len(takers) != 1:
        return ""
    return f" (write '{loc[-1]}:' and under it '  {takers[0]}: {_as_yaml(given)}')"


def _as_yaml(text: str) -> str:
    """``text`` written so that YAML reads it back as that text: in quotes where it must be
    ("@cf/meta/llama-3-8b-instruct", "yes", "gpt-4o # tuned")."""
    try:
        plain = yaml.safe_load(f"key: {text}") == {"key": text}
    except yaml.YAMLError:
        plain = False
    return text if plain else json.dumps(text, ensure_ascii=False)


def _taker(model: type[BaseModel], loc: tuple[str | int, ...]) -> Callable[[Any], bool]:
    """Whether the key at ``loc`` inside ``model`` takes a value, for a hint to offer only
    what the key takes."""

    def takes(given: Any) -> bool:
        section = _model_at(model, loc[:-1])
        return section is not None and _takes(section, str(loc[-1]), given)

    return takes


def _takes(section: type[BaseModel], name: str, given: Any) -> bool:
    """Whether the key ``name`` of ``section`` takes ``given`` (the others kept as they are)."""
    try:
        section.model_validate({name: given})
    except ValidationError:
        return False
    return True


_WIDE_DASHES = ("\uff0d", "\u2014", "\u2013", "\u2212")  # － — – −


def _last_field(loc: tuple[str | int, ...]) -> str:
    # ANY_LANGUAGE: an answer written as one text is kept as {"*": text}
    names = [part for part in loc if isinstance(part, str) and part != ANY_LANGUAGE]
    return names[-1] if names else "item"


def _field_name(loc: tuple[str | int, ...]) -> str:
    field = shorten(_last_field(loc))  # a key YAML read from a long text ("en： hi" in { })
    if not loc or not isinstance(loc[-1], int):
        return f"'{field}'"
    return f"'{field}' item {loc[-1] + 1}" if field != "item" else f"item {loc[-1] + 1}"


def _kind_of(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, datetime.date):
        return "a date"
    if isinstance(value, float):  # "should be a whole number, not 3.5"
        return repr(value)
    kinds = {dict: "a mapping", list: "a list", str: "text", bool: "true/false", int: "a number"}
    return kinds.get(type(value), type(value).__name__)


def _fields_at(model: type[BaseModel], loc: tuple[str | int, ...]) -> list[str]:
    """The keys allowed at ``loc`` inside ``model``, for did-you-mean suggestions."""
    current = _model_at(model, loc)
    return list(current.model_fields) if current else []


def _model_at(model: type[BaseModel], loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The model that the value at ``loc`` inside ``model`` is validated into, if any."""
    current: type[BaseModel] | None = model
    if issubclass(model, RootModel):  # a file that is a list: its items are the models
        current = _model_in(model.model_fields["root"].annotation)
    keyed = False  # the part before was a mapping such as prices: this part is its key
    for part in loc:
        if current is None:
            return None
        if isinstance(part, str) and not keyed:
            field = current.model_fields.get(part)
            current = _model_in(field.annotation) if field else None
            keyed = field is not None and typing.get_origin(field.annotation) is dict
        else:
            keyed = False
    return current


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None
