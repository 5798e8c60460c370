import os
import random
from pathlib import Path

import pytest

from servicebot.errors import Problem
from servicebot.source import MAX_FILE_BYTES, decode_typed, read_text


def _read(path: Path) -> tuple[str | None, list[Problem]]:
    problems: list[Problem] = []
    source = read_text(path, problems)
    return (source.text if source else None), problems


def test_utf8_is_read_and_a_byte_order_mark_dropped(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_bytes("\ufeffname: 客服\n".encode())
    assert _read(path) == ("name: 客服\n", [])


def test_oversized_file_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    with path.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)
    text, problems = _read(path)
    assert text is None
    assert problems[0].message == (
        "file is over the size limit of 5 MB: split it into several files"
    )


@pytest.mark.parametrize(
    ("name", "advice"),
    [
        ("faq/returns/big.yaml", "split it into several files (the faq/ folder reads them all)"),
        ("templates/system.j2", "move parts of it into other templates and {% include %} them"),
        ("faq/servicebot.yaml", "split it into several files"),  # a bot kept in /srv/faq
    ],
)
def test_an_oversized_file_is_told_how_to_split(tmp_path: Path, name: str, advice: str) -> None:
    path = tmp_path / name  # it said "file is over the limit of 5,242,880 bytes"
    path.parent.mkdir(parents=True)
    with path.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)
    _, problems = _read(path)
    assert problems[0].message == f"file is over the size limit of 5 MB: {advice}"


def test_not_utf8_points_at_the_bad_character_counting_characters(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_bytes("a: 1\nb: 退款".encode() + b"\xe9!\n")
    _, problems = _read(path)
    assert (problems[0].line, problems[0].column) == (2, 6)
    assert problems[0].message == "not UTF-8 (byte 0xe9); save the file as UTF-8"


@pytest.mark.parametrize(
    "text",
    [
        "退款",
        "發票怎麼開",
        "“七天无理由”退货——可以…",
        "乌龙茶用95℃的水，约3×5分钟",
        "温度≤30°C，①冷藏",
    ],
)  # 發: not GB2312; ℃ ° × ≤ ①: GBK's own symbols
def test_chinese_saved_as_gbk_is_named(tmp_path: Path, text: str) -> None:
    path = tmp_path / "a.yaml"
    path.write_bytes(f"a: 1\nb: {text}\n".encode("gbk"))
    _, problems = _read(path)
    assert (problems[0].line, problems[0].column) == (2, 4)
    first = text.encode("gbk")[0]
    assert problems[0].message == (
        f"not UTF-8 (byte 0x{first:02x}; it looks saved as GBK); save the file as UTF-8"
    )


def test_chinese_saved_as_big5_is_named(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_bytes("a: 1\nb: 訂單號碼在哪裡查\n".encode("big5"))
    _, problems = _read(path)
    assert problems[0].message.endswith("it looks saved as Big5); save the file as UTF-8")
    assert problems[0].source_line == "b: 訂單號碼在哪裡查"


def test_a_line_saved_as_gbk_is_quoted_as_written(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"  # read as UTF-8 it was quoted as "b: �ҵĶ���������"
    path.write_bytes("a: 1\nb: 我的订单在哪里\n".encode("gbk"))
    _, problems = _read(path)
    assert str(problems[0]) == (
        f"{path}:2:4: not UTF-8 (byte 0xce; it looks saved as GBK); save the file as UTF-8\n"
        "    b: 我的订单在哪里\n"
        "       ^"
    )


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_is_named_with_or_without_a_byte_order_mark(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "a.yaml"  # without one, it read as "control character U+0000"
    path.write_bytes("intents:\n  - name: 退货\n    answer: 7 天\n".encode(encoding))
    assert _read(path)[1][0].message == "saved as UTF-16: save the file as UTF-8 instead"


# Mostly Chinese: too little ASCII for its 0 bytes to show that it is UTF-16.
CHINESE_TEMPLATE = (
    "你是{{ bot.name }}，我们的在线客服。\n"
    "请用简短、礼貌的中文回答顾客的问题，不要编造订单号码或物流信息。\n"
)


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_mostly_chinese_utf16_without_a_byte_order_mark_is_named(
    tmp_path: Path, encoding: str
) -> None:
    path = tmp_path / "system.j2"  # it was "not UTF-8 (byte 0xff); save the file as UTF-8"
    path.write_bytes(CHINESE_TEMPLATE.encode(encoding))
    assert _read(path)[1][0].message == "saved as UTF-16: save the file as UTF-8 instead"


def test_mostly_chinese_gbk_is_still_named_gbk_not_utf16(tmp_path: Path) -> None:
    path = tmp_path / "system.j2"
    raw = CHINESE_TEMPLATE.encode("gbk")
    for text in (raw, raw + b"\n"):  # UTF-16 has an even number of bytes: both are tried
        path.write_bytes(text)
        assert _read(path)[1][0].message == (
            "not UTF-8 (byte 0xc4; it looks saved as GBK); save the file as UTF-8"
        )


def test_random_bytes_are_not_utf16(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_bytes(b"\xc4" + random.Random(0).randbytes(4095))
    assert _read(path)[1][0].message == "not UTF-8 (byte 0xc4); save the file as UTF-8"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_pipe_or_device_is_refused_rather_than_read_forever(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    device = tmp_path / "zero.yaml"
    device.symlink_to("/dev/zero")
    for path in (fifo, device, tmp_path):
        assert _read(path)[1][0].message == "not a regular file"


def test_a_link_out_of_its_folder_is_refused_and_one_inside_it_is_read(tmp_path: Path) -> None:
    (tmp_path / "secret.env").write_text("OPENAI_API_KEY=sk-test\n")
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "env.j2").symlink_to(tmp_path / "secret.env")
    (templates / "real.j2").write_text("Hello\n")
    (templates / "alias.j2").symlink_to("real.j2")
    source, problems = _read(templates / "env.j2")
    assert source is None and problems[0].message.startswith("a link to a file outside its folder")
    assert _read(templates / "alias.j2")[0] is not None


def test_a_missing_file_is_reported_as_not_found(tmp_path: Path) -> None:
    assert _read(tmp_path / "history.yaml")[1][0].message == "not found"


def test_unreadable_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text("a: 1\n")
    path.chmod(0)
    if os.access(path, os.R_OK):
        pytest.skip("running as a user who can read anything")
    assert _read(path)[1][0].message.startswith("cannot read:")


def test_typed_chinese_with_gbk_symbols_reads_as_gbk_and_latin1_does_not() -> None:
    # A customer's "95℃" made the whole line undecodable: the turn was handed off.
    typed = "乌龙茶用95℃的水吗？室温25°，约3×5分钟".encode("gbk")
    assert decode_typed(typed) == ("乌龙茶用95℃的水吗？室温25°，约3×5分钟", "read as GBK")
    # Latin-1's "¡Á" (0xA1 0xC1) is GBK's "×": a symbol alone is no sign of Chinese.
    for spanish in ("¡Ánimo!", "¡Éxito total!", "¡Órale!", "¡Última oportunidad!"):
        assert decode_typed(spanish.encode("cp1252"))[1] == "undecodable bytes replaced"
    # An accented letter before an ASCII one reads as one of GBK's rarer characters, none
    # of them in GB2312: "Æble" is "芺le", "Señor" "Se駉r".
    for latin in ("Æble, ørred, blåbær", "Señor Muñoz", "Très élégant", "Fußball", "Ça va"):
        assert decode_typed(latin.encode("latin-1"))[1] == "undecodable bytes replaced"


@pytest.mark.parametrize("text", ["我的訂單在哪裡？", "訂單號碼", "請問退貨要多久", "帳號無法登入"])
def test_typed_traditional_chinese_in_big5_reads_as_big5(text: str) -> None:
    # 訂單號碼 also decodes as GBK, to the rare characters 璹虫腹絏: it was read so.
    assert decode_typed(text.encode("big5")) == (text, "read as Big5")


def test_accented_latin1_that_decodes_as_gbk_characters_is_not_read_as_chinese() -> None:
    # Each decodes as GBK to characters all Chinese, one of them in GB2312 (Größe is 菖e),
    # which was enough to read them as GBK.
    for latin in ("Größe", "café»", "élégant Größe"):
        assert decode_typed(latin.encode("latin-1"))[1] == "undecodable bytes replaced"
