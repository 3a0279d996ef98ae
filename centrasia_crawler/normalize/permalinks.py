"""Article permalinks: any link to an article -> ``https://centrasia.org/newsA.php?st=N``.

A link names an article when its path ends in ``newsA.php`` and its query has a
numeric ``st``, whether it is relative, root-relative, or absolute on one of the
site's hosts (``centrasia.org``, ``www.centrasia.org``, ``www.centrasia.ru``), over
http or https, with extra parameters, ``&amp;`` or a fragment.

>>> permalink(article_st("http://www.centrasia.ru/newsA.php?id=4&amp;st=1771509720#top"))
'https://centrasia.org/newsA.php?st=1771509720'
>>> article_st("https://example.com/newsA.php?st=1771509720") is None
True
"""

from __future__ import annotations

import html
import re
from typing import Final
from urllib.parse import urljoin, urlsplit

from centrasia_crawler.site import ARTICLE_KEY, ARTICLE_PATH, CANONICAL_ROOT, SITE_HOSTS

#: The largest st we accept: 9999-12-31, far past any real article.
MAX_ST: Final = 253_402_300_799


def _host(netloc: str) -> str:
    return netloc.rpartition("@")[2].split(":", 1)[0].lower().rstrip(".")


def is_site_url(url: str, also: str | None = None) -> bool:
    """True when ``url`` is relative, or absolute on a site host (or on the host of ``also``)."""
    parts = urlsplit(url.strip())
    if not parts.netloc:
        return parts.scheme in ("", "http", "https")
    if parts.scheme not in ("http", "https", ""):
        return False
    host = _host(parts.netloc)
    return host in SITE_HOSTS or (also is not None and host == _host(urlsplit(also).netloc))


_LINK_RE: Final = re.compile(
    r"""^(?:(?P<scheme>[a-z][a-z0-9+.-]*):)?   # http:, https:, or none
        (?://(?P<netloc>[^/?#]*))?              # //host, or none
        (?P<path>[^?#]*)                        # the path
        \?(?P<query>[^#]*)                      # the query; a fragment may follow
    """,
    re.IGNORECASE | re.VERBOSE,
)
#: The forms nearly every link to an article takes, read with one match.
_COMMON_LINK_RE: Final = re.compile(
    r"(?:https?://(?:www\.)?centrasia\.(?:org|ru))?/?newsA\.php\?st=([0-9]{1,12})\Z"
)
_ST_RE: Final = re.compile(rf"(?:^|&)\s*{ARTICLE_KEY}=([^&]*)", re.IGNORECASE)
_PATH_SUFFIX: Final = "/" + ARTICLE_PATH.lower()


def article_st(href: str, base: str | None = None) -> int | None:
    """The ``st`` of an article link, or None when ``href`` is no link to an article.

    ``base`` is the address of the page the link is on; a link to that page's own host
    counts as the site's (the crawler may be reading a replica or a mirror).

    >>> article_st("/newsA.php?st=1771493400&print=1")
    1771493400
    >>> article_st("person2.php?st=1771493400") is None
    True
    """
    common = _COMMON_LINK_RE.match(href)
    if common is not None:
        number = int(common[1])
        return number if 0 < number <= MAX_ST else None
    if ARTICLE_PATH not in href and ARTICLE_PATH.lower() not in href.lower():
        return None
    m = _LINK_RE.match(href.strip())
    if m is None:
        return None
    scheme, netloc = m["scheme"], m["netloc"]
    if scheme is not None and scheme.lower() not in ("http", "https"):
        return None
    if netloc is not None:
        host = _host(netloc)
        if host not in SITE_HOSTS and (base is None or host != _host(urlsplit(base).netloc)):
            return None
    path = m["path"].lower()
    if not (path.endswith(_PATH_SUFFIX) or path == _PATH_SUFFIX[1:]):
        return None
    query = m["query"]
    if "&amp;" in query:
        query = html.unescape(query)
    found = _ST_RE.search(query)
    if found is None:
        return None
    value = found[1].strip()
    if value.isascii() and value.isdigit() and 0 < int(value) <= MAX_ST:
        return int(value)
    return None


def permalink(st: int) -> str:
    """The canonical permalink of the article ``st``.

    >>> permalink(1771493400)
    'https://centrasia.org/newsA.php?st=1771493400'
    """
    return f"{CANONICAL_ROOT}{ARTICLE_PATH}?{ARTICLE_KEY}={st}"


def fetch_url(st: int, root: str) -> str:
    """The address to fetch article ``st`` from, under the configured site ``root``.

    >>> fetch_url(1771493400, "http://127.0.0.1:8080")
    'http://127.0.0.1:8080/newsA.php?st=1771493400'
    """
    return urljoin(root.rstrip("/") + "/", f"{ARTICLE_PATH}?{ARTICLE_KEY}={st}")


def rebase(url: str, root: str) -> str | None:
    """``url`` moved onto the configured ``root``; None when it is on another site.

    Links found on pages may name the old host or the canonical one; requests must
    only ever go to ``root``.

    >>> rebase("http://www.centrasia.ru/day.php?st=1770757200", "http://127.0.0.1:9/")
    'http://127.0.0.1:9/day.php?st=1770757200'
    >>> rebase("https://evil.example/day.php", "https://centrasia.org/") is None
    True
    """
    if not is_site_url(url, root):
        return None
    parts = urlsplit(urljoin(root, html.unescape(url.strip())))
    root_parts = urlsplit(root)
    return parts._replace(scheme=root_parts.scheme, netloc=root_parts.netloc, fragment="").geturl()
