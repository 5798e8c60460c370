"""A pytest plugin: a bot's scripted conversations run as tests, ``pytest tests/conversations``.

Registered as the ``servicebot`` ``pytest11`` entry point. Every ``*.yaml`` file in a folder
named ``conversations``, or a subfolder of one, inside a bot (the nearest folder above it
with a ``servicebot.yaml``, else with a ``faq`` folder holding YAML) is one test item; hidden
files are not. Model replies are always replayed from the bot's cassettes, exactly as ``servicebot
test`` does; a failing item lists the failed expectations and, for a request with no
recording, the diff against the closest recorded prompt. ``--servicebot-via stream,astream``
(or the ini option ``servicebot_via``) runs every conversation through those ``Bot`` methods
too, as ``servicebot test --via`` does.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # the bot's modules load only when a conversation runs
    from _pytest._code.code import TerminalRepr

    from .config import BotSpec
    from .conversations import ConversationResult
    from .conversations.files import Via

_SPECS = pytest.StashKey[dict[Path, "BotSpec"]]()
_WAYS = pytest.StashKey[tuple["Via", ...]]()  # --servicebot-via's, read once
_SUFFIXES = (".yaml", ".yml")  # as config.yaml_files'; not imported: pytest loads this each run
_VIA_HELP = (
    "Also run every conversation through these Bot methods, besides the ones its own via: "
    "names: a comma-separated list of reply, stream, areply and astream, or all."
)


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--servicebot-via WAYS`` and the ini option ``servicebot_via``: what ``servicebot
    test --via`` takes, so that CI running the conversations under pytest can test the
    streaming and async paths without a ``via:`` in every script."""
    group = parser.getgroup("servicebot", "servicebot conversations")
    group.addoption(
        "--servicebot-via", action="append", dest="servicebot_via", metavar="WAYS", help=_VIA_HELP
    )
    parser.addini("servicebot_via", _VIA_HELP + " --servicebot-via replaces it.", default="")


def pytest_configure(config: pytest.Config) -> None:
    """Read the ways to run conversations through, refusing a mistake before any test runs,
    as ``servicebot test --via`` does; the command line's replace the ini file's."""
    values: list[str] | None = config.getoption("servicebot_via")
    given = "--servicebot-via"
    if values is None and (ini := str(config.getini("servicebot_via"))):
        values, given = [ini], "servicebot_via (ini option)"
    if values is None:  # the bot's modules are not imported in a project that runs none
        return
    from .conversations.files import named_ways

    try:
        config.stash[_WAYS] = named_ways(values)
    except ValueError as exc:
        raise pytest.UsageError(f"{given}: {exc}") from None


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix.lower() not in _SUFFIXES or "conversations" not in file_path.parent.parts:
        return None
    from .config import bot_holding

    root = bot_holding(file_path)
    if root is None:  # YAML in some other project's conversations folder
        return None
    inside = file_path.resolve().relative_to(root).parts
    if "conversations" not in inside[:-1]:
        return None  # a bot's faq/ file, in a bot that lives inside a "conversations" folder
    if any(part.startswith(".") for part in inside):  # an editor's lock or backup file
        return None
    collector: ConversationFile = ConversationFile.from_parent(parent, path=file_path)
    collector.bot_root = root
    return collector


class ConversationFile(pytest.File):
    """One conversation file: one item."""

    bot_root: Path

    def collect(self) -> list[pytest.Item]:
        return [ConversationItem.from_parent(self, name=self.path.stem)]


class ConversationFailed(Exception):
    """A conversation whose expectations were not all met."""

    def __init__(self, result: ConversationResult) -> None:
        super().__init__(f"{len(result.failures)} failed expectations")
        self.result = result

    def report(self) -> str:
        conversation = self.result.conversation
        head = f"conversation {conversation.name}: {conversation.description}".rstrip(": ")
        return "\n".join([head, *(str(failure) for failure in self.result.failures)])


class ConversationItem(pytest.Item):
    """A conversation replayed through its bot, every expectation checked."""

    def runtest(self) -> None:
        from .conversations import load_conversation, run_conversation

        also = self.config.stash.get(_WAYS, ())
        result = run_conversation(self._spec(), load_conversation(self.path), also=also)
        if not result.passed:
            raise ConversationFailed(result)

    def _spec(self) -> BotSpec:
        """The bot, loaded once per test session."""
        from .config import load_bot

        assert isinstance(self.parent, ConversationFile)
        root = self.parent.bot_root
        specs = self.config.stash.setdefault(_SPECS, {})
        if root not in specs:
            specs[root] = load_bot(root)
        return specs[root]

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
    ) -> str | TerminalRepr:
        from .errors import ServicebotError

        if isinstance(excinfo.value, ConversationFailed):
            return excinfo.value.report()
        if isinstance(excinfo.value, ServicebotError):  # a mistake in a bot or conversation file
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"conversation {self.name}"
