"""Source date lines: speed of the reader, and dateparser's own cases (a script, not a test).

Prints:

- microseconds per line for ``read_source_date`` on the forms the grammar reads (the
  common ones: ``10 февраля 2026 г.``, ``10.02.2026 14:35``, ``2026-02-10``, ...), on
  lines that are no date line, and on the forms only dateparser reads;
- how many of dateparser's own test cases (tests/fixtures/dateparser/cases.tsv, 25
  Russian, 98 numeric, ISO or English) are read right, wrong, or not at all: by
  ``read_source_date``, and by dateparser alone with the same settings;
- the time to import dateparser and read the first line with it.

With ``--before FILE``, a module holding an earlier ``read_source_date`` (the reader
before dateparser: ``git show 33105d7:centrasia_crawler/normalize/dates.py > FILE``),
each round times it and today's reader one after the other on the same lines, and the
median ratio is printed. Target: on the grammar's forms, at most 2x the time per line
of the reader before dateparser.

Run: .venv/bin/python bench/source_dates.py [--before FILE] [--rounds N] [--repeat N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from centrasia_crawler.normalize.source_dates import (  # noqa: E402
    DATEPARSER_LANGUAGES,
    DATEPARSER_SETTINGS,
    read_source_date,
)

CASES = ROOT / "tests" / "fixtures" / "dateparser" / "cases.tsv"
D = dt.date
GENITIVE = (
    "января февраля марта апреля мая июня июля августа сентября октября ноября декабря"
).split()
ENGLISH = "January February March April May June July August September October November December"
MONTHS_EN = ENGLISH.split()

#: The grammar's forms, as outlets print them.
STRICT: list[Callable[[D], str]] = [
    lambda d: f"{d.day} {GENITIVE[d.month - 1]} {d.year} г.",
    lambda d: f"{d.day} {GENITIVE[d.month - 1]} {d.year} года",
    lambda d: d.strftime("%d.%m.%Y"),
    lambda d: f"{d:%d.%m.%Y} 14:35",
    lambda d: f"{d:%d.%m.%y}",
    lambda d: d.isoformat(),
    lambda d: f"{d.isoformat()}T09:05:00+03:00",
    lambda d: f"{MONTHS_EN[d.month - 1]} {d.day}, {d.year}",
    lambda d: f"{d.day} {MONTHS_EN[d.month - 1][:3]} {d.year}",
    lambda d: f"Вторник, {d.day} {GENITIVE[d.month - 1]} {d.year} г. в 9:05 МСК",
    lambda d: f"{d:%d.%m.%Y} | 14:35 (GMT+3)",
    lambda d: f"09:05, {d:%d.%m.%Y}",
]
#: Lines after an article's body that are no date line.
NOT_DATES = [
    "Итоги года",
    "Источник - ИноСМИ",
    "10 февраля 2026 г. в Бишкеке прошел форум",
    "Москва, 10 февраля 2026 г.",
    "В 2026 году",
    "Постоянный адрес статьи - https://centrasia.org/newsA.php?st=1771493400",
]
#: Forms only dateparser reads.
FALLBACK: list[Callable[[D], str]] = [
    lambda d: f"{d.day} {GENITIVE[d.month - 1]} в {d.year} году",
    lambda d: f"{d:%d.%m.%Y} 13.12",
    lambda d: f"2:21 p.m., {MONTHS_EN[d.month - 1]} {d.day}, {d.year}",
    lambda d: f"{d:%a} {MONTHS_EN[d.month - 1][:3]} {d:%d} 12:00:00 {d.year}",
]
DAYS = [D(1999, 12, 31), D(2004, 2, 29), D(2011, 3, 27), D(2026, 2, 10), D(2026, 11, 5)]


Reader = Callable[[str], object]


def _mean_us(read: Reader, lines: list[str], repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        for line in lines:
            read(line)
    return (time.perf_counter() - start) / (repeat * len(lines)) * 1e6


def per_line_us(lines: list[str], repeat: int, rounds: int, before: Reader | None) -> str:
    """The median over ``rounds`` of the mean time per line, in microseconds; with
    ``before``, its time too and the median of the rounds' ratios."""
    now, then, ratios = [], [], []
    for _ in range(rounds):
        now.append(_mean_us(read_source_date, lines, repeat))
        if before is not None:
            then.append(_mean_us(before, lines, repeat))
            ratios.append(now[-1] / then[-1])
    figure = f"{statistics.median(now):.1f} us/line"
    if before is not None:
        figure += (
            f"; before: {statistics.median(then):.1f} us/line;"
            f" ratio {statistics.median(ratios):.2f} (rounds {min(ratios):.2f}-{max(ratios):.2f})"
        )
    return figure


def load_before(path: Path) -> Reader:
    spec = importlib.util.spec_from_file_location("source_dates_before", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    read: Reader = module.read_source_date
    return read


def cases() -> list[tuple[str, str, D]]:
    rows = []
    for line in CASES.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            group, text, date, _where = line.split("\t")
            rows.append((group, text, D.fromisoformat(date)))
    return rows


def score(read: Callable[[str], D | None], rows: Iterable[tuple[str, str, D]]) -> dict[str, str]:
    """Per group: read right / wrong / not read, out of all."""
    tally: dict[str, list[int]] = {}
    for group, text, date in rows:
        counts = tally.setdefault(group, [0, 0, 0])
        got = read(text)
        counts[0 if got == date else 2 if got is None else 1] += 1
    return {
        group: f"{right} right, {wrong} wrong, {none} not read, of {right + wrong + none}"
        for group, (right, wrong, none) in tally.items()
    }


def ours(text: str) -> D | None:
    got = read_source_date(text)
    return got[0] if got else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", type=Path, help="a module with an earlier read_source_date")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    before = load_before(args.before) if args.before else None

    strict = [render(day) for day in DAYS for render in STRICT]
    assert all(ours(line) in DAYS for line in strict), "the grammar's forms are read"
    print(
        f"read_source_date, grammar's forms ({len(strict)} lines): "
        f"{per_line_us(strict, args.repeat, args.rounds, before)}"
    )
    print(
        f"read_source_date, no date line ({len(NOT_DATES)} lines): "
        f"{per_line_us(NOT_DATES, args.repeat, args.rounds, before)}"
    )
    start = time.perf_counter()
    first = ours("Wed Aug 05 12:00:00 2015")
    print(
        f"first line for dateparser (its import included): {time.perf_counter() - start:.2f} s"
        f" ({'read' if first else 'not read'})"
    )
    fallback = [render(day) for day in DAYS for render in FALLBACK]
    assert all(ours(line) in DAYS for line in fallback), "the fallback's forms are read"
    print(
        f"read_source_date, forms only dateparser reads ({len(fallback)} lines): "
        f"{per_line_us(fallback, max(args.repeat // 20, 1), 3, None)}"
    )

    import dateparser
    from dateparser.date import DateDataParser

    rows = cases()
    readers: dict[str, Callable[[str], D | None]] = {"read_source_date": ours}
    if before is not None:
        readers["read_source_date before"] = lambda text: (before(text) or (None,))[0]  # type: ignore[index]
    for languages in (
        DATEPARSER_LANGUAGES,
        *((*DATEPARSER_LANGUAGES, x) for x in ("uk", "kk", "ky")),
    ):
        alone = DateDataParser(languages=list(languages), settings=DATEPARSER_SETTINGS)

        def dateparser_alone(text: str, parser: DateDataParser = alone) -> D | None:
            found = parser.get_date_data(text).date_obj
            return found.date() if found else None

        readers[f"dateparser {dateparser.__version__} alone, {'+'.join(languages)}"] = (
            dateparser_alone
        )
    for name, read in readers.items():
        for group, line in score(read, rows).items():
            print(f"dateparser's cases, {group}, {name}: {line}")


if __name__ == "__main__":
    main()
