"""A conversation handed to a person: the customer's messages left to them, the person's
messages added as turns, and the bot resuming with them in its history; on a SQLite file and
a Redis server, through the real pipeline and the local OpenAI-wire server."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from servicebot import handover
from servicebot.config import BotSpec
from servicebot.export import export_rows
from servicebot.report import Intents, build_report
from servicebot.store import now, open_store
from servicebot.store.holding import conversations_holding
from tests.e2e.conftest import STORES, asked, open_test_store, with_settings
from tests.openai_server import OpenAIServer

PERSON = "Hi, I'm Anna from the team. I've refunded order 4711: $45.99 is on its way."
INTENTS = Intents(handoff={"talk_to_human"}, known={"talk_to_human", "refund_status"})


def _held(spec: BotSpec, minutes: int = 30) -> BotSpec:
    return with_settings(spec, routing={"with_person_minutes": minutes})


@pytest.mark.parametrize("name", STORES)
def test_a_person_answers_after_a_handoff_and_the_bot_resumes_knowing_what_they_said(
    name: str,
    make_bot: Any,
    spec: BotSpec,
    server: OpenAIServer,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    store = open_test_store(name, tmp_path, request)
    bot = make_bot(store=store, spec=_held(spec))
    handoff = bot.reply("can i speak to a real person", conversation_id="t")
    assert handoff.handed_off
    # The customer writes while waiting: stored, masked, left to the person; no model call.
    waiting = bot.reply("please hurry, call me on 13800138000", conversation_id="t")
    assert (waiting.action, waiting.text, waiting.turn) == ("with_person", "", 2)
    assert server.requests == []
    person = bot.add_person_turn("t", PERSON, final=True)
    assert (person.action, person.text, person.turn) == ("person", PERSON, 3)
    assert server.requests == []
    # Back with the bot: its prompt has the customer's message (masked) and the person's.
    resumed = bot.reply("thanks! when will the refund arrive?", conversation_id="t")
    assert resumed.action == "answer" and resumed.turn == 4
    sent = asked(server)
    assert sent[-3:] == [
        {"role": "user", "content": "please hurry, call me on [PHONE_1]"},  # the person answered
        {"role": "assistant", "content": PERSON},
        {"role": "user", "content": "thanks! when will the refund arrive?"},
    ]
    stored = store.history("t")
    assert [t.action for t in stored] == ["handoff", "with_person", "person", "answer"]
    assert stored[1].customer_text == "please hurry, call me on [PHONE_1]"
    assert (stored[2].customer_text, stored[2].reply_text) == ("", PERSON)
    # The weekly review counts and exports them; the waiting message matched no intent
    # only because it was never routed, so it is no out-of-scope miss.
    week = store.conversations_since(now() - timedelta(days=7))
    report = build_report(week, now() - timedelta(days=7), INTENTS)
    assert (report.actions["person"], report.actions["with_person"]) == (1, 1)
    assert not report.out_of_scope
    rows = list(export_rows(week, now() - timedelta(days=7), INTENTS))
    assert [(r["action"], r["reply"]) for r in rows][1:3] == [
        ("with_person", ""),
        ("person", PERSON),
    ]
    bot.close()


def test_the_customers_message_given_with_a_persons_turn_is_masked_as_any_is(
    make_bot: Any, spec: BotSpec, server: OpenAIServer, tmp_path: Path
) -> None:
    # An application that stops calling reply() while a person has the conversation passes
    # the customer's message with the person's answer; the setting may stay off.
    store = open_store("sqlite:///turns.db", root=tmp_path)
    bot = make_bot(store=store)
    bot.reply("my email is ann@example.org, where is my order?", conversation_id="m")
    person = bot.add_person_turn("m", "I'll write to you there.", customer="ann@example.org?")
    assert person.action == "person" and not server.requests[1:]
    stored = store.history("m")[-1]
    assert (stored.customer_text, stored.reply_text) == ("[EMAIL_1]?", "I'll write to you there.")
    bot.close()


def test_a_person_has_the_conversation_until_released_or_the_timeout(
    make_bot: Any, spec: BotSpec, server: OpenAIServer, tmp_path: Path
) -> None:
    store = open_store("sqlite:///turns.db", root=tmp_path)
    bot = make_bot(store=store, spec=_held(spec, minutes=10))
    bot.reply("转人工", conversation_id="r")
    bot.add_person_turn("r", "您好，我是小王。")  # not final: the person keeps it
    assert bot.reply("好的，谢谢", conversation_id="r").action == "with_person"
    bot.release("r")
    assert bot.reply("where is my order?", conversation_id="r").action == "answer"
    # A handoff no person took up goes back to the bot after with_person_minutes.
    bot.reply("can i speak to a real person", conversation_id="o")
    state = store.load_state("o")
    assert state is not None and handover.with_person(state, 10)
    assert not handover.with_person(state, 10, at=now() + timedelta(minutes=10))
    bot.close()


def test_without_with_person_minutes_the_bot_answers_after_a_handoff_as_before(
    make_bot: Any, server: OpenAIServer
) -> None:
    bot = make_bot()
    assert bot.reply("can i speak to a real person", conversation_id="d").handed_off
    assert bot.reply("where is my order?", conversation_id="d").action == "answer"


def test_async_person_turns_and_release(make_bot: Any, spec: BotSpec, server: OpenAIServer) -> None:
    bot = make_bot(spec=_held(spec))

    async def conversation() -> list[str]:
        actions = [(await bot.areply("talk to a human", conversation_id="a")).action]
        actions.append((await bot.areply("hello?", conversation_id="a")).action)
        actions.append((await bot.aadd_person_turn("a", "I'm here.")).action)
        await bot.arelease("a")
        actions.append((await bot.areply("where is my order?", conversation_id="a")).action)
        return actions

    assert asyncio.run(conversation()) == ["handoff", "with_person", "person", "answer"]
    assert {"role": "assistant", "content": "I'm here."} in asked(server)


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_a_blank_person_turn_is_refused_and_nothing_is_stored(
    make_bot: Any, spec: BotSpec, server: OpenAIServer, text: str
) -> None:
    """A blank text (a value that went missing) was stored as an empty person turn, and
    started or extended the conversation's time with a person."""
    bot = make_bot(spec=_held(spec))
    bot.reply("where is my order?", conversation_id="b")
    with pytest.raises(ValueError, match="the person's text is blank"):
        bot.add_person_turn("b", text)
    with pytest.raises(ValueError, match="the person's text is blank"):
        asyncio.run(bot.aadd_person_turn("b", text, final=True))
    assert [t.action for t in bot.store.history("b")] == ["answer"]
    assert bot.reply("and when will it arrive?", conversation_id="b").action == "answer"


def test_a_person_who_joins_with_no_handoff_takes_the_conversation_unless_final(
    make_bot: Any, spec: BotSpec, server: OpenAIServer
) -> None:
    """An agent's message in a conversation never handed off holds it, as after a handoff
    (the customer's answer is meant for the agent), until released; ``final=True`` adds a
    message and leaves the conversation with the bot (the README's choice)."""
    bot = make_bot(spec=_held(spec))
    bot.reply("where is my order?", conversation_id="joined")
    bot.add_person_turn("joined", "Hi, Anna here: I'm looking into it.")
    assert bot.reply("thanks Anna", conversation_id="joined").action == "with_person"
    bot.release("joined")
    assert bot.reply("any news?", conversation_id="joined").action == "answer"
    bot.reply("where is my order?", conversation_id="noted")
    bot.add_person_turn("noted", "Your parcel left today.", final=True)
    assert bot.reply("when will it arrive?", conversation_id="noted").action == "answer"


def test_a_customers_value_a_person_types_back_is_stored_masked_and_found_for_erasure(
    make_bot: Any, spec: BotSpec, server: OpenAIServer, tmp_path: Path
) -> None:
    """An agent who typed the customer's number back stored it as typed: in the store, in
    the model's later prompts, and where ``history --holding`` / ``purge --holding`` (an
    erasure request) never found it. It gets the placeholder the customer's own has."""
    store = open_store("sqlite:///turns.db", root=tmp_path)
    bot = make_bot(store=store)
    bot.reply("please call me on 415 555 2671", conversation_id="p")
    typed = "I'll call you on 415-555-2671, or write to ann@example.org."
    person = bot.add_person_turn("p", typed, final=True)
    assert person.text == typed  # returned as written: it is the agent's message
    masked = "I'll call you on [PHONE_1], or write to [EMAIL_1]."
    assert store.history("p")[-1].reply_text == masked
    bot.reply("thanks, when?", conversation_id="p")
    assert {"role": "assistant", "content": masked} in asked(server)
    # A value only the agent typed finds the conversation too.
    found = conversations_holding(store, ["Ann@Example.org"])
    assert [(h.conversation_id, h.placeholders) for h in found] == [("p", ("[EMAIL_1]",))]
    bot.close()


def test_a_persons_message_delivered_twice_is_stored_once(
    make_bot: Any, spec: BotSpec, server: OpenAIServer
) -> None:
    """A chat platform that delivers an agent's message again (its webhook answered slowly)
    stored it twice: the customer's history showed it twice and the model read it twice.
    With its ``message_id``, the repeat stores nothing and gets the first's reply back."""
    bot = make_bot(spec=_held(spec))
    bot.reply("talk to a human, my number is 415 555 2671", conversation_id="twice")
    typed = "Hi, Anna here: I'll call 415 555 2671 now."
    first = bot.add_person_turn("twice", typed, message_id="slack-1")
    again = bot.add_person_turn("twice", typed, message_id="slack-1")
    assert (again.text, again.action, again.turn, again.repeated) == (typed, "person", 2, True)
    assert not first.repeated
    later = asyncio.run(bot.aadd_person_turn("twice", "Done.", final=True, message_id="slack-2"))
    again = asyncio.run(bot.aadd_person_turn("twice", "Done.", final=True, message_id="slack-2"))
    assert (again.turn, again.repeated) == (later.turn, True) == (3, True)
    assert [t.action for t in bot.store.history("twice")] == ["handoff", "person", "person"]
    assert [t.message_id for t in bot.store.history("twice")] == [None, "slack-1", "slack-2"]


def test_a_persons_text_past_max_chars_is_stored_cut_as_a_customers_message_is(
    make_bot: Any, spec: BotSpec, server: OpenAIServer
) -> None:
    """A person's text had no length limit: a 2 MB paste was stored whole, and the next
    prompt dropped the conversation's history to fit it. It is cut at ``prefilter.max_chars``
    as a customer's message is (at a space near the end, invisible characters gone first),
    with the same event in the reply, the trace and the store; ``reply.text`` stays whole."""
    bot = make_bot(spec=with_settings(spec, prefilter={"max_chars": 40}))
    pasted = "Hi, Anna here: your refund\u200b is on its way, " + "log line " * 300_000
    person = bot.add_person_turn("long", pasted, customer=pasted, final=True)
    stored = bot.store.history("long")[-1]
    assert stored.reply_text == stored.customer_text == "Hi, Anna here: your refund is on its"
    assert person.text == pasted  # what they wrote, as the platform delivered it
    cut = [(e.stage, e.detector, e.kind, e.action) for e in stored.events]
    assert cut == [("prefilter", "length", "too_long", "cut")] * 2  # the customer's, theirs
    assert [str(e) for e in person.events] == ["length too_long cut"] * 2
    steps = [step.detail for step in person.trace if step.stage == "person"]
    assert steps == [{"events": ["length too_long cut"]}]
    later = asyncio.run(bot.aadd_person_turn("long", "x" * 60, final=True))
    assert bot.store.history("long")[-1].reply_text == "x" * 40  # no space: at the limit
    assert [str(e) for e in later.events] == ["length too_long cut"]
    bot.add_person_turn("long", "Short and whole.", final=True)
    assert bot.store.history("long")[-1].events == ()


def test_a_persons_control_characters_are_stored_as_written_as_a_customers_are(
    make_bot: Any, spec: BotSpec, server: OpenAIServer
) -> None:
    """Control and invisible characters in a text that fits are kept as a customer's are
    (``history`` and ``chat`` print them as escapes: see test_store_cli.py); past the limit
    they go first, as a customer's do."""
    bot = make_bot(spec=with_settings(spec, prefilter={"max_chars": 30}))
    typed = "ok\x00 \x1b[31mred\u202e"
    bot.add_person_turn("raw", typed, customer=typed, final=True)
    stored = bot.store.history("raw")[-1]
    assert stored.reply_text == stored.customer_text == typed
    padded = "ok\x00 \x1b[31mred\u202e " + "\u200b" * 40
    bot.add_person_turn("raw", padded, customer=padded, final=True)
    stored = bot.store.history("raw")[-1]
    assert stored.reply_text == stored.customer_text == "ok  [31mred "  # ESC reads as a space
