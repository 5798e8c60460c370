import shutil
import unicodedata
from pathlib import Path

from hypothesis import example, given
from hypothesis import strategies as st

from servicebot.filters.normalise import (
    _CLUSTER,
    Masks,
    _normalise_cluster,
    _normalise_with_offsets,
    normalise,
    normalise_without,
    shows_nothing,
)
from servicebot.filters.traditional import (
    _t2s,
    fold_traditional,
    folds,
    opencc_t2s,
    t2s_table,
    writes_traditional,
)
from tests.conftest import REPO, run_python


def test_plain_text_is_left_alone() -> None:
    assert normalise("Where is my order 100482?").text == "Where is my order 100482?"


def test_full_width_zero_width_and_odd_spaces_are_normalised() -> None:
    assert normalise("ｓｋ-ｋｅｙ１２３").text == "sk-key123"
    assert normalise("傻\u200b逼").text == "傻逼"
    assert normalise("4111\u00a01111\u3000\u30002222").text == "4111 1111 2222"
    assert normalise("我的手机号是１３８，谢谢！").text == "我的手机号是138,谢谢!"
    assert normalise("e\u0301").text == "\u00e9"  # composed by NFKC


def test_escape_and_bell_separate_words_and_what_a_sequence_holds_stays_visible() -> None:
    assert normalise("\x1b]0;title\x07where is my order").text == " ]0;title where is my order"
    assert normalise("\x1b[1;31mrefund\x1b[0m please").text == " [1;31mrefund [0m please"
    typed = "\x1b]4111 1111 1111 1111"
    normalised = normalise(typed)
    assert normalised.original_span(2, 21) == (2, 21)  # the card, where the customer typed it


def test_spans_map_back_to_the_characters_the_customer_typed() -> None:
    typed = "call me on ＋８６ １３８\u200b１２３４\u00a05678 please"
    normalised = normalise(typed)
    start = normalised.text.index("+86")
    end = normalised.text.index("5678") + 4
    original_start, original_end = normalised.original_span(start, end)
    assert typed[original_start:original_end] == "＋８６ １３８\u200b１２３４\u00a05678"


# Plain st.text() seldom draws combining marks, zero-width or full-width characters.
TRICKY = (
    st.text(
        alphabet=st.sampled_from(
            "ab ÉéＡ１\u0301\u200b\t\n\u3000傻逼訂單发貨薴苧\uf936!-.\x1b[]\x07\ufdd0\U0002f800"
        )
    )
    | st.text()
)


@given(TRICKY)
def test_the_fast_paths_agree_with_the_careful_one(text: str) -> None:
    assert normalise(text).text == _normalise_with_offsets(text).text


@given(TRICKY)
def test_the_careful_path_normalises_each_cluster_on_its_own(text: str) -> None:
    """All clusters are normalised at once, joined by U+FDD0 (a text may hold it too): the
    same as a cluster at a time, each character mapped to the cluster it came from."""
    chars: list[str] = []
    spans: list[tuple[int, int]] = []
    for match in _CLUSTER.finditer(text):
        for char in _normalise_cluster(match.group()):
            if char == " " and chars and chars[-1] == " ":
                spans[-1] = (spans[-1][0], match.end())
                continue
            chars.append(char)
            spans.append(match.span())
    normalised = _normalise_with_offsets(text)
    assert normalised.text == "".join(chars)
    assert [normalised.original_span(i, i + 1) for i in range(len(chars))] == spans


@given(TRICKY)
def test_a_text_shows_nothing_exactly_when_it_normalises_to_spaces(text: str) -> None:
    assert shows_nothing(text) == (not normalise(text).text.strip())


@given(TRICKY)
def test_every_character_maps_back_inside_the_original(text: str) -> None:
    normalised = normalise(text)
    for i in range(len(normalised.text)):
        start, end = normalised.original_span(i, i + 1)
        assert 0 <= start < end <= len(text)
    assert normalised.original_span(0, len(normalised.text))[1] <= len(text)


@given(TRICKY)
@example("a\u200b\u0301")  # the accent composes with its letter once the space is gone
@example("\uff76\uff9e")  # half-width ka and voicing mark: one full-width ga
def test_normalising_twice_changes_nothing_more(text: str) -> None:
    once = normalise(text).text
    assert normalise(once).text == once


# Traditional Chinese


def test_traditional_characters_read_as_simplified_one_for_one() -> None:
    typed = "我的訂單發貨了嗎？"
    normalised = normalise(typed)
    assert normalised.text == "我的订单发货了吗?"
    assert normalised.original_span(2, 4) == (2, 4)  # 订单 is the customer's 訂單
    assert normalise("乾隆").text == "干隆"  # characters only: no phrase sees its neighbour


def test_traditional_folding_keeps_offsets_through_the_careful_path() -> None:
    typed = "電話：\u200b１３８ ００１３ ８０００，謝謝"
    normalised = normalise(typed)
    assert normalised.text == "电话:138 0013 8000,谢谢"
    start = normalised.text.index("138")
    masks = Masks(normalised)
    masks.add(start, start + len("138 0013 8000"), "[PHONE_1]")
    assert masks.apply() == "電話：\u200b[PHONE_1]，謝謝"


def test_a_compatibility_ideograph_is_unified_then_folded() -> None:
    assert unicodedata.normalize("NFKC", "\uf936") == "虜"
    assert normalise("\uf936").text == "虏"


def test_the_table_maps_characters_to_characters_and_settles_at_once() -> None:
    table = t2s_table()
    assert len(table) > 3_000  # OpenCC's TSCharacters, from the installed package
    assert all(len(simple) == 1 for simple in table.values())
    assert not {ord(simple) for simple in table.values()} & table.keys()  # folding is idempotent
    assert fold_traditional("薴") == fold_traditional("苧") == "苎"  # a chain, followed to its end
    assert fold_traditional("Where is my 訂單?") == "Where is my 订单?"


def test_folding_skips_only_text_with_nothing_to_fold() -> None:
    """Text with no character to fold is returned without a translate (a regex of the BMP ones
    finds them; a text with an astral character is translated): the result is the translate's."""
    table = t2s_table()
    astral = next(chr(code) for code in table if code > 0xFFFF)
    for text in ("abc", "你好，订单号", "訂單", "帐号", f"你好{astral}", "\U00020001 x", "ｏｋ"):
        assert fold_traditional(text) == text.translate(table), text


def test_folding_text_without_an_ideograph_returns_it_and_fills_in_nothing() -> None:
    # English with a curly apostrophe, Cyrillic, Glagolitic: a search finds no ideograph, so
    # no character is looked up one by one, nor kept in the table.
    text = "It’s заказ ⰀⰁ done"
    before = len(folds())
    assert fold_traditional(text) is text
    assert len(folds()) == before


def test_telling_traditional_text_skips_the_translate_only_when_it_would_find_nothing() -> None:
    table = _t2s()
    astral = next(chr(code) for code in table if code > 0xFFFF)
    for text in ("abc", "你好，订单号", "訂單", "帐号", "帳號", f"你好{astral}", "\U00020001 x"):
        assert writes_traditional(text) == (text.translate(table) != text), text


def test_characters_folded_as_met_are_folded_as_the_whole_table_folds_them() -> None:
    table, met = t2s_table(), folds()
    others = [0x41, 0x4E00, 0x4E01, 0x3400, 0x9FFF, 0x20000, 0x323AF, 0x1F600]  # kept as typed
    assert all(met[code] == table.get(code, chr(code)) for code in [*table, *others])
    assert not {code for code in _t2s() if code <= 0xFFFF} ^ {
        code for code in range(0x3400, 0xA000) if writes_traditional(chr(code))
    }


def test_the_shipped_table_is_what_the_installed_opencc_gives() -> None:
    # servicebot/filters/t2s.txt is OpenCC's table written down; an opencc upgrade that
    # changes a character fails here until scripts/t2s_table.py writes it again.
    shipped, converted = _t2s(), opencc_t2s()
    changed = sorted(chr(c) for c in shipped.keys() ^ converted.keys()) or sorted(
        chr(c) for c in shipped if shipped[c] != converted[c]
    )
    assert not changed, f"run scripts/t2s_table.py: OpenCC folds {changed[:20]} otherwise"
    assert len(shipped) > 4_000


def test_chinese_text_with_nothing_to_fold_is_returned_without_a_translate() -> None:
    # A Chinese message rarely has a traditional character; a translate looked each of its
    # characters up (5 us of the pre-filter's 100 on an 80-character message).
    text = "你好，我上周买了一个搅拌机，订单号是100482。"
    assert fold_traditional(text) is text
    assert fold_traditional(text + "訂") == text + "订"


def test_checking_a_bilingual_bot_reads_the_shipped_table_and_never_opencc() -> None:
    # Converting every ideograph through OpenCC (about 50 ms) was a tenth of `servicebot
    # check` on the example bot, and importing OpenCC to fold the few hundred characters it
    # meets took time too; the shipped table is read in about 1 ms.
    code = (
        "import sys\n"
        "from servicebot.cli import main\n"
        "from servicebot.filters import traditional\n"
        "main(['check'], standalone_mode=False)\n"
        "print('opencc' in sys.modules, traditional._foldable.cache_info().currsize)\n"
    )
    output = run_python(code).splitlines()
    assert output[0].startswith("ok: Maple Market support"), output
    assert output[-1] == "False 0"


def test_both_ways_of_writing_account_read_as_one() -> None:
    assert {normalise(text).text for text in ("帳號", "帐号", "账号", "賬號")} == {"账号"}
    assert writes_traditional("帳號") and not writes_traditional("帐号")


def test_importing_normalise_and_checking_an_english_bot_do_not_build_the_table(
    tmp_path: Path,
) -> None:
    # A bot with Chinese phrasings reads the fold table in `check`, to compare phrasings
    # across scripts as routing reads them; an English bot never does.
    shutil.copytree(REPO / "templates", tmp_path / "templates")
    (tmp_path / "faq").mkdir()
    (tmp_path / "faq" / "orders.yaml").write_text(
        "intents:\n  - name: order_status\n    examples: [where is my order]\n"
        "    answer: Track it from your account.\n",
        encoding="utf-8",
    )
    contact = "{phone: +1 800-555-0199, email: a@shop.example, website: https://shop.example}"
    settings = f"name: Shop\nlanguages: [en]\ncontact: {contact}\n"
    (tmp_path / "servicebot.yaml").write_text(settings, encoding="utf-8")
    code = (
        "import sys\n"
        "from servicebot.cli import main\n"
        f"main(['check', {str(tmp_path)!r}], standalone_mode=False)\n"
        "from servicebot.filters.normalise import normalise\n"
        "normalise('plain  ASCII\\x07 text')\n"
        "from servicebot.filters import traditional\n"
        "print('opencc' in sys.modules, traditional._t2s.cache_info().currsize)\n"
    )
    output = run_python(code).splitlines()
    assert output[0].startswith("ok: Shop: 1 intent, 1 example"), output
    assert output[-1] == "False 0"


@given(st.text(alphabet=" \n\t\u3000\u00a0ab"))
def test_space_runs_are_the_runs_of_the_plain_pattern(text: str) -> None:
    """The space-run pattern starts with a set so that re skips ahead in C; it must find what
    the plain "two or more spaces, or one odd space" finds."""
    import re

    from servicebot.filters.normalise import _SPACE_RUN

    plain = re.compile(r"[^\S\n]{2,}|[^\S\n ]")
    assert [m.span() for m in _SPACE_RUN.finditer(text)] == [m.span() for m in plain.finditer(text)]


def test_merged_masks_become_one_replaced_as_the_first_was() -> None:
    masks = Masks(normalise("card 4242 4242 0044 7911 1234 ok"))
    assert masks.add(15, 29, "[removed]")
    assert not masks.add(5, 29, "[other]")  # refused, without merge
    assert masks.add(5, 29, "[other]", merge=True)
    assert masks.apply() == "card [removed] ok"


@given(TRICKY, st.lists(st.integers(0, 40), max_size=6))
def test_text_normalised_without_spans_maps_back_outside_them(text: str, cuts: list[int]) -> None:
    edges = sorted({min(cut, len(text)) for cut in cuts})
    spans = list(zip(edges[::2], edges[1::2], strict=False))
    view = normalise_without(text, spans)
    assert view.text == normalise("".join(_outside(text, spans))).text
    for i in range(len(view.text)):
        start, end = view.original_span(i, i + 1)
        assert 0 <= start < end <= len(text)
        assert not any(a <= start and end <= b for a, b in spans if a < b)


def _outside(text: str, spans: list[tuple[int, int]]) -> list[str]:
    pieces, position = [], 0
    for start, end in spans:
        pieces.append(text[position:start])
        position = end
    return [*pieces, text[position:]]


def test_every_decimal_digit_outside_ascii_reads_as_its_ascii_digit() -> None:
    """The table ``re``'s \\d builds is exactly Unicode's decimal digits (category Nd)."""
    from servicebot.filters.normalise import _DASHES, _dashes_and_digits

    digits = (chr(code) for code in range(0x80, 0x20000))
    native = {
        ord(c): str(unicodedata.decimal(c)) for c in digits if unicodedata.category(c) == "Nd"
    }
    assert _dashes_and_digits() == _DASHES | native
    assert normalise("٤١١١ ४१११").text == "4111 4111"


def test_folding_keeps_no_entry_for_each_astral_character_a_customer_sends() -> None:
    # The fold table fills in as text meets it; a customer sending every code point of the
    # private-use planes must not grow it (and the process) by one entry each.
    text = "".join(map(chr, range(0xF0000, 0xF4000)))
    before = len(folds())
    assert fold_traditional(text) == text
    assert len(folds()) == before
