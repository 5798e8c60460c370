"""Intents built from a labelled training file (``servicebot/evaluation/training.py``,
``servicebot eval --train``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from servicebot import ConfigError
from servicebot.evaluation.files import OUT_OF_SCOPE, Labelled
from servicebot.evaluation.training import intents_from, labelled_otherwise, read_intents
from tests.unit.labelledfiles import write


def test_intents_from_rows_group_by_label_without_duplicates_or_out_of_scope() -> None:
    rows = [
        Labelled("a card?", "reverted_card_payment?", 2),
        Labelled("hello", OUT_OF_SCOPE, 3),
        Labelled("b card", "lost_card", 4),
        Labelled("a card?", "reverted_card_payment?", 5),
        Labelled("c card", "reverted_card_payment?", 6),
    ]
    intents = intents_from(rows)
    assert [(i.name, i.examples) for i in intents] == [
        ("reverted_card_payment?", ("a card?", "c card")),
        ("lost_card", ("b card",)),
    ]


def test_read_intents_needs_an_in_scope_row(tmp_path: Path) -> None:
    path = write(tmp_path, "train.csv", "text,intent\nhello,\nbye,out_of_scope\n")
    with pytest.raises(ConfigError, match="every row is out of scope"):
        read_intents(path)


def test_read_intents_needs_a_row_with_something_to_route_by(tmp_path: Path) -> None:
    path = write(tmp_path, "train.csv", "text,intent\n???,!!!\n...,???\n")
    with pytest.raises(ConfigError, match="no row has a word or a Chinese character"):
        read_intents(path)


def test_a_text_labelled_twice_in_a_file_to_score_is_one_warning(tmp_path: Path) -> None:
    # Accepted silently: one of the two rows is counted wrong whatever routing does.
    path = tmp_path / "test.csv"
    rows = [
        Labelled("where is my order", "order_status", 2),
        Labelled("hi", "greeting", 3),
        Labelled("Where is my order ", "track", 4),
        Labelled("hi", OUT_OF_SCOPE, 5),
        Labelled("hi", "thanks", 6),
        Labelled("where is my order", "track", 7, previous="do you ship to Canada?"),
    ]
    warning = labelled_otherwise(path, rows)
    assert str(warning) == (
        f"{path}:4: 'Where is my order' is labelled 'track' here and 'order_status' at line 2: "
        "at most one of the two can be routed right (2 more rows like it)"
    )
    assert labelled_otherwise(path, rows[:4:2]) is not None
    assert "more rows" not in str(labelled_otherwise(path, rows[:4:2]))
    # The same text after another previous message is another turn.
    assert labelled_otherwise(path, [rows[0], rows[5]]) is None
