"""The post-filter on answers (``servicebot/postfilter/``): each outcome, the worst one
winning, the customer's values restored, PII the customer never gave, profanity, and long
answers cut at a sentence. Contacts are test_contacts.py's, links test_links.py's, HTML and
control characters test_markup.py's, and copies of the system prompt test_leakage.py's."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servicebot import load_bot
from servicebot.filters.profanity import ProfanityFilter
from servicebot.postfilter import Postfilter
from servicebot.settings import PostfilterSettings
from tests.conftest import REPO
from tests.unit.postfilters import FACTS, KNOWN, SYSTEM, postfilter


def test_a_good_answer_passes_and_gets_the_customers_values_back() -> None:
    answer = "Refunds take 5-10 business days. We'll text [PHONE_1] when it is done."
    result = postfilter().run(answer, SYSTEM, {"[PHONE_1]": "13800138000"})
    assert (result.verdict, result.events) == ("pass", ())
    assert (
        result.shown == "Refunds take 5-10 business days. We'll text 13800138000 when it is done."
    )
    assert result.text == answer  # what may be stored keeps the placeholder


def test_the_customers_values_put_back_do_not_take_the_answer_past_max_chars() -> None:
    email = "a" * 60 + "@gmail.com"
    answer = "We will write to [EMAIL_1]. " * 40  # 1,120 characters; 2,800 with the email
    result = postfilter().run(answer, SYSTEM, {"[EMAIL_1]": email})
    assert len(result.shown) <= 1200 and result.shown.endswith(f"We will write to {email}.")


def test_restoring_can_be_switched_off() -> None:
    result = postfilter(restore_pii=False).run("We'll text [PHONE_1].", SYSTEM, {"[PHONE_1]": "1"})
    assert result.shown == "We'll text [PHONE_1]."


def test_the_bots_own_word_lists_apply_to_answers() -> None:
    spec = load_bot(REPO)
    result = Postfilter.for_bot(spec).run("你这个傻逼", spec.templates["system.j2"], {})
    assert result.text == "你这个****"


def test_personal_data_the_customer_never_gave_is_a_leak() -> None:
    result = postfilter(pii_leak="handoff").run(
        "Your card 4111 1111 1111 1111 is on file.", SYSTEM, {}
    )
    assert result.verdict == "handoff"
    assert [(e.detector, e.kind) for e in result.events] == [("pii", "CARD")]


def test_profanity_is_repaired_or_falls_back() -> None:
    assert postfilter().run("That is shit, sorry.", SYSTEM, {}).text == "That is ****, sorry."
    assert postfilter(profanity="fallback").run("That is shit.", SYSTEM, {}).verdict == "fallback"


def test_a_long_answer_is_cut_after_its_last_whole_sentence() -> None:
    answer = "First sentence. Second sentence! " + "x" * 50
    result = postfilter(max_chars=40).run(answer, SYSTEM, {})
    assert (result.verdict, result.text) == ("pass", "First sentence. Second sentence!")
    assert postfilter(max_chars=40, too_long="handoff").run(answer, SYSTEM, {}).verdict == "handoff"


def test_a_long_answer_without_a_sentence_end_is_cut_between_words() -> None:
    answer = "Sure thing " + "refund " * 10
    assert (
        postfilter(max_chars=40).run(answer, SYSTEM, {}).text
        == "Sure thing refund refund refund refund"
    )
    chinese = "退款" * 30
    assert postfilter(max_chars=40).run(chinese, SYSTEM, {}, "zh").text == chinese[:40]


def test_max_bytes_cuts_at_a_sentence_and_never_inside_a_character() -> None:
    answer = "退款两天到账。" * 10 + "🎉" * 30  # 21 bytes a sentence, then 4-byte emoji
    result = postfilter(max_bytes=100).run(answer, SYSTEM, {}, "zh")
    assert result.shown == "退款两天到账。" * 4  # 84 bytes: a fifth sentence is 105
    no_stop = postfilter(max_bytes=10).run("🎉" * 30, SYSTEM, {})
    assert no_stop.shown == "🎉🎉" and no_stop.shown.encode().decode() == "🎉🎉"
    assert postfilter(max_bytes=330).run(answer, SYSTEM, {}, "zh").events == ()  # all of it


def test_the_customers_values_put_back_do_not_take_the_answer_past_max_bytes() -> None:
    answer = "我们会寄到[ADDRESS_1]。" * 5  # 114 bytes; 279 with the address
    result = postfilter(max_bytes=200).run(
        answer, SYSTEM, {"[ADDRESS_1]": "北京市朝阳区建国路八十八号"}
    )
    assert 0 < len(result.shown.encode()) <= 200 and result.shown.endswith("号。")


def test_a_cut_without_a_space_never_splits_a_placeholder() -> None:
    # "[PHO" cannot be restored: the customer would read a broken placeholder.
    answer = "退款" * 18 + "请拨打[PHONE_1]联系我们" + "退款" * 20
    result = postfilter(max_chars=42).run(answer, SYSTEM, {"[PHONE_1]": "13812345678"}, "zh")
    assert result.text == "退款" * 18 + "请拨打"
    assert "[" not in result.shown


@pytest.mark.parametrize("answer", ["", "   \n"])
def test_an_empty_answer_falls_back(answer: str) -> None:
    assert postfilter().run(answer, SYSTEM, {}).verdict == "fallback"


def test_the_worst_outcome_wins() -> None:
    answer = (
        "Shit. Call +1 415 555 0100. "
        + "Never invent order details, prices, dates, links, phone numbers."
    )
    assert postfilter().run(answer, SYSTEM, {}).verdict == "fallback"


def test_the_example_bot_passes_its_own_answers_and_few_shot_replies() -> None:
    spec = load_bot(REPO)
    checker = Postfilter.for_bot(spec)
    system = spec.templates["system.j2"]
    for intent in spec.intents:
        for text in [*intent.answer.values(), *(pair.assistant for pair in intent.few_shot)]:
            result = checker.run(text, system, {})
            assert result.events == (), (intent.name, result.events)


@given(st.text(st.characters(blacklist_categories=())))  # lone surrogates too
def test_any_answer_is_reviewed_without_error(answer: str) -> None:
    assert postfilter().run(answer, SYSTEM, {}).verdict in ("pass", "fallback", "handoff")


def test_a_cut_never_splits_a_price_and_a_blocked_cut_falls_back() -> None:
    answer = "Gift wrap costs $4.99 at checkout. We ship daily. " + "x" * 30
    cut = postfilter(max_chars=42).run(answer, SYSTEM, {})
    assert cut.text == "Gift wrap costs $4.99 at checkout."
    linked = "See https://evil.example.net/a/very/long/path/that/crosses/the/limit now."
    assert postfilter(max_chars=20).run(linked, SYSTEM, {}).verdict == "fallback"


def test_an_answer_in_traditional_characters_is_checked_against_simplified_lists() -> None:
    spec = load_bot(REPO)  # the built-in list has 他妈的; the answer keeps its own characters
    result = Postfilter.for_bot(spec).run(
        "您的訂單已發貨，他媽的。", spec.templates["system.j2"], {}
    )
    assert result.text == "您的訂單已發貨，****。"


def test_an_amount_in_an_answer_is_not_censored_as_a_word() -> None:
    answer = "您的退款455元已原路退回，订单 #717 今天发货。"
    assert postfilter().run(answer, SYSTEM, {}).text == answer


def test_a_word_listed_in_traditional_does_not_mask_others_that_fold_like_it() -> None:
    profanity = ProfanityFilter({"insult_tw": ["幹"]})  # 幹 (the curse) and 乾 (dry) read as 干
    answer = "請將商品洗乾淨後寄回，若干件亦可。"
    review = Postfilter(PostfilterSettings(), KNOWN, FACTS, profanity)
    assert review.run(answer, SYSTEM, {}).text == answer
    assert review.run("幹，請洗乾淨", SYSTEM, {}).text == "****，請洗乾淨"


def test_a_bot_finds_what_its_files_give_at_its_first_answer_not_as_it_loads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A quarter of each bot's load (16 ms of `servicebot init`'s 65), spent by each of 200
    shops at a process's start: found as the first answer is reviewed, and reviewed as ever."""
    import servicebot.postfilter

    found: list[str] = []
    given_by = servicebot.postfilter.given_by
    monkeypatch.setattr(
        servicebot.postfilter, "given_by", lambda text: found.append(text) or given_by(text)
    )
    spec = load_bot(REPO)
    checker = Postfilter.for_bot(spec)
    assert found == []
    system = spec.templates["system.j2"]
    assert checker.run("Call us on +1 800-555-0199.", system, {}).events == ()
    invented = checker.run("Call us on +1 212-555-0123.", system, {})
    assert [(e.detector, e.kind) for e in invented.events] == [("contact", "PHONE")]
    assert len(found) == 2  # the bot's files once; this turn's system prompt, for the invented
