"""What the tests share: where the fixtures lie, builders of articles and archives,
Datasette in-process, and small tools (a free port, the rows of a query, this run's
child processes). Test modules import from here, from tests/crawling.py and from
tests/replica/, never from each other or from conftest.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import functools
import html
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from centrasia_crawler.items import ArticleItem, article_item
from centrasia_crawler.normalize.headline import attribution

if TYPE_CHECKING:
    from tests.replica.content import Site

FIXTURES = Path(__file__).parent / "fixtures"
SPECIMEN = FIXTURES / "specimen"


def specimen_pages() -> list[Path]:
    """Every saved page that has an expected JSON beside it."""
    return sorted(
        p
        for p in SPECIMEN.iterdir()
        if p.is_file() and (SPECIMEN / "expected" / f"{p.stem}.json").exists()
    )


def expected(name: str) -> dict[str, Any]:
    """What extraction gives for the specimen page ``name`` (its expected JSON)."""
    return json.loads((SPECIMEN / "expected" / f"{name}.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def url_for(page: Path) -> str:
    """The address a specimen page was fetched from."""
    if page.stem.startswith("article_"):
        return f"https://centrasia.org/newsA.php?st={page.stem.removeprefix('article_')}"
    return "https://centrasia.org/"


# --- articles and archives ---------------------------------------------------------


#: Ten short articles that the search tests query, ``(st, title, body)``; the
#: expected results are read off these texts.
ARTICLES = [
    (
        1,
        "Садыр Жапаров подписал указ",
        "Президент Садыр Жапаров подписал указ о новой конституции.",
    ),
    (2, "Встреча с Жапаровым", "Камчыбек Ташиев встретился с Садыром Жапаровым в Бишкеке."),
    (3, "Ташиев в Оше", "Глава ГКНБ Камчыбек Ташиев посетил Ош."),
    (4, "Новая конституция Казахстана", "Референдум о новой конституции прошёл в Казахстане."),
    (5, "Токаев в Астане", "Касым-Жомарт Токаев провёл совещание в Нур-Султане в 2019 году."),
    (6, "Рейтинг SCImago", "Университеты Узбекистана вошли в рейтинг SCImago в 2026 году."),
    (7, "Цены на сталь", "Цены на сталь выросли на 5%, а рынки стали спокойнее."),
    (8, "Ёлка в Бишкеке", "В Бишкеке нарядили ёлку. «Новогодняя ёлка» стоит на площади."),
    (
        9,
        "Газ для Узбекистана",
        "Россия поставит газ в Узбекистан. Новая конституция не обсуждалась.",
    ),
    (10, "Жапаров и Мирзиёев", "Садыр Жапаров и Шавкат Мирзиёев обсудили границу и воду."),
]


def article(st_: int, title: str, body: str) -> dict[str, Any]:
    """An article item for :meth:`Archive.write_batch`: published on 2026-02-(10+st) at
    noon, from ИноСМИ (odd st) or 24.kg (even)."""
    return {
        "st": st_,
        "url": f"https://centrasia.org/newsA.php?st={st_}",
        "title": title,
        "published_at": f"2026-02-{10 + st_:02d}T12:00:00+03:00",
        "body": body,
        "source": "ИноСМИ" if st_ % 2 else "24.kg",
    }


def schema_4_archive(path: Path, rows: Iterable[tuple[int, str, str]]) -> Path:
    """An archive of schema 4 (before the morphological index) holding ``(st, title,
    body)`` articles."""
    return older_archive(path, rows, 4)


def older_archive(path: Path, rows: Iterable[tuple[int, str, str]], version: int) -> Path:
    """An archive of schema ``version`` (4 or later) holding ``(st, title, body)``
    articles, written as the schema's columns of version 4 allow."""
    from centrasia_crawler.archive.schema import migrate

    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, upto=version)
    for st, title, body in rows:
        conn.execute(
            "INSERT INTO articles (st, url, title, published_at, published_date, body,"
            " content_hash, first_seen_at, last_fetched_at, revision)"
            " VALUES (?, 'u', ?, '2026-02-19T12:00:00+03:00', '2026-02-19', ?, 'h',"
            " 't', 't', 1)",
            (st, title, body),
        )
    conn.close()
    return path


def rows(path: Path, sql: str, *params: Any) -> list[dict[str, Any]]:
    """The rows ``sql`` reads from the SQLite file at ``path``, as dicts."""
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def site_archive(tmp_path_factory: pytest.TempPathFactory, site: Site, path: Path) -> Path:
    """``path``, a copy of the archive of every article of ``site`` as the replica writes
    it (``site.article`` of each st, one batch, into a new archive), built once a run
    (:func:`built_once`) for every module whose Site has the same parameters. ``site``
    is one as generated: no edits and no real days (its parameters would not say its
    text)."""
    if site.edits or site.real or site.marked:
        raise ValueError("site_archive: a Site changed after it was made")
    name = (
        f"site-seed{site.seed}-{site.days}x{site.per_day}-to-{site.last_day}"
        f"-paragraphs{site.body_paragraphs[0]}-{site.body_paragraphs[1]}.sqlite"
    )

    def build(into: Path) -> None:
        from centrasia_crawler.archive import Archive

        with Archive.open(into) as writer:
            writer.write_batch([site.article(st) for st in sorted(site.by_st)])

    return built_once(tmp_path_factory, name, build, path)


def built_once(
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    build: Callable[[Path], None],
    path: Path,
) -> Path:
    """``path``, a copy of the SQLite file ``build`` writes (and closes) at the path it
    is given. The file is built once a run, as ``name``, in a directory of the run's
    base temporary directory that every xdist worker shares, under a lock: the first
    test to ask builds it, the later ones, of any worker, copy it. Each gets a copy of
    its own, which no other sees. One ``name`` is one build, wherever it is asked for."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's own directory: the workers' are in it
    cache = root / "built-once"
    cache.mkdir(exist_ok=True)
    done = cache / name
    with open(cache / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released as the file closes
        if not done.exists():
            building = cache / f"{name}.building"
            for leftover in ("", "-wal", "-shm"):  # an earlier build that failed
                Path(f"{building}{leftover}").unlink(missing_ok=True)
            build(building)
            if Path(f"{building}-wal").exists():
                raise RuntimeError(f"built_once: {name} left a write-ahead log (still open?)")
            building.rename(done)
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(done, path)
    return path


#: The fields extraction gives an article: the specimen's expected JSON says which.
ARTICLE_FIELDS = tuple(expected("article_1771493400"))


def assert_archive_is_ground_truth(path: Path, site: Site, sts: list[int]) -> None:
    """The archive at ``path`` holds exactly the replica's articles ``sts``, each as the
    replica wrote it."""
    archived = {r["st"]: r for r in rows(path, "SELECT * FROM articles")}
    assert sorted(archived) == sts
    for st in sts:
        truth, row = site.article(st), archived[st]
        for name in ARTICLE_FIELDS:
            if name in truth:
                assert row[name] == truth[name], (st, name)
        # The replica's sources are outlets the outlet table names as printed, at
        # example.org addresses.
        assert row["outlet"] == truth["source"], st
        assert row["source_domain"] == ("example.org" if truth["source_url"] else None), st
        assert row["unread_lines"] is None, st
        assert row["time_mismatch"] == int(truth.get("time_mismatch", False)), st
        assert row["attribution"] == site.attribution(st), st
        assert row["published_date"] == truth["published_at"][:10]
        assert row["revision"] == 1


# --- Datasette in-process, every connection closed ------------------------------------


def datasette(paths: list[Path], **options: Any) -> Any:
    """Datasette on ``paths`` for a test's in-process client, as ``centrasia serve``
    starts it (its :data:`~centrasia_crawler.serve.SETTINGS`, which ``settings`` may
    override), with one change: ``num_sql_threads`` 0, so its SQL runs on one read and
    one write connection per database, which :func:`close_datasette` closes (its worker
    threads' connections cannot be)."""
    from datasette.app import Datasette

    from centrasia_crawler.serve import SETTINGS

    settings = {**SETTINGS, "num_sql_threads": 0, **options.pop("settings", {})}
    ds = Datasette([str(p) for p in paths], settings=settings, **options)
    ds.jinja_env.bytecode_cache = compiled_templates()  # no test compiles them again
    return ds


@functools.cache
def compiled_templates() -> Any:
    """A Jinja bytecode cache in memory: Datasette's templates compiled once per run."""
    import jinja2

    class CompiledTemplates(jinja2.BytecodeCache):
        def __init__(self) -> None:
            self.compiled: dict[str, bytes] = {}

        def load_bytecode(self, bucket: Any) -> None:
            if bucket.key in self.compiled:
                bucket.bytecode_from_string(self.compiled[bucket.key])

        def dump_bytecode(self, bucket: Any) -> None:
            self.compiled[bucket.key] = bucket.bytecode_to_string()

    return CompiledTemplates()


def close_datasette(ds: Any) -> None:
    """Closes every connection ``ds`` (from :func:`datasette`) opened."""
    for db in ds.databases.values():
        opened = [db._read_connection, db._write_connection, *db._all_file_connections]
        for conn in {id(c): c for c in opened if c is not None}.values():
            conn.close()


def get(path: Path, *urls: str, **options: Any) -> list[Any]:
    """The responses of plain Datasette (``Datasette([path], **options)``) to ``urls``."""

    async def run() -> list[Any]:
        ds = datasette([path], **options)
        try:
            return [await ds.client.get(url) for url in urls]
        finally:
            close_datasette(ds)

    return asyncio.run(run())


def rows_of(text: str) -> list[list[str]]:
    """The table rows of a page: each cell's text, tags taken out."""
    body = text[text.index("<tbody>") : text.index("</tbody>")]
    return [
        [
            html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def assert_local_only(text: str) -> None:
    """Nothing the page loads comes from outside the machine: no script, style, image or
    font from another host (the footer's link to datasette.io is a link, not a load)."""
    assert not re.search(r'<script[^>]*src="(?!/)', text)
    for attribute in re.findall(r'(?:src|href)="([^"]*)"', text):
        assert not attribute.startswith(("http", "//")) or attribute == "https://datasette.io/"
    assert "@font-face" not in text and "@import" not in text
    assert not re.search(r"url\((?!#)", text)


def plot_in(text: str) -> dict[str, Any]:
    """The numbers a chart page gives the browser to draw (its script element of JSON),
    read as the page's script reads them."""
    found = re.search(
        r'<script type="application/json" class="centrasia-plot-data">(.*?)</script>', text, re.S
    )
    assert found, "the page has no chart to draw"
    plot: dict[str, Any] = json.loads(found.group(1))
    return plot


# --- processes and ports -----------------------------------------------------------


def running_children() -> dict[int, str]:
    """This process's children that still run (not zombies): pid -> command line. The
    kernel's lists of each thread's children name them (read twice: a list read while
    another thread reaps a child may skip one); each one's stat tells a zombie, or a pid
    that went meanwhile. Without those lists, the stat of every process is read."""
    found: dict[int, str] = {}
    if not _has_children():
        return found
    me = os.getpid()
    for name in (_child_pids() | _child_pids()) if _LISTS_CHILDREN else _all_pids():
        if (stat := _proc(name, "stat")) is None:
            continue
        state, ppid = stat[stat.rindex(b")") + 2 :].split()[:2]
        if int(ppid) != me or state == b"Z" or (command := _proc(name, "cmdline")) is None:
            continue
        found[int(name)] = command.replace(b"\0", b" ").decode(errors="replace")
    return found


#: Whether the kernel lists each thread's children (/proc/PID/task/TID/children, in a
#: kernel built with CONFIG_PROC_CHILDREN).
_LISTS_CHILDREN = sys.platform == "linux" and os.path.exists(
    f"/proc/self/task/{os.getpid()}/children"
)


def _child_pids() -> set[str]:
    """The pids of this process's children, exited ones included: each thread's (a child
    belongs to the thread that started it, or to another when that one has ended)."""
    pids: set[str] = set()
    for tid in os.listdir("/proc/self/task"):
        if (listed := _proc(f"self/task/{tid}", "children")) is not None:
            pids.update(listed.decode().split())
    return pids


def _all_pids() -> list[str]:
    return [name for name in os.listdir("/proc") if name.isdigit()]


def _has_children() -> bool:
    """Whether this process has any child, running or exited (one system call; the scan
    of /proc is needed only when it has)."""
    try:
        os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return False
    return True


def _proc(pid: str, what: str) -> bytes | None:
    """/proc/PID/WHAT, or None when the process has gone meanwhile."""
    try:  # os.read, not open(): half the cost, and a scan reads every process's stat
        fd = os.open(f"/proc/{pid}/{what}", os.O_RDONLY)
    except OSError:
        return None
    try:
        chunks = []
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_answering(
    url: str,
    process: subprocess.Popen[Any] | None = None,
    seconds: float = 60,
    timeout: float = 5,
    interval: float = 0.1,
) -> None:
    """Returns once ``url`` answers; raises the last refusal (an :class:`OSError`) once
    ``seconds`` have passed, or at once when ``process`` (the server) has exited."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=timeout).close()
            return
        except OSError:
            if time.monotonic() > deadline or (process is not None and process.poll() is not None):
                raise
            time.sleep(interval)


@contextlib.contextmanager
def serving(
    archive: Path, command: Callable[[int], list[str]] | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A server of ``archive`` at a free loopback port, as a reader meets it:
    ``centrasia serve``, or the ``command`` given for the port; its base URL and process
    once it answers; stopped (and waited for) after."""
    port = free_port()
    serve = [sys.executable, "-m", "centrasia_crawler.cli", "serve", "--archive", str(archive)]
    server = subprocess.Popen(
        command(port) if command else [*serve, "--port", str(port)],
        cwd=Path(__file__).resolve().parents[1],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_answering(f"{base}/-/versions.json", server)
        yield base, server
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def crawled_article(st: int = 1771493400, **changes: Any) -> ArticleItem:
    """An article item, made from extracted data as the crawl makes it."""
    base = {
        "st": st,
        "url": f"https://centrasia.org/newsA.php?st={st}",
        "title": "Ёлка в Бишкеке, - Сергей Лавров",
        "published_at": "2026-02-19T12:30:00+03:00",
        "body": "Жители столицы нарядили ёлку.\n\nЕё видно издалека.",
        "source": "ИноСМИ",
        "source_url": None,
        "original_date": None,
        "stated_permalink": None,
        "time_mismatch": False,
    }
    data = base | changes
    return article_item(data | {"attribution": attribution(data["title"])})  # as extraction


def drop_named(conn: sqlite3.Connection, prefix: str) -> None:
    """Drop every table, index, view and trigger whose name begins with ``prefix`` (to
    make an archive of an older schema)."""
    for kind, name in conn.execute(
        "SELECT type, name FROM sqlite_master WHERE name LIKE ? || '%'", (prefix,)
    ).fetchall():
        conn.execute(f"DROP {kind.upper()} IF EXISTS {name}")
