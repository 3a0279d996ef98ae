"""The ``centrasia`` command. Never imports the spider at module level.

Exit status: 0 on success; 1 when a crawl ran but failed its checks; 2 for a usage
error or input that is not a centrasia page; 75 when another run holds the
archive's lock. Errors are one line on stderr.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from centrasia_crawler import lock
from centrasia_crawler.extraction import NotACentrasiaPage, extract
from centrasia_crawler.jobs import EXIT_LOCKED, EXIT_OK, EXIT_USAGE, UsageError
from centrasia_crawler.site import CANONICAL_ROOT

DEFAULT_ARCHIVE = "data/archive.sqlite"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _read(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    with open(path, "rb") as fh:
        return fh.read()


def cmd_extract(args: argparse.Namespace) -> int:
    if (args.file is None) == (args.from_archive is None):
        print("centrasia extract: give either FILE or --from-archive URL", file=sys.stderr)
        return EXIT_USAGE
    content_type = args.content_type
    url = args.url
    if args.from_archive is not None:
        from centrasia_crawler.archive import Archive

        name = args.from_archive
        try:
            with Archive.open(args.archive, readonly=True) as archive:
                page = archive.page_body(args.from_archive)
        except Exception as exc:  # sqlite3 errors: a missing or unreadable archive
            print(f"centrasia extract: cannot read {args.archive}: {exc}", file=sys.stderr)
            return EXIT_USAGE
        if page is None:
            print(
                f"centrasia extract: no stored page for {name} in {args.archive}", file=sys.stderr
            )
            return EXIT_USAGE
        data, url = page.body, page.url
        content_type = content_type or page.content_type
    else:
        name = args.file
        try:
            data = _read(args.file)
        except OSError as exc:
            print(f"centrasia extract: cannot read {name}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_USAGE
    try:
        result = extract(data, url or CANONICAL_ROOT, content_type)
    except NotACentrasiaPage as exc:
        print(f"centrasia extract: {name}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    json.dump(result.data, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
    return EXIT_OK


def cmd_crawl(args: argparse.Namespace) -> int:
    from centrasia_crawler import jobs
    from centrasia_crawler.spiders.centrasia import (
        SpiderArgumentError,
        parse_day_argument,
        parse_days_argument,
    )

    try:
        since = parse_day_argument("--since", args.since)
        until = parse_day_argument("--until", args.until)
        parse_days_argument("--refresh", args.refresh)
        if until and not since:
            raise SpiderArgumentError("--until needs --since (a backfill range)")
        if since and until and since > until:
            raise SpiderArgumentError(f"--since {since} is after --until {until}")
        overrides = dict(jobs.parse_setting(s) for s in args.setting)
    except (SpiderArgumentError, UsageError) as exc:
        print(f"centrasia crawl: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.archive:
        overrides["CENTRASIA_ARCHIVE_PATH"] = args.archive
    if args.root:
        overrides["CENTRASIA_ROOT_URL"] = args.root
    settings = jobs.project_settings(overrides)
    spider_args = {
        k: v
        for k, v in {"since": args.since, "until": args.until, "refresh": args.refresh}.items()
        if v
    }
    try:
        outcome = jobs.run_crawl(settings, spider_args)
    except lock.LockHeld as exc:
        print(f"centrasia crawl: {exc}; not starting", file=sys.stderr)
        return EXIT_LOCKED
    except UsageError as exc:
        print(f"centrasia crawl: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(outcome.summary(), flush=True)
    for failure in outcome.failures:
        print(f"centrasia crawl: failed: {failure}", file=sys.stderr)
    return outcome.exit_status


def cmd_reparse(args: argparse.Namespace) -> int:
    from centrasia_crawler.archive import Archive
    from centrasia_crawler.reparse import reparse

    if not Path(args.archive).exists():
        print(f"centrasia reparse: no archive at {args.archive}", file=sys.stderr)
        return EXIT_USAGE
    try:
        with lock.holding(args.archive), Archive.open(args.archive) as archive:
            summary = reparse(archive)
    except lock.LockHeld as exc:
        print(f"centrasia reparse: {exc}; not starting", file=sys.stderr)
        return EXIT_LOCKED
    except (sqlite3.Error, OSError) as exc:
        print(f"centrasia reparse: cannot use {args.archive}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"centrasia reparse: {summary.line()}")
    for url, reason in summary.failed[:20]:
        print(f"centrasia reparse: not read: {url}: {reason}", file=sys.stderr)
    return EXIT_OK


def _open_archive(path: str, command: str) -> Any:
    """The archive, read-only; None (after one line on stderr) when it cannot be read."""
    from centrasia_crawler.archive import Archive

    if not Path(path).exists():
        print(f"centrasia {command}: no archive at {path}", file=sys.stderr)
        return None
    try:
        return Archive.open(path, readonly=True)
    except sqlite3.Error as exc:
        print(f"centrasia {command}: cannot read {path}: {exc}", file=sys.stderr)
        return None


def _filters(args: argparse.Namespace, command: str) -> Any:
    from centrasia_crawler.archive.queries import Filters
    from centrasia_crawler.spiders.centrasia import SpiderArgumentError, parse_day_argument

    try:
        return Filters(
            since=parse_day_argument("--since", args.since),
            until=parse_day_argument("--until", args.until),
            source=getattr(args, "source", None),
            attribution=getattr(args, "attribution", None),
        )
    except SpiderArgumentError as exc:
        print(f"centrasia {command}: {exc}", file=sys.stderr)
        return None


def _filtered_archive(args: argparse.Namespace, command: str) -> tuple[Any, Any] | None:
    """The filters of ``--since/--until/...`` and the archive; None after a one-line error."""
    filters = _filters(args, command)
    if filters is None:
        return None
    archive = _open_archive(args.archive, command)
    return None if archive is None else (filters, archive)


def _marked(snippet: str) -> str:
    from centrasia_crawler.archive.queries import MARK_CLOSE, MARK_OPEN

    return snippet.replace(MARK_OPEN, "[").replace(MARK_CLOSE, "]").replace("\n", " ")


def cmd_search(args: argparse.Namespace) -> int:
    from centrasia_crawler.archive.queries import QueryError, search

    if args.limit < 1:
        print("centrasia search: --limit must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    opened = _filtered_archive(args, "search")
    if opened is None:
        return EXIT_USAGE
    filters, archive = opened
    with archive:
        try:
            results = search(archive, args.query, filters, args.limit)
        except QueryError as exc:
            print(f"centrasia search: {exc}", file=sys.stderr)
            return EXIT_USAGE
    if args.json:
        for r in results:
            r["snippet"] = _marked(r["snippet"])
        json.dump(results, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
        return EXIT_OK
    for r in results:
        source = f" — {r['source']}" if r["source"] else ""
        print(f"{r['published_at'][:16].replace('T', ' ')}  {r['title']}{source}")
        print(f"  {r['url']}")
        print(f"  {_marked(r['snippet'])}")
    print(f"{len(results)} result{'s' if len(results) != 1 else ''}", file=sys.stderr)
    return EXIT_OK


def cmd_coverage(args: argparse.Namespace) -> int:
    from centrasia_crawler.archive.queries import coverage

    opened = _filtered_archive(args, "coverage")
    if opened is None:
        return EXIT_USAGE
    filters, archive = opened
    with archive:
        cover = coverage(archive, filters.since, filters.until)
    print("day         listed  archived  missing  revisions")
    for d in cover.days:
        flag = "  never crawled" if d.day in cover.never_crawled else ""
        print(
            f"{d.day}  {d.listed:6d}  {d.archived:8d}  {len(d.missing):7d}  {d.revisions:9d}{flag}"
        )
    print(
        f"{len(cover.days)} days, {len(cover.never_crawled)} never crawled,"
        f" {cover.missing} articles listed but missing"
    )
    for start, end in cover.gaps:
        print(f"gap {start} .. {end}: centrasia crawl --since {start} --until {end}")
    if args.plot:
        from centrasia_crawler.plot import PlotUnavailable, plot_coverage

        try:
            plot_coverage(cover, Path(args.plot))
        except PlotUnavailable as exc:
            print(f"centrasia coverage: {exc}", file=sys.stderr)
            return EXIT_USAGE
        print(f"plot written to {args.plot}")
    return EXIT_OK


def cmd_stats(args: argparse.Namespace) -> int:
    from centrasia_crawler.archive.queries import stats

    archive = _open_archive(args.archive, "stats")
    if archive is None:
        return EXIT_USAGE
    with archive:
        figures = stats(archive, args.top)
    if args.json:
        json.dump(figures, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
        return EXIT_OK
    for name in (
        "articles",
        "revisions",
        "listed_headlines",
        "listed_but_missing",
        "days",
        "pages",
        "runs",
    ):
        print(f"{name.replace('_', ' ')}: {figures[name]}")
    for name in ("first_article", "last_article"):
        a = figures[name]
        if a:
            print(f"{name.replace('_', ' ')}: {a['published_at']}  {a['title']}  {a['url']}")
    for name in ("top_sources", "top_attributions"):
        print(f"{name.replace('_', ' ')}:")
        for entry in figures[name]:
            print(f"  {entry['articles']:6d}  {entry['name']}")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from centrasia_crawler.archive.queries import export_rows
    from centrasia_crawler.exports import write_csv, write_jsonl

    opened = _filtered_archive(args, "export")
    if opened is None:
        return EXIT_USAGE
    filters, archive = opened
    write = write_jsonl if args.format == "jsonl" else write_csv
    with archive:
        rows = export_rows(archive, filters)
        if args.output in (None, "-"):
            count = write(rows, sys.stdout)
        else:
            try:
                with open(args.output, "w", encoding="utf-8", newline="") as out:
                    count = write(rows, out)
            except OSError as exc:
                print(
                    f"centrasia export: cannot write {args.output}: {exc.strerror}", file=sys.stderr
                )
                return EXIT_USAGE
    print(f"centrasia export: {count} articles", file=sys.stderr)
    return EXIT_OK


def cmd_export_warc(args: argparse.Namespace) -> int:
    from centrasia_crawler.exports import write_warc

    archive = _open_archive(args.archive, "export-warc")
    if archive is None:
        return EXIT_USAGE
    with archive:
        try:
            with open(args.output, "wb") as out:
                count = write_warc(archive.all_pages(), out)
        except OSError as exc:
            print(
                f"centrasia export-warc: cannot write {args.output}: {exc.strerror}",
                file=sys.stderr,
            )
            return EXIT_USAGE
    print(f"centrasia export-warc: {count} responses written to {args.output}")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    import tempfile

    from centrasia_crawler.serve import serve

    if not Path(args.archive).exists():
        print(f"centrasia serve: no archive at {args.archive}", file=sys.stderr)
        return EXIT_USAGE
    with tempfile.TemporaryDirectory() as tmp:
        try:
            return serve(Path(args.archive), args.host, args.port, Path(tmp))
        except RuntimeError as exc:
            print(f"centrasia serve: {exc}", file=sys.stderr)
            return EXIT_USAGE


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="centrasia",
        description="Archive centrasia.org: crawl it, extract its pages, query the archive.",
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p_extract = commands.add_parser(
        "extract",
        help="print the data of one saved page as JSON",
        description="Print the data of one saved page (article, listing, archive calendar "
        "or RSS feed, recognised from its content) as one JSON object.",
        epilog="examples: centrasia extract saved.html --url "
        "'https://centrasia.org/newsA.php?st=1771493400'  |  centrasia extract "
        "--from-archive 'https://centrasia.org/'",
    )
    p_extract.add_argument(
        "file", metavar="FILE", nargs="?", help="the saved page; - for standard input"
    )
    p_extract.add_argument(
        "--url",
        default=None,
        help=f"the address the page was fetched from (default {CANONICAL_ROOT})",
    )
    p_extract.add_argument(
        "--content-type",
        default=None,
        metavar="VALUE",
        help="the HTTP Content-Type it was served with, e.g. 'text/html; charset=utf-8'",
    )
    p_extract.add_argument(
        "--from-archive",
        metavar="URL",
        default=None,
        help="extract the page stored in the archive for this URL (as fetched) instead",
    )
    p_extract.add_argument("--archive", default=DEFAULT_ARCHIVE, help=_ARCHIVE_HELP)
    p_extract.set_defaults(func=cmd_extract)

    p_crawl = commands.add_parser(
        "crawl",
        help="run the crawl (what cron should call)",
        description="Crawl centrasia.org into the archive, then check the run. "
        "Exit status: 0 ok; 1 the run failed its checks (did not finish, too many "
        "errors, no headlines on the index, too many unreadable article pages); "
        "2 usage error; 75 another run holds the archive's lock.",
        epilog="examples: centrasia crawl  |  centrasia crawl --since 2026-01-01 "
        "--until 2026-01-31 -s JOBDIR=data/job-jan  |  centrasia crawl --refresh 3",
    )
    p_crawl.add_argument("--since", metavar="YYYY-MM-DD", help="backfill from this day")
    p_crawl.add_argument("--until", metavar="YYYY-MM-DD", help="backfill up to this day")
    p_crawl.add_argument("--refresh", metavar="DAYS", help="re-fetch the last DAYS days")
    p_crawl.add_argument("--archive", help=_ARCHIVE_HELP)
    p_crawl.add_argument("--root", metavar="URL", help="the site to crawl (CENTRASIA_ROOT_URL)")
    p_crawl.add_argument(
        "-s",
        dest="setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="any Scrapy setting, e.g. -s JOBDIR=data/job (repeatable)",
    )
    p_crawl.set_defaults(func=cmd_crawl)

    p_reparse = commands.add_parser(
        "reparse",
        help="re-extract every stored raw page, without the network",
        description="Re-extract the archive's stored pages with the current extractor; "
        "articles that come out different become new revisions (the old kept).",
        epilog="example: centrasia reparse --archive data/archive.sqlite",
    )
    p_reparse.add_argument("--archive", default=DEFAULT_ARCHIVE, help=_ARCHIVE_HELP)
    p_reparse.set_defaults(func=cmd_reparse)

    def range_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--since", metavar="YYYY-MM-DD", help="from this publication day")
        p.add_argument("--until", metavar="YYYY-MM-DD", help="up to this publication day")
        p.add_argument("--archive", default=DEFAULT_ARCHIVE, help=_ARCHIVE_HELP)

    p_search = commands.add_parser(
        "search",
        help="full-text search of the archive",
        description="Search titles and bodies, best matches first. Case and ё/е do not "
        'matter; "a phrase" and prefix* work (SQLite FTS5 syntax).',
        epilog="examples: centrasia search 'Жапар*' --since 2026-01-01  |  centrasia search "
        "'\"редкоземельные металлы\"' --source ИноСМИ --json",
    )
    p_search.add_argument("query", metavar="QUERY")
    range_options(p_search)
    p_search.add_argument("--source", help="only articles from this source")
    p_search.add_argument("--attribution", help="only headlines attributed to this name")
    p_search.add_argument("--limit", type=int, default=20, help="results (default 20)")
    p_search.add_argument("--json", action="store_true", help="JSON for scripts")
    p_search.set_defaults(func=cmd_search)

    p_coverage = commands.add_parser(
        "coverage",
        help="per day: listed vs archived, gaps, and how to fill them",
        description="Per day: headlines the site listed, articles archived, listed but "
        "missing, revisions; days never crawled; the crawl commands that fill the gaps.",
        epilog="example: centrasia coverage --since 2026-02-01 --plot coverage.png",
    )
    range_options(p_coverage)
    p_coverage.add_argument("--plot", metavar="FILE.png", help="draw articles per day (matplotlib)")
    p_coverage.set_defaults(func=cmd_coverage)

    p_stats = commands.add_parser(
        "stats",
        help="totals, top sources and attributions, first and last article",
        description="Totals, top sources, top attributions, first and last article.",
        epilog="example: centrasia stats --top 20",
    )
    p_stats.add_argument("--archive", default=DEFAULT_ARCHIVE, help=_ARCHIVE_HELP)
    p_stats.add_argument("--top", type=int, default=10, help="entries in each top list")
    p_stats.add_argument("--json", action="store_true", help="JSON for scripts")
    p_stats.set_defaults(func=cmd_stats)

    p_export = commands.add_parser(
        "export",
        help="stream articles as JSON Lines or CSV",
        description="Stream every article (oldest first) as JSON Lines or CSV, in constant memory.",
        epilog="example: centrasia export --format csv --since 2026-01-01 -o january.csv",
    )
    p_export.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    range_options(p_export)
    p_export.add_argument("-o", "--output", metavar="FILE", help="write here (default stdout)")
    p_export.set_defaults(func=cmd_export)

    p_warc = commands.add_parser(
        "export-warc",
        help="write the stored raw pages as a WARC file",
        description="Write every stored fetch as WARC request/response records (gzip), "
        "for warcio, pywb and other replay tools.",
        epilog="example: centrasia export-warc centrasia.warc.gz",
    )
    p_warc.add_argument("output", metavar="OUT.warc.gz")
    p_warc.add_argument("--archive", default=DEFAULT_ARCHIVE, help=_ARCHIVE_HELP)
    p_warc.set_defaults(func=cmd_export_warc)

    p_serve = commands.add_parser(
        "serve",
        help="browse and query the archive in Datasette (read-only)",
        description="Serve the archive read-only with Datasette: described tables, facets "
        "on source and date, full-text search, canned queries.",
        epilog="example: centrasia serve --port 8001  (then open http://127.0.0.1:8001/)",
    )
    p_serve.add_argument("--archive", default=DEFAULT_ARCHIVE, help=_ARCHIVE_HELP)
    p_serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    p_serve.add_argument("--port", type=int, default=8001, help="port (default 8001)")
    p_serve.set_defaults(func=cmd_serve)
    return parser


_ARCHIVE_HELP = f"the archive file (default {DEFAULT_ARCHIVE}, or CENTRASIA_ARCHIVE_PATH)"


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("centrasia: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
