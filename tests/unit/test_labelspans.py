"""Where labels stand in a message (``filters/labelspans.py``): the fast scans find what one
regex of every label finds, and tell a password's hint as the hint search does."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

_LABEL_PIECES = st.sampled_from(
    [
        *("card", "credit card", "id card", "cvv2", "pin", "phone", "order", "cc", "sku", "ssn"),
        *("passport", "passport number"),
        *("订单id", "卡号", "身份证", "电话", "验证码", "订单编号", "背面的后三位", "护照"),
        *(" ", "-", ":", "a", "x", "QQ", "是", "2", "ping", "\n"),
    ]
)


@given(st.lists(_LABEL_PIECES))
def test_labels_are_found_where_one_regex_of_every_label_finds_them(pieces: list[str]) -> None:
    """Labels are sought in two scans, English after a non-letter and Chinese alone, because
    that is faster; what they find must be what the single regex of every label finds."""
    import re

    from servicebot.filters.labels import ROLE
    from servicebot.filters.labelspans import _joined, label_spans

    lowered = "".join(pieces).lower()
    one_regex = re.compile(_joined(ROLE))
    assert label_spans(lowered) == [match.span() for match in one_regex.finditer(lowered)]


_OTHER_LANGUAGE_PIECES = st.sampled_from(
    [
        *("电话番号", "电话", "注文番号", "ご注文番号", "注文", "携帯", "パスワード", "は"),
        *("전화번호", "전화", "주문", "비밀번호", "는", "телефон", "номер заказа", "заказ"),
        *("teléfono", "tel", "tél", "số điện thoại", "điện thoại", "đơn hàng", "रफोन", "फोन"),
        *("رقم الهاتف", "هاتف", "pedido", "número de pedido", "mật khẩu", "senha", "clave"),
        *(" ", ":", "a", "é", "x", "是", "2", "\n", "号"),
    ]
)


@given(st.lists(_OTHER_LANGUAGE_PIECES))
def test_other_languages_labels_are_found_where_one_regex_of_every_label_finds_them(
    pieces: list[str],
) -> None:
    """A text without kana, hangul, Cyrillic, Arabic, Devanagari or đ is read for the labels
    starting with an ideograph alone (faster); what is found must not change."""
    import re

    from servicebot.filters.labels import ROLE
    from servicebot.filters.labelspans import _joined, label_spans

    lowered = "".join(pieces).lower()
    one_regex = re.compile(_joined(ROLE))
    assert label_spans(lowered) == [match.span() for match in one_regex.finditer(lowered)]


@given(
    st.lists(
        st.sampled_from(
            ["pass", "pw", "senha", "密码", "パスワード", "mật khẩu", "a", "ê", "p", "w", "密", " "]
        )
    )
)
def test_a_message_is_read_for_passwords_when_it_holds_any_password_word(
    pieces: list[str],
) -> None:
    from servicebot.filters.labelspans import _PASSWORD_HINTS, may_name_a_password

    lowered = "".join(pieces)
    assert may_name_a_password(lowered) == any(word in lowered for word in _PASSWORD_HINTS)


@given(
    st.lists(
        st.sampled_from(
            [
                *("pass", "passport", "pw", "pwd", "clave", "kennwort", "mdp", "phone", "p", "w"),
                *("senha", "contrasena", "card", "pin", "1", "a", " ", "ê", "密码"),
            ]
        )
    )
)
def test_the_label_pass_tells_a_password_hint_as_the_hint_search_does(pieces: list[str]) -> None:
    """ASCII text is told to hold a password's hint in the pass that finds its labels (faster):
    what it tells must be what the search for hints tells, and other text is left to it."""
    from servicebot.filters.labelspans import find_labels, label_spans, may_name_a_password

    lowered = "".join(pieces)
    spans, hinted = find_labels(lowered)
    assert spans == label_spans(lowered)
    assert hinted == (may_name_a_password(lowered) if lowered.isascii() else None)
