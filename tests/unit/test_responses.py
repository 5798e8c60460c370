import pytest

from servicebot.model.client import ModelError
from servicebot.model.responses import Joined


def test_an_unreadable_stream_chunk_is_said_by_its_type_and_length_not_its_text() -> None:
    """It was logged by its repr, 200 characters of it: the answer's text, and the
    customer's details in it."""
    chunk = {"choices": [{"delta": {"content": "Alice, your card 4111 1111 1111 1111 is"}}]}
    with pytest.raises(ModelError) as caught:
        Joined().add(chunk)
    said = str(caught.value)
    assert said == (
        "broken_response: an unreadable stream chunk: dict of 80 characters: { … [79 "
        "characters withheld]"
    )


def test_an_unreadable_text_chunk_keeps_its_start_its_pii_masked() -> None:
    with pytest.raises(ModelError) as caught:
        Joined().add("upstream reset by 10.0.0.7 while")
    assert str(caught.value).endswith("str of 32 characters: upstream reset by [IP] while")
