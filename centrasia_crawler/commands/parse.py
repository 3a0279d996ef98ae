"""``scrapy parse URL`` that says in one line when a URL lies outside the crawled site.

The spider keeps to the site at ``CENTRASIA_ROOT_URL`` (its ``allowed_domains``), so a
page elsewhere (a replica's, a mirror's) would be dropped by Scrapy's offsite filter
without a word. This command (the project's ``COMMANDS_MODULE``) refuses such a URL
for the project's spider in one line naming the setting to give, and exits 2; under
the root it is Scrapy's ``parse``.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from scrapy.commands import parse
from w3lib.url import is_url

if TYPE_CHECKING:
    import argparse

EXIT_USAGE = 2


def outside_root(url: str, root: str) -> str | None:
    """Why ``url`` cannot be read by a spider crawling ``root``; None when it can.

    >>> outside_root("https://centrasia.org/newsA.php?st=1", "https://centrasia.org/") is None
    True
    >>> outside_root("http://127.0.0.1:8765/", "https://centrasia.org/")  # doctest: +ELLIPSIS
    'http://127.0.0.1:8765/ is outside the crawled site https://centrasia.org/ ...'
    """
    host, parts = (urlsplit(root).hostname or "").lower(), urlsplit(url)
    found = (parts.hostname or "").lower()
    if found == host or found.endswith(f".{host}"):  # as Scrapy's offsite filter sees it
        return None
    own = f"{parts.scheme}://{parts.netloc}/"
    return (
        f"{url} is outside the crawled site {root} (CENTRASIA_ROOT_URL):"
        f" add -s CENTRASIA_ROOT_URL={own} to read it"
    )


class Command(parse.Command):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        from centrasia_crawler.options import DEFAULT_ROOT
        from centrasia_crawler.spiders.centrasia import CentrasiaSpider

        if len(args) == 1 and is_url(args[0]):
            self.set_spidercls(args[0], opts)
            if self.spidercls is not None and issubclass(self.spidercls, CentrasiaSpider):
                assert self.settings is not None
                root = str(self.settings.get("CENTRASIA_ROOT_URL") or DEFAULT_ROOT)
                why = outside_root(args[0], root)
                if why is not None:
                    print(f"scrapy parse: {why}", file=sys.stderr)
                    self.exitcode = EXIT_USAGE
                    return
        super().run(args, opts)
