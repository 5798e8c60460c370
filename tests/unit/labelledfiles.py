"""What the evaluation tests (test_evaluation.py, test_evaluation_files.py,
test_evaluation_training.py) write their labelled files with (``write``)."""

from __future__ import annotations

from pathlib import Path


def write(folder: Path, name: str, text: str) -> Path:
    """``text`` written to ``folder/name`` in UTF-8; the path."""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path
