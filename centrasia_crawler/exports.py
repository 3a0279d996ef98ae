"""Exports: articles as JSON Lines, CSV or Parquet, raw pages as WARC. All streamed.

Rows come from a cursor and go straight to the file, so memory does not grow with
the archive. The WARC holds one ``response`` record per stored fetch (with a
``request`` record before it), readable by ``warcio check`` and replay tools.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Callable, Iterator
from io import BytesIO
from itertools import islice
from typing import IO, TYPE_CHECKING, Any, Final

from centrasia_crawler.fields import ARTICLE_COLUMNS, BY_NAME

if TYPE_CHECKING:
    from centrasia_crawler.archive import RawPage

#: The formats articles are exported in.
FORMATS: Final = ("jsonl", "csv", "parquet")
#: What an output file's extension says its format is.
FORMATS_BY_EXTENSION: Final = {
    ".jsonl": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet",
}
#: The columns of an export: the article's, without its hash, the body last.
EXPORT_COLUMNS: Final = (
    *(c for c in ARTICLE_COLUMNS if c not in ("content_hash", "body")),
    "body",
)

#: The columns of an export that hold lists: lists in JSON Lines and Parquet, their
#: items joined by :data:`LIST_SEPARATOR` in CSV.
LIST_COLUMNS: Final = ("entities", "countries")
LIST_SEPARATOR: Final = ";"
#: The columns of an export: the article's, the names of the entities it names (most
#: mentioned first) and the codes of their countries, its story (the st of the story's
#: first article: :mod:`centrasia_crawler.archive.stories`), the body last.
COLUMNS: Final = (*(c for c in EXPORT_COLUMNS if c != "body"), *LIST_COLUMNS, "story", "body")

#: Headers that describe the transfer, not the body as stored (Scrapy decoded it).
TRANSFER_HEADERS = frozenset({"content-encoding", "transfer-encoding", "content-length"})


def write_jsonl(rows: Iterator[dict[str, Any]], out: IO[str]) -> int:
    """One JSON object a line, Cyrillic as is (not \\u escapes); the rows written."""
    count = 0
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
        count += 1
    return count


def write_csv(rows: Iterator[dict[str, Any]], out: IO[str]) -> int:
    """A header, then one line a row; a list's items joined by ``;``."""
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow(row | {c: LIST_SEPARATOR.join(row[c]) for c in LIST_COLUMNS if c in row})
        count += 1
    return count


class ParquetUnavailable(RuntimeError):
    """pyarrow is not installed."""


#: Rows per Parquet row group: what is held in memory at once. pyarrow's builders take
#: several times a group's text while converting it, so groups are small (the peak:
#: docs/benchmarks.md); readers do not mind at this row size.
PARQUET_ROW_GROUP = 1_000


#: The Parquet type of each kind of article field (:mod:`centrasia_crawler.fields`), by
#: pyarrow's name: the shown time as a timestamp in the site's zone (``MOSCOW`` of
#: :mod:`~centrasia_crawler.normalize.site_clock`: each value keeps its offset, +03:00
#: or +04:00 in 2011-2014), dates as dates, the crawler's UTC times as UTC timestamps,
#: integers, a boolean; the rest strings.
PARQUET_TYPES: Final = {
    "int": ("int64",),
    "bool": ("bool_",),
    "moscow_time": ("timestamp", "s", "site"),
    "utc_time": ("timestamp", "s", "UTC"),
    "day": ("date32",),
}


def parquet_schema() -> Any:
    """The export's columns, typed by their kind (:data:`PARQUET_TYPES`), the lists as
    lists of strings; only ``st`` and the lists are never null."""
    import pyarrow as pa

    # site_clock brings dateutil, which the command line does not load to start.
    from centrasia_crawler.normalize.site_clock import MOSCOW

    def typed(kind: str) -> Any:
        name, *args = PARQUET_TYPES.get(kind, ("string",))
        if name != "timestamp":
            return getattr(pa, name)()
        return pa.timestamp(args[0], tz=MOSCOW.key if args[1] == "site" else args[1])

    def column(c: str) -> Any:
        if c in LIST_COLUMNS:
            return pa.field(c, pa.list_(pa.string()), nullable=False)
        return pa.field(c, typed(BY_NAME[c].kind if c in BY_NAME else "int"), nullable=c != "st")

    return pa.schema([column(c) for c in COLUMNS])


def _instant(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _day(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:  # an original date the site wrote only in part
        return None


#: How a stored value of each kind becomes its Parquet value (the others as they are).
_CONVERT: Final[dict[str, Callable[[Any], Any]]] = {
    "moscow_time": _instant,
    "utc_time": _instant,
    "day": _day,
    "bool": bool,
}
_CONVERTED: Final = tuple(
    (c, _CONVERT[BY_NAME[c].kind]) for c in EXPORT_COLUMNS if BY_NAME[c].kind in _CONVERT
)


def _typed(row: dict[str, Any]) -> dict[str, Any]:
    return row | {name: convert(row[name]) for name, convert in _CONVERTED}


def write_parquet(rows: Iterator[dict[str, Any]], path: str) -> int:
    """Stream ``rows`` into a Parquet file, one row group at a time (zstd-compressed)."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ParquetUnavailable(
            "--format parquet needs pyarrow: pip install 'centrasia-crawler[parquet]'"
        ) from None
    schema = parquet_schema()
    count = 0
    # Dictionary encoding only where values repeat: for bodies and titles it would build
    # a dictionary of every (distinct) value of the row group, doubling its memory.
    repeated = ["source", "attribution", "published_date", "original_date", "revision"]
    with pq.ParquetWriter(path, schema, compression="zstd", use_dictionary=repeated) as writer:
        while True:
            chunk = [_typed(row) for row in islice(rows, PARQUET_ROW_GROUP)]
            if not chunk:
                break
            columns = {name: [row[name] for row in chunk] for name in schema.names}
            writer.write_batch(pa.RecordBatch.from_pydict(columns, schema=schema))
            count += len(chunk)
            del chunk, columns
    return count


def _warc_date(fetched_at: str) -> str:
    when = dt.datetime.fromisoformat(fetched_at).astimezone(dt.UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def write_warc(pages: Iterator[RawPage], out: IO[bytes]) -> int:
    """Write each stored fetch as WARC request + response records (gzip per record)."""
    from http.client import responses  # the email package with it: not at start-up

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    writer = WARCWriter(out, gzip=True)
    writer.write_record(
        writer.create_warcinfo_record(
            "centrasia-archive.warc.gz",
            {"software": "centrasia-crawler", "format": "WARC File Format 1.1"},
        )
    )
    count = 0
    for page in pages:
        url, status, headers, body = page.url, page.status, page.headers, page.body
        date = _warc_date(page.fetched_at)
        pairs = [
            (name, value)
            for name, values in headers.items()
            if name.lower() not in TRANSFER_HEADERS
            for value in values
        ]
        pairs.append(("Content-Length", str(len(body))))
        http_headers = StatusAndHeaders(
            f"{status} {responses.get(status, 'Unknown')}", pairs, protocol="HTTP/1.1"
        )
        response = writer.create_warc_record(
            url,
            "response",
            payload=BytesIO(body),
            length=len(body),
            http_headers=http_headers,
            warc_headers_dict={"WARC-Date": date},
        )
        path = url.split("://", 1)[-1].partition("/")[2]
        request = writer.create_warc_record(
            url,
            "request",
            http_headers=StatusAndHeaders(
                f"GET /{path} HTTP/1.1",
                [("Host", url.split("://", 1)[-1].split("/", 1)[0])],
                is_http_request=True,
            ),
            warc_headers_dict={"WARC-Date": date},
        )
        writer.write_request_response_pair(request, response)
        count += 1
    return count
