"""Conversation files: finding them, reading and validating them (each mistake with its
file:line), the turns they script, and where each conversation's replies are recorded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import Field, field_validator, model_validator

from ..config import BotSpec, yaml_files
from ..errors import ConfigError, Problem
from ..model import ErrorKind
from ..replay import BOT_CASSETTE
from ..settings import Frozen
from ..source import SourceFile
from ..turnstart import conversation_id_problem
from ..validation import validate
from ..yamlfile import YamlFile, read_yaml
from .expectations import Expectations

CONVERSATIONS_FOLDER = Path("tests") / "conversations"

# How a script's turns reach the bot: Bot.reply, Bot.stream, Bot.areply and Bot.astream.
Via = Literal["reply", "stream", "areply", "astream"]


def named_ways(values: Sequence[str]) -> tuple[Via, ...]:
    """The ways ``servicebot test --via`` and pytest's ``--servicebot-via`` name (each value
    a comma-separated list; ``all``: every one), each once, in the order named, in any case.

    Raises:
        ValueError: a way that is none of them; an empty one too, since ``--via ""`` (an
            unset variable in a CI script) ran none in silence. Its message says what to give.
    """
    known: dict[str, Via] = {way: way for way in get_args(Via)}
    named = [way.strip() for value in values for way in value.split(",")]
    for way in named:
        if way.lower() not in known and way.lower() != "all":
            raise ValueError(
                f"{way!r} is not a Bot method a script runs through: give "
                f"{', '.join(known)} (comma-separated), or all"
            )
    if any(way.lower() == "all" for way in named):
        return tuple(known.values())
    return tuple(known[way] for way in dict.fromkeys(way.lower() for way in named))


class TurnSpec(Frozen):
    customer: str  # blank too: what a bot does with an empty message is worth a test
    model_reply: str | None = None
    model_error: ErrorKind | None = None
    expect: Expectations = Expectations()

    @model_validator(mode="after")
    def _one_answer(self) -> TurnSpec:
        if self.model_reply is not None and self.model_error is not None:
            raise ValueError("gives both 'model_reply' and 'model_error': keep one")
        return self


class ConversationSpec(Frozen):
    description: str = ""
    metadata: dict[str, Any] = Field(default_factory=dict)
    via: Annotated[tuple[Via, ...], Field(min_length=1)] = ("reply",)
    turns: Annotated[tuple[TurnSpec, ...], Field(min_length=1)]

    @field_validator("via", mode="before")
    @classmethod
    def _one_or_more(cls, value: Any) -> Any:
        """``via: stream`` is ``via: [stream]``."""
        return [value] if isinstance(value, str) else value


@dataclass(frozen=True)
class Turn:
    """One customer line of a conversation, what it expects, and where it is written."""

    number: int  # 1-based
    spec: TurnSpec
    line: int | None = None  # of the turn's `customer:` key
    lines: Mapping[str, int] = field(default_factory=dict)  # of each expectation

    def line_of(self, check: str) -> int | None:
        return self.lines.get(check, self.line)


@dataclass(frozen=True)
class Conversation:
    path: Path
    description: str
    metadata: Mapping[str, Any]
    turns: tuple[Turn, ...]
    source: SourceFile | None = field(default=None, repr=False, compare=False)  # the file
    via: tuple[Via, ...] = ("reply",)  # the Bot methods its turns run through, in order

    @property
    def name(self) -> str:
        """The conversation id, and the name of its cassette: the file's path inside the
        nearest folder named ``conversations`` without its suffix (``zh/refund``), else its
        stem. Scripts of one name in two subfolders then keep two cassettes, however the
        path was written (``zh``, from inside ``tests/conversations``)."""
        path = self.path.resolve()
        folder = next((p for p in path.parents if p.name == "conversations"), None)
        inside = path.relative_to(folder) if folder else Path(path.name)
        return inside.with_suffix("").as_posix()

    @property
    def stored_as(self) -> str:
        """The id a script's turns are stored under: its name, unless that is no id a
        conversation may have (a path inside ``conversations`` over 200 characters, a newline
        in a folder's name). Its store is its own, so any id keeps its turns apart from
        others'; a name refused as an id stopped the whole ``servicebot test`` run, naming no
        file."""
        return "script" if conversation_id_problem(self.name) else self.name

    def problem(self, turn: Turn, message: str) -> Problem:
        if self.source is None:
            return Problem(self.path, message, turn.line)
        return self.source.problem(message, turn.line)


def find_conversations(path: Path) -> list[Path]:
    """The conversation files at ``path``: the file itself, or the ``*.yaml`` files in a
    folder and its subfolders."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        message = "no such conversation file or folder (conversations live in tests/conversations)"
        raise ConfigError.at(path, message)
    return [file for file in yaml_files(path) if file.is_file()]


def read_conversations(*paths: Path) -> tuple[list[Conversation], list[Problem]]:
    """The conversations at ``paths`` that could be read, each file once however often it is
    named, and the mistakes in the others (a second conversation of the same name is one: it
    would share the first one's cassette)."""
    read: list[Conversation] = []
    problems: list[Problem] = []
    files: dict[Path, Path] = {}  # each file as first named, in that order
    for path in paths:
        for file in find_conversations(path):
            files.setdefault(file.resolve(), file)
    for file in files.values():
        try:
            read.append(load_conversation(file))
        except ConfigError as exc:
            problems += exc.problems
    first_named: dict[str, Conversation] = {}
    for conversation in read:
        first = first_named.setdefault(conversation.name, conversation)
        if first is not conversation:  # they would record into one cassette, each over the other
            problems.append(
                Problem(
                    conversation.path,
                    f"has the name {conversation.name!r}, as {first.path} has, and a name is "
                    "a conversation's cassette; rename one, or keep them in subfolders of "
                    "tests/conversations, whose paths tell them apart",
                )
            )
    return list(first_named.values()), problems


def load_conversation(path: Path) -> Conversation:
    """Read and validate one conversation file; mistakes raise ConfigError with file:line."""
    problems: list[Problem] = []
    document = read_yaml(path, problems)
    if document is not None and not problems and not isinstance(document.data, dict):
        problems.append(
            document.problem("a conversation file is a mapping: turns: - customer: ...", 1, 1)
        )
    spec = validate(document, ConversationSpec, problems) if document and not problems else None
    if spec is None or document is None:
        raise ConfigError(problems)
    turns = tuple(_turn(document, i, turn) for i, turn in enumerate(spec.turns))
    via = tuple(dict.fromkeys(spec.via))  # each way once, however often named
    conversation = Conversation(path, spec.description, spec.metadata, turns, document, via)
    if conversation.name.casefold() == BOT_CASSETTE:  # casefold: Bot.yaml is bot.yaml on macOS
        raise ConfigError([Problem(path, _KEPT_NAME.format(name=conversation.name))])
    return conversation


# A script's recording is named after it, so this one would record into the bot's own
# (replay.bot_cassette): `record` would replace what `chat` replays, and `test` replay it.
_KEPT_NAME = (
    f"the name {{name!r}} is kept for the bot's own recorded replies ({BOT_CASSETTE}.yaml in "
    "the replay.cassettes folder, tests/replies by default); rename the script"
)


def _turn(document: YamlFile, index: int, spec: TurnSpec) -> Turn:
    lines = {}
    for check in Expectations.model_fields:
        if (line := _line(document, ("turns", index, "expect", check))) is not None:
            lines[check] = line
    for answer in ("model_reply", "model_error"):
        if (line := _line(document, ("turns", index, answer))) is not None:
            lines[answer] = line
    return Turn(index + 1, spec, _line(document, ("turns", index, "customer")), lines)


def _line(document: YamlFile, loc: tuple[str | int, ...]) -> int | None:
    """The line of the key at ``loc``, if the file has one there."""
    data = document.data
    for part in loc:
        in_list = isinstance(data, list) and isinstance(part, int) and part < len(data)
        if not in_list and not (isinstance(data, dict) and part in data):
            return None
        data = data[part]
    node = document.node_at(loc, key=True)
    return node.start_mark.line + 1 if node is not None else None


def cassette_for(spec: BotSpec, conversation: Conversation) -> Path:
    """Where a conversation's model replies are recorded."""
    return spec.root / spec.settings.replay.cassettes / f"{conversation.name}.yaml"
