"""Files and folders that hold customers' words, made readable by their owner alone: the
SQLite store (store/sqlite.py), a recording's cassette (cassette.py), whose prompts hold
customer details unmasked, and ``servicebot export -o FILE``'s file (cli/review.py), whose
rows hold what customers and agents typed. What exists keeps the mode its operator gave it."""

from __future__ import annotations

import os
from contextlib import suppress
from pathlib import Path
from typing import IO

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


def open_private(path: Path) -> IO[str]:
    """``path`` opened to write text (UTF-8, line ends as written), emptied if it exists.
    A new file is readable by its owner alone (0600), whatever the umask: under the usual
    022, ``open()`` made it readable by every user of the machine. A file that exists keeps
    the mode its operator gave it."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    return open(descriptor, "w", encoding="utf-8", newline="")
