"""What the loader tests (test_config.py, test_settings.py, test_model_settings.py) share:
a copy of the small valid bot in tests/data/base, with a broken case's files laid over it
(``make_bot``)."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import DATA


def make_bot(tmp_path: Path, overlay: Path | None = None) -> Path:
    """The small valid bot in tests/data/base, with a case's files laid over it."""
    bot = tmp_path / "bot"
    shutil.copytree(DATA / "base", bot)
    if overlay is None:
        return bot
    for source in overlay.rglob("*"):
        if source.is_file() and source.name not in ("expected.txt", "remove"):
            target = bot / source.relative_to(overlay)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, target)
    if (overlay / "remove").exists():
        for name in (overlay / "remove").read_text().split():
            (bot / name).unlink()
    return bot
