"""What the prompt tests (test_prompt.py, test_sandbox.py, test_render_failures.py,
test_undefined.py, test_customer.py, test_budget_settings.py) share: a copy of the example
bot with its system template, FAQ or settings replaced (``make_bot``), the two-line
``PREAMBLE`` a template payload follows (so it lands on line 3 of ``SYSTEM_J2``), and the
check that rendered messages keep the roles code gave them (``assert_roles``)."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

from servicebot.prompt import Message
from tests.conftest import REPO

SYSTEM_J2 = str(Path("templates") / "system.j2")


def make_bot(
    tmp_path: Path,
    *,
    system: str | None = None,
    faq: str | None = None,
    settings: Sequence[tuple[str, str]] = (),
) -> Path:
    """A copy of the example bot, with system.j2, the FAQ or settings lines replaced."""
    folder = tmp_path / "bot"
    folder.mkdir()
    text = (REPO / "servicebot.yaml").read_text(encoding="utf-8")
    for old, new in settings:
        assert old in text
        text = text.replace(old, new)
    (folder / "servicebot.yaml").write_text(text, encoding="utf-8")
    shutil.copytree(REPO / "templates", folder / "templates")
    if system is not None:
        (folder / "templates" / "system.j2").write_text(system, encoding="utf-8")
    if faq is None:
        shutil.copytree(REPO / "faq", folder / "faq")
    else:
        (folder / "faq").mkdir()
        (folder / "faq" / "test.yaml").write_text(faq, encoding="utf-8")
    return folder


def assert_roles(messages: Sequence[Message]) -> None:
    """One system message, first; then user/assistant pairs; the customer's message last."""
    roles = [message.role for message in messages]
    assert roles[0] == "system"
    assert roles.count("system") == 1
    pairs = (len(roles) - 2) // 2
    assert roles[1:] == ["user", "assistant"] * pairs + ["user"]


PREAMBLE = "You are {{ bot.name }}.\nBe brief.\n"  # the payload goes on line 3
