"""``python -m centrasia_crawler.cli``: the ``centrasia`` command."""

from centrasia_crawler.cli import run

run()
