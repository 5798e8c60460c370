"""Budget fitting: what goes in, what gives way first, and the account of every part."""

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from pydantic import ValidationError

from servicebot.budget import Fitted, budget_limit, fit_prompt
from servicebot.budget.tokens import REPLY_PRIMING, TokenCounter, counter_for
from servicebot.errors import BudgetError
from servicebot.prompt import Exchange, Message
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


def _system(n: int) -> str:
    """A system message with the first ``n`` facts, as Renderer.system(context, n) gives."""
    return "You are Maple's assistant. Be brief." + "".join(
        f"\n## {FAQ[i]}\n{FACTS[i]}" for i in range(n)
    )


def _fitter() -> TokenCounter:
    return counter_for("gpt-4o", None)


def _fit(
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
        _fitter(), settings, _system, faq, few_shot, history, message, itemise=itemise
    )


def _cost(*pairs: Exchange) -> int:
    counter = _fitter()
    return sum(
        counter.count_message("user", p.user) + counter.count_message("assistant", p.assistant)
        for p in pairs
    )


def _faq_cost(n: int) -> int:
    """What the first ``n`` facts add to the system message."""
    counter = _fitter()
    return counter.count_message("system", _system(n)) - counter.count_message("system", _system(0))


def _mandatory(message: str = MESSAGE) -> int:
    """The system message without facts, the customer's message, and the reply priming."""
    counter = _fitter()
    system = counter.count_message("system", _system(0))
    return system + counter.count_message("user", message) + REPLY_PRIMING


def _kept(fitted: Fitted, kind: str) -> list[str]:
    return [part.label for part in fitted.parts if part.kind == kind and part.kept]


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
    fitted = fit_prompt(_fitter(), settings, _system, FAQ, FEW_SHOT, HISTORY, MESSAGE)
    assert fitted.budget == 100
    assert fitted.used <= 100


def test_everything_goes_in_when_it_fits_in_prompt_order() -> None:
    fitted = _fit(100_000)
    assert fitted.messages == (
        Message("system", _system(3)),
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
    counter = _fitter()
    for limit in (100_000, _mandatory() + _faq_cost(2) + 3, _mandatory()):
        fitted = _fit(limit)
        assert fitted.used == counter.count_messages((m.role, m.content) for m in fitted.messages)
        assert fitted.used <= fitted.budget == limit
        assert fitted.left == limit - fitted.used
        assert sum(p.tokens or 0 for p in fitted.parts if p.kept) + REPLY_PRIMING == fitted.used
        assert all(p.tokens for p in fitted.parts if p.kept)


def test_part_tokens_are_what_each_piece_costs() -> None:
    counter = _fitter()
    tokens = {(p.kind, p.label): p.tokens for p in _fit(100_000).parts}
    assert tokens[("system", "system")] == counter.count_message("system", _system(0))
    assert tokens[("faq", "shipping")] == _faq_cost(1)
    assert tokens[("faq", "express")] == _faq_cost(2) - _faq_cost(1)
    assert tokens[("few_shot", "returns")] == _cost(FEW_SHOT[1][1])
    assert tokens[("history", "turn 4")] == _cost(HISTORY[3])
    assert tokens[("message", "message")] == counter.count_message("user", MESSAGE)


def test_a_system_message_over_the_budget_raises_budget_error() -> None:
    counter = _fitter()
    smallest = counter.count_message("system", _system(0)) + REPLY_PRIMING
    smallest += counter.count_message("user", "")
    with pytest.raises(BudgetError, match="system message alone") as raised:
        _fit(smallest - 1)
    assert f"takes {smallest} tokens, over the prompt budget of {smallest - 1}" in str(raised.value)
    fitted = _fit(smallest)  # just room for the system message and an empty one
    assert fitted.messages == (Message("system", _system(0)), Message("user", ""))
    assert fitted.truncated
    assert fitted.used == smallest


LONG_MESSAGE = "My order 100482 never arrived and I am still waiting for it. " * 200


def test_an_oversize_message_is_cut_to_leave_room_for_the_faq_facts() -> None:
    fitted = _fit(300, message=LONG_MESSAGE)
    last = fitted.messages[-1]
    assert fitted.truncated
    assert last.role == "user"
    assert 0 < len(last.content) < len(LONG_MESSAGE)
    assert LONG_MESSAGE.startswith(last.content)
    assert fitted.messages[0] == Message("system", _system(3))  # every fact kept
    assert fitted.used <= 300
    assert fitted.left < _cost(FEW_SHOT[1][1])  # the message took the rest
    assert [(p.kind, p.label) for p in fitted.dropped] == [
        ("few_shot", "shipping"),
        ("few_shot", "returns"),
        ("history", "turns 1-3"),  # not costed: the budget was full before them
        ("history", "turn 4"),
    ]


def test_an_oversize_message_is_not_cut_for_facts_that_give_way_first() -> None:
    fitted = _fit(300, message=LONG_MESSAGE, drop_order=("faq", "history", "few_shot"))
    assert fitted.messages[0] == Message("system", _system(0))
    assert {part.kind for part in fitted.dropped} == {"faq", "few_shot", "history"}
    assert fitted.left < 10  # the message took all the room there was


def test_an_oversize_message_keeps_half_the_room_when_the_facts_need_more() -> None:
    base = _fitter().count_message("system", _system(0)) + REPLY_PRIMING
    room = 2 * _faq_cost(3) - 2  # the facts would leave the message less than half of it
    assert _faq_cost(2) <= room // 2
    fitted = _fit(base + room, message=LONG_MESSAGE)
    assert fitted.truncated
    # the two most relevant facts fit in half the room: a long paste no longer drops them all
    assert fitted.messages[0] == Message("system", _system(2))
    assert _fitter().count_message("user", fitted.messages[-1].content) >= room // 2
    assert fitted.left < 10


def test_an_oversize_message_keeps_half_the_room_when_even_one_fact_needs_more() -> None:
    base = _fitter().count_message("system", _system(0)) + REPLY_PRIMING
    room = 2 * _faq_cost(1) - 2
    fitted = _fit(base + room, message=LONG_MESSAGE)
    assert fitted.truncated
    assert fitted.messages[0] == Message("system", _system(0))  # it took all the room
    assert fitted.left < 10


def test_a_message_that_fits_is_never_cut() -> None:
    fitted = _fit(_mandatory())
    assert not fitted.truncated
    assert fitted.messages == (Message("system", _system(0)), Message("user", MESSAGE))


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
    full = _fit(100_000, drop_order=drop_order, **one).used  # type: ignore[arg-type]
    fitted = _fit(full - 1, drop_order=drop_order, **one)  # type: ignore[arg-type]
    assert [p.kind for p in fitted.dropped] == [dropped]
    assert fitted.used <= full - 1


def test_default_drop_order_drops_few_shot_then_history_then_faq() -> None:
    few_shot = tuple(  # each pair costs more than any history exchange
        (name, Exchange(pair.user + " Please tell me.", pair.assistant + " Thanks!"))
        for name, pair in FEW_SHOT
    )
    assert min(_cost(p) for _, p in few_shot) > max(_cost(p) for p in HISTORY)
    everything = _faq_cost(3) + _cost(*HISTORY)
    fitted = _fit(_mandatory() + everything, few_shot=few_shot)
    assert (_kept(fitted, "faq"), _kept(fitted, "few_shot")) == (list(FAQ), [])
    assert _kept(fitted, "history") == ["turn 1", "turn 2", "turn 3", "turn 4"]

    fitted = _fit(_mandatory() + _faq_cost(3) + _cost(*HISTORY[2:]) + 1, few_shot=few_shot)
    assert (_kept(fitted, "faq"), _kept(fitted, "few_shot")) == (list(FAQ), [])
    assert _kept(fitted, "history") == ["turn 3", "turn 4"]

    fitted = _fit(_mandatory() + _faq_cost(2) + 1, few_shot=few_shot)
    assert (_kept(fitted, "faq"), _kept(fitted, "few_shot")) == (["shipping", "express"], [])
    assert _kept(fitted, "history") == []
    assert fitted.messages[0] == Message("system", _system(2))


def test_another_drop_order_keeps_history_and_drops_faq() -> None:
    limit = _mandatory() + _cost(*HISTORY) + _cost(*(p for _, p in FEW_SHOT)) + 1
    fitted = _fit(limit, drop_order=("faq", "history", "few_shot"))
    assert _kept(fitted, "faq") == []
    assert _kept(fitted, "few_shot") == ["shipping", "returns"]
    assert _kept(fitted, "history") == ["turn 1", "turn 2", "turn 3", "turn 4"]
    assert fitted.messages[0] == Message("system", _system(0))


def test_faq_entries_go_by_relevance_the_least_relevant_first() -> None:
    for n in range(4):
        fitted = _fit(_mandatory() + _faq_cost(n), few_shot=(), history=())
        assert _kept(fitted, "faq") == list(FAQ[:n])
        assert fitted.messages[0] == Message("system", _system(n))


def test_history_is_kept_newest_first_and_never_split() -> None:
    limit = _mandatory() + _cost(*HISTORY[1:]) + _cost(HISTORY[0]) // 2
    fitted = _fit(limit, faq=(), few_shot=())
    assert fitted.messages == (
        Message("system", _system(0)),
        *(m for pair in HISTORY[1:] for m in pair.messages()),
        Message("user", MESSAGE),
    )
    assert [(p.label, p.kept) for p in fitted.parts if p.kind == "history"] == [
        ("turn 1", False),
        ("turn 2", True),
        ("turn 3", True),
        ("turn 4", True),
    ]


def _turns_listed(fitted: Fitted) -> list[int]:
    """The turn numbers the history parts cover, in order ('turns 1-3' covers 1, 2, 3)."""
    numbers: list[int] = []
    for part in fitted.parts:
        if part.kind == "history":
            first, _, last = part.label.split(" ")[1].partition("-")
            numbers += range(int(first), int(last or first) + 1)
    return numbers


def test_faq_entries_that_all_fit_are_one_part_unless_itemised() -> None:
    itemised, whole = _fit(100_000), _fit(100_000, itemise=False)
    assert whole.messages == itemised.messages
    assert whole.used == itemised.used
    faq = [(p.label, p.tokens, p.kept) for p in whole.parts if p.kind == "faq"]
    assert faq == [("shipping + express + returns", _faq_cost(3), True)]
    # when they do not all fit, each is costed to find where to stop
    tight = _fit(_mandatory() + _faq_cost(2), few_shot=(), history=(), itemise=False)
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
    counter = _CountingCounter(_fitter())
    settings = BudgetSettings(max_prompt_tokens=_mandatory() + _cost(*history[-3:]))
    fitted = fit_prompt(counter, settings, _system, (), (), history, MESSAGE)
    assert fitted.messages[1:-1] == tuple(m for x in history[-3:] for m in x.messages())
    parts = [(p.label, p.tokens, p.kept) for p in fitted.parts if p.kind == "history"]
    assert parts[:2] == [("turns 1-196", None, False), ("turn 197", _cost(history[196]), False)]
    assert [label for label, _, kept in parts if kept] == ["turn 198", "turn 199", "turn 200"]
    assert "question 196" not in counter.asked and "answer 1" not in counter.asked


def test_history_stops_at_the_first_exchange_that_does_not_fit() -> None:
    history = (Exchange("a", "b"), Exchange("tell me " * 50, "sure " * 50), Exchange("c", "d"))
    limit = _mandatory() + _cost(history[2]) + _cost(history[0])  # the long middle one: no
    fitted = _fit(limit, faq=(), few_shot=(), history=history)
    assert fitted.messages[1:-1] == history[2].messages()  # not the older, smaller one


def test_a_kind_listed_twice_in_the_drop_order_is_fitted_once() -> None:
    try:
        settings = BudgetSettings(max_prompt_tokens=100_000, drop_order=("faq", "faq"))
    except ValidationError:
        return  # rejecting the setting is a fix too
    fitted = fit_prompt(_fitter(), settings, _system, FAQ, FEW_SHOT, HISTORY, MESSAGE)
    assert [p.label for p in fitted.parts if p.kind == "faq"] == list(FAQ)
    assert sum(p.tokens for p in fitted.parts if p.kept) + REPLY_PRIMING == fitted.used


def test_a_partial_drop_order_still_drops_its_first_kind_first() -> None:
    try:
        BudgetSettings(drop_order=("history",))
    except ValidationError:
        return  # requiring all three kinds is a fix too
    one = {"faq": FAQ[:1], "few_shot": FEW_SHOT[:1], "history": HISTORY[-1:]}
    full = _fit(100_000, drop_order=("history",), **one).used  # type: ignore[arg-type]
    fitted = _fit(full - 1, drop_order=("history",), **one)  # type: ignore[arg-type]
    assert [p.kind for p in fitted.dropped] == ["history"]


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
    counter = _fitter()
    smallest = counter.count_message("system", _system(0)) + REPLY_PRIMING
    smallest += counter.count_message("user", "")
    arguments = {"faq": FAQ[:faq_count], "few_shot": few_shot, "history": history}
    if limit < smallest:
        with pytest.raises(BudgetError):
            _fit(limit, drop_order=tuple(drop_order), message=message, **arguments)  # type: ignore[arg-type]
        return
    fitted = _fit(limit, drop_order=tuple(drop_order), message=message, **arguments)  # type: ignore[arg-type]

    assert fitted.used == counter.count_messages((m.role, m.content) for m in fitted.messages)
    assert fitted.used <= limit
    assert sum(p.tokens or 0 for p in fitted.parts if p.kept) + REPLY_PRIMING == fitted.used
    # system first with the most relevant facts; the customer's message, or a prefix, last
    kept_faq = _kept(fitted, "faq")
    assert kept_faq == list(FAQ[: len(kept_faq)])
    assert fitted.messages[0] == Message("system", _system(len(kept_faq)))
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
    assert len(_kept(fitted, "few_shot")) == len(shown_few)
    assert len(_kept(fitted, "history")) == len(shown_history)
    assert _turns_listed(fitted) == list(range(1, len(history) + 1))
