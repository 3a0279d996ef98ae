"""Permalinks: any link to an article canonicalises to https://centrasia.org/newsA.php?st=N."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from centrasia_crawler.normalize.permalinks import (
    article_st,
    fetch_url,
    permalink,
    rebase,
)

CANON = "https://centrasia.org/newsA.php?st=1771493400"


@pytest.mark.parametrize(
    "href",
    [
        "https://centrasia.org/newsA.php?st=1771493400",
        "http://centrasia.org/newsA.php?st=1771493400",
        "https://www.centrasia.org/newsA.php?st=1771493400",
        "http://www.centrasia.ru/newsA.php?st=1771493400",
        "HTTP://WWW.CENTRASIA.RU/newsA.php?st=1771493400",
        "//www.centrasia.ru/newsA.php?st=1771493400",
        "newsA.php?st=1771493400",
        "/newsA.php?st=1771493400",
        "./newsA.php?st=1771493400",
        "newsA.php?st=1771493400#top",
        "newsA.php?print=1&st=1771493400",
        "newsA.php?print=1&amp;st=1771493400",
        "https://centrasia.org/newsA.php?st=1771493400&utm_source=x#c",
        " https://centrasia.org:443/newsA.php?st=1771493400 ",
    ],
)
def test_every_form_of_an_article_link_canonicalises(href: str) -> None:
    assert permalink(article_st(href) or 0) == CANON


@pytest.mark.parametrize(
    "href",
    [
        "https://example.com/newsA.php?st=1771493400",
        "person2.php?st=1771493400",
        "newsA.php",
        "newsA.php?st=",
        "newsA.php?st=-5",
        "newsA.php?st=12abc",
        "newsA.php?st=99999999999999999999",
        "newsA.phpx?st=1",
        "ftp://centrasia.org/newsA.php?st=1",
        "javascript:newsA.php?st=1",
        "",
    ],
)
def test_other_links_are_not_articles(href: str) -> None:
    assert article_st(href) is None


def test_a_link_to_the_pages_own_host_is_the_sites() -> None:
    assert article_st("http://127.0.0.1:8765/newsA.php?st=5", "http://127.0.0.1:8765/") == 5
    assert article_st("http://127.0.0.2:8765/newsA.php?st=5", "http://127.0.0.1:8765/") is None


HOSTS = ["centrasia.org", "www.centrasia.org", "www.centrasia.ru", "centrasia.ru"]


@given(
    st_=st.integers(min_value=1, max_value=2_000_000_000),
    prefix=st.sampled_from(
        ["", "/", "./"] + [f"{s}://{h}/" for s in ("http", "https") for h in HOSTS]
    ),
    extra=st.lists(st.sampled_from(["print=1", "lang=ru", "id=7", "utm_source=x"]), max_size=3),
    amp=st.sampled_from(["&", "&amp;"]),
    fragment=st.sampled_from(["", "#top", "#"]),
)
def test_canonicalising_twice_changes_nothing(
    st_: int, prefix: str, extra: list[str], amp: str, fragment: str
) -> None:
    query = amp.join([*extra, f"st={st_}"])
    once = permalink(article_st(f"{prefix}newsA.php?{query}{fragment}") or 0)
    assert once == permalink(st_)
    assert permalink(article_st(once) or 0) == once


def test_fetch_url_is_built_from_st_and_root() -> None:
    assert fetch_url(7, "http://127.0.0.1:9") == "http://127.0.0.1:9/newsA.php?st=7"
    assert fetch_url(7, "https://centrasia.org/") == "https://centrasia.org/newsA.php?st=7"


def test_rebase_moves_site_links_to_the_root_and_refuses_other_hosts() -> None:
    root = "http://127.0.0.1:9/"
    assert rebase("https://centrasia.org/arch.php#x", root) == "http://127.0.0.1:9/arch.php"
    assert rebase("/day.php?st=1", root) == "http://127.0.0.1:9/day.php?st=1"
    assert rebase("https://example.com/day.php?st=1", root) is None
