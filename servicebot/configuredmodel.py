"""The model a bot's settings name, built as a :class:`~servicebot.pipeline.Bot` starts: the
OpenAI-compatible server of ``servicebot.yaml``, through its recordings when ``replay.mode``
says so (replay.py, imported only then)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .config import SETTINGS_FILE
from .model import ModelClient, OpenAIClient

if TYPE_CHECKING:
    from .config import BotSpec
    from .model.apikey import ApiKey


def configured_model(spec: BotSpec, api_key: ApiKey | None = None) -> ModelClient:
    """The model ``servicebot.yaml`` names, through its recordings when ``replay.mode`` says so
    (``<replay.cassettes>/bot.yaml``; ``servicebot test`` keeps one cassette per script)."""
    settings = spec.settings
    live = OpenAIClient(settings.model, spec.root / SETTINGS_FILE, api_key=api_key)
    if settings.replay.mode == "off":
        return live
    from .replay import BOT_HEADER, Replayer, bot_cassette, bot_record_hint

    return Replayer(
        bot_cassette(spec),
        settings.replay.mode,
        live if settings.replay.mode == "record" else None,
        longest=settings.postfilter.max_chars,
        hint=bot_record_hint(spec),
        header=BOT_HEADER,
        longest_bytes=settings.postfilter.max_bytes,
    )
