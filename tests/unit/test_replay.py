"""Cassettes: recording, replaying, the miss diff, and the file a reviewer reads."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from servicebot import Bot, BotSpec
from servicebot.cassette import Cassette, ReplayMissError
from servicebot.cassetteformat import request_key
from servicebot.errors import ConfigError, ServicebotError
from servicebot.model import Completion, ErrorKind, ModelError, ModelRequest, Usage
from servicebot.prompt import Message
from servicebot.replay import Replayer, add_hand_written, stream_chunks
from servicebot.settings import ReplaySettings
from servicebot.store.memory import MemoryStore
from tests.conftest import at_once

SYSTEM = "You are the help desk of Shop.\nBe brief.\nNever invent phone numbers."
ANSWER = "It left our warehouse yesterday.\nTrack it with the link in your email."
TODAY = date(2024, 5, 1)


class FakeModel:
    """A ModelClient that answers from a queue: a Completion, or a ModelError to raise."""

    def __init__(self) -> None:
        self.queue: list[Completion | ModelError] = []
        self.calls = 0

    def enqueue(self, *outcomes: Completion | ModelError) -> FakeModel:
        self.queue += outcomes
        return self

    def _next(self) -> Completion:
        self.calls += 1
        outcome = self.queue.pop(0)
        if isinstance(outcome, ModelError):
            raise outcome
        return outcome

    def complete(self, request: ModelRequest) -> Completion:
        return self._next()

    async def acomplete(self, request: ModelRequest) -> Completion:
        return self._next()

    def stream(self, request: ModelRequest) -> Iterator[str | Completion]:
        completion = self._next()
        yield from completion.text.split(" ")  # deltas that do not join back: passed through
        yield completion

    async def astream(self, request: ModelRequest) -> AsyncIterator[str | Completion]:
        for item in self.stream(request):
            yield item


def request(
    system: str = SYSTEM, user: str = "Where is my order?", **params: object
) -> ModelRequest:
    messages = (Message("system", system), Message("user", user))
    return ModelRequest("gpt-4o-mini", messages, params or {"temperature": 0.2, "max_tokens": 500})


def completion(text: str = ANSWER) -> Completion:
    return Completion(text, "stop", Usage(120, 14), "gpt-4o-mini-2024-07-18")


def record(path: Path, *requests: ModelRequest, text: str = ANSWER) -> FakeModel:
    model = FakeModel().enqueue(*(completion(text) for _ in requests))
    recorder = Replayer(path, "record", model, today=lambda: TODAY)
    for each in requests:
        recorder.complete(each)
    return model


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


# --- hand-written entries and broken files -----------------------------------------------------

HAND_WRITTEN = """\
entries:
  - origin:
      written_by_hand: no live model in CI
    request:
      model: gpt-4o-mini
      params:
        temperature: 0.2
        max_tokens: 500
      messages:
        - role: system
          content: |-
            You are the help desk of Shop.
            Be brief.
            Never invent phone numbers.
        - role: user
          content: Where is my order?
    response:
      content: It is on its way.
"""


def test_a_hand_written_entry_without_a_key_loads_and_replays(tmp_path: Path) -> None:
    path = tmp_path / "replies.yaml"
    path.write_text(HAND_WRITTEN, encoding="utf-8")
    reply = Replayer(path, "replay").complete(request())
    assert reply == Completion("It is on its way.", "stop", None, "gpt-4o-mini")


def test_an_unquoted_on_date_is_read_as_the_recording_date(tmp_path: Path) -> None:
    path = tmp_path / "replies.yaml"
    origin = "recorded_from: gpt-4o-mini\n      on: 2024-05-01"
    path.write_text(HAND_WRITTEN.replace("written_by_hand: no live model in CI", origin))
    entry = next(iter(Cassette.load(path).entries.values()))
    assert entry.origin == {"recorded_from": "gpt-4o-mini", "on": TODAY}


def test_add_hand_written_writes_an_answer_or_an_outage(tmp_path: Path) -> None:
    path = tmp_path / "replies.yaml"
    add_hand_written(path, request(), "It is on its way.")
    add_hand_written(path, request(user="Hi"), error="timeout", note="CI has no network")
    text = path.read_text(encoding="utf-8")
    assert "written_by_hand: no live model was reachable" in text
    assert "written_by_hand: CI has no network" in text
    replayer = Replayer(path, "replay")
    assert replayer.complete(request()).text == "It is on its way."
    with pytest.raises(ModelError, match="timeout: recorded outage"):
        replayer.complete(request(user="Hi"))
    with pytest.raises(ValueError, match="either"):
        add_hand_written(path, request(), "text", error="timeout")


def test_a_key_that_does_not_match_the_request_is_reported_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "replies.yaml"
    path.write_text(HAND_WRITTEN.replace("  - origin:", "  - key: 0123abcd0123abcd\n    origin:"))
    with pytest.raises(ConfigError) as raised:
        Replayer(path, "replay")
    assert str(raised.value) == (
        f"{path}:2:10: key does not match the request; delete the key line to recompute it\n"
        "      - key: 0123abcd0123abcd\n"
        "             ^"
    )


def test_the_same_request_twice_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "replies.yaml"
    path.write_text(HAND_WRITTEN + HAND_WRITTEN.removeprefix("entries:\n"), encoding="utf-8")
    with pytest.raises(ConfigError, match=r":19:5: the same request is recorded at line 2"):
        Cassette.load(path)


def test_malformed_yaml_is_a_config_error_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "replies.yaml"
    path.write_text(HAND_WRITTEN.replace("    response:", "    response: [\n"), encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        Replayer(path, "replay")
    assert raised.value.path == path and raised.value.line is not None
    assert str(raised.value).startswith(f"{path}:{raised.value.line}")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("    response:\n      content: It is on its way.\n", ""), ":2:5: 'entries' item 1 needs"),
        (
            ("      content: It is on", "      contnet: It is on"),
            ":18:7: unknown key 'contnet' (did you mean 'content'?)",
        ),
        (
            ("- role: user", "- role: customer"),
            ":15:17: 'role': 'customer' is not allowed (did you mean 'user'?)",
        ),
        (("written_by_hand: no live model in CI", "recorded_from: x"), ":3:7: 'origin' needs"),
        (("entries:\n", "- entries:\n"), ":1:1: this file should be a mapping"),
    ],
)
def test_schema_mistakes_are_reported_at_their_line(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    path = tmp_path / "replies.yaml"
    path.write_text(HAND_WRITTEN.replace(*change), encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        Cassette.load(path)
    assert str(raised.value).startswith(f"{path}{expected}")


def test_an_empty_file_is_an_empty_cassette(tmp_path: Path) -> None:
    path = tmp_path / "replies.yaml"
    path.write_text("# nothing recorded yet\n", encoding="utf-8")
    assert Cassette.load(path).entries == {}


# --- the file itself ----------------------------------------------------------------------------

EXPECTED_FILE = """\
# Recorded model replies: `servicebot test` answers from them instead of a live model.
# `servicebot record` rewrites this file; an entry written by hand may leave out `key`.
entries:
  - key: {key}
    origin:
      recorded_from: gpt-4o-mini-2024-07-18
      'on': 2024-05-01
    request:
      model: gpt-4o-mini
      params:
        temperature: 0.2
        max_tokens: 500
      messages:
        - role: system
          content: |-
            You are the help desk of Shop.
            Be brief.
            Never invent phone numbers.
        - role: user
          content: Where is my order?
    response:
      content: |-
        It left our warehouse yesterday.
        Track it with the link in your email.
      finish_reason: stop
      usage:
        prompt_tokens: 120
        completion_tokens: 14
      model: gpt-4o-mini-2024-07-18
"""


def test_the_file_is_readable_yaml_with_multi_line_text_as_blocks(tmp_path: Path) -> None:
    path = tmp_path / "replies.yaml"
    record(path, request())
    assert path.read_text(encoding="utf-8") == EXPECTED_FILE.format(key=request_key(request()))


def test_chinese_is_written_as_itself(tmp_path: Path) -> None:
    path = tmp_path / "replies.yaml"
    record(path, request(user="我的订单在哪里？"), text="已经发货了。")
    text = path.read_text(encoding="utf-8")
    assert "content: 我的订单在哪里？\n" in text and "content: 已经发货了。\n" in text


def test_writing_twice_gives_the_same_bytes_in_insertion_order(tmp_path: Path) -> None:
    path = tmp_path / "replies.yaml"
    requests = [request(user=name) for name in ("zebra", "apple", "mango")]
    record(path, *requests)
    before = path.read_bytes()
    cassette = Cassette.load(path)
    cassette.save()
    assert path.read_bytes() == before
    assert list(cassette.entries) == [request_key(each) for each in requests]


def test_loading_a_hand_written_file_and_saving_it_adds_the_keys(tmp_path: Path) -> None:
    path = tmp_path / "replies.yaml"
    path.write_text(HAND_WRITTEN, encoding="utf-8")
    Cassette.load(path).save()
    assert f"  - key: {request_key(request())}\n" in path.read_text(encoding="utf-8")
    assert Replayer(path, "replay").complete(request()).text == "It is on its way."


@pytest.mark.parametrize(
    "secret", ["my key is sk-abcdefghijklmnop0123", "Authorization: Bearer eyJhbGciOi.e30.x1"]
)
def test_an_api_key_is_never_written(tmp_path: Path, secret: str) -> None:
    path = tmp_path / "replies.yaml"
    with pytest.raises(ServicebotError, match=r"entry\.request\.messages\[1\]\.content looks"):
        record(path, request(user=secret))
    with pytest.raises(ServicebotError, match="looks like an API key"):
        add_hand_written(path, request(), secret)
    with pytest.raises(ServicebotError) as raised:
        record(path, request(user=secret))
    assert secret.split()[-1] not in str(raised.value)  # the error does not repeat the key
    assert not path.exists()


def test_an_answer_that_only_looks_like_a_key_to_a_crude_pattern_is_recorded(
    tmp_path: Path,
) -> None:
    # "Bearer " and "sk-" with 16 characters refused these, and Bot.reply raised in record mode.
    path = tmp_path / "replies.yaml"
    for answer in (
        "Bearer bonds are not accepted as payment.",
        "Item sk-1234567890abcdefg",
        "The Wi-Fi password: maplefree. Your one-time code is 482913.",  # no key, nor token
    ):
        add_hand_written(path, request(user=answer), answer)
    assert len(Cassette.load(path).entries) == 3


@hypothesis_settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    contents=st.lists(st.text(), min_size=2, max_size=2),
    error=st.sampled_from(["timeout", "rate_limit", "server_error", "connection", None]),
)
def test_any_text_survives_the_file(
    tmp_path: Path, contents: list[str], error: ErrorKind | None
) -> None:
    path = tmp_path / "replies.yaml"
    path.unlink(missing_ok=True)
    sent = request(system=contents[0], user=contents[1])
    if any("sk-" in text or "Bearer " in text for text in contents):
        return
    entry = add_hand_written(path, sent, None if error else contents[0], error=error)
    assert Cassette.load(path).entries == {entry.key: entry}
