import json

import pytest

from servicebot.filters.placeholders import KEY_ENV, Placeholders, restore
from tests.conftest import run_python

PREVIOUS_KEY_ENV = "SERVICEBOT_PII_KEY_PREVIOUS"


def test_the_same_value_keeps_its_placeholder_turn_after_turn() -> None:
    placeholders = Placeholders()
    first = placeholders.placeholder_for("PHONE", "+86 138 0013 8000")
    other = placeholders.placeholder_for("PHONE", "+1 212 555 0199")
    assert (first, other) == ("[PHONE_1]", "[PHONE_2]")
    assert placeholders.placeholder_for("PHONE", "13800138000") == first  # written differently
    landline = placeholders.placeholder_for("PHONE", "0755-86013388")
    assert placeholders.placeholder_for("PHONE", "+86 755 8601 3388") == landline
    service = placeholders.placeholder_for("PHONE", "400-123-4567")
    assert placeholders.placeholder_for("PHONE", "+86 400 123 4567") == service != landline
    assert placeholders.placeholder_for("EMAIL", "a@b.example") == "[EMAIL_1]"


def test_the_state_holds_digests_never_values() -> None:
    placeholders = Placeholders()
    placeholders.placeholder_for("EMAIL", "jane.doe@example.com")
    state = json.dumps(placeholders.to_state())
    assert "jane" not in state and "example.com" not in state


def test_placeholder_of_finds_a_typed_value_in_any_form_and_issues_none() -> None:
    placeholders = Placeholders()
    placeholders.placeholder_for("PHONE", "138 0013 8000")
    state = placeholders.to_state()
    assert placeholders.placeholder_of("PHONE", "+86 13800138000") == "[PHONE_1]"
    assert placeholders.placeholder_of("PHONE", "13900139000") is None
    assert placeholders.placeholder_of("EMAIL", "138 0013 8000") is None  # another kind
    assert placeholders.to_state() == state


@pytest.mark.parametrize("key", [None, "a-secret-key"])
def test_placeholders_are_stable_across_processes(
    key: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if key:
        monkeypatch.setenv(KEY_ENV, key)
    placeholders = Placeholders()
    placeholders.placeholder_for("PHONE", "+44 20 7946 0958")
    placeholders.placeholder_for("CARD", "4111 1111 1111 1111")
    code = (
        "import json, sys\n"
        "from servicebot.filters.placeholders import Placeholders\n"
        "p = Placeholders.from_state(json.loads(sys.stdin.read()))\n"
        "print(p.placeholder_for('CARD', '4111-1111-1111-1111'),"
        " p.placeholder_for('PHONE', '+44 20 7946 0958'),"
        " p.placeholder_for('PHONE', '+1 212 555 0100'))"
    )
    printed = run_python(code, stdin=json.dumps(placeholders.to_state()))
    assert printed.split() == ["[CARD_1]", "[PHONE_1]", "[PHONE_2]"]


def test_a_rotated_key_keeps_a_conversations_placeholders_with_the_previous_one_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """After SERVICEBOT_PII_KEY was rotated, the customer's phone, [PHONE_1] in the turns
    before, became [PHONE_2]: the model read of two phones."""
    monkeypatch.setenv(KEY_ENV, "last-years-key")
    before = Placeholders()
    before.placeholder_for("PHONE", "138 0013 8000")
    state = before.to_state()
    monkeypatch.setenv(KEY_ENV, "this-years-key")
    monkeypatch.setenv(PREVIOUS_KEY_ENV, "last-years-key")
    after = Placeholders.from_state(state)
    assert after.placeholder_for("PHONE", "13800138000") == "[PHONE_1]"
    assert after.placeholder_of("PHONE", "+86 138 0013 8000") == "[PHONE_1]"
    assert after.placeholder_for("PHONE", "13900139000") == "[PHONE_2]"  # a new one, numbered on
    monkeypatch.delenv(PREVIOUS_KEY_ENV)  # digested under the new key too, once typed again
    later = Placeholders.from_state(after.to_state())
    assert later.placeholder_for("PHONE", "13800138000") == "[PHONE_1]"
    assert Placeholders.from_state(state).placeholder_for("PHONE", "13800138000") == "[PHONE_2]"


def test_a_key_set_where_there_was_none_keeps_a_conversations_placeholders(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = Placeholders()
    before.placeholder_for("EMAIL", "alice@example.org")
    monkeypatch.setenv(KEY_ENV, "a-new-key")
    after = Placeholders.from_state(before.to_state())
    assert after.placeholder_of("EMAIL", "Alice@Example.org") == "[EMAIL_1]"
    assert after.placeholder_for("EMAIL", "alice@example.org") == "[EMAIL_1]"
    assert after.placeholder_for("EMAIL", "bob@example.org") == "[EMAIL_2]"


def test_an_hkid_in_square_brackets_is_the_same_hkid() -> None:
    # A494866[4] was another value than A494866(4): a second placeholder for one ID.
    placeholders = Placeholders()
    assert placeholders.placeholder_for("HK_ID", "A494866(4)") == "[HK_ID_1]"
    assert placeholders.placeholder_for("HK_ID", "a494866[4]") == "[HK_ID_1]"


def test_an_hkid_stored_as_a_cn_id_before_keeps_that_placeholder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Before HK_ID was a kind, "HKID A123456(7)" was stored as [CN_ID_1]; the next turn of
    # the same conversation gave it [HK_ID_1], and the model read of two IDs.
    monkeypatch.setenv(KEY_ENV, "last-years-key")
    before = Placeholders()
    assert before.placeholder_for("CN_ID", "A123456(7)") == "[CN_ID_1]"  # as it was issued
    placeholders = Placeholders.from_state(json.loads(json.dumps(before.to_state())))
    assert placeholders.placeholder_for("HK_ID", "A123456 (7)") == "[CN_ID_1]"
    assert placeholders.placeholder_for("HK_ID", "C668668(9)") == "[HK_ID_1]"  # a new one
    assert placeholders.placeholder_for("CN_ID", "11010519491231002X") == "[CN_ID_2]"
    monkeypatch.setenv(KEY_ENV, "this-years-key")  # and through a key's rotation too
    monkeypatch.setenv(PREVIOUS_KEY_ENV, "last-years-key")
    rotated = Placeholders.from_state(before.to_state())
    assert rotated.placeholder_of("HK_ID", "a123456(7)") == "[CN_ID_1]"
    assert rotated.placeholder_for("HK_ID", "A123456(7)") == "[CN_ID_1]"


@pytest.mark.parametrize(
    "written",
    ["+86 138 0013 8000", "86 138 0013 8000", "0086-138-0013-8000", "013800138000", "13800138000"],
)
def test_one_mainland_number_however_it_is_written(written: str) -> None:
    placeholders = Placeholders()
    placeholders.placeholder_for("PHONE", "13800138000")
    assert placeholders.placeholder_for("PHONE", written) == "[PHONE_1]"


def test_one_north_american_number_however_it_is_written() -> None:
    placeholders = Placeholders()
    for written in ("+1 800 555 0199", "1-800-555-0199", "(800) 555-0199", "800.555.0199"):
        assert placeholders.placeholder_for("PHONE", written) == "[PHONE_1]"


def test_one_taiwan_mobile_however_it_is_written() -> None:
    placeholders = Placeholders()
    for written in ("0912-345-678", "0912 345678", "+886 912 345 678", "+886-0912-345-678"):
        assert placeholders.placeholder_for("PHONE", written) == "[PHONE_1]"


def test_digests_differ_between_conversations_so_they_cannot_be_linked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(KEY_ENV, "a-secret-key")
    first, second = Placeholders(), Placeholders()
    first.placeholder_for("EMAIL", "jane@example.com")
    second.placeholder_for("EMAIL", "jane@example.com")
    assert set(first.by_digest).isdisjoint(second.by_digest)


def test_many_values_are_numbered_in_linear_time() -> None:
    placeholders = Placeholders()
    for i in range(20_000):
        placeholders.placeholder_for("IP", f"10.0.{i // 256}.{i % 256}")
    assert placeholders.placeholder_for("IP", "10.0.0.0") == "[IP_1]"
    assert placeholders.counts == {"IP": 20_000}


def test_restore_puts_back_the_values_it_is_given_and_describes_the_others() -> None:
    text = "We will call [PHONE_1], not [PHONE_2], and write to [EMAIL_3]."
    assert restore(text, {"[PHONE_1]": "13800138000"}) == (
        "We will call 13800138000, not your phone number, and write to your email address."
    )
    assert restore("我们会联系[PHONE_1]。", {}, "zh") == "我们会联系您的电话号码。"
    assert restore("see [FOO_BAR_2]", {}) == "see your details"


def test_an_address_and_a_date_of_birth_are_shown_back_as_typed_or_described() -> None:
    values = {"[ADDRESS_1]": "12 Baker Street, London NW1 6XE", "[DATE_OF_BIRTH_1]": "7 March 1990"}
    text = "We'll ship to [ADDRESS_1]; your date of birth [DATE_OF_BIRTH_1] is on file."
    assert restore(text, values) == (
        "We'll ship to 12 Baker Street, London NW1 6XE; your date of birth 7 March 1990 is on file."
    )
    assert restore("We'll ship to [ADDRESS_2] ([DATE_OF_BIRTH_2]).", values) == (
        "We'll ship to your address (your date of birth)."
    )
    assert restore("寄到【ADDRESS_1】", {}, "zh") == "寄到您的地址"
    assert restore("生日[DATE_OF_BIRTH_1]", {}, "zh-Hant") == "生日您的出生日期"


def test_a_messenger_id_is_shown_back_as_typed_or_described() -> None:
    values = {"[MESSENGER_ID_1]": "abc_123"}
    assert restore("We'll add [MESSENGER_ID_1].", values) == "We'll add abc_123."
    assert restore("We'll add [MESSENGER_ID_2].", values) == "We'll add your messenger ID."
    assert restore("加【MESSENGER_ID_1】", {}, "zh") == "加您的微信/QQ号"
    assert restore("加[MESSENGER_ID_1]", {}, "zh-Hant") == "加您的通訊軟體帳號"


def test_a_card_is_shown_by_its_last_four_digits_and_its_code_or_a_secret_never() -> None:
    values = {
        "[CARD_1]": "4111 1111 1111 1111",
        "[CARD_2]": "123",  # the card's security code, named by the customer
        "[SECRET_1]": "hunter2024",
    }
    text = "Card [CARD_1] with code [CARD_2] is linked; your password [SECRET_1] was reset."
    assert restore(text, values) == (
        "Card •••• 1111 with code ••• is linked; your password ••• was reset."
    )
    assert restore("尾号【CARD_1】的卡", values, "zh") == "尾号•••• 1111的卡"


def test_restore_reads_a_placeholder_as_models_copy_it_but_nothing_else() -> None:
    values = {"[PHONE_1]": "13800138000", "[CN_ID_1]": "11010519491231002X"}
    for copied in (
        "【PHONE_1】",
        "［PHONE_1］",
        "{PHONE_1}",
        "[Phone_1]",
        "[PHONE 1]",
        "[PHONE_01]",
        "[ PHONE_1 ]",
        "[PHONE-1]",
        "【phone-1】",
        "PHONE_1",
    ):
        assert restore(f"我们会打{copied}联系您。", values, "zh") == "我们会打13800138000联系您。"
    for copied in ("【CN_ID_1】", "[CN-ID-1]"):
        assert restore(f"身份证{copied}已登记", values, "zh") == "身份证11010519491231002X已登记"
    assert restore("then call 【PHONE_2】", values) == "then call your phone number"
    kept_as_written = (
        "see [Step 1] and {Option 2}",
        "ISO_9001 certified",
        "you typed (PHONE_1)",
        "model [USB-C-2]",
    )
    for kept in kept_as_written:
        assert restore(kept, values) == kept


def test_the_placeholders_of_pieces_are_kept_with_the_state() -> None:
    """A stored "my card number is [CARD_1]" reads the same whether the value was whole or a
    piece: the next turn, loaded from the store, must know which (filters/pieces.py)."""
    placeholders = Placeholders()
    placeholders.mark_piece(placeholders.placeholder_for("CARD", "4111 1111"))
    state = json.loads(json.dumps(placeholders.to_state()))
    assert Placeholders.from_state(state).pieces == {"[CARD_1]"}
    del state["pieces"]  # as a state kept before pieces were marked
    assert Placeholders.from_state(state).pieces == set()
    assert "pieces" not in Placeholders().to_state()  # a conversation with none keeps its state
