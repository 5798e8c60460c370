"""store/holding.py: the conversations where a customer typed a value, found by the digests
the pre-filter kept, over conversations made by Bot.reply on each store."""

from __future__ import annotations

import pytest

from servicebot import Bot, BotSpec, load_bot
from servicebot.errors import NoPIIError
from servicebot.filters.pii import PII_KINDS
from servicebot.filters.placeholders import Placeholders
from servicebot.store import Store, open_store
from servicebot.store.holding import (
    Holding,
    conversations_holding,
    conversations_keyed_otherwise,
    lookups,
)
from tests.conftest import REPO

KEY_ENV = "SERVICEBOT_PII_KEY"


@pytest.fixture(scope="module")
def spec() -> BotSpec:
    return load_bot(REPO)


@pytest.fixture(autouse=True)
def _no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)


def converse(spec: BotSpec, store: Store, *turns: tuple[str, str]) -> None:
    """Each (conversation, message) as a customer's turn, answered offline and stored."""
    bot = Bot(spec, store=store, offline=True)
    for conversation_id, message in turns:
        bot.reply(message, conversation_id=conversation_id)


def ids(holding: list[Holding]) -> list[str]:
    return [found.conversation_id for found in holding]


def test_finds_every_conversation_where_the_customer_typed_an_email(
    spec: BotSpec, store: Store
) -> None:
    converse(
        spec, store,
        ("c1", "Where is my order? My email is Alice@Example.org"),
        ("c2", "How long does a refund take?"),
        ("c3", "my phone is 212-555-0147"),
        ("c3", "or email alice@example.org"),
        ("c4", "I'm bob@example.org"),
    )  # fmt: skip
    found = conversations_holding(store, ["alice@example.org"])
    assert found == [Holding("c1", ("[EMAIL_1]",)), Holding("c3", ("[EMAIL_1]",))]
    assert conversations_holding(store, ["carol@example.org"]) == []


def test_an_address_is_found_in_the_conversations_holding_it_by_its_canonical_form(
    spec: BotSpec, store: Store
) -> None:
    converse(
        spec, store,
        ("c1", "My name is Alice Smith, I live at 12 Baker Street, London NW1 6XE"),
        ("c2", "我叫张伟，地址北京市朝阳区建国路88号"),
        ("c3", "do you ship to Canada?"),
    )  # fmt: skip
    for written in ("12 Baker Street, London NW1 6XE", "12 Baker St London NW1 6XE"):
        assert conversations_holding(store, [written]) == [Holding("c1", ("[ADDRESS_1]",))]
    found = conversations_holding(store, ["北京市朝阳区 建国路88号"])
    assert found == [Holding("c2", ("[ADDRESS_1]",))]
    assert conversations_holding(store, ["14 Baker Street, London NW1 6XE"]) == []


def test_a_date_of_birth_is_found_with_its_label_however_it_was_written(
    spec: BotSpec, store: Store
) -> None:
    converse(spec, store, ("c1", "my date of birth is 7 March 1990"), ("c2", "hello"))
    found = conversations_holding(store, ["DOB 1990-03-07"])
    assert found == [Holding("c1", ("[DATE_OF_BIRTH_1]",))]


def test_a_messenger_id_is_found_with_its_label(spec: BotSpec, store: Store) -> None:
    converse(
        spec, store,
        ("c1", "加我微信 abc_123，订单100482"),
        ("c2", "QQ號：12345678"),
        ("c3", "telegram @john_doe_1"),
    )  # fmt: skip
    assert conversations_holding(store, ["微信 abc_123"]) == [Holding("c1", ("[MESSENGER_ID_1]",))]
    assert conversations_holding(store, ["qq 12345678"]) == [Holding("c2", ("[MESSENGER_ID_1]",))]
    found = conversations_holding(store, ["Telegram: @John_Doe_1"])
    assert found == [Holding("c3", ("[MESSENGER_ID_1]",))]


def test_a_chinese_mobile_typed_with_spaces_is_found_by_its_canonical_form(
    spec: BotSpec, store: Store
) -> None:
    converse(spec, store, ("会话1", "我的手机号是 138 0013 8000，退货要多久？"), ("会话2", "你好"))
    for written in ("13800138000", "+86 138-0013-8000", "１３８ ００１３ ８０００"):
        assert conversations_holding(store, [written]) == [Holding("会话1", ("[PHONE_1]",))]


def test_several_values_find_each_conversation_holding_any(spec: BotSpec, store: Store) -> None:
    converse(
        spec, store,
        ("a", "email alice@example.org"),
        ("b", "电话 13800138000"),
        ("c", "alice@example.org or 13800138000"),
    )  # fmt: skip
    found = conversations_holding(store, ["alice@example.org", "138 0013 8000"])
    assert found == [
        Holding("a", ("[EMAIL_1]",)),
        Holding("b", ("[PHONE_1]",)),
        Holding("c", ("[EMAIL_1]", "[PHONE_1]")),
    ]


def test_only_the_key_the_bot_ran_with_finds_its_conversations(
    spec: BotSpec, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, "the-bots-key")
    converse(spec, store, ("c1", "my email is alice@example.org"))
    assert ids(conversations_holding(store, ["alice@example.org"])) == ["c1"]
    monkeypatch.setenv(KEY_ENV, "another-key")
    assert conversations_holding(store, ["alice@example.org"]) == []
    monkeypatch.delenv(KEY_ENV)
    assert conversations_holding(store, ["alice@example.org"]) == []


def test_names_the_conversations_a_key_other_than_this_one_masked(
    spec: BotSpec, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After SERVICEBOT_PII_KEY was rotated (or lost), a look-up with the new key found nothing
    and could not tell "this customer has no conversation" from "this key cannot see them":
    an erasure request was answered with the customer's words still stored."""
    monkeypatch.setenv(KEY_ENV, "last-years-key")
    converse(spec, store, ("before", "my phone is 13800138000"))
    monkeypatch.setenv(KEY_ENV, "this-years-key")
    converse(spec, store, ("after", "call me on +44 7700 900123"), ("mail", "I'm a@example.org"))
    assert conversations_holding(store, ["13800138000"]) == []
    assert conversations_keyed_otherwise(store, ["13800138000"]) == ["before"]
    monkeypatch.delenv(KEY_ENV)
    assert conversations_keyed_otherwise(store, ["13800138000"]) == ["before", "after"]
    monkeypatch.setenv(KEY_ENV, "last-years-key")
    assert ids(conversations_holding(store, ["13800138000"])) == ["before"]
    assert conversations_keyed_otherwise(store, ["13800138000"]) == ["after"]  # found: not it


def test_a_look_up_reads_the_conversations_of_the_previous_key_when_it_is_given(
    spec: BotSpec, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, "last-years-key")
    converse(spec, store, ("before", "my phone is 13800138000"), ("other", "I'm a@example.org"))
    monkeypatch.setenv(KEY_ENV, "this-years-key")
    monkeypatch.setenv("SERVICEBOT_PII_KEY_PREVIOUS", "last-years-key")
    assert conversations_holding(store, ["13800138000"]) == [Holding("before", ("[PHONE_1]",))]
    assert conversations_keyed_otherwise(store, ["a@example.org", "13800138000"]) == []


def test_a_look_up_with_a_key_reads_the_conversations_kept_with_none(
    spec: BotSpec, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    converse(spec, store, ("before", "my phone is 13800138000"))
    monkeypatch.setenv(KEY_ENV, "a-new-key")
    assert conversations_holding(store, ["13800138000"]) == [Holding("before", ("[PHONE_1]",))]


@pytest.mark.parametrize("value", ["hello", "你好", "order 12345", ""])
def test_a_value_holding_no_pii_is_an_error_naming_the_kinds_that_can_be_found(
    value: str,
) -> None:
    with pytest.raises(NoPIIError) as raised:
        conversations_holding(open_store("memory://"), ["alice@example.org", value])
    assert isinstance(raised.value, ValueError) and raised.value.kinds == PII_KINDS
    assert "EMAIL, IBAN" in str(raised.value) and "PHONE" in str(raised.value)


def test_a_value_is_looked_for_as_every_kind_the_detector_reads_in_it() -> None:
    assert lookups("Alice@Example.org") == [("EMAIL", "Alice@Example.org")]
    assert lookups("passport number E12345678") == [("PASSPORT", "E12345678")]


def test_lists_the_conversations_that_issued_a_kind_by_their_first_turn(
    spec: BotSpec, store: Store
) -> None:
    converse(
        spec, store,
        ("c1", "call me on 212-555-0147"),
        ("c2", "How long does a refund take?"),
        ("c3", "I'm bob@example.org"),
        ("c1", "or alice@example.org"),
    )  # fmt: skip
    assert store.conversations_with_placeholders({"EMAIL"}) == ["c1", "c3"]
    assert store.conversations_with_placeholders({"PHONE", "EMAIL"}) == ["c1", "c3"]
    assert store.conversations_with_placeholders({"PHONE"}) == ["c1"]


def test_reads_no_turn_of_a_conversation_without_the_values_kind(
    spec: BotSpec, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Collecting ids from every stored turn took 9.1 s and 932 MB for 20,000 conversations."""
    converse(spec, store, ("c1", "my email is alice@example.org"), ("c2", "hello"))

    def every_turn(*args: object) -> None:
        raise AssertionError("read every stored turn")

    monkeypatch.setattr(store, "turns_since", every_turn)
    assert ids(conversations_holding(store, ["alice@example.org"])) == ["c1"]


def test_finds_a_conversation_whose_state_was_saved_but_no_turn_stored(
    spec: BotSpec, store: Store
) -> None:
    """The store failed as the turn was written: the value's digest is kept all the same."""
    converse(spec, store, ("c1", "hi, I'm alice@example.org"))
    placeholders = Placeholders()
    placeholders.placeholder_for("EMAIL", "alice@example.org")
    assert store.swap_state("lost", None, placeholders.to_state())
    found = conversations_holding(store, ["Alice@example.org"])
    assert found == [Holding("c1", ("[EMAIL_1]",)), Holding("lost", ("[EMAIL_1]",))]


def test_a_conversation_whose_id_is_the_value_is_found(spec: BotSpec, store: Store) -> None:
    # WhatsApp names a conversation by the customer's number: "--holding" said no
    # conversation held it, though `history` listed it, and an erasure would have missed it.
    converse(
        spec, store,
        ("+14155552671", "where is my order 123456"),
        ("whatsapp:+8613800138000", "我的手机号是 13800138000"),
        ("c-2671", "hi"),
    )  # fmt: skip
    for written in ("+1 415 555 2671", "(415) 555-2671"):
        assert conversations_holding(store, [written]) == [Holding("+14155552671", (), by_id=True)]
    assert conversations_holding(store, ["13800138000"]) == [
        Holding("whatsapp:+8613800138000", ("[PHONE_1]",), by_id=True)
    ]
