"""The cassette file: hand-written entries, broken files reported at their line, and the
YAML a reviewer reads (stable bytes, multi-line text as blocks, Chinese as itself, no key)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from servicebot.cassette import Cassette
from servicebot.cassetteformat import request_key
from servicebot.errors import ConfigError, ServicebotError
from servicebot.model import Completion, ErrorKind, ModelError
from servicebot.replay import Replayer, add_hand_written
from tests.unit.recordings import TODAY, record, request

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


def test_a_new_cassette_and_its_folders_are_their_owners_alone(tmp_path: Path) -> None:
    """A recording keeps every prompt, customer details unmasked: it was made 0644, for every
    user of the machine to read, where the SQLite store is 0600."""
    path = tmp_path / "tests" / "replies" / "bot.yaml"
    record(path, request(user="my card is 4111 1111 1111 1111"))
    assert (_mode(path), _mode(path.parent), _mode(path.parent.parent)) == (0o600, 0o700, 0o700)
    path.chmod(0o640)  # shared with a reviewer's group on purpose: not servicebot's to change
    record(path, request(user="and my email"))
    assert _mode(path) == 0o640


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777
