"""Phone numbers, for the PII detector (``servicebot/filters/phones.py``): international,
mainland China, Taiwan, UK, Hong Kong and North American shapes, and what is no phone."""

from __future__ import annotations

import pytest

from servicebot.filters.normalise import normalise
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


# --- Taiwan landlines and toll-free numbers -----------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        *("0800-123-456", "0800 123 456", "0800123456", "0809-123-456"),  # toll-free
        *("0287654321", "02-8765-4321", "(02)8765-4321"),  # Taipei: 8 digits after 02
        *("03-123-4567", "032345678", "04-2345-6789", "04-712-3456", "049-234-5678"),
        *("037-123456", "(037)123456", "089-123456", "082-312345", "0826-12345", "0836-23456"),
    ],
)
def test_taiwan_landlines_and_toll_free_numbers_need_no_label(number: str) -> None:
    assert found(f"客服專線 {number}，謝謝", "PHONE") == [number]


@pytest.mark.parametrize(
    "text",
    [
        "總計 NT$12,800 元",
        "2024-05-12 出貨",
        "統一編號 12345678",
        "發票 AB12345678",
        "門市代碼 123456",
        "訂單 0287654321 還沒到",  # named an order number
        "412-8888",  # a local number without its area code: a price range's shape (300-5000)
        "價格 300-5000 元",
        "A0287654321",  # glued to a word
        "02123456789",  # one digit too many for Taipei
        "021234567",  # one too few
        "06-123456",  # 06 has seven digits after it
        "0800-1234-567",  # 0800 numbers are 0800-xxx-xxx
    ],
)
def test_what_is_no_taiwan_number(text: str) -> None:
    assert found(normalise(text).text, "PHONE") == []
