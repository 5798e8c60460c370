"""Messages with no words: emoji, symbols and punctuation alone, or a platform's mention alone.

"👍", "😊", "🙏", WeChat's "/::)" and "/:rose", Slack's ":thumbsup:" and a bare "<@U0123ABC>"
(see ``filters/mentions.py``) match no intent, so routing puts them out of scope; but they ask
nothing the bot could have missed, so none counts toward ``routing.handoff_after``: three
thumbs-up in a row handed a satisfied customer to a person. A word in any script is a word
("好", "ok", "Где"), and so is a number ("123456"), a placeholder ("[PHONE_1]") or a "?"
read with the message before it, which routing still reads as a follow-up.

Such a message still goes to the model, unlike a blank one ("", "\\u200b", which gets the
out-of-scope reply with no model call: there is nothing to answer). A "👍" after an answer
is an acknowledgement, a "?" asks to be told again more plainly, a "😡" complains: the model,
reading the conversation, can answer each in a line, where "Sorry, I didn't catch that"
would be wrong for all three.

Routing reads a message without its mentions (:func:`without_mentions`): "<!here>" is no
"hello there", and "<@U0123ABC>" names no intent.
"""

from __future__ import annotations

import re

from ..filters.mentions import EMOJI_CODE, MENTION

__all__ = ["says_no_words", "without_mentions"]

_WORD = re.compile(r"[^\W_]")  # a letter or digit of any script


def says_no_words(text: str) -> bool:
    """Whether ``text`` has no letter or digit once its mentions and emoji codes are gone:
    blank, or emoji, symbols, punctuation and mentions alone."""
    if _WORD.search(text) is None:  # most such messages: one search in C
        return True
    if "<" not in text and "@" not in text and ":" not in text:
        return False
    return _WORD.search(EMOJI_CODE.sub(" ", MENTION.sub(" ", text))) is None


def without_mentions(text: str) -> str:
    """``text`` with each platform mention a space: they address someone, and ask nothing."""
    if "<" not in text and "@" not in text:
        return text
    return MENTION.sub(" ", text)
