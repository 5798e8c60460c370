"""Phone numbers, for the PII detector (``servicebot/filters/phones.py``): international,
mainland China, Taiwan, UK, Hong Kong and North American shapes, and what is no phone."""

from __future__ import annotations

import pytest

from tests.unit.piifindings import found

# --- PHONE ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        "+44 20 7946 0958",
        "+44 (20) 7123 4567",
        "+33 1 42 68 53 00",
        "+1 212 555 0199",
        "(212) 555-0199",
        "(212)555-0199",
        "212-555-0199",
        "212.555.0199",
        "1-800-555-0199",
        "13812345678",
        "138-1234-5678",
        "138 1234 5678",
        "+86 138-1234-5678",
        "+8613812345678",
        "0086 138 1234 5678",
        "010-12345678",
        "0755-86013388",
        "(0755) 8601-3388",
        "021 6123 4567",
        "400-123-4567",
        "400 123 4567",
        "800-820-8820",
        "0912-345-678",  # Taiwan mobiles
        "0912 345 678",
        "0912345678",
        "0912-345678",
        "+886 912 345 678",
        "09012345678",  # Japanese and Korean mobiles
        "080-1234-5678",
        "070 1234 5678",
        "010-1234-5678",
        "01012345678",
    ],
)
def test_phone_positives(number: str) -> None:
    assert found(f"call me on {number}, thanks", "PHONE") == [number]


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("09012345678 に電話して", "09012345678"),
        ("080-1234-5678までお願いします", "080-1234-5678"),
        ("010-1234-5678 으로 연락주세요", "010-1234-5678"),
        ("01012345678로 연락", "01012345678"),
    ],
)
def test_a_japanese_or_korean_mobile_needs_no_label(text: str, number: str) -> None:
    assert found(text, "PHONE") == [number]


@pytest.mark.parametrize(
    "text",
    [
        "数字12345678901不是手机号",  # 12x is not a mobile prefix
        "order 1234567890",  # ten bare digits: an order number as often as a phone
        "+1 123 555 0199",  # NANP area codes start 2-9
        "+86 150 1111 11112",  # one digit too many for a +86 mobile
        "id415-555-0132",  # glued to a word
        "12812345678",
        "1381234567",
        "订单号 07551234567",  # a landline's digits with no area code set apart: an order number
        "价格 0755",
        "4001234567890",  # too long for a 400 number
        "单号 4001234567",  # ten bare digits: an order number as often as a 400 number
        "400-500 6000",  # mixed separators: a range, not a number
        "单号 09123456789",  # eleven digits: not a Taiwan mobile
        "单号 06012345678",  # nor a Japanese one (070, 080, 090)
        "0901-2345-678",  # nor in its grouping
    ],
)
def test_phone_negatives(text: str) -> None:
    assert found(text, "PHONE") == []


# --- shapes that need no name -----------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        "(02)2345-6789",  # Taiwan landlines
        "02-2345-6789",
        "(02) 2345 6789",
        "07-123-4567",
        "(+852) 9123 4567",  # Hong Kong
        "852 9123 4567",
        "852-9123-4567",
        "07700 900123",  # UK mobiles
        "07700 900 123",
        "0044 7700 900123",
    ],
)
def test_more_phone_shapes(number: str) -> None:
    assert found(f"reach us: {number}, thanks", "PHONE") == [number]
