"""What gives way when the prompt does not fit: the drop order (the default, another, a
partial one, a kind listed twice), FAQ facts least relevant first, history newest kept and
never split or counted past the first exchange that does not fit, and the facts as one
part unless itemised."""

import pytest
from pydantic import ValidationError

from servicebot.budget import fit_prompt
from servicebot.budget.tokens import REPLY_PRIMING, TokenCounter
from servicebot.prompt import Exchange, Message
from servicebot.settings import BudgetSettings
from tests.unit.budgetfits import (
    FAQ,
    FEW_SHOT,
    HISTORY,
    MESSAGE,
    faq_cost,
    fit,
    gpt_4o_counter,
    kept_labels,
    mandatory_cost,
    pairs_cost,
    system_of,
)


@pytest.mark.parametrize(
    ("drop_order", "dropped"),
    [
        (("few_shot", "history", "faq"), "few_shot"),
        (("history", "few_shot", "faq"), "history"),
        (("faq", "few_shot", "history"), "faq"),
        (("faq", "history", "few_shot"), "faq"),
    ],
)
def test_the_first_kind_in_the_drop_order_gives_way_first(
    drop_order: tuple[str, ...], dropped: str
) -> None:
    one = {"faq": FAQ[:1], "few_shot": FEW_SHOT[:1], "history": HISTORY[-1:]}
    full = fit(100_000, drop_order=drop_order, **one).used  # type: ignore[arg-type]
    fitted = fit(full - 1, drop_order=drop_order, **one)  # type: ignore[arg-type]
    assert [p.kind for p in fitted.dropped] == [dropped]
    assert fitted.used <= full - 1


def test_default_drop_order_drops_few_shot_then_history_then_faq() -> None:
    few_shot = tuple(  # each pair costs more than any history exchange
        (name, Exchange(pair.user + " Please tell me.", pair.assistant + " Thanks!"))
        for name, pair in FEW_SHOT
    )
    assert min(pairs_cost(p) for _, p in few_shot) > max(pairs_cost(p) for p in HISTORY)
    everything = faq_cost(3) + pairs_cost(*HISTORY)
    fitted = fit(mandatory_cost() + everything, few_shot=few_shot)
    assert (kept_labels(fitted, "faq"), kept_labels(fitted, "few_shot")) == (list(FAQ), [])
    assert kept_labels(fitted, "history") == ["turn 1", "turn 2", "turn 3", "turn 4"]

    fitted = fit(mandatory_cost() + faq_cost(3) + pairs_cost(*HISTORY[2:]) + 1, few_shot=few_shot)
    assert (kept_labels(fitted, "faq"), kept_labels(fitted, "few_shot")) == (list(FAQ), [])
    assert kept_labels(fitted, "history") == ["turn 3", "turn 4"]

    fitted = fit(mandatory_cost() + faq_cost(2) + 1, few_shot=few_shot)
    assert (kept_labels(fitted, "faq"), kept_labels(fitted, "few_shot")) == (
        ["shipping", "express"],
        [],
    )
    assert kept_labels(fitted, "history") == []
    assert fitted.messages[0] == Message("system", system_of(2))


def test_another_drop_order_keeps_history_and_drops_faq() -> None:
    limit = mandatory_cost() + pairs_cost(*HISTORY) + pairs_cost(*(p for _, p in FEW_SHOT)) + 1
    fitted = fit(limit, drop_order=("faq", "history", "few_shot"))
    assert kept_labels(fitted, "faq") == []
    assert kept_labels(fitted, "few_shot") == ["shipping", "returns"]
    assert kept_labels(fitted, "history") == ["turn 1", "turn 2", "turn 3", "turn 4"]
    assert fitted.messages[0] == Message("system", system_of(0))


def test_faq_entries_go_by_relevance_the_least_relevant_first() -> None:
    for n in range(4):
        fitted = fit(mandatory_cost() + faq_cost(n), few_shot=(), history=())
        assert kept_labels(fitted, "faq") == list(FAQ[:n])
        assert fitted.messages[0] == Message("system", system_of(n))


def test_history_is_kept_newest_first_and_never_split() -> None:
    limit = mandatory_cost() + pairs_cost(*HISTORY[1:]) + pairs_cost(HISTORY[0]) // 2
    fitted = fit(limit, faq=(), few_shot=())
    assert fitted.messages == (
        Message("system", system_of(0)),
        *(m for pair in HISTORY[1:] for m in pair.messages()),
        Message("user", MESSAGE),
    )
    assert [(p.label, p.kept) for p in fitted.parts if p.kind == "history"] == [
        ("turn 1", False),
        ("turn 2", True),
        ("turn 3", True),
        ("turn 4", True),
    ]


def test_faq_entries_that_all_fit_are_one_part_unless_itemised() -> None:
    itemised, whole = fit(100_000), fit(100_000, itemise=False)
    assert whole.messages == itemised.messages
    assert whole.used == itemised.used
    faq = [(p.label, p.tokens, p.kept) for p in whole.parts if p.kind == "faq"]
    assert faq == [("shipping + express + returns", faq_cost(3), True)]
    # when they do not all fit, each is costed to find where to stop
    tight = fit(mandatory_cost() + faq_cost(2), few_shot=(), history=(), itemise=False)
    assert [(p.label, p.kept) for p in tight.parts if p.kind == "faq"] == [
        ("shipping", True),
        ("express", True),
        ("returns", False),
    ]


class _CountingCounter(TokenCounter):
    """Records each text it is asked to count."""

    def __init__(self, counter: TokenCounter) -> None:
        super().__init__(counter.encoding)
        self.asked: set[str] = set()

    def count_message(self, role: str, content: str) -> int:
        self.asked.add(content)
        return super().count_message(role, content)


def test_history_past_the_first_misfit_is_never_counted() -> None:
    history = tuple(Exchange(f"question {n}", f"answer {n}") for n in range(1, 201))
    counter = _CountingCounter(gpt_4o_counter())
    settings = BudgetSettings(max_prompt_tokens=mandatory_cost() + pairs_cost(*history[-3:]))
    fitted = fit_prompt(counter, settings, system_of, (), (), history, MESSAGE)
    assert fitted.messages[1:-1] == tuple(m for x in history[-3:] for m in x.messages())
    parts = [(p.label, p.tokens, p.kept) for p in fitted.parts if p.kind == "history"]
    assert parts[:2] == [
        ("turns 1-196", None, False),
        ("turn 197", pairs_cost(history[196]), False),
    ]
    assert [label for label, _, kept in parts if kept] == ["turn 198", "turn 199", "turn 200"]
    assert "question 196" not in counter.asked and "answer 1" not in counter.asked


def test_history_stops_at_the_first_exchange_that_does_not_fit() -> None:
    history = (Exchange("a", "b"), Exchange("tell me " * 50, "sure " * 50), Exchange("c", "d"))
    limit = (
        mandatory_cost() + pairs_cost(history[2]) + pairs_cost(history[0])
    )  # the long middle one: no
    fitted = fit(limit, faq=(), few_shot=(), history=history)
    assert fitted.messages[1:-1] == history[2].messages()  # not the older, smaller one


def test_a_kind_listed_twice_in_the_drop_order_is_fitted_once() -> None:
    try:
        settings = BudgetSettings(max_prompt_tokens=100_000, drop_order=("faq", "faq"))
    except ValidationError:
        return  # rejecting the setting is a fix too
    fitted = fit_prompt(gpt_4o_counter(), settings, system_of, FAQ, FEW_SHOT, HISTORY, MESSAGE)
    assert [p.label for p in fitted.parts if p.kind == "faq"] == list(FAQ)
    assert sum(p.tokens for p in fitted.parts if p.kept) + REPLY_PRIMING == fitted.used


def test_a_partial_drop_order_still_drops_its_first_kind_first() -> None:
    try:
        BudgetSettings(drop_order=("history",))
    except ValidationError:
        return  # requiring all three kinds is a fix too
    one = {"faq": FAQ[:1], "few_shot": FEW_SHOT[:1], "history": HISTORY[-1:]}
    full = fit(100_000, drop_order=("history",), **one).used  # type: ignore[arg-type]
    fitted = fit(full - 1, drop_order=("history",), **one)  # type: ignore[arg-type]
    assert [p.kind for p in fitted.dropped] == ["history"]
