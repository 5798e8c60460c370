"""A server's error, as a log line may say it: its status, ``type``, ``code``, ``param`` and
request id, and its message only up to where it may start quoting the prompt.

A 400 often echoes what it refuses ("Invalid content: I am Alice Smith of 12 Baker
Street..."), and the message was logged word for word at WARNING, with the customer's name
and address in it, though the pre-filter had masked what it knows as PII before sending. What
an on-call engineer needs to debug a refused request is which field and rule the server
objected to: the error's ``code``, ``type`` and ``param`` (``context_length_exceeded``,
``content_filter``, ``messages``), the request id to quote to the provider's support, and the
server's own opening words ("Invalid content", "This model's maximum context length is 8192
tokens"). None of those needs the customer's text, which is in the conversation store, under
its retention and purge, for whoever may read it.

So a message is kept up to its first colon or quotation mark (where servers begin to quote),
at most :data:`_KEPT` characters, with any PII the pre-filter's detector finds in that part
masked; what is cut is counted, not shown. It is read normalised, as the pre-filter reads a
message (a full-width or zero-width-split number is one), and a cut at :data:`_KEPT` never
keeps part of a word or of a number's groups ("card 4111 1111 1111" is no card to the
detector, and twelve of its digits). The fields are said the same way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..filters.normalise import normalise
from ..filters.pii import find_pii

_KEPT = 80  # characters of a server's message kept, at most
# Where a server's message may begin to quote the request: a colon, a double or typographic
# quotation mark, a backtick, or a single quote that is not an apostrophe ("model's").
_QUOTE_STARTS = re.compile(r"""[:"“”‘’«»「『`]|(?<!\w)'|'(?!\w)""")
_FIELDS = ("type", "code", "param")  # OpenAI's names; vLLM, DeepSeek and DashScope use them


def without_echo(message: str, most: int = _KEPT) -> str:
    """``message`` (one line) up to where it may quote the prompt, ``most`` characters at
    most, its PII masked, and how many characters were withheld: ``"Invalid content … [60
    characters withheld]"``."""
    text = normalise(" ".join(message.split())).text
    cut = _QUOTE_STARTS.search(text)
    kept = text[: _kept_end(text, cut.start() if cut else len(text), most)].rstrip()
    withheld = len(text) - len(kept)
    for found in reversed(find_pii(kept)):
        kept = f"{kept[: found.start]}[{found.kind}]{kept[found.end :]}"
    return f"{kept} … [{withheld} characters withheld]".lstrip() if withheld else kept


def _kept_end(text: str, quoted: int, most: int) -> int:
    """Where the kept part of ``text`` ends: at ``quoted`` (where it may start quoting), or
    at ``most``, before the word, and the digit groups, that the cut would split."""
    if quoted <= most:
        return quoted
    end = most
    if not text[end].isspace():
        end = text.rfind(" ", 0, end) + 1  # 0: one word, all withheld
    if _DIGIT_AHEAD.match(text, end) and (groups := _GROUPS_BEFORE.search(text, 0, end)):
        end = groups.start()
    return end


# Digit groups ending at the cut, and a digit right after it: "card 4111 1111 | 1111 1111".
_DIGIT_AHEAD = re.compile(r"[ ]?[-(+]?[0-9]")
_GROUPS_BEFORE = re.compile(r"(?:[-(+]?[0-9][^ ]*[ ])*[-(+]?[0-9][^ ]*[ ]?\Z")
_FIELD_KEPT = 40  # characters of a field's value kept: a field names, it does not quote


def error_fields(error: Any, request_id: str | None = None) -> str:
    """The fields of a server's ``error`` object that name what it refused, and its request
    id: ``"type invalid_request_error, code context_length_exceeded, request id req_1"``."""
    said = error if isinstance(error, Mapping) else {}
    named = [
        f"{name} {without_echo(str(said[name]), _FIELD_KEPT)}"
        for name in _FIELDS
        if said.get(name) not in (None, "")
    ]
    if request_id:
        named.append(f"request id {request_id}")
    return ", ".join(named)
