"""Taiwan's customer-service words read as the mainland's, for routing only.

Folding traditional characters to simplified ones (:mod:`..filters.traditional`) makes 帳號
read as 账号, but some words differ as words, not characters: a customer in Taipei who
cannot 登入 means what one in Shanghai means by 登录, and ``帳號無法登入`` went out of
scope while ``账号无法登录`` reached ``login_trouble``. :func:`fold_taiwan_words` rewrites
the few such words a shop's support desk hears into the mainland form FAQ examples are
mostly written in. Routing applies it to every text it reads, the intents' examples too, so
a bot whose examples are written the Taiwan way still matches mainland messages.

The table is small and chosen by hand, from the vocabulary of Taiwanese shops' help pages
(login, SMS codes, dispatch, points, coupons, refunds, complaints), not taken from a
dictionary: OpenCC's Taiwan phrase table (``TWPhrases``) is mostly computing terms
(滑鼠, 程式) and would bring a dependency on its phrase files for a handful of pairs. A word
is in only if it means the same thing wherever a shopping customer writes it, and if a
mainland message holding it across a word boundary is rare; the few such boundaries that do
occur are kept as they are (see ``_KEPT``). Two words are read so only as written in
traditional characters (see ``_TRADITIONAL_WORDS``). Left out on purpose: 下訂 (下单; but
查一下訂閱, "look up a subscription"), 列印 (打印; but 系列印花,
"a printed range"), 軟體 (软件; but 软体家具, upholstered furniture), 線上 (在线; the
mainland writes 线上 too, and 路线上 is "on the route").

Words change length (登出 becomes 退出登录), so this is for matching only: detectors need the
one-for-one fold that keeps offsets, and the customer's text is never rewritten.
"""

from __future__ import annotations

import functools
import re

from ..filters.traditional import folds

# Taiwan's word (as Taiwan writes it) -> the mainland's word for the same thing, in either
# script: folded to simplified characters, none of them is part of a common mainland word.
_WORDS = {
    "登入": "登录",  # log in
    "登出": "退出登录",  # log out
    "簡訊": "短信",  # SMS: 簡訊驗證碼, the verification code
    "預設": "默认",  # default: 預設地址, the default address
    "資訊": "信息",  # information: 帳戶資訊, account details
    "螢幕": "屏幕",  # screen
    "影片": "视频",  # video: of a damaged item, say
    "行動電話": "手机",  # mobile phone
    "信箱": "邮箱",  # mailbox: 電子信箱, the email address
    "超商": "便利店",  # convenience store: 超商取貨, collecting a parcel there
    "宅配": "快递",  # home delivery by courier
    "出貨": "发货",  # dispatch: 什麼時候出貨, when does it ship
    "折價券": "优惠券",  # coupon
    "退費": "退款",  # refund
    "刷退": "退款",  # a refund to the card
    "金融卡": "银行卡",  # debit card
    "客訴": "投诉",  # complaint
}
# Mainland text in which a word above spans a word boundary, matched first and kept as it is:
# 电影片段 (a film clip), 超出货运重量 (over the freight weight).
_KEPT = ("電影片", "超出貨")
# Taiwan's words read so only as Taiwan writes them, in traditional characters: folded, they
# are parts of common mainland text (无线网路由器, a wireless router; 一点数据, a little data).
# 下訂 (place an order) is left out: 查一下訂閱 is "look up a subscription", in either script,
# and 下訂單 reads as 下订单 by its characters anyway.
_TRADITIONAL_WORDS = {
    "網路": "网络",  # network, the internet
    "點數": "积分",  # loyalty points
}
_TRADITIONAL_KEPT = ("點數據", "點數量", "點數字", "點數目")  # a little data, the count, ...


class WordFolds:
    """Words of one region read as the mainland's (``words``), for routing's text, which is
    folded to simplified characters first: so are the keys, once, on first use. ``kept``:
    mainland text in which a word spans a word boundary, matched first (longest first) and
    left as it is. Taiwan's words here; Hong Kong's in ``routing/cantonese.py``."""

    def __init__(self, words: dict[str, str], kept: tuple[str, ...]) -> None:
        self._words, self._kept = words, kept

    def fold(self, text: str) -> str:
        """``text`` (already folded to simplified characters) with the words made the
        mainland's. Text without CJK is returned as it is: every word is Chinese."""
        if text.isascii():
            return text
        words = self._folded_words
        return self._pattern.sub(lambda match: words[match.group()], text)

    @functools.cached_property
    def _folded_words(self) -> dict[str, str]:
        table = folds()
        kept = {word.translate(table): word.translate(table) for word in self._kept}
        return {word.translate(table): usual for word, usual in self._words.items()} | kept

    @functools.cached_property
    def _pattern(self) -> re.Pattern[str]:
        """One alternation of every word, longest first, so that 电影片 wins over 影片."""
        words = sorted(self._folded_words, key=len, reverse=True)
        return re.compile("|".join(map(re.escape, words)))


fold_taiwan_words = WordFolds(_WORDS, _KEPT).fold


def fold_traditional_words(text: str) -> str:
    """``text``, as the customer wrote it, with Taiwan's words in ``_TRADITIONAL_WORDS`` made
    the mainland's where they are written in traditional characters."""
    if text.isascii():
        return text
    return _TRADITIONAL_PATTERN.sub(lambda match: _TRADITIONAL[match.group()], text)


_TRADITIONAL = _TRADITIONAL_WORDS | {word: word for word in _TRADITIONAL_KEPT}
_TRADITIONAL_PATTERN = re.compile("|".join(sorted(_TRADITIONAL, key=len, reverse=True)))
