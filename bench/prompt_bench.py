"""How long one turn's prompt takes: routing, rendering and budget fitting, against LangChain.

The bot is generated: 1,000 English intents, each with 8 example phrasings, a 40-60 word
answer and one few-shot pair. A turn has a 30-message history (15 exchanges of 20-60 words
a side) and a customer message that paraphrases an intent and routes to the model, so a
prompt is built. Each measured turn has a message not seen before; the history repeats,
as it does turn after turn in one conversation. Two budgets: 8,000 tokens (everything fits)
and 1,200 tokens (history is trimmed).

Ours: ``Router.route`` then ``fitted_prompt``, in the sequence ``Bot.prepare`` runs them,
without the pre-filter; ``Bot.prepare()`` with the pre-filter is printed too. LangChain, the
same turns in the same run: LangChain has no intent router, so its application makes the same
``Router.route`` call, then builds the prompt the way LangChain's documentation does:
ChatPromptTemplate (system facts, a FewShotChatMessagePromptTemplate, a MessagesPlaceholder
for the history, the human message), then ``trim_messages`` with the tiktoken counter from
LangChain's trimming guide (o200k_base, 3 tokens a message plus role and content, 3 for the
reply: our own count), after ``prompt.invoke`` or ``format_messages``, whichever is faster.
Its formatting and trimming alone are printed too, beside our rendering and budgeting alone.
The ratio's verdict is taken against that fastest way. For information, when langchain-openai
is installed, the same turns are also run with the counter the trimming guide shows first,
``token_counter=ChatOpenAI(model=...)`` after ``prompt.invoke``, and that ratio is printed.

Targets (issue): ours under 0.5 ms median and 1.5 ms p99, at least 5 times faster than
LangChain. Last, render + budget alone with a 5-exchange and a 200-exchange history that
each grow by one new exchange per turn, in the 1,200-token budget where about as many
exchanges fit as the short one has: per-message counts are cached and history stops
being counted at its first exchange that does not fit, so the long conversation should
cost no more per turn.

Run: .venv/bin/pip install -r bench/requirements.txt; .venv/bin/python bench/prompt_bench.py
"""

from __future__ import annotations

import math
import os
import random
import shutil
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from servicebot import load_bot
from servicebot.budget import Fitted, budget_limit
from servicebot.budget.tokens import load_encoding
from servicebot.filters.placeholders import Placeholders
from servicebot.pipeline import Bot
from servicebot.preparation import fitted_prompt
from servicebot.prompt import Context, Exchange
from servicebot.routing import Router, Routing

REPO = Path(__file__).resolve().parent.parent
SEED = 20_240_611
WARM_UP, TURNS = 200, 2_000
ROOMY, TIGHT = 8_000, 1_200
TARGET_MEDIAN_MS, TARGET_P99_MS, TARGET_RATIO = 0.5, 1.5, 5.0

ACTIONS = (
    "change", "cancel", "track", "update", "check", "renew", "reset", "transfer", "split",
    "extend", "pause", "confirm", "delete", "add", "remove", "apply", "verify", "download",
    "request", "upgrade", "combine", "reschedule", "report", "activate", "replace",
)  # fmt: skip
OBJECTS = (
    "order", "parcel", "refund", "invoice", "gift card", "subscription", "password", "account",
    "delivery address", "payment card", "coupon", "loyalty points", "warranty", "receipt",
    "return label", "store credit", "wish list", "newsletter", "phone number", "email address",
    "tracking number", "pre-order", "backorder", "bundle", "voucher", "price match",
    "installment plan", "membership", "order history", "shipping method", "pickup slot",
    "exchange", "damaged item", "missing item", "size guide", "product review", "bank transfer",
    "promo code", "gift wrap", "click and collect booking",
)  # fmt: skip
EXAMPLES = (
    "how do i {a} my {o}",
    "can i {a} the {o}",
    "i want to {a} my {o}",
    "{a} {o}",
    "is it possible to {a} a {o} {when}",
    "need help to {a} my {o}",
    "where can i {a} my {o} online",
    "what happens if i {a} my {o}",
    "{o} {a} not working",
    "help me {a} the {o} please",
    "why can't i {a} my {o}",
)
WHEN = ("after ordering", "today", "from the app", "before it ships", "on the website")
QUERIES = (
    "hi there, i'd like to {a} my {o}{tail}",
    "hello, how can I {a} the {o} I have with you{tail}?",
    "quick question: is there a way to {a} my {o}{tail}?",
    "could you tell me how to {a} my {o}{tail}",
    "I'm trying to {a} my {o}{tail} but I can't find where",
    "please help, I need to {a} my {o}{tail}",
    "Good morning! What do I do to {a} my {o}{tail}?",
    "is {a}ing the {o}{tail} something you can do for me",
)
TAILS = ("", " today", " from my phone", " before the weekend", " for my last purchase", " now")
ANSWER_FACTS = (
    "Changes made before 14:00 ET apply the same day.",
    "You will get a confirmation email within a few minutes.",
    "If the option is greyed out, it is already being processed and our team can help by phone.",
    "There is no fee for this.",
    "It can take up to 3 business days to show in your account.",
    "Keep your order number handy if you contact us.",
    "Guests can do the same from the link in their order confirmation email.",
    "Maple Rewards members see the option at the top of the page.",
    "We cannot do this for orders placed through marketplace partners.",
)
CUSTOMER = (
    "Hi, I placed an order on Monday and the tracking page still shows label created.",
    "I paid with my Visa card and the charge already went through.",
    "The box arrived today but one of the two mugs was cracked inside the packaging.",
    "Can you tell me whether the refund goes back to the card or to store credit?",
    "I moved last month, so the old delivery address on my account is wrong.",
    "My sister said you offer free returns within thirty days, is that still true?",
    "I tried the promo code from your newsletter but the checkout said it expired.",
    "Honestly I just want to know when it will arrive because it is a birthday present.",
    "Also, the confirmation email never reached my inbox, not even the spam folder.",
)
AGENT = (
    "Thanks for reaching out, I'm sorry about the trouble with your order.",
    "Orders placed before 14:00 ET ship the same day and standard delivery takes 3-5 days.",
    "Refunds go back to the original payment method within 5 business days of approval.",
    "You can update your delivery address under Account, then Addresses, at any time.",
    "Returns are free within 30 days; print the label from your order page.",
    "If a promo code has expired, our team can sometimes apply a courtesy discount by phone.",
    "Please check the tracking link again tomorrow, carriers often update overnight.",
    "I can't see order details here, so please keep your 6-digit order number ready.",
    "Is there anything else I can help you with today?",
)


@dataclass(frozen=True)
class Query:
    text: str
    intent: str  # the intent it paraphrases


@dataclass(frozen=True)
class Stats:
    median_ms: float
    p99_ms: float

    @classmethod
    def of(cls, nanoseconds: Sequence[int]) -> Stats:
        ordered = sorted(nanoseconds)
        p99 = ordered[math.ceil(0.99 * len(ordered)) - 1]
        return cls(statistics.median(ordered) / 1e6, p99 / 1e6)

    def __str__(self) -> str:
        return f"median {self.median_ms:6.3f} ms   p99 {self.p99_ms:6.3f} ms"


# --- the generated bot --------------------------------------------------------------------


def intent_name(action: str, thing: str) -> str:
    return f"{action}_{thing}".replace(" ", "_").replace("-", "_")


def generate_intents(rng: random.Random) -> list[dict[str, Any]]:
    """One intent per (action, object): 25 x 40 = 1,000."""
    intents = []
    for action in ACTIONS:
        for thing in OBJECTS:
            fill = {"a": action, "o": thing}
            examples = [
                text.format(**fill, when=rng.choice(WHEN)) for text in rng.sample(EXAMPLES, 8)
            ]
            url = f"https://maple.example.com/help/{intent_name(action, thing)}"
            sentences = [f"To {action} your {thing}, sign in and open {url} from your account."]
            facts = rng.sample(ANSWER_FACTS, len(ANSWER_FACTS))
            while len(" ".join(sentences).split()) < rng.randint(40, 52):
                sentences.append(facts.pop())
            intents.append(
                {
                    "name": intent_name(action, thing),
                    "description": f"{action.capitalize()} a customer's {thing}.",
                    "examples": examples,
                    "answer": " ".join(sentences),
                    "few_shot": [
                        {
                            "user": f"hey, could you help me {action} my {thing}?",
                            "assistant": f"Of course! You can {action} your {thing} at {url}. "
                            "Is there anything else I can help with?",
                        }
                    ],
                }
            )
    return intents


def write_bot(folder: Path, intents: list[dict[str, Any]], max_prompt_tokens: int) -> None:
    shutil.copytree(REPO / "templates", folder / "templates")
    settings = {
        "name": "Maple Market support",
        "languages": ["en"],
        "contact": {
            "phone": "+1 800-555-0199",
            "email": "support@maple.example.com",
            "website": "https://maple.example.com",
        },
        "model": {"name": "gpt-4o-mini"},
        "budget": {"max_prompt_tokens": max_prompt_tokens, "reply_reserve": 1000},
        "routing": {"top_k": 3, "min_score": 0.2},  # no intent is direct or handoff
        "store": {"url": "memory://"},
    }
    (folder / "servicebot.yaml").write_text(yaml.safe_dump(settings), encoding="utf-8")
    (folder / "faq").mkdir()
    for part in range(20):
        chunk = {"intents": intents[part * 50 : (part + 1) * 50]}
        text = yaml.safe_dump(chunk, allow_unicode=True, sort_keys=False)
        (folder / "faq" / f"part{part:02}.yaml").write_text(text, encoding="utf-8")


def build_bot(intents: list[dict[str, Any]], max_prompt_tokens: int) -> Bot:
    with tempfile.TemporaryDirectory() as tmp:
        write_bot(Path(tmp), intents, max_prompt_tokens)
        return Bot(load_bot(tmp))


def generate_queries(rng: random.Random, count: int) -> list[Query]:
    """``count`` distinct customer messages, each paraphrasing a random intent."""
    seen: dict[str, Query] = {}
    while len(seen) < count:
        action, thing = rng.choice(ACTIONS), rng.choice(OBJECTS)
        text = rng.choice(QUERIES).format(a=action, o=thing, tail=rng.choice(TAILS))
        text = text.replace("eing ", "ing ")  # "changeing" -> "changing"
        seen.setdefault(text, Query(text, intent_name(action, thing)))
    return list(seen.values())


def _words(rng: random.Random, sentences: Sequence[str], low: int, high: int) -> str:
    target = rng.randint(low, high)
    chosen: list[str] = []
    for sentence in rng.sample(sentences, len(sentences)):
        if len(" ".join(chosen).split()) >= target:
            break
        chosen.append(sentence)
    return " ".join(chosen)


def generate_history(rng: random.Random, exchanges: int) -> list[Exchange]:
    """Exchanges of 20-60 words a side; each one's text is new (an order number in it)."""
    return [
        Exchange(
            f"{_words(rng, CUSTOMER, 20, 52)} Order {100_000 + n}.",
            f"{_words(rng, AGENT, 20, 55)} (ref {200_000 + n})",
        )
        for n in range(exchanges)
    ]


# --- ours ---------------------------------------------------------------------------------


def time_ours(
    bot: Bot, queries: Sequence[Query], history: Sequence[Exchange]
) -> tuple[Stats, Stats, Stats, list[Routing], list[Fitted]]:
    """(whole, routing alone, render + budget alone) and each measured turn's results."""
    clock = time.perf_counter_ns
    whole, routing_ns, fit_ns, routings, fitted = [], [], [], [], []
    previous = history[-1].user
    for n, query in enumerate(queries):
        start = clock()
        routing = bot.router.route(query.text, previous)
        middle = clock()
        context = Context(  # as Bot.prepare builds it; these messages raise no pre-filter flag
            routing.language,
            routing.matches if routing.route != "out_of_scope" else (),
            routing.route == "out_of_scope",
            frozenset(),
            None,
        )
        if routing.route in ("direct", "handoff"):
            raise AssertionError(f"{query.text!r} routed {routing.route}: no prompt to build")
        result = fitted_prompt(bot, context, history, query.text)
        end = clock()
        if n >= WARM_UP:
            whole.append(end - start)
            routing_ns.append(middle - start)
            fit_ns.append(end - middle)
            routings.append(routing)
            fitted.append(result)
    return Stats.of(whole), Stats.of(routing_ns), Stats.of(fit_ns), routings, fitted


def time_prepare(bot: Bot, queries: Sequence[Query], history: Sequence[Exchange]) -> Stats:
    times = []
    for n, query in enumerate(queries):
        placeholders = Placeholders()
        start = time.perf_counter_ns()
        prepared = bot.prepare(query.text, history, placeholders=placeholders)
        end = time.perf_counter_ns()
        assert prepared.fitted is not None, (query.text, prepared.routing)
        if n >= WARM_UP:
            times.append(end - start)
    return Stats.of(times)


def time_fit_growing(
    bot: Bot, queries: Sequence[Query], conversation: Sequence[Exchange], window: int
) -> tuple[Stats, float]:
    """Render + budget with the last ``window`` exchanges of a conversation that gains one
    exchange per turn: each turn brings one new exchange, the rest were counted before.
    Also the mean number of messages sent."""
    contexts = []
    for query in queries:
        routing = bot.router.route(query.text)
        contexts.append(Context(routing.language, routing.matches))
    times, sent = [], []
    for n, (query, context) in enumerate(zip(queries, contexts, strict=True)):
        history = conversation[n : n + window]
        start = time.perf_counter_ns()
        fitted = fitted_prompt(bot, context, history, query.text)
        end = time.perf_counter_ns()
        if n >= WARM_UP:
            times.append(end - start)
            sent.append(len(fitted.messages))
    return Stats.of(times), statistics.mean(sent)


# --- LangChain ----------------------------------------------------------------------------

LANGCHAIN_SYSTEM = """You are the customer-service assistant for {bot_name}. Reply in English, \
friendly and brief
(four sentences at most).

Rules:
- Use only the facts below. If they do not answer the question, say so and offer a person.
- Never invent order details, prices, dates, links, phone numbers or email addresses.
- Contact: {phone}, {email}, {website}.
- Ask for the 6-digit order number when you need it; never ask for card numbers or passwords.
- Placeholders such as [PHONE_1] stand for details the customer gave; keep them as they are.

Facts for this question, most relevant first:
{facts}"""


class LangChain:
    """The same job done with langchain-core, built once as an application would."""

    def __init__(self, bot: Bot) -> None:
        import langchain_core
        from langchain_core.example_selectors import BaseExampleSelector
        from langchain_core.messages import (
            AIMessage,
            BaseMessage,
            HumanMessage,
            SystemMessage,
            trim_messages,
        )
        from langchain_core.prompts import (
            ChatPromptTemplate,
            FewShotChatMessagePromptTemplate,
            MessagesPlaceholder,
        )

        self.version = langchain_core.__version__
        by_intent = {
            intent.name: [{"question": p.user, "answer": p.assistant} for p in intent.few_shot]
            for intent in bot.spec.intents
        }

        class RoutedExamples(BaseExampleSelector):
            """The few-shot pairs of the intents routing chose (passed in as ``intents``)."""

            def add_example(self, example: dict[str, str]) -> None:
                raise NotImplementedError

            def select_examples(self, input_variables: dict[str, Any]) -> list[dict[str, Any]]:
                return [pair for name in input_variables["intents"] for pair in by_intent[name]]

        few_shot = FewShotChatMessagePromptTemplate(
            example_selector=RoutedExamples(),
            example_prompt=ChatPromptTemplate.from_messages(
                [("human", "{question}"), ("ai", "{answer}")]
            ),
            input_variables=["intents"],
        )
        contact = bot.spec.settings.contact
        self.prompt = ChatPromptTemplate.from_messages(
            [
                ("system", LANGCHAIN_SYSTEM),
                few_shot,
                MessagesPlaceholder("history"),
                ("human", "{input}"),
            ]
        ).partial(
            bot_name=bot.spec.settings.name,
            phone=contact.phone or "",
            email=contact.email or "",
            website=contact.website or "",
        )
        encoding = load_encoding("o200k_base")  # tiktoken.get_encoding would download it
        roles = {HumanMessage: "user", AIMessage: "assistant", SystemMessage: "system"}

        def tiktoken_counter(messages: list[BaseMessage]) -> int:
            """LangChain's trim_messages guide, with o200k_base: the OpenAI cookbook count."""
            tokens = 3  # every reply is primed with <|start|>assistant<|message|>
            for message in messages:
                role = roles[type(message)]
                tokens += (
                    3 + len(encoding.encode(role)) + len(encoding.encode(str(message.content)))
                )
            return tokens

        self.count = tiktoken_counter
        self.model_counter = _chat_openai(bot.spec.settings.model.name, encoding)
        self.trim = trim_messages
        self.limit = budget_limit(bot.spec.settings.budget)
        self.history_messages: Callable[[Sequence[Exchange]], list[BaseMessage]] = lambda history: [
            m for x in history for m in (HumanMessage(x.user), AIMessage(x.assistant))
        ]

    def turn(
        self, routing: Routing, text: str, history: list[Any], *, invoke: bool, counter: Any
    ) -> list[Any]:
        """Format and trim one turn's messages, given routing's result."""
        values = {
            "facts": "\n\n".join(
                f"## {m.intent.name}\n{m.intent.answer_in(routing.language)}"
                for m in routing.matches
            ),
            "intents": [m.intent.name for m in routing.matches],
            "history": history,
            "input": text,
        }
        if invoke:
            messages = self.prompt.invoke(values).to_messages()
        else:
            messages = self.prompt.format_messages(**values)
        return self.trim(
            messages,
            max_tokens=self.limit,
            strategy="last",
            token_counter=counter,
            include_system=True,
            start_on="human",
        )

    def time(
        self,
        router: Router,
        queries: Sequence[Query],
        history: Sequence[Exchange],
        *,
        invoke: bool,
        counter: Any = None,
    ) -> tuple[Stats, Stats, list[list[Any]]]:
        """The turns ``time_ours`` measured, as a LangChain application runs them: the same
        ``Router.route`` call (LangChain has no intent router), then format and trim.
        (whole, format + trim alone, each measured turn's messages). ``counter`` is
        trim_messages' token counter: by default the trimming guide's tiktoken function."""
        counter = counter or self.count
        messages = self.history_messages(history)  # an application keeps history as messages
        previous = history[-1].user
        clock = time.perf_counter_ns
        whole, alone, results = [], [], []
        for n, query in enumerate(queries):
            start = clock()
            routing = router.route(query.text, previous)
            middle = clock()
            trimmed = self.turn(routing, query.text, messages, invoke=invoke, counter=counter)
            end = clock()
            if n >= WARM_UP:
                whole.append(end - start)
                alone.append(end - middle)
                results.append(trimmed)
        return Stats.of(whole), Stats.of(alone), results


def _chat_openai(model: str, encoding: Any) -> Any:
    """LangChain's chat model for ``model`` as trim_messages' counter, or None without
    langchain-openai. It counts with ``tiktoken.get_encoding``, which would download the
    encoding: ours (verified from the package) is registered under its name first."""
    try:
        from langchain_openai import ChatOpenAI
    except ImportError:
        return None
    import tiktoken.registry

    tiktoken.registry.ENCODINGS.setdefault(encoding.name, encoding)
    return ChatOpenAI(model=model, api_key="never-sent")  # counting makes no request


def load_langchain(bot: Bot) -> LangChain | None:
    try:
        return LangChain(bot)
    except ImportError:
        return None


# --- report -------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def run_budget(
    label: str,
    bot: Bot,
    queries: Sequence[Query],
    fresh: Sequence[Query],
    history: Sequence[Exchange],
) -> None:
    ours, routing, fit, routings, fitted = time_ours(bot, queries, history)
    routes = Counter(r.route for r in routings)
    hits = sum(
        r.best is not None and r.best.intent.name == q.intent
        for r, q in zip(routings, queries[WARM_UP:], strict=True)
    )
    prepare = time_prepare(bot, fresh, history)
    print(f"\nbudget {label}: {len(routings):,} measured turns after {WARM_UP} warm-up")
    print(
        f"  routes: {', '.join(f'{r} {n:,}' for r, n in routes.most_common())} "
        f"(every one builds a prompt); top-1 is the paraphrased intent in "
        f"{hits / len(routings):.1%}"
    )
    ok = ours.median_ms < TARGET_MEDIAN_MS, ours.p99_ms < TARGET_P99_MS
    print(
        f"  ours, routing + render + budget       {ours}   "
        f"(targets < {TARGET_MEDIAN_MS} ms {verdict(ok[0])}, < {TARGET_P99_MS} ms {verdict(ok[1])})"
    )
    print(f"    of which routing                    {routing}")
    print(f"    of which render + budget            {fit}")
    print(f"  ours, Bot.prepare() with pre-filter   {prepare}")
    messages = statistics.mean(len(f.messages) for f in fitted)
    tokens = statistics.mean(f.used for f in fitted)
    dropped = statistics.mean(sum(p.kind == "history" for p in f.dropped) for f in fitted)
    sent = f"  prompt sent, ours:      {messages:5.1f} messages, {tokens:7,.1f} tokens"
    print(f"{sent} (mean; {dropped:.1f} of {len(history)} history exchanges dropped)")

    langchain = load_langchain(bot)
    if langchain is None:
        print(
            "  LangChain comparison skipped: langchain-core is not installed "
            "(.venv/bin/pip install -r bench/requirements.txt)"
        )
        return
    print(
        f"  LangChain: langchain-core {langchain.version}, the same {len(routings):,} turns; its "
        "routing is the same Router.route call as ours (LangChain has no intent router)"
    )
    invoked, _, trimmed = langchain.time(bot.router, queries, history, invoke=True)
    formatted, alone, _ = langchain.time(bot.router, queries, history, invoke=False)
    print(f"  LangChain, routing + prompt.invoke + trim       {invoked}")
    print(f"  LangChain, routing + format_messages + trim     {formatted}")
    print(
        f"    of which format_messages + trim             {alone}   "
        "(the issue measured ~2.6 ms for LangChain's formatting + trimming)"
    )
    messages = statistics.mean(len(t) for t in trimmed)
    tokens = statistics.mean(langchain.count(t) for t in trimmed)
    print(f"  prompt sent, LangChain: {messages:5.1f} messages, {tokens:7,.1f} tokens (mean)")
    ratio = min(invoked.median_ms, formatted.median_ms) / ours.median_ms
    print(
        f"  ratio, LangChain's faster median / ours: {ratio:.1f}x "
        f"(target >= {TARGET_RATIO:.0f}x {verdict(ratio >= TARGET_RATIO)})"
    )
    free, stage = alone.median_ms / ours.median_ms, alone.median_ms / fit.median_ms
    print(
        f"    LangChain's formatting + trimming alone / ours: {free:.1f}x (its routing free); "
        f"/ our render + budget alone: {stage:.1f}x"
    )
    if langchain.model_counter is not None:
        guide, guide_alone, guide_trimmed = langchain.time(
            bot.router, queries, history, invoke=True, counter=langchain.model_counter
        )
        same = sum(map(_same_messages, guide_trimmed, trimmed))
        print(f"  LangChain, routing + prompt.invoke + trim, ChatOpenAI counter {guide}")
        print(f"    of which prompt.invoke + trim             {guide_alone}")
        print(
            f"    ratio to ours {guide.median_ms / ours.median_ms:.1f}x, for information (the "
            f"trimming guide's first counter; the same messages kept in {same:,} of "
            f"{len(trimmed):,} turns)"
        )


def _same_messages(first: list[Any], second: list[Any]) -> bool:
    return [m.content for m in first] == [m.content for m in second]


def main() -> None:
    rng = random.Random(SEED)
    intents = generate_intents(rng)
    history = generate_history(rng, 15)
    pool = generate_queries(rng, 6 * (WARM_UP + TURNS))
    batches = [pool[i * (WARM_UP + TURNS) : (i + 1) * (WARM_UP + TURNS)] for i in range(6)]
    roomy, tight = build_bot(intents, ROOMY), build_bot(intents, TIGHT)
    history_tokens = roomy.counter.count_messages(
        (m.role, m.content) for x in history for m in x.messages()
    )
    print(
        f"generated bot: {len(roomy.spec.intents):,} intents, "
        f"{sum(len(i.examples) for i in roomy.spec.intents):,} examples, 1 few-shot pair each; "
        f"model gpt-4o-mini ({roomy.counter.name}); history {2 * len(history)} messages "
        f"({history_tokens:,} tokens); {len(pool):,} distinct customer messages, none reused"
    )
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average {load} on {os.cpu_count()} CPUs: other work on the machine shows in p99")
    run_budget(f"{ROOMY:,} tokens (everything fits)", roomy, batches[0], batches[1], history)
    run_budget(f"{TIGHT:,} tokens (history trimmed)", tight, batches[2], batches[3], history)

    conversation = generate_history(random.Random(SEED + 1), WARM_UP + TURNS + 200)
    print(
        f"\nhistory length, render + budget only (budget {TIGHT:,}, about 6 exchanges fit): the "
        "last N exchanges of a conversation that gains one new exchange per turn"
    )
    short, short_sent = time_fit_growing(tight, batches[4], conversation, 5)
    long, long_sent = time_fit_growing(tight, batches[5], conversation, 200)
    print(f"  N = 5     {short}   ({short_sent:.1f} messages sent)")
    print(
        f"  N = 200   {long}   ({long_sent:.1f} messages sent; "
        f"{long.median_ms / short.median_ms:.2f}x the N = 5 median)"
    )


if __name__ == "__main__":
    main()
