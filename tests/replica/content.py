"""The replica's content: N days of ~50 articles a day, generated, with the ground truth.

Everything is derived from a seed, and an article's text only when it is asked for,
so thousands of days cost little memory. The text is grammatical Russian news
(``news.Newsroom``: topics, events, the region's names in their cases), and
``Site.mentions`` gives what each generated article names.

Every variant SPEC.md names occurs: source lines with each separator, linked and
plain sources, missing source and permalink lines, old-host permalinks, original
dates, attributed headlines, a shown time that disagrees with st, and listing links
in relative, root-relative, absolute and old-host forms (see
``markup._href_variants``).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from tests.replica.gazetteer import ENTITIES
from tests.replica.markup import ArticleStyle
from tests.replica.news import Emission, Newsroom, Plan
from tests.replica.topics import AUTHORS, OUTLETS

MOSCOW = ZoneInfo("Europe/Moscow")
CANONICAL = "https://centrasia.org/newsA.php?st={}"

NAMES = AUTHORS  # who opinion headlines are attributed to
SOURCES = ("ИноСМИ", "Азия-Плюс", "Эксперт.ru", "24.kg", "Кабар", "Trend")
#: The source line of every generated article once real ones are beside it
#: (``Site.use_real_days``): the archive's ``source`` says what is not the site's.
GENERATED = "Генератор демо-архива (не статья centrasia.org)"


@dataclass
class ArticleMeta:
    st: int
    day: dt.date
    index: int  # position on its day, newest first


@dataclass(frozen=True)
class Mention:
    """An entity of the gazetteer, as one article names it."""

    key: str  # stable: gazetteer.ENTITIES' key ("japarov", "kg", "kenesh", ...)
    name: str  # its nominative, full ("Садыр Жапаров")
    forms: frozenset[str]  # as spelled in the article ("Садыра Жапарова", "Жапаров")
    in_title: bool
    in_body: bool


@dataclass(frozen=True)
class Mentions:
    """What a generated article names (``Site.mentions``)."""

    st: int
    topic: str  # topics.TOPICS' key: elections, energy, water, ...
    event: str | None  # topics.EVENTS' key when an event drew the article
    country: str  # the country it is about (a key)
    entities: dict[str, Mention]
    phrases: tuple[Emission, ...]  # every name and number, as written, in order
    numbers: frozenset[str]  # numbers as written: "12,5%", "48", "2027"
    title_generated: bool

    @classmethod
    def of(cls, st: int, plan: Plan, phrases: list[Emission], title: bool) -> Mentions:
        entities: dict[str, Mention] = {}
        for e in phrases:
            if e.key == "#":
                continue
            seen = entities.get(e.key)
            entities[e.key] = Mention(
                e.key,
                ENTITIES[e.key].name,
                (seen.forms if seen else frozenset()) | {e.text},
                (seen is not None and seen.in_title) or e.title,
                (seen is not None and seen.in_body) or not e.title,
            )
        numbers = frozenset(e.text for e in phrases if e.key == "#")
        return cls(
            st, plan.topic, plan.event, plan.country, entities, tuple(phrases), numbers, title
        )


@dataclass
class Written:
    """A newsroom's articles as written so far: each made once, then only read."""

    #: Bodies and the names they wrote, by st and ``Site.body_paragraphs``.
    bodies: dict[tuple[int, tuple[int, int]], tuple[str, list[Emission]]] = field(
        default_factory=dict
    )
    #: Headlines, their attribution and the names they wrote, by st and ``Site.marked``.
    titles: dict[tuple[int, bool], tuple[str, str | None, list[Emission]]] = field(
        default_factory=dict
    )
    #: ``Site.mentions``, by st, marking, whether the headline is generated, paragraphs.
    mentions: dict[tuple[int, bool, bool, tuple[int, int]], Mentions] = field(default_factory=dict)


#: What each newsroom (seed, first and last day) wrote: what an article's text is made
#: of (its plan, its random generators, the events laid over those days) is fixed by
#: these and its st, so the Sites of one newsroom, whatever their ``per_day``, write the
#: same text for an st and share it, made once.
_WRITTEN: dict[tuple[int, dt.date, dt.date], Written] = {}


@dataclass
class Site:
    """A generated site. ``days`` days ending on ``last_day``, ``per_day`` articles each."""

    days: int = 3
    per_day: int = 50
    seed: int = 1
    last_day: dt.date = dt.date(2026, 2, 19)
    body_paragraphs: tuple[int, int] = (8, 14)
    by_day: dict[dt.date, list[ArticleMeta]] = field(default_factory=dict)
    by_st: dict[int, ArticleMeta] = field(default_factory=dict)
    edits: dict[int, dict[str, Any]] = field(default_factory=dict)
    disallowed: set[int] = field(default_factory=set)
    #: Listed, but the article answers 404 (the site lists what it does not serve).
    ghosts: set[int] = field(default_factory=set)
    with_ghost: bool = False
    #: Articles whose whole content is given (the specimen's real ones), by st.
    real: dict[int, dict[str, Any]] = field(default_factory=dict)
    real_attribution: dict[int, str | None] = field(default_factory=dict)
    #: Generated articles say so (``GENERATED`` as their source) and name no outlet or
    #: author in their headlines: set by ``use_real_days``.
    marked: bool = False
    #: Whether its text is shared with the other Sites of its newsroom (``_WRITTEN``):
    #: False writes its own, as the test that the generator is deterministic needs.
    shared: bool = field(default=True, compare=False)
    #: Its text as written so far (``_body``, ``_title``, ``mentions``).
    _written: Written = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        first = self.last_day - dt.timedelta(days=self.days - 1)
        self.newsroom = Newsroom(self.seed, first, self.last_day)
        self._written = Written()
        if self.shared:
            self._written = _WRITTEN.setdefault((self.seed, first, self.last_day), self._written)
        for n in range(self.days):
            day = self.last_day - dt.timedelta(days=n)
            rng = random.Random(f"{self.seed}:{day}")
            minutes = sorted(rng.sample(range(24 * 60), self.per_day), reverse=True)
            metas = []
            for i, minute in enumerate(minutes):
                local = dt.datetime.combine(day, dt.time(minute // 60, minute % 60), MOSCOW)
                meta = ArticleMeta(int(local.timestamp()), day, i)
                metas.append(meta)
                self.by_st[meta.st] = meta
            self.by_day[day] = metas
        # One article robots.txt forbids: the third of the last day.
        last = self.by_day[self.last_day]
        if len(last) > 2:
            self.disallowed.add(last[2].st)
        if self.with_ghost and len(last) > 4:
            self.ghosts.add(last[4].st)

    def use_real_days(self, days: list[dict[str, Any]], articles: list[dict[str, Any]]) -> None:
        """Put ``articles`` (extractions of the site's real pages) on the days ``days``
        (an index's extraction) lists, under their real headlines. A real headline whose
        article is not among ``articles`` is not used: those days keep their generated
        articles, under generated headlines. From then on every generated article is
        marked as such (``marked``)."""
        self.marked = True
        headlines = {h["st"]: h for listed in days for h in listed["headlines"]}
        for article in articles:
            st = article["st"]
            day = dt.datetime.fromtimestamp(st, MOSCOW).date()
            if st not in headlines or day not in self.by_day:
                continue
            self.real[st] = dict(article)
            self.edits.setdefault(st, {})["title"] = headlines[st]["title"]
            self.real_attribution[st] = headlines[st].get("attribution")
            metas = [m for m in self.by_day[day] if m.st != st]
            metas.append(ArticleMeta(st, day, 0))
            metas.sort(key=lambda m: m.st, reverse=True)
            self.by_day[day] = [ArticleMeta(m.st, day, i) for i, m in enumerate(metas)]
            for meta in self.by_day[day]:
                self.by_st[meta.st] = meta
        # robots.txt still forbids one article of the last day: one with no real content.
        self.disallowed = {st for st in self.disallowed if st in self.by_st and st not in self.real}
        plain = [m.st for m in self.by_day[self.last_day][2:] if m.st not in self.real]
        if not self.disallowed and plain:
            self.disallowed.add(plain[0])

    # The days -----------------------------------------------------------------------

    def day_list(self) -> list[dt.date]:
        """Every day of the site, newest first."""
        return sorted(self.by_day, reverse=True)

    def headlines(self, day: dt.date) -> list[dict[str, Any]]:
        return [
            {
                "st": m.st,
                "url": CANONICAL.format(m.st),
                "title": self.title(m.st),
                "listed_at": dt.datetime.fromtimestamp(m.st, MOSCOW).isoformat(),
            }
            for m in self.by_day[day]
        ]

    def listing_day(self, day: dt.date) -> dict[str, Any]:
        return {"date": day.isoformat(), "headlines": self.headlines(day)}

    def feed_items(self, count: int = 30) -> list[dict[str, Any]]:
        items = []
        for day in self.day_list():
            for h in self.headlines(day):
                items.append(
                    {k: h[k] for k in ("st", "url", "title")} | {"published_at": h["listed_at"]}
                )
                if len(items) == count:
                    return items
        return items

    # The articles -------------------------------------------------------------------

    def _rng(self, st: int, salt: str = "") -> random.Random:
        return random.Random(f"{self.seed}:{st}:{salt}")

    def _plan(self, st: int) -> Plan:
        return self.newsroom.plan(self._rng(st, "plan"), self.by_st[st].day)

    def _title(self, st: int) -> tuple[str, str | None, list[Emission]]:
        """The generated headline, its attribution and the names it wrote: made once per
        article (and marking), as bodies are."""
        key = (st, self.marked)
        titles = self._written.titles
        if key not in titles:
            titles[key] = self._new_title(st)
        title, attribution, emitted = titles[key]
        return title, attribution, list(emitted)

    def _new_title(self, st: int) -> tuple[str, str | None, list[Emission]]:
        plan = self._plan(st)
        rng = self._rng(st, "title")
        outlet = rng.choice(OUTLETS)
        if self.marked:  # no outlet or author is given words they did not write
            outlet = ""
        if rng.random() < 0.1:  # a dash without the comma: no attribution
            text, emitted = self.newsroom.identification(plan, rng)
            return f"{outlet} {text}".strip(), None, emitted
        text, emitted = self.newsroom.headline(plan, rng)
        title = f"{outlet} {text}".strip()
        if rng.random() < 0.15 and not self.marked:
            name = rng.choice(NAMES)
            if name == ENTITIES["lavrov"].name:
                emitted = [*emitted, Emission("lavrov", name, "nomn", True)]
            return f"{title}, - {name}", name, emitted
        return title, None, emitted

    def title(self, st: int) -> str:
        if "title" in self.edits.get(st, {}):
            return str(self.edits[st]["title"])
        return self._title(st)[0]

    def attribution(self, st: int) -> str | None:
        """Who the generated headline is attributed to (ground truth, not re-derived)."""
        if st in self.real_attribution:
            return self.real_attribution[st]
        return self._title(st)[1]

    def style(self, st: int) -> ArticleStyle:
        i = self.by_st[st].index
        return ArticleStyle(source_sep="-–—:"[i % 4], permalink_sep="-–"[i % 2])

    def article(self, st: int) -> dict[str, Any]:
        """The ground truth: what extraction (and so the archive) must give for ``st``."""
        if st in self.real:
            return {**self.real[st], **self.edits.get(st, {})}
        meta = self.by_st[st]
        body, _ = self._body(st)
        shown = dt.datetime.fromtimestamp(st - st % 60, MOSCOW)
        mismatch = meta.index % 37 == 5
        if mismatch:
            shown += dt.timedelta(minutes=3)
        kind = meta.index % 6
        source = None if kind == 0 else SOURCES[meta.index % len(SOURCES)]
        source_url = f"https://example.org/news/{st}" if kind in (1, 3) else None
        if self.marked:
            source, source_url = GENERATED, None
        if kind == 4:
            stated = f"http://www.centrasia.ru/newsA.php?st={st}"
        elif kind == 5:
            stated = None
        else:
            stated = CANONICAL.format(st)
        original = (meta.day - dt.timedelta(days=1)).isoformat() if meta.index % 5 == 2 else None
        article: dict[str, Any] = {
            "st": st,
            "url": CANONICAL.format(st),
            "title": self.title(st),
            "published_at": shown.isoformat(),
            "body": body,
            "source": source,
            "source_url": source_url if source else None,
            "original_date": original,
            "stated_permalink": stated,
        }
        article.update({k: v for k, v in self.edits.get(st, {}).items() if k != "title"})
        if mismatch:
            article["time_mismatch"] = True
            article["st_time"] = dt.datetime.fromtimestamp(st, MOSCOW).isoformat()
        return article

    def _body(self, st: int) -> tuple[str, list[Emission]]:
        """The generated body and the names it wrote: made once per article and length
        (the generator is deterministic; the server and the tests ask again and again)."""
        key = (st, self.body_paragraphs)
        bodies = self._written.bodies
        if key not in bodies:
            bodies[key] = self.newsroom.body(self._plan(st), self._rng(st), self.body_paragraphs)
        body, emitted = bodies[key]
        return body, list(emitted)

    def mentions(self, st: int) -> Mentions | None:
        """The ground truth of what the generated article ``st`` names, as the site
        serves it now: its topic (and event), and for each gazetteer entity it names,
        the forms as spelled and whether the headline names it; ``phrases`` lists every
        name (and number) as written, in order, with the case its slot asked for.

        None for an article whose body the generator did not write (a real article,
        or one whose body ``edit`` replaced). When only the title was replaced (the
        real headlines of ``use_real_days``, or ``edit(title=...)``), the truth covers
        the body and ``title_generated`` is False. Made once, then shared by every
        caller (and Site of the newsroom): read it, do not change it."""
        if st in self.real or "body" in self.edits.get(st, {}):
            return None
        title_generated = "title" not in self.edits.get(st, {})
        key = (st, self.marked, title_generated, self.body_paragraphs)
        made = self._written.mentions
        if key not in made:
            phrases = list(self._title(st)[2]) if title_generated else []
            phrases += self._body(st)[1]
            made[key] = Mentions.of(st, self._plan(st), phrases, title_generated)
        return made[key]

    def sidebar(self, st: int) -> list[dict[str, Any]]:
        day = self.by_st[st].day
        others = [m for m in self.by_day[day] if m.st != st][:10]
        return [{"st": m.st, "title": self.title(m.st)} for m in others]

    def edit(self, st: int, **fields: Any) -> None:
        """Change an article as the site would (a correction); the next fetch sees it."""
        self.edits.setdefault(st, {}).update(fields)

    def archivable(self) -> list[int]:
        """Every st a complete crawl must archive (robots.txt forbids some, some are 404)."""
        return sorted(st for st in self.by_st if st not in self.disallowed | self.ghosts)

    def in_range(self, since: dt.date, until: dt.date) -> list[int]:
        return [st for st in self.archivable() if since <= self.by_st[st].day <= until]
