"""The ``servicebot`` command: argument parsing and output only; the work happens elsewhere.

This is the one place that turns :class:`~servicebot.errors.ServicebotError` into exit codes.
"""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import click

from . import __version__
from .config import FAQ_FOLDER, SETTINGS_FILE, TEMPLATES_FOLDER, load_bot
from .errors import ConfigError

_BOT_PATH = click.Path(file_okay=False, path_type=Path)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="servicebot")
def main() -> None:
    """Customer-service bots kept in YAML and Jinja, on any OpenAI-compatible model."""


@main.command()
@click.argument("path", type=_BOT_PATH, default=".")
def check(path: Path) -> None:
    """Validate the bot folder PATH and list every mistake as file:line:column."""
    try:
        spec = load_bot(path)
    except ConfigError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        count = len(exc.problems)
        click.echo(f"{count} problem{'s' if count > 1 else ''} in {path}", err=True)
        raise SystemExit(1) from None
    click.echo(f"ok: {spec.summary()}")


@main.command()
@click.argument("directory", type=_BOT_PATH)
def init(directory: Path) -> None:
    """Create a new bot folder DIRECTORY from the example store bot."""
    if directory.exists() and any(directory.iterdir()):
        raise click.ClickException(f"{directory} is not empty; choose a new folder")
    example = _example_bot()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        shutil.copy2(example / SETTINGS_FILE, directory / SETTINGS_FILE)
        for folder in (FAQ_FOLDER, TEMPLATES_FOLDER):
            shutil.copytree(example / folder, directory / folder)
    except OSError as exc:
        raise click.ClickException(f"cannot create {directory}: {exc.strerror or exc}") from exc
    click.echo(f"Created {directory}, a copy of the example store bot:")
    click.echo(f"  ok: {load_bot(directory).summary()}")
    click.echo("Make it yours: set name and contact in servicebot.yaml, rewrite faq/*.yaml and")
    click.echo("the store details in templates/*.j2, then run after each edit:")
    click.echo(f"  servicebot check {directory}")


def _example_bot() -> Path:
    """The example bot: packaged inside the wheel, or the repository root in a checkout."""
    packaged = Path(str(resources.files("servicebot"))) / "example"
    if (packaged / SETTINGS_FILE).is_file():
        return packaged
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / SETTINGS_FILE).is_file():
        return checkout
    raise click.ClickException("the example bot is missing from this installation; reinstall")
