"""Tests for servicebot.model.echoes: a server's error message as a log line says it, without
the customer's data it may quote (without_echo), and the fields that name what it refused
(error_fields)."""

from __future__ import annotations

import pytest

from servicebot.model.echoes import error_fields, without_echo


@pytest.mark.parametrize(
    "message, leaked",
    [
        ("Blocked １３８００１３８０００ per policy", "１３８００"),  # full-width digits
        ("Invalid content mail alice＠example．com today", "alice"),
        ("Invalid content mail ali\u200bce@exam\u200bple.com today", "ce@exam"),  # zero-width
    ],
)
def test_personal_data_typed_in_other_forms_is_masked(message: str, leaked: str) -> None:
    assert leaked not in without_echo(message)


@pytest.mark.parametrize("pad", range(50, 72))
def test_a_number_cut_at_the_kept_length_is_not_kept_in_part(pad: int) -> None:
    said = without_echo("x" * pad + " card 4111 1111 1111 1111 more")
    assert "4111" not in said and "111" not in said
    assert said.startswith("x" * pad)


def test_an_email_cut_at_the_kept_length_is_not_kept_in_part() -> None:
    said = without_echo("x" * 66 + " from alice.smith@example.org was refused")
    assert "alice" not in said


def test_a_servers_own_words_are_kept() -> None:
    assert without_echo("This model's maximum context length is 8192 tokens: you asked 9000") == (
        "This model's maximum context length is 8192 tokens … [16 characters withheld]"
    )


def test_fields_that_quote_the_customer_are_masked() -> None:
    named = error_fields(
        {"type": "invalid_request_error", "code": "card 4111 1111 1111 1111", "param": "x"}
    )
    assert "4111" not in named
    assert named.startswith("type invalid_request_error, code card [CARD], param x")


def test_a_long_field_is_cut() -> None:
    named = error_fields({"param": "messages " + "y" * 500})
    assert len(named) < 150
