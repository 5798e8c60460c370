"""A bot's budget checked where operators set it: a system prompt or a reply reserve that
leaves no room fails at start (and in ``check``) at the setting's line, with advice that
works, and an answer too long to be a fact is a ``check`` warning."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from servicebot.budget import remedies
from servicebot.cli import main
from servicebot.config import load_bot
from servicebot.errors import BudgetError, ConfigError
from servicebot.pipeline import Bot
from servicebot.settings import BudgetSettings
from tests.unit.botcopies import make_bot


def test_a_bot_whose_system_prompt_cannot_fit_fails_to_start(tmp_path: Path) -> None:
    folder = make_bot(tmp_path, settings=[("max_prompt_tokens: 6000", "max_prompt_tokens: 100")])
    with pytest.raises(ConfigError) as raised:
        Bot(load_bot(folder))
    settings = folder / "servicebot.yaml"
    line = 1 + settings.read_text()[: settings.read_text().index("max_prompt_tokens")].count("\n")
    assert (raised.value.path, raised.value.line) == (settings, line)  # what was lowered
    assert str(raised.value).startswith(f"{settings}:{line}:22: for a turn in en: ")
    assert "system message alone" in str(raised.value)
    assert "shorten templates/system.j2 or raise budget.max_prompt_tokens" in str(raised.value)
    assert isinstance(raised.value.__cause__, BudgetError)


@pytest.mark.parametrize(
    ("written", "at"),
    [
        ("reply_reserve: 127900", "reply_reserve: 127900"),  # context_window is the default
        ("reply_reserve: 1000\n  context_window: 1200", "context_window: 1200"),
    ],
)
def test_a_budget_the_window_bounds_is_reported_where_it_is_set_with_advice_that_works(
    tmp_path: Path, written: str, at: str
) -> None:
    # The window less the reply's reserve (100 or 200) is under max_prompt_tokens (6000):
    # raising max_prompt_tokens would change nothing.
    folder = make_bot(tmp_path, settings=[("reply_reserve: 1000", written)])
    with pytest.raises(ConfigError) as raised:
        Bot(load_bot(folder))
    (problem,) = raised.value.problems
    assert problem.source_line == f"  {at}"
    assert problem.message.endswith(
        "shorten templates/system.j2, lower budget.reply_reserve or raise budget.context_window"
    )


@pytest.mark.parametrize(
    ("window", "cap", "advice"),
    [
        (1_100, 200, "shorten it, lower budget.reply_reserve or raise budget.context_window"),
        (
            1_100,
            100,
            "shorten it, or raise budget.max_prompt_tokens and also lower "
            "budget.reply_reserve or raise budget.context_window",
        ),  # both bound it
        (1_100, 50, "shorten it or raise budget.max_prompt_tokens"),
    ],
)
def test_the_advice_to_raise_the_budget_names_what_bounds_it(
    window: int, cap: int, advice: str
) -> None:
    settings = BudgetSettings(context_window=window, reply_reserve=1_000, max_prompt_tokens=cap)
    assert remedies(settings, "shorten it") == advice


def test_check_reports_a_system_prompt_over_the_budget(tmp_path: Path) -> None:
    folder = make_bot(tmp_path, settings=[("max_prompt_tokens: 6000", "max_prompt_tokens: 100")])
    result = CliRunner().invoke(main, ["check", str(folder)])
    assert result.exit_code == 1
    assert f"{folder / 'servicebot.yaml'}:" in result.output
    assert "system message alone" in result.output


def test_check_warns_of_an_answer_too_long_to_be_a_fact(tmp_path: Path) -> None:
    # About 700 tokens in a 1,000-token budget: as the one fact it leaves the customer's
    # message under 100 tokens, and beside a longer message the budget drops it. The long
    # Chinese answer is warned at its own line, not at the answer's first.
    long = "We assemble wardrobes, beds and desks on delivery day. " * 70
    faq = (
        "intents:\n"
        "  - name: assembly\n"
        "    examples: [do you assemble furniture]\n"
        f"    answer: {long}\n"
        "  - name: shipping\n"
        "    examples: [how long does shipping take, 运费多少]\n"
        "    answer:\n"
        "      en: Shipping takes 3 days.\n"
        f"      zh: {'我们在送货当天免费组装衣柜、床和书桌。' * 80}\n"
    )
    folder = make_bot(
        tmp_path, faq=faq, settings=[("max_prompt_tokens: 6000", "max_prompt_tokens: 1000")]
    )
    result = CliRunner().invoke(main, ["check", str(folder)])
    assert result.exit_code == 0, result.output
    warned = [text for text in result.output.splitlines() if "too long to be a fact" in text]
    faq_file = folder / "faq" / "test.yaml"
    assert len(warned) == 2
    assert warned[0].startswith(f"warning: {faq_file}:4:")
    assert "the answer of 'assembly' is too long to be a fact: " in warned[0]
    assert "beside a longer one the budget drops it, and the facts after it" in warned[0]
    assert warned[1].startswith(f"warning: {faq_file}:9:")
    assert "the answer of 'shipping' is too long to be a fact in zh: " in warned[1]
    # and the budget does what the warning says: a short message keeps the fact
    spec = load_bot(folder)
    fitted = Bot(spec).prepare("do you assemble furniture").fitted
    assert fitted is not None and any(p.label == "assembly" and p.kept for p in fitted.parts)


def test_check_reports_a_template_that_fails_with_a_long_answer_as_a_problem_at_the_answer(
    tmp_path: Path,
) -> None:
    # Printed six times, a 17,500-character answer is past what a template may print. Only
    # the budget warnings render it as a fact (top_k is 1): that failed with a traceback.
    system = (
        "{% for intent in intents %}{% for _ in range(6) %}{{ intent.answer }}{% endfor %}"
        "{% endfor %}\n"
    )
    faq = (
        "intents:\n"
        "  - name: hours\n"
        "    examples: [when are you open]\n"
        "    answer: 9 to 5.\n"
        "  - name: terms\n"
        "    examples: [terms and conditions]\n"
        f"    answer: {'Our terms apply to every purchase. ' * 500}\n"
    )
    folder = make_bot(tmp_path, system=system, faq=faq, settings=[("top_k: 3", "top_k: 1")])
    result = CliRunner().invoke(main, ["check", str(folder)])
    assert isinstance(result.exception, SystemExit) and result.exit_code == 1, result.output
    assert "ok:" not in result.output
    assert result.output.startswith(
        f"{folder / 'faq' / 'test.yaml'}:7:13: with the answer of 'terms' as a fact, "
        f"{folder / 'templates' / 'system.j2'}:1: template failed while rendering: "
        "SecurityError: the template prints over 100,000 characters (shorten the answer, or "
        "print it fewer times)\n"
    )
    assert result.output.endswith(f"1 problem in {folder}\n")


def test_a_system_prompt_too_long_for_an_out_of_scope_turn_fails_to_start(
    tmp_path: Path,
) -> None:
    # With an empty message the example bot's prompt needs 159 tokens (175 when flagged for
    # injection), or 188 out of scope: the error names the kind of turn that does not fit.
    folder = make_bot(tmp_path, settings=[("max_prompt_tokens: 6000", "max_prompt_tokens: 180")])
    with pytest.raises(ConfigError) as raised:
        Bot(load_bot(folder)).prepare("write me a poem about spring")
    assert ": for an out-of-scope turn in en: " in str(raised.value)


def test_a_reply_reserve_that_fills_the_window_is_a_settings_error(tmp_path: Path) -> None:
    window = ("reply_reserve: 1000", "reply_reserve: 1000\n  context_window: 1000")
    folder = make_bot(tmp_path, settings=[window])
    with pytest.raises(ConfigError) as raised:
        load_bot(folder)
    (problem,) = raised.value.problems  # at reply_reserve's line, not the budget block's first
    assert (problem.path, problem.source_line) == (
        folder / "servicebot.yaml",
        "  reply_reserve: 1000",
    )
    assert "'reply_reserve' (1000) leaves no room for a prompt in context_window (1000)" in str(
        problem
    )


def test_a_window_smaller_than_the_default_reply_reserve_is_a_settings_error(
    tmp_path: Path,
) -> None:
    folder = make_bot(tmp_path, settings=[("reply_reserve: 1000", "context_window: 800")])
    with pytest.raises(ConfigError) as raised:  # not a budget of -200
        load_bot(folder)
    assert "'reply_reserve' (1000) leaves no room for a prompt in context_window (800)" in str(
        raised.value
    )
