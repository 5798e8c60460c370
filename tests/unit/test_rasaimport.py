"""``servicebot init --from-rasa``: a Rasa 3 project's intents, examples and answers as a bot
that passes ``check`` and routes Rasa's own examples to their intents, with what could not be
converted listed at its file and line; and ``servicebot eval`` on Rasa's NLU test file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from servicebot import load_bot
from servicebot.cli import main
from servicebot.rasaimport import import_rasa, rasa_examples
from servicebot.routing import Router

RASA = Path(__file__).parents[1] / "data" / "rasa"


@pytest.fixture
def converted(tmp_path: Path) -> tuple[Path, str]:
    """A bot made from the Rasa fixture, and what init printed."""
    target = tmp_path / "from_rasa"
    result = CliRunner().invoke(main, ["init", str(target), "--from-rasa", str(RASA)])
    assert result.exit_code == 0, result.output
    return target, result.output


def test_the_converted_bot_passes_check(converted: tuple[Path, str]) -> None:
    target, _ = converted
    checked = CliRunner().invoke(main, ["check", str(target)])
    assert checked.exit_code == 0, checked.output
    assert "6 intents, 19 examples" in checked.output
    assert not (target / "tests" / "conversations").exists()  # the example's, of its intents


def test_the_converted_bot_routes_the_rasa_examples_to_their_intents(
    converted: tuple[Path, str],
) -> None:
    spec = load_bot(converted[0])
    router = Router(spec.intents, spec.settings.routing, spec.settings.languages)
    taken = {intent.name for intent in spec.intents}
    for text, intent, _ in rasa_examples(RASA / "data" / "nlu.yml"):
        if intent in taken:
            assert router.route(text).matches[0].intent.name == intent, text


def test_examples_lose_their_entity_annotations_and_answers_are_the_first_text(
    converted: tuple[Path, str],
) -> None:
    faq = yaml.safe_load((converted[0] / "faq" / "rasa.yaml").read_text(encoding="utf-8"))
    intents = {intent["name"]: intent for intent in faq["intents"]}
    assert "how long does delivery to Berlin take" in intents["shipping_time"]["examples"]
    assert "when will my parcel arrive in Munich" in intents["shipping_time"]["examples"]
    assert "can I send a jacket back" in intents["return_item"]["examples"]
    assert "可以用支付宝付款吗" in intents["payment_methods"]["examples"]
    assert intents["greet"]["answer"] == "Hi! How can I help?"  # the first of two variants
    # the conditional variant is passed over for the first plain one
    assert intents["shipping_time"]["answer"] == "Delivery takes 2-4 business days in Germany."
    # a custom action's intent is kept, for a person to answer
    assert intents["check_order_status"]["handoff"] is True
    # affirm answers only after a return, in a story: not an answer of its own
    assert "affirm" not in intents


def test_what_was_not_converted_is_listed_at_its_file_and_line(
    converted: tuple[Path, str],
) -> None:
    output = converted[1]
    domain, nlu, rules = RASA / "domain.yml", RASA / "data" / "nlu.yml", RASA / "data" / "rules.yml"
    for expected in (
        f"{domain}:4: slot 'vip' not converted",
        f"{domain}:9: form 'order_form' not converted",
        f"{domain}:34: custom action 'action_check_order_status' not converted",
        f"{domain}:14: utter_greet: another variant not converted: 'Hello there!'",
        f"{domain}:18: utter_shipping_time: a conditional variant not converted",
        f"{domain}:27: utter_payment_methods: buttons not converted",
        f"{nlu}:38: synonym 'PayPal' not converted",
        f"{nlu}:36: intent 'affirm' not converted",
        f"{rules}:10: intent 'check_order_status' ran 'action_check_order_status'",
    ):
        assert expected in output, expected


def test_a_phrasing_two_intents_share_goes_to_the_first(tmp_path: Path) -> None:
    (tmp_path / "nlu.yml").write_text(
        "nlu:\n- intent: a\n  examples: |\n    - hello there\n"
        "- intent: b\n  examples: |\n    - Hello there!\n    - good day\n"
        "responses:\n  utter_a:\n  - text: A.\n  utter_b:\n  - text: B.\n"
        "rules:\n- steps:\n  - intent: a\n  - action: utter_a\n"
        "- steps:\n  - intent: b\n  - action: utter_b\n",
        encoding="utf-8",
    )
    result = import_rasa(tmp_path)
    assert [intent["examples"] for intent in result.intents] == [["hello there"], ["good day"]]
    assert any(
        "'Hello there!' left out of 'b': it is already an example of 'a'" in str(note)
        for note in result.notes
    )


def test_a_folder_with_no_nlu_data_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["init", str(tmp_path / "x"), "--from-rasa", str(tmp_path)])
    assert result.exit_code == 1
    assert "no Rasa NLU data here" in result.output
    assert not (tmp_path / "x").exists()


def test_eval_reads_a_rasa_nlu_test_file(converted: tuple[Path, str]) -> None:
    test_file = RASA / "tests" / "test_nlu.yml"
    result = CliRunner().invoke(main, ["eval", str(test_file), "--bot", str(converted[0])])
    assert result.exit_code == 0, result.output
    assert "top-1 accuracy  1.0000 (2 of 2 rows)" in result.output


def _project(folder: Path, nlu: str, domain: str = "") -> Path:
    """A Rasa project in ``folder``: ``data/nlu.yml`` and ``domain.yml``."""
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "nlu.yml").write_text(nlu, encoding="utf-8")
    (folder / "domain.yml").write_text(domain, encoding="utf-8")
    return folder


def test_intents_whose_names_collide_once_converted_get_their_own_names(tmp_path: Path) -> None:
    named = [("faq/ask", "hi"), ("faq_ask", "where is it"), ("問候", "你好"), ("'!!!'", "bang")]
    nlu = "".join(f"- intent: {name}\n  examples: |\n    - {text}\n" for name, text in named)
    domain = "responses:\n" + "".join(
        f"  utter_{name}:\n  - text: {answer}\n"
        for name, answer in [("faq/ask", "A"), ("faq_ask", "B"), ("問候", "C"), ("!!!", "D")]
    )
    project = _project(tmp_path / "rasa", "nlu:\n" + nlu, domain)
    target = tmp_path / "bot"
    result = CliRunner().invoke(main, ["init", str(target), "--from-rasa", str(project)])
    assert result.exit_code == 0, result.output  # was a traceback: "defined twice"
    names = {intent.name: intent.answer["*"] for intent in load_bot(target).intents}
    assert names == {"faq_ask": "A", "faq_ask_2": "B", "intent": "C", "intent_2": "D"}
    assert "intent 'faq_ask' renamed 'faq_ask_2': an intent converted before has its" in (
        result.output
    )


def test_a_project_with_no_intent_to_convert_is_refused_with_why(tmp_path: Path) -> None:
    project = _project(tmp_path / "rasa", "nlu:\n- intent: greet\n  examples: |\n    - hi\n")
    target = tmp_path / "bot"
    result = CliRunner().invoke(main, ["init", str(target), "--from-rasa", str(project)])
    assert result.exit_code == 1, result.output  # was a traceback: 'intents' needs 1 item
    nlu = project / "data" / "nlu.yml"
    assert f"{nlu}:4: intent 'greet' not converted: no rule or story answers it" in result.output
    assert f"{project}: no intent could be converted" in result.output
    assert not target.exists()


def test_a_converted_bot_that_does_not_load_is_said_at_its_line(tmp_path: Path) -> None:
    answer = "x" * 30_000
    nlu = "nlu:\n- intent: greet\n  examples: |\n    - hi\n"
    project = _project(tmp_path / "rasa", nlu, f"responses:\n  utter_greet:\n  - text: {answer}\n")
    target = tmp_path / "bot"
    result = CliRunner().invoke(main, ["init", str(target), "--from-rasa", str(project)])
    assert result.exit_code == 1 and result.exception is not None
    assert isinstance(result.exception, SystemExit), result.exception  # not a traceback
    assert f"{target / 'faq' / 'rasa.yaml'}:6:13: 'answer' is 30,000 characters" in result.output


@pytest.mark.parametrize(
    ("name", "content", "said"),
    [
        ("out.yml", "outside", "a link to a file outside its folder"),
        ("latin1.yml", b"nlu:\n- intent: a\n  examples: |\n    - caf\xe9\n", ":4:10: not UTF-8"),
        ("bell.yml", b"nlu:\n- intent: a\n  examples: |\n    - a\x07b\n", ":4:8: control char"),
    ],
)
def test_a_file_the_bots_own_files_could_not_be_is_refused_at_its_line(
    tmp_path: Path, name: str, content: object, said: str
) -> None:
    project = _project(tmp_path / "rasa", "nlu:\n- intent: greet\n  examples: |\n    - hi\n")
    path = project / "data" / name
    if content == "outside":
        (tmp_path / "secret.yml").write_text("nlu:\n- intent: pw\n  examples: |\n    - x\n")
        path.symlink_to(tmp_path / "secret.yml")
    else:
        assert isinstance(content, bytes)
        path.write_bytes(content)
    result = CliRunner().invoke(main, ["init", str(tmp_path / "b"), "--from-rasa", str(project)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert f"{path}{'' if said.startswith(':') else ': '}{said}" in result.output


def test_intents_answered_with_one_response_get_its_first_unconditional_text(
    tmp_path: Path,
) -> None:
    nlu = "nlu:\n- intent: hours\n  examples: |\n    - when are you open\n"
    nlu += "- intent: opening\n  examples: |\n    - are you open on sunday\n"
    domain = (
        "responses:\n  utter_hours:\n"
        "  - condition:\n    - type: slot\n      name: vip\n      value: true\n"
        "    text: VIP lounge opens at 8.\n"
        "  - text: We open at 10.\n"
    )
    project = _project(tmp_path / "rasa", nlu, domain)
    rules = "rules:\n- steps:\n  - intent: hours\n  - action: utter_hours\n"
    rules += "- steps:\n  - intent: opening\n  - action: utter_hours\n"
    (project / "data" / "rules.yml").write_text(rules, encoding="utf-8")
    answers = {intent["name"]: intent["answer"] for intent in import_rasa(project).intents}
    # the second was the conditional 'VIP lounge opens at 8.', for a customer who is no VIP
    assert answers == {"hours": "We open at 10.", "opening": "We open at 10."}


def _lines_holding(path: Path, text: str) -> list[int]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [number for number, line in enumerate(lines, 1) if text in line]


def test_a_converted_bot_is_named_from_its_project_and_lists_the_example_shop_left_in_it(
    tmp_path: Path,
) -> None:
    nlu = "nlu:\n- intent: greet\n  examples: |\n    - hi\n"
    project = _project(tmp_path / "acme", nlu, "responses:\n  utter_greet:\n  - text: Hi!\n")
    (project / "config.yml").write_text("recipe: default.v1\nassistant_id: Acme Outdoor\n")
    target = tmp_path / "bot"
    result = CliRunner().invoke(main, ["init", str(target), "--from-rasa", str(project)])
    assert result.exit_code == 0, result.output
    settings, handoff = target / "servicebot.yaml", target / "templates" / "handoff.j2"
    assert load_bot(target).settings.name == "Acme Outdoor"  # was "Maple Market support"
    named = _lines_holding(settings, "name: Acme Outdoor")[0]
    assert f"Named it 'Acme Outdoor', from config.yml's assistant_id ({settings}:{named})" in (
        result.output
    )
    # offline, handoff.j2 gives Maple Market's hours and phone: each such line is listed
    listed = [(settings, _lines_holding(settings, key)[0]) for key in ("phone:", "email:")]
    listed += [(settings, _lines_holding(settings, "Maple Market")[0])]
    listed += [(handoff, line) for line in _lines_holding(handoff, "09:00-18:00")]
    assert len(listed) == 5
    for path, line in listed:
        assert f"\n  {path}:{line}: " in result.output, (path, line)
    assert "To edit by hand (" in result.output


@pytest.mark.parametrize(
    ("config", "name"),
    [
        (None, "shop-bot"),
        ("assistant_id: placeholder_default\n", "shop-bot"),  # Rasa's, until someone names it
        ("assistant_id: 20230405-114328-tranquil-mustard\n", "shop-bot"),  # one rasa train made
        ("assistant_id: '#1 shop: help'\n", "#1 shop: help"),  # written back quoted
    ],
)
def test_a_project_with_no_assistant_id_of_its_own_names_the_bot_after_its_folder(
    tmp_path: Path, config: str | None, name: str
) -> None:
    nlu = "nlu:\n- intent: greet\n  examples: |\n    - hi\n"
    project = _project(tmp_path / "shop-bot", nlu, "responses:\n  utter_greet:\n  - text: Hi!\n")
    if config is not None:
        (project / "config.yml").write_text(config, encoding="utf-8")
    target = tmp_path / "bot"
    result = CliRunner().invoke(main, ["init", str(target), "--from-rasa", str(project)])
    assert result.exit_code == 0, result.output
    assert load_bot(target).settings.name == name


def test_a_response_that_looks_like_a_templates_line_is_said_not_mapped(tmp_path: Path) -> None:
    nlu = "nlu:\n- intent: greet\n  examples: |\n    - hi\n"
    domain = "responses:\n  utter_greet:\n  - text: Hi!\n  utter_default:\n  - text: Sorry?\n"
    domain += "  utter_handoff:\n  - text: Passing you on.\n"
    project = _project(tmp_path / "rasa", nlu, domain)
    notes = [str(note) for note in import_rasa(project).notes]
    domain_file = project / "domain.yml"
    for line, template in ((4, "out_of_scope.j2"), (6, "handoff.j2")):
        assert any(
            note.startswith(f"{domain_file}:{line}: response '")
            and f"templates/{template} says the bot's own line in its place" in note
            for note in notes
        ), (template, notes)


@pytest.mark.parametrize(
    "intent", ["talk_to_human", "human_handoff", "agent", "speak_to_agent", "requestHuman"]
)
def test_an_intent_that_looks_like_asking_for_a_person_is_noted_not_marked(
    tmp_path: Path, intent: str
) -> None:
    nlu = "nlu:\n- intent: greet\n  examples: |\n    - hi\n"
    nlu += f"- intent: {intent}\n  examples: |\n    - can I talk to a real person\n"
    domain = f"responses:\n  utter_greet:\n  - text: Hi!\n  utter_{intent}:\n"
    domain += "  - text: Let me find someone.\n"
    project = _project(tmp_path / "rasa", nlu, domain)
    result = import_rasa(project)
    intents = {converted["name"]: converted for converted in result.intents}
    assert "handoff" not in intents[intent]  # the team's to decide, not the import's
    notes = [str(note) for note in result.notes]
    assert (
        f"{project / 'data' / 'nlu.yml'}:7: intent '{intent}' looks like a request for a "
        "person: mark it `handoff: true` if it is"
    ) in notes
    assert not any("'greet' looks like" in note for note in notes)
