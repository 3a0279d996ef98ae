"""Headline attribution: a trailing ', - Name'."""

from __future__ import annotations

import pytest

from centrasia_crawler.normalize.headline import attribution
from tests.helpers import expected


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("Мир вступил в эпоху потрясений, - Сергей Лавров", "Сергей Лавров"),
        ("Пиратский пакет санкций попахивает войной, - Валентин Катасонов", "Валентин Катасонов"),
        ("Подробности инцидентов с ядерным оружием США, - П.В.Густерин", "П.В.Густерин"),
        (
            "Авианосный блеф: гонка США и Китая - это спектакль, - Руслан Панкратов",
            "Руслан Панкратов",
        ),
        ("Что-то случилось, – Имангали Кайратов", "Имангали Кайратов"),
        ("Что-то случилось,— Жан-Поль Сартр", "Жан-Поль Сартр"),
        ("В Кыргызстане новый Торага Жогорку Кенеша - Марлен Маматалиев", None),
        ("Сводка – итоговая сводка Readovka", None),
        ("Кадровые назначения в Кыргызстане 16-18 февраля", None),
        ("Итоги, - 2026", None),
    ],
)
def test_attribution(title: str, name: str | None) -> None:
    assert attribution(title) == name


def test_attributions_on_the_specimen_index() -> None:
    names = {
        h["attribution"]
        for day in expected("index")["days"]
        for h in day["headlines"]
        if h["attribution"]
    }
    assert all(
        attribution(h["title"]) == h["attribution"]
        for day in expected("index")["days"]
        for h in day["headlines"]
    )
    assert "Сергей Лавров" in names and "П.В.Густерин" in names
