"""``servicebot init``: a fresh folder that passes ``check`` and ``test``, next steps that
work pasted into a shell, the secrets to set, the store kept out of version control, a copy
its owner can edit from a read-only installation, a folder that is not empty refused; and
the installed wheel, which carries the example bot ``init`` copies."""

from __future__ import annotations

import os
import shlex
import shutil
import stat
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from servicebot import load_bot
from servicebot.cli import main
from tests.conftest import REPO
from tests.e2e.conftest import run


def test_init_scaffolds_a_bot_that_passes_check(tmp_path: Path) -> None:
    target = tmp_path / "mybot"
    result = CliRunner().invoke(main, ["init", str(target)])
    assert result.exit_code == 0, result.output
    assert (target / "servicebot.yaml").is_file()
    assert CliRunner().invoke(main, ["check", str(target)]).exit_code == 0
    tested = CliRunner().invoke(main, ["test", "--bot", str(target)])
    assert tested.exit_code == 0, tested.output  # its conversations and recordings came along
    scripts = len(list((REPO / "tests" / "conversations").glob("*.yaml")))
    assert f"\n{scripts} passed" in tested.output


def test_init_prints_next_steps_that_work_when_pasted_into_a_shell(tmp_path: Path) -> None:
    target = tmp_path / "my bot 客服"
    result = CliRunner().invoke(main, ["init", str(target)])
    assert result.exit_code == 0, result.output
    command = next(line for line in result.output.splitlines() if "servicebot check" in line)
    assert shlex.split(command) == ["servicebot", "check", str(target)]


def test_init_names_the_secrets_check_will_warn_of(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # init said "ok" and the first check after it warned twice.
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("SERVICEBOT_PII_KEY", raising=False)
    result = CliRunner().invoke(main, ["init", str(tmp_path / "a")])
    assert "Where it runs, set OPENAI_API_KEY and SERVICEBOT_PII_KEY;" in result.output
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    monkeypatch.setenv("SERVICEBOT_PII_KEY", "a-secret")
    result = CliRunner().invoke(main, ["init", str(tmp_path / "b")])
    assert result.exit_code == 0 and "Where it runs" not in result.output
    assert CliRunner().invoke(main, ["check", str(tmp_path / "b")]).stderr == ""


def test_init_keeps_the_stored_conversations_out_of_version_control(tmp_path: Path) -> None:
    target = tmp_path / "mybot"
    assert CliRunner().invoke(main, ["init", str(target)]).exit_code == 0
    store = load_bot(target).settings.store.url
    assert store == "sqlite:///.servicebot/conversations.db"  # inside the bot folder
    assert ".servicebot/" in (target / ".gitignore").read_text(encoding="utf-8").splitlines()


def _read_only_example(folder: Path) -> Path:
    """A copy of the example bot as a locked installation holds it: read-only, dated 2001."""
    for name in ("servicebot.yaml", "faq", "templates", "tests/conversations", "tests/replies"):
        copy = shutil.copytree if (REPO / name).is_dir() else shutil.copyfile
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        copy(REPO / name, folder / name)
    for path in [*sorted(folder.rglob("*"), reverse=True), folder]:  # files before folders
        os.utime(path, (1e9, 1e9))
        path.chmod(0o555 if path.is_dir() else 0o444)
    return folder


def test_init_from_a_read_only_installation_makes_a_folder_its_owner_can_edit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    example = _read_only_example(tmp_path / "site")
    monkeypatch.setattr("servicebot.cli._example_bot", lambda: example)
    target = tmp_path / "mybot"
    assert CliRunner().invoke(main, ["init", str(target)]).exit_code == 0
    made = [target, *target.rglob("*")]
    assert len(made) > 40 and (target / "tests" / "replies").is_dir()
    for path in made:
        assert path.stat().st_mode & stat.S_IWUSR, f"{path} is read-only"
        assert path.stat().st_mtime > 1e9 + 86400, f"{path} kept the installation's date"


def test_init_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    result = CliRunner().invoke(main, ["init", str(tmp_path)])
    assert result.exit_code == 1
    assert "is not empty" in result.output
    assert (tmp_path / "keep.txt").read_text() == "mine"


def test_the_wheel_carries_the_example_bot(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for path in (REPO / "faq").glob("*.yaml"):
        assert f"servicebot/example/faq/{path.name}" in names
    assert "servicebot/example/servicebot.yaml" in names
    assert "servicebot/example/templates/system.j2" in names
    assert "servicebot/py.typed" in names


def test_init_and_check_work_from_the_installed_wheel_alone(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    env = {**os.environ, "PYTHONPATH": str(site)}
    code = "import servicebot, sys; print(servicebot.__file__)"
    assert run(sys.executable, "-c", code, cwd=tmp_path, env=env).stdout.startswith(str(site))
    init = run(sys.executable, "-m", "servicebot", "init", "newbot", cwd=tmp_path, env=env)
    assert init.returncode == 0, init.stderr
    check = run(sys.executable, "-m", "servicebot", "check", "newbot", cwd=tmp_path, env=env)
    assert check.returncode == 0, check.stderr
    assert check.stdout.startswith("ok: Maple Market support")
    tested = run(
        sys.executable, "-m", "servicebot", "test", "--bot", "newbot", cwd=tmp_path, env=env
    )
    assert tested.returncode == 0, tested.stdout + tested.stderr
