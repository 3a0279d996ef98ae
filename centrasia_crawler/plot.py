"""Charts: `centrasia coverage --plot` (articles per day, gaps marked) and `centrasia
trend --plot` (matching articles by period, incomplete periods shaded); matplotlib.

matplotlib is an optional extra (``pip install 'centrasia-crawler[plot]'``); it is
imported only when a plot is asked for.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from pathlib import Path
from typing import Any

from centrasia_crawler.archive.coverage import Coverage
from centrasia_crawler.normalize.periods import period_start


class PlotUnavailable(RuntimeError):
    """matplotlib is not installed."""


def _pyplot() -> Any:
    """matplotlib's pyplot, drawing to files (no screen), or :class:`PlotUnavailable`."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise PlotUnavailable(
            "--plot needs matplotlib: pip install 'centrasia-crawler[plot]'"
        ) from None
    return plt


def _date_axis(ax: Any) -> None:
    """Dates that never overlap, from a week to decades (matplotlib picks the ticks)."""
    from matplotlib.dates import MONTHLY, AutoDateLocator, ConciseDateFormatter

    locator = AutoDateLocator(maxticks=10)
    # Four to five years are too many months for a tick every 6 and too few years for
    # yearly ticks: a tick every 12 months (each January) fits them.
    locator.intervald[MONTHLY] = [1, 2, 3, 4, 6, 12]
    ax.xaxis.set_major_locator(locator)
    # Day ticks name their month («08 Jan»): a bare «08» reads as the offset's month,
    # and the offset under the axis is then the year alone («2026», not «2026-Feb»).
    # The first of a month among day ticks too («01 Feb», not a bare «Feb» between days).
    formats = ["%Y", "%b", "%d %b", "%H:%M", "%H:%M", "%S.%f"]
    zeros = ["", "%Y", "%d %b", "%d %b", "%H:%M", "%H:%M"]
    offsets = ["", "%Y", "%Y", "%Y", "%d %b %Y", "%d %b %Y %H:%M"]
    formatter = ConciseDateFormatter(
        locator, formats=formats, zero_formats=zeros, offset_formats=offsets
    )
    ax.xaxis.set_major_formatter(formatter)


def _legend_outside(fig: Any, ax: Any) -> None:
    """The legend in a row below the plot, where it hides no data."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        fig.legend(
            handles,
            labels,
            loc="outside lower center",
            ncols=min(4, len(handles)),
            fontsize="small",
        )


#: Up to this many days, the archived articles are a bar a day; beyond, one filled step.
_BARS = 120


def coverage_figure(cover: Coverage, *, site: str) -> Any:
    """Articles archived per day (bars) and headlines listed (a line, with a gap on the
    days whose listing was never read), the gaps shaded; headed with ``site``, where the
    articles were crawled from (:meth:`~centrasia_crawler.archive.store.Archive.site`)."""
    plt = _pyplot()
    from matplotlib.dates import date2num

    days = [float(date2num(dt.date.fromisoformat(d.day))) for d in cover.days]
    fig, ax = plt.subplots(figsize=(9.0, 4.2), dpi=100, layout="constrained")
    archived = [d.archived for d in cover.days]
    if len(days) <= _BARS:
        ax.bar(days, archived, width=0.9, color="#3a6ea5", label="archived")
    else:  # one shape, not a bar a day: thousands of bars take seconds to draw
        edges = [*(d - 0.5 for d in days), days[-1] + 0.5]
        ax.stairs(archived, edges, fill=True, color="#3a6ea5", label="archived")
    ax.plot(
        days,
        [d.listed if d.listed else math.nan for d in cover.days],
        color="#222222",
        linewidth=1,
        marker="." if len(days) <= 60 else None,
        label="listed on the site",
    )
    for start, end in cover.gaps:
        ax.axvspan(
            float(date2num(dt.date.fromisoformat(start))) - 0.5,
            float(date2num(dt.date.fromisoformat(end))) + 0.5,
            color="#d9534f",
            alpha=0.25,
            label="gap" if (start, end) == cover.gaps[0] else None,
        )
    _date_axis(ax)
    ax.set_ylabel("articles per day")
    ax.set_ylim(bottom=0)
    fig.suptitle(f"{site} archive coverage")
    _legend_outside(fig, ax)
    return fig


def plot_coverage(cover: Coverage, path: Path, *, site: str) -> None:
    _save(coverage_figure(cover, site=site), path)


def _save(fig: Any, path: Path) -> None:
    plt = _pyplot()
    try:
        fig.savefig(path)
    finally:
        plt.close(fig)


def trend_figure(
    rows: list[dict[str, Any]],
    by: str,
    share: bool = False,
    *,
    key: str = "query",
    title: str | None = None,
    site: str,
) -> Any:
    """One line per query (the legend as typed), counts or shares by period, periods
    whose archive is incomplete shaded; a period with no archived article is a gap in
    the line, not a zero. ``key``: the rows' column that names a line (``country`` for
    ``countries``' rows), ``title`` what the lines count (by default the query's
    articles, or each query's), headed with ``site`` (where the articles were crawled
    from)."""
    plt = _pyplot()
    from matplotlib.dates import date2num

    queries = list(dict.fromkeys(r[key] for r in rows))
    labels = list(dict.fromkeys(r["period"] for r in rows))
    starts = [period_start(label, by) for label in labels]  # type: ignore[arg-type]
    x = [float(date2num(day)) for day in starts]
    fig, ax = plt.subplots(figsize=(9.0, 4.2), dpi=100, layout="constrained")
    highest = 0.0
    for query in queries:
        values = [r for r in rows if r[key] == query]
        y = [
            math.nan if not r["total"] else r["share"] * 100 if share else r["articles"]
            for r in values
        ]
        highest = max([highest, *(v for v in y if not math.isnan(v))])
        ax.plot(x, y, marker="o" if len(x) <= 60 else None, markersize=3, label=query)
    ends = [*x[1:], x[-1] + (x[-1] - x[-2] if len(x) > 1 else 1.0)] if x else []
    incomplete = [r["complete"] for r in rows if r[key] == queries[0]] if queries else []
    shaded = False
    for start, end, complete in zip(x, ends, incomplete, strict=True):
        if not complete:
            ax.axvspan(
                start,
                end,
                color="#999999",
                alpha=0.25,
                linewidth=0,
                label=None if shaded else "archive incomplete",
            )
            shaded = True
    _date_axis(ax)
    ax.set_ylabel("share of articles, %" if share else f"articles per {by}")
    # From 0 to matplotlib's margin above the highest point: the margin of the points'
    # own range alone would leave the highest on the frame when the points lie close.
    ax.set_ylim(0, highest * (1 + ax.margins()[1]) if highest > 0 else None)
    if title is None:
        title = (
            f"articles matching «{queries[0]}»"
            if len(queries) == 1
            else ("articles matching each query")
        )
    fig.suptitle(f"{site}: {title}, by {by}")
    _legend_outside(fig, ax)
    return fig


def sources_figure(rows: list[dict[str, Any]], query: str, *, site: str) -> Any:
    """The top sources of the articles matching ``query``: horizontal bars, the most
    articles on top."""
    plt = _pyplot()
    height = 1.2 + 0.28 * max(len(rows), 1)
    fig, ax = plt.subplots(figsize=(9.0, height), dpi=100, layout="constrained")
    names = [r["source"] for r in rows][::-1]
    ax.barh(range(len(names)), [r["articles"] for r in rows][::-1], color="#3a6ea5")
    ax.set_yticks(range(len(names)), names, fontsize="small")
    ax.set_xlabel("articles")
    ax.xaxis.get_major_locator().set_params(integer=True)
    fig.suptitle(f"{site}: top sources for {query}")
    return fig


def svg(fig: Any) -> str:
    """The figure as an SVG document (text as paths: no font needed to show it)."""
    plt = _pyplot()
    out = io.StringIO()
    try:
        fig.savefig(out, format="svg")
    finally:
        plt.close(fig)
    return out.getvalue()


def plot_trend(
    rows: list[dict[str, Any]], by: str, path: Path, share: bool = False, *, site: str
) -> None:
    _save(trend_figure(rows, by, share, site=site), path)


def plot_countries(
    rows: list[dict[str, Any]], by: str, path: Path, share: bool = False, *, site: str
) -> None:
    """``centrasia countries --plot``: a line per country, as ``trend --plot`` draws."""
    _save(trend_figure(rows, by, share, key="name", title="articles per country", site=site), path)
