"""Tests for servicebot.filters.birthdates (the DATE_OF_BIRTH kind, through find_pii): a date
right after its label, in English and Chinese; a date with no label is none; and the one form
dates of birth are compared in."""

from __future__ import annotations

import pytest

from servicebot.filters.values import canonical
from tests.unit.piifindings import found


@pytest.mark.parametrize(
    "text, expected",
    [
        ("date of birth: 07/03/1990", "07/03/1990"),
        ("I was born on 7 March 1990.", "7 March 1990"),
        ("my birthday is March 7th", "March 7th"),
        ("DOB 1990-03-07, order 100482", "1990-03-07"),
        ("出生日期1990年3月7日", "1990年3月7日"),
        ("生日是3月7日", "3月7日"),
        ("我出生于1990.03.07", "1990.03.07"),
    ],
)
def test_a_date_after_its_label_is_a_date_of_birth(text: str, expected: str) -> None:
    assert found(text, "DATE_OF_BIRTH") == [expected]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("my birthday is the 7th of March, 1990", "7th of March, 1990"),
        ("I was born on the 7th of March 1990", "7th of March 1990"),
        ("my birthday is on 7 March", "7 March"),
        ("My birthday's 7 March 1990", "7 March 1990"),
        ("my DOB is 7 Mar 90", "7 Mar 90"),  # the year too, not "90" left after it
        ("date of birth: March 7, '90", "March 7, '90"),
    ],
)
def test_a_date_of_birth_said_as_people_say_it_is_found_whole(text: str, expected: str) -> None:
    assert found(text, "DATE_OF_BIRTH") == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "I ordered it on 2024-03-15 and it has not arrived",
        "ordered on 2024-03-15, it's a birthday gift",
        "I need it by March 7th for a birthday party",
        "born in 1990",
        "订单2024年3月15日下的，生日礼物还没到",
    ],
)
def test_a_date_with_no_label_is_none(text: str) -> None:
    assert found(text, "DATE_OF_BIRTH") == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("我是1990年3月7日出生的", "1990年3月7日"),
        ("1990年3月7日生", "1990年3月7日"),
        ("我1990年3月7日生的，订单100482", "1990年3月7日"),
        ("1990年3月7日出生于北京", "1990年3月7日"),
        ("出生日期一九九〇年三月七日", "一九九〇年三月七日"),
        ("出生日期：二零零零年十二月三十一日", "二零零零年十二月三十一日"),
        ("DOB 19900307", "19900307"),
        ("date of birth: 07-Mar-1990", "07-Mar-1990"),
    ],
)  # fmt: skip
def test_a_date_before_its_label_or_in_other_forms_is_a_date_of_birth(
    text: str, expected: str
) -> None:
    assert found(text, "DATE_OF_BIRTH") == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "2024年3月15日生效",  # takes effect
        "订单2024年3月15日生产的",
        "3月7日生日礼物要送到",
        "今天3月7日生了个宝宝吗",
        "2024年3月15日出生日期改了",  # the label of a date after it
        "一九九〇年三月七日的订单",
        "订单号19900307",
        "ordered 07-Mar-2024, order 19900307",
    ],
)
def test_a_date_near_no_birth_label_is_none(text: str) -> None:
    assert found(text, "DATE_OF_BIRTH") == []


def test_a_date_of_birth_is_compared_however_it_was_written() -> None:
    forms = {
        canonical("DATE_OF_BIRTH", date)
        for date in (
            *("1990-03-07", "1990年3月7日", "7 March 1990", "March 7th, 1990", "1990.03.07"),
            *("一九九〇年三月七日", "19900307", "07-Mar-1990"),
        )
    }
    assert forms == {"1990-03-07"}


def test_every_labelled_date_is_found_in_a_long_mixed_message() -> None:
    text = "生日1月2日, DOB 1990-03-07, born on 7 March 1990, dob: x; " * 300
    assert found(text, "DATE_OF_BIRTH") == ["1月2日", "1990-03-07", "7 March 1990"] * 300


@pytest.mark.parametrize(
    "text",
    [
        "my son's birthday is 12 May, can you deliver by then?",
        "it's my mum's birthday on March 7th, will it arrive?",
        "my sons birthday is 12 May",
        "it's for a birthday on 12 May",
        "儿子的生日是5月12日，能送到吗",
        "妈妈生日是5月12日",
    ],
)
def test_someone_elses_birthday_with_no_year_is_a_date_for_the_order(text: str) -> None:
    """A day and month the order must arrive by: masked, the model could not answer."""
    assert found(text, "DATE_OF_BIRTH") == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("my son's birthday is 12 May 2015", "12 May 2015"),  # with a year, the child's
        ("儿子生日是2015年5月12日", "2015年5月12日"),
        ("Birthday: 12 May", "12 May"),  # the customer's own, with a year or not
        ("我生日是5月12日", "5月12日"),
        ("你好，生日：5月12日", "5月12日"),
    ],
)
def test_a_birthday_with_a_year_or_the_customers_own_is_a_date_of_birth(
    text: str, expected: str
) -> None:
    assert found(text, "DATE_OF_BIRTH") == [expected]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("19900307出生", "19900307"),
        ("我是19900307出生的", "19900307"),
        ("我是九零年三月七日出生的", "九零年三月七日"),  # its year too, not 九零年 left
        ("我是90年3月7日出生的", "90年3月7日"),
        ("出生日期90年3月7日", "90年3月7日"),
    ],
)
def test_eight_digits_before_its_label_and_a_two_digit_year_are_found_whole(
    text: str, expected: str
) -> None:
    assert found(text, "DATE_OF_BIRTH") == [expected]
