"""Scripted conversations: a bot's offline tests, replayed against recorded model replies.

A conversation is one YAML file in ``tests/conversations/``; every key but ``turns`` and
``customer`` is optional::

    description: A refund question answered by the model with FAQ context
    metadata: {name: Ada}                 # Bot.reply(metadata=...): templates see `customer`
    via: [reply, stream]                  # the Bot methods the turns run through (ways.py)
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
in-memory store and answer cache; the conversation id is its :attr:`~Conversation.name`;
what is built from the spec alone, such as the routing index, is built once for all the
conversations of a spec: see :class:`~servicebot.stages.Stages`) whose model is a
:class:`~servicebot.replay.Replayer` on ``<bot>/<replay.cassettes>/<name>.yaml`` (so no
script may be named ``bot``: that cassette is the bot's own), and checks every expectation:
once for each way ``via:`` names, each on a fresh bot and store (see ``ways.py``).
A request with no recording fails its turn with a diff against the closest recorded one;
an ``expect: intent:`` that names no intent of the bot (renamed, which changes the prompt)
is reported too, in that turn and in the later ones that cannot run.
Recording (live, or by hand) replaces a conversation's cassette only once the whole
conversation has run; a live model that fails stops the recording and
leaves the cassette as it was. :class:`HandRecording` writes many conversations by hand all
at once, or none of them.

Beside this file: ``files.py`` (finding and reading conversation files), ``recording.py``
(the model clients that record a conversation, live or by hand),
``expectations.py`` (the ``expect:`` key and the checks of each reply against it),
``ways.py`` (a turn sent through Bot.reply, stream, areply or astream),
``causes.py`` (why a turn got another action than the one expected), ``failures.py`` (a
turn's failures, and those of the turns a missed recording stops) and ``watched.py`` (the
model client that remembers each turn's request and explains the misses it expects).
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from ..cassette import ReplayMissError, record_hint
from ..config import BotSpec
from ..errors import ConfigError, ServicebotError
from ..model import ModelClient
from ..pipeline import Bot
from ..replay import Replayer
from ..reply import Reply
from ..stages import Stages
from ..store.memory import MemoryStore
from .expectations import (
    STAGES,
    Check,
    EventSpec,
    Expectations,
    Texts,
    TextSpec,
    expectation_checks,
    stale_intent,
)
from .failures import (
    Failure,
    failure,
    missed_turn,
    not_run,
    of_recording,
    said_once,
    unrecorded,
)
from .files import (
    CONVERSATIONS_FOLDER,
    Conversation,
    ConversationSpec,
    Turn,
    TurnSpec,
    Via,
    cassette_for,
    find_conversations,
    load_conversation,
    read_conversations,
)
from .recording import HandWriter, Kept, LiveWriter, fresh, put_in_place
from .watched import Watched
from .ways import answer, stream_check

__all__ = [
    "CONVERSATIONS_FOLDER",
    "STAGES",
    "Check",
    "Conversation",
    "ConversationResult",
    "ConversationSpec",
    "EventSpec",
    "Expectations",
    "Failure",
    "HandRecording",
    "TextSpec",
    "Texts",
    "Turn",
    "TurnSpec",
    "cassette_for",
    "find_conversations",
    "load_conversation",
    "needs_recording",
    "read_conversations",
    "run_conversation",
]


_LAST: list[Stages] = []  # the stages of the last spec whose conversations ran (see _stages)
_SHARING = threading.Lock()


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
    also: Sequence[Via] = (),
    keep: bool = False,
) -> ConversationResult:
    """Run ``conversation`` on recorded replies, or (``record``) on ``model``, recording it
    (with ``keep``, only the replies whose recording is stale or missing: see :class:`Kept`).
    Replayed, it runs each way its ``via:`` names, then each of ``also`` it does not
    (``servicebot test --via``)."""
    cassette = cassette_for(spec, conversation)
    if mode == "replay":
        try:
            replayer = Replayer(cassette, "replay", hint=record_hint(conversation.path))
        except ConfigError as exc:  # this conversation fails; the others still run
            first = conversation.turns[0]
            broken = Failure(conversation.path, 1, first.line, "a readable cassette", str(exc))
            return ConversationResult(conversation, (), (broken,))
        ways = tuple(dict.fromkeys([*conversation.via, *also]))
        return _run(spec, replace(conversation, via=ways), replayer)
    if model is None:
        raise ValueError("record mode needs the model to record from")
    with fresh(cassette) as scratch:
        writer = LiveWriter(scratch, conversation, model)
        client = Kept(scratch, cassette, writer) if keep else writer
        return _run(spec, conversation, client, client.begin)


def needs_recording(spec: BotSpec, conversation: Conversation) -> bool:
    """Whether a recording of ``conversation`` is stale or missing (``servicebot record
    --only-stale``): a request of its replayed turns that no recording matches (see
    :class:`Kept`). Recordings it does not use are no reason: ``servicebot test`` passes."""
    kept = Kept(None, cassette_for(spec, conversation), None)
    _run(spec, conversation, kept, kept.begin)
    return kept.stale


class HandRecording:
    """Conversations written by hand (each turn's ``model_reply`` or ``model_error`` recorded as
    the answer to exactly the request the pipeline builds for it) into scratch cassettes, which
    :meth:`save` puts in place all at once. One that cannot be written (a turn that needs the
    model gives no ``model_reply``) leaves every cassette as it was, and the others are still
    written, for :meth:`save` to list every such conversation. Live recording cannot be all or
    nothing, as the model's answers cost money; by hand, nothing is lost by writing again.
    With ``keep``, a recording that still matches is kept as it is (see :class:`Kept`)."""

    def __init__(self, spec: BotSpec, keep: bool = False) -> None:
        self.spec, self.keep = spec, keep
        self._folder = tempfile.TemporaryDirectory(prefix="servicebot-record-")
        self._written: list[tuple[Path, Path]] = []  # each scratch cassette, and its place
        self.failed: list[ServicebotError] = []

    def __enter__(self) -> HandRecording:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._folder.cleanup()

    def record(self, conversation: Conversation) -> ConversationResult | None:
        """Write ``conversation`` into its scratch cassette; None if it cannot be written."""
        folder = Path(self._folder.name) / str(len(self._written) + len(self.failed))
        writer = HandWriter(folder / "cassette.yaml", conversation)
        cassette = cassette_for(self.spec, conversation)
        client = Kept(writer.cassette, cassette, writer) if self.keep else writer
        try:
            result = _run(self.spec, conversation, client, client.begin)
        except ServicebotError as exc:
            self.failed.append(exc)
            return None
        self._written.append((writer.cassette, cassette))
        return result

    def save(self) -> None:
        """Put every conversation's cassette in place; or, if any could not be written, none,
        with ServicebotError naming each one and why."""
        if self.failed:
            count = len(self.failed)
            what = "1 conversation" if count == 1 else f"{count} conversations"
            raise ServicebotError(
                "\n".join(
                    [
                        *map(str, self.failed),
                        f"{what} could not be recorded by hand, so "
                        "no cassette was written: every one is as it was",
                    ]
                )
            )
        for scratch, cassette in self._written:
            put_in_place(scratch, cassette)


def _run(
    spec: BotSpec,
    conversation: Conversation,
    client: ModelClient,
    begin: Callable[[Turn], None] | None = None,
) -> ConversationResult:
    """Run ``conversation`` each way its ``via:`` names, on a fresh bot and store each time
    and the same recordings; recording (``begin``) runs Bot.reply alone, as each way sends
    the model the same requests. A missed recording is said once, not once a way."""
    ways = conversation.via if begin is None else ("reply",)
    runs = [_run_via(spec, conversation, client, via, begin) for via in ways]
    replies = min((replies for replies, _ in runs), key=len)  # as far as every way went
    failures = said_once([found for _, run in runs for found in run], ways)
    return ConversationResult(conversation, replies, tuple(failures))


def _run_via(
    spec: BotSpec,
    conversation: Conversation,
    client: ModelClient,
    via: Via,
    begin: Callable[[Turn], None] | None = None,
) -> tuple[tuple[Reply, ...], list[Failure]]:
    """The replies and failures of ``conversation`` with its turns sent ``via`` that way."""
    store, watched = MemoryStore(), Watched(client)
    # A bot whose servicebot.yaml names no model answers from the FAQ alone, as `Bot` and
    # `servicebot chat` run it: its conversations are tested that way too.
    offline = spec.settings.model.name is None
    model = None if offline else watched
    bot = Bot(spec, model=model, store=store, offline=offline, stages=_stages(spec))
    replies: list[Reply] = []
    failures: list[Failure] = []
    conversation_id = conversation.stored_as
    for turn in conversation.turns:
        if begin is not None:
            begin(turn)
        watched.begin(turn, stale_intent(turn.spec.expect, None, spec.intents) is not None)
        try:
            reply, streamed = answer(
                bot, via, turn.spec.customer, conversation_id, conversation.metadata or None
            )
        except ReplayMissError as exc:  # later turns would miss too: their history differs
            missed = [unrecorded(conversation, turn, exc, watched.past_recording())]
            failures += of_recording(missed + not_run(spec, conversation, turn, replies))
            break
        if watched.missed is not None:  # later turns would miss too, as above
            missed = missed_turn(spec, conversation, turn, reply, watched.missed)
            failures += of_recording(missed + not_run(spec, conversation, turn, [*replies, reply]))
            break
        replies.append(reply)
        stored = store.history(conversation_id, 1)[-1] if reply.turn is not None else None
        checks = list(
            expectation_checks(
                turn.spec.expect,
                reply,
                watched.request,
                stored,
                spec.intents,
                spec.settings.routing,
            )
        )
        if (mismatch := stream_check(via, reply, streamed)) is not None:
            checks.append(mismatch)
        found = [failure(conversation, turn, check) for check in checks]
        answer_key = "model_reply" if turn.spec.model_reply is not None else "model_error"
        if getattr(turn.spec, answer_key) is not None and watched.request is None:  # stale
            expected = f"a model call, as the turn gives a {answer_key}"
            got = f"no model call: the turn was answered {reply.action}"
            if offline:
                got += " (servicebot.yaml names no model: the bot answers from the FAQ alone)"
            found.append(failure(conversation, turn, Check(answer_key, expected, got)))
        failures += sorted(found, key=lambda failure: failure.line or 0)  # in the file's order
    return tuple(replies), [replace(failure, via=via) for failure in failures]


def _stages(spec: BotSpec) -> Stages:
    """The stages built from ``spec`` alone (see :class:`Stages`), built once for all its
    conversations: on 470 intents, building the routing index for each of 18 scripts took
    5.4 s of `servicebot test`'s 7.9 s. Only the last spec's are kept: the bot under test."""
    with _SHARING:
        if not _LAST or _LAST[0].spec is not spec:
            _LAST[:] = [Stages.build(spec)]
        return _LAST[0]
