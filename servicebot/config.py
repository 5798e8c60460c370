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
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from pydantic import ValidationError

from .errors import ConfigError, Problem
from .filters.normalise import normalise
from .settings import ANY_LANGUAGE, LANGUAGE_ALIASES, LANGUAGE_CODE, FaqFile, Intent, Settings
from .source import FAQ_FOLDER as FAQ_FOLDER  # re-exported: where a bot folder keeps what
from .source import SETTINGS_FILE as SETTINGS_FILE
from .source import operator_files
from .templates import read_templates
from .validation import validate
from .yamlfile import YamlFile, read_yaml

TEMPLATES_FOLDER = "templates"


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
        counts = [
            _count(len(self.intents), "intent"),
            _count(self.example_count, "example"),
            _count(few_shot, "few-shot pair"),
            _count(len(self.templates), "template"),
        ]
        languages = ", ".join(self.settings.languages)
        return f"{self.settings.name}: {', '.join(counts)}, languages {languages}"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


@dataclass(frozen=True)
class _Loaded:
    """An intent that passed schema validation, with where it came from."""

    intent: Intent
    document: YamlFile
    index: int

    def problem(
        self, message: str, *loc: str | int, key: bool = False, near: str | None = None
    ) -> Problem:
        """A problem at ``loc`` inside this intent (at the key itself if ``key``; where
        ``near`` is written in it, if it is)."""
        node = self.document.node_at(("intents", self.index, *loc), key=key)
        assert node is not None  # the intent validated, so its node exists
        return self.document.problem_at(node, message, near)

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
    spec, problems = read_bot(path)
    if problems or spec is None:
        raise ConfigError.listing(problems)
    return spec


def read_bot(path: str | Path) -> tuple[BotSpec | None, list[Problem]]:
    """Every mistake in the bot folder at ``path``, in reading order, and the bot as read:
    its settings and templates, and its intents only if every FAQ file read cleanly (one
    with a mistake, such as an answer missing a language, may not render); None unless the
    settings and templates read without a problem (nothing renders without them).
    ``servicebot check`` renders such a bot's templates despite a mistake in a FAQ file, so
    that it lists both at once.

    Raises:
        ConfigError: a folder that is not a bot's, or cannot be read.
    """
    root = Path(path)
    problems: list[Problem] = []
    try:
        _check_folder(root)
        settings = _load_settings(root, problems)
        loaded = _load_faq(root / FAQ_FOLDER, problems)
        _check_intents(loaded, settings, problems)
        faq_read = len(problems)
        templates = read_templates(root / TEMPLATES_FOLDER, problems)
    except OSError as exc:  # a folder we may not list, a file that vanished while reading
        where = Path(exc.filename) if exc.filename else root
        raise ConfigError.at(where, f"cannot read: {exc.strerror or exc}") from exc
    ordered = in_reading_order(problems, root)
    if settings is None or len(problems) > faq_read:  # settings or templates have a mistake
        return None, ordered
    intents = () if problems else tuple(item.intent for item in loaded)
    return BotSpec(root, settings, intents, MappingProxyType(templates)), ordered


def load_bot_settings(path: str | Path) -> BotSpec:
    """The bot folder at ``path`` with its ``servicebot.yaml`` alone read and validated, and no
    intents or templates: for the commands that only reach its store (``history``, ``purge``,
    ``usage``), which a typo in an FAQ answer must not stop from erasing a customer's data.

    Raises:
        ConfigError: the mistakes in ``servicebot.yaml``.
    """
    root = Path(path)
    problems: list[Problem] = []
    _check_folder(root)
    settings = _load_settings(root, problems)
    if problems or settings is None:
        raise ConfigError.listing(problems)
    return BotSpec(root=root, settings=settings, intents=(), templates=MappingProxyType({}))


def _check_folder(root: Path) -> None:
    if not root.exists():
        raise ConfigError.at(root, "does not exist")
    if not root.is_dir():
        raise ConfigError.at(root, "not a folder: a bot is a folder with servicebot.yaml and faq/")
    if not (root / SETTINGS_FILE).exists() and not (root / FAQ_FOLDER).is_dir():
        message = "not a bot folder: no servicebot.yaml or faq/ here (`servicebot init` makes one)"
        raise ConfigError.at(root, message)


def in_reading_order(problems: list[Problem], root: Path) -> list[Problem]:
    """Problems in the bot folder ``root``: settings first, then FAQ files, then templates;
    by line within a file."""

    def order(problem: Problem) -> tuple[int, str, int, int]:
        folder = (
            problem.path.relative_to(root).parts[:1] if problem.path.is_relative_to(root) else ()
        )
        rank = 2 if folder == (TEMPLATES_FOLDER,) else 1 if folder == (FAQ_FOLDER,) else 0
        return (rank, str(problem.path), problem.line or 0, problem.column or 0)

    return sorted(problems, key=order)


def _load_settings(root: Path, problems: list[Problem]) -> Settings | None:
    path = root / SETTINGS_FILE
    if (root / "servicebot.yml").exists():
        message = "ignored: settings are read from servicebot.yaml (rename or remove this file)"
        problems.append(Problem(root / "servicebot.yml", message))
    if not path.exists() and not path.is_symlink():
        return Settings()
    document = read_yaml(path, problems)
    if document is None:
        return None
    if document.data is None:
        document.data = {}  # an empty settings file means every default
    return validate(document, Settings, problems)


def _load_faq(folder: Path, problems: list[Problem]) -> list[_Loaded]:
    files, before = yaml_files(folder), len(problems)
    loaded: list[_Loaded] = []
    for path in files:
        document = read_yaml(path, problems)
        if document is not None:
            loaded += [
                _Loaded(intent, document, i) for i, intent in _faq_intents(document, problems)
            ]
    if not loaded and len(problems) == before:
        missing = (
            "every faq/*.yaml file is empty or all comments" if files else "add a faq/*.yaml file"
        )
        problems.append(Problem(folder, f"no intents: {missing}"))
    return loaded


def bot_holding(path: Path) -> Path | None:
    """The bot folder ``path`` (a conversation script, or a folder) is in: the nearest folder,
    itself or above it, with a ``servicebot.yaml``, or else with a ``faq`` folder (every
    setting is optional)."""
    parents = (path.resolve(), *path.resolve().parents)
    settled = next((folder for folder in parents if (folder / SETTINGS_FILE).is_file()), None)
    return settled or next((folder for folder in parents if (folder / FAQ_FOLDER).is_dir()), None)


def yaml_files(folder: Path) -> list[Path]:
    """Every *.yaml and *.yml file in ``folder`` (faq/, tests/conversations/) and its
    subfolders: see :func:`operator_files`."""
    return operator_files(folder, ".yaml", ".yml")


_RASA_KEYS = ("nlu", "responses", "stories", "rules")  # the sections of Rasa's training data
_RASA = (
    "this is Rasa training data, not a FAQ file: a FAQ file starts with 'intents:', and each "
    "intent has a 'name:', its 'examples:' as a YAML list (no '|' block) and an 'answer:' "
    "(see the README's faq/*.yaml section)"
)


def _faq_intents(document: YamlFile, problems: list[Problem]) -> list[tuple[int, Intent]]:
    """The file's valid intents, by position; a broken intent does not hide its neighbours."""
    if document.data is None:  # empty, or all comments: a topic set aside (check warns)
        return []
    data = document.data if isinstance(document.data, dict) else {"intents": None}
    if rasa := next((key for key in _RASA_KEYS if key in data and "intents" not in data), None):
        node = document.node_at((rasa,), key=True)
        problems.append(document.problem_at(node, _RASA) if node else document.problem(_RASA))
        return []
    faq = validate(document, FaqFile, problems)
    if faq is not None:
        return list(enumerate(faq.intents))
    items = document.data.get("intents") if isinstance(document.data, dict) else None
    valid = []
    for i, item in enumerate(items if isinstance(items, list) else []):
        try:
            valid.append((i, Intent.model_validate(item)))
        except ValidationError as exc:  # already reported for the whole file
            if (salvaged := _salvaged(item, exc)) is not None:
                valid.append((i, salvaged))
    return valid


def _salvaged(item: object, error: ValidationError) -> Intent | None:
    """An intent that failed validation, without the keys at fault, if it is valid so: so
    that the checks across intents (answer languages, direct with handoff, names and phrasings
    used twice) report its other mistakes in the same run. The bot never loads with it: its
    mistakes are reported."""
    at_fault = {found["loc"][0] for found in error.errors() if found["loc"]}
    if not isinstance(item, dict):
        return None
    with contextlib.suppress(ValidationError):
        return Intent.model_validate({k: v for k, v in item.items() if k not in at_fault})
    return None


def intent_problems(
    root: Path, messages: Mapping[str, str], *loc: str, index: Mapping[str, int] | None = None
) -> list[Problem]:
    """For each intent ``messages`` names, its message at ``loc`` inside the intent (such as
    its "examples", or the ``index[name]``-th of them): see :func:`placed_in_intents`."""
    index = index or {}
    return placed_in_intents(
        root,
        {
            (name, (*loc, *([index[name]] if name in index else []))): message
            for name, message in messages.items()
        },
    )


Place = tuple[str, tuple[str | int, ...]]  # an intent's name, and a place inside it


def placed_in_intents(
    root: Path, messages: Mapping[Place, str], near: Mapping[Place, str] | None = None
) -> list[Problem]:
    """For each (intent name, place inside the intent) ``messages`` names, such as
    ``("returns", ("few_shot", 0, "assistant"))``, its message there (where the text ``near``
    names for it is written, if it is), where its FAQ file has the intent, in file order. The
    files are read only if there is something to report."""
    if not messages:
        return []
    return [
        item.problem(message, *loc, near=(near or {}).get((name, loc)))
        for item in _load_faq(root / FAQ_FOLDER, [])
        for (name, loc), message in messages.items()
        if name == item.intent.name
    ]


# --- what no single file can show ---------------------------------------------------------


def _check_intents(
    loaded: list[_Loaded], settings: Settings | None, problems: list[Problem]
) -> None:
    """Checks across intents and files; answer languages only once the settings are valid."""
    names: dict[str, _Loaded] = {}  # by name, case-folded
    examples: dict[str, tuple[_Loaded, int]] = {}
    for item in loaded:
        intent = item.intent
        if intent.direct and intent.handoff:
            message = "an intent cannot be both 'direct' and 'handoff'"
            problems.append(item.problem(message, "handoff"))
        if first := names.get(intent.name.casefold()):
            message = f"intent '{intent.name}' is already defined at {first.origin}"
            if first.intent.name != intent.name:
                message = (
                    f"intent '{intent.name}' differs from '{first.intent.name}' at "
                    f"{first.origin} only in case: rename one (names so alike are easily mixed "
                    "up in eval files and conversation scripts)"
                )
            problems.append(item.problem(message, "name"))
            continue  # a copied intent: its phrasings would only repeat the same news
        names[intent.name.casefold()] = item
        problems += _repeated_examples(item, examples)
    if settings is not None:
        problems += _answer_languages(loaded, settings.languages)


def _answer_languages(loaded: list[_Loaded], languages: tuple[str, ...]) -> list[Problem]:
    problems = []
    unknown: dict[str, _Loaded] = {}
    for item in loaded:
        given = set(item.intent.answer)
        if ANY_LANGUAGE in given:
            continue
        for code in sorted(given - set(languages)):
            unknown.setdefault(code, item)
        missing = [code for code in languages if code not in given]
        if missing:
            names = " or ".join(repr(code) for code in missing)
            problems.append(item.problem(f"'answer' has no {names} text", "answer", key=True))
    for code, item in unknown.items():
        meant = _language_meant(code, languages)
        if meant in languages:
            message = f"unknown language '{code}' (did you mean '{meant}'?)"
        elif not LANGUAGE_CODE.match(meant):
            message = (
                f"'{code}' is not a language code: key each answer by one of this bot's "
                f"languages ({', '.join(languages)})"
            )
        else:
            added = "it" if meant == code else f"'{meant}'"
            message = (
                f"answers are written in '{code}', which is not one of this bot's languages "
                f"({', '.join(languages)}): add {added} to 'languages' in servicebot.yaml"
            ) + ("" if meant == code else f", and key the answer '{meant}'")
        problems.append(item.problem(message, "answer", code, key=True))
    return problems


def _language_meant(code: str, languages: tuple[str, ...]) -> str:
    """The language code an answer's key stands for: one of the bot's languages but for case
    or ``_`` (``EN``, ``pt_BR``); an alias's language (``zh_CN`` and ``中文`` are ``zh``);
    the bot's language a regional code is of (``en_AU`` is ``en``); else ``code`` as
    'languages' takes it: the language lower case, ``-`` before a region (``De`` is ``de``,
    ``pt_BR`` is ``pt-BR``)."""
    language, dash, region = code.replace("_", "-").partition("-")
    written = language.lower() + dash + region
    same = [known for known in languages if known.lower() == written.lower()]
    if same:
        return same[0]
    for form in (written.lower(), language.lower()):
        if form in LANGUAGE_ALIASES:
            return LANGUAGE_ALIASES[form]
    return language.lower() if language.lower() in languages else written


_NOT_WORD = re.compile(r"[\W_]+")
_CJK = re.compile("[\u3400-\u9fff]")


def normalise_example(text: str) -> str:
    """The form two phrasings must not share: as routing reads them (width-folded, traditional
    characters as simplified: ``退貨`` is ``退货``), case-folded, letters and digits only (or
    the folded text itself, for phrasings such as emoji that have neither). A bot with Chinese
    phrasings builds the traditional-to-simplified table here (about 40 ms in ``check``)."""
    folded = unicodedata.normalize("NFKC", normalise(text).text).casefold()
    return _NOT_WORD.sub("", folded) or folded.strip()


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
        message = f"the same phrasing is already an example {where} ({first.path}:{first.line})"
        if _CJK.findall(example) != _CJK.findall(owner.intent.examples[j]):
            message += ": traditional and simplified characters read the same to routing"
        problems.append(item.problem(message, "examples", i))
    return problems
