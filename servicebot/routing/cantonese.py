"""Everyday Cantonese words read as Mandarin ones, for routing only.

Hong Kong customers write as they speak: ``我嘅訂單去咗邊？`` ("where has my order gone?")
shares only 我, 訂單 and 去 with the Mandarin phrasings FAQ examples are written in, and went
out of scope (0.167). :func:`fold_cantonese_words` rewrites the few grammatical words and
common verbs that make the difference (嘅 as 的, 咗 as 了, 唔 as 不, 搵 as 找) into their
Mandarin forms, as ``routing/taiwan.py`` does for Taiwan's words; routing applies it to every
text it reads, the intents' examples too.

The table is small and chosen by hand. Most of its words are written only in Cantonese
(嘅, 咗, 冇, 佢, 啲, 喺, 嘢, 唔該, 幾耐, 乜嘢, 咩, 哋, 嚟, 仲未, 傾偈), so no Mandarin message holds
them; a Cantonese word that alone is a Mandarin one too (邊, "side"; 傾, "tilt") is read only
in phrases Mandarin never writes (去咗邊, 喺邊, 真人傾). Of the others, a Mandarin message may
hold 邊度, 點解 or 點樣 across a word boundary (海边度假, "a holiday by the sea"; 一点解释, "a
little explanation"; 一点样品, "a little sample"), and those are kept as they are (see
``_KEPT``).

Words change length (冇 becomes 没有), so this is for matching only: the customer's text is
never rewritten.
"""

from __future__ import annotations

from .taiwan import WordFolds

# Cantonese (as Hong Kong writes it) -> Mandarin; folded to simplified characters, as
# routing's text is, before use.
_WORDS = {
    "嘅": "的",  # possessive: 我嘅訂單, my order
    "咗": "了",  # done: 寄咗, sent
    "冇": "没有",  # have not: 冇收到, not received
    "佢": "他",  # he, she, it
    "啲": "些",  # some: 我啲貨, my goods
    "唔": "不",  # not: 唔記得, forget
    "喺": "在",  # at, in
    "邊度": "哪里",  # where
    # 邊 alone is "where" too, but 边 ("side", "while") is everywhere in Mandarin (这边,
    # 一边...一边), so only the phrases it asks "where" in are read: after 咗 or 喺, which are
    # Cantonese alone (喺邊度 and 去咗邊度 too: the longest word wins, so they are listed).
    "去咗邊": "去了哪里",  # gone where: 我啲貨去咗邊, where have my goods gone
    "去咗邊度": "去了哪里",
    "喺邊": "在哪里",  # at where: 我個包裹喺邊, where is my parcel
    "喺邊度": "在哪里",
    # Not yet: 仲 alone is in 仲裁 (arbitration) and 仲夏; 仲未 is written only in Cantonese
    # (but in 伯仲未分, kept below).
    "仲未": "还没",  # 點解我仲未收到貨, why haven't I received my goods yet
    "點解": "为什么",  # why
    "俾": "给",  # give, to: 俾錢, pay
    "搵": "找",  # look for: 搵真人, find a person
    "睇": "看",  # look at
    "嘢": "东西",  # thing, goods
    # Courtesies: 唔該 is Hong Kong's "please" and "thank you" both, and read as 唔 (not)
    # and 該 (should), it was 不该, "should not". As 谢谢 it matches a thanks intent's
    # phrasings, and routing sets it aside beside a request as it does 谢谢 (``phrases.py``).
    "唔該晒": "谢谢",
    "唔該": "谢谢",
    "多謝晒": "多谢",  # 晒: "all", "very much"
    # Question words, the Mandarin ones every FAQ phrasing of "when", "how long", "how much",
    # "what" and "how" is written with; none is written in Mandarin, or means anything else
    # there (几时 and 几多, rare and literary, mean "when" and "how much" too).
    "幾時": "什么时候",  # when: 幾時到, when will it arrive
    "幾耐": "多久",  # how long: 退款幾耐到帳
    "幾多": "多少",  # how much, how many: 運費幾多錢
    "乜嘢": "什么",  # what
    "咩": "什么",  # what: 咩事, 有咩
    "點樣": "怎么",  # how: 點樣改密碼
    "哋": "们",  # plural: 我哋, we
    "嚟": "来",  # come: 幾時寄嚟, when will it come
    # Chat: 傾 alone is Mandarin's "tilt, pour out" (倾向, 倾诉), so only 傾偈, a Cantonese
    # word, and 傾 after a person to talk to, where Mandarin writes 聊 (同真人傾, talk to a
    # person; 同, "with", is Mandarin too, in 同意, and is left as it is).
    "傾偈": "聊天",
    "真人傾": "真人聊",  # 我想同真人傾, I want to talk to a real person
    "客服傾": "客服聊",  # 同客服傾, talk to customer service
}
# Mandarin text in which a word above spans a word boundary, matched first and kept as it is.
# 點 ends 快點 and 重點, and 解 begins a verb of unlocking or undoing: 快点解冻, 重点解读.
_KEPT = (
    *("邊度假", "邊度過"),
    *("點解決", "點解釋", "點解答", "點解鎖", "點解析", "點解除", "點解凍", "點解讀", "點解壓"),
    *("點解綁", "點解約", "點解封"),
    # 一点样品, a little sample; 有点样子, look the part; 点样式, a style of dots
    *("點樣品", "點樣本", "點樣子", "點樣式", "點樣板"),
    "伯仲未",  # 伯仲未分, neither yet ahead
)


fold_cantonese_words = WordFolds(_WORDS, _KEPT).fold
