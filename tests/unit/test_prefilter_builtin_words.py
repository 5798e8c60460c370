"""The built-in word lists (``prefilter.builtin_words``): servicebot's Chinese list beside
better-profanity's English one, on by default, each off when left out, its words allowed by
``allow_words`` and by its own exceptions; ordinary Chinese text kept; the list file's entries
as its header says."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from servicebot.filters.cjkwords import has_cjk
from servicebot.filters.placeholders import Placeholders
from servicebot.filters.traditional import fold_traditional
from servicebot.prefilter import Prefilter
from servicebot.settings import PrefilterSettings


def _masked(text: str, **settings: object) -> str:
    prefilter = Prefilter(PrefilterSettings.model_validate(settings))
    return prefilter.run(text, Placeholders()).text


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("你个傻逼", "你个****"),
        ("你個傻逼", "你個****"),  # traditional
        ("你这个傻 逼！", "你这个****！"),  # through a space
        ("仆街", "****"),  # Cantonese
        ("僕街", "****"),
        ("戇鳩嘢", "****嘢"),
        ("冚家剷", "****"),
        ("屌你老母，仲未送到", "****，仲未送到"),
        ("他媽的怎麼還沒到", "****怎麼還沒到"),
        ("幹你娘", "****"),  # Taiwan
        ("幹妳娘", "****"),  # 妳 and 您 are characters of their own, not 你 in another script
        ("干您娘", "****"),
        ("操妳媽", "****"),
        ("屌妳老母", "****"),
        ("丟妳老母", "****"),
        ("this fucking order 傻逼", "this **** order ****"),  # both lists at once
    ],
)
def test_a_bot_with_no_word_lists_masks_chinese_profanity(text: str, masked: str) -> None:
    assert _masked(text) == masked


def test_a_trace_calls_the_built_in_words_profanity() -> None:
    result = Prefilter(PrefilterSettings()).run("仆街", Placeholders())
    assert [(e.detector, e.kind, e.action) for e in result.events] == [
        ("profanity", "profanity", "mask")
    ]


def test_each_built_in_list_is_off_when_left_out() -> None:
    text = "this fucking order 你個傻逼"
    assert _masked(text, builtin_words=["en"]) == "this **** order 你個傻逼"
    assert _masked(text, builtin_words=["zh"]) == "this fucking order 你個****"
    assert _masked(text, builtin_words=[]) == text
    listed = {"words": {"insult_zh": ["傻逼"]}}  # the bot's own list still counts
    assert _masked(text, builtin_words=[], **listed) == "this fucking order 你個****"


def test_an_allowed_word_of_the_built_in_list_is_kept_in_either_script() -> None:
    assert _masked("仆街 傻逼", allow_words=["仆街"]) == "仆街 ****"
    assert _masked("僕街 傻逼", allow_words=["僕街"]) == "僕街 ****"


def test_a_word_the_bot_lists_itself_keeps_the_bots_category() -> None:
    prefilter = Prefilter(PrefilterSettings(words={"insult_zh": ("傻逼",)}))
    result = prefilter.run("你個傻逼，仆街", Placeholders())
    assert result.text == "你個****，****"
    assert {e.kind for e in result.events} == {"insult_zh", "profanity"}


@pytest.mark.parametrize("listed", [["zh", "zh"], ["fr"], "zh"])
def test_builtin_words_names_each_list_once(listed: object) -> None:
    with pytest.raises(ValidationError):
        PrefilterSettings.model_validate({"builtin_words": listed})


@pytest.mark.parametrize(
    "text",
    [
        "王八蛋糕好吃吗",  # 王八蛋 left out
        "电脑残留文件怎么删",  # 脑残
        "已签收皮鞋，尺码不对",  # 收皮
        "手机掰弯了能保修吗",  # 机掰
        "你老母亲的保单在哪里看",  # 你老母
        "这是我生日你妈妈送的",  # 日你妈
        "个人渣打银行卡能绑定吗",  # 人渣
        "台北七張站附近有門市嗎",  # 北七
        "这本书扑街了，能退吗",  # 扑街
        "请帮他妈妈的手机充值",  # 他妈的, but 他妈妈的
        "我操作了三次都不行，好屌的设计",  # 操, 屌 alone
        "这款耳机超屌你们还有货吗",  # 屌你: 屌 is "cool"
        "這設計好屌！你們還有嗎",
        "文章的煞笔写得好",  # 煞笔: a text's closing stroke
    ],
)
def test_ordinary_chinese_text_is_kept(text: str) -> None:
    assert _masked(text) == text


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        # Before, the list's own exceptions were none: each read "...****...".
        ("快递弄丢你老母亲的包裹", "快递弄丢你老母亲的包裹"),  # 丢 + 你老母亲, your old mother
        ("快遞弄丟你老母親的包裹", "快遞弄丟你老母親的包裹"),
        ("国际狗日的优惠活动", "国际狗日的优惠活动"),  # International Dog Day
        ("烘乾你娘家的被子", "烘乾你娘家的被子"),  # 乾你娘 folds to 干你娘; 你娘家: her home
        ("丢你老母", "****"),  # the curses alone are still masked
        ("狗日的，还没到", "****，还没到"),
        ("干你娘", "****"),
        ("丢你老母 傻逼", "**** ****"),
    ],
)
def test_the_lists_exceptions_keep_everyday_words_around_a_curse(text: str, masked: str) -> None:
    assert _masked(text) == masked


def test_the_lists_exceptions_leave_a_bots_own_lists_be() -> None:
    # An allow-list of the bot's own still works beside them...
    text = "仆街，快递弄丢你老母亲的包裹"
    assert _masked(text, allow_words=["仆街"]) == text
    assert _masked("弄丢你老母亲 仆街", allow_words=["傻逼"]) == "弄丢你老母亲 ****"
    # ...and with the Chinese list off, they are off too: the bot's own words are its own.
    own = {"words": {"insult_zh": ["丢你老母"]}}
    assert _masked("弄丢你老母亲", builtin_words=["en"], **own) == "弄****亲"
    assert _masked("this fucking order 弄丢你老母亲", builtin_words=["en"]) == (
        "this **** order 弄丢你老母亲"
    )


def test_the_list_holds_whole_words_in_simplified_and_is_read_once() -> None:
    from servicebot.filters.cjkwords import builtin_chinese_exceptions, builtin_chinese_words

    words, exceptions = builtin_chinese_words(), builtin_chinese_exceptions()
    assert words is builtin_chinese_words()
    assert len(set(words)) == len(words) > 20
    for word in words:
        assert len(word) >= 2 and has_cjk().search(word), word
        assert fold_traditional(word) == word, word  # matches both scripts
    assert exceptions and not set(exceptions) & set(words)
    for term in exceptions:  # an everyday word around a listed one, in simplified too
        assert has_cjk().search(term) and fold_traditional(term) == term, term
        assert any(word[-1] in term or word[0] in term for word in words), term
