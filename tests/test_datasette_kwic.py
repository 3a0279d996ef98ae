"""The concordance page of the Datasette plugin, ``/<database>/-/kwic``, and its CSV.

The truth: the articles written here, scanned with a regex, and the sorts done here
over the full list of lines."""

from __future__ import annotations

import csv
import html
import io
import re
from pathlib import Path

import pytest

from centrasia_crawler.archive import Archive
from centrasia_crawler.cli import main
from centrasia_crawler.datasette_plugin.kwic import PAGE_MOST
from tests.helpers import article, get

pytest.importorskip("datasette", reason="Datasette is not installed ([serve] extra)")

TEXTS = [
    (1, "Бишкек и Ош", "Вчера в Бишкеке ёлку поставили. Зато в Бишкеке Елку убрали."),
    (2, "Новости", "Мэрия Бишкека объявила. В Бишкеке ель стоит. Ёж в Бишкеке жил."),
    (3, "Погода", "Днём Бишкек зелёный, ночью Бишкек спит."),
]
MATCHES = [
    (st, found.group())
    for st, title, body in TEXTS
    for text in (title, body)
    for found in re.finditer(r"(?i)бишкек\w*", text)
]


@pytest.fixture(scope="module")
def path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("kwic-page") / "archive.sqlite"
    with Archive.open(path) as store:
        store.write_batch([article(*row) for row in TEXTS])
    return path


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower().replace("ё", "е"))


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_the_csv_has_every_match_in_each_sort(path: Path) -> None:
    date, left, right, limited = get(
        path,
        "/archive/-/kwic.csv?q=Бишкек&width=20",
        "/archive/-/kwic.csv?q=Бишкек&width=20&sort=left",
        "/archive/-/kwic.csv?q=Бишкек&width=20&sort=right",
        "/archive/-/kwic.csv?q=Бишкек&width=20&sort=right&limit=3",
    )
    assert date.status_code == 200 and date.headers["content-type"].startswith("text/csv")
    full = csv_rows(date.text)
    assert [(int(r["st"]), r["match"]) for r in full] == MATCHES
    assert list(full[0]) == ["date", "st", "column", "left", "match", "right", "url"]
    by_left = sorted(full, key=lambda r: tuple(reversed(words(r["left"]))))
    by_right = sorted(full, key=lambda r: tuple(words(r["right"])))
    assert by_left != full and by_right != full
    assert csv_rows(left.text) == by_left
    assert csv_rows(right.text) == by_right
    assert csv_rows(limited.text) == by_right[:3]


def test_the_page_shows_the_lines_sorted_with_links(path: Path) -> None:
    (response,) = get(path, "/archive/-/kwic?q=Бишкек&sort=right&width=20")
    assert response.status_code == 200
    page = response.text
    rows = re.findall(
        r"<tr( class=\"in-title\")?><td class=\"date\">.*?<td class=\"right\">(.*?)</td>", page
    )
    # the three words right of each match, from the text, folded; equal ones in date order
    scanned = [
        (tuple(words(text[found.end() :])[:3]), text[found.end() : found.end() + 20], column)
        for _, title, body in TEXTS
        for column, text in (("title", title), ("body", body))
        for found in re.finditer(r"(?i)бишкек\w*", text)
    ]
    expected = [
        (right, column == "title") for _, right, column in sorted(scanned, key=lambda x: x[0])
    ]
    assert [(html.unescape(right), bool(marked)) for marked, right in rows] == expected
    assert sum(in_title for _, in_title in expected) == 1  # «Бишкек и Ош», underlined
    links = re.findall(r'href="/archive/-/article/(\d+)"', page)
    assert sorted(map(int, links)) == sorted(st for st, _ in MATCHES)
    assert "/archive/-/kwic.csv?q=" in page
    assert f"{len(MATCHES)} lines, sorted by right" in page
    assert "<u>underlined</u>: in the headline" in page


@pytest.mark.parametrize(
    ("url", "line"),
    [
        ("/archive/-/kwic.csv?q=AND", "centrasia kwic: bad search query 'AND'"),
        ("/archive/-/kwic.csv?q=Бишкек&sort=middle", "centrasia kwic: sort: 'middle'"),
        ("/archive/-/kwic.csv?q=Бишкек&width=0", "centrasia kwic: width: '0'"),
        ("/archive/-/kwic.csv?q=Бишкек&limit=x", "centrasia kwic: limit: 'x'"),
    ],
)
def test_a_bad_request_for_the_csv_is_400_with_the_command_line_s_line(
    path: Path, url: str, line: str
) -> None:
    (response,) = get(path, url)
    assert response.status_code == 400
    assert response.text.startswith(line) and len(response.text.strip().splitlines()) == 1


def form_values(page: str) -> dict[str, str]:
    """The KWIC form's values: its inputs' and its selected option's."""
    form = page[page.index('<form class="centrasia-kwic-form"') : page.index("</form>")]
    found = {
        name: html.unescape(value)
        for name, value in re.findall(r'<input type="\w+" name="(\w+)" value="([^"]*)"', form)
    }
    selected = re.findall(r'<option value="(\w+)" selected>', form)
    found["sort"] = selected[0] if selected else ""
    return found


def error_lines(page: str) -> list[str]:
    return [html.unescape(x) for x in re.findall(r'<p class="message-error">(.*?)</p>', page)]


def test_a_bad_value_is_400_with_the_page_its_form_and_the_reason(
    path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    urls = {
        "query": '/archive/-/kwic?q="Бишкек&sort=left&width=30',
        "sort": "/archive/-/kwic?q=Бишкек&sort=middle&width=30&limit=7",
        "width": "/archive/-/kwic?q=Бишкек&sort=right&width=0",
        "limit": "/archive/-/kwic?q=Бишкек&limit=many",
    }
    responses = dict(zip(urls, get(path, *urls.values()), strict=True))
    csv_urls = [url.replace("kwic?", "kwic.csv?") for url in urls.values()]
    csvs = dict(zip(urls, get(path, *csv_urls), strict=True))
    # The reasons as the command line and the archive give them.
    assert main(["kwic", '"Бишкек', "--archive", str(path)]) == 2
    cli_line = capsys.readouterr().err.strip()
    assert cli_line.startswith("centrasia kwic: ")
    with Archive.open(path, readonly=True) as store, pytest.raises(ValueError) as refused:
        list(store.kwic("Бишкек", sort="middle"))
    reasons = {"query": cli_line.removeprefix("centrasia kwic: "), "sort": str(refused.value)}
    for what, response in responses.items():
        page = response.text
        assert response.status_code == 400, what
        assert "<h1>Concordance (KWIC)</h1>" in page, what
        # One line: the CSV's without the command's name (the page's limit has a bound).
        (line,) = error_lines(page)
        assert csvs[what].status_code == 400
        if what != "limit":
            assert csvs[what].text == f"centrasia kwic: {line}\n"
        assert "centrasia kwic" not in line and what in line
        if what in reasons:
            assert line == reasons[what]
        assert '<table class="kwic">' not in page
    assert form_values(responses["query"].text) == {
        "q": '"Бишкек', "sort": "left", "width": "30", "limit": "100"
    }  # fmt: skip
    assert form_values(responses["sort"].text) == {
        "q": "Бишкек", "sort": "", "width": "30", "limit": "7"
    }  # fmt: skip
    assert form_values(responses["width"].text)["width"] == "0"
    assert form_values(responses["limit"].text)["limit"] == "many"
    assert error_lines(responses["limit"].text) == [
        f"limit: 'many' is not a whole number from 1 to {PAGE_MOST}"
    ]
