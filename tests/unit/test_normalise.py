from hypothesis import given
from hypothesis import strategies as st

from servicebot.filters.normalise import _normalise_with_offsets, normalise


def test_plain_text_is_left_alone() -> None:
    assert normalise("Where is my order 100482?").text == "Where is my order 100482?"


def test_full_width_zero_width_and_odd_spaces_are_normalised() -> None:
    assert normalise("ｓｋ-ｋｅｙ１２３").text == "sk-key123"
    assert normalise("傻\u200b逼").text == "傻逼"
    assert normalise("4111\u00a01111\u3000\u30002222").text == "4111 1111 2222"
    assert normalise("我的手机号是１３８，谢谢！").text == "我的手机号是138,谢谢!"
    assert normalise("e\u0301").text == "\u00e9"  # composed by NFKC


def test_spans_map_back_to_the_characters_the_customer_typed() -> None:
    typed = "call me on ＋８６ １３８\u200b１２３４\u00a05678 please"
    normalised = normalise(typed)
    start = normalised.text.index("+86")
    end = normalised.text.index("5678") + 4
    original_start, original_end = normalised.original_span(start, end)
    assert typed[original_start:original_end] == "＋８６ １３８\u200b１２３４\u00a05678"


# Plain st.text() seldom draws combining marks, zero-width or full-width characters.
TRICKY = st.text(alphabet=st.sampled_from("ab ÉéＡ１\u0301\u200b\t\n\u3000傻逼!-.")) | st.text()


@given(TRICKY)
def test_the_fast_paths_agree_with_the_careful_one(text: str) -> None:
    assert normalise(text).text == _normalise_with_offsets(text).text


@given(TRICKY)
def test_every_character_maps_back_inside_the_original(text: str) -> None:
    normalised = normalise(text)
    for i in range(len(normalised.text)):
        start, end = normalised.original_span(i, i + 1)
        assert 0 <= start < end <= len(text)
    assert normalised.original_span(0, len(normalised.text))[1] <= len(text)
