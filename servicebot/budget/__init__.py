"""Token budget: fit one turn's prompt into the budget, and account for every part.

The system message (without FAQ facts) and the customer's message always go in; a message
too long for the room left is cut to fit. A message that would leave no room for the FAQ
facts is cut further so that the most relevant of them fit, as many as leave it at least
half the room, when the facts are the last to give way (the default): what the bot knows
about the question matters more than the end of a pasted page. FAQ facts by relevance,
few-shot pairs and history newest first fill the rest, in the order ``budget.drop_order``
gives, and a user/assistant pair goes in whole or not at all. Counts come from ``tokens.py``
beside this file and are cached per message, so a long conversation costs no more per turn
than the part of it that fits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Literal, NamedTuple, get_args

from ..errors import BudgetError
from ..prompt import Exchange, Message
from ..settings import BudgetSettings
from .tokens import REPLY_PRIMING, TokenCounter

PartKind = Literal["system", "faq", "few_shot", "history", "message"]


class Part(NamedTuple):
    """One piece of the prompt, what it costs in tokens, and whether it made it in."""

    kind: PartKind
    label: str  # "system", an intent's name, "turn 3", "turns 1-12", ...
    tokens: int | None  # None: dropped without counting, as the budget was already full
    kept: bool = True


@dataclass(frozen=True)
class Fitted:
    """The messages to send, and the account of how they were fitted."""

    messages: tuple[Message, ...]
    parts: tuple[Part, ...]
    budget: int
    used: int  # every message with its overhead, plus the reply priming
    truncated: bool = False  # the customer's message was cut to fit

    @property
    def left(self) -> int:
        return self.budget - self.used

    @property
    def dropped(self) -> tuple[Part, ...]:
        return tuple(part for part in self.parts if not part.kept)


def budget_limit(settings: BudgetSettings) -> int:
    """Prompt tokens allowed: the context window minus the reply's share, capped."""
    return min(settings.context_window - settings.reply_reserve, settings.max_prompt_tokens)


def window_bounds(settings: BudgetSettings) -> bool:
    """Whether the context window less the reply's share bounds the budget, rather than
    ``max_prompt_tokens``: then raising max_prompt_tokens would change nothing."""
    return settings.context_window - settings.reply_reserve < settings.max_prompt_tokens


def remedies(settings: BudgetSettings, first: str) -> str:
    """``first``, or what an operator changes to raise the budget: "a or b", "a, b or c"."""
    window = settings.context_window - settings.reply_reserve
    if window < settings.max_prompt_tokens:
        return f"{first}, lower budget.reply_reserve or raise budget.context_window"
    if window == settings.max_prompt_tokens:  # both bound it
        return (
            f"{first}, or raise budget.max_prompt_tokens and also lower budget.reply_reserve "
            "or raise budget.context_window"
        )
    return f"{first} or raise budget.max_prompt_tokens"


def fit_prompt(
    counter: TokenCounter,
    settings: BudgetSettings,
    system: Callable[[int], str],
    faq: Sequence[str],
    few_shot: Sequence[tuple[str, Exchange]],
    history: Sequence[Exchange],
    message: str,
    *,
    itemise: bool = False,
) -> Fitted:
    """Fit one turn's prompt into the budget.

    ``system(n)`` renders the system message with the first ``n`` FAQ entries (named in
    ``faq``, most relevant first). The system message without FAQ entries and the
    customer's message always go in; a message too long for what is left is truncated.
    The rest is added by priority, the reverse of ``settings.drop_order``: FAQ entries by
    relevance, few-shot pairs in order, history newest first. Each kind stops at its
    first item that does not fit, and an exchange goes in whole or not at all. Items after
    that one are reported as one dropped part and never counted, so a long conversation
    costs no more than the part of it that fits.

    When every FAQ entry fits, the system message is rendered twice (without and with
    them) and the entries are reported as one part; ``itemise`` renders it once per entry
    instead, to report what each one costs, as ``servicebot render`` does.
    """
    limit = budget_limit(settings)
    system = _memo(system)  # each size is rendered once
    base = counter.count_message("system", system(0)) + REPLY_PRIMING
    if (least := base + counter.count_message("user", "")) > limit:
        raise BudgetError(
            f"the system message alone, with an empty customer message, takes {least} tokens, "
            f"over the prompt budget of {limit}: "
            f"{remedies(settings, 'shorten templates/system.j2')}"
        )
    fitting = _Fitting(counter, limit - base, itemise)
    priority: list[PartKind] = list(reversed(settings.drop_order))

    # The room a long message gives up goes to the facts only if they are filled next.
    def facts(entries: int) -> int:
        return counter.count_message("system", system(entries)) - base + REPLY_PRIMING

    message, truncated = fitting.take_message(
        message, facts if priority[0] == "faq" else None, len(faq)
    )
    chosen = {kind: fitting.take(kind, system, faq, few_shot, history) for kind in priority}
    kept_faq, kept_pairs, kept_turns = chosen["faq"], chosen["few_shot"], chosen["history"]
    messages = (
        Message("system", system(kept_faq)),
        *(m for _, pair in few_shot[:kept_pairs] for m in pair.messages()),
        *(m for pair in history[len(history) - kept_turns :] for m in pair.messages()),
        Message("user", message),
    )
    parts = (Part("system", "system", base - REPLY_PRIMING), *fitting.parts, fitting.message_part)
    # Every kept part was charged against the room, and FAQ costs add up to the system
    # message's growth, so what is left of the room is exactly what the messages did not use.
    return Fitted(messages, _in_prompt_order(parts), limit, limit - fitting.room, truncated)


def _memo(system: Callable[[int], str]) -> Callable[[int], str]:
    """``system`` remembering what it returned for each size (a dict: functools.cache takes
    longer to set up than the few look-ups a turn makes)."""
    rendered: dict[int, str] = {}

    def remembered(size: int) -> str:
        if size not in rendered:
            rendered[size] = system(size)
        return rendered[size]

    return remembered


class _Fitting:
    """The room left while a prompt is being filled, and the parts considered so far."""

    def __init__(self, counter: TokenCounter, room: int, itemise: bool) -> None:
        self.counter, self.room, self.itemise = counter, room, itemise
        self.parts: list[Part] = []
        self.message_part = Part("message", "message", 0)

    def take_message(
        self, text: str, facts: Callable[[int], int] | None, entries: int
    ) -> tuple[str, bool]:
        """The customer's message, truncated if it is longer than the room there is, or than
        the room left by the most FAQ facts, from the first of ``entries`` (``facts(n)``
        tokens for the first n), that leave it at least half."""
        tokens = self.counter.count_message("user", text)
        room = self.room
        if facts and tokens > room // 2:
            half = room - room // 2
            room -= next((cost for n in range(entries, 0, -1) if (cost := facts(n)) <= half), 0)
        cut = text
        if tokens > room:
            cut = self.counter.truncate(text, room - self.counter.count_message("user", ""))
            tokens = self.counter.count_message("user", cut)
        self.room -= tokens
        self.message_part = Part("message", "message", tokens)
        return cut, cut != text

    def take(
        self,
        kind: PartKind,
        system: Callable[[int], str],
        faq: Sequence[str],
        few_shot: Sequence[tuple[str, Exchange]],
        history: Sequence[Exchange],
    ) -> int:
        """Add items of ``kind`` while they fit; return how many went in."""
        if kind == "faq":
            if faq and not self.itemise and self._take_all_faq(system, faq):
                return len(faq)
            return self._take_each(kind, self._faq_costs(system, len(faq)), _names(faq))
        if kind == "few_shot":
            costs = (self._exchange(pair) for _, pair in few_shot)
            return self._take_each(kind, costs, _names([label for label, _ in few_shot]))
        costs = (self._exchange(pair) for pair in reversed(history))
        return self._take_each(kind, costs, _turns(len(history)))

    def _take_all_faq(self, system: Callable[[int], str], faq: Sequence[str]) -> bool:
        """Add every FAQ entry as one part if they all fit."""
        with_all = self.counter.count_message("system", system(len(faq)))
        growth = with_all - self.counter.count_message("system", system(0))
        if growth > self.room:
            return False
        self.room -= growth
        self.parts.append(Part("faq", _names(faq).of(0, len(faq)), growth))
        return True

    def _take_each(self, kind: PartKind, costs: Iterable[int], labels: _Labels) -> int:
        """Keep items in order until one does not fit; the rest become one dropped part."""
        for taken, cost in enumerate(costs):
            if cost > self.room:
                self.parts.append(Part(kind, labels.of(taken, taken + 1), cost, kept=False))
                if taken + 1 < labels.total:
                    self.parts.append(Part(kind, labels.of(taken + 1, labels.total), None, False))
                return taken
            self.parts.append(Part(kind, labels.of(taken, taken + 1), cost))
            self.room -= cost
        return labels.total

    def _faq_costs(self, system: Callable[[int], str], count: int) -> Iterator[int]:
        """Each FAQ entry's tokens: how much the system message grows when it is added."""
        previous = self.counter.count_message("system", system(0))
        for n in range(1, count + 1):
            tokens = self.counter.count_message("system", system(n))
            yield tokens - previous
            previous = tokens

    def _exchange(self, pair: Exchange) -> int:
        user = self.counter.count_message("user", pair.user)
        return user + self.counter.count_message("assistant", pair.assistant)


class _Labels(NamedTuple):
    """How many items there are, and the label of items ``start`` to ``stop - 1``."""

    total: int
    of: Callable[[int, int], str]


def _names(names: Sequence[str]) -> _Labels:
    """Items labelled by name: 'shipping', or 'shipping + returns' for several (a comma would
    read as two parts in render's list of what was dropped)."""
    return _Labels(len(names), lambda start, stop: " + ".join(names[start:stop]))


def _turns(count: int) -> _Labels:
    """History exchanges, newest first, labelled by turn number: 'turn 12', 'turns 1-11'.
    A label is made only when a part needs one: a 200-turn history does not make 200."""

    def label(start: int, stop: int) -> str:
        newest, oldest = count - start, count - stop + 1
        return f"turn {newest}" if newest == oldest else f"turns {oldest}-{newest}"

    return _Labels(count, label)


def _in_prompt_order(parts: Iterable[Part]) -> tuple[Part, ...]:
    """Parts in the order the prompt has them (history was considered newest first)."""
    by_kind: dict[PartKind, list[Part]] = {kind: [] for kind in get_args(PartKind)}
    for part in parts:
        by_kind[part.kind].append(part)
    by_kind["history"].reverse()
    return tuple(chain.from_iterable(by_kind.values()))
