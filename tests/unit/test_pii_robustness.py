"""Tests for servicebot.filters.pii's robustness: adversarial text (long runs, repeated
separators, nested brackets) finishes, and any text, random or made of PII-shaped pieces,
gives sorted, disjoint spans of known kinds. The kinds themselves are test_pii.py's and its
neighbours'."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servicebot.filters import Finding
from servicebot.filters.pii import PII_KINDS, find_pii

ADVERSARIAL = {
    "digits": "1" * 100_000,
    "digit groups": "4111 " * 20_000,
    "dashes": "1-" * 50_000,
    "at signs": "@" * 100_000,
    "dots": "." * 100_000,
    "a@": "a@" * 50_000,
    "chinese a@": "张@" * 50_000,
    "idn hosts": "张@例." * 25_000,
    "a@b.": "a@b." * 25_000,
    "chained": "a@b.co" * 16_667,
    "written dots before @": "a dot " * 16_667 + "a@b.co",
    "defanged dots": "a@b[.]" * 16_667,
    "brackets": "(" * 50_000 + ")" * 50_000,
    "bracket digits": "(1" * 50_000,
    "letters": "a" * 100_000,
    "plus": "+1 " * 33_334,
    "colons": "f:" * 50_000,
    "dotted": "1." * 50_000,
    "iban-ish": "GB29 " * 20_000,
    "keys": "sk-" * 33_334,
    "passwords": "password: " * 10_000,
    "passwords on lines": "password:\n\n" * 10_000,
    "chinese passwords on lines": "密码\n" * 30_000,
    "labels over lines": "phone\n1\n" * 10_000,
    "chinese passwords": "密码是" * 30_000,
    "chinese password runs": "密码" + "a" * 100_000,
    "labels": "card phone cvv 身份证 " * 5_000,
    "labelled digits": "phone " + "1 " * 50_000,
    "order labels": "order 4111 1111 1111 1111 " * 4_000,
    "street lines": "12 Baker Street " * 6_250,
    "born on": "born on 1 " * 10_000,
    "chinese labelled addresses": "收货地址：北京市朝阳区建国路88号，" * 5_556,
    "chinese regions after a street": "建国路88号，" + "北京市朝阳区" * 16_665,
    "chinese estate names after a street": "建国路88号，" + "阳光花园阳光花园阳光" * 9_999,
    "chinese and english birth labels": "生日1月1日 dob " * 9_091,
    "messenger labels": "qq 12345 微信 abc_123 赖ID:a.b2 " * 3_334,
    "messenger labels in ids": "vx 1_" * 20_000,
    # floods of one label: each read by labelled.py (see labelspans._MOST_LABELS)
    "chinese label flood, then a digit": "电话" * 50_000 + "1",
    "card label flood, then a digit": "卡号" * 50_000 + "1",
    "LINE label flood, then a digit": "赖" * 100_000 + "1",
    "labels, each before a digit": "电话1" * 33_334,
    "reference labels, each before a digit": "订单1" * 33_334,
    "english labels, each before a digit": "phone 1 " * 12_500,
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_adversarial_inputs_finish(name: str) -> None:
    text = ADVERSARIAL[name]
    assert_well_formed(text, find_pii(text))


def test_a_run_of_chinese_place_names_after_a_street_is_no_address() -> None:
    """A name may hold a unit's characters (阳光花园: 阳光 and 花园, or 阳光花 and 园), and a
    search that tried each split of a run took seconds for 140 characters, doubling with each
    few more: a customer's paste stopped the worker (the 100 KB runs in ADVERSARIAL never
    finished). The run after the street's number is not part of its address."""
    text = "建国路88号，" + "阳光花园阳光花园阳光" * 14
    assert [text[f.start : f.end] for f in find_pii(text)] == ["建国路88号"]


def assert_well_formed(text: str, findings: list[Finding]) -> None:
    end = 0
    for finding in findings:
        assert end <= finding.start < finding.end <= len(text)
        assert finding.kind in PII_KINDS
        end = finding.end


@given(st.text())
def test_any_text_gives_sorted_disjoint_spans(text: str) -> None:
    assert_well_formed(text, find_pii(text))


_PIECES = st.sampled_from(
    [
        *("13812345678", "4111 1111 1111 1111", "a@b.co", "192.168.0.1", "::1", "078-05-1123"),
        *("110101199003077475", "GB29 NWBK 6016 1331 9268 19", "password: x1", "+44 20 7946 0958"),
        *(" ", "-", "\n"),
    ]
)


@given(st.lists(st.one_of(_PIECES, st.text(alphabet="0123456789 -.:@+()xX密码是", max_size=8))))
def test_pii_shaped_text_gives_sorted_disjoint_spans(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert_well_formed(text, find_pii(text))
