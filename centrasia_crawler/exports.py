"""Exports: articles as JSON Lines or CSV, raw pages as WARC. All streamed.

Rows come from a cursor and go straight to the file, so memory does not grow with
the archive. The WARC holds one ``response`` record per stored fetch (with a
``request`` record before it), readable by ``warcio check`` and replay tools.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from http.client import responses
from io import BytesIO
from typing import IO, Any

from centrasia_crawler.archive import RawPage
from centrasia_crawler.archive.queries import EXPORT_COLUMNS, jsonl_lines

#: Headers that describe the transfer, not the body as stored (Scrapy decoded it).
TRANSFER_HEADERS = frozenset({"content-encoding", "transfer-encoding", "content-length"})


def write_jsonl(rows: Iterator[dict[str, Any]], out: IO[str]) -> int:
    count = 0
    for line in jsonl_lines(rows):
        out.write(line)
        count += 1
    return count


def write_csv(rows: Iterator[dict[str, Any]], out: IO[str]) -> int:
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    return count


def _warc_date(fetched_at: str) -> str:
    when = dt.datetime.fromisoformat(fetched_at).astimezone(dt.UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def write_warc(pages: Iterator[RawPage], out: IO[bytes]) -> int:
    """Write each stored fetch as WARC request + response records (gzip per record)."""
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
