"""Plain Datasette on an archive, with the package's plugin: in-process, Datasette's own
test client (no server, no port, nothing left running)."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import sqlite3
import urllib.parse
from pathlib import Path

import pytest

from centrasia_crawler.archive import Archive
from centrasia_crawler.archive.canned import CANNED_QUERIES
from centrasia_crawler.archive.schema import TABLE_DOCS
from centrasia_crawler.archive.search import search
from tests.helpers import assert_local_only, close_datasette, datasette, get, plot_in, rows_of

pytest.importorskip("datasette", reason="Datasette is not installed ([serve] extra)")

from centrasia_crawler.datasette_plugin.metadata import HIDDEN_TABLES, OTHER_TABLES
from centrasia_crawler.datasette_plugin.pages import EXCERPT
from centrasia_crawler.serve import SETTINGS, datasette_command

FIRST_DAY = dt.date(2025, 3, 1)
LONG_BODY = "Президент Садыр Жапаров провёл встречу с депутатами в Бишкеке. " * 20
#: (title, body, source, attribution): a cycle over the archive's days.
TEXTS = [
    ("Садыр Жапаров встретился с Ташиевым", LONG_BODY, "Кабар", None),
    (
        "Казахстан и Узбекистан",
        "В Казахстане растёт добыча; Жапаров сказал пару слов.",
        "Азия-Плюс",
        None,
    ),
    (
        "Погода <b>в</b> Бишкеке, - Иван Петров",
        "Тепло <script>alert(1)</script>.",
        None,
        "Иван Петров",
    ),
]
DAYS = 12


def st_of(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.UTC).timestamp())


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("datasette") / "archive.sqlite"
    rows = []
    for n in range(DAYS):
        day = FIRST_DAY + dt.timedelta(days=n)
        title, body, source, attribution = TEXTS[n % len(TEXTS)]
        st = st_of(day)
        rows.append(
            {"st": st, "url": f"https://centrasia.org/newsA.php?st={st}", "title": title}
            | {"published_at": f"{day}T15:00:00+03:00", "body": body, "source": source}
            | {"attribution": attribution}
        )
    with Archive.open(path) as store:
        store.write_batch(rows)
    return path


def page(path: Path, url: str) -> str:
    (response,) = get(path, url)
    assert response.status_code == 200, response.text[:2000]
    return str(response.text)


def test_plain_datasette_has_the_descriptions_queries_and_settings(archive: Path) -> None:
    meta, settings = get(archive, "/-/metadata.json", "/-/settings.json")
    database = meta.json()["databases"]["archive"]
    assert list(database["queries"]) == list(CANNED_QUERIES)
    assert {n: q["sql"] for n, q in database["queries"].items()} == {
        n: q["sql"] for n, q in CANNED_QUERIES.items()
    }
    articles = database["tables"]["articles"]
    assert articles["description"] == TABLE_DOCS["articles"][0]
    assert articles["columns"] == TABLE_DOCS["articles"][1]
    assert articles["fts_table"] == "articles_morph" and articles["fts_pk"] == "st"
    assert articles["facets"] == ["outlet", "published_date", "attribution"]
    assert database["tables"]["crawl_runs"]["columns"] == TABLE_DOCS["crawl_runs"][1]
    in_process = {**SETTINGS, "num_sql_threads": 0}  # tests.helpers.datasette's one change
    assert {k: settings.json()[k] for k in SETTINGS} == in_process


def test_centrasia_serve_gives_datasette_its_settings(archive: Path) -> None:
    """Through Datasette's own command line: parsed by it, they are the settings."""
    from click.testing import CliRunner
    from datasette.cli import cli

    command = datasette_command(archive, "127.0.0.1", 8001)
    arguments = command[command.index("serve") :]
    result = CliRunner().invoke(cli, [*arguments, "--get", "/-/settings.json"])
    assert result.exit_code == 0, result.output
    assert {k: json.loads(result.output)[k] for k in SETTINGS} == SETTINGS


def test_internal_tables_are_hidden(archive: Path) -> None:
    (response,) = get(archive, "/archive.json")
    tables = {t["name"]: t["hidden"] for t in response.json()["tables"]}
    shown = {name for name, hidden in tables.items() if not hidden}
    assert shown == {"articles", *OTHER_TABLES}
    assert set(HIDDEN_TABLES) <= {name for name, hidden in tables.items() if hidden}
    assert tables.get("articles_fts_data")  # the FTS tables' shadow tables too


def test_a_setting_on_the_command_line_wins(archive: Path) -> None:
    (response,) = get(archive, "/-/settings.json", settings={"default_page_size": 7})
    assert response.json()["default_page_size"] == 7
    assert response.json()["sql_time_limit_ms"] == SETTINGS["sql_time_limit_ms"]


def test_another_database_is_left_as_datasette_shows_it(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)")
        conn.execute("INSERT INTO t (body) VALUES (?)", ("x" * 1000,))
    conn.close()
    meta, settings, index, table = get(
        other, "/-/metadata.json", "/-/settings.json", "/", "/other/t"
    )
    assert meta.json() == {}
    assert settings.json()["default_page_size"] == SETTINGS["default_page_size"]
    assert "Search the articles" not in index.text and '<a href="/other/t"' in index.text
    assert "x" * 1000 in table.text


def test_the_index_page_shows_the_articles_then_the_queries(archive: Path) -> None:
    text = page(archive, "/")
    articles = text.index('href="/archive/articles"')
    search_box = text.index('action="/archive/search"')
    queries = [text.index(f'href="/archive/{name}"') for name in CANNED_QUERIES]
    tables = [text.index(f'href="/archive/{name}"') for name in OTHER_TABLES]
    assert articles < search_box < min(queries) and max(queries) < min(tables)
    assert queries == sorted(queries)
    for name in HIDDEN_TABLES:
        assert f"/archive/{name}" not in text


def test_the_database_page_shows_the_archives_entries_above_the_sql_box(
    archive: Path, tmp_path: Path
) -> None:
    """The index page's heading links to the database page: there too the articles, the
    search box and the charts come first, then Datasette's own page (with the canned
    queries, listed once)."""
    text = page(archive, "/archive")
    articles = text.index('href="/archive/articles"')
    search_box = text.index('action="/archive/search"')
    charts = text.index('href="/archive/-/attention"')
    queries = [text.index(f'href="/archive/{name}"') for name in CANNED_QUERIES]
    assert articles < search_box < charts < text.index('<form class="sql"') < min(queries)
    assert all(text.count(f'href="/archive/{name}"') == 1 for name in CANNED_QUERIES)
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    conn.close()
    (response,) = get(other, "/other")
    assert response.status_code == 200 and "Search the articles" not in response.text


def headers_of(text: str) -> list[str]:
    head = text[text.index("<thead>") : text.index("</thead>")]
    return [
        html.unescape(re.sub(r"<[^>]+>|&nbsp;[▼▲]", "", cell)).strip()
        for cell in re.findall(r"<th[^>]*>(.*?)</th>", head, re.S)
    ]


def test_the_articles_table_is_a_listing_newest_first(archive: Path) -> None:
    text = page(archive, "/archive/articles")
    assert headers_of(text) == ["st", "published_at", "title", "source", "attribution", "excerpt"]
    rows = rows_of(text)
    sts = [int(r[0]) for r in rows]
    assert len(rows) == DAYS and sts == sorted(sts, reverse=True)
    newest = TEXTS[(DAYS - 1) % len(TEXTS)]
    assert rows[0][2] == newest[0]  # the title, its < and > as text
    for row in rows:
        assert len(row[5]) <= EXCERPT + 1
    long_ones = [r for r in rows if r[2] == TEXTS[0][0]]
    assert long_ones and all(
        r[5].endswith("…") and LONG_BODY.startswith(r[5][:-1]) for r in long_ones
    )
    # The descriptions are folded away (a <details>), not a list above the rows.
    assert "<summary>What the columns mean</summary>" in text
    assert text.index("<details") < text.index("<table")
    # Facets on source, date and attribution.
    for facet in ("source", "published_date", "attribution"):
        assert f'data-column="{facet}"' in text
    assert "Кабар" in text and "Иван Петров" in text


def test_the_full_text_is_on_the_row_page(archive: Path) -> None:
    st = st_of(FIRST_DAY)  # its body is LONG_BODY
    text = page(archive, f"/archive/articles/{st}")
    assert html.escape(LONG_BODY.strip(), quote=False) in text


def test_columns_chosen_by_hand_are_shown(archive: Path) -> None:
    text = page(archive, "/archive/articles?_col=content_hash")
    assert "content_hash" in headers_of(text)


def quoted(text: str) -> str:
    return urllib.parse.quote(text)


def test_the_search_box_ranks_by_relevance_and_highlights(archive: Path) -> None:
    # What the table's search form sends: the search, its sort, an empty filter row.
    form = f"_search={quoted('Жапарова')}&_sort=st&_sort_by_desc=on"
    form += "&_filter_column=&_filter_op=exact&_filter_value="
    (redirect,) = get(archive, f"/archive/articles?{form}")
    assert redirect.status_code == 302
    target = redirect.headers["location"]
    assert target == f"/archive/search?q={quoted('Жапарова')}"
    text = page(archive, target)
    with Archive.open(archive, readonly=True) as store:
        expected = [r["st"] for r in search(store, "Жапарова", limit=None)]
    assert [int(r[0]) for r in rows_of(text)] == expected
    titles = [r[2] for r in rows_of(text)]
    # The title matches (ranked first) came before the body-only ones, newer though they are.
    assert titles[0] == TEXTS[0][0] and titles[-1] == TEXTS[1][0]
    assert "<mark>Жапаров</mark>" in text
    assert "&lt;mark&gt;" not in text and "&lt;b&gt;" not in text


def test_a_snippet_escapes_the_article_text(archive: Path) -> None:
    text = page(archive, f"/archive/search?q={quoted('тепло')}")
    assert "<mark>Тепло</mark> &lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<script>alert(1)" not in text


def test_a_two_word_search_finds_its_article(archive: Path) -> None:
    (redirect,) = get(archive, f"/archive/articles?_search={quoted('Садыр Жапаров')}")
    text = page(archive, redirect.headers["location"])
    assert {r[2] for r in rows_of(text)} == {TEXTS[0][0]}


def test_a_search_with_a_filter_stays_in_the_table(archive: Path) -> None:
    url = f"/archive/articles?_search={quoted('Жапаров')}&source__exact={quoted('Азия-Плюс')}"
    text = page(archive, url)
    rows = rows_of(text)
    assert rows and {r[3] for r in rows} == {"Азия-Плюс"}


def test_a_table_search_is_translated_and_datasettes_escape_fts_left_alone(
    archive: Path,
) -> None:
    """The table search finds word forms (``Жапарова`` finds «Жапаров»: Datasette's own
    quoting would not), keeps the typed query in its box, on its next page and in a
    column's search, while ``escape_fts`` stays Datasette's."""
    from datasette.utils import escape_fts

    filtered = f"source__exact={quoted('Кабар')}"
    typed = quoted("Жапарова")
    first, column, sql = get(
        archive,
        f"/archive/articles.json?_search={typed}&{filtered}&_size=2&_shape=objects",
        f"/archive/articles.json?_search_title={typed}&_shape=objects",
        f"/archive.json?sql={quoted('select escape_fts(:q) as e')}&q={quoted('a* b')}&_shape=array",
    )
    kabar = [st_of(FIRST_DAY + dt.timedelta(days=n)) for n in range(DAYS) if n % 3 == 0]
    assert TEXTS[0][2] == "Кабар" and len(kabar) > 2
    assert first.json()["filtered_table_rows_count"] == len(kabar)
    assert [r["st"] for r in first.json()["rows"]] == sorted(kabar, reverse=True)[:2]
    next_url = urllib.parse.urlsplit(first.json()["next_url"])
    (nxt,) = get(archive, f"{next_url.path}?{next_url.query}")
    assert [r["st"] for r in nxt.json()["rows"]] == sorted(kabar, reverse=True)[2:4]
    titled = {n for n in range(DAYS) if "Жапаров" in TEXTS[n % len(TEXTS)][0]}
    assert column.json()["filtered_table_rows_count"] == len(titled)
    assert sql.json() == [{"e": escape_fts("a* b")}]
    (box,) = get(archive, f"/archive/articles?_search={typed}&{filtered}")
    assert 'name="_search" value="Жапарова"' in box.text


@pytest.mark.parametrize(
    ("query", "problem"),
    [('"Жапаров', "never closed"), ("-Жапаров", "exclusions"), ("NOT Жапаров", "NOT")],
)
def test_a_query_that_cannot_run_is_explained(archive: Path, query: str, problem: str) -> None:
    for name in ("search", "trend_by_month", "top_sources_for"):
        response, as_json = get(
            archive, f"/archive/{name}?q={quoted(query)}", f"/archive/{name}.json?q={quoted(query)}"
        )
        text = html.unescape(response.text)
        error = re.search(r'<p class="message-error">(.*?)</p>', text, re.S)
        assert error is not None, text[:3000]
        assert error.group(1).startswith(f"bad search query '{query}'")
        assert problem in error.group(1)
        assert "Invalid SQL" not in text and "user-defined function" not in text
        assert response.status_code == 400
        assert as_json.status_code == 400
        assert as_json.json() == {"ok": False, "error": error.group(1)}


@pytest.mark.parametrize("name", list(CANNED_QUERIES))
def test_every_canned_query_opens_with_empty_parameters(archive: Path, name: str) -> None:
    text = page(archive, f"/archive/{name}")
    assert 'class="message-error"' not in text
    for parameter in re.findall(r"(?<!:):(\w+)", CANNED_QUERIES[name]["sql"]):
        assert f'name="{parameter}"' in text  # its form
    (as_json,) = get(archive, f"/archive/{name}.json?_shape=array")
    assert as_json.status_code == 200


def test_trend_by_month_without_a_query_gives_the_totals(archive: Path) -> None:
    (response,) = get(archive, "/archive/trend_by_month.json?_shape=array")
    assert response.json() == [{"month": "2025-03", "articles": 0, "total": DAYS, "share": 0.0}]


# --- charts -----------------------------------------------------------------------------


def test_the_attention_chart_draws_two_queries(archive: Path) -> None:
    queries = ["Жапаров", "Казахстан"]
    query = "&".join(f"q={quoted(q)}" for q in queries)
    text = page(archive, f"/archive/-/attention?{query}&by=week")
    assert_local_only(text)
    (as_json, drawn) = get(
        archive, f"/archive/-/attention.json?{query}&by=week", f"/archive/-/attention.svg?{query}"
    )
    with Archive.open(archive, readonly=True) as store:
        from centrasia_crawler.archive.attention import trend

        expected = trend(store, queries, "week")
    assert as_json.json() == {"ok": True, "error": None, "rows": expected}
    assert any(not r["complete"] for r in expected)  # no listing was ever read
    # What the browser draws: a point per query and week (the week's Monday), the
    # incomplete weeks as spans.
    plot = plot_in(text)
    assert plot["kind"] == "trend" and plot["lines"] == queries
    mondays = {
        r["period"]: dt.date.fromisocalendar(*map(int, r["period"].split("-W")), 1)
        for r in expected
    }
    week = dt.timedelta(days=7)
    assert plot["points"] == [
        {
            "line": r["query"],
            "x": mondays[r["period"]].isoformat(),
            "end": (mondays[r["period"]] + week).isoformat(),
            "y": r["articles"],
        }
        for r in expected
    ]
    spans = [s["x1"] for s in plot["incomplete"]]
    first = [r for r in expected if r["query"] == queries[0]]
    assert spans == [mondays[r["period"]].isoformat() for r in first if not r["complete"]]
    # The server's drawing of the same, for a browser without scripts.
    assert drawn.status_code == 200 and drawn.headers["content-type"].startswith("image/svg")
    svg = drawn.text
    assert svg.count("<path") > 20  # lines, markers, the shading, the glyphs
    for label in (*queries, "archive incomplete"):  # the legend (text drawn as paths)
        assert f"<!-- {label} -->" in svg


def test_the_attention_chart_by_share(archive: Path) -> None:
    url = f"/archive/-/attention?q={quoted('Жапаров')}&by=month&share=1"
    text = page(archive, url)
    assert plot_in(text)["y_label"] == "share of articles, %"
    assert 'name="share" value="1" checked' in text
    (drawn,) = get(archive, url.replace("attention?", "attention.svg?"))
    assert "<!-- share of articles, % -->" in drawn.text


def test_the_attention_chart_opens_with_its_form(archive: Path) -> None:
    text = page(archive, "/archive/-/attention")
    assert text.count('name="q"') == 4 and 'name="by"' in text
    assert "centrasia-plot" not in text and "Give one to four queries" in text
    (drawn,) = get(archive, "/archive/-/attention.svg")
    assert drawn.status_code == 404


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("/archive/-/attention?q=%22x", "bad search query '\"x'"),
        ("/archive/-/attention?q=x&by=decade", "by: one of day, week, month, year"),
        ("/archive/-/coverage?since=yesterday", "since='yesterday' is not a date (YYYY-MM-DD)"),
        ("/archive/-/sources?q=x&since=2025-03-09&until=2025-03-01", "is after until"),
    ],
)
def test_a_chart_that_cannot_be_drawn_says_why(archive: Path, url: str, problem: str) -> None:
    (response,) = get(archive, url)
    assert response.status_code == 400
    error = re.search(r'<p class="message-error">(.*?)</p>', html.unescape(response.text))
    assert error is not None and problem in error.group(1)
    (as_json,) = get(archive, url.replace("?", ".json?", 1))
    assert as_json.status_code == 400 and problem in as_json.json()["error"]


def test_the_coverage_chart_marks_the_gaps(archive: Path) -> None:
    text = page(archive, "/archive/-/coverage")
    (drawn,) = get(archive, "/archive/-/coverage.svg")
    assert "<!-- gap -->" in drawn.text and "<!-- archived -->" in drawn.text
    first, last = FIRST_DAY, FIRST_DAY + dt.timedelta(days=DAYS - 1)
    plot = plot_in(text)  # no listing was read: every day a gap, listed on none
    assert plot["gaps"] == [{"x1": str(first), "x2": str(last)}]
    days = [str(first + dt.timedelta(days=n)) for n in range(DAYS)]
    assert plot["days"] == [{"x": d, "archived": 1, "listed": None} for d in days]
    assert (
        f"Gaps (shaded red; centrasia crawl --since … --until … fills them): {first} .. {last}."
        in html.unescape(text)
    )
    assert_local_only(text)
    (as_json,) = get(archive, "/archive/-/coverage.json")
    rows = as_json.json()["rows"]
    assert [r["day"] for r in rows] == [str(last - dt.timedelta(days=n)) for n in range(DAYS)]
    assert {r["archived"] for r in rows} == {1}


def test_the_sources_chart(archive: Path) -> None:
    text = page(archive, f"/archive/-/sources?q={quoted('Жапарову')}")
    (as_json, drawn) = get(
        archive,
        f"/archive/-/sources.json?q={quoted('Жапарову')}",
        f"/archive/-/sources.svg?q={quoted('Жапарову')}",
    )
    assert "<!-- Кабар -->" in drawn.text and "<!-- Азия-Плюс -->" in drawn.text
    counts = {"Кабар": 0, "Азия-Плюс": 0}  # the articles that say Жапаров have a source
    for n in range(DAYS):
        source = TEXTS[n % len(TEXTS)][2]
        if source:
            counts[source] += 1
    expected = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    assert as_json.json()["rows"] == [{"source": s, "articles": n} for s, n in expected]
    assert plot_in(text)["bars"] == [{"name": s, "n": n} for s, n in expected]


def test_the_charts_are_on_the_index_page(archive: Path) -> None:
    text = page(archive, "/")
    for name in ("attention", "coverage", "sources"):
        assert f'href="/archive/-/{name}"' in text
    assert text.index("/archive/-/attention") < text.index('href="/archive/search"')


def test_no_chart_for_another_database(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).close()
    (response,) = get(other, "/other/-/attention")
    assert response.status_code == 404


def test_an_article_in_a_query_links_to_its_page(archive: Path) -> None:
    st = st_of(FIRST_DAY)
    text = page(archive, f"/archive/search?q={quoted('Ташиевым')}")
    assert f'<a href="/archive/-/article/{st}">{st}</a>' in text
    text = page(archive, f"/archive/attribution_articles?attribution={quoted('Иван Петров')}")
    third = st_of(FIRST_DAY + dt.timedelta(days=2))
    assert f'<a href="/archive/-/article/{third}">{third}</a>' in text


# --- an archive an older version wrote ------------------------------------------------


def test_an_archive_one_schema_behind_answers_every_page_with_the_upgrade_hint(
    tmp_path: Path,
) -> None:
    """Every page of it is 200 with what to run (never a 404, a 500 or an older
    schema's numbers); once upgraded, the same pages are the archive's."""
    from centrasia_crawler.archive.schema import SCHEMA_VERSION
    from centrasia_crawler.archive.store import upgrade
    from tests.helpers import ARTICLES, older_archive

    path = older_archive(tmp_path / "archive.sqlite", ARTICLES, SCHEMA_VERSION - 1)
    st = ARTICLES[0][0]
    urls = [
        "/",
        "/archive",
        "/archive/articles",
        f"/archive/articles/{st}",
        f"/archive/articles?_search={quoted('Жапаров')}",
        f"/archive/articles?_search={quoted('Жапаров')}&_facet=outlet",
        f"/archive/search?q={quoted('Жапаров')}",
        f"/archive/-/attention?q={quoted('Жапаров')}",
        "/archive/-/coverage",
        f"/archive/-/sources?q={quoted('Жапаров')}",
        f"/archive/-/entity/{quoted('Жапаров')}",
        "/archive/tagged_articles",
    ]
    hint = f"run `centrasia upgrade --archive {path}`"
    for url, response in zip(urls, get(path, *urls), strict=True):
        assert response.status_code == 200, (url, response.text[:1000])
        text = html.unescape(response.text)
        assert hint in text, (url, text[:2000])
        assert f"schema version {SCHEMA_VERSION - 1}" in text, url
    (as_json,) = get(path, "/archive/articles.json")
    assert as_json.status_code == 400 and hint in as_json.json()["error"]

    upgrade(path)
    for url, response in zip(urls, get(path, *urls), strict=True):
        assert response.status_code in (200, 302), url
        assert "centrasia upgrade" not in html.unescape(response.text), url


# --- unknown names, snippets and links --------------------------------------------------


def closest_in(error: str) -> list[str]:
    """The names a search's one-line error offers (``...; the closest names: A, B, C``)."""
    return error.split("the closest names: ", 1)[1].split(", ")


def test_an_unknown_entity_page_links_the_three_closest_names(archive: Path) -> None:
    """The page names the same three the search's error does, once, each a link to a
    page of the entity of that name, under one line that no entity is named so (no
    search's line: none was typed); the JSON says so too."""
    unknown = quoted("Астна")
    page_, as_json, searched = get(
        archive,
        f"/archive/-/entity/{unknown}",
        f"/archive/-/entity/{unknown}.json",
        f"/archive/search.json?q=%40{unknown}",
    )
    said = searched.json()["error"]
    names = closest_in(said)
    assert len(names) == 3 and page_.status_code == 404
    text = html.unescape(page_.text)
    line = "no entity is named 'Астна'"
    assert re.findall(r'<p class="message-error">(.*?)</p>', text, re.S) == [line]
    assert "bad search query" not in text and said not in text
    assert text.lower().count("the closest names") == 1  # the linked list's alone
    shown = re.search(r'class="centrasia-closest">(.*?)</p>', text, re.S)
    assert shown is not None, text[:3000]
    links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', shown.group(1))
    assert [name for _, name in links] == names
    assert [(c["name"]) for c in as_json.json()["closest"]] == names
    assert as_json.status_code == 404 and as_json.json()["error"] == line
    for (url, name), entity in zip(links, get(archive, *[u for u, _ in links]), strict=True):
        assert entity.status_code == 200, url
        data = get(archive, f"{url}.json")[0].json()["entity"]
        assert name in {n["name"] for n in data["names"]}, (url, name)


def test_an_entity_named_in_another_form_is_its_page(archive: Path) -> None:
    (page_,) = get(archive, f"/archive/-/entity/{quoted('Бишкеке')}")
    assert page_.status_code == 200 and "<h1>Бишкек</h1>" in page_.text


@pytest.mark.parametrize(
    "url",
    [
        "/archive/articles?_search=%40{q}&_facet=outlet",
        "/archive/articles?_search=%40{q}&_facet=outlet&source__exact=Кабар",
        "/archive/tagged_articles?_search=%40{q}&_facet_array=countries",
        "/archive/tagged_articles.json?_search=%40{q}&_facet_array=countries",
    ],
)
def test_an_unknown_entity_searched_with_a_facet_says_the_closest_names(
    archive: Path, url: str
) -> None:
    (searched,) = get(archive, f"/archive/search.json?q=%40{quoted('Астна')}")
    said = searched.json()["error"]
    (response,) = get(archive, url.format(q=quoted("Астна")))
    if response.status_code == 302:  # the ranked search, which says it
        (response,) = get(archive, response.headers["location"])
    assert response.status_code == 400
    assert said in html.unescape(response.text) and len(closest_in(said)) == 3


def test_a_table_search_shows_marked_snippets_and_linked_titles(archive: Path) -> None:
    """Within a filter: each row's snippet is a stretch of its article's own text with
    a form of the word marked; each title links to its article's page."""
    stored = {r["st"]: r for r in rows_of_archive(archive, "SELECT st, title, body FROM articles")}
    filtered = f"source__exact={quoted('Азия-Плюс')}"
    (response,) = get(archive, f"/archive/articles?_search={quoted('Жапарову')}&{filtered}")
    text = response.text
    cells = re.findall(r'<td class="col-body[^"]*centrasia-snippet">(.*?)</td>', text, re.S)
    titles = re.findall(r'<td class="col-title[^"]*"><a href="([^"]+)">([^<]+)</a></td>', text)
    expected = [st for st, r in stored.items() if r["title"] == TEXTS[1][0]]
    assert len(cells) == len(titles) == len(expected) > 0
    for cell, (url, title) in zip(cells, titles, strict=True):
        st = int(url.rsplit("/", 1)[1])
        assert st in expected and html.unescape(title) == stored[st]["title"]
        marked = re.findall(r"<mark>(.*?)</mark>", cell)
        assert marked and all(re.fullmatch(r"Жапаров\w*", m) for m in marked), cell
        plain = html.unescape(re.sub(r"</?mark>", "", cell)).strip("…")
        assert plain in stored[st]["title"] or plain in stored[st]["body"], cell
    (article_page,) = get(archive, titles[0][0])
    assert article_page.status_code == 200 and stored[expected[0]]["title"] in html.unescape(
        article_page.text
    )


def test_search_results_link_their_titles_to_the_articles(archive: Path) -> None:
    from centrasia_crawler.datasette_plugin.pages import ARTICLE_PATH

    before, after = ARTICLE_PATH.split("{st}")
    link = re.escape("/archive" + before) + r"(\d+)" + re.escape(after)
    (response,) = get(archive, f"/archive/search?q={quoted('Жапаров')}")
    titles = re.findall(rf'<td class="col-title"><a href="{link}">([^<]+)</a>', response.text)
    assert titles
    stored = {
        r["st"]: r["title"] for r in rows_of_archive(archive, "SELECT st, title FROM articles")
    }
    assert all(stored[int(st)] == html.unescape(title) for st, title in titles)


def rows_of_archive(path: Path, sql: str) -> list[dict[str, object]]:
    from tests.helpers import rows

    return rows(path, sql)


def test_the_tables_key_alone_keeps_the_rules_datasette_reads_there(archive: Path) -> None:
    """Datasette asks the key "tables" for each permission check and a facet's size: it
    gets every table's rules and facet size and nothing else; the table pages still show
    the descriptions, hide the internal tables and size their facets."""
    from centrasia_crawler.datasette_plugin.metadata import FACET_SIZE, metadata_for

    ds = datasette([archive])
    try:
        full, slim = metadata_for(ds), metadata_for(ds, "tables")
        (tables,) = (db["tables"] for db in full["databases"].values())
        (kept,) = (db["tables"] for db in slim["databases"].values())
        read = ("allow", "facet_size")
        expected = {
            name: {k: v for k, v in table.items() if k in read} for name, table in tables.items()
        }
        assert kept == {name: table for name, table in expected.items() if table}
        assert kept["articles"] == {"facet_size": FACET_SIZE}
    finally:
        close_datasette(ds)
    text = page(archive, "/archive/articles?_facet=source")
    assert html.escape(tables["articles"]["description"], quote=False) in text
    every, sized = (
        response.json()["facet_results"]["published_date"]["results"]
        for response in get(
            archive,
            "/archive/articles.json?_facet=published_date&_facet_size=max",
            "/archive/articles.json?_facet=published_date",
        )
    )
    values = [r["value"] for r in every][:FACET_SIZE]
    assert len(every) == DAYS > FACET_SIZE and [r["value"] for r in sized] == values


def test_every_key_datasette_asks_for_alone_answers_as_the_whole_metadata(
    archive: Path,
) -> None:
    """The plugin gives Datasette, asked for one key, only that key: each lookup of each
    key, for the archive and each of its tables, equals the cascade (table, database,
    top) over the whole metadata, done here."""
    from centrasia_crawler.datasette_plugin.metadata import metadata_for

    ds = datasette([archive])
    try:
        whole = metadata_for(ds)
        database = whole["databases"]["archive"]
        tables = database["tables"]
        keys = {*whole, *database, *(k for t in tables.values() for k in t)} - {"databases"}
        assert {"title", "description", "columns", "queries", "facets", "hidden"} <= keys
        for key in sorted({*keys, "no_such_key"} - {"tables"}):
            for table in (None, *tables):
                levels = [tables[table]] if table else []
                found = next((lv[key] for lv in [*levels, database, whole] if key in lv), None)
                assert ds.metadata(key, database="archive", table=table) == found, (key, table)
            assert ds.metadata(key) == whole.get(key), key
    finally:
        close_datasette(ds)


def test_a_chart_that_cannot_be_drawn_says_why_as_svg_too(archive: Path) -> None:
    """The server's drawing answers a bad form as the page does: 400 and its one line;
    a query that matches nothing is drawn flat, the page saying so."""
    bad = f"q={quoted('Жапаров')}&by=decade"
    page_answer, svg_answer = get(
        archive, f"/archive/-/attention?{bad}", f"/archive/-/attention.svg?{bad}"
    )
    assert page_answer.status_code == svg_answer.status_code == 400
    line = "by: one of day, week, month, year, not 'decade'"
    assert line in html.unescape(page_answer.text) and svg_answer.text == line + "\n"
    (unknown,) = get(archive, "/archive/-/entity/nobody.svg")
    assert unknown.status_code == 404 and unknown.text == "no entity is named 'nobody'\n"
    text = page(archive, f"/archive/-/attention?q={quoted('ксилофон')}&q={quoted('Жапаров')}")
    assert "No article in that range matches «ксилофон»." in html.unescape(text)
    assert "«Жапаров»" not in html.unescape(text).split("matches", 1)[1].split(".", 1)[0]


def test_the_coverage_chart_counts_the_articles_robots_txt_forbids(
    archive: Path, tmp_path: Path
) -> None:
    """A day listing one more article than it archived, that one refused by robots.txt:
    its row says forbidden 1, missing 0, and the page says why the two counts differ."""
    import shutil

    copy = tmp_path / "archive.sqlite"
    shutil.copy(archive, copy)
    day = FIRST_DAY + dt.timedelta(days=2)
    kept, refused = st_of(day), st_of(day) + 600
    listed = [
        {"st": st, "url": f"https://centrasia.org/newsA.php?st={st}", "title": f"Новость {st}"}
        | {"listed_at": f"{day}T15:00:00+03:00", "listed_on": str(day), "page_url": "u"}
        for st in (kept, refused)
    ]
    with Archive.open(copy) as store:
        store.write_batch([], listed, refusals=[listed[1]["url"]])
    answer, (as_json,) = (
        page(copy, f"/archive/-/coverage?since={day}&until={day}"),
        get(copy, f"/archive/-/coverage.json?since={day}&until={day}"),
    )
    (row,) = as_json.json()["rows"]
    assert (row["listed"], row["archived"], row["missing"], row["forbidden"]) == (2, 1, 0, 1)
    assert "1 listed article is forbidden to crawlers by the site's robots.txt" in html.unescape(
        answer
    )
