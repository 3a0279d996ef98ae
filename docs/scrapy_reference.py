"""What docs/scrapy.md's reference lists are generated from (read by cog): the item's
fields (centrasia_crawler.fields), the project's own settings (the ``#:`` comments
above each CENTRASIA_* in centrasia_crawler/settings.py) and the spider's arguments."""

from __future__ import annotations

import re
from pathlib import Path

from centrasia_crawler import settings
from centrasia_crawler.feeds import FEED_FIELDS
from centrasia_crawler.fields import BY_NAME
from centrasia_crawler.spiders.centrasia import ARGUMENTS

SETTING = re.compile(r"((?:^#:.*\n)+)^(CENTRASIA_\w+) = (.+)$", re.M)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def fields_table() -> str:
    rows = [f"| `{name}` | {_cell(BY_NAME[name].doc)} |" for name in (*FEED_FIELDS, "extra")]
    return "\n".join(["| field | what it holds |", "| --- | --- |", *rows])


def settings_table() -> str:
    source = Path(settings.__file__).read_text(encoding="utf-8")
    rows = []
    for comment, name, value in SETTING.findall(source):
        doc = " ".join(line.removeprefix("#:").strip() for line in comment.splitlines())
        shown = value.strip() if "(" in value else repr(getattr(settings, name))
        rows.append(f"| `{name}` | `{shown}` | {_cell(doc)} |")
    return "\n".join(["| setting | default | meaning |", "| --- | --- | --- |", *rows])


def arguments_table() -> str:
    rows = [f"| `-a {name}=` | {_cell(doc)} |" for name, doc in ARGUMENTS.items()]
    return "\n".join(["| argument | meaning |", "| --- | --- |", *rows])
