"""What the ``servicebot`` commands share: path types and loading a bot for a command."""

from __future__ import annotations

from pathlib import Path

import click

from ..config import BotSpec, load_bot
from ..errors import ConfigError

BOT_PATH = click.Path(file_okay=False, path_type=Path)
FILE_PATH = click.Path(dir_okay=False, path_type=Path)


def load(bot_path: Path) -> BotSpec:
    try:
        return load_bot(bot_path)
    except ConfigError as exc:
        raise click.ClickException(f"fix the bot folder first:\n{exc}") from exc
