"""Feed exporters that write articles in the order of ``st`` (publication time).

A crawl fetches concurrently, so articles reach a feed in whatever order their pages
came back. These exporters (the project's ``FEED_EXPORTERS``, one for each of Scrapy's
formats) hold a feed's items until it is finished, then write them oldest first: the
same range gives the same file, byte for byte, whether its articles were fetched in
this run or read from the archive. Items without ``st`` keep their order, after the
articles. The cost is the feed's items in memory until it is written (about the size
of the file).

Every format writes an article alike: the fields of :data:`FEED_FIELDS` in that order
(the project's ``FEED_EXPORT_FIELDS``), then the extra fields a pipeline added (the
item's ``extra``, see :mod:`centrasia_crawler.items`), by name. A value that is not
there is ``null`` in JSON, an empty cell in CSV and an absent element in XML; in CSV a
list is its elements joined by ``;`` (an element that is not a string as compact JSON,
read back by :func:`csv_list`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from itemadapter import ItemAdapter
from scrapy import exporters

from centrasia_crawler.fields import ITEM_FIELDS

#: A feed's fields, in order: the article item's, but its ``extra`` (spread out).
FEED_FIELDS: tuple[str, ...] = tuple(f.name for f in ITEM_FIELDS if f.name != "extra")
#: How a list's elements are joined in a CSV cell.
CSV_JOIN = ";"


def feed_row(item: Any) -> Any:
    """An article as a feed writes it: its fields, then its extra fields (which never
    replace one of its own). Anything else as it is.

    >>> feed_row({"st": 1, "title": "t", "extra": {"word_count": 2, "title": "x"}})
    {'st': 1, 'title': 't', 'word_count': 2}
    """
    try:
        adapter = ItemAdapter(item)
    except TypeError:
        return item
    if "extra" not in adapter.field_names():
        return item
    row = {name: value for name, value in adapter.items() if name != "extra"}
    for name, value in (adapter.get("extra") or {}).items():
        row.setdefault(name, value)
    return row


def csv_cell(value: Any) -> Any:
    """A value as a CSV cell: None empty, a list ``;``-joined, a mapping as JSON.

    >>> csv_cell(None), csv_cell(["a", "b"]), csv_cell([{"line": "x"}, 1])
    ('', 'a;b', '{"line":"x"};1')
    """
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return CSV_JOIN.join(
            v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, separators=(",", ":"))
            for v in value
        )
    if isinstance(value, Mapping):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return value


def csv_list(cell: str) -> list[Any] | None:
    """A CSV cell of JSON elements (as :func:`csv_cell` writes a list of objects) read
    back; None for an empty cell.

    >>> csv_list('{"a":"x;y"};{"a":"z"}')
    [{'a': 'x;y'}, {'a': 'z'}]
    """
    if not cell:
        return None
    decoder, found, at = json.JSONDecoder(), [], 0
    while at < len(cell):
        value, at = decoder.raw_decode(cell, at)
        found.append(value)
        at += len(CSV_JOIN) if cell.startswith(CSV_JOIN, at) else 0
    return found


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
        self.held.append(feed_row(item))

    def finish_exporting(self) -> None:
        held, self.held = sorted(self.held, key=st_order), []
        fields = self.fields_to_export
        if (
            fields is not None
            and not isinstance(fields, Mapping)
            and list(fields) == list(FEED_FIELDS)
        ):  # the default: the extra fields follow, by name
            known = set(FEED_FIELDS)
            extra = {n for row in held if isinstance(row, dict) for n in row if n not in known}
            self.fields_to_export = [*FEED_FIELDS, *sorted(extra)]
        for item in held:
            super().export_item(item)  # type: ignore[safe-super]
        super().finish_exporting()


class JsonItemExporter(InStOrder, exporters.JsonItemExporter):
    pass


class JsonLinesItemExporter(InStOrder, exporters.JsonLinesItemExporter):
    pass


class CsvItemExporter(InStOrder, exporters.CsvItemExporter):
    def serialize_field(self, field: Any, name: str, value: Any) -> Any:
        return field.get("serializer", csv_cell)(value)


def without_none(value: Any) -> Any:
    """A value with every None left out of its mappings, however deep.

    >>> without_none({"a": None, "b": [{"c": None, "d": 1}]})
    {'b': [{'d': 1}]}
    """
    if isinstance(value, Mapping):
        return {k: without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [without_none(v) for v in value]
    return value


class XmlItemExporter(InStOrder, exporters.XmlItemExporter):
    def finish_exporting(self) -> None:
        # A field without a value is left out (an element "None" would read as a name).
        self.held = [without_none(row) if isinstance(row, dict) else row for row in self.held]
        super().finish_exporting()


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
