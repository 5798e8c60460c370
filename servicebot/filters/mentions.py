"""Chat platforms' mentions and emoji codes: how Slack, Discord and WeChat write a person, a
channel or a picture into a message's text.

A mention is addressing, not words: ``<@U0123ABC>`` (a Slack user; ``<@U0123ABC|ana>`` with
a name), ``<!channel>``, ``<!here>``, ``<!everyone>`` and ``<!subteam^S0123|@support>`` (Slack
broadcasts and groups, which notify everyone in a channel), ``<#C0123|general>`` (a channel),
``<@123456>``, ``<@!123456>``, ``<@&123456>`` and ``<#123456>`` (Discord), and Discord's
``@everyone`` and ``@here``. A customer's message of a mention alone says nothing (see
``routing/wordless.py``), and one in a model's answer could notify a whole shared channel:
the post-filter removes those the bot's own files do not write (``postfilter/__init__.py``).

Emoji codes are how some platforms send a picture as text: WeChat's ``/::)``, ``/::D`` and
``/:rose``, and Slack's and Discord's ``:thumbsup:`` and ``:+1:``.
"""

from __future__ import annotations

import re

__all__ = ["EMOJI_CODE", "MENTION"]

_SLACK = r"<(?:[@#][UWBCGS][A-Z0-9]+|!(?:channel|here|everyone|subteam\^[A-Z0-9]+))(?:\|[^<>]*)?>"
_DISCORD = r"<(?:@[!&]?|#)[0-9]+>"
# Discord notifies on these written plainly; not inside an email address or a word ("@hereford").
_BROADCAST = r"(?<![\w@.])@(?:everyone|here)(?![\w@-])"
MENTION = re.compile(f"{_SLACK}|{_DISCORD}|{_BROADCAST}", re.IGNORECASE)

# WeChat's codes start "/:" ("/::)", "/:rose", "/:8-)"), one after another with no space
# between; Slack's and Discord's are a name between colons, standing apart (not "at 10:30:").
_WECHAT = r"/:[^\s/]{1,10}"
_SHORTCODE = r"(?<![\w:])(?::[a-z0-9_+'-]+:)+(?!\w)"  # ":+1::skin-tone-2:" is one
EMOJI_CODE = re.compile(f"{_WECHAT}|{_SHORTCODE}", re.IGNORECASE)
