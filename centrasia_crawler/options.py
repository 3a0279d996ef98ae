"""What a run can be asked for, checked once: the archive, the site root, a date range
and a refresh window. The CLI and the spider both use these functions, so a nonsense
value gets the same one-line answer whichever way it came in.

>>> check_root("http://127.0.0.1:8765")
'http://127.0.0.1:8765/'
>>> parse_day("since", "2026-02-12")
datetime.date(2026, 2, 12)
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from centrasia_crawler.site import CANONICAL_ROOT

#: The archive every command uses unless told otherwise, relative to the project root
#: (the folder of scrapy.cfg; see :func:`project_root`).
DEFAULT_ARCHIVE: Final = "data/archive.sqlite"
#: The environment variable that names another default archive, for every command.
ARCHIVE_ENV: Final = "CENTRASIA_ARCHIVE"
#: The site crawled unless told otherwise.
DEFAULT_ROOT: Final = CANONICAL_ROOT
#: The longest refresh window: a century of days.
MAX_REFRESH_DAYS: Final = 36600


class OptionError(ValueError):
    """An option makes no sense; the message is one line for the user."""


def project_root(start: str | Path | None = None) -> Path | None:
    """The project's root: the nearest folder at or above ``start`` (the working folder)
    holding ``scrapy.cfg``, as Scrapy itself finds its project; else the checkout this
    package was imported from, when it has one; else None (an installed egg, as
    Scrapyd runs it, away from any project).
    """
    here = Path(start if start is not None else Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "scrapy.cfg").is_file():
            return folder
    checkout = Path(__file__).resolve().parent.parent
    return checkout if (checkout / "scrapy.cfg").is_file() else None


def default_archive() -> str:
    """The archive path: ``$CENTRASIA_ARCHIVE`` when set, else ``data/archive.sqlite`` in
    the project root (:func:`project_root`), whatever folder a command runs from; away
    from any project, in the working folder."""
    if os.environ.get(ARCHIVE_ENV):
        return os.environ[ARCHIVE_ENV]
    root = project_root()
    return str(root / DEFAULT_ARCHIVE) if root is not None else DEFAULT_ARCHIVE


def check_root(root: str) -> str:
    """The site root, ending in ``/``; an :class:`OptionError` unless it is http(s).

    >>> check_root("http://127.0.0.1:8000")
    'http://127.0.0.1:8000/'
    >>> check_root("ftp://x.org/")
    Traceback (most recent call last):
    ...
    centrasia_crawler.options.OptionError: the site root 'ftp://x.org/' is not an http(s) address
    """
    parts = urlsplit(root.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OptionError(f"the site root {root!r} is not an http(s) address")
    return root.strip().rstrip("/") + "/"


def parse_day(name: str, value: dt.date | str | None) -> dt.date | None:
    """A day given as a date or as ``YYYY-MM-DD``; None when not given. The one parser
    of a day asked for, by the CLI, the spider and the :class:`Archive` methods."""
    if value is None or isinstance(value, dt.date):
        return value
    if not str(value).strip():
        return None
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise OptionError(f"{name}={value!r} is not a date (YYYY-MM-DD)") from None


def parse_days(name: str, value: str | int | None) -> int | None:
    """A whole number of days from 1 to :data:`MAX_REFRESH_DAYS`; None when not given."""
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    if not text.isdigit() or not 0 < int(text) <= MAX_REFRESH_DAYS:
        raise OptionError(f"{name}={value!r} is not a number of days (1 to {MAX_REFRESH_DAYS})")
    return int(text)


def site_today() -> dt.date:
    """Today on the site's calendar (Moscow)."""
    from centrasia_crawler.normalize.site_clock import MOSCOW

    return dt.datetime.now(MOSCOW).date()


def check_range(
    since: dt.date | None,
    until: dt.date | None,
    *,
    cli: bool = False,
    today: dt.date | None = None,
) -> None:
    """A backfill range: ``until`` needs ``since``, and may not come before it; ``since``
    may not lie in the future (after ``today``, by default today in Moscow).

    The message names the options as they were given: ``--since`` on the command line
    (``cli``), ``since=`` as spider arguments.

    >>> check_range(None, dt.date(2026, 2, 1))
    Traceback (most recent call last):
    ...
    centrasia_crawler.options.OptionError: until= needs since= (a backfill range)
    >>> check_range(dt.date(2062, 1, 1), None, cli=True)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    centrasia_crawler.options.OptionError: --since 2062-01-01 is in the future (today is ...)
    """
    since_name, until_name = ("--since ", "--until ") if cli else ("since=", "until=")
    if until is not None and since is None:
        raise OptionError(f"{until_name.strip()} needs {since_name.strip()} (a backfill range)")
    if since is not None and until is not None and since > until:
        raise OptionError(f"{since_name}{since} is after {until_name}{until}")
    today = today or site_today()
    if since is not None and since > today:
        raise OptionError(
            f"{since_name}{since} is in the future (today is {today} on the site's calendar)"
        )


def parse_setting(text: str) -> tuple[str, str]:
    """``NAME=VALUE``, a Scrapy setting given with ``-s``.

    >>> parse_setting("DOWNLOAD_DELAY=0")
    ('DOWNLOAD_DELAY', '0')
    """
    name, sep, value = text.partition("=")
    if not sep or not name.strip() or not name.strip().replace("_", "").isalnum():
        raise OptionError(f"-s {text!r}: expected NAME=VALUE")
    return name.strip(), value
