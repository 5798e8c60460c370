"""The figures a few-shot reply states that its answer does not (``servicebot check``)."""

from __future__ import annotations

import pytest

from servicebot.figures import unstated


@pytest.mark.parametrize(
    ("reply", "answer", "expected"),
    [
        ("可以的，30天内都能退货。", "签收后45天内可以退货。", ["30"]),  # after a Chinese comma
        ("Sure,30 days.", "Within 45 days.", ["30"]),
        ("好的，3-5个工作日到账。", "退款7个工作日内到账。", ["3-5"]),
        ("可以的，45天内都能退货。", "签收后45天内可以退货。", []),
    ],
)
def test_a_number_right_after_a_comma_is_read(reply: str, answer: str, expected: list[str]) -> None:
    assert unstated(reply, answer) == expected


@pytest.mark.parametrize(
    "reply",
    [
        "请看 https://maple.example.com/orders：登录后即可查看",
        "请看 https://maple.example.com/orders（需登录）",
        "请看 https://maple.example.com/orders，谢谢！",
        "See https://maple.example.com/orders.",
    ],
)
def test_a_link_ends_where_chinese_text_or_punctuation_follows(reply: str) -> None:
    assert unstated(reply, "订单在 https://maple.example.com/orders 查看。") == []


def test_a_link_scheme_is_read_in_any_case_and_the_rest_as_written() -> None:
    answer = "Track it at https://maple.example.com/orders."
    assert unstated("Track it at HTTPS://Maple.Example.com/orders.", answer) == []
    assert unstated("Track it at Https://maple.example.com/returns.", answer) == [
        "Https://maple.example.com/returns"
    ]


def test_the_link_pattern_folds_case_in_its_scheme_only() -> None:
    # Folding the whole pattern made re fold each character of its CJK classes while
    # compiling it: 6 ms of every `servicebot check`, for characters that have no case.
    import re

    from servicebot.figures import _LINK

    assert not _LINK.flags & re.IGNORECASE and _LINK.pattern.startswith("(?i:https?://)")
