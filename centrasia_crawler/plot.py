"""`centrasia coverage --plot`: articles per day, with the gaps marked (matplotlib).

matplotlib is an optional extra (``pip install 'centrasia-crawler[plot]'``); it is
imported only when a plot is asked for.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from centrasia_crawler.archive.queries import Coverage


class PlotUnavailable(RuntimeError):
    """matplotlib is not installed."""


def plot_coverage(cover: Coverage, path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.dates import date2num
    except ImportError:
        raise PlotUnavailable(
            "--plot needs matplotlib: pip install 'centrasia-crawler[plot]'"
        ) from None
    days = [float(date2num(dt.date.fromisoformat(d.day))) for d in cover.days]
    fig, ax = plt.subplots(figsize=(max(6.0, len(days) * 0.12), 3.6), dpi=100)
    ax.bar(days, [d.archived for d in cover.days], width=0.9, color="#3a6ea5", label="archived")
    ax.plot(
        days,
        [d.listed for d in cover.days],
        color="#222222",
        linewidth=1,
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
    ax.xaxis_date()
    ax.set_ylabel("articles per day")
    ax.set_title("centrasia.org archive coverage")
    ax.legend(loc="upper left", fontsize="small")
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
