"""``servicebot eval --thresholds`` (``servicebot/evaluation/thresholds.py``): each threshold's
candidate values on a small labelled file against the example bot, decided by the router's
own decision, agree with plain ``eval`` runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from servicebot import load_bot
from servicebot.evaluation import evaluate
from servicebot.evaluation.files import read_labelled
from servicebot.evaluation.thresholds import EVIDENCE, Candidate, _least_costly, candidate_values
from servicebot.faqwarnings import routing_warnings
from servicebot.routing import Router, decide_ranked
from tests.conftest import REPO
from tests.unit.labelledfiles import run, run_json, write

# In-scope rows, out-of-scope ones, a handoff, and follow-ups read with their previous
# message at the bot's min_score (and alone at a lower one).
SMALL = """previous,text,intent
,Is it free to register for an account on your site?,create_account
,你们主要卖哪些类的商品呢,about_store
,谢谢你啊,thanks
,显示签收了但我没收到,order_not_received
,promo code not working,coupon_code
,where is my refund,refund_status
,寄錯商品了,wrong_item
,how do i cancel my netflix subscription,out_of_scope
,what's the capital of australia,out_of_scope
,我头疼发烧，该吃什么药,out_of_scope
,talk to a real person please,talk_to_human
,I want to speak to an agent about my refund,refund_status
Where can I find the size chart for women's coats?,In centimeters too?,size_guide
我的信用卡结账时一直被拒。,为什么会这样？,payment_declined
What's the return window for clothing?,And for electronics?,return_item
订单100482能改收货地址吗？,订单100490呢？,change_delivery_address
退款什么时候到账？,没事了,goodbye
"""


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write(tmp_path_factory.mktemp("sweep"), "small.csv", SMALL)


@pytest.fixture(scope="module")
def swept(small: Path) -> Any:
    return run_json(str(small), "--bot", str(REPO), "--thresholds")


def _candidate(figures: Any, threshold: str, value: float | None = None) -> Any:
    sweep = next(s for s in figures["thresholds"] if s["threshold"] == threshold)
    if value is None:
        return next(c for c in sweep["candidates"] if c["current"])
    return next(c for c in sweep["candidates"] if c["value"] == value)


def test_the_current_values_row_is_a_plain_eval_run(small: Path, swept: Any) -> None:
    plain = run_json(str(small), "--bot", str(REPO))
    routes = dict(plain["routes"])
    for threshold in ("min_score", "direct_threshold", "direct_margin", "handoff_threshold"):
        now = _candidate(swept, threshold)
        assert (now["correct"], now["accuracy"]) == (plain["correct"], plain["accuracy"])
        assert now["out_of_scope_precision"] == plain["out_of_scope_precision"]
        assert now["out_of_scope_recall"] == plain["out_of_scope_recall"]
        assert now["direct"] == routes.get("direct", 0)
        assert now["handoff"] == routes.get("handoff", 0)
        assert now["no_facts"] == routes.get("out_of_scope", 0)
    varies = {"thresholds", "together", "build_seconds", "route_ms_median", "route_ms_p99"}
    same = [key for key in plain if key not in varies]
    assert {key: swept[key] for key in same} == {key: plain[key] for key in same}


@pytest.mark.parametrize("min_score", [0.1, 0.3])
def test_another_min_score_is_an_eval_run_with_it(
    small: Path, swept: Any, min_score: float
) -> None:
    """The follow-ups read with their previous message at 0.22 are read alone at 0.10:
    deciding from their first ranking alone gave another top-1."""
    plain = run_json(str(small), "--bot", str(REPO), "--min-score", str(min_score))
    candidate = _candidate(swept, "min_score", min_score)
    assert (candidate["correct"], candidate["out_of_scope_recall"]) == (
        plain["correct"],
        plain["out_of_scope_recall"],
    )
    assert candidate["no_facts"] == dict(plain["routes"]).get("out_of_scope", 0)


def test_a_higher_direct_threshold_never_answers_more_rows_directly(swept: Any) -> None:
    for threshold in ("direct_threshold", "direct_margin"):
        sweep = next(s for s in swept["thresholds"] if s["threshold"] == threshold)
        direct = [c["direct"] for c in sweep["candidates"]]  # in value order
        assert direct == sorted(direct, reverse=True)
        assert direct[0] > direct[-1]


def test_candidates_surround_the_current_value() -> None:
    assert candidate_values(0.22) == (
        0.0, 0.05, 0.1, 0.15, 0.2, 0.22, 0.25, 0.3, 0.35, 0.4
    )  # fmt: skip
    assert candidate_values(0.55)[0] == 0.35 and candidate_values(0.55)[-1] == 0.75
    assert candidate_values(0.95)[-1] == 1.0


def test_the_router_decides_with_decide_ranked() -> None:
    """What Router.route decides is decide_ranked of its ranking, which the sweep calls."""
    spec = load_bot(REPO)
    settings = spec.settings.routing
    router = Router(spec.intents, settings, spec.settings.languages)
    for row in read_labelled(REPO / "bench" / "example_bot" / "dev.csv")[:60]:
        routing = router.route(row.text)
        decided = decide_ranked(routing.ranked, settings, direct=routing.unspoken is None)
        assert decided == (routing.route, routing.matches, routing.handoff, routing.closest)


def test_cli_prints_a_table_per_threshold_and_a_suggestion(small: Path) -> None:
    code, output = run(str(small), "--bot", str(REPO), "--thresholds")
    assert code == 0, output
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("thresholds: "))
    assert lines[start].startswith(
        "thresholds: min_score 0.22, direct_threshold 0.55, direct_margin 0.25, "
        "handoff_threshold 0.35, top_k 3;"
    )
    headers = [
        line.split()[0]
        for line in lines
        if line.split()[1:2] in (["top-1"], ["answered"], ["handed"])
    ]
    assert headers == ["min_score", "direct_threshold", "direct_margin", "handoff_threshold"]
    assert "out-of-scope precision  recall  no facts" in output
    marked = [line.split()[0] for line in lines if line.lstrip().startswith("*")]
    assert marked == ["*0.22", "*0.55", "*0.25", "*0.35"]
    suggested = [line for line in lines if line.startswith("suggested ") and "together" not in line]
    assert [line.split()[1] for line in suggested] == [
        "min_score", "direct_threshold", "direct_margin", "handoff_threshold"
    ]  # fmt: skip
    assert all(": " in line for line in suggested)  # each with its reason
    assert "tune on one file" in lines[-1]


def test_without_thresholds_nothing_is_swept(small: Path) -> None:
    assert run_json(str(small), "--bot", str(REPO))["thresholds"] == []
    code, output = run(str(small), "--bot", str(REPO))
    assert code == 0 and "suggested" not in output


def test_evaluate_sweeps_only_when_asked() -> None:
    spec = load_bot(REPO)
    rows = read_labelled(REPO / "bench" / "example_bot" / "dev.csv")[:5]
    args = (rows, spec.intents, spec.settings.routing, spec.settings.languages)
    assert evaluate(*args).thresholds == ()
    assert len(evaluate(*args, thresholds=True).thresholds) == 4


@pytest.fixture(scope="module")
def dev_swept() -> Any:
    return run_json(str(REPO / "bench" / "example_bot" / "dev.csv"), "--bot", ".", "--thresholds")


def _suggested(figures: Any) -> dict[str, float]:
    return {sweep["threshold"]: sweep["suggested"] for sweep in figures["thresholds"]}


def test_no_suggested_value_makes_check_warn(dev_swept: Any) -> None:
    """On dev.csv, handoff_threshold 0.30 hands off no row wrongly, but check warns that the
    FAQ's own '客服工作时间' would go to a person (talk_to_human 0.32): it was suggested."""
    spec = load_bot(REPO)
    handoff = next(s for s in dev_swept["thresholds"] if s["threshold"] == "handoff_threshold")
    warned = {c["value"] for c in handoff["candidates"] if c["check_warns"]}
    assert 0.3 in warned and 0.35 not in warned
    for name, value in _suggested(dev_swept).items():
        changed = spec.settings.routing.model_copy(update={name: value})
        assert routing_warnings(spec, changed) == [], name
    assert handoff["suggested"] == 0.35 and "`servicebot check` warn" in handoff["reason"]


def test_a_lower_direct_value_needs_rows_enough(dev_swept: Any) -> None:
    """direct_threshold 0.35 answered 12 more dev rows directly, none wrongly, and was
    suggested; with direct_margin 0.05 (3 more rows) it gave test.csv two wrong answers."""
    suggested = _suggested(dev_swept)
    assert (suggested["direct_threshold"], suggested["direct_margin"]) == (0.55, 0.25)
    reason = next(s["reason"] for s in dev_swept["thresholds"] if s["threshold"] == "direct_margin")
    assert reason.startswith("3 more rows answered directly, none wrongly, are too few")


def test_a_lower_value_with_rows_enough_is_suggested() -> None:
    def candidate(value: float, direct: int, wrong: int = 0) -> Candidate:
        return Candidate(value, value == 0.5, 0, 0.0, None, None, 0, direct, wrong, 0, 0)

    rows = (candidate(0.4, 10 + EVIDENCE), candidate(0.45, 9 + EVIDENCE), candidate(0.5, 10))
    assert _least_costly("direct_threshold", 0.5, rows)[0] == 0.4
    wrong = (candidate(0.4, 11 + EVIDENCE, 1), candidate(0.45, 10 + EVIDENCE), candidate(0.5, 10))
    assert _least_costly("direct_threshold", 0.5, wrong)[0] == 0.45


def test_the_suggestions_together_are_an_eval_run_with_them(small: Path, swept: Any) -> None:
    """The suggested values are evaluated at once, as an eval run given them as options."""
    together = swept["together"]
    options = [
        (f"--{name.replace('_', '-')}", str(value)) for name, value in together["values"].items()
    ]
    plain = run_json(str(small), "--bot", str(REPO), *[part for pair in options for part in pair])
    routes = dict(plain["routes"])
    assert together["suggested"]["correct"] == plain["correct"]
    assert together["suggested"]["direct"] == routes.get("direct", 0)
    assert together["suggested"]["handoff"] == routes.get("handoff", 0)
    assert together["now"]["correct"] == run_json(str(small), "--bot", str(REPO))["correct"]


@pytest.mark.parametrize(
    ("option", "threshold", "value"),
    [
        ("--direct-threshold", "direct_threshold", 0.35),
        ("--direct-margin", "direct_margin", 0.05),
        ("--handoff-threshold", "handoff_threshold", 0.2),
    ],
)
def test_each_threshold_can_be_given_to_eval(
    small: Path, swept: Any, option: str, threshold: str, value: float
) -> None:
    plain = run_json(str(small), "--bot", str(REPO), option, str(value))
    candidate = _candidate(swept, threshold, value)
    routes = dict(plain["routes"])
    assert (candidate["direct"], candidate["handoff"]) == (
        routes.get("direct", 0),
        routes.get("handoff", 0),
    )
    code, output = run(str(small), "--bot", str(REPO), option, str(value))
    assert code == 0 and f"{threshold} {value}" in output


def test_cli_prints_the_suggestions_together(small: Path) -> None:
    code, output = run(str(small), "--bot", str(REPO), "--thresholds")
    assert code == 0, output
    together = next(line for line in output.splitlines() if line.startswith("suggested together"))
    assert together.startswith("suggested together (min_score ")
    assert "answered directly wrongly" in together and "; now top-1 " in together
