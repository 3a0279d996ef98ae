"""What docs/cli.md is generated from: each command's ``--help`` (read by cog)."""

from __future__ import annotations

from click.testing import CliRunner

from centrasia_crawler.cli import cli

#: The width the help is wrapped at (a terminal's).
WIDTH = 88


def commands() -> list[str]:
    """The group first (as ``centrasia``'s name ''), then each command, sorted."""
    return ["", *sorted(cli.commands)]


def help_text(name: str) -> str:
    args = [name, "--help"] if name else ["--help"]
    result = CliRunner().invoke(cli, args, prog_name="centrasia", terminal_width=WIDTH)
    if result.exit_code != 0:
        raise RuntimeError(f"centrasia {name} --help failed: {result.output}")
    return result.output
