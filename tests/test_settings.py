"""The effective settings: polite and hardened by default."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy.utils.project import get_project_settings

from centrasia_crawler.options import ARCHIVE_ENV, OptionError, default_archive, parse_days

PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> object:
    monkeypatch.chdir(Path(__file__).resolve().parent.parent)
    monkeypatch.delenv("SCRAPY_PROJECT", raising=False)
    # What scrapy.cfg names; set through monkeypatch so the test leaks no environment.
    monkeypatch.setenv("SCRAPY_SETTINGS_MODULE", "centrasia_crawler.settings")
    return get_project_settings()


def test_polite_and_hardened_defaults(settings: object) -> None:
    s = settings
    assert s.getbool("ROBOTSTXT_OBEY")  # type: ignore[attr-defined]
    assert not s.getbool("TELNETCONSOLE_ENABLED")  # type: ignore[attr-defined]
    assert not s.getbool("REMOTE_CONTROL_ENABLED")  # type: ignore[attr-defined]
    assert s.getbool("AUTOTHROTTLE_ENABLED")  # type: ignore[attr-defined]
    assert s.getfloat("DOWNLOAD_DELAY") >= 1  # type: ignore[attr-defined]
    assert s.getint("CONCURRENT_REQUESTS_PER_DOMAIN") <= 2  # type: ignore[attr-defined]
    assert s.getint("CONCURRENT_REQUESTS") <= 2  # type: ignore[attr-defined]
    assert 0 < s.getint("DOWNLOAD_MAXSIZE") <= 10 * 1024 * 1024  # type: ignore[attr-defined]
    assert 0 < s.getint("DOWNLOAD_TIMEOUT") <= 60  # type: ignore[attr-defined]
    assert 0 < s.getint("RETRY_TIMES") <= 5  # type: ignore[attr-defined]
    assert s.get("USER_AGENT").startswith("centrasia-crawler/")  # type: ignore[attr-defined]
    assert s.get("CENTRASIA_ROOT_URL") == "https://centrasia.org/"  # type: ignore[attr-defined]
    assert s.get("CENTRASIA_ARCHIVE_PATH") == default_archive()  # type: ignore[attr-defined]


@pytest.mark.parametrize("value", ["0", "-1", "abc", "1.5", "99999999"])
def test_nonsense_refresh_is_refused(value: str) -> None:
    with pytest.raises(OptionError, match="not a number of days"):
        parse_days("refresh", value)


def test_only_the_root_host_is_allowed_and_redirects_are_guarded(settings: object) -> None:
    from scrapy.utils.test import get_crawler

    from centrasia_crawler.spiders.centrasia import CentrasiaSpider

    crawler = get_crawler(CentrasiaSpider, {"CENTRASIA_ROOT_URL": "http://127.0.0.1:8765/"})
    spider = CentrasiaSpider.from_crawler(crawler)
    assert spider.allowed_domains == ["127.0.0.1"]
    middlewares = settings.getdict("DOWNLOADER_MIDDLEWARES")  # type: ignore[attr-defined]
    assert middlewares["centrasia_crawler.middlewares.RedirectGuardMiddleware"] > 600
    assert 0 < settings.getint("REDIRECT_MAX_TIMES") <= 10  # type: ignore[attr-defined]


def test_the_default_archive_is_in_the_project_root_wherever_we_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ARCHIVE_ENV, raising=False)
    for folder in (PROJECT, PROJECT / "tests", PROJECT / "tests" / "replica"):
        monkeypatch.chdir(folder)
        assert default_archive() == str(PROJECT / "data" / "archive.sqlite")
    # Another project (scrapy.cfg) above the working folder is that project's.
    (tmp_path / "scrapy.cfg").write_text("[settings]\ndefault = centrasia_crawler.settings\n")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    assert default_archive() == str(tmp_path / "data" / "archive.sqlite")
    monkeypatch.setenv(ARCHIVE_ENV, "elsewhere.sqlite")
    assert default_archive() == "elsewhere.sqlite"
