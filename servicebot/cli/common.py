"""What the ``servicebot`` commands share: path types and loading a bot for a command."""

from __future__ import annotations

from pathlib import Path

import click

from ..config import BotSpec, load_bot, load_bot_settings
from ..errors import ConfigError

BOT_PATH = click.Path(file_okay=False, path_type=Path)
FILE_PATH = click.Path(dir_okay=False, path_type=Path)


def load(bot_path: Path) -> BotSpec:
    try:
        return load_bot(bot_path)
    except ConfigError as exc:
        raise click.ClickException(f"fix the bot folder first:\n{exc}") from exc


def load_settings(bot_path: Path) -> BotSpec:
    """The bot's settings alone (see :func:`load_bot_settings`)."""
    try:
        return load_bot_settings(bot_path)
    except ConfigError as exc:
        raise click.ClickException(f"fix servicebot.yaml first:\n{exc}") from exc
