"""Files and folders that hold customers' words, made readable by their owner alone: the
SQLite store (store/sqlite.py) and a recording's cassette (cassette.py), whose prompts hold
customer details unmasked. What exists keeps the mode its operator gave it."""

from __future__ import annotations

from contextlib import suppress
from pathlib import Path

PRIVATE_FILE = 0o600  # a new file's mode: its owner alone reads and writes it


def make_private_folder(folder: Path) -> None:
    """Make ``folder`` and any folder above it that is missing, each readable by its owner
    alone (0700): the files in it are customers' words. A folder that exists keeps the mode
    its operator gave it."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for each in reversed(missing):
        with suppress(FileExistsError):  # made by another process meanwhile
            each.mkdir(mode=0o700)
