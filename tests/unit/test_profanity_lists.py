"""ProfanityFilter with an operator's own lists: Chinese words found inside text without
spaces and through inserted characters, allow-listed terms, and properties of any text."""

from __future__ import annotations

from functools import cache

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servicebot.filters import Finding
from servicebot.filters.normalise import normalise
from servicebot.filters.profanity import ProfanityFilter, better_profanity_words, default_filter

# Operator lists with Chinese words -------------------------------------------------------

CJK_WORDS = ["傻逼", "操你妈", "滚蛋"]


@pytest.fixture(scope="module")
def chinese() -> ProfanityFilter:
    return ProfanityFilter(
        {"insult": ["傻逼", "滚蛋", "idiot"], "abuse": ["操", "傻逼"]}, allow=["操作", "操 场"]
    )


def test_chinese_word_inside_text_without_spaces(chinese: ProfanityFilter) -> None:
    assert chinese.find("你就是个傻逼吧") == [Finding(4, 6, "insult")]
    assert chinese.censor("你就是个傻逼吧") == "你就是个****吧"


@pytest.mark.parametrize(
    "between", [" ", "  ", "*", ".", "-", "_", "，", "\u200b", "\u200c", "\u200d", "\ufeff", "*.* "]
)
def test_chinese_word_survives_inserted_characters(chinese: ProfanityFilter, between: str) -> None:
    text = f"滚吧你个傻{between}逼!"
    assert chinese.find(text) == [Finding(4, 6 + len(between), "insult")]
    assert chinese.censor(text) == "滚吧你个****!"


def test_allow_listed_terms_hide_the_words_inside_them(chinese: ProfanityFilter) -> None:
    assert not chinese.contains("请帮我操作一下账户")
    assert not chinese.contains("我们去操 场跑步")  # allow-listed with a space, found without
    assert not chinese.contains("操.作")
    assert chinese.find("操作完了操你") == [Finding(4, 5, "abuse")]


def test_operator_words_without_cjk_use_better_profanity_semantics(
    chinese: ProfanityFilter,
) -> None:
    assert chinese.find("you 1d10t") == [Finding(4, 9, "insult")]
    assert not chinese.contains("idiots and idiotic ideas")  # whole words only, as the reference
    assert not chinese.contains("fuck")  # only the operator's lists


def test_first_category_wins(chinese: ProfanityFilter) -> None:
    assert [f.kind for f in chinese.find("傻逼 操")] == ["insult", "abuse"]


def test_default_list_does_not_see_chinese() -> None:
    assert default_filter().find("你就是个傻逼") == []


def test_an_empty_list_finds_nothing() -> None:
    # better-profanity would fall back to its default list here.
    assert ProfanityFilter({"insult": []}).find("fuck you") == []


# Properties ------------------------------------------------------------------------------


def _check_findings(text: str, findings: list[Finding], censored: str) -> None:
    position, rebuilt = 0, []
    for finding in findings:
        assert position <= finding.start < finding.end <= len(text)
        rebuilt += [text[position : finding.start], "****"]
        position = finding.end
    assert censored == "".join([*rebuilt, text[position:]])  # nothing outside a span changed


@cache
def _mixed() -> ProfanityFilter:
    return ProfanityFilter(
        {"profanity": better_profanity_words(), "insult": CJK_WORDS}, allow=["操作", "傻逼蛋"]
    )


@given(st.text() | st.text(alphabet="傻逼操作你妈滚蛋 *.-\u200bfuck4@$Σİ"))
def test_any_text_gives_ordered_spans_inside_it(text: str) -> None:
    for profanity in (default_filter(), _mixed()):
        _check_findings(text, profanity.find(text), profanity.censor(text))


_GAPS = st.text(alphabet=" *.-_,!\t\u200b\u200c\u200d\u2060\ufeff", max_size=3)
_FILLER = st.text(st.characters(exclude_characters="".join(CJK_WORDS)), max_size=6)


@given(st.data())
def test_chinese_words_are_found_exactly_where_they_were_put(data: st.DataObject) -> None:
    fillers, text = [data.draw(_FILLER)], ""
    words = data.draw(st.lists(st.sampled_from(CJK_WORDS), max_size=4))
    for word in words:
        spread = word[0] + "".join(data.draw(_GAPS) + c for c in word[1:])
        text += fillers[-1] + spread
        fillers.append(data.draw(_FILLER))
    text += fillers[-1]
    cjk = ProfanityFilter({"insult": CJK_WORDS})
    assert len(cjk.find(text)) == len(words)
    assert cjk.censor(text) == "****".join(fillers)


# Words listed in traditional characters: matched as the customer wrote them ---------------


@pytest.fixture(scope="module")
def taiwan() -> ProfanityFilter:
    return ProfanityFilter({"insult_tw": ["幹", "幹你娘", "他媽的"]})


@pytest.mark.parametrize(
    "typed",
    [
        "餅乾有保存期限嗎",
        "請吹乾",
        "乾燥劑",
        "洗乾淨",
        "乾洗店",
        "若干件",
        "干擾",
        "不相干",
        "干净",
    ],
)
def test_a_traditional_character_does_not_match_others_that_fold_like_it(
    taiwan: ProfanityFilter, typed: str
) -> None:
    normalised = normalise(typed)  # 幹, 乾 and 干 all read as 干
    assert taiwan.find(normalised.text, normalised) == []


@pytest.mark.parametrize(
    ("typed", "masked"),
    [
        ("幹！又壞了", "****！又壞了"),
        ("幹你娘", "****"),
        ("干你娘", "****"),  # the phrase's simplified spelling: the rest of it tells
        ("他媽的", "****"),
        ("他妈的", "****"),  # 妈 is 媽's simplified form, and no other character's
        ("他 媽 的", "****"),
    ],
)
def test_a_traditional_word_matches_itself_and_its_own_simplified_form(
    taiwan: ProfanityFilter, typed: str, masked: str
) -> None:
    normalised = normalise(typed)
    assert _censored(typed, taiwan.find(normalised.text, normalised)) == masked


def test_a_lone_character_whose_simplified_form_is_shared_matches_only_itself(
    taiwan: ProfanityFilter,
) -> None:
    assert taiwan.find("干", normalise("干")) == []  # 干 is 乾's (dry) and 干's (concern) too
    assert taiwan.find("乾你娘", normalise("乾你娘")) == []  # 乾 is another character


def test_a_word_listed_in_simplified_matches_every_spelling() -> None:
    listed = ProfanityFilter({"insult_zh": ["干", "幹"]})  # 干 listed: any spelling of it
    for typed in ["乾", "幹", "干"]:
        assert listed.find("干", normalise(typed)) == [Finding(0, 1, "insult_zh")]


def _censored(typed: str, findings: list[Finding]) -> str:
    """``typed`` with each finding (spans of its normalised text, which has as many
    characters here) replaced by ****."""
    for finding in reversed(findings):
        typed = typed[: finding.start] + "****" + typed[finding.end :]
    return typed
