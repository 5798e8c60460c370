"""What the ``servicebot`` commands share: path types and loading a bot for a command."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from ..config import BotSpec, bot_holding, load_bot, load_bot_settings
from ..errors import ConfigError


class _BotPath(click.Path):
    """A bot folder; given a file in one (``check faq/returns.yaml``), names the folder."""

    def __init__(self) -> None:
        super().__init__(file_okay=False, path_type=Path)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str | Path) and Path(value).is_file():
            found = bot_holding(Path(value).parent)
            folder = (
                f"its bot folder, '{os.path.relpath(found)}'"
                if found
                else "a bot folder (one holding servicebot.yaml and faq/)"
            )
            self.fail(f"'{value}' is a file: give {folder}", param, ctx)
        return super().convert(value, param, ctx)


BOT_PATH = _BotPath()
FILE_PATH = click.Path(dir_okay=False, path_type=Path)


def bot_folder(given: Path | None, inside: Path = Path(".")) -> Path:
    """The bot folder a command works on: the one given; else the nearest folder holding a
    bot, ``inside`` or above it (an operator editing inside faq/ runs ``servicebot check``
    there), named relative to the current one, as the command's messages name its files;
    else the current one."""
    if given is not None:
        return given
    found = bot_holding(inside)
    return Path(os.path.relpath(found)) if found else Path(".")


def nearest_bot(_context: Any, _parameter: Any, given: Path | None) -> Path:
    """:func:`bot_folder`, as a click callback."""
    return bot_folder(given)


BOT_HELP = "The bot folder (default: the nearest one here or above)."
bot_option = click.option("--bot", "bot_path", type=BOT_PATH, callback=nearest_bot, help=BOT_HELP)


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


def offline_reason(spec: BotSpec) -> str | None:
    """Why chat answers from the FAQ alone, or None when a model (or its recordings) will
    answer. Replaying needs no API key: nothing reaches the model."""
    model = spec.settings.model
    if model.name is None:
        return "no model is configured in servicebot.yaml"
    replaying = spec.settings.replay.mode == "replay"
    if model.api_key_env is None:  # a server that takes no key
        return None
    if not replaying and not os.environ.get(model.api_key_env, "").strip():
        return f"{model.api_key_env} is not set"
    return None


def last_days(days: int) -> str:
    """``the last 7 days``, ``the last day``: a ``--days`` period in a message, never ``the
    last 1 days``."""
    return "the last day" if days == 1 else f"the last {days} days"
