"""Passwords, for the labelled reader (``labelled.py``): the value after "password", "pw", 密码 or
another language's label (contraseña, пароль, パスワード; see ``locales.py``) on the same line, or
alone on a line below it as a form puts it. What each way of linking the label to its value lets
through is set out before :data:`_PASSWORD`.

Owns :func:`password_at`, which ``labelled.find_labelled`` calls at each password label.
"""

from __future__ import annotations

import re
from typing import Final

from . import locales

# What may come between 密码 and its value; each run of spaces can be read one way only. Then
# up to two line breaks: a form puts the value on a line of its own (see _next_line_password).
_MIMA_SEP: Final = r"[ \t]*(?:(?:[是为][ \t]*[:=：]?|[:=：])[ \t]*)?"
LINES: Final = r"(?:\n[ \t]*){0,2}"
MIMA_AHEAD: Final = f"(?={_MIMA_SEP}{LINES}(?![\\s，。；！？、,;是为:：=]|密码|$))"
DIGIT: Final = re.compile("[0-9]")


def begins_line(text: str, position: int) -> bool:
    """Whether only spaces stand before ``position`` on its line."""
    return not text[text.rfind("\n", 0, position) + 1 : position].strip()


# Said of a password, most values are its rules ("password: 8-16 characters", "password is
# case-sensitive", 密码为8到16位), not the password. So:
# - "password: x" takes the clause: one word, or two that are not both plain words ("Hunter
#   2024"); of a longer clause, a first word of letters and digits. Not a word that says what
#   became of it ("password: forgot", "пароль: забыл": _NOT_A_PASSWORD).
# - "password is x" (or "password's x", "password to x", "password as x", "password x",
#   "pw x") takes one word with a digit, 5 characters or more ("hunter2", "123456"; not
#   "2FA", "case-sensitive" or "reset"; an all-letter one is let through). With nothing but
#   "to" or "as" between, not a count, an amount, a version or a time: "password 1,000
#   times", "password v2.0.1 update" and "pw 12:30pm" speak of one (see _PROSE_NUMBER).
# - "password to/for/of/on the wifi is x" (a few words of letters naming what it opens, then
#   "is", "was" or a colon) is read as "password is x" or "password: x".
# - After 密码 with 是, 为 or a colon, a value with three ASCII letters or digits (密码是
#   我爱你1234, not 密码是多少); with nothing or a space between, an ASCII word of four or more
#   with a digit (密码 abc12345, not 密码后提示 error 1005).
# - On a later line, as a form puts it, one word alone on its line: see _next_line_password.
# A quoted value is always taken; a length ("8-16", "12 characters", 8到16位) never. A "!"
# right after the value is part of it: it is the symbol most password rules end with
# (Summer2024!), and a stored "[SECRET_1]!" would tell how the password ends.
_PASSWORD: Final = re.compile(  # lower-cased; "pass = x" is a config file's key
    r"(?:password|passwd|pwd|pw|(?<!boarding )pass(?=[ \t]*=(?!=)))"
    r"(?P<sep>[ \t]*[:=]|(?:[ \t]+(?:to|for|of|on)(?:[ \t]+[a-z'’._-]{1,32}){1,4}?"
    r"(?:[ \t]+(?:is|was)\b|[ \t]*[:=]))"
    r"|(?:[ \t]+(?:is|was|to|as)\b|['’]s(?![a-z]))(?:[ \t]*[:=])?"
    r"|(?=[ \t]*\n)|[ \t])"
    f"[ \\t]*(?P<lines>{LINES})"
)
_MIMA: Final = re.compile(f"密码(?P<sep>{_MIMA_SEP})(?P<lines>{LINES})")
# Another language's label (locales.py) and what links it to its value: a colon, its "is"
# ("es", "ist", "est", là, هي), a dash, or nothing; a Japanese or Korean particle (は, 는).
# Its value is read as after "password": see _foreign_password.
_FOREIGN_IS: Final = ("es", "é", "est", "ist", "lautet", "era", "là", "это", "هي", "هو", "—", "-")
_FOREIGN: Final = re.compile(
    f"(?P<label>{'|'.join(sorted(locales.PASSWORD, key=len, reverse=True))})"
    r"(?P<sep>[ \t]*[:=：]|[ \t]*(?:は|が|는|은)(?:[ \t]*[:=：])?"
    rf"|[ \t]+(?:{'|'.join(_FOREIGN_IS)})(?![^\W\d_])(?:[ \t]*[:=：])?|(?=[ \t]*\n)|[ \t])"
    f"[ \\t]*(?P<lines>{LINES})"
)
_QUOTED: Final = re.compile(
    "\"[^\"\n]{1,128}\"|'[^'\n]{1,128}'|“[^”\n]{1,128}”|「[^」\n]{1,128}」|『[^』\n]{1,128}』"
)
_CLAUSE_END: Final = re.compile(  # a set first, so that ``re`` skips ahead in C
    r"(?=[\s，。；！？,;.!?])(?:[\n，。；！？]|[,;.!?](?:\s|$)|\s(?:and|or|but|then|please|thanks)"
    r"(?![a-z]))",
    re.IGNORECASE,
)
_WORD: Final = re.compile(r"\S{1,128}")
# Up to the next space, Chinese punctuation or 密码 (密码是多少密码是abc123 holds two).
_CHINESE_VALUE: Final = re.compile(r"(?:(?!密码)[^\s，。；！？、,;]){1,64}(?:[ \t]+[!-~]{1,64})*")
_ASCII_WORD: Final = re.compile(r"[!-~]{1,64}")
_LINE_END: Final = re.compile(r"[ \t]*(?:\n|$)")
_ASCII_ALNUM: Final = re.compile(r"[0-9A-Za-z]", re.ASCII)
_LETTERS_AND_DIGITS: Final = re.compile(r"(?=.*[0-9])(?=.*[A-Za-z]).{5,}", re.ASCII | re.DOTALL)
_WITH_A_DIGIT: Final = re.compile(r"(?=.*[0-9]).{5,}", re.ASCII | re.DOTALL)
_UNIT: Final = r"[\s-]*(?:characters?|chars?|digits?|letters?|位|个字符|个字|字符|字元)"
_LENGTH: Final = re.compile(  # starts with a range, or a number and its unit: not 12345678
    rf"[0-9]+(?:\s*(?:-|~|to|到|至)\s*[0-9]+(?:{_UNIT})?|{_UNIT})", re.IGNORECASE
)
# A number prose gives after a password's label with no "is": a count or an amount ("1,000
# times", "$1,299.00", "2.5"), a version ("v2.0.1", "2.0.1-beta"), a time ("12:30pm") or a
# date ("2024-03-15"). Digits alone ("password 123456") stay a password.
_PROSE_NUMBER: Final = re.compile(
    r"[$€£¥]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?%?|[$€£¥]?[0-9]+\.[0-9]+%?"
    r"|v?[0-9]+(?:\.[0-9]+){1,3}(?:[-+]?[a-z]+[0-9]*)?"
    r"|[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?(?:am|pm)?"
    r"|[0-9]{4}[-./][0-9]{1,2}[-./][0-9]{1,2}|[0-9]{1,2}[-./][0-9]{1,2}[-./][0-9]{2,4}",
    re.IGNORECASE,
)
# One word after "password:" that says what became of it, not what it is: English's, and
# other languages' (locales.py).
_NOT_A_PASSWORD: Final = frozenset(
    (
        *("forgot", "forgotten", "lost", "expired", "wrong", "incorrect", "invalid"),
        *("locked", "blocked", "reset", "changed", "unknown"),
        *locales.NOT_A_PASSWORD,
    )
)
_TRIM_END: Final = ".,;:!?)]}>'\"。，；！？"
_TRIM_START: Final = "'\"([{<"


def password_at(
    text: str, lowered: str, start: int, is_english: locales.English
) -> tuple[int, int] | None:
    """The password after the label at ``start``, if one is there (``is_english``: whether the
    message is English, for another language's label)."""
    if english := _PASSWORD.match(lowered, start):
        match, on_its_line = english, _english_password
    elif chinese := _MIMA.match(text, start):
        match, on_its_line = chinese, _chinese_password
    elif (foreign := _FOREIGN.match(lowered, start)) and _links(is_english, foreign):
        match, on_its_line = foreign, _foreign_password
    else:
        return None
    if match["lines"]:
        span = _quoted(text, match.end()) or _next_line_password(text, match)
    else:
        span = _quoted(text, match.end()) or on_its_line(text, match)
    if not span or _LENGTH.match(text, *span):
        return None
    end = span[1]
    while text.startswith("!", end):
        end += 1
    return span[0], end


def _links(is_english: locales.English, foreign: re.Match[str]) -> bool:
    """Whether another language's label is linked to the value after it: "clave 12345 came
    without the case" and "my MDP 123456 is invalid" name no password (``locales.links``)."""
    return locales.links(is_english, foreign["label"], foreign["sep"])


def _english_password(text: str, match: re.Match[str]) -> tuple[int, int] | None:
    start = match.end()
    if match["sep"][-1] not in ":=":  # "password is x": one word with a digit
        word = _WORD.match(text, start)
        span = _trimmed(text, start, word.end()) if word else None
        if not span or not _WITH_A_DIGIT.fullmatch(text, *span):
            return None
        weak = match["sep"].strip() in ("", "to", "as")  # no "is" says the word is the value
        return None if weak and _PROSE_NUMBER.fullmatch(text, *span) else span
    end = _CLAUSE_END.search(text, start, start + 128)
    start, stop = _trimmed(text, start, end.start() if end else min(len(text), start + 128))
    words = text[start:stop].split()
    if len(words) == 2 and all(map(str.isalpha, words)):
        return None
    if len(words) == 1 and words[0].lower() in _NOT_A_PASSWORD:  # "password: forgot"
        return None
    if len(words) > 2:  # a sentence about the password, or a password then one
        first = (start, start + len(words[0]))
        return first if _LETTERS_AND_DIGITS.fullmatch(text, *first) else None
    return (start, stop) if stop - start >= 3 else None


def _chinese_password(text: str, match: re.Match[str]) -> tuple[int, int] | None:
    if match["sep"].strip():  # 密码是..., 密码：...
        value = _CHINESE_VALUE.match(text, match.end())
        span = _trimmed(text, *value.span()) if value else None
        return span if span and len(_ASCII_ALNUM.findall(text, *span)) >= 3 else None
    word = _ASCII_WORD.match(text, match.end())  # 密码 abc12345, 密码hunter2
    span = _trimmed(text, *word.span()) if word else None
    if span and len(_ASCII_ALNUM.findall(text, *span)) >= 4 and DIGIT.search(text, *span):
        return span
    return None


def _foreign_password(text: str, match: re.Match[str]) -> tuple[int, int] | None:
    """The value after another language's label (locales.py): as after "password is" or
    "password:" in a script written with spaces ("Mi contraseña es Hunter2!x", "пароль:
    Hunter2!x"); in Japanese or Korean, a word of ASCII letters and digits (4 or more, one a
    digit) up to the next other character, as after 密码 ("パスワードはhunter2です")."""
    if not match["label"].isascii() and "\u3040" <= match["label"][0] <= "\ud7af":
        word = _ASCII_WORD_ONLY.match(text, match.end())
        span = _trimmed(text, *word.span()) if word else None
        if span and len(_ASCII_ALNUM.findall(text, *span)) >= 4 and DIGIT.search(text, *span):
            return span
        return None
    return _english_password(text, match)


_ASCII_WORD_ONLY: Final = re.compile(r"[!-~]{1,64}(?![!-~])")


def _next_line_password(text: str, match: re.Match[str]) -> tuple[int, int] | None:
    """A value a line or two below its label, as a form has it ("Password:\nhunter2",
    "密码\n\nabc12345"): one word with a digit, alone on its line, and not the form's next
    field ("Order: 12345678" under an empty "Password:"). After a label with nothing to link
    it (no colon, "is" or 是), only when the label begins its line: "忘记密码\n12345678" forgot
    the password and then gives an order number."""
    if not match["sep"].strip() and not begins_line(text, match.start()):
        return None
    word = _ASCII_WORD.match(text, match.end())
    if not word or not _LINE_END.match(text, word.end()) or ":" in word[0]:
        return None
    span = _trimmed(text, *word.span())
    return span if span[1] - span[0] >= 4 and DIGIT.search(text, *span) else None


def _quoted(text: str, start: int) -> tuple[int, int] | None:
    found = _QUOTED.match(text, start)
    return (found.start() + 1, found.end() - 1) if found else None


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """A value without the punctuation and spaces around it."""
    while end > start and (text[end - 1] in _TRIM_END or text[end - 1].isspace()):
        end -= 1
    while start < end and text[start] in _TRIM_START:
        start += 1
    return start, end
