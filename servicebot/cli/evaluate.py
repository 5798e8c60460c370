"""``servicebot eval``: routing accuracy on a labelled file, printed as a report."""

from __future__ import annotations

import functools
import json
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..errors import ConfigError, Problem, ServicebotError
from ..faq import Intent
from ..settings import RoutingSettings
from ..terminal import printable
from .common import BOT_HELP, BOT_PATH, FILE_PATH, bot_folder, load
from .evaltables import check_thresholds, per_intent_table, print_thresholds, threshold_options

if TYPE_CHECKING:  # imported where used: the other commands start without rich
    from rich.console import Console

    from ..config import BotSpec
    from ..evaluation import EvalReport
    from ..evaluation.files import Labelled
    from ..evaluation.thresholds import Check

_PROGRESS_FROM = 200  # rows: a shorter evaluation needs no progress bar
_UNKNOWN_SHOWN = 10
_PAIRS_SHOWN = 10
_SKIP_HINT = "(--skip-unknown leaves the rows of a label that names no intent out of the scores)"


@click.command("eval")
@click.argument("file", type=FILE_PATH)
@click.option("--bot", "bot_path", type=BOT_PATH, help=BOT_HELP)
@click.option("--train", type=FILE_PATH, help="Build the intents from this labelled file instead.")
@threshold_options
@click.option(
    "-k",
    "--top-k",
    "k",
    type=click.IntRange(1),
    default=3,
    show_default=True,
    help="Recall@k: the right intent is among the first k.",
)
@click.option(
    "--errors",
    type=click.IntRange(0),
    default=0,
    metavar="N",
    help="List up to N misrouted messages, most confident first (--json lists them all).",
)
@click.option(
    "--pairs",
    type=click.IntRange(0),
    default=_PAIRS_SHOWN,
    show_default=True,
    metavar="N",
    help="List up to N most confused intent pairs (--json lists them all).",
)
@click.option(
    "--per-intent",
    is_flag=True,
    help="Add a table of each intent's rows, top-1 and recall@k, worst first "
    "(--json always has it).",
)
@click.option(
    "--skip-unknown",
    is_flag=True,
    help="Leave out of the scores, with a warning, rows whose intent the bot does not have "
    "(by default such a row stops the run, as a malformed one does).",
)
@click.option(
    "--thresholds",
    is_flag=True,
    help="Add a table for each routing threshold of what values around the bot's would do, "
    "and the value this file suggests (--json has them too).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def evaluate_routing(
    file: Path,
    bot_path: Path | None,
    train: Path | None,
    k: int,
    errors: int,
    pairs: int,
    per_intent: bool,
    skip_unknown: bool,
    thresholds: bool,
    as_json: bool,
    **given: float | None,
) -> None:
    """Measure routing on FILE, a labelled CSV, TSV, JSON Lines or JSON file (text, intent),
    or a Rasa NLU .yml file (as rasa test nlu reads it).

    The text column may be named utterance, query or message too, and the intent column
    category or label; of two such columns (Bitext's category and intent), the one named
    first here is read, with a warning.

    An empty intent, out_of_scope, oos or none marks a message no intent should claim. An
    optional previous column, the customer's previous message, routes its row as the turn
    after that message: a short follow-up is read with it.
    """
    from ..evaluation.files import read_rows
    from ..evaluation.training import labelled_otherwise

    if bot_path is not None and train is not None:
        raise click.UsageError("give one of --bot and --train, not both")
    if skip_unknown and train is not None:
        raise click.UsageError(
            "--skip-unknown is for --bot: with --train the labels make the intents"
        )
    try:
        warnings: list[Problem] = []  # which column was read, where two could be
        read, problems = read_rows(file, warnings)
        _warn(warnings)
        if train is not None and problems:  # the labels make the intents: none is unknown
            raise ConfigError.listing(problems)
        spec = None if train is not None else load(bot_folder(bot_path))
        target = _eval_target(spec, train)
        rows = read if train else _known_rows(file, read, problems, target, skip_unknown)
        intents, settings, languages = target
        check = check_thresholds(spec) if thresholds and spec is not None else None
        if train is None or file.resolve() != train.resolve():  # else --train said it
            _warn(list(filter(None, [labelled_otherwise(file, read)])))
    except ServicebotError as exc:
        raise click.ClickException(str(exc)) from exc
    settings = settings.model_copy(update={k: v for k, v in given.items() if v is not None})
    # JSON lists every misrouted row, for a script to diff two runs with
    wanted = None if as_json else errors
    report = _evaluate_with_progress(
        rows, intents, settings, languages, k=k, errors=wanted, thresholds=thresholds, check=check
    )
    left_out = len(read) - len(rows)
    if as_json:
        figures = report.as_dict() | ({"rows_left_out": left_out} if skip_unknown else {})
        click.echo(json.dumps(figures, indent=2, ensure_ascii=False))
    else:
        _print_report(report, settings, left_out=left_out, pairs=pairs, per_intent=per_intent)


def _known_rows(
    file: Path,
    rows: list[Labelled],
    problems: list[Problem],
    target: tuple[tuple[Intent, ...], RoutingSettings, tuple[str, ...]],
    skip_unknown: bool,
) -> list[Labelled]:
    """The rows to score. Malformed rows and labels that name no intent are reported together,
    in line order, so that one run finds them all; with ``skip_unknown``, unknown labels are
    warnings instead, and their rows are left out rather than counted wrong. ``target``: the
    intents, settings and languages to route with, for where an unknown label's rows go."""
    from ..evaluation import unknown_labels

    intents, settings, languages = target
    unknown = unknown_labels(file, rows, intents, settings, languages)
    if problems or (unknown and not skip_unknown):
        found = problems + ([] if skip_unknown else unknown)
        error = ConfigError.listing(sorted(found, key=lambda problem: problem.line or 0))
        hint = "" if skip_unknown or not unknown else f"\n{_SKIP_HINT}"
        raise click.ClickException(f"{error}{hint}")
    _warn_left_out(unknown)
    names = {intent.name for intent in intents}
    known = [row for row in rows if not row.in_scope or row.intent in names]
    if not known:
        raise ConfigError.at(file, "no row left to score: every label names no intent")
    return known


def _warn(warnings: list[Problem]) -> None:
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)


def _warn_left_out(unknown: list[Problem]) -> None:
    for warning in unknown:
        left_out = replace(warning, message=f"{warning.message} (left out of the scores)")
        click.echo(f"warning: {left_out}", err=True)


def _eval_target(
    spec: BotSpec | None, train: Path | None
) -> tuple[tuple[Intent, ...], RoutingSettings, tuple[str, ...]]:
    """The intents, routing settings and languages to evaluate: the bot's, or with no bot,
    built from --train."""
    from ..evaluation.files import read_labelled
    from ..evaluation.training import labelled_twice, read_intents

    if spec is not None:
        return spec.intents, spec.settings.routing, spec.settings.languages
    assert train is not None  # no bot: --train
    intents = read_intents(train)
    warnings: list[Problem] = []
    rows = read_labelled(train, warnings)
    _warn([*warnings, *labelled_twice(train, rows)])
    return intents, RoutingSettings(), ("en",)


def _evaluate_with_progress(
    rows: list[Labelled],
    intents: tuple[Intent, ...],
    settings: RoutingSettings,
    languages: tuple[str, ...],
    *,
    k: int,
    errors: int | None,
    thresholds: bool = False,
    check: Check | None = None,
) -> EvalReport:
    """evaluate(), with a progress bar on stderr when there are many rows."""
    from rich.console import Console
    from rich.progress import Progress

    from ..evaluation import evaluate

    run = functools.partial(
        evaluate,
        rows,
        intents,
        settings,
        languages,
        k=k,
        errors=errors,
        thresholds=thresholds,
        check=check,
    )
    if len(rows) <= _PROGRESS_FROM:
        return run()
    console = Console(stderr=True)
    with Progress(console=console, transient=True, disable=not console.is_terminal) as progress:
        task = progress.add_task("routing", total=len(rows))
        return run(advance=lambda: progress.advance(task))


def _print_report(
    report: EvalReport,
    settings: RoutingSettings,
    *,
    left_out: int = 0,
    pairs: int = _PAIRS_SHOWN,
    per_intent: bool = False,
) -> None:
    """The summary, then each intent's figures if asked for, the first ``pairs`` confused
    pairs, the handoffs, the misroutes asked for and the labels that name no intent."""
    from rich.console import Console

    # soft_wrap: a row is one line, in a terminal or piped to a file (rich wrapped at 80
    # columns there, and padded each line with spaces)
    console = Console(markup=False, emoji=False, highlight=False, soft_wrap=True)
    summary = _summary(report, settings, left_out)
    width = max(len(label) for label, _ in summary)
    for label, figures in summary:
        console.print(f"{label:<{width}}  {figures}")
    if per_intent:
        console.print("per intent, worst first:")
        if not console.is_terminal:  # piped to a file, a row is one line, however wide
            console.width = 10_000  # the table is as wide as its cells, not this
        console.print(per_intent_table(report))
    if report.confused and pairs:
        _print_confused(console, report, pairs)
    if report.handed_off:
        _print_handed_off(console, report)
    if report.misroutes:
        _print_misroutes(console, report)
    if report.unknown_intents:
        _print_unknown(console, report)
    if report.thresholds:
        print_thresholds(console, report, settings)


def _summary(report: EvalReport, settings: RoutingSettings, left_out: int) -> list[tuple[str, str]]:
    """The report's first lines: what each figure is, and the figure; ``left_out`` rows have a
    label that names no intent, and were not scored."""
    skipped = f" ({left_out:,} more left out: their label names no intent)" if left_out else ""
    every = "rows" if not report.out_of_scope_rows else "rows, out of scope ones included"
    in_scope = report.rows - report.out_of_scope_rows
    found = (
        f"{report.found_at_k:,} of {in_scope:,} in-scope rows have their intent among the "
        f"first {report.k} at or above min_score"
        if in_scope
        else "no row is labelled with an intent"
    )
    lines = [
        ("rows", f"{report.rows:,}{skipped}"),
        ("intents", f"{report.intents:,} ({report.examples:,} examples)"),
        (
            "top-1 accuracy",
            f"{report.accuracy:.4f} ({report.correct:,} of {report.rows:,} {every})",
        ),
        (f"recall@{report.k}", f"{_figure(report.recall_at_k)} ({found})"),
    ]
    if report.out_of_scope_rows:
        rows = f"{report.out_of_scope_rows:,} row{'' if report.out_of_scope_rows == 1 else 's'}"
        lines.append(
            (
                "out of scope",
                f"precision {_figure(report.out_of_scope_precision)}, "
                f"recall {_figure(report.out_of_scope_recall)} ({rows})",
            )
        )
    routes = ", ".join(f"{route} {count:,}" for route, count in report.routes)
    thresholds = ", ".join(
        f"{name} {getattr(settings, name)}"
        for name in ("min_score", "direct_threshold", "direct_margin", "handoff_threshold", "top_k")
    )
    speed = f"median {report.route_ms_median:.3f} ms, p99 {report.route_ms_p99:.3f} ms per message"
    return [
        *lines,
        ("routes", f"{routes} (with {thresholds})"),
        ("routing time", speed),
        ("index build", f"{report.build_seconds:.3f} s"),
    ]


def _figure(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def _print_confused(console: Console, report: EvalReport, shown: int) -> None:
    """The ``shown`` most confused pairs, and how many more there are; a pair confused both
    ways is one line, ``a <-> b (6 + 6)``, for the two are one problem of overlapping
    phrasings."""
    console.print("most confused, expected -> routed to (<->: both ways):")
    pairs = _both_ways(report.confused)
    width = len(f"{pairs[0][0]:,}")
    for count, pair in pairs[:shown]:
        console.print(f"  {count:>{width},}  {pair}")
    if (more := len(pairs) - shown) > 0:
        console.print(f"  and {more:,} more (--pairs N lists more)")


def _both_ways(confused: tuple[tuple[str, str, int], ...]) -> list[tuple[int, str]]:
    """Each confused pair and its count, a pair confused both ways once with both counts
    (the larger first, as ``confused`` is most first), most first; ties in its order."""
    counts = {(expected, got): count for expected, got, count in confused}
    pairs: list[tuple[int, str]] = []
    joined: set[tuple[str, str]] = set()
    for expected, got, count in confused:
        back = counts.get((got, expected))
        if back is None:
            pairs.append((count, f"{expected} -> {got}"))
        elif (got, expected) not in joined:
            joined.add((expected, got))
            pairs.append((count + back, f"{expected} <-> {got} ({count:,} + {back:,})"))
    return sorted(pairs, key=lambda pair: -pair[0])  # stable: ties stay in name order


def _print_handed_off(console: Console, report: EvalReport) -> None:
    """Rows a handoff intent sent to a person though they ask what another intent answers:
    top-1 counts them right, and a customer would wait for a person."""
    console.print("handed to a person by a handoff intent, though labelled with one that answers:")
    width = len(f"{max(count for _, _, count in report.handed_off):,}")
    for labelled, taken_by, count in report.handed_off:
        console.print(f"  {count:>{width},}  {labelled} -> {taken_by} (handoff)")


def _print_unknown(console: Console, report: EvalReport) -> None:
    """Each label that names no intent, where it is first used, and what it may mean."""
    from ..evaluation.files import place

    console.print("labels that name no intent (their rows count as wrong):")
    for unknown in report.unknown_intents[:_UNKNOWN_SHOWN]:
        rows = f"{unknown.rows:,} row{'' if unknown.rows == 1 else 's'}"
        shown = f"{unknown.label} ({rows}{unknown.hint()})"
        console.print(f"  {place(unknown.line, unknown.item)}: {shown}")
    if (more := len(report.unknown_intents) - _UNKNOWN_SHOWN) > 0:
        console.print(f"  and {more:,} more")


def _print_misroutes(console: Console, report: EvalReport) -> None:
    """Each misrouted message on its own line, under where it is and what went wrong: the
    routed intent's score and the route, for a wrong answer sent as written (direct) to be
    told from a wrong fact given to the model."""
    from ..evaluation.files import place

    console.print("misrouted, most confident first (score, route):")
    for miss in report.misroutes:
        where, routed = place(miss.line, miss.item), f"{miss.expected} -> {miss.got}"
        console.print(f"  {where}: {routed} ({miss.score:.3f}, {miss.route})")
        if miss.previous is not None:  # a follow-up says little without what it follows
            console.print(f"    previous: {printable(miss.previous)}")
        console.print(f"    {printable(miss.text)}")
