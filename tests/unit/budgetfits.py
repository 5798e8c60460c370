"""What the budget-fitting tests (test_budget.py, test_budget_drops.py) share: a few FAQ
facts, few-shot pairs, history and a message, and ``fit``, which fits them to a limit, with
what each piece costs (``pairs_cost``, ``faq_cost``, ``mandatory_cost``) and what was kept
(``kept_labels``)."""

from servicebot.budget import Fitted, fit_prompt
from servicebot.budget.tokens import REPLY_PRIMING, TokenCounter, counter_for
from servicebot.prompt import Exchange
from servicebot.settings import BudgetSettings

FACTS = (
    "Standard shipping takes 3-5 business days and costs $5.99.",
    "Express shipping takes 1-2 business days and costs $14.99.",
    "Returns are free within 30 days of delivery.",
)
FAQ = ("shipping", "express", "returns")  # most relevant first
FEW_SHOT = (
    ("shipping", Exchange("how long does shipping take to Ohio?", "Standard: 3-5 business days.")),
    ("returns", Exchange("can I send the blue mug back?", "Yes, free within 30 days of delivery.")),
)
HISTORY = tuple(Exchange(f"question {n}", f"answer {n}") for n in range(1, 5))
MESSAGE = "where is my parcel?"


def system_of(n: int) -> str:
    """A system message with the first ``n`` facts, as Renderer.system(context, n) gives."""
    return "You are Maple's assistant. Be brief." + "".join(
        f"\n## {FAQ[i]}\n{FACTS[i]}" for i in range(n)
    )


def gpt_4o_counter() -> TokenCounter:
    return counter_for("gpt-4o", None)


def fit(
    limit: int,
    *,
    drop_order: tuple[str, ...] = ("few_shot", "history", "faq"),
    faq: tuple[str, ...] = FAQ,
    few_shot: tuple[tuple[str, Exchange], ...] = FEW_SHOT,
    history: tuple[Exchange, ...] = HISTORY,
    message: str = MESSAGE,
    itemise: bool = True,
) -> Fitted:
    settings = BudgetSettings(max_prompt_tokens=limit, drop_order=drop_order)  # type: ignore[arg-type]
    return fit_prompt(
        gpt_4o_counter(), settings, system_of, faq, few_shot, history, message, itemise=itemise
    )


def pairs_cost(*pairs: Exchange) -> int:
    counter = gpt_4o_counter()
    return sum(
        counter.count_message("user", p.user) + counter.count_message("assistant", p.assistant)
        for p in pairs
    )


def faq_cost(n: int) -> int:
    """What the first ``n`` facts add to the system message."""
    counter = gpt_4o_counter()
    return counter.count_message("system", system_of(n)) - counter.count_message(
        "system", system_of(0)
    )


def mandatory_cost(message: str = MESSAGE) -> int:
    """The system message without facts, the customer's message, and the reply priming."""
    counter = gpt_4o_counter()
    system = counter.count_message("system", system_of(0))
    return system + counter.count_message("user", message) + REPLY_PRIMING


def kept_labels(fitted: Fitted, kind: str) -> list[str]:
    return [part.label for part in fitted.parts if part.kind == kind and part.kept]
