"""Loading a bot folder into a frozen :class:`BotSpec`, reporting every mistake at once.

A bot folder is ``servicebot.yaml`` (settings, all optional), ``faq/*.yaml`` (intents) and
``templates/*.j2``. :func:`load_bot` reads them all, validates them against
:mod:`servicebot.settings`, checks what no single file can show (duplicate intent names,
one phrasing under two intents, answers missing a language: see :mod:`.faqchecks`), and
raises one :class:`~servicebot.errors.ConfigError` listing every problem as
``file:line:column``. ``servicebot check`` runs exactly this.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from pydantic import ValidationError

from .errors import ConfigError, Problem
from .faq import FaqFile, Intent
from .faqchecks import LoadedIntent, check_intents
from .settings import Settings
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
        check_intents(loaded, settings, problems)
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
    settings = validate(document, Settings, problems)
    return None if document.mended else settings  # its full-width colons are still mistakes


def _load_faq(folder: Path, problems: list[Problem]) -> list[LoadedIntent]:
    files, before = yaml_files(folder), len(problems)
    loaded: list[LoadedIntent] = []
    for path in files:
        document = read_yaml(path, problems)
        if document is not None:
            loaded += _faq_intents(document, problems)
    if not loaded and len(problems) == before:
        missing = (
            "every faq/*.yaml file is empty or all comments" if files else "add a faq/*.yaml file"
        )
        problems.append(Problem(folder, f"no intents: {missing}"))
    return loaded


def bot_holding(path: Path) -> Path | None:
    """The bot folder ``path`` (a conversation script, or a folder) is in: the nearest folder,
    itself or above it, with a ``servicebot.yaml``, or else with a ``faq`` folder holding a
    YAML file (every setting is optional). A ``faq/`` of other files (a project's docs, its
    README.md) is no bot's: the pytest plugin would fail that project's test run."""
    parents = (path.resolve(), *path.resolve().parents)
    settled = next((folder for folder in parents if (folder / SETTINGS_FILE).is_file()), None)
    return settled or next((folder for folder in parents if yaml_files(folder / FAQ_FOLDER)), None)


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


def _faq_intents(document: YamlFile, problems: list[Problem]) -> list[LoadedIntent]:
    """The file's valid intents; a broken intent does not hide its neighbours, nor its own
    keys that are sound (see :func:`_salvaged`)."""
    if document.data is None:  # empty, or all comments: a topic set aside (check warns)
        return []
    data = document.data if isinstance(document.data, dict) else {"intents": None}
    if rasa := next((key for key in _RASA_KEYS if key in data and "intents" not in data), None):
        node = document.node_at((rasa,), key=True)
        problems.append(document.problem_at(node, _RASA) if node else document.problem(_RASA))
        return []
    faq = validate(document, FaqFile, problems)
    if faq is not None:
        return [LoadedIntent(intent, document, i) for i, intent in enumerate(faq.intents)]
    items = data.get("intents")  # None for a file that is no mapping
    valid = []
    for i, item in enumerate(items if isinstance(items, list) else []):
        try:
            valid.append(LoadedIntent(Intent.model_validate(item), document, i))
        except ValidationError as exc:  # already reported for the whole file
            if (salvaged := _salvaged(item, exc)) is not None:
                intent, at_fault = salvaged
                valid.append(LoadedIntent(intent, document, i, at_fault))
    return valid


# Stand-ins for the keys an intent must have, while they are at fault: see _salvaged.
_STAND_INS = {"name": "at_fault", "examples": ["at fault"], "answer": "at fault"}


def _salvaged(item: object, error: ValidationError) -> tuple[Intent, frozenset[str]] | None:
    """An intent that failed validation, without the keys at fault (a name, examples or an
    answer at fault left empty; a bad name as written, if it is text), and those keys: so
    that the checks across intents (answer languages, direct with handoff, names and
    phrasings used twice) report its other mistakes in the same run, and skip what depends
    on a key at fault. The bot never loads with it: its mistakes are reported."""
    at_fault = frozenset(str(found["loc"][0]) for found in error.errors() if found["loc"])
    if not isinstance(item, dict):
        return None
    kept = {k: v for k, v in item.items() if str(k) not in at_fault}
    try:
        intent = Intent.model_validate(
            kept | {k: v for k, v in _STAND_INS.items() if k in at_fault}
        )
    except ValidationError:
        return None
    written = item.get("name")
    emptied = {"name": written if isinstance(written, str) else "", "examples": (), "answer": {}}
    return intent.model_copy(update={k: v for k, v in emptied.items() if k in at_fault}), at_fault


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
