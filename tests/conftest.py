"""Shared fixtures: the specimen pages and their expected data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

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
    return json.loads((SPECIMEN / "expected" / f"{name}.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def url_for(page: Path) -> str:
    """The address a specimen page was fetched from."""
    if page.stem.startswith("article_"):
        return f"https://centrasia.org/newsA.php?st={page.stem.removeprefix('article_')}"
    return "https://centrasia.org/"


@pytest.fixture(params=specimen_pages(), ids=lambda p: p.name)
def specimen_page(request: pytest.FixtureRequest) -> Path:
    return request.param  # type: ignore[no-any-return]
