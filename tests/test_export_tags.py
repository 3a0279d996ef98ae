"""Every export format carries each article's ``entities`` and ``countries`` (lists in
JSON Lines and Parquet, ``;``-joined in CSV) beside its ``story``.

The truth: the archive's entity tables, read here with plain SQL."""

from __future__ import annotations

import csv
import datetime as dt
import json
import sqlite3
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from centrasia_crawler.archive import Archive
from centrasia_crawler.cli import main
from tests.replica.content import Site

SITE = Site(days=2, per_day=8, seed=5, last_day=dt.date(2026, 2, 19))
STS = sorted(st for st in SITE.by_st if st not in SITE.disallowed)


@pytest.fixture(scope="module")
def path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("export-tags") / "archive.sqlite"
    with Archive.open(path) as writer:
        writer.write_batch([SITE.article(st) for st in STS])
    return path


def truth(path: Path) -> dict[int, tuple[list[str], list[str]]]:
    """Each article's entity names (most mentions first, then by name) and the sorted
    distinct countries of its entities."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tags = conn.execute(
            "SELECT ae.st, e.name, e.country, ae.mentions FROM article_entities ae"
            " JOIN entities e ON e.id = ae.entity_id"
        ).fetchall()
        sts = [st for (st,) in conn.execute("SELECT st FROM articles")]
    finally:
        conn.close()
    found: dict[int, list[tuple[int, str, str | None]]] = defaultdict(list)
    for st, name, country, mentions in tags:
        found[st].append((-mentions, name, country))
    return {
        st: (
            [name for _, name, _ in sorted(found[st])],
            sorted({country for *_, country in found[st] if country}),
        )
        for st in sts
    }


@pytest.mark.parametrize("form", ["jsonl", "csv", "parquet"])
def test_each_format_carries_the_entities_and_countries(
    path: Path, tmp_path: Path, form: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if form == "parquet":
        pytest.importorskip("pyarrow", reason="pyarrow is not installed ([parquet] extra)")
    out = tmp_path / f"articles.{form}"
    assert main(["export", "--archive", str(path), "-o", str(out)]) == 0, capsys.readouterr()
    rows: list[dict[str, Any]]
    if form == "jsonl":
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    elif form == "csv":
        with out.open(encoding="utf-8", newline="") as f:
            rows = [
                {
                    **r,
                    "st": int(r["st"]),
                    "entities": r["entities"].split(";") if r["entities"] else [],
                    "countries": r["countries"].split(";") if r["countries"] else [],
                }
                for r in csv.DictReader(f)
            ]
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pq.read_table(out)
        for name in ("entities", "countries"):
            assert pa.types.is_list(table.schema.field(name).type)
        rows = table.to_pylist()
    assert list(rows[0])[-4:] == ["entities", "countries", "story", "body"]
    expected = truth(path)
    assert {r["st"]: (r["entities"], r["countries"]) for r in rows} == expected
    assert sum(bool(names) for names, _ in expected.values()) > len(expected) // 2
    assert sum(len(countries) > 1 for _, countries in expected.values()) >= 1
