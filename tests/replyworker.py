"""A web worker for the tests of deliveries across processes: one bot answering one message.

    python -m tests.replyworker STORE_URL ROOT NAMESPACE MODEL_URL MESSAGE_ID [WORDS]

builds the example bot on the store and the model server given, prints "ready", waits for a
line on standard input (so that two workers send at once), answers the refunds question
(with WORDS after it) in conversation "c" as ``bot.reply`` does for a webhook (MESSAGE_ID
"-": none), and prints the reply as JSON. The model's
key is read from SERVICEBOT_E2E_KEY; a turn may take 4 s at the model, plus 0.2 s per store
command. A turn that runs past that: REPLYWORKER_SLOW_PREPARE (seconds spent preparing the
prompt, before the model call) and REPLYWORKER_SLOW_MODEL (seconds the model call spends
before sending its request, as a stream that ran on past its timeout would).
"""

from __future__ import annotations

import json
import os
import sys
import time
from functools import wraps
from pathlib import Path
from typing import Any

from servicebot import load_bot
from servicebot.model import Completion, ModelRequest, OpenAIClient
from servicebot.pipeline import Bot
from servicebot.settings import ModelSettings
from servicebot.store import open_store
from tests.conftest import REPO
from tests.e2e.conftest import KEY_ENV, REFUNDS, with_settings


def main(
    url: str, root: str, namespace: str, model_url: str, message_id: str, words: str = ""
) -> None:
    spec = with_settings(load_bot(REPO), store={"timeout": 0.2})
    update = {"base_url": model_url, "api_key_env": KEY_ENV, "max_retries": 0, "timeout": 4.0}
    settings = ModelSettings(**spec.settings.model.model_copy(update=update).model_dump())
    model = _SlowClient(settings, spec.root / "servicebot.yaml")
    store = open_store(url, root=Path(root), namespace=namespace, timeout=0.2)
    bot = Bot(spec, model=model, store=store)
    bot.prepare = _slowed(bot.prepare, float(os.environ.get("REPLYWORKER_SLOW_PREPARE", 0)))  # type: ignore[method-assign]
    print("ready", flush=True)
    sys.stdin.readline()
    text = f"{REFUNDS} {words}".strip()
    reply = bot.reply(text, "c", message_id=None if message_id == "-" else message_id)
    print(json.dumps({"text": reply.text, "repeated": reply.repeated, "turn": reply.turn}))
    bot.close()


class _SlowClient(OpenAIClient):
    """The model client, which waits REPLYWORKER_SLOW_MODEL seconds before each call."""

    def complete(self, request: ModelRequest) -> Completion:
        time.sleep(float(os.environ.get("REPLYWORKER_SLOW_MODEL", 0)))
        return super().complete(request)


def _slowed(prepare: Any, seconds: float) -> Any:
    """``prepare``, taking ``seconds`` more."""

    @wraps(prepare)
    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(seconds)
        return prepare(*args, **kwargs)

    return slow


if __name__ == "__main__":
    main(*sys.argv[1:])
