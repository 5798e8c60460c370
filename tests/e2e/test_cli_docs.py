"""docs/cli.md is generated from the commands' --help: it must not drift from them."""

from cogapp import Cog

from tests.conftest import REPO


def test_the_cli_reference_matches_the_commands() -> None:
    status = Cog().main(["cog", "--check", str(REPO / "docs" / "cli.md")])
    assert status == 0, "docs/cli.md is out of date: run `cog -r docs/cli.md`"
