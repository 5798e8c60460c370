"""Bot.reply end to end: the example bot, the real openai SDK, a real HTTP server on 127.0.0.1.

The whole turn: an answer with the FAQ's facts and its trace, the answer cache, offline FAQ mode,
replay settings, and the first model calls from many threads at once. The other test_reply_*
modules take one concern each.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from servicebot.config import BotSpec
from servicebot.pipeline import Bot
from servicebot.store.memory import MemoryStore
from tests.conftest import REPO
from tests.e2e.conftest import KEY_ENV, REFUNDS, asked
from tests.openai_server import Fault, OpenAIServer


def test_a_faq_question_is_answered_by_the_model_with_the_intents_facts(
    make_bot: Any, server: OpenAIServer, spec: BotSpec
) -> None:
    server.responder = lambda body: "Refunds are issued within 2 business days of the return."
    reply = make_bot().reply(REFUNDS, conversation_id="c1")
    assert (reply.action, reply.intent) == ("answer", "refund_status")
    assert reply.text == "Refunds are issued within 2 business days of the return."
    assert reply.turn == 1
    refund = next(i for i in spec.intents if i.name == "refund_status")
    sent = asked(server)
    assert sent[0]["role"] == "system" and refund.answer_in("en") in sent[0]["content"]
    assert sent[-1] == {"role": "user", "content": REFUNDS}
    assert [s.stage for s in reply.trace] == [
        "store", "prefilter", "routing", "prompt", "cache", "model", "postfilter", "store",
    ]  # fmt: skip
    model = reply.step("model")
    assert model is not None and reply.usage is not None
    # the server counts with the same encoding: the budget stage's count is exact
    assert model.detail["prompt_tokens"] == model.detail["budget_count"]
    assert reply.usage.completion_tokens > 0
    assert server.schema_errors == []


def test_a_repeated_opening_question_is_answered_from_the_cache(
    make_bot: Any, server: OpenAIServer
) -> None:
    bot = make_bot()
    assert bot.cache is not None  # the example bot turns it on
    first = bot.reply(REFUNDS, conversation_id="a")
    second = bot.reply(REFUNDS.upper() + "!!", conversation_id="b")  # same question, shouted
    assert len(server.requests) == 1
    assert second.text == first.text and second.action == "answer"
    assert second.step("cache").decision == "hit"  # type: ignore[union-attr]
    assert second.step("model") is None and second.usage is None
    bot.reply("and what about express?", conversation_id="a")  # has history: never cached
    assert len(server.requests) == 2


def test_with_no_model_the_bot_answers_from_the_faq(spec: BotSpec) -> None:
    bot = Bot(spec, offline=True, store=MemoryStore())
    assert bot.model is None
    english = bot.reply("how long do refunds take?")
    chinese = bot.reply("退货政策是什么？")
    unsure = bot.reply("my thing from you did something odd")
    assert (english.action, english.intent) == ("direct", "refund_status")
    assert (chinese.action, chinese.intent) == ("direct", "return_item")
    assert "退货" in chinese.text
    assert unsure.action in ("handoff", "out_of_scope")


def test_the_trace_says_when_the_post_filter_repaired_the_answer(
    make_bot: Any, server: OpenAIServer
) -> None:
    bot = make_bot()
    server.responder = lambda body: "Refunds take 5 days. Call our partner on +1 212-555-0147."
    repaired = bot.reply(REFUNDS + " My email is ada@example.com.")
    assert repaired.action == "answer" and "212-555-0147" not in repaired.text
    assert repaired.step("postfilter").decision == "pass (repaired)"  # type: ignore[union-attr]
    # The trace names what each filter found, for `chat --trace`, not just how many.
    assert repaired.step("postfilter").detail["events"] == [  # type: ignore[union-attr]
        "contact PHONE repair"
    ]
    assert repaired.step("prefilter").detail["events"] == [  # type: ignore[union-attr]
        "pii EMAIL mask -> [EMAIL_1]"
    ]
    server.responder = lambda body: "Refunds take 5 days."
    assert bot.reply(REFUNDS + " thanks").step("postfilter").decision == "pass"


def test_replay_mode_in_settings_records_then_answers_without_the_model(
    spec: BotSpec, server: OpenAIServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dataclasses

    from servicebot import ReplayMissError
    from servicebot.settings import ReplaySettings

    monkeypatch.setenv(KEY_ENV, "sk-e2e-not-a-real-key")
    model = spec.settings.model.model_copy(update={"base_url": server.url, "api_key_env": KEY_ENV})

    def bot(mode: str) -> Bot:
        replay = ReplaySettings(mode=mode, cassettes=str(tmp_path))  # type: ignore[arg-type]
        settings = spec.settings.model_copy(update={"model": model, "replay": replay})
        return Bot(dataclasses.replace(spec, settings=settings), store=MemoryStore())

    recorded = bot("record").reply(REFUNDS)
    assert (tmp_path / "bot.yaml").exists() and len(server.requests) == 1
    replayed = bot("replay").reply(REFUNDS)
    assert replayed.text == recorded.text and len(server.requests) == 1
    with pytest.raises(ReplayMissError, match="differs"):
        bot("replay").reply("Can I change the delivery address of my order?")


_FIRST_TURNS_AT_ONCE = """
import importlib.abc, sys, threading, time
from servicebot import Bot

class SlowFirstImport(importlib.abc.MetaPathFinder):
    # The first thread to import openai pauses once it holds the package's import lock.
    waited = False
    def find_spec(self, name, path, target=None):
        if name == "openai" and not SlowFirstImport.waited:
            SlowFirstImport.waited = True
            time.sleep(0.3)
        return None

sys.meta_path.insert(0, SlowFirstImport())
bot = Bot.load(sys.argv[1])
replies = {}
def turn(n):
    message, conversation = f"where is my parcel {n}, it is late", f"c{n}"
    if n % 2:
        replies[n] = "".join(bot.stream(message, conversation_id=conversation))
    else:
        replies[n] = bot.reply(message, conversation_id=conversation).text
streams = [threading.Thread(target=turn, args=(n,)) for n in range(1, 12, 2)]
answers = [threading.Thread(target=turn, args=(n,)) for n in range(0, 12, 2)]
for thread in streams: thread.start()
time.sleep(0.1)  # the first stream is importing openai; the blocking calls start their own
for thread in answers: thread.start()
for thread in streams + answers: thread.join()
print(sum(text.startswith("You asked: where is my parcel") for text in replies.values()))
"""


def test_threads_making_the_first_model_calls_at_once_all_get_answers(
    tmp_path: Path, server: OpenAIServer
) -> None:
    """A threaded web server's first requests import the openai SDK at the same moment; one
    that saw it half imported (ImportError, no openai.Stream) fell back."""
    bot = tmp_path / "bot"
    for name in ("faq", "templates"):
        shutil.copytree(REPO / name, bot / name)
    settings = (REPO / "servicebot.yaml").read_text(encoding="utf-8")
    settings = settings.replace("  api_key_env: OPENAI_API_KEY", f"  base_url: {server.url}")
    settings = settings.replace("sqlite:///.servicebot/conversations.db", "memory://")
    (bot / "servicebot.yaml").write_text(settings, encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "OPENAI_API_KEY": "sk-test"}
    env["PYTHONPATH"] = str(REPO)  # this checkout's servicebot, whatever is installed
    for _ in range(2):  # each run lost the race about one time in two before the fix
        result = subprocess.run(
            [sys.executable, "-c", _FIRST_TURNS_AT_ONCE, str(bot)],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "12", result.stderr


def test_a_server_counting_far_more_prompt_tokens_is_logged_once_per_process(
    make_bot: Any, server: OpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    # A Qwen or Llama counts Chinese with more tokens than o200k_base: the budget was fitted by
    # a count the model does not share, and nothing said so.
    usage = {"prompt_tokens": 5000, "completion_tokens": 9, "total_tokens": 5009}
    server.fail(Fault.odd_usage(usage), Fault.odd_usage(usage))
    bot = make_bot()
    with caplog.at_level(logging.WARNING, logger="servicebot"):
        first = bot.reply(REFUNDS, conversation_id="c")
        bot.reply("How long does a refund take after I send it back?", conversation_id="c")
    model = first.step("model")
    assert model is not None and model.detail["prompt_tokens"] == 5000
    counted = model.detail["budget_count"]
    assert caplog.messages == [
        f"the server counted 5000 prompt tokens where servicebot counted {counted} (with "
        "o200k_base) for model gpt-4o-mini: prompts are fitted to the budget by servicebot's "
        "count; leave a margin with budget.max_prompt_tokens, or set budget.encoding (said "
        "once per process)"
    ]


def test_a_server_counting_as_servicebot_does_is_not_logged(
    make_bot: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="servicebot"):
        reply = make_bot().reply(REFUNDS, conversation_id="c")
    model = reply.step("model")
    assert model is not None and model.detail["prompt_tokens"] == model.detail["budget_count"]
    assert caplog.messages == []
