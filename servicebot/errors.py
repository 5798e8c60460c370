"""Every error servicebot raises on purpose, in one tree.

    ServicebotError                 base: catch this to catch everything deliberate
     +-- ConfigError                an operator's bot files are wrong; lists every Problem
     |   |                          (file, line, column, the line itself)
     |   +-- TemplateError          a template failed while rendering a turn (file and line)
     |   +-- NoKeyError             no API key to send (unset, empty, or its function failed):
     |                              the model was not asked
     +-- StorageError               the conversation store failed (a file, a Redis server)
     |   +-- StorePausedError       not tried: the store failed just now (store.Pause)
     +-- BudgetError                the prompt cannot fit, or an encoding file is missing or damaged
     +-- ConversationIdError        the application passed an id no conversation may have
                                    (blank, too long, control characters); also a ValueError
     +-- NoPIIError                 a value to find a customer's conversations by holds no
                                    PII the pre-filter reads ("hello"); also a ValueError

Only the ``cli`` package turns these into exit codes and messages. Anything else that escapes
is a bug and should show its traceback.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Self

if TYPE_CHECKING:
    from .reply import Reply

MAX_PROBLEMS_PER_FILE = 20  # a file with more gets one closing line that says how many
_SHOWN_WIDTH = 100  # a quoted source line is cut to this many characters around the column
_QUOTED_WIDTH = 60  # an operator's text copied into a message is cut to this many characters
# Controls (C0, DEL, C1) and the line and paragraph separators: blanked in a quoted line, and
# refused in a conversation id (turnstart.conversation_id_problem).
UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class ServicebotError(Exception):
    """Base for every error servicebot raises deliberately."""


@dataclass(frozen=True)
class Problem:
    """One mistake in one operator file, located as precisely as we can."""

    path: Path
    message: str
    line: int | None = None  # 1-based
    column: int | None = None  # 1-based
    source_line: str | None = None

    def __str__(self) -> str:
        # Modelled on jinja2's TemplateSyntaxError: location, message, then the line itself.
        location = str(self.path)
        if self.line is not None:
            location += f":{self.line}"
            if self.column is not None:
                location += f":{self.column}"
        text = f"{location}: {self.message}"
        if self.source_line is not None and self.source_line.strip():
            shown, caret = _window(self.source_line.rstrip(), self.column)
            text += "\n    " + shown
            if caret is not None:
                text += "\n    " + " " * caret + "^"
        return text


def shorten(text: str, most: int = _QUOTED_WIDTH) -> str:
    """``text`` as a message copies it: its first ``most`` characters and '…' if it is longer,
    so that a value of 100 KB does not print 100 KB (the quoted source line shows the rest)."""
    return text if len(text) <= most else text[:most] + "…"


def _window(line: str, column: int | None) -> tuple[str, int | None]:
    """The part of ``line`` worth showing, made printable, and where the caret goes in it.

    Tabs and control characters show as one space each, so that the caret lines up.
    """
    caret = None if column is None else column - 1
    start = 0 if caret is None else max(0, min(caret - _SHOWN_WIDTH // 2, len(line) - _SHOWN_WIDTH))
    shown = UNPRINTABLE.sub(" ", line.replace("\t", " ")[start : start + _SHOWN_WIDTH])
    if start > 0:
        shown = "..." + shown[3:]
    if start + _SHOWN_WIDTH < len(line):
        shown = shown[:-3] + "..."
    if caret is None:
        return shown, None
    return shown, _display_width(shown[: caret - start])


def _display_width(text: str) -> int:
    """Terminal cells: Chinese characters and full-width forms take two, so the caret lines up."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


class ConfigError(ServicebotError):
    """A bot folder has one or more mistakes; ``problems`` lists every one found.

    ``path``, ``line``, ``column`` and ``source_line`` describe the first problem. Raised from
    a turn (a key or model the server refuses), ``reply`` is the fallback the turn was stored
    with, for the application to show; otherwise None.
    """

    reply: Reply | None = None

    def __init__(self, problems: Sequence[Problem], total: int | None = None) -> None:
        if not problems:
            raise ValueError("ConfigError needs at least one problem")
        self.problems = tuple(problems)
        self.total = len(problems) if total is None else total  # problems beyond those listed
        first = self.problems[0]
        self.path, self.line, self.column = first.path, first.line, first.column
        self.source_line, self.message = first.source_line, first.message
        super().__init__(first.message)  # the full text is built only when asked for

    @classmethod
    def at(cls, path: Path, message: str) -> Self:
        """An error about a whole file or folder."""
        return cls([Problem(path, message)])

    @classmethod
    def listing(cls, problems: Sequence[Problem]) -> ConfigError:
        """An error listing ``problems``, at most ``MAX_PROBLEMS_PER_FILE`` per file; past
        that, one closing line says how many more."""
        by_file: dict[Path, list[Problem]] = {}
        for problem in problems:
            by_file.setdefault(problem.path, []).append(problem)
        shown: list[Problem] = []
        for path, found in by_file.items():
            shown += found[:MAX_PROBLEMS_PER_FILE]
            if len(found) > MAX_PROBLEMS_PER_FILE:
                more = len(found) - MAX_PROBLEMS_PER_FILE
                shown.append(Problem(path, f"and {more:,} more problems in this file"))
        return cls(shown, total=len(problems))

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)


class NoKeyError(ConfigError):
    """No API key to send: its variable unset, the key empty, or the ``api_key`` function
    passed in code failed. The model was not asked, so its breaker counts nothing."""


class StorageError(ServicebotError):
    """The conversation store could not read or write; the message says which and why."""


class StorePausedError(StorageError):
    """A store command not tried, while the store is paused after failing (store.Pause):
    the pause is logged as it starts, so each command it skips need not be."""


class BudgetError(ServicebotError):
    """The prompt cannot fit the token budget, or a packaged encoding file is missing or damaged."""


class TemplateError(ConfigError):
    """An operator template failed at render time, in a way loading could not foresee."""

    def __init__(self, problem: Problem) -> None:
        super().__init__([problem])


class ConversationIdError(ServicebotError, ValueError):
    """The application passed a conversation id no conversation may have: blank, longer than
    the limit, or holding a control character. It is the engineer's mistake, not the
    customer's, so it is raised at the call, before anything is stored or any model asked.
    Also a ValueError, which such ids raised before this class existed."""


class NoPIIError(ServicebotError, ValueError):
    """A value to find a customer's conversations by (``history --holding``) holds nothing
    the pre-filter's PII detector reads, so no conversation could have a digest of it.
    ``kinds``: those that can be looked up. Also a ValueError: the caller's value is wrong."""

    def __init__(self, value: str, kinds: Sequence[str]) -> None:
        super().__init__(
            f"{shorten(value)!r} holds no value the pre-filter replaces with a placeholder: give "
            f"one of these kinds, as the customer typed it: {', '.join(kinds)} (a passport "
            'number, password, date of birth or messenger id with its label: "passport '
            'E12345678", "DOB 1990-03-07", "微信 abc_123")'
        )
        self.value, self.kinds = value, tuple(kinds)
