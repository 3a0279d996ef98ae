"""The chart pages drawn in a real browser: headless Chromium opens ``centrasia serve``'s
attention, coverage, sources and entity pages, runs their scripts (the plugin's own
static files: d3, Observable Plot, centrasia-charts.js) and the test reads the SVG they
drew from the DOM. The truth: the numbers the page's ``.json`` gives, and the replica's
own days."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import urllib.parse
import urllib.request

import pytest

from centrasia_crawler.archive import Archive
from tests.helpers import serving
from tests.replica.content import Site

pytest.importorskip("datasette", reason="Datasette is not installed ([serve] extra)")

SITE = Site(days=30, per_day=6, seed=11, last_day=dt.date(2026, 2, 19))
STS = sorted(st for st in SITE.by_st if st not in SITE.disallowed)
QUERIES = ("Казахстан", "Китай")
#: The ISO week whose listings were never read.
UNREAD = (max(SITE.day_list()) - dt.timedelta(days=14)).isocalendar()[:2]
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--virtual-time-budget=10000",
)


def group(dom: str, label: str) -> list[str]:
    """The SVG groups Plot drew for the mark ``label`` (its aria-label), as markup."""
    return re.findall(rf'<g aria-label="{label}"[^>]*>(.*?)</g>', dom, re.S)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> object:
    """``centrasia serve`` on the replica's articles and their listings, but those of the
    days of one week (:data:`UNREAD`: a gap): its base URL; stopped after the module."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    path = tmp_path_factory.mktemp("charts") / "archive.sqlite"
    listed = [
        {**h, "listed_on": day.isoformat(), "page_url": "u"}
        for day in SITE.day_list()
        if day.isocalendar()[:2] != UNREAD
        for h in SITE.headlines(day)
        if h["st"] in STS  # a listed article the archive lacks would mark its day too
    ]
    with Archive.open(path) as writer:
        writer.write_batch([SITE.article(st) for st in STS], listed)
    with serving(path) as (base, _):
        yield browser, f"{base}/archive", tmp_path_factory.mktemp("profiles")


def dom_of(served: object, url: str) -> str:
    """The page's DOM once its scripts ran, and the numbers of its ``.json``."""
    browser, base, profiles = served  # type: ignore[misc]
    profile = profiles / f"p{len(list(profiles.iterdir()))}"
    done = subprocess.run(
        [browser, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", base + url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "could not be drawn" not in done.stdout
    return done.stdout


def numbers(served: object, url: str) -> list[dict[str, object]]:
    _, base, _ = served  # type: ignore[misc]
    path, _, query = url.partition("?")
    with urllib.request.urlopen(f"{base}{path}.json?{query}", timeout=30) as response:
        rows: list[dict[str, object]] = json.load(response)["rows"]
    return rows


@pytest.mark.slow
def test_the_attention_chart_is_drawn_in_the_browser(served: object) -> None:
    url = "/-/attention?" + "&".join(f"q={urllib.parse.quote(q)}" for q in QUERIES) + "&by=week"
    dom = dom_of(served, url)
    rows = numbers(served, url)
    assert '<figure class="centrasia-plot">' in dom and "<svg" in dom
    (lines,) = group(dom, "line")
    assert lines.count("<path") == len(QUERIES)  # a line each
    for query in QUERIES:  # the legend
        assert re.search(rf"</svg>{query}</span>", dom), query
    # The incomplete weeks shaded: the unread one among them.
    incomplete = {r["period"] for r in rows if not r["complete"]}
    assert "{}-W{:02d}".format(*UNREAD) in incomplete
    (spans,) = group(dom, "rect")
    assert spans.count("<rect") == len(incomplete)


@pytest.mark.slow
def test_the_coverage_chart_is_drawn_in_the_browser(served: object) -> None:
    dom = dom_of(served, "/-/coverage")
    rows = numbers(served, "/-/coverage")
    assert len(rows) == len(SITE.day_list())
    gaps, bars = group(dom, "rect")  # the gaps (one: the unread week), the bars
    assert gaps.count("<rect") == 1 and sum(not r["listed"] for r in rows) == 7
    assert bars.count("<rect") == len(rows)
    (listed,) = group(dom, "line")  # one line, broken where the week was not read
    assert listed.count("<path") == 1 and listed.count("M") == 2
    for name in ("archived", "listed on the site", "gap"):
        assert f"</svg>{name}</span>" in dom


@pytest.mark.slow
def test_the_sources_and_entity_charts_are_drawn_in_the_browser(served: object) -> None:
    url = f"/-/sources?q={urllib.parse.quote('Казахстан')}"
    dom = dom_of(served, url)
    rows = numbers(served, url)
    (bars,) = group(dom, "bar")
    assert rows and bars.count("<rect") == len(rows)
    for row in rows:  # each source's name on the axis
        assert f">{row['source']}</text>" in dom
    dom = dom_of(served, "/-/entity/astana")
    (lines,) = group(dom, "line")
    assert lines.count("<path") == 1 and "articles naming Астана" in dom
