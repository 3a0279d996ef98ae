"""Grammatical Russian news for the replica and the benchmark corpus, with its ground truth.

An article is planned first (``Newsroom.plan``): its topic (``topics.TOPICS``), the
country it is about and a partner country, drawn with weights that events make rise and
fall over days (``Newsroom.events``: a referendum in Kyrgyzstan, a gas crisis in
Uzbekistan, then one every few weeks further back). Its headline and body are then
written from the topic's templates (syntax in ``topics``) over the gazetteer
(``gazetteer``), each name in the case its slot asks for: pymorphy3 inflects the words
it knows (cached), the gazetteer hard-codes the forms it does not.

Every name, and every number, is written through a slot, and each slot records what it
wrote (``Emission``): so the truth of what an article mentions is known, not re-derived.

Everything is derived from the random generator passed in: the same seed, the same text.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import itertools
import math
import random
import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from tests.replica.gazetteer import CAPITAL, CASES, ENTITIES, LEADER, PARLIAMENT, PREMIER, Entity
from tests.replica.topics import (
    EVENTS,
    FIGURES,
    GENERIC,
    GENERIC_SUBHEADS,
    OPENERS,
    TOPICS,
    Topic,
)

TOPIC_BY_KEY = {t.key: t for t in TOPICS}


@functools.cache
def _morph() -> Any:
    import pymorphy3

    return pymorphy3.MorphAnalyzer(lang="ru")


def _like(form: str, model: str) -> str:
    """``form`` (pymorphy3 writes lower case) capitalised as ``model`` is, per hyphen part."""
    if model.isupper() and len(model) > 1:
        return form.upper()
    parts, models = form.split("-"), model.split("-")
    if len(parts) != len(models):
        return form.capitalize() if model[:1].isupper() else form
    return "-".join(
        p.capitalize() if m[:1].isupper() else p for p, m in zip(parts, models, strict=True)
    )


@functools.cache
def inflect_word(word: str, case: str, gender: str = "") -> str:
    """``word`` (a nominative singular) in ``case`` by pymorphy3; the word itself when
    pymorphy3 cannot inflect it."""
    parses = [p for p in _morph().parse(word) if p.tag.case == "nomn" and p.tag.number != "plur"]
    if gender:
        parses = [p for p in parses if p.tag.gender == gender] or parses
    for parse in parses:
        inflected = parse.inflect({case, "sing"})
        if inflected is not None:
            return _like(inflected.word, word)
    return word


def _gender(entity: Entity) -> str:
    return {"m": "masc", "f": "femn", "n": "neut"}.get(entity.gender, "")


@functools.cache
def name_form(key: str, case: str, short: bool = False) -> str:
    """The entity ``key``'s name (or, for people, surname) in ``case``."""
    entity = ENTITIES[key]
    hard = entity.forms.get(f"short:{case}" if short else case)
    if hard is not None:
        return hard
    name = entity.short if short and entity.short else entity.name
    if entity.fixed:
        return name
    if short and entity.forms.get(case):
        return entity.forms[case].split()[-1]  # the surname of a hard-coded full form
    return " ".join(inflect_word(w, case, _gender(entity)) for w in name.split())


@functools.cache
def name_forms(key: str) -> frozenset[str]:
    """Every form the generator may write for ``key`` (full and short, every case)."""
    return frozenset(name_form(key, c, s) for c in CASES for s in (False, True))


class Emission(NamedTuple):
    """One name (or number) as the generator wrote it."""

    key: str  # the gazetteer key, or "#" for a number
    text: str  # as spelled in the article
    case: str  # the case its slot asked for ("" for a number)
    title: bool  # in the headline (else in the body)
    short: bool = False  # a person's surname alone


# Templates -----------------------------------------------------------------------------

_TOKEN_RE = re.compile(r"\{([^}]*)\}|\[([^\]]*)\]|\(([^()]*\|[^()]*)\)")
_GENDERS = ("m", "f", "n", "pl")


@dataclass(frozen=True)
class Slot:
    role: str  # a role (C, L, ...) or "@key"
    case: str
    mode: str  # "", "full", "short", "role"


@dataclass(frozen=True)
class Agree:
    role: str
    options: tuple[str, ...]  # by gender: m, f, n, pl


@dataclass(frozen=True)
class Choice:
    options: tuple[str, ...]


@dataclass(frozen=True)
class Number:
    kind: str  # pct, num, bn, year, cold
    fact: str = ""  # topics.FIGURES' key: one value an article, wherever it is written


Part = str | Slot | Agree | Choice | Number


@dataclass(frozen=True)
class Template:
    parts: tuple[Part, ...]
    roles: frozenset[str]  # the roles (not @keys) it needs
    only: str | None  # the country it is limited to
    plain: str | None  # the text, when it has no slot at all
    lower: bool  # starts with a common word, which an opener puts in lower case
    #: "before" or "after" its event's day (``<< `` or ``>> `` in front), or None: any day.
    phase: str | None = None

    @classmethod
    @functools.cache
    def of(cls, text: str) -> Template:
        only = None
        phase = {"<< ": "before", ">> ": "after"}.get(text[:3])
        if phase:
            text = text[3:]
        if text.startswith("?"):
            only, text = text[1:].split(" ", 1)
        parts: list[Part] = []
        end = 0
        for m in _TOKEN_RE.finditer(text):
            if m.start() > end:
                parts.append(text[end : m.start()])
            slot, agree, choice = m.groups()
            if slot is not None:
                if slot.startswith("#"):
                    kind, _, fact = slot[1:].partition(":")
                    if fact and (fact not in FIGURES or FIGURES[fact][0] != kind):
                        raise ValueError(f"template {text!r}: no {kind} figure {fact!r}")
                    parts.append(Number(kind, fact))
                else:
                    role, case, mode = [*slot.split(":"), "nomn", ""][:3]
                    if case not in CASES:
                        raise ValueError(f"template {text!r}: no case {case!r}")
                    parts.append(Slot(role, case, mode))
            elif agree is not None:
                role, options = agree.split(":", 1)
                parts.append(Agree(role, tuple(options.split("|"))))
            else:
                parts.append(Choice(tuple(choice.split("|"))))
            end = m.end()
        if end < len(text):
            parts.append(text[end:])
        roles = frozenset(
            p.role for p in parts if isinstance(p, (Slot, Agree)) and not p.role.startswith("@")
        )
        for p in parts:
            if (
                isinstance(p, (Slot, Agree))
                and p.role.startswith("@")
                and p.role[1:] not in ENTITIES
            ):
                raise ValueError(f"template {text!r}: no entity {p.role}")
        plain = parts[0] if len(parts) == 1 and isinstance(parts[0], str) else None
        head = parts[0].split(" ", 1)[0] if parts and isinstance(parts[0], str) else ""
        lower = head[:1].isupper() and not head[1:2].isupper()
        return cls(tuple(parts), roles, only, plain, lower, phase)


# Plans and events ----------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    """Attention to ``topic`` in ``country`` that peaks on ``peak`` (a Gaussian of
    ``width`` days); ``kind`` is an ``EVENTS`` key (with headlines of its own) or a
    topic's key."""

    kind: str
    country: str
    peak: dt.date
    width: float
    strength: float


@dataclass(frozen=True)
class Plan:
    topic: str
    event: str | None
    country: str
    partner: str
    roles: dict[str, str]  # role -> entity key
    #: The article's own: its figures (``topics.FIGURES``) are drawn from it, so the
    #: headline and the body give a fact the same value.
    seed: int = 0
    year: int = 2026  # the article's year: the years it names are to come
    #: Whether the article is written before its event's day or on or after it (the
    #: referendum is called, then held); None without an event.
    phase: str | None = None


def _merged(kind: str) -> Topic:
    """An event's templates with its topic's, or a topic's own."""
    if kind not in EVENTS:
        return TOPIC_BY_KEY[kind]
    event, base = EVENTS[kind], TOPIC_BY_KEY[EVENTS[kind].key]
    return Topic(
        base.key,
        event.countries,
        event.partners,
        event.headlines + base.headlines[:2],
        event.sentences + base.sentences,
        base.subheads,
    )


@dataclass
class Newsroom:
    """Writes articles between ``first`` and ``last`` (the days events are laid over)."""

    seed: int = 1
    first: dt.date = dt.date(2026, 1, 1)
    last: dt.date = dt.date(2026, 2, 19)
    events: list[Event] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.events:
            self.events = self.schedule()
        self.events.sort(key=lambda e: e.peak)
        self._peaks = [e.peak for e in self.events]
        self._days: dict[dt.date, tuple[list[tuple[str, str]], list[float]]] = {}

    def schedule(self) -> list[Event]:
        """A referendum in Kyrgyzstan 24 days before the last day, a gas crisis in
        Uzbekistan 10 days before it, then an event every 12 to 30 days further back."""
        day = dt.timedelta(days=1)
        events = [
            Event("referendum", "kg", self.last - 24 * day, 2.5, 10.0),
            Event("gas_crisis", "uz", self.last - 10 * day, 3.0, 12.0),
        ]
        rng = random.Random(f"{self.seed}:events")
        kinds = [*EVENTS, *TOPIC_BY_KEY]
        peak = self.last - 45 * day
        while peak >= self.first - 10 * day:
            kind = rng.choice(kinds)
            country = rng.choice(_merged(kind).countries)
            events.append(Event(kind, country, peak, rng.uniform(1.5, 4), rng.uniform(4, 9)))
            peak -= rng.randint(12, 30) * day
        return events

    def weights(self, day: dt.date) -> tuple[list[tuple[str, str]], list[float]]:
        """(kind, country) pairs and their cumulative weights on ``day``: each topic
        weighs 1 (split among its countries), events add to theirs."""
        if day in self._days:
            return self._days[day]
        pairs, weights = list(_BASE_PAIRS), list(_BASE_WEIGHTS)
        reach = dt.timedelta(days=20)
        lo = bisect.bisect_left(self._peaks, day - reach)
        hi = bisect.bisect_right(self._peaks, day + reach)
        for event in self.events[lo:hi]:
            distance = (day - event.peak).days / event.width
            if abs(distance) < 4:
                pairs.append((event.kind, event.country))
                weights.append(event.strength * math.exp(-0.5 * distance * distance))
        table = (pairs, list(itertools.accumulate(weights)))
        self._days[day] = table
        return table

    def plan(self, rng: random.Random, day: dt.date) -> Plan:
        pairs, cumulative = self.weights(day)
        kind, country = rng.choices(pairs, cum_weights=cumulative)[0]
        topic = _merged(kind)
        partner = rng.choice([p for p in topic.partners if p != country])
        roles = {"C": country, "C2": partner}
        for role, table, of in (
            ("L", LEADER, country),
            ("L2", LEADER, partner),
            ("CAP", CAPITAL, country),
            ("CAP2", CAPITAL, partner),
            ("PARL", PARLIAMENT, country),
            ("PM", PREMIER, country),
        ):
            if of in table:
                roles[role] = table[of]
        event = kind if kind in EVENTS else None
        phase = None
        if event is not None:
            peak = min(
                (e.peak for e in self.events if e.kind == kind and e.country == country),
                key=lambda p: abs((p - day).days),
            )
            phase = "before" if day < peak else "after"
        seed = rng.getrandbits(32)
        return Plan(topic.key, event, country, partner, roles, seed, day.year, phase)

    # Writing ---------------------------------------------------------------------------

    def headline(self, plan: Plan, rng: random.Random) -> tuple[str, list[Emission]]:
        """The headline, without an outlet or attribution."""
        writer = Writer(plan, rng, title=True)
        templates = _usable(plan, "headlines")
        return writer.sentence(rng.choice(templates)), writer.emitted

    def identification(self, plan: Plan, rng: random.Random) -> tuple[str, list[Emission]]:
        """A headline that names who holds a post: «Президент Кыргызстана - Садыр
        Жапаров» (a dash without a comma: no attribution)."""
        writer = Writer(plan, rng, title=True)
        person = plan.roles.get("PM" if "PM" in plan.roles and rng.random() < 0.5 else "L")
        if person is None:
            person = "lavrov"
        head = writer.role(ENTITIES[person], "nomn")
        return f"{head[:1].upper()}{head[1:]} - {writer.name(person, 'nomn', False)}", (
            writer.emitted
        )

    def body(
        self,
        plan: Plan,
        rng: random.Random,
        paragraphs: tuple[int, int] = (8, 14),
        sentences: tuple[int, int] = (2, 4),
        used: set[Template] | None = None,
    ) -> tuple[str, list[Emission]]:
        """Paragraphs of sentences of the plan's topic and generic ones, some of them
        sub-headings; no sentence template twice before all were used (nor a generic
        one in ``used``, the earlier parts' of a longer text, while others are left)."""
        writer = Writer(plan, rng, title=False)
        deck = _Deck(_usable(plan, "sentences"), _usable(plan, "generic"), rng, used)
        subheads = list(_usable(plan, "subheads"))
        out = []
        count = rng.randint(*paragraphs)
        headed = False  # the last paragraph was a sub-heading
        for n in range(count):
            if 0 < n < count - 1 and not headed and subheads and rng.random() < 0.12:
                # Each sub-heading once an article.
                subhead = subheads.pop(int(rng.random() * len(subheads)))
                out.append(writer.sentence(subhead, end=""))
                headed = True
                continue
            headed = False
            out.append(
                " ".join(self._sentence(writer, deck) for _ in range(rng.randint(*sentences)))
            )
        return "\n\n".join(out), writer.emitted

    @staticmethod
    def _sentence(writer: Writer, deck: _Deck) -> str:
        """A sentence of the deck, one in four with an opener («Кроме того, ...»)."""
        template, topical = deck.draw()
        rng = writer.rng
        if topical and template.lower and rng.random() < 0.25:
            text = writer.render(template)
            return OPENERS[int(rng.random() * len(OPENERS))] + text[:1].lower() + text[1:]
        return writer.sentence(template)

    def sentence(self, plan: Plan, rng: random.Random, text: str) -> tuple[str, list[Emission]]:
        """One template of the caller's, written for ``plan``."""
        writer = Writer(plan, rng, title=False)
        return writer.sentence(Template.of(text)), writer.emitted


#: Every topic weighs 1, split among its countries.
_BASE_PAIRS = tuple((t.key, c) for t in TOPICS for c in t.countries)
_BASE_WEIGHTS = tuple(1 / len(t.countries) for t in TOPICS for _ in t.countries)


class _Deck:
    """Topic sentences (two of three) and generic ones, each template once per round;
    a generic one not used by an earlier deck of the same ``used`` set while others
    are left."""

    def __init__(
        self,
        topical: list[Template],
        generic: list[Template],
        rng: random.Random,
        used: set[Template] | None = None,
    ) -> None:
        self.decks = [topical, generic]
        self.left: list[list[Template]] = [[], []]
        self.rng = rng
        self.used = used if used is not None else set()

    def draw(self) -> tuple[Template, bool]:
        """A template, and whether it is the topic's."""
        which = 0 if self.rng.random() < 0.67 else 1
        if not self.left[which]:
            deck = self.decks[which]
            if which:
                deck = [t for t in deck if t not in self.used] or deck
            self.left[which] = self.rng.sample(deck, len(deck))
        template = self.left[which].pop()
        if which:
            self.used.add(template)
        return template, which == 0


@functools.cache
def _usable_for(
    kind: str, part: str, roles: frozenset[str], country: str, phase: str | None
) -> list[Template]:
    topic = _merged(kind)
    texts = {
        "headlines": topic.headlines,
        "sentences": topic.sentences,
        "generic": GENERIC,
        "subheads": topic.subheads + GENERIC_SUBHEADS,
    }[part]
    templates = [Template.of(t) for t in texts]
    return [
        t
        for t in templates
        if t.roles <= roles and t.only in (None, country) and t.phase in (None, phase or t.phase)
    ]


def _usable(plan: Plan, part: str) -> list[Template]:
    return _usable_for(
        plan.event or plan.topic, part, frozenset(plan.roles), plan.country, plan.phase
    )


class Writer:
    """Writes templates for one article's headline or body, recording each name."""

    def __init__(self, plan: Plan, rng: random.Random, title: bool) -> None:
        self.plan, self.rng, self.title = plan, rng, title
        self.emitted: list[Emission] = []
        self.mentioned: set[str] = set()

    def key(self, role: str) -> str:
        return role[1:] if role[0] == "@" else self.plan.roles[role]

    def sentence(self, template: Template, end: str = "") -> str:
        text = self.render(template)
        return text[:1].upper() + text[1:] + end

    def render(self, template: Template) -> str:
        if template.plain is not None:
            return template.plain
        out = []
        random = self.rng.random
        for part in template.parts:
            kind = type(part)
            if kind is str:
                out.append(part)  # type: ignore[arg-type]
            elif kind is Slot:
                out.append(self.slot(self.key(part.role), part.case, part.mode))  # type: ignore[union-attr]
            elif kind is Choice:
                options = part.options  # type: ignore[union-attr]
                out.append(options[int(random() * len(options))])
            elif kind is Agree:
                gender = ENTITIES[self.key(part.role)].gender  # type: ignore[union-attr]
                options = part.options  # type: ignore[union-attr]
                out.append(options[min(_GENDERS.index(gender), len(options) - 1)])
            else:
                out.append(self.number(part.kind, part.fact))  # type: ignore[union-attr]
        return "".join(out)

    def slot(self, key: str, case: str, mode: str) -> str:
        entity = ENTITIES[key]
        if entity.kind != "person":
            text = name_form(key, case, False)
            self.emitted.append(Emission(key, text, case, self.title, False))
            return text
        first = key not in self.mentioned
        self.mentioned.add(key)
        if self.title:
            mode = mode or "short"
        elif not first and mode in ("", "role"):
            mode = "short" if self.rng.random() < 0.75 else "full"
        elif first and mode in ("", "short"):
            mode = "role" if entity.role and self.rng.random() < 0.5 else "full"
        if mode == "role" and entity.role:
            return f"{self.role(entity, case)} {self.name(key, case, False)}"
        return self.name(key, case, mode == "short")

    def name(self, key: str, case: str, short: bool) -> str:
        text = name_form(key, case, short)
        self.emitted.append(Emission(key, text, case, self.title, short))
        return text

    def role(self, entity: Entity, case: str) -> str:
        assert entity.role
        head, _, tail = entity.role.partition(" ")
        return f"{inflect_word(head, case)} {self.render(Template.of(tail))}".strip()

    def number(self, kind: str, fact: str = "") -> str:
        if fact:
            text = figure(self.plan.seed, self.plan.year, fact)
            self.emitted.append(Emission("#", text, "", self.title))
            return text
        r = self.rng.random
        if kind == "pct":
            if r() < 0.5:
                text = f"{2 + int(r() * 89)},{1 + int(r() * 9)}%"
            else:
                text = f"{2 + int(r() * 94)}%"
        elif kind == "bn":
            text = f"{1 + int(r() * 9)},{1 + int(r() * 9)}"
        elif kind == "cold":
            text = str(_COLD[int(r() * len(_COLD))])
        elif kind == "year":
            text = str(2024 + int(r() * 7))
        else:
            # A count whose noun is in the genitive plural (5-20, 25, 30, ... 90): «12 лет».
            text = str(_COUNTS[int(r() * len(_COUNTS))])
        self.emitted.append(Emission("#", text, "", self.title))
        return text


_COUNTS = tuple(n for n in range(5, 100) if n % 10 in (0, 5, 6, 7, 8, 9) or 11 <= n <= 14)
_COLD = tuple(n for n in _COUNTS if 15 <= n <= 35)


@functools.cache
def figure(seed: int, year: int, fact: str) -> str:
    """The value of ``fact`` (``topics.FIGURES``) in the article of ``seed``, written as
    its kind is: a percentage (``12%``, ``12,5%``), a count whose noun takes the genitive
    plural (``48``), billions (``1,7``), a year (from ``year`` on), degrees of frost."""
    kind, low, high = FIGURES[fact]
    rng = random.Random(f"{seed}:{fact}")
    if kind == "pct":
        whole = rng.randint(int(low), int(high) - 1)
        return f"{whole},{rng.randint(1, 9)}%" if rng.random() < 0.5 else f"{whole}%"
    if kind == "bn":
        tenths = rng.randint(int(low * 10), int(high * 10))
        return f"{tenths // 10},{tenths % 10}" if tenths % 10 else str(tenths // 10)
    if kind == "year":
        return str(year + rng.randint(int(low), int(high)))
    counts = [n for n in _COUNTS if low <= n <= high]
    return str(rng.choice(counts))
