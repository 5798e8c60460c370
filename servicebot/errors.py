"""Every error servicebot raises on purpose, in one tree.

    ServicebotError                 base: catch this to catch everything deliberate
     +-- ConfigError                an operator's bot files are wrong; lists every Problem
                                    (file, line, column, the line itself)

Only ``cli.py`` turns these into exit codes and messages. Anything else that escapes
is a bug and should show its traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


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
            # Tabs are shown as one space each so that the caret lines up with the column.
            text += "\n    " + self.source_line.rstrip().replace("\t", " ")
            if self.column is not None:
                text += "\n    " + " " * (self.column - 1) + "^"
        return text


class ConfigError(ServicebotError):
    """A bot folder has one or more mistakes; ``problems`` lists every one found.

    ``path``, ``line``, ``column`` and ``source_line`` describe the first problem.
    """

    def __init__(self, problems: Sequence[Problem]) -> None:
        if not problems:
            raise ValueError("ConfigError needs at least one problem")
        self.problems = tuple(problems)
        first = self.problems[0]
        self.path, self.line, self.column = first.path, first.line, first.column
        self.source_line, self.message = first.source_line, first.message
        super().__init__(str(self))

    @classmethod
    def at(
        cls,
        path: Path,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        source_line: str | None = None,
    ) -> ConfigError:
        """Build an error for a single problem."""
        return cls([Problem(path, message, line, column, source_line)])

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)
