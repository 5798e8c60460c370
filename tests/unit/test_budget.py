"""Budget fitting: what goes in, the account of every part, a message too long for the
budget, and any fit staying in budget. What gives way first is in test_budget_drops.py."""

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from servicebot.budget import Fitted, budget_limit, fit_prompt
from servicebot.budget.tokens import REPLY_PRIMING
from servicebot.errors import BudgetError
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
    ("window", "reserve", "cap", "expected"),
    [
        (128_000, 1_000, 8_000, 8_000),  # the cap is lower
        (8_192, 1_000, 8_000, 7_192),  # the window less the reply's share is lower
        (8_192, 192, 8_000, 8_000),  # equal
        (16_385, 0, 100_000, 16_385),
    ],
)
def test_budget_is_the_window_less_the_reply_reserve_capped(
    window: int, reserve: int, cap: int, expected: int
) -> None:
    settings = BudgetSettings(context_window=window, reply_reserve=reserve, max_prompt_tokens=cap)
    assert budget_limit(settings) == expected


def test_fit_prompt_uses_the_smaller_limit() -> None:
    settings = BudgetSettings(context_window=300, reply_reserve=200, max_prompt_tokens=8_000)
    fitted = fit_prompt(gpt_4o_counter(), settings, system_of, FAQ, FEW_SHOT, HISTORY, MESSAGE)
    assert fitted.budget == 100
    assert fitted.used <= 100


def test_everything_goes_in_when_it_fits_in_prompt_order() -> None:
    fitted = fit(100_000)
    assert fitted.messages == (
        Message("system", system_of(3)),
        *FEW_SHOT[0][1].messages(),
        *FEW_SHOT[1][1].messages(),
        *(m for pair in HISTORY for m in pair.messages()),
        Message("user", MESSAGE),
    )
    assert [(p.kind, p.label, p.kept) for p in fitted.parts] == [
        ("system", "system", True),
        ("faq", "shipping", True),
        ("faq", "express", True),
        ("faq", "returns", True),
        ("few_shot", "shipping", True),
        ("few_shot", "returns", True),
        ("history", "turn 1", True),
        ("history", "turn 2", True),
        ("history", "turn 3", True),
        ("history", "turn 4", True),
        ("message", "message", True),
    ]
    assert fitted.dropped == ()
    assert not fitted.truncated


def test_used_counts_every_message_sent_and_the_parts_add_up_to_it() -> None:
    counter = gpt_4o_counter()
    for limit in (100_000, mandatory_cost() + faq_cost(2) + 3, mandatory_cost()):
        fitted = fit(limit)
        assert fitted.used == counter.count_messages((m.role, m.content) for m in fitted.messages)
        assert fitted.used <= fitted.budget == limit
        assert fitted.left == limit - fitted.used
        assert sum(p.tokens or 0 for p in fitted.parts if p.kept) + REPLY_PRIMING == fitted.used
        assert all(p.tokens for p in fitted.parts if p.kept)


def test_part_tokens_are_what_each_piece_costs() -> None:
    counter = gpt_4o_counter()
    tokens = {(p.kind, p.label): p.tokens for p in fit(100_000).parts}
    assert tokens[("system", "system")] == counter.count_message("system", system_of(0))
    assert tokens[("faq", "shipping")] == faq_cost(1)
    assert tokens[("faq", "express")] == faq_cost(2) - faq_cost(1)
    assert tokens[("few_shot", "returns")] == pairs_cost(FEW_SHOT[1][1])
    assert tokens[("history", "turn 4")] == pairs_cost(HISTORY[3])
    assert tokens[("message", "message")] == counter.count_message("user", MESSAGE)


def test_a_system_message_over_the_budget_raises_budget_error() -> None:
    counter = gpt_4o_counter()
    smallest = counter.count_message("system", system_of(0)) + REPLY_PRIMING
    smallest += counter.count_message("user", "")
    with pytest.raises(BudgetError, match="system message alone") as raised:
        fit(smallest - 1)
    assert f"takes {smallest} tokens, over the prompt budget of {smallest - 1}" in str(raised.value)
    fitted = fit(smallest)  # just room for the system message and an empty one
    assert fitted.messages == (Message("system", system_of(0)), Message("user", ""))
    assert fitted.truncated
    assert fitted.used == smallest


LONG_MESSAGE = "My order 100482 never arrived and I am still waiting for it. " * 200


def test_an_oversize_message_is_cut_to_leave_room_for_the_faq_facts() -> None:
    fitted = fit(300, message=LONG_MESSAGE)
    last = fitted.messages[-1]
    assert fitted.truncated
    assert last.role == "user"
    assert 0 < len(last.content) < len(LONG_MESSAGE)
    assert LONG_MESSAGE.startswith(last.content)
    assert fitted.messages[0] == Message("system", system_of(3))  # every fact kept
    assert fitted.used <= 300
    assert fitted.left < pairs_cost(FEW_SHOT[1][1])  # the message took the rest
    assert [(p.kind, p.label) for p in fitted.dropped] == [
        ("few_shot", "shipping"),
        ("few_shot", "returns"),
        ("history", "turns 1-3"),  # not costed: the budget was full before them
        ("history", "turn 4"),
    ]


def test_an_oversize_message_is_not_cut_for_facts_that_give_way_first() -> None:
    fitted = fit(300, message=LONG_MESSAGE, drop_order=("faq", "history", "few_shot"))
    assert fitted.messages[0] == Message("system", system_of(0))
    assert {part.kind for part in fitted.dropped} == {"faq", "few_shot", "history"}
    assert fitted.left < 10  # the message took all the room there was


def test_an_oversize_message_keeps_half_the_room_when_the_facts_need_more() -> None:
    base = gpt_4o_counter().count_message("system", system_of(0)) + REPLY_PRIMING
    room = 2 * faq_cost(3) - 2  # the facts would leave the message less than half of it
    assert faq_cost(2) <= room // 2
    fitted = fit(base + room, message=LONG_MESSAGE)
    assert fitted.truncated
    # the two most relevant facts fit in half the room: a long paste no longer drops them all
    assert fitted.messages[0] == Message("system", system_of(2))
    assert gpt_4o_counter().count_message("user", fitted.messages[-1].content) >= room // 2
    assert fitted.left < 10


def test_an_oversize_message_keeps_half_the_room_when_even_one_fact_needs_more() -> None:
    base = gpt_4o_counter().count_message("system", system_of(0)) + REPLY_PRIMING
    room = 2 * faq_cost(1) - 2
    fitted = fit(base + room, message=LONG_MESSAGE)
    assert fitted.truncated
    assert fitted.messages[0] == Message("system", system_of(0))  # it took all the room
    assert fitted.left < 10


def test_a_message_that_fits_is_never_cut() -> None:
    fitted = fit(mandatory_cost())
    assert not fitted.truncated
    assert fitted.messages == (Message("system", system_of(0)), Message("user", MESSAGE))


def _turns_listed(fitted: Fitted) -> list[int]:
    """The turn numbers the history parts cover, in order ('turns 1-3' covers 1, 2, 3)."""
    numbers: list[int] = []
    for part in fitted.parts:
        if part.kind == "history":
            first, _, last = part.label.split(" ")[1].partition("-")
            numbers += range(int(first), int(last or first) + 1)
    return numbers


_WORDS = st.lists(
    st.sampled_from(["order", "参数", "refund", " ", "😀", "100482", "\n"]), max_size=12
)


@hypothesis_settings(deadline=None)
@given(
    limit=st.integers(min_value=1, max_value=400),
    faq_count=st.integers(min_value=0, max_value=3),
    few_shot_sizes=st.lists(st.tuples(_WORDS, _WORDS), max_size=3),
    history_sizes=st.lists(st.tuples(_WORDS, _WORDS), max_size=6),
    message=_WORDS.map("".join),
    drop_order=st.permutations(["few_shot", "history", "faq"]),
)
def test_any_fit_stays_in_budget_and_keeps_pairs_whole(
    limit: int,
    faq_count: int,
    few_shot_sizes: list[tuple[list[str], list[str]]],
    history_sizes: list[tuple[list[str], list[str]]],
    message: str,
    drop_order: list[str],
) -> None:
    few_shot = tuple(
        (f"intent{i}", Exchange(f"f{i} " + "".join(u), f"g{i} " + "".join(a)))
        for i, (u, a) in enumerate(few_shot_sizes)
    )
    history = tuple(
        Exchange(f"h{i} " + "".join(u), f"r{i} " + "".join(a))
        for i, (u, a) in enumerate(history_sizes)
    )
    counter = gpt_4o_counter()
    smallest = counter.count_message("system", system_of(0)) + REPLY_PRIMING
    smallest += counter.count_message("user", "")
    arguments = {"faq": FAQ[:faq_count], "few_shot": few_shot, "history": history}
    if limit < smallest:
        with pytest.raises(BudgetError):
            fit(limit, drop_order=tuple(drop_order), message=message, **arguments)  # type: ignore[arg-type]
        return
    fitted = fit(limit, drop_order=tuple(drop_order), message=message, **arguments)  # type: ignore[arg-type]

    assert fitted.used == counter.count_messages((m.role, m.content) for m in fitted.messages)
    assert fitted.used <= limit
    assert sum(p.tokens or 0 for p in fitted.parts if p.kept) + REPLY_PRIMING == fitted.used
    # system first with the most relevant facts; the customer's message, or a prefix, last
    kept_faq = kept_labels(fitted, "faq")
    assert kept_faq == list(FAQ[: len(kept_faq)])
    assert fitted.messages[0] == Message("system", system_of(len(kept_faq)))
    last = fitted.messages[-1]
    assert last.role == "user" and message.startswith(last.content)
    assert fitted.truncated == (last.content != message)
    # in between: whole user/assistant pairs, few-shot (a prefix) then history (a suffix)
    middle = fitted.messages[1:-1]
    assert len(middle) % 2 == 0
    twos = list(zip(middle[::2], middle[1::2], strict=True))
    assert all(u.role == "user" and a.role == "assistant" for u, a in twos)
    pairs = [Exchange(u.content, a.content) for u, a in twos]
    shown_few = [pair for pair in pairs if pair.user.startswith("f")]
    shown_history = pairs[len(shown_few) :]
    assert shown_few == [pair for _, pair in few_shot[: len(shown_few)]]
    assert shown_history == list(history[len(history) - len(shown_history) :])
    assert len(kept_labels(fitted, "few_shot")) == len(shown_few)
    assert len(kept_labels(fitted, "history")) == len(shown_history)
    assert _turns_listed(fitted) == list(range(1, len(history) + 1))
