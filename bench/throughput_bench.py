"""How many model turns a second ``Bot.areply`` carries, against the bare ``openai`` SDK.

The local OpenAI-compatible server (tests/openai_server.py) runs in a process of its own with
50 ms added to every answer, so the client does not share a GIL with it. 200 conversations
run at once (one asyncio task each); each sends TURNS customer messages one after another.
Every conversation starts with 15 stored turns (20-50 words a side), so a prompt is the
system message, the routed intents' few-shot pairs, 30 or more history messages and the new
message, fitted to the example bot's own 6,000-token budget. Every message routes to the
model (the answer cache is off; it only serves opening questions anyway).

Ours: the example bot (repo root) with its model pointed at the server and a MemoryStore:
the whole pipeline, store to store. Bare SDK, in the same run against the same server: one
``AsyncOpenAI`` sending the very bodies our bot sent (captured in the warm-up round), in the
same 200 x TURNS pattern, through ``chat.completions.create(**body)``; and, for reference,
through the SDK's low-level ``post()`` with the body pre-built. Rounds alternate (ours,
create, post, ours, ...); each round's conversations are new, so every round sends the same
prompts. Requests/s is model requests / wall time; client CPU is this process's CPU time
(``time.process_time``) per request; server CPU is the server process's, from /proc.

Target (issue): servicebot at least as fast as the bare SDK in the same run (ratio >= 1.0x).
The issue measured the SDK's create() at about 7 ms of client-side work per 32-message
request (it walks the typed parameters), near 95 requests/s per core, and the same body
passed pre-built at over 400/s.

Run: .venv/bin/python bench/throughput_bench.py           (1-3 minutes, as busy as the machine is)
     .venv/bin/python bench/throughput_bench.py --profile (then cProfile one round of ours)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import contextvars
import cProfile
import json
import os
import pstats
import random
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import openai
import prompt_bench  # type: ignore[import-not-found]
from openai.types.chat import ChatCompletion

from servicebot import load_bot
from servicebot.config import SETTINGS_FILE
from servicebot.model import Completion, ModelRequest, OpenAIClient, request_for
from servicebot.pipeline import Bot, Reply
from servicebot.prompt import Exchange
from servicebot.settings import ModelSettings
from servicebot.store import TurnRecord
from servicebot.store.memory import MemoryStore

REPO = Path(__file__).resolve().parent.parent
SEED = 20_240_612
CONVERSATIONS, TURNS, STORED_TURNS, ROUNDS = 200, 5, 15, 2
LATENCY = 0.05
KEY_ENV = "SERVICEBOT_BENCH_API_KEY"
TARGET_RATIO = 1.0
ISSUE_SDK_RPS, ISSUE_PREBUILT_RPS, ISSUE_SDK_CPU_MS = 95, 400, 7.0

# The conversation text of prompt_bench.py, with one more customer line.
CUSTOMER = (
    *prompt_bench.CUSTOMER,
    "The curtains are the wrong colour, the photo on the website looked much lighter.",
)
AGENT = prompt_bench.AGENT
QUESTIONS = (  # each routes to the model in the example bot (checked before the rounds)
    "the parcel still has not arrived and it has been a week, what can I do about it",
    "can I get an invoice for my last purchase with my company name on it",
    "my card was declined when I tried to pay, why is that happening",
    "how long will my refund take to show on my card after the return",
    "I received the wrong item in the box, how do I get the right one sent",
    "is it still possible to cancel my order if it was placed this morning",
    "one of the mugs arrived broken, can you send a replacement",
    "I think I was charged twice for the same order, can you check",
    "how do I return the curtains, they are not the colour I expected",
    "the promo code from the newsletter is not working at checkout",
    "can I change the delivery address on an order that has not shipped yet",
    "when will the blue kettle be back in stock",
)
T = TypeVar("T")
_TURN: contextvars.ContextVar[tuple[int, int]] = contextvars.ContextVar("turn")


@dataclass(frozen=True)
class Round:
    """One timed round of one side."""

    requests: int
    seconds: float
    cpu_seconds: float
    server_cpu_seconds: float | None

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    def cpu_ms(self) -> float:
        return self.cpu_seconds * 1000 / self.requests

    def server_ms(self) -> float | None:
        seconds = self.server_cpu_seconds
        return None if seconds is None else seconds * 1000 / self.requests


# --- the server ---------------------------------------------------------------------------


@contextlib.contextmanager
def serve(latency: float) -> Iterator[tuple[str, int]]:
    """The server in a process of its own: its base URL and process id. Killed on the way out."""
    command = [sys.executable, "-m", "tests.openai_server", "--latency", str(latency)]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        url = process.stdout.readline().strip() if process.stdout else ""
        if not url.endswith("/v1"):
            raise RuntimeError(f"the server did not start (exit code {process.poll()})")
        yield url, process.pid
    finally:
        process.kill()
        process.wait()
        if process.stdout:
            process.stdout.close()


def cpu_of(pid: int) -> float | None:
    """CPU seconds (user + system) process ``pid`` has used so far; None off Linux."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- the conversations --------------------------------------------------------------------


def _words(rng: random.Random, sentences: Sequence[str], low: int, high: int) -> str:
    """Whole sentences, low to high words in all."""
    target, chosen, count = rng.randint(low, high), [], 0
    for sentence in rng.sample(sentences, len(sentences)):
        size = len(sentence.split())
        if count < target and count + size <= high:
            chosen.append(sentence)
            count += size
    assert count >= low, (count, chosen)
    return " ".join(chosen)


@dataclass(frozen=True)
class Plan:
    """What every conversation holds before a round, and the messages it sends in it."""

    histories: list[list[tuple[str, str]]]  # (customer, reply) per stored turn
    questions: list[list[str]]

    @classmethod
    def make(cls) -> Plan:
        rng = random.Random(SEED)
        histories = [
            [
                (_words(rng, CUSTOMER, 20, 50), _words(rng, AGENT, 20, 50))
                for _ in range(STORED_TURNS)
            ]
            for _ in range(CONVERSATIONS)
        ]
        questions = [rng.sample(QUESTIONS, TURNS) for _ in range(CONVERSATIONS)]
        return cls(histories, questions)

    def open(self, store: MemoryStore, tag: str) -> list[str]:
        """New conversations in ``store``, each with its stored turns: their ids."""
        ids = [f"{tag}-{n:03}" for n in range(CONVERSATIONS)]
        for conversation_id, history in zip(ids, self.histories, strict=True):
            for customer, reply in history:
                record = TurnRecord(conversation_id, customer, reply, "answer", model="gpt-4o-mini")
                store.append_turn(record)
        return ids


class Recorder:
    """A ModelClient that keeps each request's body by (conversation, turn), then asks ``inner``."""

    def __init__(self, inner: OpenAIClient) -> None:
        self.inner = inner
        self.bodies: dict[tuple[int, int], dict[str, Any]] = {}

    def complete(self, request: ModelRequest) -> Completion:
        self.bodies[_TURN.get()] = request.body()
        return self.inner.complete(request)

    async def acomplete(self, request: ModelRequest) -> Completion:
        self.bodies[_TURN.get()] = request.body()
        return await self.inner.acomplete(request)

    def stream(self, request: ModelRequest) -> Iterator[str | Completion]:
        return self.inner.stream(request)

    def astream(self, request: ModelRequest) -> AsyncIterator[str | Completion]:
        return self.inner.astream(request)

    def in_order(self) -> list[list[dict[str, Any]]]:
        return [[self.bodies[n, k] for k in range(TURNS)] for n in range(CONVERSATIONS)]


# --- the two sides ------------------------------------------------------------------------


async def run_ours(bot: Bot, ids: Sequence[str], plan: Plan) -> list[list[Reply]]:
    """Every conversation at once, each sending its messages one after another."""

    async def converse(n: int) -> list[Reply]:
        replies = []
        for k, question in enumerate(plan.questions[n]):
            _TURN.set((n, k))
            replies.append(await bot.areply(question, conversation_id=ids[n]))
        return replies

    return await asyncio.gather(*(converse(n) for n in range(len(ids))))


Send = Callable[[dict[str, Any]], Awaitable[ChatCompletion]]


async def run_sdk(send: Send, bodies: Sequence[Sequence[dict[str, Any]]]) -> None:
    """The same pattern with the bare SDK: every conversation at once, its bodies in turn."""

    async def converse(conversation: Sequence[dict[str, Any]]) -> None:
        for body in conversation:
            response = await send(body)
            assert response.choices[0].message.content, response

    await asyncio.gather(*(converse(conversation) for conversation in bodies))


def sdk_senders(client: openai.AsyncOpenAI) -> dict[str, Send]:
    def create(body: dict[str, Any]) -> Awaitable[ChatCompletion]:
        return client.chat.completions.create(**body)

    def post(body: dict[str, Any]) -> Awaitable[ChatCompletion]:
        options: Any = {"security": {"bearer_auth": True}}
        return client.post("/chat/completions", body=body, cast_to=ChatCompletion, options=options)

    return {"create": create, "post": post}


async def measure(run: Awaitable[T], server: int) -> tuple[Round, T]:
    """Wall time, this process's CPU time and the server's, of one round; and its result."""
    cpu, server_cpu, start = time.process_time(), cpu_of(server), time.perf_counter()
    result = await run
    seconds = time.perf_counter() - start
    server_after = cpu_of(server)
    served = None if server_cpu is None or server_after is None else server_after - server_cpu
    requests = CONVERSATIONS * TURNS
    return Round(requests, seconds, time.process_time() - cpu, served), result


# --- the bench ----------------------------------------------------------------------------


@dataclass
class Results:
    rounds: dict[str, list[Round]]
    replies: list[list[Reply]]  # every turn of ours, warm-up included
    bodies: list[list[dict[str, Any]]]


async def bench(url: str, server: int, profile: bool) -> None:
    os.environ[KEY_ENV] = "sk-bench"
    spec = load_bot(REPO)
    settings = ModelSettings(
        name="gpt-4o-mini", base_url=url, api_key_env=KEY_ENV, max_retries=0, timeout=30
    )
    model = OpenAIClient(settings, spec.root / SETTINGS_FILE)
    bot = Bot(spec, model=model, store=MemoryStore())
    bot.cache = None  # it serves opening questions only; these conversations have history
    sdk = openai.AsyncOpenAI(base_url=url, api_key="sk-bench", max_retries=0, timeout=30)
    try:
        plan = Plan.make()
        first = check_routes(bot, plan)
        # One request first: the server loads its token counter on its first answer, and a
        # burst of 200 first requests would each load it (it is cached, but not under a lock).
        await sdk_senders(sdk)["post"](first)
        print_setup()
        results = await run_rounds(bot, sdk, plan, server)
        report(results, spec.settings.budget.max_prompt_tokens)
        if profile:
            await profile_ours(bot, plan)
    finally:
        bot.close()
        await model.aclose()
        await sdk.close()


def check_routes(bot: Bot, plan: Plan) -> dict[str, Any]:
    """Every question must reach the model (with the first conversation's history).

    Returns the first conversation's first body, for the server's first request.
    """
    history = [Exchange(customer, reply) for customer, reply in plan.histories[0]]
    for question in QUESTIONS:
        prepared = bot.prepare(question, history)
        if prepared.fitted is None:
            route = prepared.routing.route if prepared.routing else "blocked"
            raise AssertionError(f"{question!r} routes {route}, not to the model")
    fitted = bot.prepare(plan.questions[0][0], history).fitted
    assert fitted is not None
    return request_for(bot.spec.settings.model, fitted.messages).body()


async def warm_up(bot: Bot, sdk: openai.AsyncOpenAI, plan: Plan) -> Results:
    """A round of ours that records the bodies it sends; then the SDK's first requests."""
    store, model = bot.store, bot.model
    assert isinstance(store, MemoryStore) and isinstance(model, OpenAIClient)
    recorder = Recorder(model)
    bot.model = recorder
    try:
        replies = await run_ours(bot, plan.open(store, "warm-up"), plan)
    finally:
        bot.model = model
    for send in sdk_senders(sdk).values():  # its connections and code paths warm up too
        await run_sdk(send, [conversation[:1] for conversation in recorder.in_order()])
    return Results({"ours": [], "create": [], "post": []}, replies, recorder.in_order())


async def run_rounds(bot: Bot, sdk: openai.AsyncOpenAI, plan: Plan, server: int) -> Results:
    """Alternating rounds: ours, the SDK's create(), its post(); ROUNDS times."""
    results = await warm_up(bot, sdk, plan)
    assert isinstance(bot.store, MemoryStore)
    expected = [[reply.text for reply in conversation] for conversation in results.replies]
    for number in range(ROUNDS):
        ids = plan.open(bot.store, f"round-{number}")
        timed, replies = await measure(run_ours(bot, ids, plan), server)
        if [[reply.text for reply in conversation] for conversation in replies] != expected:
            raise AssertionError("a round's replies differ from the warm-up's: other prompts")
        results.rounds["ours"].append(timed)
        results.replies += replies
        for name, send in sdk_senders(sdk).items():
            timed, _ = await measure(run_sdk(send, results.bodies), server)
            results.rounds[name].append(timed)
    return results


async def profile_ours(bot: Bot, plan: Plan) -> None:
    """One more round of ours under cProfile: where this process's time goes."""
    assert isinstance(bot.store, MemoryStore)
    ids = plan.open(bot.store, "profiled")
    profiler = cProfile.Profile()
    profiler.enable()
    await run_ours(bot, ids, plan)
    profiler.disable()
    print(f"\ncProfile, one round of ours ({CONVERSATIONS * TURNS:,} turns), by own time:")
    stats = pstats.Stats(profiler, stream=sys.stdout).strip_dirs()
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(40)


# --- report -------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def _load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def print_setup() -> None:
    print(
        f"setup: {os.cpu_count()} CPUs, load average {_load()} before the rounds (a shared "
        f"machine); server in its own process, {LATENCY * 1000:.0f} ms added latency; "
        f"{CONVERSATIONS} conversations at once x {TURNS} turns = {CONVERSATIONS * TURNS:,} "
        f"model requests a round (latency alone would allow {CONVERSATIONS / LATENCY:,.0f}/s); "
        f"{ROUNDS} rounds a side, alternating",
        flush=True,
    )


def report(results: Results, budget: int) -> None:
    print_prompts(results, budget)
    print(f"load average after the rounds: {_load()}")
    print(f"\n{'requests/s':>58}   {'CPU ms a request':>21}")
    print(f"{'':36} {'best':>10} {'median':>10}   {'client':>10} {'server':>10}   each round")
    labels = {
        "ours": "servicebot Bot.areply (pipeline)",
        "create": "bare SDK chat.completions.create()",
        "post": "bare SDK post(), body pre-built",
    }
    for name, label in labels.items():
        print_row(label, results.rounds[name])
    ours, sdk = results.rounds["ours"], results.rounds["create"]
    best = max(r.per_second for r in ours) / max(r.per_second for r in sdk)
    median = _median_rate(ours) / _median_rate(sdk)
    print(
        f"\nratio servicebot / bare SDK create(): median {median:.2f}x, best {best:.2f}x "
        f"(target >= {TARGET_RATIO:.1f}x: {verdict(min(median, best) >= TARGET_RATIO)})"
    )
    cpu = {
        name: statistics.median(r.cpu_ms() for r in rounds)
        for name, rounds in results.rounds.items()
    }
    print(
        f"client CPU a request, medians: create() {cpu['create'] - cpu['ours']:.2f} ms more than "
        f"ours; ours {cpu['ours'] - cpu['post']:.2f} ms more than post() alone (that is the "
        "pipeline: filters, routing, prompt, budget, store)"
    )
    print(
        "ceiling on one free client core (1000 / client CPU ms): "
        + ", ".join(f"{name} {1000 / ms:,.0f}/s" for name, ms in cpu.items())
    )
    print(
        f"issue's reference: create() ~{ISSUE_SDK_CPU_MS:.0f} ms client CPU a 32-message request, "
        f"~{ISSUE_SDK_RPS}/s per core; the same body pre-built over {ISSUE_PREBUILT_RPS}/s"
    )


def print_prompts(results: Results, budget: int) -> None:
    bodies = [body for conversation in results.bodies for body in conversation]
    sizes = [len(body["messages"]) for body in bodies]
    sent = [json.dumps(body, ensure_ascii=False).encode() for body in bodies]
    replies = [reply for conversation in results.replies for reply in conversation]
    tokens = [reply.usage.prompt_tokens for reply in replies if reply.usage]
    trimmed = sum(bool(_dropped(reply)) for reply in replies)
    kib = statistics.mean(map(len, sent)) / 1024
    print(
        f"prompt a request: {statistics.mean(sizes):.1f} messages on average (min {min(sizes)}, "
        f"max {max(sizes)}: system + few-shot pairs + {2 * STORED_TURNS} to "
        f"{2 * (STORED_TURNS + TURNS - 1)} history + the new one), "
        f"{statistics.mean(tokens):,.0f} prompt tokens, {kib:.1f} KiB of JSON; "
        f"budget {budget:,} tokens: history trimmed in {trimmed} of {len(replies):,} turns"
    )
    actions = Counter(reply.action for reply in replies)
    print(
        f"actions, all {len(replies):,} turns of ours (warm-up included): "
        + ", ".join(f"{action} {count:,}" for action, count in actions.most_common())
    )


def _dropped(reply: Reply) -> list[str]:
    step = reply.step("prompt")
    return [] if step is None else [d for d in step.detail.get("dropped", ()) if "history" in d]


def _median_rate(rounds: Sequence[Round]) -> float:
    return statistics.median(r.per_second for r in rounds)


def print_row(label: str, rounds: Sequence[Round]) -> None:
    server = [ms for r in rounds if (ms := r.server_ms()) is not None]
    server_ms = f"{statistics.median(server):10.2f}" if server else f"{'n/a':>10}"
    each = ", ".join(f"{r.per_second:.0f}" for r in rounds)
    print(
        f"{label:36} {max(r.per_second for r in rounds):10.1f} {_median_rate(rounds):10.1f}   "
        f"{statistics.median(r.cpu_ms() for r in rounds):10.2f} {server_ms}   {each}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", action="store_true", help="then cProfile a round of ours")
    args = parser.parse_args()
    with serve(LATENCY) as (url, server):
        asyncio.run(bench(url, server, args.profile))


if __name__ == "__main__":
    main()
