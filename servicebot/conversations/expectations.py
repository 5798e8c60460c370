"""What a conversation's turn expects (its ``expect:`` key), and the checks of a reply against
it: the action and intent, the reply's text, filter events, stage decisions, the prompt sent
to the model and the turn as stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Annotated, Any, NamedTuple

from pydantic import AfterValidator, BeforeValidator, Field

from ..faq import Intent
from ..model import ModelRequest
from ..reply import Action, Reply
from ..settings import Frozen, RoutingSettings
from ..store import TurnRecord
from ..validation import closest, suggest
from .causes import action_cause, model_cause

STAGES = ("store", "prefilter", "routing", "prompt", "cache", "model", "postfilter")
_SHOWN = 3000  # characters of a prompt or stored turn shown when a check on it fails
_NO_SUCH_INTENT = ", but the bot has no intent of that name"


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


class Check(NamedTuple):
    """An expectation a reply did not meet: which (its key), what it expected, what came, and
    the line that says why, when the check can tell (``because the model call failed``)."""

    check: str
    expected: str
    got: str
    because: str | None = None


def expectation_checks(
    expect: Expectations,
    reply: Reply,
    request: ModelRequest | None,
    stored: TurnRecord | None,
    intents: Sequence[Intent],
    settings: RoutingSettings,
) -> Iterator[Check]:
    if expect.action is not None and reply.action != expect.action:
        # A fallback says why (the post-filter, a model error); a model's answer where none
        # was expected says where routing sent the message.
        cause = action_cause(reply) or model_cause(expect.action, reply, intents, settings)
        got = f"action {reply.action}: {reply.text!r}"
        yield Check("action", f"action {expect.action}", got, cause)
    if "intent" in expect.model_fields_set and reply.intent != expect.intent:
        yield _intent_check(expect.intent, reply, intents)
    yield from _text_checks(expect, reply.text)
    for event in expect.events:
        if not any(_same(event, found) for found in reply.events):
            found = ", ".join(_event(e) for e in reply.events) or "no events"
            yield Check("events", f"an event {_event(event)}", found)
    for stage, decision in expect.stages.items():
        decided = [step.decision for step in reply.trace if step.stage == stage]
        said = " then ".join(map(repr, decided))
        if decision is None and decided:
            yield Check("stages", f"no {stage} stage", f"stage {stage}: {said}")
        elif decision is not None and not any(decision in made for made in decided):
            got = f"stage {stage}: {said}" if said else f"no {stage} stage in the turn's trace"
            yield Check("stages", f"stage {stage} to decide {decision!r}", got)
    if expect.prompt is not None:
        sent = "\n".join(m.content for m in request.messages) if request else None
        yield from _part_checks("prompt", "the prompt", expect.prompt, sent)
    if expect.stored is not None:
        kept = f"{stored.customer_text}\n{stored.reply_text}" if stored else None
        yield from _part_checks("stored", "the stored turn", expect.stored, kept)


def stale_intent(
    expect: Expectations,
    reply: Reply | None,
    intents: Sequence[Intent],
    earlier: tuple[int, Reply] | None = None,
) -> Check | None:
    """The intent check of a turn whose ``expect: intent:`` names no intent of the bot, for a
    turn whose recording missed (``reply``: the turn answered as an outage) or that did not
    run, as an earlier turn's missed (``reply`` None; ``earlier``, the number and reply of a
    turn that ran expecting the same name). Renaming an intent changes the prompt too, so
    every such turn misses: its miss alone would hide the stale name until the script was
    recorded again."""
    name = expect.intent
    if name is None or "intent" not in expect.model_fields_set:
        return None
    if name in (intent.name for intent in intents):
        return None
    if reply is not None:
        return _intent_check(name, reply, intents)
    got = "a turn that did not run, as an earlier turn has no recorded model reply"
    if earlier is None or earlier[1].intent is None:
        return Check("intent", f"intent {name}{_unknown(name, intents, None)}", got)
    number, went = earlier
    said = f"turn {number}, which expects it too, went to {went.intent} ({went.score or 0:.3f})"
    return Check("intent", f"intent {name}{_NO_SUCH_INTENT}; {said}: was it renamed?", got)


def _intent_check(name: str | None, reply: Reply, intents: Sequence[Intent]) -> Check:
    """The intent check of a turn expecting intent ``name`` (None: no intent) that ``reply``
    did not go to."""
    got = f"intent {reply.intent} ({reply.score or 0:.3f})" if reply.intent else "no intent"
    wanted = f"intent {name}" if name else "no intent"
    return Check("intent", f"{wanted}{_unknown(name, intents, reply)}", got)


def _unknown(name: str | None, intents: Sequence[Intent], reply: Reply | None) -> str:
    """What to add to an expected intent that is no intent's name: a typo in the script, or
    an intent renamed since it was written. The intent the turn went to is then the likeliest
    new name, more than the closest spelling (cancel_order renamed order_cancellation is
    nearer change_order_items)."""
    names = [intent.name for intent in intents]
    if name is None or name in names:
        return ""
    unknown = _NO_SUCH_INTENT
    close = closest(name, names)
    if reply is not None and reply.intent is not None:
        score = f"{reply.score or 0:.3f}"
        if reply.intent == close:  # a typo of where the turn went
            return f"{unknown}; this turn went to {reply.intent} ({score}): did you mean it?"
        return f"{unknown}; this turn went to {reply.intent} ({score}): was it renamed?"
    return unknown + (f" (did you mean '{close}'?)" if close else "")


def _text_checks(expect: Expectations, text: str) -> Iterator[Check]:
    shown = f"the reply {text!r}"
    yield from _containing(expect, text, "the reply", shown, ("contains", "not_contains"))
    if expect.regex is not None and not re.search(expect.regex, text):
        yield Check("regex", f"the reply to match '{expect.regex}'", shown)  # a regex as typed
    if expect.max_length is not None and len(text) > expect.max_length:
        yield Check(
            "max_length", f"at most {expect.max_length} characters", f"{len(text)}: {text!r}"
        )


def _part_checks(check: str, what: str, spec: TextSpec, text: str | None) -> Iterator[Check]:
    if text is None:
        missing = "no model call this turn" if check == "prompt" else "the turn was not stored"
        if spec.contains or spec.not_contains:
            yield Check(check, f"{what} to be checked", missing)
        return
    shown = text if len(text) <= _SHOWN else f"{text[:_SHOWN]}... ({len(text) - _SHOWN} more)"
    yield from _containing(spec, text, what, f"{what}:\n{shown}", (check, check))


def _containing(
    spec: Expectations | TextSpec, text: str, what: str, shown: str, checks: tuple[str, str]
) -> Iterator[Check]:
    """``spec``'s contains and not_contains checks of ``text``, named ``checks``."""
    for wanted in spec.contains:
        if wanted not in text:
            yield Check(checks[0], f"{what} to contain {wanted!r}", shown)
    for unwanted in spec.not_contains:
        if unwanted in text:
            yield Check(checks[1], f"{what} not to contain {unwanted!r}", shown)


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
