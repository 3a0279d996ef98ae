"""``centrasia doctor``: the first look at a site, its verdict, and fixture pairs."""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from centrasia_crawler import settings
from centrasia_crawler.doctor import MAX_REQUESTS
from centrasia_crawler.fixture_pairs import check_pair, pairs
from tests.crawling import centrasia
from tests.helpers import free_port
from tests.replica.content import Site
from tests.replica.markup import TableMarkup, heading, shown
from tests.replica.server import SHUTDOWN_POLL, Faults, Replica, serve


def doctor(root: str, *args: str) -> Any:
    return centrasia("doctor", "--root", root, "--delay", "0", *args, timeout=120)


@pytest.mark.parametrize("markup", ["table", "div"])
def test_both_markups_read_ok_within_the_budget(markup: str, tmp_path: Path) -> None:
    with serve(days=5, per_day=12, markup=markup) as replica:
        done = doctor(replica.root)
        log = list(replica.log)
        forbidden = replica.site.disallowed
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split()[0] for line in lines[:-1]] == [
        *("robots", "index", "feed", "calendar", "day"),
        *("article", "article", "article"),
    ]
    assert lines[-1] == f"ok: {len(log)} requests, everything read"
    assert len(log) <= MAX_REQUESTS
    assert {r.user_agent for r in log} == {settings.USER_AGENT}
    assert log[0].path == "/robots.txt"
    assert not any(f"st={st}" in r.path for r in log for st in forbidden)  # robots.txt obeyed
    encoding = "cp1251 (header)" if markup == "table" else "utf-8 (header)"
    assert all(encoding in line for line in lines[1:-1])
    assert "listing: 5 days, 60 headlines" in lines[1]
    assert "listing: 1 days, 12 headlines" in lines[4]
    for line in lines[5:8]:
        assert "(agrees with st)" in line and "paragraphs" in line and "permalink" in line


class NoTimeLine(TableMarkup):
    def article(self, a: dict[str, Any], *args: Any, **kwargs: Any) -> str:
        return super().article(a, *args, **kwargs).replace(shown(a["published_at"]), "")


class NoDayHeadings(TableMarkup):
    def index(self, days: list[dict[str, Any]]) -> str:
        text = super().index(days)
        for day in days:
            text = text.replace(heading(dt.date.fromisoformat(day["date"])), "")
        return text


@contextmanager
def replica_with(markup: TableMarkup) -> Iterator[Replica]:
    replica = Replica(Site(days=4, per_day=10), markup, Faults()).start()
    try:
        yield replica
    finally:
        replica.stop()


def test_articles_without_their_time_line_fail_with_each_url() -> None:
    with replica_with(NoTimeLine()) as replica:
        done = doctor(replica.root)
    assert done.returncode == 1
    problems = done.stderr.splitlines()
    assert len(problems) == 3
    for line in problems:
        assert re.match(r"centrasia doctor: http://127\.0\.0\.1:\d+/newsA\.php\?st=\d+: ", line)
        assert "not read as an article" in line and "time" in line
    assert "Traceback" not in done.stderr


def test_an_index_without_day_headings_fails_naming_the_index() -> None:
    with replica_with(NoDayHeadings()) as replica:
        done = doctor(replica.root)
    assert done.returncode == 1
    problems = done.stderr.splitlines()
    assert problems and all(line.startswith("centrasia doctor: ") for line in problems)
    assert any(f"{replica.root}: " in line and "index" in line.lower() for line in problems), (
        problems
    )
    assert "Traceback" not in done.stderr


def test_a_closed_port_is_one_line() -> None:
    done = doctor(f"http://127.0.0.1:{free_port()}/")
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("centrasia doctor: cannot reach http://127.0.0.1:")
    assert "connection refused" in done.stderr


@contextmanager
def refusing_server() -> Iterator[str]:
    class Refuse(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(403)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<h1>Forbidden</h1>")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Refuse)
    thread = threading.Thread(target=server.serve_forever, args=(SHUTDOWN_POLL,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_site_that_refuses_everything_is_one_line() -> None:
    with refusing_server() as root:
        done = doctor(root)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith(f"centrasia doctor: {root}: HTTP 403")


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--root", "ftp://x.org/"], "not an http(s) address"), (["--delay", "-1"], "--delay")],
)
def test_usage_errors_exit_2(args: list[str], message: str) -> None:
    done = centrasia("doctor", *args)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr


def test_saved_pairs_read_back_and_update_shows_the_difference(tmp_path: Path) -> None:
    saved = tmp_path / "captured"
    with serve(days=3, per_day=8, markup="div") as replica:
        done = doctor(replica.root, "--save", str(saved))
    assert done.returncode == 0, done.stderr
    found = list(pairs(saved))
    names = sorted(p.stem for p in found)
    assert names[3:] == ["calendar", "day_" + str(replica.site.day_list()[0]), "feed", "index"]
    assert all(name.startswith("article_") for name in names[:3])
    assert all(check_pair(p) == "" for p in found)  # each page still reads as saved
    head = found[0].with_suffix(".http").read_bytes().split(b"\r\n\r\n")[0]
    assert head.startswith(b"HTTP/1.1 200") and b"Content-Type: text/html" in head

    index = saved / "index.json"
    pair = json.loads(index.read_text(encoding="utf-8"))
    first = pair["data"]["days"][0]["headlines"][0]
    real_title = first["title"]
    first["title"] = "Заголовок, каким его прочли раньше"
    text = json.dumps(pair, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    index.write_text(text, encoding="utf-8")
    diff = check_pair(index).splitlines()
    changed = [line for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert [line.split(":", 1)[1].strip() for line in changed] == [
        '"Заголовок, каким его прочли раньше",',
        f"{json.dumps(real_title, ensure_ascii=False)},",
    ]

    updated = centrasia("doctor", "--update", "--save", str(saved))
    assert updated.returncode == 0, updated.stderr
    assert real_title in updated.stdout and "Заголовок, каким его прочли раньше" in updated.stdout
    assert updated.stdout.splitlines()[-1] == "7 fixture pairs, 1 rewritten"
    assert check_pair(index) == ""
    again = centrasia("doctor", "--update", "--save", str(saved))
    assert again.stdout == "7 fixture pairs, 0 rewritten\n"


def test_a_saved_page_that_no_longer_reads_is_reported_and_kept(tmp_path: Path) -> None:
    saved = tmp_path / "captured"
    with serve(days=2, per_day=6) as replica:
        doctor(replica.root, "--save", str(saved))
    article = next(p for p in pairs(saved) if p.stem.startswith("article_"))
    raw = article.with_suffix(".http")
    raw.write_bytes(re.sub(rb"\d\d:\d\d \d\d\.\d\d\.\d{4}", b"", raw.read_bytes()))
    before = article.read_text(encoding="utf-8")
    assert "cannot be read any more" in check_pair(article)
    done = centrasia("doctor", "--update", "--save", str(saved))
    assert done.returncode == 1
    assert done.stderr.strip().endswith("the page cannot be read any more; kept")
    assert article.read_text(encoding="utf-8") == before


def test_update_without_pairs_is_a_usage_error(tmp_path: Path) -> None:
    done = centrasia("doctor", "--update", "--save", str(tmp_path / "none"))
    assert done.returncode == 2 and "not a directory" in done.stderr
