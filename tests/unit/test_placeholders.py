import json
import subprocess
import sys

import pytest

from servicebot.filters.placeholders import KEY_ENV, Placeholders, restore


def test_the_same_value_keeps_its_placeholder_turn_after_turn() -> None:
    placeholders = Placeholders()
    first = placeholders.placeholder_for("PHONE", "+86 138 0013 8000")
    other = placeholders.placeholder_for("PHONE", "+1 212 555 0199")
    assert (first, other) == ("[PHONE_1]", "[PHONE_2]")
    assert placeholders.placeholder_for("PHONE", "13800138000") == first  # written differently
    assert placeholders.placeholder_for("EMAIL", "a@b.example") == "[EMAIL_1]"


def test_the_state_holds_digests_never_values() -> None:
    placeholders = Placeholders()
    placeholders.placeholder_for("EMAIL", "jane.doe@example.com")
    state = json.dumps(placeholders.to_state())
    assert "jane" not in state and "example.com" not in state


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
    other_process = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(placeholders.to_state()),
        capture_output=True,
        text=True,
        check=True,
    )
    assert other_process.stdout.split() == ["[CARD_1]", "[PHONE_1]", "[PHONE_2]"]


def test_a_number_the_customer_typed_literally_is_skipped() -> None:
    placeholders = Placeholders()
    avoid = "my note says [PHONE_1] and [PHONE_2]"
    assert placeholders.placeholder_for("PHONE", "13800138000", avoid=avoid) == "[PHONE_3]"


def test_restore_puts_back_only_the_values_it_is_given() -> None:
    text = "We will call [PHONE_1], not [PHONE_2]."
    assert restore(text, {"[PHONE_1]": "13800138000"}) == "We will call 13800138000, not [PHONE_2]."
