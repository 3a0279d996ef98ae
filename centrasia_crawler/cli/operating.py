"""Operating: ``serve`` (the archive in Datasette)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from centrasia_crawler.cli.common import Failure, archive_option


@click.command()
@archive_option()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8001, show_default=True)
def serve(archive: str, host: str, port: int) -> int:
    """Serve the archive read-only with Datasette: described tables, facets on source
    and date, full-text search, canned queries.

    Example:

    \b
        centrasia serve --port 8001     (then open http://127.0.0.1:8001/)
    """
    from centrasia_crawler.serve import serve as serve_archive

    with tempfile.TemporaryDirectory() as tmp:
        try:
            return serve_archive(Path(archive), host, port, Path(tmp))
        except RuntimeError as exc:
            raise Failure(str(exc)) from None


COMMANDS = (serve,)
