"""Every specimen page gives exactly its expected JSON; truncated pages never crash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from centrasia_crawler.extraction import NotACentrasiaPage, extract
from tests.helpers import expected, specimen_pages, url_for

KINDS = {
    "article": "article",
    "index": "listing",
    "day": "listing",
    "archive": "calendar",
    "redtram": "feed",
}


def test_there_are_specimen_pages() -> None:
    assert len(specimen_pages()) >= 8


def test_specimen_page_gives_its_expected_json(specimen_page: Path) -> None:
    result = extract(specimen_page.read_bytes(), url_for(specimen_page))
    assert result.data == expected(specimen_page.stem)
    assert result.kind == KINDS[specimen_page.stem.split("_")[0]]


def test_article_without_url_takes_st_from_permalink_or_time() -> None:
    for page in specimen_pages():
        if page.stem.startswith("article_"):
            assert extract(page.read_bytes()).data == expected(page.stem)


def test_kind_comes_from_content_not_file_name(tmp_path: Path) -> None:
    for page in specimen_pages():
        renamed = tmp_path / "page.bin"
        renamed.write_bytes(page.read_bytes())
        assert extract(renamed.read_bytes(), url_for(page)).data == expected(page.stem)


@pytest.mark.parametrize("page", specimen_pages(), ids=lambda p: p.name)
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_truncated_page_is_rejected_or_complete(page: Path, data: st.DataObject) -> None:
    whole = page.read_bytes()
    cut = data.draw(st.integers(min_value=0, max_value=len(whole) - 1), label="cut")
    try:
        result = extract(whole[:cut], url_for(page))
    except NotACentrasiaPage as exc:
        assert str(exc).startswith("not a centrasia page: ")
        assert "\n" not in str(exc)
    else:
        # Only a cut after the closing tag may pass, and then nothing is lost.
        assert result.data == expected(page.stem)


def test_expected_json_is_what_the_cli_prints(
    specimen_page: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from centrasia_crawler.cli import main

    assert main(["extract", str(specimen_page), "--url", url_for(specimen_page)]) == 0
    assert json.loads(capsys.readouterr().out) == expected(specimen_page.stem)
