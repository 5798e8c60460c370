"""Where a label finds no personal data (``servicebot/filters/labelled.py`` and
``labels.py``): a label without its value ("密码是多少", "my passport expires 2030-01-01"),
a number named as a reference (an order, a tracking number, a part), though a card, mobile
or email after a reference label is personal data still."""

from __future__ import annotations

import pytest

from servicebot.filters.normalise import normalise
from tests.unit.piifindings import found, spans


@pytest.mark.parametrize(
    "text",
    [
        "密码是多少",  # asks what it is
        "密码是8位",  # says how long it is
        "密码要求8位以上",
        "我忘记密码了",
        "the pin is wrong",
        "I need a new pin",
        "my phone is broken, order 123456789",
        "call me at 3pm",
        "the otp never arrived",
        "which card 2 days ago",
        "boarding pass is missing",
        # complaints about a password, and answers about them, hold none
        "My password: I forgot it, can you reset?",
        "password:\n\nI forgot it, can you reset?",
        "忘记密码\nOrder12345 到哪了",  # the next line goes on, about something else
        "忘记密码\n12345678",  # the label does not begin its line: no form's field
        "Username: bob\nPassword:\nOrder: 12345678",  # an empty field, then the next
        "账号：zhang\n密码：\n订单号：12345678",
        "the password's reset link expired",
        "password: 3 attempts failed, account locked",
        "my password is 8 chars",
        "I changed my password 3 times",
        "password reset link 404",
        "password 2FA",
        # a count, a version, a time or a date with no "is" before it
        "password 1,000 times",
        "password v2.0.1 update",
        "my pw 12:30pm reset failed",
        "I reset my password 2.5 times a week",
        "password 2024-03-15 reset failed",
        "my password to the account is case-sensitive",
        # a length with a hyphen is a length too
        "the password 6-digit code never came",
        "Is the password 10-digit or 12-digit?",
        "my password is 8-character minimum",
        "Password: at least 8 characters, including 1 number.",
        "pw: use at least 12 characters",
        "Boarding pass: ABC123",
        # codes that are no secret: a VAT invoice's check code, a coupon's 口令, a lock's pin
        "发票校验码 03285102716351952781，帮我开发票",
        "我用口令 MAPLE2024 领券失败",
        "The smart lock pin 2580 is stuck",
        "I got a PIN 1234 error at checkout",
        "the iban field is empty and the refund of 120 failed",
        "身份证 A12345 照片看不清",  # too short for any ID card
        # a phone's date or price, and a shop's own cards
        "I ordered a phone on 2024-03-15 12:30 and it hasn't arrived",
        "手机 2024-03-15 14:30 下单",
        "The phone is 1 299 000 VND",
        "手机 1 299 000 元",
        "phone 1,299,000",
        "会员卡号 1234567890123 积分没到账",
        "礼品卡 6035720012345678 余额不对",
        "My gift card 6035720012345678 doesn't work",
        "Member card 5210 3300 1234 5678 has no points",
        "会员卡卡号 5210330012345678 积分没到账",
        # what a customer says of a password's rules, or of an error after typing it
        "The password is case-sensitive, right?",
        "Password: 8-16 characters? Mine is 20",
        "The site says password is 8-12 chars but mine has 14",
        "My old password was 2FA protected",
        "password: forgot",
        "Password: expired.",
        "输入密码后提示 error 1005",
        "修改密码时报错 0x80070005",
        "密码为 8-16 位字母和数字的组合吗？",
        "新密码为8到16位，我输入了12位还是不行",
        "密碼為8-16位英數混合嗎？",
        # a date, a price, a sender's number, a payment reference
        "I didn't get the OTP on 2024-03-15 when I tried to pay",
        "The phone was 10999.00 yuan",
        "收到的验证码是 1069 0123 4567 发来的，是你们吗",
        "The payment reference token PAY-20240315-000123 shows failed",
    ],
)
def test_a_name_without_its_value_finds_nothing(text: str) -> None:
    assert spans(normalise(text).text) == []


@pytest.mark.parametrize(
    "text",
    [
        "淘宝订单号 4895803924456462927 还没发货",  # passes Luhn, with a Visa prefix
        "运单号 0912345678",  # a Taiwan mobile's shape
        "invoice 4012888888881881",
        "订单编号 4895803924456462927 还没发货",
        "Order ID: 4532015112830366",
        "tracking: 0912345678",
        "Can you reissue invoice 03-2024-0001?",
        "SKU 450-220-1234 says out of stock",
        "part no. 414-52-1187 for the purifier",
        "零件号 03-456-7890 的滤芯",
        "coupon code 212-555-0123 doesn't work",  # a code the shop issues, a phone's shape
        "优惠码 212-555-0123 用不了",
        "My part number on the back is 212-555-0123",  # where it is printed, not a place
        "Tracking number 1-800-123-4567",  # an 800 service number's shape after the 1-
        "tracking: 1 800 123 4567",
        # a convenience store's shipping or pickup code, a store's code
        "超商寄件代碼 0912345678",
        "取件代码：0912345678",
        "門市代碼 0287654321",
    ],
)
def test_a_number_named_as_a_reference_is_not_personal_data(text: str) -> None:
    assert spans(normalise(text).text) == []


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("my order: 4111 1111 1111 1111", "CARD"),  # grouped as a card
        ("快递 13800138000 一直打不通", "PHONE"),  # the courier's phone
        ("订单是13800138000下的", "PHONE"),
        ("tracking number 13800138000", "PHONE"),
        ("ref: someone@example.com", "EMAIL"),
        ("证件号码：110101199003077475", "CN_ID"),  # 件号 inside it is no part number
        ("My gift card 4012888888881881 doesn't work", "CARD"),  # a prepaid Visa's
        ("voucher 4012888888881881", "CARD"),
        ("优惠码 13800138000", "PHONE"),
        ("I placed my order at 212-555-0123", "PHONE"),  # where, not which order
        ("注文 09012345678 に電話して", "PHONE"),  # a Japanese mobile's shape
        ("注文番号 080-1234-5678", "PHONE"),
        ("주문 010-1234-5678 으로 연락주세요", "PHONE"),  # a Korean mobile's
    ],
)
def test_a_card_mobile_or_email_after_a_reference_label_is_still_personal_data(
    text: str, kind: str
) -> None:
    assert [k for k, _ in spans(text)] == [kind]


@pytest.mark.parametrize(
    "text",
    [
        "my passport expires 2030-01-01",  # a date
        "passport photo size 35x45mm",
        "I lost my passport, order 12345678",  # a reference number after it
        "is my passport ok for 2 bags",
        "这是普通文本没有护照号",
        "G12345678",  # a passport's shape, but as much a product code's: unnamed, not found
    ],
)
def test_a_passport_is_found_only_where_its_number_is_named(text: str) -> None:
    assert found(normalise(text).text, "PASSPORT") == []
