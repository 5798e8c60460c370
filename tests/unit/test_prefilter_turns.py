"""A value sent on its own after a message that ended with its label (filters/followup.py),
or in pieces after it (filters/pieces.py): masked by the pre-filter given the previous
messages, and so in what the model is sent and the store keeps, through Bot.reply."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from servicebot.config import BotSpec
from servicebot.filters.placeholders import Placeholders
from servicebot.model import AnswersAtOnce, Completion, ModelRequest
from servicebot.pipeline import Bot
from servicebot.prefilter import Prefilter
from servicebot.settings import PrefilterSettings
from servicebot.store import open_store


@pytest.fixture(scope="module")
def prefilter() -> Prefilter:
    return Prefilter(PrefilterSettings())


@pytest.mark.parametrize(
    ("previous", "text", "masked"),
    [
        ("and the cvv is", "123", "[CARD_1]"),
        ("my card's security code:", " it's 123. ", " it's [CARD_1]. "),
        ("my password is", "Hunter2!x", "[SECRET_1]"),
        ("Password:", "Passw0rd!", "[SECRET_1]"),
        ("I forgot my password", "Hunter2!x", "[SECRET_1]"),  # as "password Hunter2!x"
        ("my passport number is", "533380006", "[PASSPORT_1]"),
        ("my phone number is", "9123 4567", "[PHONE_1]"),
        ("my new phone is [PHONE_1] and my pin is", "2580", "[SECRET_1]"),
        ("我的身分證號碼是", "A123456780", "[CN_ID_1]"),  # its check digit wrong: alone, a code
        ("手机号？", "9123 4567", "[PHONE_1]"),
        ("我的護照號碼：", "E12345678。", "[PASSPORT_1]。"),
        ("密码是", "abc12345", "[SECRET_1]"),
        ("安全码", "是 456", "是 [CARD_1]"),
        ("password:", "hunter", "[SECRET_1]"),  # letters alone, as "password: hunter" is
        ("密码是", "abcdefg", "[SECRET_1]"),
    ],
)
def test_a_value_alone_after_a_message_that_ended_with_its_label_is_masked(
    prefilter: Prefilter, previous: str, text: str, masked: str
) -> None:
    result = prefilter.run(text, Placeholders(), previous)
    assert result.text == masked
    assert prefilter.run(text, Placeholders()).text == text  # alone, it is any number


@pytest.mark.parametrize(
    ("previous", "text", "masked"),
    [
        ("my date of birth is", "07/03/1990", "[DATE_OF_BIRTH_1]"),
        ("DOB:", "7 March 1990 thanks", "[DATE_OF_BIRTH_1] thanks"),
        ("出生日期：", "1990年3月7日", "[DATE_OF_BIRTH_1]"),
        ("my address is", "12 Baker Street, London", "[ADDRESS_1]"),
        ("I live at", "Flat 3, Rose Court, Leeds", "[ADDRESS_1]"),
        ("地址：", "台北市大安區忠孝東路四段100號5樓", "[ADDRESS_1]"),
        ("my postcode is", "NW1 6XE", "[ADDRESS_1]"),
    ],
)
def test_an_address_or_date_of_birth_alone_after_its_label_is_masked(
    prefilter: Prefilter, previous: str, text: str, masked: str
) -> None:
    """As any other value: a chat window sends "my date of birth is" as it is typed."""
    assert prefilter.run(text, Placeholders(), previous).text == masked


@pytest.mark.parametrize(
    ("previous", "text"),
    [
        ("the birthday card I ordered on", "12/05/2024 came torn"),  # no label at the end
        ("do you ship to", "Canada?"),  # a country, as on one line
        ("my address is", "wrong, please fix it"),  # no address
        ("my birthday is", "next week, will it arrive?"),
    ],
)
def test_a_message_after_an_address_or_birth_label_that_is_none_stays(
    prefilter: Prefilter, previous: str, text: str
) -> None:
    assert prefilter.run(text, Placeholders(), previous).text == text


@pytest.mark.parametrize(
    ("previous", "text", "masked"),
    [
        ("and the cvv is", "123 thanks", "[CARD_1] thanks"),
        ("my passport number is", "E12345678, expires 2030", "[PASSPORT_1], expires 2030"),
        ("and the cvv is", "123 🙂", "[CARD_1] 🙂"),
        ("my password is", "Hunter2!x lol", "[SECRET_1] lol"),
        ("我的護照號碼：", "E12345678，谢谢", "[PASSPORT_1]，谢谢"),
    ],
)
def test_a_value_and_a_few_words_after_a_message_that_ended_with_its_label_is_masked(
    prefilter: Prefilter, previous: str, text: str, masked: str
) -> None:
    assert prefilter.run(text, Placeholders(), previous).text == masked


@pytest.mark.parametrize(
    ("previous", "text"),
    [
        ("my order number is", "12345678"),  # a reference, as on one line
        ("my gift card number is", "4111 1111 1111 1112"),  # the shop's own card
        ("my phone is broken", "9123 4567"),  # the label does not end the message
        ("what is the security code for?", "123 is on the back"),  # no label at the end
        ("and the cvv is", "123 " + "and then more words " * 3),  # a message of its own
        ("and the cvv is", "123thanks"),  # not set apart from the words after it
        ("password:", "sure, give me a sec"),  # no digit: an answer, not "sure"
        ("my order number is", "12345678 thanks"),  # a reference, with words after it
        ("the password rules", "8-16 characters"),  # a password's rule, not one
        ("I forgot my password", "2024"),  # no password's shape
        ("a pin", "2580"),  # "pin" needs "is" or a colon
        ("my password:", "ok"),  # no password's shape, as on one line
        ("my password is", "Hunter!!"),  # letters alone after "is", as on one line
    ],
)
def test_a_message_is_read_as_a_value_only_when_it_is_one_and_its_label_ends_the_last(
    prefilter: Prefilter, previous: str, text: str
) -> None:
    assert prefilter.run(text, Placeholders(), previous).text == text


class _Recorder(AnswersAtOnce):
    """A ModelClient that keeps every request and gives one answer."""

    def __init__(self) -> None:
        self.requests: list[ModelRequest] = []

    def complete(self, request: ModelRequest) -> Completion:
        self.requests.append(request)
        return Completion("Thanks, noted.")


CONVERSATIONS = {
    "card": (["my card number is", "4111 1111 1111 1111", "and the cvv is", "123"], "123"),
    "password": (["my password is", "Hunter2!x"], "Hunter2!x"),
    "tw-id": (["我的身分證號碼是", "A123456789"], "A123456789"),
    "passport": (["我的护照号码是", "E12345678"], "E12345678"),
}


@pytest.mark.parametrize("conversation", CONVERSATIONS)
def test_a_value_sent_after_its_label_is_never_sent_to_the_model_or_stored(
    spec: BotSpec, tmp_path: Path, conversation: str
) -> None:
    model = _Recorder()
    bot = Bot(spec, model=model, store=open_store("sqlite:///turns.db", root=tmp_path))
    messages, value = CONVERSATIONS[conversation]
    for message in messages:
        bot.reply(message, conversation_id=conversation)
    stored = [turn.customer_text for turn in bot.store.history(conversation)]
    bot.close()
    assert stored[0] == messages[0]  # the label stays
    assert value not in "\n".join(stored) and "[" in stored[-1]
    sent = [message.content for request in model.requests for message in request.messages]
    assert [text for text in sent if value in text] == []
    assert conversation == "password" or "[" in sent[-1]  # a password's turn is blocked


@pytest.mark.parametrize("handoff_after", [0, 3])
def test_a_value_after_its_label_is_masked_when_no_turn_is_read_back(
    spec: BotSpec, tmp_path: Path, handoff_after: int
) -> None:
    """``budget.history_turns: 0`` sends the model no earlier turn, but the customer's last
    message is still read for the label that names this one's value."""
    budget = spec.settings.budget.model_copy(update={"history_turns": 0})
    routing = spec.settings.routing.model_copy(update={"handoff_after": handoff_after})
    settings = spec.settings.model_copy(update={"budget": budget, "routing": routing})
    store = open_store("sqlite:///turns.db", root=tmp_path)
    bot = Bot(dataclasses.replace(spec, settings=settings), model=_Recorder(), store=store)
    for message in ["and the cvv is", "123"]:
        bot.reply(message, conversation_id="c")
    for message in ["my phone is", "415", "555", "2671"]:  # the label, read 3 messages back
        bot.reply(message, conversation_id="p")
    stored = [turn.customer_text for turn in bot.store.history("c")]
    pieces = [turn.customer_text for turn in bot.store.history("p")]
    bot.close()
    assert stored == ["and the cvv is", "[CARD_1]"]
    assert pieces == ["my phone is", "[PHONE_1]", "[PHONE_2]", "[PHONE_3]"]


def test_a_history_written_by_hand_is_stored_as_the_turns_would_be(bot: Bot) -> None:
    """``servicebot render --history``: each line read after the one before it."""
    from servicebot.prompt import Exchange

    history = [Exchange("my password is", "Go on."), Exchange("Hunter2!x", "Thanks.")]
    stored = bot.as_stored(history, Placeholders())
    assert [x.user for x in stored] == ["my password is", "[SECRET_1]"]


PIECES = {
    "card": (
        ["my card number is 4111 1111", "1111 1111"],
        ["my card number is [CARD_1]", "[CARD_2]"],
    ),
    "phone": (
        ["my phone is", "415", "555", "2671"],
        ["my phone is", "[PHONE_1]", "[PHONE_2]", "[PHONE_3]"],
    ),
    "id": (
        ["我的身份证号是", "110101", "19900307", "7777"],
        ["我的身份证号是", "[CN_ID_1]", "[CN_ID_2]", "[CN_ID_3]"],
    ),
    "email": (
        ["my email is john.smith", "@gmail.com"],
        ["my email is [EMAIL_1]", "[EMAIL_2]"],
    ),
    "email-alone": (
        ["my email is", "john.smith", "@gmail.com"],
        ["my email is", "[EMAIL_1]", "[EMAIL_2]"],
    ),
    "card-groups": (  # four groups, one a message: the most a label carries over
        ["my card number is", "4111", "1111", "1111", "1111"],
        ["my card number is", "[CARD_1]", "[CARD_2]", "[CARD_2]", "[CARD_2]"],
    ),
    "mobile": (
        ["手机号：", "138", "0013", "8000"],
        ["手机号：", "[PHONE_1]", "[PHONE_2]", "[PHONE_3]"],
    ),
}


def _conversation(bot: Bot, name: str, messages: list[str]) -> tuple[list[str], list[str]]:
    """What the store keeps of ``messages`` sent one by one, and what the model was sent of
    the customer's."""
    for message in messages:
        bot.reply(message, conversation_id=name)
    stored = [turn.customer_text for turn in bot.store.history(name)]
    model = bot.model
    assert isinstance(model, _Recorder)
    sent = [m.content for request in model.requests for m in request.messages if m.role == "user"]
    return stored, sent


@pytest.fixture
def recorded(spec: BotSpec, tmp_path: Path) -> Iterator[Bot]:
    bot = Bot(spec, model=_Recorder(), store=open_store("sqlite:///turns.db", root=tmp_path))
    yield bot
    bot.close()


@pytest.mark.parametrize("conversation", PIECES)
def test_a_value_sent_in_pieces_after_its_label_is_masked_piece_by_piece(
    recorded: Bot, conversation: str
) -> None:
    messages, masked = PIECES[conversation]
    stored, sent = _conversation(recorded, conversation, messages)
    assert stored == masked
    pieces = ["4111", "1111", "415", "555", "2671", "110101", "19900307", "7777", "0013"]
    pieces += ["8000", "john.smith", "gmail"]
    assert [text for text in sent if any(piece in text for piece in pieces)] == []


QUIET = {
    "order number": ["my order number is", "123456"],  # the 6 digits the example bot asks for
    "order in pieces": ["my order number is", "123", "456"],
    "quantity": ["my phone is", "2"],
    "quantity after a card": ["my card number is 4111 1111 1111 1111", "2"],
    "expiry year": ["my card number is 4111 1111 1111 1111", "2027"],
    "year": ["my phone is 415 555 2671", "2024"],
    "price": ["my phone is 415 555 2671", "25.99"],
    "amount": ["I paid with my card", "199"],  # a label with no "is" or colon after it
    "no label": ["where is my order?", "123456"],
    "interrupted": ["my phone is", "415", "what's your refund policy?", "2671"],
    "a fifth piece": ["my phone is", "415", "555", "2671", "1234"],
    "the shop's number asked for": ["what is your phone number?", "800"],
}


@pytest.mark.parametrize("conversation", QUIET)
def test_numbers_that_are_no_piece_of_a_labelled_value_stay_as_typed(
    recorded: Bot, conversation: str
) -> None:
    messages = QUIET[conversation]
    stored, _ = _conversation(recorded, conversation, messages)
    assert stored[-1] == messages[-1]


PIECES_AS_TYPED = {
    "country code": ["my phone is", "+1 415", "555", "2671"],
    "brackets and dash": ["my phone is", "(415)", "555-", "2671"],
    "dots": ["my phone is", "415.555", "2671"],
    "chinese numerals": ["我的手机号是", "一三八", "零零一三", "八零零零"],
    "english words": ["my phone is", "four one five", "five five five", "two six seven one"],
    "bare label": ["phone", "415", "555", "2671"],
    "bare chinese label": ["手机", "415", "555", "2671"],
    "asked back": ["phone number?", "415", "555", "2671"],  # echoing the bot's question
    "my card": ["my card", "4111", "4111", "4111", "4111"],
}


@pytest.mark.parametrize("conversation", PIECES_AS_TYPED)
def test_pieces_typed_as_customers_write_them_are_masked(recorded: Bot, conversation: str) -> None:
    """A phone's pieces with its "+", brackets, dots or a closing dash, pieces spelled digit
    by digit, and pieces after a label that is the whole message, with no "is" or colon."""
    messages = PIECES_AS_TYPED[conversation]
    stored, sent = _conversation(recorded, conversation, messages)
    assert stored[0] == messages[0]
    kind = "CARD" if "card" in messages[0] else "PHONE"
    assert all(re.fullmatch(rf"\[{kind}_\d+\]", text) for text in stored[1:]), stored
    assert [text for text in sent if any(piece in text for piece in messages[1:])] == []


WHOLE_THEN_ORDER = {
    "phone": ["my phone number is 13800138000", "100482"],
    "chinese phone": ["我的手机号是13800138000", "100482"],
    "phone alone": ["my phone is", "13800138000", "100"],
    "card": ["my card number is 4111 1111 1111 1111", "100482"],
    "code": ["The verification code is", "482913", "100482"],  # the code is blocked
}


@pytest.mark.parametrize("conversation", WHOLE_THEN_ORDER)
def test_a_number_after_a_whole_value_is_no_piece_of_it(recorded: Bot, conversation: str) -> None:
    """The order number the example bot asks for, sent after a phone, card or code typed
    whole, reaches the model and the store as typed, and is not blocked as a code."""
    messages = WHOLE_THEN_ORDER[conversation]
    for message in messages:
        reply = recorded.reply(message, conversation_id=conversation)
    stored, sent = _conversation(recorded, conversation, [])
    assert reply.action != "blocked"
    assert stored[-1] == messages[-1]
    assert sent[-1].endswith(messages[-1])
    assert re.fullmatch(r".*\[[A-Z]+_1\]", stored[-2])  # the whole value, masked
