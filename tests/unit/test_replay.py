"""Cassettes: recording, replaying, the miss diff, and the file a reviewer reads."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path

import pytest

from servicebot import Bot, BotSpec, notices
from servicebot.cassette import Cassette, ReplayMissError
from servicebot.cassetteformat import request_key
from servicebot.errors import ServicebotError
from servicebot.model import Completion, ModelError, ModelRequest, Usage
from servicebot.replay import Replayer, add_hand_written, stream_chunks
from servicebot.settings import ReplaySettings
from servicebot.store.memory import MemoryStore
from tests.conftest import at_once
from tests.unit.recordings import ANSWER, SYSTEM, TODAY, FakeModel, completion, record, request


def collect(chunks: AsyncIterator[str | Completion]) -> list[str | Completion]:
    async def run() -> list[str | Completion]:
        return [chunk async for chunk in chunks]

    return asyncio.run(run())


# --- recording and replaying -----------------------------------------------------------------


def test_recorded_reply_replays_without_the_model(tmp_path: Path) -> None:
    path = tmp_path / "replies.yaml"
    model = record(path, request())
    assert Replayer(path, "replay").complete(request()) == completion()
    assert model.calls == 1
    assert Replayer(str(path), "replay").complete(request()) == completion()  # as Bot.load takes


def test_a_recorded_refusal_replays_as_a_refusal(tmp_path: Path) -> None:
    path = tmp_path / "replies.yaml"
    refused = Completion("", "stop", Usage(120, 9), "gpt-4o", refusal="I can't help with that.")
    Replayer(path, "record", FakeModel().enqueue(refused), today=lambda: TODAY).complete(request())
    assert "refusal: I can't help with that." in path.read_text(encoding="utf-8")
    assert Replayer(path, "replay").complete(request()) == refused


def test_a_recorded_answer_all_reasoning_replays_as_one(tmp_path: Path) -> None:
    # Replayed without its reasoning, it was an empty answer: the turn no longer fell back
    # with a "reasoning_only" event and the log's "raise model.max_tokens", as it did live.
    path = tmp_path / "replies.yaml"
    thought = Completion("", "length", Usage(120, 400), "qwen3", reasoning=1840)
    Replayer(path, "record", FakeModel().enqueue(thought), today=lambda: TODAY).complete(request())
    replayed = Replayer(path, "replay").complete(request())
    assert replayed == thought and replayed.declined() == "reasoning_only"


def test_async_replay(tmp_path: Path) -> None:
    path = tmp_path / "replies.yaml"
    record(path, request())
    assert asyncio.run(Replayer(path, "replay").acomplete(request())) == completion()


def test_stream_replays_the_content_in_chunks_then_the_completion(tmp_path: Path) -> None:
    path = tmp_path / "replies.yaml"
    record(path, request())
    *chunks, final = Replayer(path, "replay").stream(request())
    assert final == completion()
    assert "".join(str(chunk) for chunk in chunks) == ANSWER
    assert len(chunks) > 3 and all(len(str(chunk).split()) <= 3 for chunk in chunks)


def test_astream_replays_like_stream(tmp_path: Path) -> None:
    path = tmp_path / "replies.yaml"
    record(path, request())
    replayer = Replayer(path, "replay")
    assert collect(replayer.astream(request())) == list(replayer.stream(request()))


def test_chinese_streams_in_a_few_characters_at_a_time() -> None:
    text = "您好，您的订单已经发货了。预计三天内送达，请注意查收。"
    chunks = stream_chunks(text)
    assert "".join(chunks) == text
    assert chunks[:3] == ["您好，", "您的订单", "已经发货"]
    assert all(1 <= len(chunk) <= 4 for chunk in chunks)


@pytest.mark.parametrize(
    "text", ["", "  leading", "one", "a b c d e f g", "mixed 中文 and English，好。", "x\n\n\ty  "]
)
def test_chunks_always_join_back_to_the_text(text: str) -> None:
    assert "".join(stream_chunks(text)) == text


def test_streaming_record_passes_deltas_through_and_records_the_final_completion(
    tmp_path: Path,
) -> None:
    path = tmp_path / "replies.yaml"
    recorder = Replayer(path, "record", FakeModel().enqueue(completion()), today=lambda: TODAY)
    *deltas, final = recorder.stream(request())
    assert deltas == ANSWER.split(" ") and final == completion()
    assert Replayer(path, "replay").complete(request()) == completion()


def test_async_streaming_record(tmp_path: Path) -> None:
    path = tmp_path / "replies.yaml"
    recorder = Replayer(path, "record", FakeModel().enqueue(completion()), today=lambda: TODAY)
    assert collect(recorder.astream(request()))[-1] == completion()
    recorder = Replayer(path, "record", FakeModel().enqueue(completion("Again.")))
    assert asyncio.run(recorder.acomplete(request())).text == "Again."
    assert Replayer(path, "replay").complete(request()).text == "Again."


def test_a_live_outage_is_re_raised_and_not_recorded(tmp_path: Path) -> None:
    """A recording is what the model said; an outage to test is scripted (model_error)."""
    path = tmp_path / "replies.yaml"
    Replayer(path, "record", FakeModel().enqueue(completion()), today=lambda: TODAY).complete(
        request()
    )
    before = path.read_bytes()
    calls: list[Callable[[Replayer], object]] = [
        lambda recorder: recorder.complete(request()),
        lambda recorder: list(recorder.stream(request())),
        lambda recorder: asyncio.run(recorder.acomplete(request())),
    ]
    for call in calls:
        model = FakeModel().enqueue(ModelError("connection", "Connection error."))
        with pytest.raises(ModelError, match="Connection error"):
            call(Replayer(path, "record", model, today=lambda: TODAY))
        assert path.read_bytes() == before  # the earlier answer is kept, no outage written


def test_a_scripted_outage_replays_as_that_kind(tmp_path: Path) -> None:
    path = tmp_path / "replies.yaml"
    add_hand_written(path, request(), error="rate_limit")
    replayer = Replayer(path, "replay")
    for call in (
        lambda: replayer.complete(request()),
        lambda: list(replayer.stream(request())),
        lambda: asyncio.run(replayer.acomplete(request())),
    ):
        with pytest.raises(ModelError) as raised:
            call()
        assert raised.value.kind == "rate_limit" and "recorded outage" in str(raised.value)


def test_recording_the_same_request_again_replaces_its_entry_in_place(tmp_path: Path) -> None:
    path = tmp_path / "replies.yaml"
    first, second = request(user="first"), request(user="second")
    record(path, first, second)
    record(path, first, text="A better answer.")
    cassette = Cassette.load(path)
    assert list(cassette.entries) == [request_key(first), request_key(second)]
    assert Replayer(path, "replay").complete(first).text == "A better answer."
    assert path.read_text(encoding="utf-8").count("- key:") == 2


def test_recordings_from_many_threads_all_land(tmp_path: Path) -> None:
    path = tmp_path / "replies.yaml"
    requests = [request(user=f"question {i}") for i in range(8)]
    at_once(*(functools.partial(record, path, each) for each in requests))
    assert set(Cassette.load(path).entries) == {request_key(each) for each in requests}
    assert not [name for name in path.parent.iterdir() if name.name.startswith(".")]


# --- the key -------------------------------------------------------------------------------------


def test_the_key_depends_on_model_messages_and_params_only() -> None:
    key = request_key(request())
    assert len(key) == 16 and int(key, 16) >= 0
    assert request_key(request()) == key
    assert request_key(request(temperature=0.2, max_tokens=500)) == key
    assert request_key(request(max_tokens=500, temperature=0.2)) == key  # key order: no matter
    assert request_key(request(temperature=0.3, max_tokens=500)) != key
    assert request_key(request(user="Where is my order ?")) != key
    assert request_key(request(stop=("a",))) == request_key(request(stop=["a"]))
    assert request_key(request(temperature=1)) == request_key(request(temperature=1.0))


# --- misses ----------------------------------------------------------------------------------


def test_a_miss_shows_a_diff_against_the_closest_recording(tmp_path: Path) -> None:
    path = tmp_path / "replies.yaml"
    record(path, request(user="What are your opening hours?"), request(), request(user="Hi"))
    edited = request(system=SYSTEM.replace("Be brief.", "Be brief and friendly."))
    with pytest.raises(ReplayMissError) as raised:
        Replayer(path, "replay").complete(edited)
    message = str(raised.value)
    assert message.startswith(f"no recorded reply in {path} for this request (key ")
    assert f"closest recorded request ({path}:" in message
    assert "\n-Be brief.\n+Be brief and friendly.\n" in message
    assert "\n Where is my order?" in message  # the closest one, not another question
    assert "servicebot record" in message


def test_a_miss_names_changed_params_and_model(tmp_path: Path) -> None:
    path = tmp_path / "replies.yaml"
    record(path, request())
    changed = ModelRequest("gpt-4o", request().messages, {"temperature": 0.7, "max_tokens": 500})
    with pytest.raises(ReplayMissError) as raised:
        Replayer(path, "replay").complete(changed)
    message = str(raised.value)
    assert "\n-model: gpt-4o-mini\n+model: gpt-4o\n" in message
    assert "\n-params.temperature: 0.2\n+params.temperature: 0.7\n" in message


def test_a_miss_on_a_missing_or_empty_cassette_says_how_to_record(tmp_path: Path) -> None:
    path = tmp_path / "replies.yaml"
    with pytest.raises(ReplayMissError, match="the cassette does not exist; record it with"):
        Replayer(path, "replay").complete(request())
    path.write_text("entries: []\n", encoding="utf-8")
    with pytest.raises(ReplayMissError, match=r"has no entries; .*`servicebot record`"):
        list(Replayer(path, "replay").stream(request()))


def test_a_miss_on_the_bots_own_cassette_says_replay_mode_record_fills_it(
    spec: BotSpec, tmp_path: Path
) -> None:
    """`servicebot record` writes the conversations' cassettes, never bot.yaml: a bot set to
    ``replay.mode: replay`` is told what does (and needs no API key to replay)."""
    replay = ReplaySettings(mode="replay", cassettes=str(tmp_path))
    bot = Bot(replace(spec, settings=spec.settings.model_copy(update={"replay": replay})))
    bot._store = MemoryStore()
    for recorded in (False, True):
        if recorded:  # then a miss shows the closest request, and ends with the same advice
            add_hand_written(tmp_path / "bot.yaml", request(), "Hello.")
        with pytest.raises(ReplayMissError) as raised:
            bot.reply("Can I change the delivery address of my order?")
        message = str(raised.value)
        assert f"no recorded reply in {tmp_path / 'bot.yaml'}" in message
        assert "set replay.mode: record in servicebot.yaml and run the bot" in message
        assert "servicebot record" not in message


def test_a_miss_is_not_a_model_error_so_no_fallback_hides_it() -> None:
    assert issubclass(ReplayMissError, ServicebotError)
    assert not issubclass(ReplayMissError, ModelError)


def test_a_replayed_answers_usage_is_not_compared_with_servicebots_count(
    spec: BotSpec, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Under replay.mode: replay, `servicebot chat` warned "the server counted 5000 prompt
    # tokens where servicebot counted ...", though no server was asked: the count was the
    # recording's, of the prompt as it was then.
    path = tmp_path / "bot.yaml"
    answer = Completion(ANSWER, "stop", Usage(5000, 9), "gpt-4o-mini")
    message = "Can I change the delivery address of my order?"
    live = Bot(spec, model=Replayer(path, "record", FakeModel().enqueue(answer)))
    live._store = MemoryStore()
    with caplog.at_level(logging.WARNING, logger="servicebot"):
        live.reply(message, "c")
        assert len(caplog.messages) == 1 and "the server counted 5000" in caplog.messages[0]
        caplog.clear()
        notices._said.clear()  # said once per process: as a new process would
        replayed = Bot(spec, model=Replayer(path, "replay"), store=MemoryStore())
        replayed_reply = replayed.reply(message, "c")
    assert caplog.messages == []
    model = replayed_reply.step("model")
    assert model is not None and model.detail["prompt_tokens"] == 5000  # still shown


def test_a_miss_on_a_keyless_bots_own_cassette_asks_for_no_api_key(
    spec: BotSpec, tmp_path: Path
) -> None:
    # It said "with the model's API key set" to a bot on a local server that takes none.
    replay = ReplaySettings(mode="replay", cassettes=str(tmp_path))
    model = spec.settings.model.model_copy(
        update={"api_key_env": None, "base_url": "http://127.0.0.1:8765/v1"}
    )
    settings = spec.settings.model_copy(update={"replay": replay, "model": model})
    bot = Bot(replace(spec, settings=settings), store=MemoryStore())
    with pytest.raises(ReplayMissError) as raised:
        bot.reply("Can I change the delivery address of my order?")
    message = str(raised.value)
    assert "API key set" not in message
    assert message.endswith(
        "set replay.mode: record in servicebot.yaml and run the bot (`servicebot chat`, or "
        "Bot.reply() in code) with its server at model.base_url running to record it (no API "
        "key: model.api_key_env is null)"
    )
