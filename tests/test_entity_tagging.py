"""Tagging articles with the gazetteer's entities: names under all their forms and
renamings, shared names, the tags written with the articles, and the upgrade that tags
an archive written before entities existed (killed half-way, then finished)."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from centrasia_crawler.archive import Archive
from centrasia_crawler.archive.search import search
from centrasia_crawler.entities.gazetteer import load
from centrasia_crawler.entities.tagger import Tagger


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger(load())


def tagged(tagger: Tagger, title: str, body: str = "", year: int | None = 2020) -> dict[str, int]:
    return {t.entity_id: t.mentions for t in tagger.tag(title, body, year)}


@pytest.mark.parametrize(
    ("text", "year", "entity"),
    [
        ("Делегация прибыла в Акмолу", 1997, "astana"),
        ("Целиноградский район", 1980, None),  # an adjective is not the city's name
        ("Форум в Целинограде", 1985, "astana"),
        ("Саммит прошел в Астане", 2005, "astana"),
        ("Нур-Султаном назвали столицу", 2019, "astana"),
        ("В Нур-Султане открылся форум", 2021, "astana"),
        ("Посол Киргизии вручил грамоты", 2015, "kyrgyzstan"),
        ("Кыргызская Республика и Казахстан", 2015, "kyrgyzstan"),
        ("Газ из Туркмении пойдет в Китай", 2009, "turkmenistan"),
        ("Рахмонов встретился с послом", 2003, "rahmon"),
        ("Рахмон встретился с послом", 2012, "rahmon"),
        ("Послание Эмомали Рахмона парламенту", 2012, "rahmon"),
        ("Мирзияев подписал указ", 2018, "mirziyoyev"),
        ("С Мирзиёевым обсудили воду", 2018, "mirziyoyev"),
        ("НГ: Визит Аркадага в США", 2017, "berdimuhamedov-gurbanguly"),
        ("Торага Жогорку Кенеша провел сессию", 2021, "zhogorku-kenesh"),
        ("Депутаты ЖК приняли закон", 2021, "zhogorku-kenesh"),
        ("Саммит ШОС открылся в Ташкенте", 2022, "sco"),
    ],
)
def test_names_are_found_in_every_form_and_under_every_name(
    tagger: Tagger, text: str, year: int, entity: str | None
) -> None:
    found = tagged(tagger, text, year=year)
    if entity is None:
        assert "astana" not in found
    else:
        assert entity in found, found


def test_the_shared_surname_goes_to_one_berdymukhamedov_only_when_something_decides(
    tagger: Tagger,
) -> None:
    father, son = "berdimuhamedov-gurbanguly", "berdimuhamedov-serdar"

    def berdy(title: str, body: str, year: int) -> dict[str, int]:
        found = tagged(tagger, title, body, year)
        return {k: v for k, v in found.items() if k in (father, son)}

    # The date: before 2021 only the father was called so in the news.
    assert berdy("Бердымухамедов открыл стадион", "", 2015) == {father: 1}
    # After, the surname alone is either: counted for neither.
    assert berdy("Бердымухамедов открыл стадион", "", 2023) == {}
    # The text decides: the son named in full, the surname alone is his too.
    both = berdy("Сердар Бердымухамедов в Ашхабаде", "Бердымухамедов сказал", 2023)
    assert both == {son: 2}
    # The epithet is the father's only.
    arkadag = berdy("Аркадаг посадил деревья", "Бердымухамедов-старший доволен", 2024)
    assert arkadag.get(father) == 2 and son not in arkadag
    # Both named in full: the surname alone stays undecided.
    assert berdy("Гурбангулы Бердымухамедов и Сердар Бердымухамедов", "Бердымухамедов", 2023) == {
        father: 1,
        son: 1,
    }


def test_lower_case_words_are_not_capitalised_names(tagger: Tagger) -> None:
    assert tagged(tagger, "фрунзе") == {}  # the city is written with a capital
    assert tagged(tagger, "шос и жк") == {}  # abbreviations: in capitals only


def test_the_longest_name_wins_where_names_overlap(tagger: Tagger) -> None:
    found = tagged(tagger, "Шанхайская организация сотрудничества")
    assert found == {"sco": 1}


def article(st: int, title: str, body: str, day: str = "2021-03-04") -> dict[str, Any]:
    return {
        "st": st,
        "url": f"https://centrasia.org/newsA.php?st={st}",
        "title": title,
        "published_at": f"{day}T12:00:00+03:00",
        "body": body,
    }


def tags(conn: sqlite3.Connection) -> set[tuple[int, str, int, int]]:
    return set(conn.execute("SELECT st, entity_id, mentions, in_title FROM article_entities"))


def test_articles_are_tagged_as_they_are_stored_and_again_when_they_change(
    tmp_path: Path,
) -> None:
    with Archive.open(tmp_path / "a.sqlite") as store:
        store.write_batch([article(1, "Мирзиёев в Астане", "Мирзиёева встретили в Нур-Султане.")])
        assert tags(store.conn) == {(1, "astana", 2, 1), (1, "mirziyoyev", 2, 1)}
        store.write_batch([article(1, "Мирзиёев в Бишкеке", "Визит в Киргизию.")])  # a revision
        assert tags(store.conn) == {
            (1, "bishkek", 1, 1),
            (1, "kyrgyzstan", 1, 0),
            (1, "mirziyoyev", 1, 1),
        }
        countries = set(store.conn.execute("SELECT st, country FROM article_countries"))
        assert countries == {(1, "KG"), (1, "UZ")}  # the city counts for its country


def test_search_by_entity_finds_every_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from centrasia_crawler.cli import main

    path = tmp_path / "a.sqlite"
    with Archive.open(path) as store:
        store.write_batch(
            [
                article(1, "Встреча в Акмоле", "Акмола принимает гостей.", "1997-05-01"),
                article(2, "Форум в Нур-Султане", "Столица готова.", "2020-05-01"),
                article(3, "Новости Астаны", "Город растет.", "2010-05-01"),
                article(4, "Посол Киргизии", "Вручены грамоты.", "2010-05-01"),
                article(5, "Ташкент", "Ничего об Астане? Нет: Астана тут.", "2010-05-01"),
            ]
        )
        assert {r["st"] for r in search(store, "@Астана")} == {1, 2, 3, 5}
        assert {r["st"] for r in search(store, "@Кыргызстан")} == {4}
        assert {r["st"] for r in search(store, "@Астана NOT @Ташкент")} == {1, 2, 3}
        assert {r["st"] for r in search(store, 'title:@"Нур-Султан"')} == {1, 2, 3}
    capsys.readouterr()
    assert main(["search", "@Астана", "--count", "--archive", str(path)]) == 0
    assert capsys.readouterr().out.strip().startswith("4")
    assert main(["search", "@Астна", "--archive", str(path)]) == 2
    error = capsys.readouterr().err.strip()
    assert "the closest names: Астана" in error and len(error.splitlines()) == 1, error


def test_the_archive_keeps_the_whole_gazetteer_it_was_tagged_with(tmp_path: Path) -> None:
    """``@Name`` is read from the archive's tables (not the TOML files): they hold every
    entity with all its names, kinds, years and posts."""
    from centrasia_crawler.archive.search_query import QueryTranslator
    from centrasia_crawler.archive.tagging import stored_gazetteer

    with Archive.open(tmp_path / "a.sqlite") as store:
        store.write_batch([article(1, "Встреча в Акмоле", "Акмола принимает гостей.")])
        kept = stored_gazetteer(store.conn)
        assert kept is not None
        files = load()
        assert len(kept) == len(files)
        for entity in files:
            got = kept[entity.id]
            plain = (entity.name, entity.type, entity.country, entity.kind, entity.geonames)
            assert (got.name, got.type, got.country, got.kind, got.geonames) == plain
            assert got.description == entity.description
            assert sorted(got.names, key=repr) == sorted(set(entity.names), key=repr)
            assert sorted(got.posts, key=repr) == sorted(set(entity.posts), key=repr)
        translator = QueryTranslator(store.conn)
        assert translator.entity_names("Астана", "@Астана") == [
            "Акмола",
            "Акмолинск",
            "Астана",
            "Нур-Султан",
            "Целиноград",
        ]
        # A name the archive's gazetteer lacks is unknown, whatever the files say.
        store.conn.execute("DELETE FROM entity_names WHERE name = 'Целиноград'")
        assert "Целиноград" not in QueryTranslator(store.conn).entity_names("Астана", "q")
        for table in ("article_entities", "entity_names", "entity_posts", "entities"):
            store.conn.execute(f"DELETE FROM {table}")
        assert stored_gazetteer(store.conn) is None  # none stored: the package's files
        assert "Целиноград" in QueryTranslator(store.conn).entity_names("Астана", "q")


def many(n: int) -> list[dict[str, Any]]:
    lines = (
        "Мирзиёев прилетел в Бишкек.",
        "В Астане прошла встреча.",
        "Посол Киргизии встретился с Торагой Жогорку Кенеша.",
        "Саммит ШОС.",
    )
    return [
        article(st, f"Новость {st}", " ".join(lines[(st * k) % 4] for k in range(1, 6)))
        for st in range(1, n + 1)
    ]


@pytest.mark.slow
def test_an_upgrade_tags_an_untagged_archive_and_a_kill_half_way_loses_nothing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.sqlite"
    with Archive.open(path) as store:
        for start in range(0, 12_000, 2000):
            store.write_batch(many(12_000)[start : start + 2000])
        expected = tags(store.conn)
        assert len({row[0] for row in expected}) == 12_000
        # As an archive upgraded from schema 13 is: no entities, never tagged.
        store.conn.execute("DELETE FROM entities")
        store.conn.execute("DELETE FROM archive_meta WHERE key LIKE 'entities_%'")
        assert not tags(store.conn)
    upgrade = [sys.executable, "-m", "centrasia_crawler.cli", "upgrade", "--archive", str(path)]
    process = subprocess.Popen(upgrade, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        while line and "tagging entities" not in line:
            line = process.stderr.readline()
        assert "tagging entities" in line, line
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait(timeout=30)
        if process.stderr is not None:
            process.stderr.close()
    half = sqlite3.connect(path)
    upto = half.execute("SELECT value FROM archive_meta WHERE key = 'entities_tagged_upto'")
    assert 0 < int(upto.fetchone()[0]) < 12_000  # killed half-way
    half.close()
    done = subprocess.run(upgrade, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    with Archive.open(path, readonly=True) as store:
        assert tags(store.conn) == expected
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_researchers_own_gazetteer_is_kept_in_the_archive_and_tags_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from centrasia_crawler.cli import main

    path = tmp_path / "a.sqlite"
    with Archive.open(path) as store:
        store.write_batch([article(1, "Дубнов о Ташкенте", "Аркадий Дубнов считает.")])
    mine = tmp_path / "mine.toml"
    mine.write_text(
        '[[entity]]\nid = "dubnov"\nname = "Аркадий Дубнов"\ntype = "person"\n'
        'names = ["Аркадий Дубнов", "Дубнов"]\n',
        encoding="utf-8",
    )
    assert main(["upgrade", "--gazetteer", str(mine), "--archive", str(path)]) == 0
    assert "1 tagged with entities" in capsys.readouterr().out
    with Archive.open(path, readonly=True) as store:
        assert ("dubnov", 2) in set(
            store.conn.execute("SELECT entity_id, mentions FROM article_entities")
        )
        assert {r["st"] for r in search(store, "@Дубнов")} == {1}
    # A later writer (a crawl) tags with the archive's own file too.
    with Archive.open(path) as store:
        store.write_batch([article(2, "Снова Дубнов", "Дубнова спросили.")])
        assert (2, "dubnov") in set(
            store.conn.execute("SELECT st, entity_id FROM article_entities")
        )
    mine.write_text('[[entity]]\nid = "Bad Id"\n', encoding="utf-8")
    assert main(["upgrade", "--gazetteer", str(mine), "--archive", str(path)]) == 2
    error = capsys.readouterr().err.strip()
    assert "'Bad Id'" in error and len(error.splitlines()) == 1, error
    assert main(["upgrade", "--no-gazetteer", "--archive", str(path)]) == 0
    with Archive.open(path, readonly=True) as store:
        assert not store.conn.execute(
            "SELECT 1 FROM article_entities WHERE entity_id = 'dubnov'"
        ).fetchone()


def test_datasettes_search_takes_at_names(tmp_path: Path) -> None:
    from tests.helpers import get, rows_of

    path = tmp_path / "a.sqlite"
    with Archive.open(path) as store:
        store.write_batch(
            [
                article(1, "Встреча в Акмоле", "Акмола принимает гостей.", "1997-05-01"),
                article(2, "Форум в Нур-Султане", "Столица готова.", "2020-05-01"),
                article(3, "Встреча в Бишкеке", "Бишкек принимает гостей.", "2020-05-01"),
            ]
        )
    (response,) = get(path, "/a/search?q=%40%D0%90%D1%81%D1%82%D0%B0%D0%BD%D0%B0")  # @Астана
    assert response.status_code == 200
    assert {int(r[0]) for r in rows_of(response.text)} == {1, 2}


def test_the_crawl_never_tags_the_whole_archive_by_itself(tmp_path: Path) -> None:
    from centrasia_crawler.archive.schema import ArchiveVersionError

    path = tmp_path / "a.sqlite"
    with Archive.open(path, reindex=False) as store:  # a new archive: nothing to tag
        store.write_batch([article(1, "Мирзиёев в Астане", "")])
        assert tags(store.conn) == {(1, "astana", 1, 1), (1, "mirziyoyev", 1, 1)}
        store.conn.execute("UPDATE archive_meta SET value = 'other' WHERE key = 'entities_version'")
    with pytest.raises(ArchiveVersionError, match=r"another gazetteer.*centrasia upgrade"):
        Archive.open(path, reindex=False)
    with Archive.open(path) as store:  # as centrasia upgrade does
        assert tags(store.conn) == {(1, "astana", 1, 1), (1, "mirziyoyev", 1, 1)}


def test_at_names_work_in_every_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from centrasia_crawler.cli import main

    path = tmp_path / "a.sqlite"
    with Archive.open(path) as store:
        store.write_batch(
            [
                article(1, "Встреча в Акмоле", "Акмола принимает гостей из Бишкека.", "1997-05-01"),
                article(2, "Форум в Нур-Султане", "Столица готова к форуму.", "2020-05-01"),
                article(3, "Встреча в Бишкеке", "Бишкек принимает гостей.", "2020-06-01"),
            ]
        )
    archive = ["--archive", str(path)]
    capsys.readouterr()
    assert main(["kwic", "@Астана", "--json", *archive]) == 0
    lines = json.loads(capsys.readouterr().out)
    assert {(line["st"], line["match"]) for line in lines} == {
        (1, "Акмоле"),
        (1, "Акмола"),
        (2, "Нур-Султане"),
    }
    assert main(["trend", "@Астана", "--by", "year", "--json", *archive]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert sum(r["articles"] for r in rows) == 2
    assert main(["terms", "@Бишкек", "--json", *archive]) == 0
    terms = json.loads(capsys.readouterr().out)
    assert "бишкек" not in {t["term"] for t in terms.get("terms", terms)}  # its own words
    out = tmp_path / "corpus.jsonl"
    assert main(["export", "--query", "@Астана", "-o", str(out), *archive]) == 0
    exported = [json.loads(line)["st"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(exported) == [1, 2]


def test_a_shared_name_is_never_taken_for_one_entity_by_the_api_or_datasette(
    tmp_path: Path,
) -> None:
    from centrasia_crawler.archive.entities import AmbiguousEntity
    from tests.helpers import get

    path = tmp_path / "a.sqlite"
    with Archive.open(path) as store:
        store.write_batch(
            [
                article(
                    1, "Сердар Бердымухамедов в Ашхабаде", "Бердымухамедов сказал.", "2023-05-01"
                ),
                article(2, "Форум в Нур-Султане", "Столица готова.", "2020-05-01"),
            ]
        )
        with pytest.raises(AmbiguousEntity, match=r"Гурбангулы.*Сердар"):
            store.entity("Бердымухамедов")
        assert store.entity("Сердар Бердымухамедов")["articles"] == 1  # type: ignore[index]
        rows = store.entity_trend("Астана", by="year")
        assert sum(r["articles"] for r in rows) == 1
        with pytest.raises(LookupError, match="Астна"):
            store.entity_trend("Астна")
    shared, unknown = get(path, "/a/-/entity/Бердымухамедов", "/a/-/entity/Астна")
    if unknown.status_code == 302:  # Datasette's own (tilde) encoding of the name
        (unknown,) = get(path, unknown.headers["location"])
    assert shared.status_code == 400 and "Сердар Бердымухамедов" in shared.text
    assert unknown.status_code == 404 and "Астна" in unknown.text


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ('id = "tash2"\nname = "Ташкент"\ntype = "place"\ncountry = "UZ"\n', "share the name"),
        ('id = "x"\nname = "Икс"\ntype = "person"\nnmaes = ["Икс"]\n', "unknown key nmaes"),
        ('id = "x"\nname = "Икс"\ntype = "person"\ncountry = "XX"\n', "country 'XX'"),
        (
            'id = "x"\nname = "Икс"\ntype = "person"\n'
            'names = [{ name = "Икс", years = "2030-2020" }]\n',
            "end before",
        ),
        (
            'id = "x"\nname = "Икс"\ntype = "person"\n\n'
            '[[entity]]\nid = "x"\nname = "Игрек"\ntype = "person"\n',
            "twice",
        ),
        (None, "no [[entity]]"),
    ],
)
def test_a_researchers_gazetteer_is_checked_before_it_is_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], entry: str | None, problem: str
) -> None:
    from centrasia_crawler.cli import main

    path = tmp_path / "a.sqlite"
    with Archive.open(path) as store:
        store.write_batch([article(1, "Мирзиёев в Ташкенте", "")])
    mine = tmp_path / "mine.toml"
    mine.write_text("" if entry is None else f"[[entity]]\n{entry}", encoding="utf-8")
    capsys.readouterr()
    assert main(["upgrade", "--gazetteer", str(mine), "--archive", str(path)]) == 2
    error = capsys.readouterr().err.strip()
    assert problem in error and len(error.splitlines()) == 1, error
    if "share" not in problem and "country" not in problem:
        assert "mine.toml" in error  # the file is named
    with Archive.open(path, readonly=True) as store:  # nothing kept, nothing re-tagged
        assert tags(store.conn) == {(1, "mirziyoyev", 1, 1), (1, "tashkent", 1, 1)}
