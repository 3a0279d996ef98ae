"""Feeds in every format, and the documented ways to add fields (docs/scrapy.md): the
example pipeline and spider subclass run from the page, against the replica."""

from __future__ import annotations

import csv
import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from centrasia_crawler.feeds import FEED_FIELDS, csv_list, feed_row, without_none
from centrasia_crawler.items import ArticleItem
from tests.crawling import FAST, PROJECT
from tests.replica.server import serve

DOC = PROJECT / "docs" / "scrapy.md"
MODULE_BLOCK = re.compile(r"```python\n# (myproject/\w+\.py)\n(.*?)```", re.DOTALL)
IMPOSSIBLE = "31 февраля 2026 г."


def documented_modules(folder: Path) -> list[str]:
    """The example modules of docs/scrapy.md, written under ``folder``."""
    written = []
    for name, code in MODULE_BLOCK.findall(DOC.read_text("utf-8")):
        path = folder / name
        path.parent.mkdir(exist_ok=True)
        (path.parent / "__init__.py").touch()
        path.write_text(code, "utf-8")
        written.append(name)
    return written


def typed(name: str, value: Any) -> Any:
    """A value read back from CSV or XML text, as JSON gives it."""
    if value in ("", None):
        return None
    if name in ("st", "word_count", "title_words"):
        return int(value)
    if name == "time_mismatch":
        return {"True": True, "False": False}[value]
    return value


def from_csv(path: Path) -> tuple[list[str], list[dict[str, Any]]]:
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
        header = list(reader.fieldnames or [])
    for row in rows:
        for name, cell in row.items():
            row[name] = csv_list(cell) if name in ("sources", "unread_lines") else typed(name, cell)
    return header, rows


def xml_value(element: Any) -> Any:
    children = list(element)
    if not children:
        return element.text
    if all(c.tag == "value" for c in children):
        return [xml_value(c) for c in children]
    return {c.tag: xml_value(c) for c in children}


def from_xml(path: Path) -> list[dict[str, Any]]:
    root = etree.parse(str(path)).getroot()
    return [
        {c.tag: typed(c.tag, xml_value(c)) if len(c) == 0 else xml_value(c) for c in item}
        for item in root
    ]


def test_a_feed_row_spreads_the_extra_fields_after_the_articles() -> None:
    item = ArticleItem(st=1, url="u", title="t", published_at="p", body="b")
    item.extra["word_count"] = 1
    row = feed_row(item)
    assert list(row) == [*FEED_FIELDS, "word_count"]
    assert "extra" not in row and row["source"] is None


@pytest.mark.slow
def test_feeds_of_every_format_read_back_alike_with_the_documented_extra_fields(
    tmp_path: Path,
) -> None:
    assert documented_modules(tmp_path) == ["myproject/pipelines.py", "myproject/spiders.py"]
    feeds = {fmt: tmp_path / f"items.{fmt}" for fmt in ("jsonl", "csv", "xml")}
    archive = tmp_path / "archive.sqlite"
    settings = {
        **FAST,
        "ITEM_PIPELINES": json.dumps(
            {
                "myproject.pipelines.WordCountPipeline": 300,
                "centrasia_crawler.pipelines.ArchivePipeline": 800,
            }
        ),
        "SPIDER_MODULES": "centrasia_crawler.spiders,myproject.spiders",
        "FEEDS": json.dumps({str(p): {"format": f} for f, p in feeds.items()}),
        "CENTRASIA_ARCHIVE_PATH": str(archive),
    }
    with serve(days=2, per_day=6) as replica:
        site = replica.site
        odd = site.archivable()[2]
        site.edit(odd, original_date=None, original_date_line=IMPOSSIBLE)
        settings["CENTRASIA_ROOT_URL"] = replica.root
        command = [sys.executable, "-m", "scrapy", "crawl", "centrasia_title_words"]
        for name, value in settings.items():
            command += ["-s", f"{name}={value}"]
        env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{PROJECT}"}
        done = subprocess.run(
            command, cwd=PROJECT, env=env, capture_output=True, text=True, timeout=300, check=False
        )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "pipelines WordCountPipeline, ArchivePipeline" in done.stderr

    rows = [json.loads(line) for line in feeds["jsonl"].read_text("utf-8").splitlines()]
    header, csv_rows = from_csv(feeds["csv"])
    xml_rows = from_xml(feeds["xml"])
    assert header == [*FEED_FIELDS, "title_words", "word_count"]
    assert [r["st"] for r in rows] == site.archivable()
    assert [without_none(r) for r in csv_rows] == [without_none(r) for r in rows]
    assert xml_rows == [without_none(r) for r in rows]
    for row in rows:
        truth = site.article(row["st"])
        assert row["title"] == truth["title"] and row["body"] == truth["body"]
        assert row["word_count"] == len(re.findall(r"\w+", truth["body"]))
        assert row["title_words"] == len(truth["title"].split())
    assert any(r["source"] is None for r in rows)  # a None to write in each format
    assert by_st(rows)[odd]["unread_lines"][0]["line"] == IMPOSSIBLE
    text = {fmt: path.read_text("utf-8") for fmt, path in feeds.items()}
    assert "None" not in text["csv"], re.findall(".{40}None.{40}", text["csv"])
    assert "[{" not in text["csv"]  # no Python list written as is
    assert ">None<" not in text["xml"]
    assert '"source": null' in text["jsonl"]

    db = sqlite3.connect(archive)
    extra = dict(db.execute("SELECT st, extra FROM articles").fetchall())
    db.close()
    assert {st: json.loads(value) for st, value in extra.items()} == {
        r["st"]: {"word_count": r["word_count"], "title_words": r["title_words"]} for r in rows
    }


def by_st(rows: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {r["st"]: r for r in rows}
