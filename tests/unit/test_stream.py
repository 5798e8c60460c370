"""Model answers as the customer gets them: answers broken off at the token limit, halves of
characters, a client with no model named, and the post-filter's review of a stream (tags,
repairs, titles, a Chinese full stop, max_chars). Streams stopped early are in
test_stream_stops.py."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from servicebot.config import BotSpec
from servicebot.model import AnswersAtOnce, Completion, ModelRequest
from servicebot.pipeline import Bot, Reply
from servicebot.replay import Replayer
from servicebot.settings import ModelSettings
from servicebot.store.memory import MemoryStore
from tests.unit.streammodels import FIRST, REFUNDS, Says


def test_an_answer_broken_off_at_the_token_limit_keeps_its_whole_sentences(
    spec: BotSpec,
) -> None:
    model = Says(f"{FIRST} Your bank then takes up to 5 busin", "length")
    bot = Bot(spec, model=model, store=MemoryStore())
    reply = bot.reply(REFUNDS, conversation_id="a")
    assert (reply.text, reply.action) == (FIRST, "answer")
    assert ("length", "cut_off") in {(e.detector, e.kind) for e in reply.events}
    assert bot.store.history("a")[0].reply_text == FIRST
    assert "".join(bot.stream(REFUNDS, conversation_id="b")) == FIRST
    assert model.calls == 2  # the broken answer was not cached for the next customer


class Echoes(AnswersAtOnce):
    """A model that answers with the customer's message, as sent to it."""

    def complete(self, request: ModelRequest) -> Completion:
        for message in request.messages:
            message.content.encode("utf-8")  # what the SDK does first: a surrogate fails here
        return Completion(f"{request.messages[-1].content}.")


def test_halves_of_characters_are_made_whole_before_the_model_sees_them(spec: BotSpec) -> None:
    bot = Bot(spec, model=Echoes(), store=MemoryStore())
    reply = bot.reply(
        "refund \ud83d please \ud83d\ude00", conversation_id="s", metadata={"name": "A\udc00da"}
    )
    assert reply.action == "answer"  # once a "broken_response" outage and a handoff
    assert "refund \ufffd please \U0001f600" in reply.text


def test_a_client_passed_to_the_bot_answers_when_no_model_is_named(spec: BotSpec) -> None:
    unnamed = dataclasses.replace(
        spec, settings=spec.settings.model_copy(update={"model": ModelSettings()})
    )
    bot = Bot(unnamed, model=Echoes(), store=MemoryStore())
    reply = bot.reply(REFUNDS, conversation_id="n")  # once a ValueError on every model turn
    assert (reply.action, reply.text) == ("answer", f"{REFUNDS}.")


def test_a_broken_off_answer_ends_at_a_sentence_that_is_surely_over(spec: BotSpec) -> None:
    for answer, kept in [
        (
            "您好。Maple Market 的退货期为30天。iPhone 需在7天内退",
            "您好。Maple Market 的退货期为30天。",
        ),
        ("您的订单号是 A12345。", "您的订单号是 A12345。"),  # a 。 that ends the answer ends it
        ("Refunds take 5 days. Standard shipping costs $5.", "Refunds take 5 days."),  # $5.99
        ("Sure. Let me check… Refunds take 5 busin", "Sure. Let me check…"),
        ("Refunds take 5 days. Ask Mr. Smith or bring e.g. a recei", "Refunds take 5 days."),
    ]:
        bot = Bot(spec, model=Says(answer, "length"), store=MemoryStore())
        assert bot.reply(REFUNDS, conversation_id="a").text == kept
        assert "".join(bot.stream(REFUNDS, conversation_id="b")) == kept  # shown once, not twice
        assert bot.store.history("b")[0].reply_text == kept


def test_a_traditional_chinese_customer_reads_the_post_filters_words_in_traditional(
    spec: BotSpec,
) -> None:
    model = Says("請撥打 400-123-4567 聯繫我們，我們會打給[PHONE_3]。")
    reply = Bot(spec, model=model, store=MemoryStore()).reply("我的訂單到哪了？")
    assert reply.text == "請撥打 [已刪除] 聯繫我們，我們會打給您的電話號碼。"


def test_a_tag_split_across_sentences_never_reaches_a_streaming_customer(spec: BotSpec) -> None:
    answer = f'{FIRST} <img src=x alt="Done. Really." onerror=alert(1)> Anything else?'
    bot = Bot(spec, model=Says(answer), store=MemoryStore())
    shown = "".join(bot.stream(REFUNDS, conversation_id="s"))
    assert "<img" not in shown and "onerror" not in shown
    assert shown == bot.reply(REFUNDS, conversation_id="r").text == f"{FIRST}  Anything else?"


def test_a_stream_joins_what_the_model_was_sent_once_for_all_its_reviews(spec: BotSpec) -> None:
    # Each sentence's review joined the history and the customer's message anew.
    answer = " ".join(f"Your order {n} is on its way." for n in range(20))
    bot = Bot(spec, model=Says(answer), store=MemoryStore())
    said: list[str] = []
    run = bot.postfilter.run

    def recording(text: str, *args: str) -> object:
        said.append(args[3])
        return run(text, *args)  # type: ignore[arg-type]

    bot.postfilter.run = recording  # type: ignore[method-assign]
    assert "".join(bot.stream(REFUNDS, conversation_id="s")) == answer
    assert len(said) > 10 and REFUNDS in said[0]
    assert all(text is said[0] for text in said)


def test_a_model_that_runs_on_is_reviewed_once_past_max_chars(spec: BotSpec) -> None:
    # Every sentence was reviewed with the whole answer before it: a 100 KB answer took
    # minutes, blocking an asyncio server's loop.
    answer = " ".join(f"Your order {n} is on its way." for n in range(4000))
    bot = Bot(spec, model=Says(answer), store=MemoryStore())
    reviewed: list[int] = []
    run = bot.postfilter.run

    def counting(text: str, *args: object) -> object:
        reviewed.append(len(text))
        return run(text, *args)  # type: ignore[arg-type]

    bot.postfilter.run = counting  # type: ignore[method-assign]
    shown = "".join(bot.stream(REFUNDS, conversation_id="s"))
    assert shown == bot.reply(REFUNDS, conversation_id="r").text
    assert len(shown) <= spec.settings.postfilter.max_chars
    assert sum(reviewed) < 3 * len(answer)


def test_a_repaired_answer_is_not_kept_for_the_next_customer(spec: BotSpec) -> None:
    # Cached, it was repaired again for every customer who asked within the hour: "[removed]"
    # where the model, asked again, may well give the right number.
    model = Says("Call our refunds desk at +1 415-555-0134 and they will help.")
    bot = Bot(spec, model=model, store=MemoryStore())
    assert spec.settings.cache.enabled
    for conversation in ("a", "b"):
        reply = bot.reply(REFUNDS, conversation_id=conversation)
        assert reply.text == "Call our refunds desk at [removed] and they will help."
    assert model.calls == 2


def test_a_stream_shows_a_sentence_with_a_title_in_it_whole(spec: BotSpec) -> None:
    answer = "Mr. Smith will call you, e.g. tomorrow. Dr. Lee approves refunds."
    bot = Bot(spec, model=Says(answer), store=MemoryStore())
    assert list(bot.stream(REFUNDS, conversation_id="s")) == [
        "Mr. Smith will call you, e.g. tomorrow.",
        " Dr. Lee approves refunds.",
    ]


class InChunks(AnswersAtOnce):
    """A model that streams its answer in the chunks given."""

    def __init__(self, *chunks: str) -> None:
        self.chunks = chunks

    def complete(self, request: ModelRequest) -> Completion:
        return Completion("".join(self.chunks))

    def stream(self, request: ModelRequest) -> Iterator[str | Completion]:
        yield from self.chunks
        yield Completion("".join(self.chunks))


def test_a_stream_waits_past_a_chinese_full_stop_that_may_be_an_address_dot(
    spec: BotSpec,
) -> None:
    # "help@maple-pay。" was shown as a sentence; "com" then made it an invented address.
    model = InChunks("退款需要5个工作日。请联系 help@maple-pay。", "com 付款。")
    bot = Bot(spec, model=model, store=MemoryStore())
    shown = list(bot.stream(REFUNDS, conversation_id="s"))
    assert shown == ["退款需要5个工作日。", "请联系 [removed] 付款。"]


def test_a_repair_of_shown_text_shows_the_repaired_sentence_again_not_the_whole_answer(
    spec: BotSpec,
) -> None:
    # With dots ("f. U. C."), the letters are held as a link written out may be: not shown.
    model = InChunks("Refunds take 5 days. You f! U! C! ", "K! Ing idiot.")
    bot = Bot(spec, model=model, store=MemoryStore())
    shown = "".join(bot.stream(REFUNDS, conversation_id="s"))
    assert shown == "Refunds take 5 days. You f! U! C!\n\nYou ****! Ing idiot."
    assert bot.store.history("s")[0].reply_text == shown


class Listed(Says):
    """A model client whose stream is a plain iterator, with no ``close``."""

    def stream(self, request: ModelRequest) -> Iterator[str | Completion]:
        return iter([*super().stream(request)])


@pytest.mark.parametrize(
    ("answer", "too_long"),
    [
        # Long as sent, short as the post-filter measures it (tags removed): read whole.
        ("".join(f"<li><span>Step {n}: pack the item in its box.</span></li>\n" for n in range(30))
         + "The refund reaches your card within 2 business days.", "repair"),
        # Too long either way, with the operator's policy for it: the same verdict.
        (" ".join(f"Your order {n} is on its way." for n in range(400)), "repair"),
        (" ".join(f"Your order {n} is on its way." for n in range(400)), "fallback"),
        ("Refunds   take   2   days.   " * 100, "handoff"),
    ],
)  # fmt: skip
def test_a_stream_that_stops_reading_past_max_chars_ends_as_reply_does(
    spec: BotSpec, answer: str, too_long: str
) -> None:
    postfilter = spec.settings.postfilter.model_copy(update={"too_long": too_long})
    settings = spec.settings.model_copy(update={"postfilter": postfilter})
    spec = dataclasses.replace(spec, settings=settings)
    for model in (Says(answer), Listed(answer)):
        bot = Bot(spec, model=model, store=MemoryStore())
        bot.cache = None
        stream = bot.stream(REFUNDS, conversation_id="s")
        shown = "".join(stream)
        whole = bot.reply(REFUNDS, conversation_id="r")
        assert stream.reply is not None
        assert (stream.reply.action, stream.reply.events) == (whole.action, whole.events)
        if too_long == "repair":  # else the stream showed sentences before the fallback
            assert shown == whole.text


def test_a_recorded_stream_that_stops_past_max_chars_replays(spec: BotSpec, tmp_path: Path) -> None:
    # The recorder wrote a stream down only when its final Completion came, which a stream
    # that stops reading never gets: the next replay of the turn found no recording.
    answer = " ".join(f"Your order {n} is on its way." for n in range(4000))
    cassette, longest = tmp_path / "bot.yaml", spec.settings.postfilter.max_chars
    for streamed in ("stream", "astream"):
        live = Replayer(cassette, "record", Says(answer), longest=longest)
        recorded = _streamed(Bot(spec, model=live, store=MemoryStore()), streamed)
        replayed = _streamed(
            Bot(spec, model=Replayer(cassette, "replay"), store=MemoryStore()), streamed
        )
        assert replayed == recorded and 1000 < len(recorded) <= longest
        cassette.unlink()


def test_a_recorded_stream_that_stops_past_max_bytes_replays(spec: BotSpec, tmp_path: Path) -> None:
    # Stopped at 2,048 bytes, about 680 Chinese characters: short of max_chars (1,200), the
    # recorder took it for a stream its reader left, and recorded nothing to replay.
    postfilter = spec.settings.postfilter.model_copy(update={"max_bytes": 2048})
    spec = dataclasses.replace(
        spec, settings=spec.settings.model_copy(update={"postfilter": postfilter})
    )
    answer = "退款会在两个工作日内到账。" * 1000
    cassette = tmp_path / "bot.yaml"
    live = Replayer(cassette, "record", Says(answer), longest=1200, longest_bytes=2048)
    recorded = _streamed(Bot(spec, model=live, store=MemoryStore()), "stream")
    replayed = _streamed(
        Bot(spec, model=Replayer(cassette, "replay"), store=MemoryStore()), "stream"
    )
    assert replayed == recorded and 2000 < len(recorded.encode()) <= 2048


def _streamed(bot: Bot, streamed: str) -> str:
    if streamed == "stream":
        return "".join(bot.stream(REFUNDS))

    async def read() -> str:
        return "".join([piece async for piece in bot.astream(REFUNDS)])

    return asyncio.run(read())


@pytest.mark.parametrize(
    ("answer", "text"),
    [
        ("Sure. It ships today.\n\n", "Sure. It ships today."),
        ("\n\n  Sure. It ships today.  \n", "Sure. It ships today."),
        ("好的。今天发货。\n\n", "好的。今天发货。"),
    ],
)
def test_the_whitespace_around_a_models_answer_is_never_shown_nor_stored(
    spec: BotSpec, answer: str, text: str
) -> None:
    # It was: reply.text "Sure. It ships today.\n\n", and a stream's last piece "\n\n", which a
    # chat widget shows as an empty bubble.
    whole = Bot(spec, model=Says(answer), store=MemoryStore())
    assert whole.reply(REFUNDS, conversation_id="r").text == text
    assert whole.store.history("r")[0].reply_text == text
    for streamed in ("stream", "astream"):
        bot = Bot(spec, model=Says(answer), store=MemoryStore())
        pieces = _pieces(bot, streamed)
        assert "".join(pieces) == text and all(piece.strip() for piece in pieces), pieces
        assert bot.store.history("s")[0].reply_text == text


def _pieces(bot: Bot, streamed: str) -> list[str]:
    if streamed == "stream":
        return list(bot.stream(REFUNDS, conversation_id="s"))

    async def read() -> list[str]:
        return [piece async for piece in bot.astream(REFUNDS, conversation_id="s")]

    return asyncio.run(read())


class Counted(Says):
    """A model that streams as :class:`Says` does, counting the pieces it has sent."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.sent, self.said = 0, ""

    def stream(self, request: ModelRequest) -> Iterator[str | Completion]:
        for piece in super().stream(request):
            if isinstance(piece, str):
                self.sent, self.said = self.sent + 1, self.said + piece
            yield piece


@pytest.mark.parametrize(
    "answer",
    [
        "Sure. Visit evil . com / pay to finish.",
        "Sure. Visit www. evil. com/pay",
        "好的。请访问 evil 。com/pay 办理退款。",
        "Sure. Visit evil.\ncom/pay now.",
    ],
)
@pytest.mark.parametrize("chunks", ["words", "characters"])
def test_a_stream_never_shows_part_of_a_link_written_out(
    spec: BotSpec, answer: str, chunks: str
) -> None:
    # "Visit evil ." was shown as a sentence, then "Visit [removed] to finish." again.
    model = Says(answer) if chunks == "words" else InChunks(*answer)
    bot = Bot(spec, model=model, store=MemoryStore())
    stream = bot.stream(REFUNDS, conversation_id="s")
    pieces = list(stream)
    whole = Bot(spec, model=Says(answer), store=MemoryStore()).reply(REFUNDS)
    assert not any("evil" in piece for piece in pieces), pieces
    assert "".join(pieces) == whole.text and stream.reply is not None
    assert stream.reply.text == whole.text and "[removed]" in whole.text


@pytest.mark.parametrize(
    ("answer", "first", "sent"),
    [
        ("Thanks.\nNet refunds take 5 days.", "Thanks.", "Thanks.\nNet refunds "),
        ("Step 1 . com port settings; open the app.", "Step 1 .", "Step 1 . com port "),
        ("To U.S. addresses only. Thanks.", "To U.S. addresses only.", "To U.S. addresses only. "),
        ("我买了 iPhone 。it works，谢谢。", *["我买了 iPhone 。it works，谢谢。"] * 2),
        ("Refunds take 5 days. Your bank may add more.", *["Refunds take 5 days."] * 2),
    ],
)  # fmt: skip
def test_a_held_sentence_is_shown_once_the_next_words_read_as_prose(
    spec: BotSpec, answer: str, first: str, sent: str
) -> None:
    # A dot a written link may use waits for the word after it; a plain "days. " does not.
    model = Counted(answer)
    bot = Bot(spec, model=model, store=MemoryStore())
    assert next((piece, model.said.rstrip(" ")) for piece in bot.stream(REFUNDS)) == (
        first,
        sent.rstrip(" "),
    )


@pytest.mark.parametrize("repeated", ["$5,000 ", "and then ", " 点 com", "www . a . com / "])
def test_a_stream_with_no_sentence_end_stops_reading_past_max_chars(
    spec: BotSpec, repeated: str
) -> None:
    # It read all 48 KB (7,000 pieces from a server), reviewing nothing until the end.
    answer = repeated * (48_000 // len(repeated))
    model = Counted(answer)
    bot = Bot(spec, model=model, store=MemoryStore())
    bot.cache = None
    stream = bot.stream(REFUNDS, conversation_id="s")
    shown = "".join(stream)
    whole = bot.reply(REFUNDS, conversation_id="r")
    read = sum(len(piece) + 1 for piece in answer.split(" ")[: model.sent])
    assert read < 4 * spec.settings.postfilter.max_chars < len(answer)
    assert stream.reply is not None and shown == stream.reply.text == whole.text
    assert _kinds(stream.reply) == _kinds(whole)  # the amounts counted only in what was read


def _kinds(reply: Reply) -> tuple[str, set[tuple[str, str, str]]]:
    return reply.action, {(e.detector, e.kind, e.action) for e in reply.events}
