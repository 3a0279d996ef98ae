"""A run's error threshold is a share of URLs, each counted once however often it was
retried: the replica answers 500 on every attempt for some article pages, and the
share of them, counted in the replica's own request log, decides the run."""

from __future__ import annotations

from pathlib import Path

import pytest

from centrasia_crawler.archive import Archive
from tests.crawling import crawl
from tests.replica.server import Faults, Replica, serve


def broken_share(replica: Replica, share: float) -> float:
    """Pick the seed whose broken article pages are closest to ``share`` of the site's."""
    sts = replica.site.archivable()

    def actual(seed: int) -> float:
        replica.faults = Faults(broken_rate=share, seed=seed)
        return sum(replica.broken(f"/newsA.php?st={st}") for st in sts) / len(sts)

    seed = min(range(1, 200), key=lambda seed: abs(actual(seed) - share))
    replica.faults = Faults(broken_rate=share, seed=seed)
    return actual(seed)


@pytest.mark.slow
@pytest.mark.parametrize(("share", "fails"), [(0.12, True), (0.06, False)])
def test_the_error_threshold_counts_urls_that_failed_for_good(
    tmp_path: Path, share: float, fails: bool
) -> None:
    archive = tmp_path / "archive.sqlite"
    with serve(days=2, per_day=50) as replica:
        broken_share(replica, share)
        done = crawl(replica, archive, status=None, RETRY_TIMES="4")
        log = list(replica.log)
    # The truth, from the replica's log: article URLs asked for, and those never served.
    articles = {r.path for r in log if r.path.startswith("/newsA.php")}
    served = {r.path for r in log if r.path.startswith("/newsA.php") and r.status == 200}
    failed = articles - served
    assert failed and all(replica.broken(path) for path in failed)
    assert abs(len(failed) / len(articles) - share) < 0.015, (len(failed), len(articles))
    # Taken of the requests, their retries included, the same failures stay under 10%.
    assert len(failed) / len(log) < 0.10
    with Archive.open(archive, readonly=True) as store:
        run = store.last_run()
    assert run is not None
    reason = f"{len(failed)} of {len(articles)} article URLs failed after their retries"
    if fails:
        assert done.returncode == 1, done.stderr[-3000:]
        assert run["outcome"] == "failed"
        assert any(r.startswith(reason) for r in run["outcome_reasons"]), run["outcome_reasons"]
        assert f"run failed: {reason}" in done.stderr
    else:
        assert done.returncode == 0, done.stderr[-3000:]
        assert run["outcome"] == "ok", run["outcome_reasons"]
    assert "Traceback" not in done.stderr


def test_a_share_of_a_handful_of_article_urls_is_judged_against_all_urls() -> None:
    """One dead article of an hourly run's four is no failure while the run's URLs hold
    it under the share; three of twenty-five article URLs are."""
    from centrasia_crawler.health import (
        ARTICLE_URLS_STAT,
        URLS_STAT,
        Thresholds,
        _failed_requests,
    )

    def dead(n: int) -> list[dict[str, str]]:
        return [
            {
                "kind": "fetch",
                "url": f"https://centrasia.org/newsA.php?st={1771500000 + k}",
                "reason": "HTTP 404",
            }
            for k in range(n)
        ]

    small = {URLS_STAT: 15, ARTICLE_URLS_STAT: 4}
    assert _failed_requests(small, dead(1), Thresholds()) == []
    assert _failed_requests(small, dead(2), Thresholds())  # 2 of 15 URLs: over 10%
    large = {URLS_STAT: 40, ARTICLE_URLS_STAT: 25}
    (reason,) = _failed_requests(large, dead(3), Thresholds())
    assert reason.startswith("3 of 25 article URLs failed after their retries")
