"""The article page of the Datasette plugin, ``/<database>/-/article/<st>``.

The archive holds a few replica articles, one of them reprinted twice (``Site.edit``)
and one revised. The truth: the replica's own text and paragraphs, the reprints made
here, and the entities the tagger stored for the article (read with plain SQL)."""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from centrasia_crawler.archive import Archive
from tests.helpers import close_datasette, datasette, rows, serving
from tests.replica.content import Site

pytest.importorskip("datasette", reason="Datasette is not installed ([serve] extra)")

SITE = Site(days=2, per_day=8, seed=11, last_day=dt.date(2026, 2, 19))
STS = sorted(st for st in SITE.by_st if st not in SITE.disallowed)
ORIGINAL, REPRINTS, REVISED = STS[0], STS[3:5], STS[6]
for n, st in enumerate(REPRINTS):
    SITE.edit(st, body=SITE.article(ORIGINAL)["body"], source=f"Перепечатка {n}")


@pytest.fixture(scope="module")
def path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("article") / "archive.sqlite"
    with Archive.open(path) as writer:
        writer.write_batch([SITE.article(st) for st in STS])
        first = SITE.article(REVISED)
        parts = first["body"].split("\n\n")
        changed = "\n\n".join([*parts[:-1], "Исправленный последний абзац."])
        writer.write_batch([{**first, "body": changed, "title": first["title"] + "!"}])
    return path


def page(path: Path, url: str) -> tuple[int, str]:
    async def run() -> tuple[int, str]:
        ds = datasette([path])
        try:
            response = await ds.client.get(url)
            return response.status_code, response.text
        finally:
            close_datasette(ds)

    return asyncio.run(run())


def text_of(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def entity_ids(path: Path, st: int) -> list[str]:
    return [
        r["entity_id"]
        for r in rows(path, "SELECT entity_id FROM article_entities WHERE st = ?", st)
    ]


def test_the_page_shows_the_article(path: Path) -> None:
    status, markup = page(path, f"/archive/-/article/{REPRINTS[0]}")
    assert status == 200
    truth = SITE.article(REPRINTS[0])
    shown = re.findall(r"<p>(.*?)</p>", markup, re.S)
    assert [html.unescape(p) for p in shown[: len(truth["body"].split("\n\n"))]] == [
        p.strip() for p in truth["body"].split("\n\n")
    ]
    assert html.escape(truth["title"], quote=False) in markup
    assert f'href="{html.escape(truth["url"])}"' in markup
    ids = entity_ids(path, REPRINTS[0])
    assert ids
    for entity_id in ids:
        assert f'href="/archive/-/entity/{entity_id}"' in markup
    for st in [ORIGINAL, REPRINTS[1]]:
        assert f'href="/archive/-/article/{st}"' in markup
    assert f'href="/archive/-/article/{REPRINTS[0]}"' not in markup
    lonely = page(path, f"/archive/-/article/{STS[1]}")[1]
    assert "No reprint of it is archived." in lonely and "/-/article/" not in lonely


def test_the_page_shows_a_revision_and_what_changed(path: Path) -> None:
    status, markup = page(path, f"/archive/-/article/{REVISED}")
    assert status == 200
    last = SITE.article(REVISED)["body"].split("\n\n")[-1].strip()
    revision = markup[markup.index("Revision 2") :]
    assert f'class="removed">− {html.escape(last, quote=False)}' in revision
    assert 'class="added">+ Исправленный последний абзац.' in revision
    assert text_of(revision).count("→") == 1  # the title


@pytest.mark.parametrize("st", ["1", "12x", "99999999999"])
def test_an_article_the_archive_lacks_is_a_404(path: Path, st: str) -> None:
    status, markup = page(path, f"/archive/-/article/{st}")
    assert status == 404
    said = re.findall(r'<div style="[^"]*">(.*?)</div>', markup, re.S)
    assert said == [f"archive has no article {st}."]


@pytest.mark.slow
def test_the_article_page_in_a_real_browser(path: Path, tmp_path: Path) -> None:
    """Headless Chromium renders the page: its paragraphs, entity links and reprints in
    the DOM, and a screenshot (kept in the test's tmp dir)."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
    flags += ["--disable-background-networking", "--disable-component-update", "--disable-sync"]
    with serving(path) as (base, _):
        url = f"{base}/archive/-/article/{REPRINTS[0]}"

        def run(*what: str, profile: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [browser, *flags, f"--user-data-dir={tmp_path / profile}", *what, url],
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )

        dom = run("--dump-dom", profile="dom").stdout
        shot = tmp_path / "article.png"
        run(f"--screenshot={shot}", "--window-size=1200,1600", profile="shot")
    for paragraph in SITE.article(REPRINTS[0])["body"].split("\n\n"):
        assert f"<p>{html.escape(paragraph.strip(), quote=False)}</p>" in dom
    for entity_id in entity_ids(path, REPRINTS[0]):
        assert f'href="/archive/-/entity/{entity_id}"' in dom
    for st in [ORIGINAL, REPRINTS[1]]:
        assert f'href="/archive/-/article/{st}"' in dom
    assert shot.stat().st_size > 10_000
