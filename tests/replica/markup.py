"""Render the site's content in two markups, for the replica and the extraction tests.

``TableMarkup`` is the specimen's: HTML 4 tables with ``<font>`` and ``<br>``, in
windows-1251 declared by ``<meta http-equiv>``, day pages at ``day.php?st=``.
``DivMarkup`` is ours: HTML5 ``<div>``/``<p>``/``<ul>``, UTF-8, other class names, day
pages at ``archive/YYYY/MM/DD.html``, the calendar at ``archive/``.

Both take the *expected* data (the shapes of ``specimen/expected``) and produce
HTML from which extraction must give that data back. ``charset_in_page=False``
leaves the encoding to the HTTP header only.
"""

from __future__ import annotations

import datetime as dt
import html
import textwrap
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlsplit

MONTHS_NOMINATIVE = [
    "Январь",
    "Февраль",
    "Март",
    "Апрель",
    "Май",
    "Июнь",
    "Июль",
    "Август",
    "Сентябрь",
    "Октябрь",
    "Ноябрь",
    "Декабрь",
]
MONTHS_GENITIVE = [
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
]
WEEKDAYS = ["Понедельник", "Вторник", "Среда", "Четверг", "Пятница", "Суббота", "Воскресенье"]


def e(text: str) -> str:
    """Escape text as the site does: ``&quot;``, and entities for what the encoding lacks."""
    return html.escape(text, quote=True).replace("&#x27;", "'")


def dmy(day: dt.date) -> str:
    return day.strftime("%d.%m.%Y")


def worded(day: dt.date) -> str:
    return f"{day.day} {MONTHS_GENITIVE[day.month - 1]} {day.year} г."


def heading(day: dt.date) -> str:
    return f"{WEEKDAYS[day.weekday()]}, {dmy(day)}"


def hhmm(iso: str) -> str:
    return iso[11:16]


def shown(iso: str) -> str:
    return f"{iso[11:16]} {iso[8:10]}.{iso[5:7]}.{iso[0:4]}"


def _wrap(text: str) -> str:
    return textwrap.fill(text, 72, break_on_hyphens=False, break_long_words=False)


def is_subheading(paragraph: str) -> bool:
    return len(paragraph) <= 80 and not paragraph.endswith((".", "!", "?", "…", ":"))


@dataclass
class ArticleStyle:
    """How an article's tail lines are written (the variants SPEC.md names)."""

    source_sep: str = "-"  # "-", "–", "—" or ":"
    permalink_sep: str = "-"


@dataclass
class Markup:
    """Common parts of both markups."""

    name: ClassVar[str]
    encoding: ClassVar[str]
    charset_in_page: bool = True

    def content_type(self, kind: str = "text/html") -> str:
        return f"{kind}; charset={self.encoding}"

    def encode(self, text: str) -> bytes:
        return text.encode(self.encoding, errors="xmlcharrefreplace")

    # Addresses, relative to the site root.
    def day_path(self, day: dt.date) -> str:
        raise NotImplementedError

    def calendar_path(self) -> str:
        raise NotImplementedError

    def feed(self, items: list[dict[str, Any]]) -> str:
        rows = "".join(
            f"<item>\n<title>{e(i['title'])}</title>\n<link>{i['url']}</link>\n"
            f"<guid>{i['url']}</guid>\n<pubDate>{_rfc822(i['published_at'])}</pubDate>\n</item>\n"
            for i in items
        )
        return (
            f'<?xml version="1.0" encoding="{self.encoding}"?>\n<rss version="2.0">\n<channel>\n'
            "<title>ЦентрАзия</title>\n<link>https://centrasia.org/</link>\n"
            "<description>Новости Центральной Азии</description>\n<language>ru</language>\n"
            f"{rows}</channel>\n</rss>\n"
        )


def _rfc822(iso: str) -> str:
    return dt.datetime.fromisoformat(iso).strftime("%a, %d %b %Y %H:%M:%S %z")


def _href_variants(url: str, i: int) -> str:
    """Links to one article in the forms the site uses: relative, root-relative, absolute."""
    query = urlsplit(url).query
    forms = (
        f"newsA.php?{query}",
        f"/newsA.php?{query}",
        url,
        f"newsA.php?{query}",
        f"http://www.centrasia.ru/newsA.php?{query}",
        f"https://www.centrasia.org/newsA.php?{query}&amp;print=0",
    )
    return forms[i % len(forms)]


@dataclass
class TableMarkup(Markup):
    """The specimen's markup."""

    name: ClassVar[str] = "table"
    encoding: ClassVar[str] = "windows-1251"

    def day_path(self, day: dt.date) -> str:
        midnight = dt.datetime(day.year, day.month, day.day, tzinfo=_moscow())
        return f"day.php?st={int(midnight.timestamp())}"

    def calendar_path(self) -> str:
        return "arch.php"

    def _page(self, title: str, inner: str) -> str:
        meta = (
            f'<meta http-equiv="Content-Type" content="text/html; charset={self.encoding}">\n'
            if self.charset_in_page
            else ""
        )
        return (
            '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">\n<html>\n<head>\n'
            f"{meta}<title>{e(title)}</title>\n"
            '<link rel="alternate" type="application/rss+xml" title="ЦентрАзия" '
            'href="/rss/redtram.xml">\n<script type="text/javascript">var d=new Date();</script>\n'
            "</head>\n<body>\n"
            '<table width="100%" class="top"><tr><td class="menu">&nbsp;'
            f'<a href="/{self.calendar_path()}">Архив</a> | <a href="/cnt.php">Страны</a> | '
            '<a href="/">Новости</a> | <a href="/contact.php">Контакты</a></td></tr></table>\n'
            f"{inner}"
            '<br><table width="100%"><tr><td class="foot">&nbsp;&nbsp;<font size="1">&copy; '
            "CentrAsia</font></td></tr></table>\n</body>\n</html>\n"
        )

    def _days(self, days: list[dict[str, Any]]) -> str:
        out = []
        for day in days:
            out.append(
                '<tr><td class="day" bgcolor="#EEEEEE"><font class="dayh"><b>'
                f"{heading(dt.date.fromisoformat(day['date']))}</b></font></td></tr>\n"
                '<tr><td class="news">\n'
            )
            for i, h in enumerate(day["headlines"]):
                out.append(
                    f'<font class="time">{hhmm(h["listed_at"])}</font>&nbsp;&nbsp;<a href="'
                    f'{_href_variants(h["url"], i)}" class="nlink">{e(h["title"])}</a><br>\n'
                )
            out.append("</td></tr>\n")
        return "".join(out)

    def index(self, days: list[dict[str, Any]]) -> str:
        inner = (
            '<table width="100%" cellpadding="3">\n<tr><td class="rubr"><a href="/"><b>ЦентрАзия'
            '</b></a><br>&nbsp;&nbsp;<font class="sub">Новости и события</font></td></tr>\n'
            f"{self._days(days)}"
            f'<tr><td class="arch"><a href="/{self.calendar_path()}"><b>Архив</b></a></td></tr>\n'
            "</table>\n"
        )
        return self._page("ЦентрАзия - Новости и события", inner)

    def day(self, day: dict[str, Any], prev: dt.date | None, nxt: dt.date | None) -> str:
        date = dt.date.fromisoformat(day["date"])
        nav = []
        if prev:
            nav.append(f'<a href="/{self.day_path(prev)}">&laquo; {dmy(prev)}</a>')
        if nxt:
            nav.append(f'<a href="/{self.day_path(nxt)}">{dmy(nxt)} &raquo;</a>')
        inner = (
            '<table width="100%" cellpadding="3">\n<tr><td class="rubr"><a href="/"><b>ЦентрАзия'
            '</b></a><br>&nbsp;&nbsp;<font class="sub">Новости и события за '
            f"{dmy(date)}</font></td></tr>\n{self._days([day])}"
            f'<tr><td class="nav">{" &nbsp;|&nbsp; ".join(nav)}</td></tr>\n'
            f'<tr><td class="arch"><a href="/{self.calendar_path()}"><b>Архив</b></a></td></tr>\n'
            "</table>\n"
        )
        return self._page(f"ЦентрАзия - Новости за {dmy(date)}", inner)

    def calendar(self, days: list[dt.date]) -> str:
        months: dict[tuple[int, int], list[dt.date]] = {}
        for day in sorted(days, reverse=True):
            months.setdefault((day.year, day.month), []).append(day)
        rows = []
        for (year, month), in_month in months.items():
            links = " ".join(
                f'<a href="/{self.day_path(d)}" title="{dmy(d)}">{d.day:02d}</a>'
                for d in sorted(in_month)
            )
            rows.append(
                f'<tr><td class="month"><b>{MONTHS_NOMINATIVE[month - 1]} {year}</b></td></tr>\n'
                f'<tr><td class="days">{links}</td></tr>\n'
            )
        inner = (
            '<table width="100%" cellpadding="3">\n<tr><td class="rubr"><b>Архив новостей</b>'
            f"</td></tr>\n{''.join(rows)}</table>\n"
        )
        return self._page("ЦентрАзия - Архив новостей", inner)

    def article(
        self,
        a: dict[str, Any],
        sidebar: list[dict[str, Any]] = (),  # type: ignore[assignment]
        style: ArticleStyle | None = None,
    ) -> str:
        style = style or ArticleStyle()
        body = "".join(
            f"<b>{e(p)}</b><br><br>\n" if is_subheading(p) else f"{e(p)}<br><br>\n"
            for p in a["body"].split("\n\n")
        )
        tail = ""
        if a.get("original_date_line"):  # printed as given, a date no calendar has too
            tail += f"{e(a['original_date_line'])}<br><br>\n"
        elif a.get("original_date"):
            tail += f"{worded(dt.date.fromisoformat(a['original_date']))}<br><br>\n"
        if a.get("source"):
            name = e(a["source"])
            if a.get("source_url"):
                name = f'<a href="{e(a["source_url"])}" target="_blank">{name}</a>'
            tail += f"Источник {style.source_sep} {name}<br>\n"
        if a.get("stated_permalink"):
            link = e(a["stated_permalink"])
            tail += (
                f'Постоянный адрес статьи {style.permalink_sep} <a href="{link}">{link}</a><br>\n'
            )
        side = "".join(
            f'- <a href="newsA.php?st={s["st"]}">{e(s["title"])}</a><br>\n' for s in sidebar
        )
        if side:
            side = f'<font class="sideh"><b>Новости Казахстана</b></font><br>\n{side}'
        inner = (
            '<table width="100%" cellpadding="5">\n<tr><td valign="top" width="75%" class="main">\n'
            '&nbsp; &nbsp; <a href="/" class="rubr">ЦентрАзия</a> &nbsp; |&nbsp;<br>\n'
            f'<font class="zag"><b>{e(a["title"])}</b></font><br>\n'
            f'<font class="dt">{shown(a["published_at"])}</font><br><br>\n{body}{tail}'
            f'</td>\n<td valign="top" width="25%" class="side">\n{side}</td></tr></table>\n'
            '<a href="/frames.php">Перейти на версию с фреймами</a>\n'
        )
        return self._page(f"ЦентрАзия: {a['title']}", inner)


@dataclass
class DivMarkup(Markup):
    """Our own markup: HTML5, UTF-8, div/p/ul, another archive URL scheme."""

    name: ClassVar[str] = "div"
    encoding: ClassVar[str] = "utf-8"

    def day_path(self, day: dt.date) -> str:
        return f"archive/{day:%Y/%m/%d}.html"

    def calendar_path(self) -> str:
        return "archive/"

    def _page(self, title: str, main: str, aside: str = "") -> str:
        meta = f'<meta charset="{self.encoding}">\n' if self.charset_in_page else ""
        return (
            f'<!doctype html>\n<html lang="ru">\n<head>\n{meta}<title>{e(title)}</title>\n'
            '<meta name="viewport" content="width=device-width">\n'
            "<style>.n{color:red}</style>\n</head>\n<body>\n"
            '<header class="site-header"><nav><ul><li><a href="/">Главная</a></li>'
            f'<li><a href="/{self.calendar_path()}">Архив</a></li>'
            '<li><a href="/persons/">Персоны</a></li></ul></nav></header>\n'
            f'<div class="layout"><main class="content">\n{main}</main>\n'
            f'<aside class="rail">{aside}</aside></div>\n'
            '<footer><p>Перейти на версию с фреймами</p><p class="copy">© CentrAsia</p>'
            "</footer>\n</body>\n</html>\n"
        )

    def _days(self, days: list[dict[str, Any]]) -> str:
        out = []
        for day in days:
            out.append(
                f'<section class="news-day"><h2 class="day-title">'
                f"{heading(dt.date.fromisoformat(day['date']))}</h2>\n<ul>\n"
            )
            for i, h in enumerate(day["headlines"]):
                out.append(
                    f"<li><time>{hhmm(h['listed_at'])}</time>\u00a0\u00a0"
                    f'<a href="{_href_variants(h["url"], i + 1)}">{e(h["title"])}</a></li>\n'
                )
            out.append("</ul></section>\n")
        return "".join(out)

    def index(self, days: list[dict[str, Any]]) -> str:
        main = (
            '<h1 class="rubric">ЦентрАзия: Новости и события</h1>\n'
            f'{self._days(days)}<p class="more"><a href="/{self.calendar_path()}">Архив</a></p>\n'
        )
        return self._page("ЦентрАзия — Новости", main)

    def day(self, day: dict[str, Any], prev: dt.date | None, nxt: dt.date | None) -> str:
        date = dt.date.fromisoformat(day["date"])
        nav = ""
        if prev:
            nav += f'<a class="prev" href="/{self.day_path(prev)}">← {dmy(prev)}</a> '
        if nxt:
            nav += f'<a class="next" href="/{self.day_path(nxt)}">{dmy(nxt)} →</a>'
        main = (
            f'<h1 class="rubric">Новости за {dmy(date)}</h1>\n{self._days([day])}'
            f'<nav class="pager">{nav}</nav>\n'
        )
        return self._page(f"ЦентрАзия — {dmy(date)}", main)

    def calendar(self, days: list[dt.date]) -> str:
        items = "".join(
            f'<li><a href="/{self.day_path(d)}">{worded(d)[:-3]}</a></li>\n'
            for d in sorted(days, reverse=True)
        )
        return self._page("ЦентрАзия — Архив", f"<h1>Архив</h1>\n<ol>\n{items}</ol>\n")

    def article(
        self,
        a: dict[str, Any],
        sidebar: list[dict[str, Any]] = (),  # type: ignore[assignment]
        style: ArticleStyle | None = None,
    ) -> str:
        style = style or ArticleStyle()
        # Paragraphs hard-wrapped in the source, as many CMSs write them: a newline in
        # HTML text is only a space. Only at spaces: a break after the hyphen of
        # «Касым-Жомарт» would put a space into the text.
        paras = "".join(
            f"<h3>{e(p)}</h3>\n" if is_subheading(p) else f"<p>{_wrap(e(p))}</p>\n"
            for p in a["body"].split("\n\n")
        )
        tail = ""
        if a.get("original_date_line"):  # printed as given, a date no calendar has too
            tail += f'<p class="orig">{e(a["original_date_line"])}</p>\n'
        elif a.get("original_date"):
            tail += f'<p class="orig">{worded(dt.date.fromisoformat(a["original_date"]))}</p>\n'
        if a.get("source"):
            name = e(a["source"])
            if a.get("source_url"):
                name = f'<a rel="nofollow" href="{e(a["source_url"])}">{name}</a>'
            tail += f'<p class="src">Источник{style.source_sep} {name}</p>\n'
        if a.get("stated_permalink"):
            link = e(a["stated_permalink"])
            tail += f'<p class="perma">Постоянный адрес статьи {style.permalink_sep} {link}</p>\n'
        aside = "".join(
            f'<li><a href="https://centrasia.org/newsA.php?st={s["st"]}">{e(s["title"])}</a></li>'
            for s in sidebar
        )
        if aside:
            aside = f"<h4>Новости Казахстана</h4><ul>{aside}</ul>"
        main = (
            f'<article class="story"><h1 class="headline">{e(a["title"])}</h1>\n'
            f'<div class="meta"><span class="when">{shown(a["published_at"])}</span></div>\n'
            f'<div class="story-body">\n{paras}{tail}</div></article>\n'
        )
        return self._page(f"{a['title']} | ЦентрАзия", main, aside)


def _moscow() -> dt.tzinfo:
    from zoneinfo import ZoneInfo

    return ZoneInfo("Europe/Moscow")


MARKUPS: dict[str, type[Markup]] = {"table": TableMarkup, "div": DivMarkup}


@dataclass
class DriftMarkup(TableMarkup):
    """The site after a redesign our extraction does not know: day headings without the
    weekday and numeric date, and the article time written out in words."""

    name: ClassVar[str] = "drift"

    def _days(self, days: list[dict[str, Any]]) -> str:
        out = []
        for day in days:
            date = dt.date.fromisoformat(day["date"])
            out.append(f"<h3>{date.day} {MONTHS_GENITIVE[date.month - 1]}</h3><ul>\n")
            out.extend(
                f'<li><span>{hhmm(h["listed_at"])}</span> <a href="{h["url"]}">{e(h["title"])}</a>'
                "</li>\n"
                for h in day["headlines"]
            )
            out.append("</ul>\n")
        return "".join(out)

    def article(
        self,
        a: dict[str, Any],
        sidebar: list[dict[str, Any]] = (),  # type: ignore[assignment]
        style: ArticleStyle | None = None,
    ) -> str:
        when = dt.datetime.fromisoformat(a["published_at"])
        worded_time = f"Опубликовано {worded(when.date())[:-3]} в {when:%H.%M}"
        return super().article(a, sidebar, style).replace(shown(a["published_at"]), worded_time)


MARKUPS["drift"] = DriftMarkup
