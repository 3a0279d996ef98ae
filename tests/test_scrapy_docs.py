"""docs/scrapy.md's reference lists are generated from the code (cog), and name every
field, setting and spider argument the code has."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from centrasia_crawler import settings
from centrasia_crawler.feeds import feed_row
from centrasia_crawler.items import ArticleItem
from centrasia_crawler.spiders.centrasia import CentrasiaSpider

PROJECT = Path(__file__).resolve().parent.parent
DOC = PROJECT / "docs" / "scrapy.md"


def test_the_reference_lists_are_what_cog_writes() -> None:
    from cogapp import Cog

    status = Cog().main(["cog", "-I", str(PROJECT / "docs"), "--check", str(DOC)])
    assert status == 0, "docs/scrapy.md is stale: run `make docs`"


def section(title: str) -> str:
    text = DOC.read_text("utf-8")
    return text.split(f"### {title}", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]


def listed(title: str) -> list[str]:
    return re.findall(r"^\| `(?:-a )?([A-Za-z_]+)=?`", section(title), re.M)


def test_the_reference_names_every_field_setting_and_argument() -> None:
    item = ArticleItem(st=1, url="u", title="t", published_at="p", body="b")
    item.extra["x"] = 1
    assert listed("The article item's fields") == [
        *(name for name in feed_row(item) if name != "x"),
        "extra",
    ]
    assert sorted(listed("The project's settings")) == sorted(
        name for name in vars(settings) if name.startswith("CENTRASIA_")
    )
    parameters = inspect.signature(CentrasiaSpider.__init__).parameters
    assert (
        listed("The spider's arguments")
        == [name for name, p in parameters.items() if p.kind is p.POSITIONAL_OR_KEYWORD][1:]
    )
