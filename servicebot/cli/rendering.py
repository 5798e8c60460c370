"""``servicebot render``: the exact messages a customer's message would send to the model,
its route and pre-filter events, and a table of the tokens each part takes in the budget:
how an operator sees the effect of an edit to the FAQ or the templates."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..config import load_bot
from ..errors import ServicebotError
from ..source import decode_typed
from ..terminal import RULE_CHARACTER, message_body, printable
from .common import FILE_PATH, bot_option, offline_reason

if TYPE_CHECKING:  # imported where used: the other commands start without rich
    from rich.table import Table

    from ..budget import Fitted
    from ..pipeline import Bot, Prepared
    from ..settings import RoutingSettings


@click.command()
@click.argument("message")
@click.option(
    "--history",
    "history_file",
    type=FILE_PATH,
    help="Earlier turns: a YAML or JSON list of user/assistant pairs.",
)
@click.option(
    "--customer",
    multiple=True,
    metavar="KEY=VALUE",
    help="Customer metadata for the templates (repeatable).",
)
@bot_option
def render(
    message: str, history_file: Path | None, customer: tuple[str, ...], bot_path: Path
) -> None:
    """Print the exact messages MESSAGE would send to the model, and their token budget.
    MESSAGE "-" reads the message from standard input (one longer than a command line takes)."""
    from rich.console import Console

    from ..filters.pieces import CARRIED
    from ..filters.placeholders import Placeholders
    from ..pipeline import Bot
    from ..prompt import read_history

    if message == "-":
        message, read_as = decode_typed(sys.stdin.buffer.read())
        message = message.replace("\r\n", "\n").removesuffix("\n")  # as text mode reads it
        if read_as:
            click.echo(f"standard input is not UTF-8: {read_as}", err=True)
    try:
        spec = load_bot(bot_path)
        offline = offline_reason(spec)  # as chat answers: its reply is shown before the prompt
        bot, placeholders = Bot(spec, offline=offline is not None), Placeholders()
        turns = bot.as_stored(read_history(history_file), placeholders) if history_file else []
        said_before = [turn.user for turn in turns[-CARRIED:]]  # read even when no turn is
        unread = max(len(turns) - bot.spec.settings.budget.history_turns, 0)
        turns = turns[unread:]  # a turn reads back only these from the store
        customer_details = _key_values(customer)
        prepared = bot.prepare(
            message, turns, customer_details, placeholders, explain=True, said_before=said_before
        )
    except ServicebotError as exc:
        raise click.ClickException(str(exc)) from None
    console = Console(highlight=False, soft_wrap=True, emoji=False)
    console.print(_route_line(prepared, bot.spec.settings.routing), markup=False)
    for event in prepared.filtered.events:
        console.print(f"pre-filter: {event}", markup=False)
    details = prepared.customer
    for found in details.found if details is not None else ():
        console.print(f"pre-filter: {found}", markup=False)
    for where, why in details.left_out.items() if details is not None else ():
        console.print(f"pre-filter: {where} left out ({why})", markup=False)
    if prepared.reply is not None:
        console.print(f"\nreply, without a model call:\n{printable(prepared.reply)}", markup=False)
    if prepared.fitted is None:
        return
    if prepared.reply is not None:  # routed to the model, and the bot has none to ask
        console.print(
            f"\n{offline}, so that is the offline reply (`servicebot chat` gives it); with a "
            "model, this prompt would be sent:",
            markup=False,
        )
    for sent in prepared.fitted.messages:
        console.rule(sent.role, characters=RULE_CHARACTER, align="left")
        console.print(message_body(sent.content), markup=False)
    console.rule(characters=RULE_CHARACTER)
    console.print(_budget_table(prepared.fitted))
    console.print(_budget_summary(bot, prepared.fitted, unread), markup=False)


def _key_values(pairs: tuple[str, ...]) -> dict[str, str]:
    found: dict[str, str] = {}
    for pair in pairs:
        key, equals, value = pair.partition("=")
        if not equals or not key:
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--customer")
        if key in found:
            message = f"{key!r} is given twice ({found[key]!r}, then {value!r}): give it once"
            raise click.BadParameter(message, param_hint="--customer")
        found[key] = value
    return found


def _route_line(prepared: Prepared, settings: RoutingSettings) -> str:
    from ..routing import handed_off_by, why_not_direct, why_out_of_scope

    routing = prepared.routing
    if routing is None:
        return "route: blocked by the pre-filter"
    intents = ", ".join(f"{m.intent.name} {m.score:.2f}" for m in routing.matches) or "none"
    if routing.closest:
        closest = ", ".join(f"{m.intent.name} {m.score:.2f}" for m in routing.closest)
        # A handoff intent at or above min_score was left out: it did reach min_score.
        held = why_out_of_scope(routing, settings)
        cut = f"kept: {held}" if held else f"reached min_score {settings.min_score}"
        intents += f" {cut} (closest: {closest})"
    follow_up = " (read with the previous message)" if routing.follow_up else ""
    why = why_not_direct(routing, settings)
    why = f"  ({why})" if why else ""
    by = handed_off_by(routing)
    route = f"{routing.route} {by}" if by else routing.route
    return f"route: {route}  language: {routing.language}  intents: {intents}{follow_up}{why}"


def _budget_table(fitted: Fitted) -> Table:
    from rich.table import Table

    table = Table("part", "item", "tokens", "sent", box=None)
    for part in fitted.parts:
        tokens = "not counted" if part.tokens is None else str(part.tokens)
        sent = "yes" if part.kept else "DROPPED"
        if part.kind == "faq" and part.kept and part.tokens == 0:
            sent = "no: system.j2 does not print it"
        table.add_row(part.kind, part.label, tokens, sent)
    return table


def _budget_summary(bot: Bot, fitted: Fitted, unread: int) -> str:
    from ..budget.estimate import encoding_label
    from ..budget.tokens import REPLY_PRIMING

    budget = bot.spec.settings.budget
    encoding = encoding_label(bot.counter.name, bot.spec.settings.model.name, budget.encoding)
    lines = [
        f"budget: {fitted.budget} tokens = min(context_window {budget.context_window} - "
        f"reply_reserve {budget.reply_reserve}, max_prompt_tokens {budget.max_prompt_tokens})",
        f"used: {fitted.used} (with {REPLY_PRIMING} that prime the reply), left: {fitted.left}, "
        f"encoding: {encoding}",
    ]
    if unread:
        lines.append(
            f"not read: the history file's first {unread} turn{'s' * (unread != 1)} "
            f"(budget.history_turns {budget.history_turns}: a turn reads back only the last "
            f"{budget.history_turns} from the store)"
        )
    if fitted.dropped:
        dropped = ", ".join(f"{part.kind} {part.label}" for part in fitted.dropped)
        lines.append(f"dropped to fit ({' > '.join(budget.drop_order)} go first): {dropped}")
    if fitted.truncated:
        lines.append("the customer's message was truncated to fit")
    return "\n".join(lines)
