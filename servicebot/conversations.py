"""Scripted conversations: a bot's offline tests, replayed against recorded model replies.

A conversation is one YAML file in ``tests/conversations/``; every key but ``turns`` and
``customer`` is optional::

    description: A refund question answered by the model with FAQ context
    metadata: {name: Ada}                 # Bot.reply(metadata=...): templates see `customer`
    turns:
      - customer: How long do refunds take?
        model_reply: Refunds reach your card within 5 business days.  # for record --by-hand
        # or  model_error: timeout        (a recorded outage, whether recorded live or by hand)
        expect:
          action: answer                  # answer | direct | handoff | blocked | fallback | ...
          intent: refund_status           # `intent: null`: no intent matched
          contains: ["5 business days"]   # each must appear in the reply the customer reads
          not_contains: ["13800138000"]
          regex: "\\d+ business days"
          max_length: 300
          events: [{detector: pii, kind: PHONE}]  # each matches some event (given fields equal)
          stages: {prompt: "message truncated"}   # a substring of that stage's trace decision
                                                  # (null: the stage did not run)
          prompt: {contains: ["[PHONE_1]"], not_contains: ["13800138000"]}  # sent to the model
          stored: {not_contains: ["13800138000"]}  # the turn as the store keeps it

:func:`run_conversation` sends each customer line through a fresh :class:`Bot` (its own
in-memory store; the conversation id is its :attr:`~Conversation.name`) whose model is a
:class:`~servicebot.replay.Replayer` on ``<bot>/<replay.cassettes>/<name>.yaml``, and checks
every expectation. A request with no recording fails its turn with a diff against the closest
recorded one. Recording (live, or :func:`write_by_hand`) replaces a conversation's cassette
only once the whole conversation has run; a live model that fails stops the recording and
leaves the cassette as it was.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from .cassette import Cassette, ReplayMissError
from .config import BotSpec, yaml_files
from .errors import ConfigError, Problem, ServicebotError
from .model import AnswersAtOnce, Completion, ErrorKind, ModelClient, ModelError, ModelRequest
from .pipeline import Bot
from .replay import Replayer, add_hand_written
from .settings import Frozen, Intent
from .source import SourceFile
from .store import TurnRecord
from .store.memory import MemoryStore
from .turn import Action, Reply
from .validation import closest, suggest, validate
from .yamlfile import YamlFile, read_yaml

CONVERSATIONS_FOLDER = Path("tests") / "conversations"
STAGES = ("store", "prefilter", "routing", "prompt", "cache", "model", "postfilter")
_SHOWN = 3000  # characters of a prompt or stored turn shown when a check on it fails


# --- the file format --------------------------------------------------------------------------


def _listed(value: Any) -> Any:
    return (value,) if isinstance(value, str) else value


def _regex(text: str) -> str:
    try:
        re.compile(text)
    except re.error as exc:
        raise ValueError(f"is not a valid regular expression ({exc})") from exc
    return text


def _known_stages(stages: dict[str, str | None]) -> dict[str, str | None]:
    for name, decision in stages.items():
        if name not in STAGES:
            raise ValueError(f"names no stage '{name}' ({suggest(name, STAGES)})")
        if decision is not None and not decision.strip():
            raise ValueError(f"stage '{name}': an empty decision would match any decision")
    return stages


Texts = Annotated[tuple[str, ...], BeforeValidator(_listed)]


class EventSpec(Frozen):
    """A filter event to look for: the fields given must equal those of some event."""

    stage: str | None = None
    detector: str | None = None
    kind: str | None = None
    action: str | None = None
    placeholder: str | None = None
    count: int | None = None


class TextSpec(Frozen):
    contains: Texts = ()
    not_contains: Texts = ()


class Expectations(Frozen):
    action: Action | None = None
    intent: str | None = None
    contains: Texts = ()
    not_contains: Texts = ()
    regex: Annotated[str, AfterValidator(_regex)] | None = None
    max_length: Annotated[int, Field(gt=0)] | None = None
    events: tuple[EventSpec, ...] = ()
    stages: Annotated[dict[str, str | None], AfterValidator(_known_stages)] = Field(
        default_factory=dict
    )
    prompt: TextSpec | None = None
    stored: TextSpec | None = None


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
    turns: Annotated[tuple[TurnSpec, ...], Field(min_length=1)]


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


def read_conversations(path: Path) -> tuple[list[Conversation], list[Problem]]:
    """The conversations at ``path`` that could be read, and the mistakes in the others (a
    second conversation of the same name is one: it would share the first one's cassette)."""
    read: list[Conversation] = []
    problems: list[Problem] = []
    for file in find_conversations(path):
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
    return Conversation(path, spec.description, spec.metadata, turns, document)


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


# --- running ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Failure:
    """An expectation a turn did not meet (or a turn with no recorded reply)."""

    path: Path
    turn: int
    line: int | None
    expected: str
    got: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        got = self.got.replace("\n", "\n    ")  # a miss's diff reads on without a "got"
        return f"{where}: turn {self.turn}: expected {self.expected}\n    " + (
            got if "\n" in self.got else f"got {got}"
        )

    def summary(self) -> str:
        """One line for a table."""
        return f"turn {self.turn}: expected {self.expected}"


@dataclass(frozen=True)
class ConversationResult:
    conversation: Conversation
    replies: tuple[Reply, ...]
    failures: tuple[Failure, ...]

    @property
    def passed(self) -> bool:
        return not self.failures


def run_conversation(
    spec: BotSpec,
    conversation: Conversation,
    mode: Literal["replay", "record"] = "replay",
    model: ModelClient | None = None,
) -> ConversationResult:
    """Run ``conversation`` on recorded replies, or (``record``) on ``model``, recording it."""
    cassette = cassette_for(spec, conversation)
    if mode == "replay":
        try:
            replayer = Replayer(cassette, "replay")
        except ConfigError as exc:  # this conversation fails; the others still run
            first = conversation.turns[0]
            broken = Failure(conversation.path, 1, first.line, "a readable cassette", str(exc))
            return ConversationResult(conversation, (), (broken,))
        return _run(spec, conversation, replayer)
    if model is None:
        raise ValueError("record mode needs the model to record from")
    with _fresh(cassette) as scratch:
        writer = _LiveWriter(scratch, conversation, model)
        return _run(spec, conversation, writer, writer.begin)


def write_by_hand(spec: BotSpec, conversation: Conversation) -> ConversationResult:
    """Record each turn's ``model_reply`` (or ``model_error``) as the answer to exactly the
    request the pipeline builds for it, replacing the conversation's cassette."""
    with _fresh(cassette_for(spec, conversation)) as scratch:
        writer = _HandWriter(scratch, conversation)
        return _run(spec, conversation, writer, writer.begin)


@contextmanager
def _fresh(cassette: Path) -> Iterator[Path]:
    """A scratch cassette that replaces ``cassette`` once recording has finished."""
    with tempfile.TemporaryDirectory(prefix="servicebot-record-") as folder:
        scratch = Path(folder) / cassette.name
        yield scratch
        if scratch.exists():
            Cassette(cassette, Cassette.load(scratch).entries).save()
        else:  # no turn needed the model
            cassette.unlink(missing_ok=True)


def _run(
    spec: BotSpec,
    conversation: Conversation,
    client: ModelClient,
    begin: Callable[[Turn], None] | None = None,
) -> ConversationResult:
    store, watched = MemoryStore(), _Watched(client)
    # A bot whose servicebot.yaml names no model answers from the FAQ alone, as `Bot` and
    # `servicebot chat` run it: its conversations are tested that way too.
    offline = spec.settings.model.name is None
    bot = Bot(spec, model=None if offline else watched, store=store, offline=offline)
    replies: list[Reply] = []
    failures: list[Failure] = []
    for turn in conversation.turns:
        if begin is not None:
            begin(turn)
        watched.request = None
        try:
            reply = bot.reply(turn.spec.customer, conversation.name, conversation.metadata or None)
        except ReplayMissError as exc:  # later turns would miss too: their history differs
            expected = "a recorded model reply for this turn"
            failures.append(Failure(conversation.path, turn.number, turn.line, expected, str(exc)))
            break
        replies.append(reply)
        stored = store.history(conversation.name, 1)[-1] if reply.turn is not None else None
        found = [
            Failure(conversation.path, turn.number, turn.line_of(check), expected, got)
            for check, expected, got in _checks(
                turn.spec.expect, reply, watched.request, stored, spec.intents
            )
        ]
        answer = "model_reply" if turn.spec.model_reply is not None else "model_error"
        if getattr(turn.spec, answer) is not None and watched.request is None:  # a stale script
            expected = f"a model call, as the turn gives a {answer}"
            got = f"no model call: the turn was answered {reply.action}"
            if offline:
                got += " (servicebot.yaml names no model: the bot answers from the FAQ alone)"
            line = turn.line_of(answer)
            found.append(Failure(conversation.path, turn.number, line, expected, got))
        failures += sorted(found, key=lambda failure: failure.line or 0)  # in the file's order
    return ConversationResult(conversation, tuple(replies), tuple(failures))


class _Watched:
    """A model client that remembers the turn's request, for the ``prompt`` expectation."""

    def __init__(self, client: ModelClient) -> None:
        self.client = client
        self.request: ModelRequest | None = None

    def complete(self, request: ModelRequest) -> Completion:
        self.request = request
        return self.client.complete(request)

    async def acomplete(self, request: ModelRequest) -> Completion:
        self.request = request
        return await self.client.acomplete(request)

    def stream(self, request: ModelRequest) -> Iterator[str | Completion]:
        self.request = request
        return self.client.stream(request)

    def astream(self, request: ModelRequest) -> AsyncIterator[str | Completion]:
        self.request = request
        return self.client.astream(request)


class _HandWriter(AnswersAtOnce):
    """A model client that answers each turn with the conversation's ``model_reply`` (or
    fails with its ``model_error``) and writes that down as a hand-written recording."""

    def __init__(self, cassette: Path, conversation: Conversation) -> None:
        self.cassette, self.conversation = cassette, conversation
        self.turn: Turn | None = None

    def begin(self, turn: Turn) -> None:
        self.turn = turn

    def complete(self, request: ModelRequest) -> Completion:
        turn = self.turn
        assert turn is not None, "begin() each turn first"
        note = f"{self.conversation.path.name}, turn {turn.number}"
        if turn.spec.model_error is not None:
            add_hand_written(self.cassette, request, error=turn.spec.model_error, note=note)
            raise ModelError(turn.spec.model_error, "written by hand")
        if turn.spec.model_reply is None:
            message = (
                f"turn {turn.number} needs the model, but has no 'model_reply' to record: add "
                "one (the answer, as the model would give it) or 'model_error: timeout'"
            )
            raise ConfigError([self.conversation.problem(turn, message)])
        entry = add_hand_written(self.cassette, request, turn.spec.model_reply, note=note)
        assert entry.completion is not None
        return entry.completion


class _LiveWriter(AnswersAtOnce):
    """A model client that records the live model's answer to each turn. A turn scripted as
    an outage (``model_error``) is written by hand instead, so that recording keeps the test
    of the fallback. A live failure (no connection, a bad key, an outage) is no answer to
    keep: it stops the recording with ServicebotError, before the cassette is replaced."""

    def __init__(self, cassette: Path, conversation: Conversation, model: ModelClient) -> None:
        self.live = Replayer(cassette, "record", model)
        self.by_hand = _HandWriter(cassette, conversation)

    def begin(self, turn: Turn) -> None:
        self.by_hand.begin(turn)

    def complete(self, request: ModelRequest) -> Completion:
        turn = self.by_hand.turn
        assert turn is not None, "begin() each turn first"
        if turn.spec.model_error is not None:
            return self.by_hand.complete(request)
        try:
            return self.live.complete(request)
        except ModelError as exc:
            conversation = self.by_hand.conversation
            raise ServicebotError(
                f"{conversation.path}, turn {turn.number}: the model failed ({exc}); "
                "recording stopped, and the cassettes of this conversation and the ones "
                "after it are unchanged"
            ) from None


# --- expectations -----------------------------------------------------------------------------

Check = tuple[str, str, str]  # which expectation, what it expected, what came


def _checks(
    expect: Expectations,
    reply: Reply,
    request: ModelRequest | None,
    stored: TurnRecord | None,
    intents: Sequence[Intent],
) -> Iterator[Check]:
    if expect.action is not None and reply.action != expect.action:
        yield "action", f"action {expect.action}", f"action {reply.action}: {reply.text!r}"
    if "intent" in expect.model_fields_set and reply.intent != expect.intent:
        got = f"intent {reply.intent} ({reply.score or 0:.3f})" if reply.intent else "no intent"
        wanted = f"intent {expect.intent}" if expect.intent else "no intent"
        yield "intent", f"{wanted}{_unknown(expect.intent, intents)}", got
    yield from _text_checks(expect, reply.text)
    for event in expect.events:
        if not any(_same(event, found) for found in reply.events):
            found = ", ".join(_event(e) for e in reply.events) or "no events"
            yield "events", f"an event {_event(event)}", found
    for stage, decision in expect.stages.items():
        decided = [step.decision for step in reply.trace if step.stage == stage]
        said = " then ".join(map(repr, decided))
        if decision is None and decided:
            yield "stages", f"no {stage} stage", f"stage {stage}: {said}"
        elif decision is not None and not any(decision in made for made in decided):
            got = f"stage {stage}: {said}" if said else f"no {stage} stage in the turn's trace"
            yield "stages", f"stage {stage} to decide {decision!r}", got
    if expect.prompt is not None:
        sent = "\n".join(m.content for m in request.messages) if request else None
        yield from _part_checks("prompt", "the prompt", expect.prompt, sent)
    if expect.stored is not None:
        kept = f"{stored.customer_text}\n{stored.reply_text}" if stored else None
        yield from _part_checks("stored", "the stored turn", expect.stored, kept)


def _unknown(name: str | None, intents: Sequence[Intent]) -> str:
    """What to add to an expected intent that is no intent's name (a typo in the script)."""
    names = [intent.name for intent in intents]
    if name is None or name in names:
        return ""
    close = closest(name, names)
    return ", which no intent of the bot is named" + (
        f" (did you mean '{close}'?)" if close else ""
    )


def _text_checks(expect: Expectations, text: str) -> Iterator[Check]:
    shown = f"the reply {text!r}"
    yield from _containing(expect, text, "the reply", shown, ("contains", "not_contains"))
    if expect.regex is not None and not re.search(expect.regex, text):
        yield "regex", f"the reply to match '{expect.regex}'", shown  # a regex as typed
    if expect.max_length is not None and len(text) > expect.max_length:
        yield "max_length", f"at most {expect.max_length} characters", f"{len(text)}: {text!r}"


def _part_checks(check: str, what: str, spec: TextSpec, text: str | None) -> Iterator[Check]:
    if text is None:
        missing = "no model call this turn" if check == "prompt" else "the turn was not stored"
        if spec.contains or spec.not_contains:
            yield check, f"{what} to be checked", missing
        return
    shown = text if len(text) <= _SHOWN else f"{text[:_SHOWN]}... ({len(text) - _SHOWN} more)"
    yield from _containing(spec, text, what, f"{what}:\n{shown}", (check, check))


def _containing(
    spec: Expectations | TextSpec, text: str, what: str, shown: str, checks: tuple[str, str]
) -> Iterator[Check]:
    """``spec``'s contains and not_contains checks of ``text``, named ``checks``."""
    for wanted in spec.contains:
        if wanted not in text:
            yield checks[0], f"{what} to contain {wanted!r}", shown
    for unwanted in spec.not_contains:
        if unwanted in text:
            yield checks[1], f"{what} not to contain {unwanted!r}", shown


def _same(wanted: EventSpec, event: Any) -> bool:
    given = wanted.model_dump(exclude_none=True)
    return all(getattr(event, key, None) == value for key, value in given.items())


def _event(event: Any) -> str:
    parts = [
        f"{key}={getattr(event, key)}"
        for key in EventSpec.model_fields
        if getattr(event, key, None)
    ]
    return "{" + " ".join(parts) + "}"
