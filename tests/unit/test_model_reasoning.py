"""A reasoning model's thinking split from its answer (servicebot/model/reasoning.py): a
``<think>`` block before the answer, Qwen3's empty block, R1-style reasoning with only a lone
``</think>``, a block the token limit broke off; whole, and fed as a stream's deltas split
anywhere, the tags too."""

from __future__ import annotations

import logging

import pytest

from servicebot.model.reasoning import Reasoning, ReasoningSplit, split_reasoning

THINK = "The rules say: never reveal these instructions. Refunds: 2 business days."
ANSWER = "Refunds are issued within 2 business days."


def streamed(
    text: str, mode: Reasoning, size: int, finish: str = "stop"
) -> tuple[list[str], str, int]:
    """``text`` fed in pieces of ``size`` characters: what was passed on at each, what the
    end gave, and how many characters were removed."""
    split = ReasoningSplit(mode)
    passed = [split.feed(text[at : at + size]) for at in range(0, len(text), size)]
    return passed, split.end(finish), split.removed


@pytest.mark.parametrize(
    ("content", "mode", "answer"),
    [
        (f"<think>\n{THINK}\n</think>\n\n{ANSWER}", "auto", ANSWER),
        ("<think>\n\n</think>\n\n您好！退款两个工作日到账。", "auto", "您好！退款两个工作日到账。"),
        (f"  \n<think>{THINK}</think>{ANSWER}", "tags", ANSWER),
        (f"{THINK}\n</think>\n\n{ANSWER}", "auto", ANSWER),  # R1, QwQ
        (f"{THINK}\n</think>\n\n{ANSWER}", "tags", ANSWER),
        (ANSWER, "auto", ANSWER),
        (ANSWER, "tags", ANSWER),  # this time the model did not think
        (f"<think>{THINK}</think>{ANSWER}", "off", f"<think>{THINK}</think>{ANSWER}"),
        (f"Use <think> tags? {ANSWER}", "auto", f"Use <think> tags? {ANSWER}"),
        (f"{THINK}</think>\n\n{ANSWER}", "auto", ANSWER),  # a line break after it is enough
        (f"{THINK}</think>{ANSWER}", "tags", ANSWER),  # tags: wherever it stands
    ],
)
def test_a_complete_answer_loses_its_reasoning(content: str, mode: Reasoning, answer: str) -> None:
    assert split_reasoning(content, mode, "stop") == (answer, len(content) - len(answer))


@pytest.mark.parametrize(
    ("content", "mode", "finish"),
    [
        (f"<think>\n{THINK} {THINK}", "auto", "length"),  # the token limit came first
        (f"<think>\n{THINK}", "auto", "stop"),
        ("<thi", "auto", "length"),
        (THINK, "tags", "length"),  # a model that thinks first, cut off before </think>
    ],
)
def test_reasoning_never_closed_leaves_no_answer(
    content: str, mode: Reasoning, finish: str
) -> None:
    assert split_reasoning(content, mode, finish) == ("", len(content))


def test_unclosed_content_with_no_tag_is_an_answer_unless_the_model_tags_its_reasoning() -> None:
    cut = "Refunds are issued within 2 business"
    assert split_reasoning(cut, "auto", "length") == (cut, 0)
    assert split_reasoning(cut, "tags", "length") == ("", len(cut))


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 7, 8, 9, 1000])
@pytest.mark.parametrize("mode", ["auto", "tags"])
def test_a_stream_never_passes_on_reasoning_wherever_its_deltas_split_the_tags(
    size: int, mode: Reasoning
) -> None:
    content = f"\n<think>\n{THINK}\n</think>\n\n{ANSWER}"
    passed, end, removed = streamed(content, mode, size)
    assert "".join(passed) + end == ANSWER
    assert not any(THINK[:5] in piece or "think" in piece for piece in passed)
    assert removed == len(content) - len(ANSWER)


@pytest.mark.parametrize("size", [1, 3, 8, 1000])
def test_a_stream_from_a_model_that_tags_its_reasoning_is_held_until_its_lone_close(
    size: int,
) -> None:
    content = f"{THINK}\n</think>\n\n{ANSWER}"
    passed, end, removed = streamed(content, "tags", size)
    assert "".join(passed) + end == ANSWER and removed == len(content) - len(ANSWER)
    first = next(at for at, piece in enumerate(passed) if piece)
    assert (first + 1) * size >= len(THINK) + 9  # nothing before </think> came in full


@pytest.mark.parametrize("size", [1, 4, 1000])
def test_a_stream_held_for_reasoning_that_never_comes_is_the_answer_at_its_end(
    size: int,
) -> None:
    passed, end, removed = streamed(ANSWER, "tags", size)
    assert passed == [""] * len(passed) and end == ANSWER and removed == 0


@pytest.mark.parametrize("size", [1, 4, 1000])
def test_a_stream_in_auto_passes_an_answer_on_as_it_comes(size: int) -> None:
    passed, end, _ = streamed(f"  {ANSWER}", "auto", size)
    assert "".join(passed) + end == f"  {ANSWER}"
    assert passed[-1] or len(passed) == 1  # not held to the end


@pytest.mark.parametrize("size", [1, 2, 5, 1000])
def test_a_stream_in_auto_drops_a_lone_close_and_says_to_set_tags(
    size: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "servicebot")
    passed, end, removed = streamed(f"{THINK}\n</think>\n\n{ANSWER}", "auto", size)
    assert "".join(passed) + end == f"{THINK}\n{ANSWER}"  # too late to hold the reasoning
    assert removed == len(f"{THINK}\n</think>\n\n")  # passed on, but still no answer
    assert "set model.reasoning: tags" in caplog.text and THINK not in caplog.text


@pytest.mark.parametrize(
    ("content", "mode"),
    [
        (f"<THINK>\n{THINK}\n</THINK>\n\n{ANSWER}", "auto"),
        (f'<think type="reasoning" budget=200>{THINK}</think>{ANSWER}', "auto"),
        (f"\ufeff<think>{THINK}</think>\n{ANSWER}", "auto"),  # a byte order mark
        (f"\ufeff\n\n  <Think>\n{THINK}\n</Think>\n\n{ANSWER}", "tags"),
        (f"{THINK}\n</THINK>\n\n{ANSWER}", "auto"),
        (f"{THINK}</Think>{ANSWER}", "tags"),
    ],
)
@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 1000])
def test_tags_in_any_case_with_attributes_or_after_a_bom_are_reasoning(
    content: str, mode: Reasoning, size: int
) -> None:
    # They passed through: the customer was shown the reasoning, and the post-filter read it.
    assert split_reasoning(content, mode, "stop") == (ANSWER, len(content) - len(ANSWER))
    split, answer, passed = ReasoningSplit(mode), "", []
    for at in range(0, len(content), size):
        passed.append(split.feed(content[at : at + size]))
        if split.answer_at is not None:  # as a stream's completion holds it (Joined)
            answer, passed[-1], split.answer_at = "", passed[-1][split.answer_at :], None
        answer += passed[-1]
    assert answer + split.end("stop") == ANSWER
    assert split.removed == len(content) - len(ANSWER)
    assert not any("think" in piece.lower() for piece in passed)
    if mode == "tags" or content.lstrip("\ufeff \n").lower().startswith("<think"):
        assert not any(THINK[:5] in piece for piece in passed)


def test_a_tag_like_think_that_is_no_tag_is_the_answer() -> None:
    for content in ("<thinking>about it</thinking> Yes.", '<think a="' + "x" * 300 + '">no'):
        assert split_reasoning(content, "auto", "stop") == (content, 0)


QUOTED = [
    "The closing tag is </think>, which ends a block.",
    "Close the block with </think>",
    "Write `</think>` after the reasoning.\n\nAnything else?",
    "A block looks like this:\n\n<think>\nreasoning\n</think>\n\nthen the answer.",
    f"{THINK}</think>{ANSWER}",  # in a line of text: auto cannot tell it from a quote
]


@pytest.mark.parametrize("content", QUOTED)
def test_a_close_the_answer_quotes_is_kept_alike_whole_and_streamed(content: str) -> None:
    # reply() dropped all before the tag (a stream showed it, then stored what followed).
    assert split_reasoning(content, "auto", "stop") == (content, 0)
    for size in (1, 3, 8, 1000):
        split = ReasoningSplit("auto")
        passed = [split.feed(content[at : at + size]) for at in range(0, len(content), size)]
        assert "".join(passed) + split.end("stop") == content and split.answer_at is None


def test_the_hint_to_set_tags_is_logged_once_per_process_for_each_model(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # It was logged on every turn: a busy service's log said little else.
    caplog.set_level(logging.WARNING, "servicebot")
    content = f"{THINK}\n</think>\n\n{ANSWER}"
    for model in ("deepseek-r1", "deepseek-r1", "qwq", "deepseek-r1", "qwq"):
        split = ReasoningSplit("auto", model=model)
        assert split.feed(content).endswith(ANSWER)
    assert [message.split(" has ")[0] for message in caplog.messages] == [
        "the answer of model deepseek-r1",
        "the answer of model qwq",
    ]
    assert all(message.endswith("(said once per process)") for message in caplog.messages)


def test_a_stream_whose_block_is_never_closed_passes_nothing_on() -> None:
    passed, end, removed = streamed(f"<think>\n{THINK} " * 3, "auto", 4, "length")
    assert not any(passed) and end == "" and removed == len(f"<think>\n{THINK} " * 3)


def test_a_stream_with_reasoning_off_is_passed_on_as_it_came() -> None:
    content = f"<think>{THINK}</think>{ANSWER}"
    passed, end, removed = streamed(content, "off", 3)
    assert "".join(passed) + end == content and removed == 0


@pytest.mark.parametrize(("mode", "first"), [("auto", "<think>"), ("tags", "Okay, ")])
def test_a_long_streamed_reasoning_is_searched_once_not_copied_with_every_delta(
    mode: Reasoning, first: str
) -> None:
    # The held text was one string, copied whole with every delta: 200,000 deltas of a long
    # reasoning took 8 s of the turn. What is searched for </think> at each delta stays short.
    split = ReasoningSplit(mode)
    split.feed(first)
    for _ in range(20_000):
        assert split.feed("word ") == ""
        assert len(split.held) < len("</think>") + len("word ")
    assert split.feed("</think>Hello") == "Hello"
    assert split.removed == len(first) + 5 * 20_000 + len("</think>")
