"""The outlets the site reprints, each under one name, and the domain of an address.

The table is ``centrasia_crawler/outlets.toml`` (its format is in its header and
in docs/extraction.md): an outlet's canonical name, its domains and the other ways a
source line prints it. :func:`outlet_for` names the outlet of a printed name or an
address, so that ``«ИноСМИ»``, ``InoSMI`` and ``https://inosmi.ru/...`` are counted as
one outlet.

Registered domains come from tldextract (a Scrapy dependency) with the Public Suffix
List snapshot it ships: it never fetches the list and keeps no cache.

>>> outlet_for("«ИНОСМИ»"), outlet_for(None, "https://inosmi.ru/20260210/x.html")
('ИноСМИ', 'ИноСМИ')
>>> registered_domain("https://ru.sputnik.kg/20260210/x.html")
'sputnik.kg'
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Final
from urllib.parse import urlsplit

import tldextract

#: Quotes and guillemets an outlet's name may be printed in.
QUOTES: Final = "«»\"'“”„‟‘’‚‛〝〞＂`"
_NOT_KEY_RE: Final = re.compile(rf"[\s\-‐‑‒–—_{re.escape(QUOTES)}]+")
_NO_FETCH: Final = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


class OutletTableError(ValueError):
    """The outlet table is malformed (a field missing, a name or domain twice)."""


@dataclass(frozen=True, slots=True)
class Outlet:
    name: str
    domains: tuple[str, ...]
    names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OutletTable:
    outlets: tuple[Outlet, ...]
    by_key: dict[str, str]  #: name key -> canonical name
    by_domain: dict[str, str]  #: domain or host -> canonical name

    def by_name(self, name: str) -> str | None:
        return self.by_key.get(name_key(name))

    def by_address(self, url: str) -> str | None:
        host = host_of(url)
        if not host:
            return None
        return self.by_domain.get(host) or self.by_domain.get(registered_domain(url) or "")


def name_key(name: str) -> str:
    """A name as the table matches it: case, ё, quotes, hyphens and spaces ignored.

    >>> name_key("«Азия - Плюс»") == name_key("АЗИЯ-ПЛЮС") == name_key("азия плюс")
    True
    """
    return _NOT_KEY_RE.sub("", name.replace("ё", "е").replace("Ё", "Е")).casefold()


def host_of(url: str) -> str:
    """The host of an address, lower case, without ``www.``; "" when it has none."""
    if "://" not in url:
        url = "http://" + url
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")


def registered_domain(url: str) -> str | None:
    """The registered domain of an address (``inosmi.ru``, ``bbc.co.uk``), or None (an
    address without a public suffix, such as ``localhost`` or an IP address)."""
    host = host_of(url)
    return _registered_domain_of_host(host) if host else None


@lru_cache(maxsize=4096)
def _registered_domain_of_host(host: str) -> str | None:
    return _NO_FETCH(host).top_domain_under_public_suffix or None


def parse_table(text: str) -> OutletTable:
    """An outlet table from the TOML text of ``outlets.toml``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise OutletTableError(f"outlet table is no TOML: {exc}") from None
    outlets: list[Outlet] = []
    by_key: dict[str, str] = {}
    by_domain: dict[str, str] = {}
    for i, entry in enumerate(data.get("outlet", ())):
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            raise OutletTableError(f"outlet #{i + 1} has no name")
        domains = tuple(str(d).lower().removeprefix("www.") for d in entry.get("domains", ()))
        names = tuple(str(n) for n in entry.get("names", ()))
        outlet = Outlet(name, domains, names)
        outlets.append(outlet)
        for variant in (name, *names, *domains):
            key = name_key(variant)
            if by_key.get(key, name) != name:
                raise OutletTableError(f"{variant!r} names both {by_key[key]!r} and {name!r}")
            by_key[key] = name
        for domain in domains:
            if by_domain.get(domain, name) != name:
                raise OutletTableError(f"{domain!r} is both {by_domain[domain]!r} and {name!r}")
            by_domain[domain] = name
    return OutletTable(tuple(outlets), by_key, by_domain)


@cache
def outlet_table() -> OutletTable:
    """The package's outlet table (read once)."""
    text = resources.files("centrasia_crawler").joinpath("outlets.toml").read_text("utf-8")
    return parse_table(text)


def outlet_for(name: str | None, url: str | None = None) -> str | None:
    """The canonical name of the outlet printed as ``name`` or at ``url``: the table's
    name for the printed name, else for the address, else None."""
    table = outlet_table()
    found = table.by_name(name) if name else None
    if found is None and url:
        found = table.by_address(url)
    return found
