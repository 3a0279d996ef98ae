"""What the reader's browser draws of a chart page's numbers: plain values, put in the
page as JSON (``pages.plot_context``) and drawn by the plugin's
``static/centrasia-charts.js`` with Observable Plot. Each says what
:mod:`centrasia_crawler.plot` draws of the same numbers on the server (``.svg``, and
``centrasia trend --plot``)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from centrasia_crawler.normalize.periods import period_start

#: The colours of the server's drawings (:mod:`centrasia_crawler.plot`), for the browser's.
_BLUE: Final = "#3a6ea5"


def trend_plot(
    rows: list[dict[str, Any]],
    by: str,
    share: bool = False,
    *,
    key: str = "query",
    title: str,
    site: str,
) -> dict[str, Any]:
    """What the browser draws of :func:`~centrasia_crawler.plot.trend_figure`'s rows: a
    line per ``key``, a point per period (``x`` its first day, ``end`` the next period's;
    no value where the period has no archived article: a gap, not a zero), the
    incomplete periods as spans."""
    labels = list(dict.fromkeys(r["period"] for r in rows))
    starts = [period_start(label, by).isoformat() for label in labels]  # type: ignore[arg-type]
    ends = [*starts[1:], _next_start(labels[-1], by)] if labels else []
    span = {label: (x, end) for label, x, end in zip(labels, starts, ends, strict=True)}
    points = [
        {
            "line": r[key],
            "x": span[r["period"]][0],
            "end": span[r["period"]][1],
            "y": None if not r["total"] else round(r["share"] * 100, 4) if share else r["articles"],
        }
        for r in rows
    ]
    first = rows[0][key] if rows else None
    spans = [
        {"x1": span[r["period"]][0], "x2": span[r["period"]][1]}
        for r in rows
        if r[key] == first and not r["complete"]
    ]
    return {
        "kind": "trend",
        "by": by,
        "title": f"{site}: {title}, by {by}",
        "y_label": "share of articles, %" if share else f"articles per {by}",
        "share": share,
        "points": points,
        "lines": list(dict.fromkeys(r[key] for r in rows)),
        "marks": len(labels) <= 60,
        "incomplete": spans,
    }


def _next_start(label: str, by: str) -> str:
    """The first day after the period ``label`` (the last period's end)."""
    start = period_start(label, by)  # type: ignore[arg-type]
    step = {"day": 1, "week": 7}.get(by)
    if step:
        return (start + dt.timedelta(days=step)).isoformat()
    if by == "month":
        return (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1).isoformat()
    return start.replace(year=start.year + 1).isoformat()


def coverage_plot(cover: Any, *, site: str) -> dict[str, Any]:
    """What the browser draws of :func:`~centrasia_crawler.plot.coverage_figure`'s
    coverage: the articles archived per day (bars), the headlines listed (a line, with
    no value on a day whose listing was never read) and the gaps."""
    return {
        "kind": "coverage",
        "title": f"{site} archive coverage",
        "y_label": "articles per day",
        "days": [
            {"x": d.day, "archived": d.archived, "listed": d.listed or None} for d in cover.days
        ],
        "gaps": [{"x1": a, "x2": b} for a, b in cover.gaps],
        "color": _BLUE,
    }


def sources_plot(rows: list[dict[str, Any]], query: str, *, site: str) -> dict[str, Any]:
    """What the browser draws of :func:`~centrasia_crawler.plot.sources_figure`'s rows:
    a bar per source, the most articles on top."""
    return {
        "kind": "bars",
        "title": f"{site}: top sources for {query}",
        "x_label": "articles",
        "bars": [{"name": r["source"], "n": r["articles"]} for r in rows],
        "color": _BLUE,
    }
