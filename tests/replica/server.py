"""The replica's HTTP server: a real server on 127.0.0.1, with fault injection and a log.

Faults are transient and deterministic: a path chosen by its hash (and the fault's
rate) fails on its first attempt only, so a crawler that retries gets everything.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from tests.replica.content import Site
from tests.replica.markup import MARKUPS, Markup

MOSCOW = ZoneInfo("Europe/Moscow")


@dataclass
class Faults:
    """Rates (0 to 1) of transient faults, each on a path's first attempt."""

    error_rate: float = 0.0  # 503 Service Unavailable
    slow_rate: float = 0.0  # answered after slow_seconds
    slow_seconds: float = 0.5
    drop_rate: float = 0.0  # the connection closed with no answer
    truncate_rate: float = 0.0  # half the body, then the connection closed
    redirect_rate: float = 0.0  # 301 to the same page on the site's old host
    away_rate: float = 0.0  # 302 to another site (a crawler must not follow)
    timeout_rate: float = 0.0  # answered after timeout_seconds (past the crawler's limit)
    timeout_seconds: float = 3.0
    down: bool = False  # every request but robots.txt answered 500, every time
    broken_rate: float = 0.0  # article pages answered 500 on every attempt
    latency: float = 0.0  # seconds added to every answer, every time
    seed: int = 7


@dataclass
class LoggedRequest:
    path: str
    status: int
    fault: str | None
    at: float
    user_agent: str = ""


@dataclass
class Replica:
    """A running replica: the site, its markup, its faults, its request log."""

    site: Site
    markup: Markup
    faults: Faults = field(default_factory=Faults)
    index_days: int = 7
    log: list[LoggedRequest] = field(default_factory=list)
    host: str = "127.0.0.1"
    port: int = 0
    _attempts: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _day_paths: dict[str, dt.date] | None = None
    _rendered: dict[str, tuple[int, str, bytes]] = field(default_factory=dict)
    #: Raw answers for paths, as tests need them: (status, headers, body).
    overrides: dict[str, tuple[int, dict[str, str], bytes]] = field(default_factory=dict)

    @property
    def root(self) -> str:
        return f"http://{self.host}:{self.port}/"

    # Pages --------------------------------------------------------------------------

    def robots(self) -> str:
        lines = ["User-agent: *", "Disallow: /private/"]
        lines += [f"Disallow: /newsA.php?st={st}" for st in sorted(self.site.disallowed)]
        return "\n".join(lines) + "\n"

    def page(self, path: str, query: dict[str, list[str]]) -> tuple[int, str, str] | None:
        """``(status, content type, text)`` for a path, or None for 404."""
        m, site = self.markup, self.site
        days = site.day_list()
        html = m.content_type()
        if path == "/":
            return 200, html, m.index([site.listing_day(d) for d in days[: self.index_days]])
        if path == "/robots.txt":
            return 200, "text/plain; charset=utf-8", self.robots()
        if path == "/rss/redtram.xml":
            return 200, m.content_type("application/rss+xml"), m.feed(site.feed_items())
        if path == "/" + m.calendar_path():
            return 200, html, m.calendar(days)
        if path == "/newsA.php":
            st = _int(query.get("st"))
            if st is None or st not in site.by_st or st in site.ghosts:
                return None
            return 200, html, m.article(site.article(st), site.sidebar(st), site.style(st))
        day = self.day_of(path, query)
        if day is not None and day in site.by_day:
            older = [d for d in days if d < day]
            newer = [d for d in days if d > day]
            return (
                200,
                html,
                m.day(
                    site.listing_day(day), older[0] if older else None, newer[-1] if newer else None
                ),
            )
        return None

    def render(self, path: str) -> bytes:
        """The bytes the replica serves for ``path`` (to alter in tests)."""
        parts = urlsplit(path)
        answer = self.page(parts.path, parse_qs(parts.query))
        assert answer is not None, path
        return self.markup.encode(answer[2])

    def prerender(self) -> None:
        """Render every page now, so serving costs only I/O (for benchmarks of the crawler)."""
        m = self.markup
        paths = ["/", "/rss/redtram.xml", "/" + m.calendar_path()]
        paths += ["/" + m.day_path(d) for d in self.site.by_day]
        paths += [f"/newsA.php?st={st}" for st in self.site.by_st]
        for path in paths:
            parts = urlsplit(path)
            answer = self.page(parts.path, parse_qs(parts.query))
            if answer is not None:
                status, content_type, text = answer
                self._rendered[path] = (status, content_type, self.markup.encode(text))

    def day_of(self, path: str, query: dict[str, list[str]]) -> dt.date | None:
        if self._day_paths is None:
            self._day_paths = {"/" + self.markup.day_path(d): d for d in self.site.by_day}
        st = query.get("st")
        return self._day_paths.get(path + (f"?st={st[0]}" if st else ""))

    # Faults -------------------------------------------------------------------------

    def fault_for(self, path: str) -> str | None:
        with self._lock:
            attempt = self._attempts.get(path, 0)
            self._attempts[path] = attempt + 1
        f = self.faults
        if path == "/robots.txt":
            return None
        if f.down:
            return "down"
        if f.broken_rate and path.startswith("/newsA.php") and self.broken(path):
            return "down"
        if attempt > 0:
            return None
        roll = int(hashlib.sha256(f"{f.seed}:{path}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
        edge = 0.0
        for name, rate in (
            ("error", f.error_rate),
            ("drop", f.drop_rate),
            ("truncate", f.truncate_rate),
            ("slow", f.slow_rate),
            ("timeout", f.timeout_rate),
            ("redirect", f.redirect_rate if path.startswith("/newsA.php") else 0.0),
            ("away", f.away_rate if path.startswith("/newsA.php") else 0.0),
        ):
            edge += rate
            if roll < edge:
                return name
        return None

    def broken(self, path: str) -> bool:
        """Whether an article path is one of the ``broken_rate`` that never answers."""
        key = f"broken:{self.faults.seed}:{path}".encode()
        roll = int(hashlib.sha256(key).hexdigest()[:8], 16) / 0xFFFFFFFF
        return roll < self.faults.broken_rate

    def requests_to(self, prefix: str) -> list[LoggedRequest]:
        return [r for r in self.log if r.path.startswith(prefix)]

    def reset_log(self) -> None:
        with self._lock:
            self.log.clear()
            self._attempts.clear()

    # Serving ------------------------------------------------------------------------

    def start(self) -> Replica:
        replica = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes; with Nagle's algorithm the second
            # waits for the client's delayed ACK (40 ms) on every keep-alive request.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

            def do_GET(self) -> None:
                replica.handle(self)

        self._server = _Server((self.host, self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(
            target=self._server.serve_forever, args=(SHUTDOWN_POLL,), daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        """Answers a request; each is logged before its answer goes out, so a client that
        has its answer (a command run in the test's own process) finds it in the log."""
        parts = urlsplit(h.path)
        full = parts.path + (f"?{parts.query}" if parts.query else "")
        fault = self.fault_for(full)
        if self.faults.latency:
            time.sleep(self.faults.latency)
        agent = h.headers.get("User-Agent", "")
        if fault == "drop":
            self._log(full, 0, fault, agent)
            h.close_connection = True
            h.connection.close()
            return
        if fault in ("error", "down"):
            status = 503 if fault == "error" else 500
            self._log(full, status, fault, agent)
            self._send(h, status, "text/plain", b"unavailable\n")
            return
        if fault in ("redirect", "away"):
            host = "www.centrasia.ru" if fault == "redirect" else "elsewhere.example"
            self._log(full, 301 if fault == "redirect" else 302, fault, agent)
            h.send_response(301 if fault == "redirect" else 302)
            h.send_header("Location", f"http://{host}{full}")
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        if full in self.overrides:
            status, headers, raw = self.overrides[full]
            self._log(full, status, fault, agent)
            h.send_response(status)
            for name, value in headers.items():
                h.send_header(name, value)
            h.send_header("Content-Length", str(len(raw)))
            h.end_headers()
            h.wfile.write(raw)
            return
        if fault == "slow":
            time.sleep(self.faults.slow_seconds)
        if fault == "timeout":  # no answer in time: the client gives up first
            self._log(full, 0, fault, agent)
            time.sleep(self.faults.timeout_seconds)
            h.close_connection = True
            return
        if full in self._rendered:
            status, content_type, body = self._rendered[full]
        else:
            answer = self.page(parts.path, parse_qs(parts.query))
            if answer is None:
                self._log(full, 404, fault, agent)
                self._send(h, 404, "text/plain", b"not found\n")
                return
            status, content_type, text = answer
            plain = content_type.startswith("text/plain")
            body = text.encode() if plain else self.markup.encode(text)
        if fault == "truncate":
            h.send_response(status)
            h.send_header("Content-Type", content_type)
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            self._log(full, status, fault, agent)
            h.wfile.write(body[: len(body) // 2])
            h.wfile.flush()
            h.close_connection = True
            h.connection.shutdown(2)
            return
        self._log(full, status, fault, agent)
        self._send(h, status, content_type, body)

    def _send(self, h: BaseHTTPRequestHandler, status: int, content_type: str, body: bytes) -> None:
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def _log(self, path: str, status: int, fault: str | None, agent: str) -> None:
        with self._lock:
            self.log.append(LoggedRequest(path, status, fault, time.time(), agent))


#: How often the serving loop looks whether ``stop`` asked it to end (socketserver waits
#: for the next look, half a second by default, in ``shutdown``).
SHUTDOWN_POLL = 0.01


class _Server(ThreadingHTTPServer):
    # socketserver's default backlog of 5 drops connections under 16 concurrent
    # requests, and the retransmitted SYNs add whole seconds to a crawl.
    request_queue_size = 128
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that went away (killed, timed out) is part of what tests do.
        pass


def _int(values: list[str] | None) -> int | None:
    if not values or not values[0].isdigit():
        return None
    return int(values[0])


@contextmanager
def serve(
    days: int = 3,
    per_day: int = 50,
    markup: str = "table",
    faults: Faults | None = None,
    port: int = 0,
    index_days: int = 7,
    **site_options: Any,
) -> Iterator[Replica]:
    """A replica running on 127.0.0.1 for the duration of the ``with`` block."""
    replica = Replica(
        Site(days=days, per_day=per_day, **site_options),
        MARKUPS[markup](),
        faults or Faults(),
        index_days=index_days,
        port=port,
    ).start()
    try:
        yield replica
    finally:
        replica.stop()


def replace_faults(replica: Replica, **rates: Any) -> None:
    replica.faults = dataclasses.replace(replica.faults, **rates)
