"""Feed exporters that write articles in the order of ``st`` (publication time).

A crawl fetches concurrently, so articles reach a feed in whatever order their pages
came back. These exporters (the project's ``FEED_EXPORTERS``, one for each of Scrapy's
formats) hold a feed's items until it is finished, then write them oldest first: the
same range gives the same file, byte for byte, whether its articles were fetched in
this run or read from the archive. Items without ``st`` keep their order, after the
articles. The cost is the feed's items in memory until it is written (about the size
of the file).
"""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy import exporters


def st_order(item: Any) -> tuple[bool, int]:
    """The sort key: articles by ``st``, anything else after them.

    >>> sorted([{"st": 3}, {"x": 1}, {"st": 1}], key=st_order)
    [{'st': 1}, {'st': 3}, {'x': 1}]
    """
    try:
        st = ItemAdapter(item).get("st")
    except TypeError:
        st = None
    return (st is None, int(st) if st is not None else 0)


class InStOrder(exporters.BaseItemExporter):
    """Holds the items, writes them sorted by :func:`st_order` when finishing."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.held: list[Any] = []

    def export_item(self, item: Any) -> None:
        self.held.append(item)

    def finish_exporting(self) -> None:
        held, self.held = sorted(self.held, key=st_order), []
        for item in held:
            super().export_item(item)  # type: ignore[safe-super]
        super().finish_exporting()


class JsonItemExporter(InStOrder, exporters.JsonItemExporter):
    pass


class JsonLinesItemExporter(InStOrder, exporters.JsonLinesItemExporter):
    pass


class CsvItemExporter(InStOrder, exporters.CsvItemExporter):
    pass


class XmlItemExporter(InStOrder, exporters.XmlItemExporter):
    pass


class MarshalItemExporter(InStOrder, exporters.MarshalItemExporter):
    pass


class PickleItemExporter(InStOrder, exporters.PickleItemExporter):
    pass


#: The project's FEED_EXPORTERS: every format of Scrapy's, in st order.
FEED_EXPORTERS = {
    "json": f"{__name__}.JsonItemExporter",
    "jsonlines": f"{__name__}.JsonLinesItemExporter",
    "jsonl": f"{__name__}.JsonLinesItemExporter",
    "jl": f"{__name__}.JsonLinesItemExporter",
    "csv": f"{__name__}.CsvItemExporter",
    "xml": f"{__name__}.XmlItemExporter",
    "marshal": f"{__name__}.MarshalItemExporter",
    "pickle": f"{__name__}.PickleItemExporter",
}
