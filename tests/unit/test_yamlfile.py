import time
from pathlib import Path

import pytest
import yaml

from servicebot.errors import Problem
from servicebot.yamlfile import read_yaml
from servicebot.yamlsyntax import SAFE_LOADER
from tests.conftest import REPO


def _read(tmp_path: Path, content: str | bytes) -> tuple[object, list[Problem]]:
    path = tmp_path / "file.yaml"
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    problems: list[Problem] = []
    document = read_yaml(path, problems)
    return (document.data if document else None), problems


def test_libyaml_is_used_when_installed() -> None:
    assert SAFE_LOADER is getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def test_plain_yaml_loads(tmp_path: Path) -> None:
    data, problems = _read(tmp_path, "a: 1\nb: [x, y]\nc: {d: true}\n")
    assert data == {"a": 1, "b": ["x", "y"], "c": {"d": True}}
    assert problems == []


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    data, problems = _read(tmp_path, "\ufeffname: 客服\n".encode())
    assert data == {"name": "客服"} and problems == []


def test_every_duplicate_key_is_reported_and_loading_goes_on(tmp_path: Path) -> None:
    _, problems = _read(tmp_path, "a: 1\na: 2\nb:\n  c: 1\n  c: 2\n")
    assert [(p.line, p.column) for p in problems] == [(2, 1), (5, 3)]
    assert "duplicate key 'a'" in problems[0].message


def test_merge_keys_are_not_duplicates(tmp_path: Path) -> None:
    data, problems = _read(tmp_path, "base: &b {x: 1}\nthing:\n  <<: *b\n  y: 2\n")
    assert problems == [] and data["thing"] == {"x": 1, "y": 2}  # type: ignore[index]


def test_unsafe_tags_are_refused_without_running_anything(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    text = f"a: !!python/object/apply:os.system ['touch {marker}']\nb: !custom 3\n"
    _, problems = _read(tmp_path, text)
    assert not marker.exists()
    assert [p.line for p in problems] == [1, 2]
    assert "'!!python/object/apply:os.system' is not allowed" in problems[0].message


def test_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]")
    data, problems = _read(tmp_path, "\n".join(lines) + "\n")
    assert data is None
    assert problems[0].message.startswith("anchors and aliases expand this file beyond")


def test_node_at_finds_values_keys_and_falls_back_to_the_parent(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text("intents:\n  - name: a\n    examples:\n      - one\n      - two\n")
    document = read_yaml(path, [])
    assert document is not None

    def line(loc: tuple[str | int, ...], key: bool = False) -> int:
        node = document.node_at(loc, key=key)
        assert node is not None
        return node.start_mark.line + 1

    assert line(("intents", 0, "examples", 1)) == 5
    assert line(("intents", 0, "examples"), key=True) == 3
    assert line(("intents", 0, "answer")) == 2  # missing: its intent


TRICKY = """\
int: 42
negative: -7
float: 3.5
exp: 1e3
hex: 0x1F
yes_is_text_in_yaml_1_1: yes
bool: true
null_value: null
tilde: ~
empty:
date: 2024-05-01
quoted_number: "42"
single: 'it''s'
block: |
  line one
  line two
folded: >-
  folded
  text
flow: {a: [1, "2", three], b: {}}
plain multi: first
  second
chinese: 您好，世界
colon_in_value: "a: b"
version: 1.10
"""


@pytest.mark.parametrize("text", [TRICKY, *(p.read_text("utf-8") for p in REPO.glob("faq/*.yaml"))])
def test_fast_loading_gives_exactly_what_pyyaml_gives(tmp_path: Path, text: str) -> None:
    data, problems = _read(tmp_path, text)
    assert problems == []
    assert data == yaml.load(text, Loader=yaml.CSafeLoader)


def test_a_second_document_is_an_error(tmp_path: Path) -> None:
    _, problems = _read(tmp_path, "a: 1\n---\nb: 2\n")
    assert (problems[0].line, problems[0].message) == (
        2,
        "YAML syntax error: expected a single document in the stream, but found another document",
    )


def test_a_control_character_is_located(tmp_path: Path) -> None:
    _, problems = _read(tmp_path, "a: 1\nb: x\x00y\n")
    assert (problems[0].line, problems[0].column) == (2, 5)
    assert problems[0].message == "control character U+0000 is not allowed in YAML; remove it"


def test_lines_are_counted_as_an_editor_counts_them(tmp_path: Path) -> None:
    # libyaml also breaks lines at U+2028 and U+0085; editors (and operators) do not.
    _, problems = _read(tmp_path, 'a: "one\u2028two"\nb: 1\nb: 2\n')
    assert (problems[0].line, problems[0].source_line) == (3, "b: 2")


@pytest.mark.parametrize("line", ["\thello", "  -\thello", "  - \thello"])
def test_a_tab_in_the_indentation_or_after_a_dash_is_named(tmp_path: Path, line: str) -> None:
    _, problems = _read(tmp_path, f"examples:\n  - first\n{line}\n")
    assert [p.message for p in problems] == [
        "tab character: YAML indentation must use spaces, not tabs"
    ]
    assert problems[0].line == 3


def test_a_tab_after_a_document_marker_is_not_called_indentation(tmp_path: Path) -> None:
    _, problems = _read(tmp_path, "a: 1\n---\t\nb: 2\n")
    assert problems and "tab character" not in problems[0].message


@pytest.mark.parametrize(
    ("text", "loc", "where"),
    [
        ("a: &x one\nb: *x\n", ("b",), (2, 4)),
        ("a: &x one\nitems:\n  - two\n  - *x\n", ("items", 1), (4, 5)),
        ("items: [&x one, *x]\n", ("items", 1), (1, 17)),
        # Inside an alias: at the alias, where the value is copied (its parts are the
        # anchor's places); each item alike, not only the first.
        ("a: &x {k: v}\nb: *x\n", ("b", "k"), (2, 4)),
        ("a: &x [p, q, r]\nb: *x\n", ("b", 0), (2, 4)),
        ("a: &x [p, q, r]\nb: *x\n", ("b", 2), (2, 4)),
        ("a: &x [p, q, r]\nb: *x\n", ("a", 2), (1, 14)),
        ("a: &x one\nb: *x\n", ("a",), (1, 4)),
    ],
)
def test_a_value_written_as_an_alias_is_located_at_the_alias(
    tmp_path: Path, text: str, loc: tuple[str | int, ...], where: tuple[int, int]
) -> None:
    path = tmp_path / "file.yaml"
    path.write_text(text, encoding="utf-8")
    document = read_yaml(path, [])
    assert document is not None
    node = document.node_at(loc)
    assert node is not None
    problem = document.problem_at(node, "wrong")
    assert (problem.line, problem.column) == where


def test_text_that_starts_with_an_ampersand_is_not_cut_silently(tmp_path: Path) -> None:
    # YAML read "&Co" as an anchor's name and dropped it: the answer was "will help you".
    text = "answer:\n  en: &Co will help you.\nexamples:\n  - &amp tea\n  - &and coffee\n"
    _, problems = _read(tmp_path, text)
    assert [(p.line, p.column) for p in problems] == [(2, 7), (4, 5), (5, 5)]
    assert problems[0].message.startswith("text that starts with '&' must be in quotes")
    _, problems = _read(tmp_path, "examples:\n  - &amp tea\n  - &amp coffee\n")
    assert [(p.line, p.column) for p in problems] == [(3, 5)]
    assert "if this is text that starts with '&', put it in quotes" in problems[0].message
    text = (
        "a: &ship 'Shipping is free'\nb: &more\n  More text\nc: &x >-\n  Folded\nd: *ship\n"
        "max_tokens: &reply 400\nreply_reserve: *reply\ne: &contact Call us\nf: *contact\n"
    )  # before quoted or block text, alone on its line, or used by an alias
    data, problems = _read(tmp_path, text)
    assert problems == [] and data == {
        "a": "Shipping is free",
        "b": "More text",
        "c": "Folded",
        "d": "Shipping is free",
        "max_tokens": 400,
        "reply_reserve": 400,
        "e": "Call us",
        "f": "Call us",
    }


@pytest.mark.parametrize("mark", [">", "|", ">-"])
def test_text_that_starts_with_a_block_mark_is_named(tmp_path: Path, mark: str) -> None:
    _, problems = _read(tmp_path, f"examples:\n  - where is it\n  - {mark} quoted text\n")
    assert [(p.line, p.column) for p in problems] == [(3, 5)]
    assert problems[0].message.startswith(f"text that starts with '{mark[0]}' must be in quotes")


@pytest.mark.parametrize("mark", ["|0", ">10"])
def test_a_block_mark_with_a_bad_indentation_digit_is_not_called_text(
    tmp_path: Path, mark: str
) -> None:
    _, problems = _read(tmp_path, f"examples:\n  - {mark}\n    text below\n")
    assert len(problems) == 1 and "must be in quotes" not in problems[0].message


def test_a_full_width_comma_is_an_error_in_a_list_of_one_item_and_said_once(
    tmp_path: Path,
) -> None:
    for text in ("x: [退货，退款]\n", "x: [[退货，退款]]\n"):  # a list around it: still once
        _, problems = _read(tmp_path, text)
        assert [p.message.split(":")[0] for p in problems] == [
            "full-width comma '，' between items"
        ]
    for text in ("x: [你好，请问, coupon]\n", "x: {a: 退货，退款}\n"):  # text, not separators
        assert _read(tmp_path, text)[1] == []


_TWO_INTENTS = """intents:
  - name: first
    examples: [a]
{second}
    examples: [b]
"""


@pytest.mark.parametrize("second", [" - name: second", "   - name: second"])
def test_a_list_item_indented_wrongly_is_blamed_not_the_line_below_it(
    tmp_path: Path, second: str
) -> None:
    _, [problem] = _read(tmp_path, _TWO_INTENTS.format(second=second))
    assert (problem.line, problem.column) == (4, second.index("-") + 1)  # PyYAML says line 5
    assert problem.message == (
        "this list item is indented differently from the one on line 2: line its '- ' up "
        "with that one's"
    )


def test_a_line_indented_wrongly_under_a_sound_list_item_is_blamed_itself(
    tmp_path: Path,
) -> None:
    text = _TWO_INTENTS.format(second="  - name: second").replace("    examples: [b]", "     x: 1")
    _, [problem] = _read(tmp_path, text)
    assert problem.line == 5 and "check this line's indentation" in problem.message


def test_an_item_placed_as_another_of_its_key_is_not_blamed(tmp_path: Path) -> None:
    """One intent's few-shot items indented under their key, another's not: both are sound,
    so the line that is wrong is the over-indented one below."""
    text = (
        "intents:\n  - name: first\n    few_shot:\n    - user: hi\n      assistant: hello\n"
        "  - name: second\n    few_shot:\n      - user: hey\n          assistant: there\n"
    )
    _, [problem] = _read(tmp_path, text)
    assert problem.line == 9 and "check this line's indentation" in problem.message


def test_a_list_item_joined_onto_the_one_above_names_that_line(tmp_path: Path) -> None:
    """The first item written one space short joins the next onto it: the next is the one
    blamed, though it lines up with all the others, so the message names the line above."""
    text = "examples:\n - how do i return something\n  - i want to return an item\n  - a\n"
    _, [problem] = _read(tmp_path, text)
    assert (problem.line, problem.column) == (3, 3)
    assert problem.message == (
        "this list item is indented further than the one on line 2, so YAML joined it onto "
        "that item's text: line their '- ' up"
    )


def test_a_file_whose_only_syntax_mistakes_are_full_width_colons_is_read_as_mended(
    tmp_path: Path,
) -> None:
    text = "a：\n  b: 1\nc：d\n"
    data, problems = _read(tmp_path, text)
    assert data == {"a": {"b": 1}, "c": "d"}  # so that what it says can be checked too
    assert [(p.line, p.column, p.source_line) for p in problems] == [(1, 2, "a："), (3, 2, "c：d")]
    data, problems = _read(tmp_path, text + "e: [\n")  # another mistake: the content is unknown
    assert data is None and len(problems) == 3


def test_keys_that_read_as_one_are_named_as_written(tmp_path: Path) -> None:
    _, problems = _read(tmp_path, "a:\n  1: x\n  yes: y\nb:\n  yes: x\n  yes: y\n")
    assert [(p.line, p.message) for p in problems] == [
        (
            3,
            "key 'yes' reads as the same key as '1' on line 2, so the later value would "
            "silently win: put the keys in quotes to keep them apart",
        ),
        (6, "duplicate key 'yes': the later value would silently win"),
    ]


def test_a_long_run_of_spaces_after_a_mended_colon_is_read_quickly(tmp_path: Path) -> None:
    # The text after a full-width colon is read for a comment: a run of blanks once, not once
    # for each blank in it (100,000 spaces took 10 s).
    spaces = " " * 100_000
    started = time.monotonic()
    _, problems = _read(tmp_path, f"description： Note: see{spaces}x # why\n")
    assert time.monotonic() - started < 2
    assert problems[1].message.endswith(f'description: "Note: see{spaces[:51]}…"')


def test_a_tab_indenting_the_line_after_block_text_is_named_at_its_line(tmp_path: Path) -> None:
    # libyaml reports it "while scanning a block scalar", marked at the '>-' lines above: the
    # operator was sent to a correct '>-' and told to quote it.
    content = "intents:\n  - name: a\n    answer: >-\n      Refunds take 2 days.\n\n\t- name: b\n"
    _, problems = _read(tmp_path, content)
    assert [(p.line, p.message) for p in problems][:1] == [
        (6, "tab character: YAML indentation must use spaces, not tabs")
    ]
