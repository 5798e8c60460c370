"""ProfanityFilter with an operator's own lists: Chinese words found inside text without
spaces and through inserted characters, allow-listed terms, and properties of any text."""

from __future__ import annotations

from functools import cache

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servicebot.filters import Finding
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
