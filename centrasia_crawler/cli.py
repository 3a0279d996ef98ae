"""The ``centrasia`` command. Never imports the spider at module level.

Exit status: 0 on success, 2 for a usage error or input that is not a centrasia
page (one line on stderr saying why).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from centrasia_crawler.extraction import NotACentrasiaPage, extract
from centrasia_crawler.site import CANONICAL_ROOT

EXIT_OK = 0
EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _read(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    with open(path, "rb") as fh:
        return fh.read()


def cmd_extract(args: argparse.Namespace) -> int:
    try:
        data = _read(args.file)
    except OSError as exc:
        print(f"centrasia extract: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        result = extract(data, args.url, args.content_type)
    except NotACentrasiaPage as exc:
        print(f"centrasia extract: {args.file}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    json.dump(result.data, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
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
        epilog="example: centrasia extract saved.html --url "
        "'https://centrasia.org/newsA.php?st=1771493400'",
    )
    p_extract.add_argument("file", metavar="FILE", help="the saved page; - for standard input")
    p_extract.add_argument(
        "--url",
        default=CANONICAL_ROOT,
        help=f"the address the page was fetched from (default {CANONICAL_ROOT})",
    )
    p_extract.add_argument(
        "--content-type",
        default=None,
        metavar="VALUE",
        help="the HTTP Content-Type it was served with, e.g. 'text/html; charset=utf-8'",
    )
    p_extract.set_defaults(func=cmd_extract)
    return parser


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
