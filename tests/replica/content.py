"""The replica's content: N days of ~50 articles a day, generated, with the ground truth.

Everything is derived from a seed, and an article's text only when it is asked for,
so thousands of days cost little memory. Every variant SPEC.md names occurs: source
lines with each separator, linked and plain sources, missing source and permalink
lines, old-host permalinks, original dates, attributed headlines, a shown time that
disagrees with st, and listing links in relative, root-relative, absolute and
old-host forms (see ``markup._href_variants``).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from tests.replica.markup import ArticleStyle

MOSCOW = ZoneInfo("Europe/Moscow")
CANONICAL = "https://centrasia.org/newsA.php?st={}"

WORDS = (
    "Казахстан Кыргызстан Таджикистан Узбекистан Туркменистан Афганистан Россия Китай США "
    "правительство президент министр экономика инвестиции граница выборы парламент реформа "
    "газ нефть железная дорога контейнерный поезд саммит переговоры сотрудничество регион "
    "эксперты считают отмечают заявил сообщил ёлка её объём счёт проект кодекс санкции "
    "Бишкек Астана Душанбе Ташкент Ашхабад Москва Пекин Вашингтон фронт сводка рынок "
    "торговля энергетика вода Арал мелиорация космос наука образование культура история"
).split()
OUTLETS = ("НГ:", "Взгляд:", "Эксперт.ru:", "Известия:", "Синьхуа:", '"Кабар":', "")
NAMES = ("Сергей Лавров", "Валентин Катасонов", "П.В.Густерин", "Олег Яновский", "Жан-Поль Сартр")
SOURCES = ("ИноСМИ", "Азия-Плюс", "Эксперт.ru", "24.kg", "Кабар", "Trend")


@dataclass
class ArticleMeta:
    st: int
    day: dt.date
    index: int  # position on its day, newest first


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

    def __post_init__(self) -> None:
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
        """Give the site's days that ``days`` lists (an index's extraction) their real
        headlines, and ``articles`` (extractions of real pages) their real content; the
        other articles of those days keep generated bodies under their real titles."""
        for listed in days:
            day = dt.date.fromisoformat(listed["date"])
            if day not in self.by_day:
                continue
            for meta in self.by_day.pop(day):
                del self.by_st[meta.st]
            metas = [ArticleMeta(h["st"], day, i) for i, h in enumerate(listed["headlines"])]
            self.by_day[day] = metas
            for meta, headline in zip(metas, listed["headlines"], strict=True):
                self.by_st[meta.st] = meta
                self.edits.setdefault(meta.st, {})["title"] = headline["title"]
                self.real_attribution[meta.st] = headline.get("attribution")
        for article in articles:
            if article["st"] in self.by_st:
                self.real[article["st"]] = dict(article)
        # robots.txt still forbids one article of the last day: one with no real content.
        self.disallowed = {st for st in self.disallowed if st in self.by_st}
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

    def _title(self, st: int) -> tuple[str, str | None]:
        rng = self._rng(st, "title")
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 11)))
        title = f"{rng.choice(OUTLETS)} {words[0].upper()}{words[1:]}".strip()
        if rng.random() < 0.15:
            name = rng.choice(NAMES)
            return f"{title}, - {name}", name
        if rng.random() < 0.1:
            return f"{title} - {rng.choice(NAMES)}", None  # a dash without the comma
        return title, None

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
        rng = self._rng(st)
        paragraphs = []
        for _ in range(rng.randint(*self.body_paragraphs)):
            if rng.random() < 0.12:
                paragraphs.append(" ".join(rng.choice(WORDS) for _ in range(4)).capitalize())
                continue
            sentences = [
                " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 20))).capitalize() + "."
                for _ in range(rng.randint(2, 6))
            ]
            paragraphs.append(" ".join(sentences))
        shown = dt.datetime.fromtimestamp(st - st % 60, MOSCOW)
        mismatch = meta.index % 37 == 5
        if mismatch:
            shown += dt.timedelta(minutes=3)
        kind = meta.index % 6
        source = None if kind == 0 else SOURCES[meta.index % len(SOURCES)]
        source_url = f"https://example.org/news/{st}" if kind in (1, 3) else None
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
            "body": "\n\n".join(paragraphs),
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
