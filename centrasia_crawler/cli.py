"""The ``centrasia`` command. Never imports the spider at module level.

Exit status: 0 on success; 1 when a crawl ran but failed its checks; 2 for a usage
error or input that is not a centrasia page; 75 when another run holds the
archive's lock. Errors are one line on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

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
        content_type = content_type or next(
            (v[0] for k, v in page.headers.items() if k.lower() == "content-type" and v), None
        )
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
    print(outcome.summary(), flush=True)
    for failure in outcome.failures:
        print(f"centrasia crawl: failed: {failure}", file=sys.stderr)
    return outcome.exit_status


def cmd_reparse(args: argparse.Namespace) -> int:
    from centrasia_crawler.archive import Archive
    from centrasia_crawler.reparse import reparse

    try:
        with lock.holding(args.archive), Archive.open(args.archive) as archive:
            summary = reparse(archive)
    except lock.LockHeld as exc:
        print(f"centrasia reparse: {exc}; not starting", file=sys.stderr)
        return EXIT_LOCKED
    print(f"centrasia reparse: {summary.line()}")
    for url, reason in summary.failed[:20]:
        print(f"centrasia reparse: not read: {url}: {reason}", file=sys.stderr)
    return EXIT_OK


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
