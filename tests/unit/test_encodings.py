"""The packaged encoding files: verified by sha256 when read, a damaged or unreadable copy
named, deterministic gzip, and counting with the network and every cache folder refused."""

import gzip
import json
import os
from pathlib import Path
from typing import Any

import pytest

from servicebot.budget.tokens import ENCODINGS_DIR, read_encoding
from servicebot.errors import BudgetError, ServicebotError
from tests.conftest import run_python

NAMES = ("o200k_base", "cl100k_base")


# --- damaged files ---


def _copy_encodings(folder: Path) -> None:
    for name in NAMES:
        source = ENCODINGS_DIR / f"{name}.tiktoken.gz"
        (folder / source.name).write_bytes(source.read_bytes())


def test_an_intact_copy_loads_from_another_folder(tmp_path: Path) -> None:
    _copy_encodings(tmp_path)
    assert read_encoding("cl100k_base", tmp_path).encode_ordinary("hello world") == [15339, 1917]


def test_a_tampered_file_raises_budget_error_naming_it(tmp_path: Path) -> None:
    _copy_encodings(tmp_path)
    path = tmp_path / "o200k_base.tiktoken.gz"
    data = gzip.decompress(path.read_bytes()).replace(b"IQ== 0\n", b"Ig== 0\n", 1)
    path.write_bytes(gzip.compress(data))
    with pytest.raises(BudgetError) as caught:
        read_encoding("o200k_base", tmp_path)
    assert isinstance(caught.value, ServicebotError)
    message = str(caught.value)
    assert str(path) in message
    assert "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d" in message
    assert "reinstall" in message
    assert read_encoding("cl100k_base", tmp_path).name == "cl100k_base"


def test_an_unreadable_file_raises_budget_error(tmp_path: Path) -> None:
    path = tmp_path / "cl100k_base.tiktoken.gz"
    path.write_bytes(b"not gzip at all")
    with pytest.raises(BudgetError, match="gzip") as caught:
        read_encoding("cl100k_base", tmp_path)
    assert str(path) in str(caught.value)


def test_a_missing_file_is_reported_missing_not_damaged(tmp_path: Path) -> None:
    path = tmp_path / "cl100k_base.tiktoken.gz"  # deleted from an installation
    with pytest.raises(BudgetError) as caught:
        read_encoding("cl100k_base", tmp_path)
    assert str(caught.value) == (
        f"encoding file {path} is missing; reinstall servicebot "
        "(pip install --force-reinstall servicebot)"
    )


def test_the_packaged_files_are_deterministic_gzip() -> None:
    for name in NAMES:
        header = (ENCODINGS_DIR / f"{name}.tiktoken.gz").read_bytes()[:10]
        assert header[:4] == b"\x1f\x8b\x08\x00"  # gzip, deflate, no stored file name
        assert header[4:8] == b"\x00\x00\x00\x00"  # no timestamp (gzip -n)


# --- offline ---

_OFFLINE_SCRIPT = """
import json, socket, sys

def refuse(*args, **kwargs):
    raise OSError("network disabled by test")

socket.socket.connect = refuse
socket.create_connection = refuse
import tiktoken.load
tiktoken.load.read_file = refuse
tiktoken.load.read_file_cached = refuse

from servicebot.budget.tokens import counter_for

print(json.dumps({
    "o200k": counter_for("openai/gpt-4o", None).encode("hello world"),
    "cl100k": counter_for("gpt-4-turbo", None).encode("hello world"),
    "messages": counter_for(None, None).count_messages([("user", "hello world")]),
    "requests": "requests" in sys.modules,
}))
"""


def test_counting_works_offline_and_writes_no_cache(tmp_path: Path) -> None:
    cache, home, temp = tmp_path / "cache", tmp_path / "home", tmp_path / "tmp"
    for folder in (cache, home, temp):
        folder.mkdir()
    env: dict[str, Any] = dict(os.environ)
    env.update(
        TIKTOKEN_CACHE_DIR=str(cache),
        DATA_GYM_CACHE_DIR=str(cache),
        HOME=str(home),
        TMPDIR=str(temp),
        PYTHONDONTWRITEBYTECODE="1",
    )
    assert json.loads(run_python(_OFFLINE_SCRIPT, env=env)) == {
        "o200k": [24912, 2375],
        "cl100k": [15339, 1917],
        "messages": 3 + 1 + 2 + 3,
        "requests": False,
    }
    assert [list(folder.iterdir()) for folder in (cache, home, temp)] == [[], [], []]
