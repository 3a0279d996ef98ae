"""The gazetteer: the people, places, organisations and countries the archive knows by
name, read from ``gazetteer.toml`` in this package and, optionally, a researcher's own
file in the same format (``docs/entities.md`` documents it).

>>> g = load()
>>> g["astana"].type, g["astana"].country
('place', 'KZ')
>>> sorted(n.text for n in g["astana"].names)[:3]
['Акмола', 'Акмолинск', 'Астана']
>>> g.find("Нур-Султан").id
'astana'
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import heapq
import re
import tomllib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Final

from centrasia_crawler.normalize.text import fold_yo

#: The types of entity, as the ``entities`` table spells them.
TYPES: Final = ("country", "place", "person", "organization")
#: The kinds a name may be (``epithet``: «Аркадаг»; ``abbreviation``: matched in capitals).
NAME_KINDS: Final = ("name", "epithet", "abbreviation")
_YEARS_RE: Final = re.compile(r"^\s*(\d{4})?\s*(-|–)?\s*(\d{4})?\s*$")


class GazetteerError(ValueError):
    """A gazetteer file that cannot be read; the message is one line naming the entry."""


@dataclass(frozen=True)
class Period:
    """Years (inclusive) a name or a post was in use; None: open-ended."""

    since: int | None = None
    until: int | None = None

    def covers(self, year: int) -> bool:
        return (self.since is None or self.since <= year) and (
            self.until is None or year <= self.until
        )

    def __str__(self) -> str:
        if self.since == self.until and self.since is not None:
            return str(self.since)
        return f"{self.since or ''}-{self.until or ''}"


@dataclass(frozen=True)
class Name:
    """One name of an entity, as written (nominative), with the years it was in use."""

    text: str
    kind: str = "name"
    periods: tuple[Period, ...] = ()

    def in_use(self, year: int | None) -> bool:
        """Whether the name was in use in ``year`` (always, when no years are given)."""
        return year is None or not self.periods or any(p.covers(year) for p in self.periods)

    @property
    def years(self) -> str:
        return ", ".join(str(p) for p in self.periods)


@dataclass(frozen=True)
class Post:
    """A post a person held: ``президент Кыргызстана`` 2021-."""

    title: str
    periods: tuple[Period, ...] = ()


@dataclass(frozen=True)
class Entity:
    id: str
    name: str
    type: str
    country: str | None = None
    geonames: int | None = None
    kind: str | None = None  # places: region, city, capital, river...; organizations too
    description: str | None = None
    names: tuple[Name, ...] = ()
    #: Where the years of its names come from (a short note: the sources to check).
    source: str | None = None
    posts: tuple[Post, ...] = field(default=())


def read_years(text: str | None) -> tuple[Period, ...]:
    """Years as :attr:`Name.years` writes them, read back: ``"1998-2019, 2022-"`` -> two
    periods (the archive keeps them so)."""
    return _periods(text, "years")


def _periods(value: object, where: str) -> tuple[Period, ...]:
    """``"1998-2019, 2022-"`` -> two periods."""
    if value is None:
        return ()
    if isinstance(value, int):
        return (Period(value, value),)
    if not isinstance(value, str):
        raise GazetteerError(f"{where}: years must be text like '1998-2019, 2022-'")
    out = []
    for part in value.split(","):
        found = _YEARS_RE.match(part)
        if found is None or not (found[1] or found[3]):
            raise GazetteerError(f"{where}: cannot read years {part.strip()!r}")
        since = int(found[1]) if found[1] else None
        until = int(found[3]) if found[3] else (None if found[2] else since)
        if since is not None and until is not None and until < since:
            raise GazetteerError(f"{where}: years {part.strip()!r} end before they begin")
        out.append(Period(since, until))
    return tuple(out)


def _name(value: object, where: str) -> Name:
    if isinstance(value, str):
        return Name(value.strip())
    if not isinstance(value, dict) or not isinstance(value.get("name"), str):
        raise GazetteerError(f"{where}: a name is text or {{ name = ..., years = ... }}")
    kind = value.get("kind", "name")
    if kind not in NAME_KINDS:
        raise GazetteerError(f"{where}: name kind {kind!r} is not one of {', '.join(NAME_KINDS)}")
    return Name(value["name"].strip(), kind, _periods(value.get("years"), where))


def _entity(raw: dict[str, object], source: str) -> Entity:
    ident = raw.get("id")
    where = f"{source}: entity {ident!r}"
    if not isinstance(ident, str) or not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", ident):
        raise GazetteerError(f"{where}: id must be lower-case letters, digits, - or _")
    kind = raw.get("type")
    if kind not in TYPES:
        raise GazetteerError(f"{where}: type must be one of {', '.join(TYPES)}")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise GazetteerError(f"{where}: it needs a name")
    country = raw.get("country")
    if country is not None and not (isinstance(country, str) and re.fullmatch("[A-Z]{2}", country)):
        raise GazetteerError(f"{where}: country must be an ISO 3166-1 alpha-2 code like 'KZ'")
    raw_names = raw.get("names", [])
    if not isinstance(raw_names, list):
        raise GazetteerError(f"{where}: names must be a list")
    names = [_name(n, where) for n in raw_names]
    if not any(n.text == name for n in names):
        names.insert(0, Name(name.strip()))
    posts = []
    for post in raw.get("posts", []) or []:  # type: ignore[attr-defined]
        if not isinstance(post, dict) or not isinstance(post.get("title"), str):
            raise GazetteerError(f"{where}: a post is {{ title = ..., years = ... }}")
        posts.append(Post(post["title"], _periods(post.get("years"), where)))
    geonames = raw.get("geonames")
    if geonames is not None and not isinstance(geonames, int):
        raise GazetteerError(f"{where}: geonames must be a number")
    note = raw.get("source")
    if note is not None and not isinstance(note, str):
        raise GazetteerError(f"{where}: source must be text")
    return Entity(
        id=ident,
        name=name.strip(),
        type=str(kind),
        country=country,
        geonames=geonames,
        kind=raw.get("kind") if isinstance(raw.get("kind"), str) else None,  # type: ignore[arg-type]
        description=raw.get("description") if isinstance(raw.get("description"), str) else None,  # type: ignore[arg-type]
        names=tuple(names),
        posts=tuple(posts),
        source=note,
    )


def name_key(text: str) -> str:
    """How names are compared when looked up: case, ё and hyphens/spaces do not matter."""
    return " ".join(re.split(r"[\s\-‐‑–—]+", fold_yo(text.lower()).strip()))


class Gazetteer:
    """Entities by id, and by each of their names."""

    def __init__(self, entities: Sequence[Entity], texts: Sequence[str] = ()) -> None:
        self.entities: dict[str, Entity] = {}
        for entity in entities:
            self.entities[entity.id] = entity  # a later file's entry replaces an earlier one
        digest = hashlib.sha256()
        for text in texts:
            digest.update(text.encode())
        #: Changes whenever a file changes: the archive re-tags its articles then.
        self.version: str = digest.hexdigest()[:16]
        self._by_name: dict[str, list[Entity]] = {}
        self._spelling: dict[str, str] = {}
        for entity in self.entities.values():
            for name in entity.names:
                self._spelling.setdefault(name_key(name.text), name.text)
                found = self._by_name.setdefault(name_key(name.text), [])
                if not found or found[-1] is not entity:
                    found.append(entity)

    @functools.cached_property
    def spellings(self) -> dict[str, tuple[str, str]]:
        """Each name as :func:`name_key` folds it, with the entity id and the name as
        written (of the last entity that has it): what :func:`closest_names` offers."""
        return {name_key(name.text): (e.id, name.text) for e in self for name in e.names}

    def __getitem__(self, ident: str) -> Entity:
        return self.entities[ident]

    def __iter__(self) -> Iterator[Entity]:
        return iter(self.entities.values())

    def __len__(self) -> int:
        return len(self.entities)

    def named(self, text: str) -> list[Entity]:
        """Every entity one of whose names is ``text`` (or whose id it is)."""
        found = list(self._by_name.get(name_key(text), ()))
        if not found and text in self.entities:
            found.append(self.entities[text])
        return found

    def find(self, text: str) -> Entity:
        """The one entity named ``text``; a one-line :class:`LookupError` otherwise."""
        found = self.named(text)
        if len(found) == 1:
            return found[0]
        if found:
            choices = ", ".join(f'@"{e.name}"' for e in found)
            raise LookupError(f"@{text} names {len(found)} entities: say which, {choices}")
        keys = list(self._by_name)
        close = difflib.get_close_matches(name_key(text), keys, n=5, cutoff=0.75)
        close = close or difflib.get_close_matches(name_key(text), keys, n=3, cutoff=0.6)
        hint = f"; closest: {', '.join(self._spelling[k] for k in close)}" if close else ""
        raise LookupError(f"no entity is named {text!r}{hint}")


def builtin_text() -> str:
    return resources.files("centrasia_crawler.entities").joinpath("gazetteer.toml").read_text()


def load(extra: Sequence[Path] = ()) -> Gazetteer:
    """The package's gazetteer, then each of ``extra`` (whose entries add to it or, by
    the same id, replace its own)."""
    texts = [("gazetteer.toml", builtin_text())]
    for path in extra:
        try:
            texts.append((str(path), Path(path).read_text(encoding="utf-8")))
        except OSError as exc:
            raise GazetteerError(f"cannot read gazetteer {path}: {exc.strerror}") from exc
    return parse(texts)


#: The keys an entry may have (``docs/entities.md``).
KEYS: Final = frozenset(
    {"id", "name", "type", "country", "geonames", "kind", "description", "source", "names", "posts"}
)


def parse(texts: Sequence[tuple[str, str]], *, strict_after: int = 1) -> Gazetteer:
    """Gazetteer files as ``(source, text)`` pairs, in order. The files from
    ``strict_after`` on (a researcher's own) are checked harder: no unknown key, no id
    twice, a country code the gazetteer has, at least one entry, and no name shared
    against the rule (:func:`conflicts`)."""
    entities: list[Entity] = []
    for n, (source, text) in enumerate(texts):
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise GazetteerError(f"{source}: not TOML: {exc}") from exc
        raw = data.get("entity", [])
        if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
            raise GazetteerError(f"{source}: entries are [[entity]] tables")
        if n >= strict_after:
            _check_file(source, raw)
        entities.extend(_entity(item, source) for item in raw)
    found = Gazetteer(entities, [text for _, text in texts])
    if len(texts) > strict_after:
        _check_against(found, texts[strict_after:])
    return found


def _check_file(source: str, raw: list[dict[str, object]]) -> None:
    if not raw:
        raise GazetteerError(f"{source}: no [[entity]] in it")
    seen: set[object] = set()
    for item in raw:
        where = f"{source}: entity {item.get('id')!r}"
        unknown = sorted(set(item) - KEYS)
        if unknown:
            known = ", ".join(sorted(KEYS))
            raise GazetteerError(f"{where}: unknown key {', '.join(unknown)} (keys: {known})")
        if item.get("id") in seen:
            raise GazetteerError(f"{where}: the id is given twice")
        seen.add(item.get("id"))


def _check_against(found: Gazetteer, texts: Sequence[tuple[str, str]]) -> None:
    """A researcher's entries against the whole gazetteer: countries it has, and names
    shared only as the rule allows."""
    theirs = {ident for _, text in texts for ident in _ids(text)}
    countries = {e.country for e in found if e.type == "country"} | {"EU"}
    for ident in sorted(theirs):
        entity = found.entities[ident]
        if entity.country and entity.country not in countries:
            raise GazetteerError(
                f"entity {ident!r}: country {entity.country!r} is the code of no country in"
                " the gazetteer (add the country as an entity of type country)"
            )
    for a, b, problem in _conflicts(found):
        if a in theirs or b in theirs:
            raise GazetteerError(f"{problem}: give the years one of them was in use, or drop it")


def _ids(text: str) -> list[str]:
    return [str(item.get("id")) for item in tomllib.loads(text).get("entity", [])]


def conflicts(gazetteer: Gazetteer) -> list[str]:
    """Names shared by two entities against the rule: a shared name is allowed when at
    least one of the two carries the years it was in use, or when both are organisations
    of different countries (the tagger decides by the article's country)."""
    return [problem for _, _, problem in _conflicts(gazetteer)]


def _conflicts(gazetteer: Gazetteer) -> list[tuple[str, str, str]]:
    by_key: dict[str, list[tuple[Entity, Name]]] = {}
    for entity in gazetteer:
        for name in entity.names:
            by_key.setdefault(name_key(name.text), []).append((entity, name))
    problems = []
    for key, pairs in sorted(by_key.items()):
        for i, (a, a_name) in enumerate(pairs):
            for b, b_name in pairs[i + 1 :]:
                if a.id == b.id:
                    problems.append((a.id, b.id, f"{a.id} lists the name {key!r} twice"))
                elif not (a_name.periods or b_name.periods) and not _other_countries(a, b):
                    problem = f"{a.id} and {b.id} share the name {key!r} without years"
                    problems.append((a.id, b.id, problem))
    return problems


def _other_countries(a: Entity, b: Entity) -> bool:
    """Organisations of two countries (the article's country decides between them)."""
    return bool(
        a.type == b.type == "organization" and a.country and b.country and a.country != b.country
    )


def closest_names(gazetteer: Gazetteer, text: str, n: int = 3) -> list[tuple[str, str]]:
    """The ``n`` names of ``gazetteer`` closest to ``text`` (``difflib``, names compared
    as :func:`name_key` folds them), best first, each as ``(entity id, name)``: what a
    query's error and a page offer for a name no entity has."""
    spelling = gazetteer.spellings
    return [spelling[key] for key in closest(name_key(text), spelling, n)]


def closest(word: str, possibilities: Iterable[str], n: int) -> list[str]:
    """What ``difflib.get_close_matches(word, possibilities, n, cutoff=0.0)`` answers,
    in the same order, without computing the full ratio of a possibility whose upper
    bounds (``real_quick_ratio``, ``quick_ratio``) are already below the n-th best."""
    if n <= 0:
        raise ValueError(f"n must be > 0: {n!r}")
    matcher = difflib.SequenceMatcher()
    matcher.set_seq2(word)
    best: list[tuple[float, str]] = []  # the n best so far, the worst first
    for candidate in possibilities:
        matcher.set_seq1(candidate)
        floor = best[0][0] if len(best) == n else 0.0
        if matcher.real_quick_ratio() < floor or matcher.quick_ratio() < floor:
            continue
        scored = (matcher.ratio(), candidate)
        if len(best) < n:
            heapq.heappush(best, scored)
        elif scored > best[0]:
            heapq.heapreplace(best, scored)
    return [candidate for _, candidate in sorted(best, reverse=True)]
