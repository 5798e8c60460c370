"""What a message says besides a request: courtesies, refusals, farewells and placeholders.

Routing reads these apart from the words that name what a customer wants. Courtesies
("please", "thanks", "您好") say how a customer asks, not what; refusals ("no", "never mind",
算了) take back what the customer asked before; farewells ("bye", 再见) close the
conversation. A message of nothing else carries no topic: nothing after it leans on it as a
follow-up (see ``routing/followups.py``), and a refusal is never read with the message it
refuses. What a message asks for besides all these and closing remarks ("that worked", 帮了大忙)
is its request (``the_request``): "write me a poem" of "thanks! now write me a poem".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from ..filters.normalise import normalise
from ..filters.placeholders import PLACEHOLDER
from .features import TOKEN
from .taiwan import fold_traditional_words

__all__ = [
    "COURTESY",
    "acknowledges",
    "bids_farewell",
    "names_nothing",
    "refuses",
    "says_nothing",
    "the_request",
    "without_courtesies",
    "without_placeholders",
    "words_of",
]


def _phrases(english: Sequence[str], chinese: Sequence[str]) -> re.Pattern[str]:
    """A pattern for any of the ``english`` words and phrases, whole and in any case, or the
    ``chinese`` ones (regex fragments that each start with a plain character; longer ones
    first). The English ones are tried longest first, so "see you later" is taken whole and
    not as "see you" and a word left over. It opens with a look-ahead for the phrases' first
    characters: without one, Python's re tries every alternative at every character of a
    message (a courtesy search of an 85-character message took 9 to 26 µs, up to a tenth of
    routing); with it, re skips in C to the places one can start (3 µs)."""
    firsts = "".join(sorted({phrase[0] for phrase in (*english, *chinese)}))
    words = "|".join(map(re.escape, sorted(english, key=len, reverse=True)))
    pattern = f"(?=[{firsts}])(?:\\b(?:{words})\\b|{'|'.join(chinese)})"
    compiled = re.compile(pattern, re.IGNORECASE)
    _ENGLISH_WORDS[compiled] = frozenset(_ASCII_WORD.findall(" ".join(english).lower()))
    return compiled


_ASCII_WORD = re.compile("[a-z0-9]+")  # what TOKEN finds of lower-cased ASCII text
_ENGLISH_WORDS: dict[re.Pattern[str], frozenset[str]] = {}  # the words of each's phrases


def _words_of(*patterns: re.Pattern[str]) -> frozenset[str]:
    return frozenset().union(*(_ENGLISH_WORDS[pattern] for pattern in patterns))


def _may_be_only(text: str, words: frozenset[str]) -> bool:
    """Whether ``text`` may be made of nothing but phrases whose English words are
    ``words`` (and what is no word): False for ASCII text with a word not among them, as a
    phrase matches whole words only, so no phrase would take such a word away; True
    otherwise, for the patterns to tell. A set test in C, where each pattern's search tried
    most characters of a message (about 3 µs a message for acknowledges, once each turn)."""
    return not text.isascii() or words.issuperset(_ASCII_WORD.findall(text.lower()))


# Courtesies: they say how a customer asks, not what. Intents for greetings and thanks have
# few phrasings, so "please", "thanks" or "hello" beside a question matched them better than the
# question's own intent ("退货 please" went to a person, "thanks, where is my refund?" got
# "you're welcome"). A message is routed without them first; with them when the rest matches
# nothing ("thanks a lot") or an intent of courtesies ("hi there!": most of its phrasings
# have one, as a greeting's do).
COURTESY = _phrases(
    (
        "please", "pls", "plz", "kindly", "thanks", "thank you", "thankyou", "thx", "ty",
        "cheers", "hi", "hello", "hey", "hiya", "good morning", "good afternoon", "good evening",
    ),
    (
        # Cantonese first, longest first: 唔該晒 before 唔該 (please, thanks), 多謝晒 before 多謝
        "唔該晒", "唔该晒", "唔該", "唔该", "多謝晒", "多谢晒",
        "请问", "請問", "谢谢", "謝謝", "多谢", "多謝", "感谢", "感謝", "谢了", "谢啦", "辛苦了",
        "辛苦你了", "您好", "你好", "麻烦您", "麻烦你", "麻烦了", "早上好", "下午好", "晚上好",
    ),
)  # fmt: skip
# What a courtesy comes with that asks for nothing either: "Got it, thanks!", "Many thanks",
# 好的谢谢, 太感谢了. Left beside the request, "many" matched "too many promo emails".
_ACKNOWLEDGEMENT = _phrases(
    (
        "ok", "okay", "got it", "great", "perfect", "awesome", "cool", "alright", "all right",
        "many", "so much", "very much", "a lot", "a bunch",
    ),
    ("好的", "好吧", "非常", "真的", "太", "了(?=\\W|$)", "啦(?=\\W|$)"),
)  # fmt: skip
# Acknowledgements that stand alone: "ok", "got it", "sounds good", 好的, 收到. A message of
# these (with courtesies and filler) asks nothing and closes nothing: it matches only the
# intents of courtesies (thanks: "okay", "got it"), never goodbye, whose "ok bye 拜拜" gave
# "ok" the farewell's facts, nor a topic ("alright" matched price_adjustment).
_ASSENT = _phrases(
    (
        "ok", "okay", "k", "kk", "okey", "okie", "got it", "gotcha", "alright", "all right",
        "understood", "noted", "i see", "sounds good", "will do", "cool", "great", "perfect",
        "awesome", "nice", "fine", "sure",
    ),
    (
        "好的", "好吧", "好滴", "好嘞", "好(?=\\W|$)", "行吧", "行(?=\\W|$)", "嗯+", "明白了?",
        "知道了?", "了解了?", "懂了", "收到", "没问题", "可以",
    ),
)  # fmt: skip
# Refusals and retractions: "no" to what the customer asked last ("talk to a human", then
# "no, forget it"). Read with that message they took on its intent, and "算了" after "转人工"
# was handed to a person. "i changed my mind" and "stop" are left out: alone they ask for
# something (cancelling an order, no more emails).
_REFUSAL = _phrases(
    (
        "no", "nope", "nah", "never mind", "nevermind", "nvm", "forget it", "forget that",
        "forget about it", "cancel that", "scratch that", "don't", "don’t", "dont", "do not",
        "don't bother", "no need", "not now", "not anymore", "i'm good", "im good",
    ),
    ("算了", "不用了?", "不要了?", "不必了?", "没事了?", "没关系", "不了", "别了", "不(?=\\W*$)"),
)  # fmt: skip
# Farewells close the conversation: "bye", "that's all", 再见, 先这样.
_FAREWELL = _phrases(
    (
        "bye", "goodbye", "good bye", "bye bye", "see ya", "see you", "see you later", "cya",
        "have a nice day", "have a good day", "that's all", "thats all", "that's everything",
        "nothing else", "for now",
    ),
    ("再见", "拜拜", "先这样", "就这样"),
)  # fmt: skip
# Words that only pad the above: "no wait, don't", "oh never mind then", "hi again", 那算了吧.
_FILLER = _phrases(
    (
        "wait", "actually", "oh", "um", "uh", "hmm", "sorry", "then", "again", "there", "anyway",
        "it's fine", "that's fine", "all good",
    ),
    ("那就", "那", "还是", "吧", "呀", "哦", "嗯"),
)  # fmt: skip
# What closes a request besides a courtesy: short praise ("that helps", "you're the best",
# 帮了大忙), what says the answer did its job ("that worked", "I'll try that", 问题解决了),
# a parting wish ("good night", 明天见), and what only announces a request ("I have a
# question"). Beside a courtesy they ask for nothing more.
_CLOSING = _phrases(
    (
        "helpful", "that helps", "that helped", "helped", "your help", "the help", "helping",
        "the best", "amazing", "excellent", "wonderful", "brilliant", "fantastic", "lovely",
        "nice", "good", "well done", "good job", "appreciate it", "appreciate that",
        "appreciated", "you rock", "your time", "worked", "works", "solved", "sorted", "fixed",
        "answered", "answers my question", "makes sense", "problem solved", "resolved",
        "clears it up", "cleared it up", "exactly what i needed", "what i needed", "reply",
        "response", "quick", "weekend", "evening", "day", "next time", "try that", "try it",
        "will try", "will check", "check it", "look into it", "good night", "night", "tomorrow",
        "talk soon", "talk later", "later", "take care", "have a good one", "a question",
        "quick question", "one question",
    ),
    (
        "太好了", "好极了", "太棒了", "真棒", "棒", "帮了大忙", "帮大忙", "大忙", "有帮助",
        "的帮助", "厉害", "给力", "赞", "真好", "很好", "不错", "解决了", "搞定了?", "试试",
        "试一下", "去看看", "看看", "晚安", "明天见", "回头见", "下次见", "有个问题",
        "一个问题", "问一下", "想问", "问题解决", "没问题", "下次再来", "下次",
    ),
)  # fmt: skip
# Words that name nothing a customer could want: pronouns, articles, auxiliaries and the
# verbs of asking ("can you help me", "I needed", 又是我). Left with them alone, the rest of
# a message is no request; a word beyond them ("write", "poem", 代码) asks for something.
_FUNCTION_WORDS = frozenset(
    """a an the this that thats it its i im me my you youre your yours we us our he she they
    s m re ve ll d t and or but so very really much too just all now then here for to of
    with on in at about be been is was are were am have has had do did does can could would
    will help need needed want wanted ask know question again as well also guys man mate
    buddy everyone everything anyone anybody someone somebody""".split()
)
_CJK_FUNCTION = re.compile(
    "[我你您他她它们的了吗呢啊吧呀哦嗯哈啦嘛是又也都就很真这那个一下还有想要能帮]+"
)
_REQUEST_WORDS = 2  # the fewest such words a request has: "write" "poem", 写诗 (not "John")
_PLEASANTRIES = (_REFUSAL, _FAREWELL, COURTESY, _CLOSING, _ASSENT, _ACKNOWLEDGEMENT, _FILLER)
# What a message of nothing, or of acknowledgements, is made of, in the order they are taken
# away (算了 before 了), and the English words of their phrases (see _may_be_only).
_NOTHING = (_REFUSAL, _FAREWELL, COURTESY, _ACKNOWLEDGEMENT, _FILLER)
_ACKNOWLEDGING = (_ASSENT, COURTESY, _ACKNOWLEDGEMENT, _FILLER)
_NOTHING_WORDS = _words_of(*_NOTHING)
_ACKNOWLEDGING_WORDS = _words_of(*_ACKNOWLEDGING)
# The English words of every pleasantry, and the words that name nothing (see _names_a_word).
_UNNAMED_WORDS = _words_of(*_PLEASANTRIES) | _FUNCTION_WORDS


def without_placeholders(text: str) -> str:
    """``text`` with placeholders such as ``[PHONE_1]`` read as nothing."""
    return PLACEHOLDER.sub(" ", text) if "[" in text else text


def without_courtesies(text: str) -> str | None:
    """``text`` with its courtesies and what comes with them left out (see COURTESY), or
    None if it has none."""
    if not COURTESY.search(text):
        return None
    return _ACKNOWLEDGEMENT.sub(" ", COURTESY.sub(" ", text))


def says_nothing(text: str) -> bool:
    """Whether ``text`` is courtesies, refusals and farewells alone ("hi", "thanks a lot",
    "no, forget it", "bye", 不用了谢谢), naming nothing a customer could want: no topic for a
    follow-up to lean on. A placeholder is a value, not nothing ("[EMAIL_1]")."""
    return _may_be_only(text, _NOTHING_WORDS) and _nothing_left(text, _NOTHING)


def acknowledges(text: str) -> bool:
    """Whether ``text`` acknowledges what was said and says nothing more: "ok", "got it",
    "ok thanks", 好的, 明白了; not "ok bye", a farewell, nor "ok, and to Germany?"."""
    if not _may_be_only(text, _ACKNOWLEDGING_WORDS) or _ASSENT.search(text) is None:
        return False
    return _nothing_left(text, _ACKNOWLEDGING)


def _nothing_left(text: str, patterns: Sequence[re.Pattern[str]]) -> bool:
    """Whether ``text`` has no word left once each of ``patterns`` is taken away, in turn."""
    for pattern in patterns:
        text = pattern.sub(" ", text)
    return not TOKEN.search(text)


def refuses(text: str) -> bool:
    """Whether ``text`` refuses or takes back what came before and says nothing more: "no",
    "never mind", "no wait, don't", 算了, 不用了; not "no, to Germany", which corrects it."""
    if not _may_be_only(text, _NOTHING_WORDS):  # as says_nothing, before the search
        return False
    return _REFUSAL.search(text) is not None and _nothing_left(text, _NOTHING)


def the_request(text: str, known: frozenset[str] = frozenset()) -> str | None:
    """What ``text`` asks for besides its courtesies, acknowledgements, closing remarks,
    refusals, farewells and filler (read as routing reads it: 謝謝 as 谢谢): the rest, when it
    has two words or more beyond those, the words that name nothing (see _FUNCTION_WORDS) and
    ``known`` (see :func:`words_of`), each CJK character one: "now write me a poem" of
    "thanks! now write me a poem", 帮我写代码 of 谢谢，帮我写代码. None for "thanks, that's
    great", "ok thanks bye", 谢谢，太好了, "hi, can you help me?"; and for a word alone,
    more often a name than a request ("thanks John", "bye Sarah")."""
    text = _without_pleasantries(text)
    return text if _named_words(text, known) >= _REQUEST_WORDS else None


def names_nothing(text: str, known: frozenset[str] = frozenset()) -> bool:
    """Whether ``text`` has no word beyond its pleasantries, the words that name nothing and
    ``known`` (see :func:`the_request`): "you guys are awesome" and "for that" of "thanks,
    you guys are awesome" and "thanks for that" ask for nothing, though "you guys" matched
    about_store ("who are you guys")."""
    if _names_a_word(text, known):
        return False
    return _named_words(_without_pleasantries(text), known) == 0


def _names_a_word(text: str, known: frozenset[str]) -> bool:
    """Whether ``text`` surely names something: printable ASCII text (which reading it as
    routing does changes only in its runs of spaces) with a word that is no pleasantry's,
    no word that names nothing and not ``known``. The pleasantries match whole words only,
    so none takes such a word away, and it is left to be counted. A set test in C, where
    taking the pleasantries away searched the message seven times (about 25 µs a message
    with a courtesy: "hi there, i'd like to cancel my order"). False: the patterns tell."""
    if not (text.isascii() and text.isprintable()):
        return False
    return bool(set(_ASCII_WORD.findall(text.lower())).difference(_UNNAMED_WORDS, known))


def bids_farewell(text: str) -> bool:
    """Whether ``text`` says goodbye ("bye", "that's all", 再见): it closes the conversation,
    so what it says beside that does not lean on the previous message ("bye, and write a
    poem" is no follow-up of a shipping question)."""
    return _FAREWELL.search(_folded(text)) is not None


def _without_pleasantries(text: str) -> str:
    """``text`` as routing reads it (see _folded) with its pleasantries taken away."""
    text = _folded(text)
    for pattern in _PLEASANTRIES:
        text = pattern.sub(" ", text)
    return text


def _named_words(text: str, known: frozenset[str]) -> int:
    """How many words of ``text`` name something (see _named)."""
    return sum(_named(token, known) for token in TOKEN.findall(text.lower()))


def words_of(phrasings: Iterable[str]) -> frozenset[str]:
    """The words of ``phrasings`` (lower-cased), and each of their CJK characters, for
    :func:`the_request` to know: a bot's greetings and farewells ("哈喽", "没有别的问题了")
    name nothing it is asked for, whichever of them the phrases here miss."""
    found: set[str] = set()
    for token in TOKEN.findall(_folded(" ".join(phrasings)).lower()):
        found.update((token,) if token.isascii() else token)
    return frozenset(found)


def _folded(text: str) -> str:
    """``text`` normalised, its traditional characters simplified (再見 reads as 再见)."""
    return normalise(fold_traditional_words(text)).text


def _named(token: str, known: frozenset[str]) -> int:
    """How many words of a message's word (a CJK run: characters) name something: are not
    words that name nothing nor ``known`` words."""
    if token.isascii():
        return int(token not in _FUNCTION_WORDS and token not in known)
    return sum(char not in known for char in _CJK_FUNCTION.sub("", token))
