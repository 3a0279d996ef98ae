"""Honest charts: no article is a gap, not a zero; legends beside the data; date labels
apart. Tested on the data drawn and the labels' boxes, not on pixels."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("matplotlib")

from centrasia_crawler.archive.coverage import Coverage, DayCoverage
from centrasia_crawler.plot import coverage_figure, trend_figure

#: What the charts of an archive crawled from the site are headed with.
SITE = "centrasia.org"


@pytest.fixture
def close() -> Iterator[list[Any]]:
    import matplotlib.pyplot as plt

    figures: list[Any] = []
    yield figures
    for fig in figures:
        plt.close(fig)


def year_rows() -> list[dict[str, Any]]:
    """Казахстан by year, 2020-2026: no article archived in 2020-2023."""
    rows = []
    for year in range(2020, 2027):
        total = 0 if year < 2024 else 1000
        found = 0 if year < 2024 else 990
        rows.append(
            {
                "query": "Казахстан",
                "period": str(year),
                "articles": found,
                "total": total,
                "share": round(found / total, 6) if total else None,
                "complete": year >= 2024,
            }
        )
    return rows


@pytest.mark.parametrize("share", [True, False])
def test_a_period_without_articles_is_a_gap_in_the_line(close: list[Any], share: bool) -> None:
    fig = trend_figure(year_rows(), "year", share=share, site=SITE)
    close.append(fig)
    (line,) = fig.axes[0].get_lines()
    drawn = list(line.get_ydata())
    assert all(math.isnan(v) for v in drawn[:4]), drawn
    assert drawn[4:] == ([99.0] * 3 if share else [990] * 3)


@pytest.mark.parametrize("share", [True, False])
def test_the_highest_point_has_room_above_it(close: list[Any], share: bool) -> None:
    """Counts close to each other (94 and 96 a month, two queries): the axis runs from 0
    to at least 4% above the highest point drawn, never to the point itself."""
    counts = {"Казахстан": [94, 96], "Кыргызстан": [90, 95]}
    rows = [
        {"query": query, "period": period, "articles": n, "total": 200, "share": n / 200}
        | {"complete": True}
        for query, found in counts.items()
        for period, n in zip(["2026-01", "2026-02"], found, strict=True)
    ]
    fig = trend_figure(rows, "month", share=share, site=SITE)
    close.append(fig)
    highest = 96 / 200 * 100 if share else 96
    bottom, top = fig.axes[0].get_ylim()
    assert bottom == 0 and top >= highest * 1.04, (top, highest)


def test_the_title_names_the_query_and_day_ticks_name_their_month(close: list[Any]) -> None:
    one = trend_figure(year_rows(), "year", site=SITE)
    rows = [r | {"query": "Токаев"} for r in year_rows()] + year_rows()
    two = trend_figure(rows, "year", site="127.0.0.1:8642")
    weeks = [
        {"query": "Жапаров", "period": f"2026-W0{n}", "articles": n, "total": 9, "share": 0.1,
         "complete": True}
        for n in (5, 6)
    ]  # fmt: skip
    days = trend_figure(weeks, "week", site=SITE)
    close.extend([one, two, days])
    assert one._suptitle.get_text() == "centrasia.org: articles matching «Казахстан», by year"
    assert two._suptitle.get_text() == "127.0.0.1:8642: articles matching each query, by year"
    days.canvas.draw()
    ticks = [t.get_text() for t in days.axes[0].get_xticklabels() if t.get_text()]
    assert "01 Feb" in ticks and all(re.fullmatch(r"\d\d [A-Z][a-z]{2}", t) for t in ticks), ticks


def test_never_crawled_days_are_gaps_in_the_listed_line(close: list[Any]) -> None:
    first = dt.date(2026, 1, 1)
    days = [
        DayCoverage((first + dt.timedelta(days=n)).isoformat(), listed=0 if n in (3, 4) else 50,
                    archived=0 if n in (3, 4) else 50)
        for n in range(40)
    ]  # fmt: skip
    cover = Coverage(days, [days[3].day, days[4].day], [(days[3].day, days[4].day)])
    fig = coverage_figure(cover, site=SITE)
    close.append(fig)
    (listed,) = fig.axes[0].get_lines()
    drawn = list(listed.get_ydata())
    assert math.isnan(drawn[3]) and math.isnan(drawn[4])
    assert [v for n, v in enumerate(drawn) if n not in (3, 4)] == [50] * 38


def _overlaps(boxes: list[Any]) -> bool:
    return any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])


@pytest.mark.parametrize("span", [7, 60, 400, 1600, 3000])
def test_legends_sit_outside_the_data_and_dates_never_collide(close: list[Any], span: int) -> None:
    first = dt.date(2020, 1, 1)
    days = [
        DayCoverage((first + dt.timedelta(days=n)).isoformat(), listed=40, archived=40)
        for n in range(span)
    ]
    for fig in (
        coverage_figure(Coverage(days, [], []), site=SITE),
        trend_figure(year_rows(), "year", site=SITE),
    ):
        close.append(fig)
        fig.canvas.draw()
        ax = fig.axes[0]
        assert ax.get_legend() is None and fig.legends  # the legend is the figure's
        renderer = fig.canvas.get_renderer()
        legend_box = fig.legends[0].get_window_extent(renderer)
        assert not legend_box.overlaps(ax.get_window_extent(renderer))
        labels = [t.get_window_extent(renderer) for t in ax.get_xticklabels() if t.get_text()]
        assert labels and not _overlaps(labels)
        title = fig._suptitle.get_window_extent(renderer)
        offset = ax.xaxis.get_offset_text().get_window_extent(renderer)
        assert not _overlaps([legend_box, title, offset, *labels])
        # Under the axis, the year alone: never a month («2020-Feb») the ticks contradict.
        assert re.fullmatch(r"(\d{4})?", ax.xaxis.get_offset_text().get_text())


def test_periods_the_archive_only_partly_covers_are_incomplete(tmp_path: Any) -> None:
    """An archive of Wednesday 2026-02-11 to Friday 2026-02-20, every day listed and
    archived: by day every period is complete; by week the first week began before the
    archive and the last one ends after it, so both are incomplete, as a month is."""
    from centrasia_crawler.archive import Archive
    from centrasia_crawler.items import Headline
    from tests.helpers import ARTICLES, article

    with Archive.open(tmp_path / "a.sqlite") as store:
        rows = [article(*row) for row in ARTICLES]
        listed = [
            Headline(r["st"], r["published_at"][:10], r["published_at"], r["title"], None, "u")
            for r in rows
        ]
        store.write_batch(rows, listed)
        by_day = store.trend("Жапаров", by="day")
        by_week = store.trend("Жапаров", by="week")
        by_month = store.trend("Жапаров", by="month")
    assert len(by_day) == 10 and all(r["complete"] for r in by_day)
    assert [(r["period"], r["complete"]) for r in by_week] == [
        ("2026-W07", False), ("2026-W08", False),
    ]  # fmt: skip
    assert [(r["period"], r["complete"]) for r in by_month] == [("2026-02", False)]


def complete_days(path: Any) -> set[dt.date]:
    """The days of an archive whose listing was read and whose every listed article is
    archived, by SQL written here."""
    from tests.helpers import rows

    found = rows(
        path,
        "SELECT listed_on, count(*) AS listed, count(a.st) AS archived FROM listings l"
        " LEFT JOIN articles a ON a.st = l.st GROUP BY listed_on",
    )
    return {dt.date.fromisoformat(r["listed_on"]) for r in found if r["listed"] == r["archived"]}


def period_days(label: str, by: str) -> list[dt.date]:
    """Every calendar day of a period's label (``2026-02-15``, ``2026-02``)."""
    if by == "day":
        return [dt.date.fromisoformat(label)]
    first = dt.date.fromisoformat(f"{label}-01")
    following = (first + dt.timedelta(days=31)).replace(day=1)
    return [first + dt.timedelta(days=n) for n in range((following - first).days)]


@pytest.mark.parametrize("missing", [False, True])
def test_the_note_on_shaded_periods_shows_only_under_a_shaded_period(
    tmp_path: Any, missing: bool
) -> None:
    """An archive of ten days, each listed and archived, or with one listed article not
    archived (its day incomplete): by day, the attention chart and an entity's chart
    say what grey shading means exactly when a period is incomplete; by month (a month
    the archive only partly covers), always."""
    pytest.importorskip("datasette")
    import html
    import urllib.parse

    from centrasia_crawler.archive import Archive
    from centrasia_crawler.items import Headline
    from tests.helpers import ARTICLES, article, get

    path = tmp_path / "archive.sqlite"
    with Archive.open(path) as store:
        written = [article(*row) for row in ARTICLES]
        listed = [
            Headline(r["st"], r["published_at"][:10], r["published_at"], r["title"], None, "u")
            for r in written
        ]
        if missing:
            listed.append(Headline(99, "2026-02-15", "2026-02-15T18:00:00+03:00", "Нет", None, "u"))
        store.write_batch(written, listed)
    good = complete_days(path)
    query = urllib.parse.quote("Жапаров")
    urls = {
        ("attention", "day"): f"/archive/-/attention?q={query}&by=day",
        ("entity", "day"): f"/archive/-/entity/{query}?by=day",
        ("attention", "month"): f"/archive/-/attention?q={query}&by=month",
        ("entity", "month"): f"/archive/-/entity/{query}?by=month",
    }
    pages = get(path, *urls.values())
    numbers = get(path, *(u.replace("?", ".json?") for u in urls.values()))
    for ((_, by), url), page, as_json in zip(urls.items(), pages, numbers, strict=True):
        assert page.status_code == 200 and as_json.status_code == 200, url
        drawn = as_json.json()["rows"]
        assert drawn, url
        incomplete = [r["period"] for r in drawn if not set(period_days(r["period"], by)) <= good]
        assert [r["period"] for r in drawn if not r["complete"]] == incomplete, url
        assert bool(incomplete) == (missing or by == "month"), url
        text = html.unescape(page.text)
        assert '<figure class="centrasia-plot">' in text, url
        assert ("Periods shaded grey are incomplete" in text) == bool(incomplete), url


@pytest.mark.parametrize("crawled", ["https://centrasia.org", "http://127.0.0.1:8642"])
def test_charts_are_headed_with_the_host_the_articles_came_from(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, crawled: str
) -> None:
    """A replica's (generated) articles are not the site's: charts of an archive crawled
    from one say where they came from, not «centrasia.org»."""
    pytest.importorskip("datasette")
    import html
    import urllib.parse

    from centrasia_crawler.archive import Archive
    from centrasia_crawler.cli import main
    from tests.helpers import ARTICLES, article, get

    path = tmp_path / "archive.sqlite"
    with Archive.open(path) as store:
        assert store.site() == "centrasia.org"  # no article yet
        written = [article(*row) for row in ARTICLES]
        for row in written:
            row["url"] = f"{crawled}/newsA.php?st={row['st']}"
        store.write_batch(written)
        host = urllib.parse.urlsplit(crawled).netloc
        assert store.site() == host
        figure = trend_figure(store.trend("Жапаров", by="day"), "day", site=store.site())
    import matplotlib.pyplot as plt

    try:
        assert figure._suptitle.get_text().startswith(f"{host}: articles matching «Жапаров»")
    finally:
        plt.close(figure)
    query = urllib.parse.quote("Жапаров")
    (page,) = get(path, f"/archive/-/attention?q={query}&by=day")
    text = html.unescape(page.text)
    assert f"{host}: articles matching «Жапаров», by day" in text
    assert ("centrasia.org:" in text) == (host == "centrasia.org")
    # the command line's plots too (the PNG's title is pixels: what it is given)
    import centrasia_crawler.plot as plot

    drawn: list[str] = []

    def save(fig: Any, out: Any) -> None:
        drawn.append(fig._suptitle.get_text())
        plt.close(fig)

    monkeypatch.setattr(plot, "_save", save)
    for args in (["trend", "Жапаров"], ["coverage"]):
        assert main([*args, "--plot", str(tmp_path / "x.png"), "--archive", str(path)]) == 0
    assert len(drawn) == 2 and all(title.startswith(f"{host}") for title in drawn), drawn
