"""What the evaluation tests (test_evaluation.py, test_evaluation_files.py,
test_evaluation_problems.py, test_evaluation_training.py) write their labelled files with
(``write``), what test_evaluation_files.py and test_evaluation_unreadable.py read a broken
one's message with (``problem``), and what test_evaluation.py and
test_evaluation_problems.py run ``servicebot eval`` with (``run``, and ``run_json`` for its
``--json`` figures)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from servicebot import ConfigError
from servicebot.cli import main
from servicebot.evaluation.files import read_labelled


def write(folder: Path, name: str, text: str) -> Path:
    """``text`` written to ``folder/name`` in UTF-8; the path."""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def problem(path: Path) -> str:
    """The message of the ``ConfigError`` that reading the labelled file ``path`` raises."""
    with pytest.raises(ConfigError) as caught:
        read_labelled(path)
    return str(caught.value)


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["eval", *args])
    return result.exit_code, result.output


def run_json(*args: str) -> Any:
    """The figures ``servicebot eval ... --json`` prints on stdout (warnings go to stderr)."""
    result = CliRunner().invoke(main, ["eval", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)
