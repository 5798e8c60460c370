"""What a packager gets from this checkout: the wheel's metadata says which Python it runs on,
in agreement with the README and the linter's target; the sdist holds what its README links
and its tests read; the wheel the data files servicebot reads; both carry the license."""

from __future__ import annotations

import re
import tomllib
import zipfile
from email import message_from_bytes
from email.message import Message
from pathlib import Path

from tests.conftest import REPO


def _metadata(wheel: Path) -> Message:
    """The wheel's METADATA, as pip reads it before installing."""
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        return message_from_bytes(archive.read(name))


def test_the_wheel_admits_only_pythons_servicebot_runs_on(wheel: Path) -> None:
    # The post-filter's patterns use possessive quantifiers and httpx2 needs 3.11: on 3.10
    # pip must refuse the install, not leave an import that fails.
    assert _metadata(wheel)["Requires-Python"] == ">=3.11"
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["tool"]["ruff"]["target-version"] == "py311"
    assert "Python 3.11+" in (REPO / "README.md").read_text(encoding="utf-8")


def test_the_sdist_holds_the_files_the_readme_links_and_its_tests_read(sdist: set[str]) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    prose = re.sub(r"`[^`\n]*`", "", readme)  # "`[label](url)`" in code is no link
    linked = set(re.findall(r"\]\((?!https?:|#)([^)#]+)\)", prose))
    assert "docs/cli.md" in linked
    assert linked <= sdist, linked - sdist
    assert "tests/e2e/test_cli_docs.py" in sdist  # it opens docs/cli.md


def test_the_wheel_carries_the_data_files_servicebot_reads(wheel: Path) -> None:
    # Read from beside their modules at run time: the token encodings, and the traditional
    # Chinese fold table (without it every Chinese message would fail to be read).
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        table = archive.read("servicebot/filters/t2s.txt").decode("utf-8")
    assert {"servicebot/encodings/o200k_base.tiktoken.gz", "servicebot/filters/t2s.txt"} <= names
    assert table == (REPO / "servicebot" / "filters" / "t2s.txt").read_text(encoding="utf-8")


def test_the_wheel_and_the_sdist_carry_the_mit_license(wheel: Path, sdist: set[str]) -> None:
    metadata = _metadata(wheel)
    assert metadata["License-Expression"] == "MIT"
    assert metadata["License-File"] == "LICENSE"
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/licenses/LICENSE"))
        text = archive.read(name).decode("utf-8")
    assert text.startswith("MIT License\n") and "2026 the servicebot authors" in text
    assert "LICENSE" in sdist
