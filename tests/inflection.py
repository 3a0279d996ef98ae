"""The inflection test set: words, and their forms as pymorphy3's dictionary inflects
them (surnames, which it does not know, by their paradigm), for the search tests and
bench/search.py.

Every form of a word is a form the text may use; an article that uses one is relevant
to a search for any form of that word, and to no other.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

#: Words by kind; the dictionary inflects all but the surnames.
WORDS: dict[str, str] = {
    "noun, 1st declension": (
        "страна вода земля неделя граница компания экономика политика столица встреча "
        "проблема система программа ситуация энергия история организация армия партия "
        "газета цена дорога работа школа больница культура наука тонна пенсия биржа "
        "валюта зарплата инфляция реформа санкция угроза атака"
    ),
    "noun, 2nd declension": (
        "президент министр город договор закон рынок банк проект доклад народ кризис "
        "союз завод район бюджет налог вопрос мир год день рубль доллар сектор режим центр "
        "регион процесс государство правительство соглашение решение развитие "
        "сотрудничество строительство управление население производство золото место "
        "дело море поле здание собрание парламент депутат минерал металл урожай "
        "трубопровод экспорт импорт кредит аэропорт вокзал музей театр университет "
        "институт фонд суд прокурор губернатор посол генерал солдат чиновник эксперт "
        "аналитик журналист водитель учитель врач"
    ),
    "noun, 3rd declension": (
        "нефть власть область помощь связь часть новость ночь сталь соль жизнь речь мощность "
        "безопасность деятельность промышленность собственность площадь молодёжь"
    ),
    "noun, heteroclitic": "время имя знамя путь",
    "noun, indeclinable": "кофе метро кино такси радио интервью шоссе депо меню жюри евро",
    "adjective": (
        "центральный новый российский казахстанский узбекский киргизский таджикский "
        "туркменский экономический политический государственный национальный "
        "международный военный большой важный крупный главный последний региональный "
        "энергетический газовый нефтяной водный внешний местный ядерный сельский "
        "мировой зелёный чёрный тёплый редкоземельный китайский американский южный "
        "северный западный восточный свободный открытый частный общественный"
    ),
    "verb": (
        "сказать заявить сообщить отметить рассказать встретиться подписать обсудить "
        "развивать строить расти стать идти принять решить увеличить снизить получить "
        "начать продолжить предложить поддержать создать открыть закрыть провести "
        "объявить пообещать выступить приехать посетить вести работать говорить думать "
        "писать читать жить"
    ),
    "place, Central Asia": (
        "Казахстан Кыргызстан Узбекистан Таджикистан Туркменистан Бишкек Ташкент Ашхабад "
        "Астана Самарканд Бухара Ош Нукус Хива Фергана Наманган Андижан Караганда Шымкент "
        "Актау Павлодар Тараз Худжанд Куляб Памир Балхаш Каспий Арал Азия Китай Москва"
    ),
    "place, indeclinable": "Душанбе Алматы Актобе Атырау Кокшетау Тбилиси Баку Токио",
    "surname": (
        "Жапаров Токаев Ташиев Мирзиёев Бердымухамедов Назарбаев Садыров Атамбаев "
        "Жээнбеков Масимов Путин Лавров Иванов Петров Сидоров Кузнецов Смирнов Попов "
        "Волков Соколов Морозов Новиков Медведев Алиев Каримов Абдуллаев Исаев Мусин "
        "Ильин Зимин Галкин Титов Орлов Беляев Гусев Киселёв Яковлев Сапаров Ниязов"
    ),
}

#: A surname's endings: masculine, feminine, plural.
SURNAME_ENDINGS = ("", "а", "у", "ым", "е", "ой", "ы", "ых", "ыми")


@dataclass(frozen=True)
class Word:
    word: str
    kind: str
    forms: tuple[str, ...]  # as text writes them (capitalised where the word is)


@cache
def words(per_word: int = 6) -> tuple[Word, ...]:
    """Every test word with up to ``per_word`` of its forms, spread over its paradigm
    (the word itself first), deterministic."""
    import pymorphy3

    morph = pymorphy3.MorphAnalyzer(lang="ru")
    found = []
    for kind, text in WORDS.items():
        for word in text.split():
            if kind == "surname":
                every = [word + ending for ending in SURNAME_ENDINGS]
            else:
                parse = next(
                    (p for p in morph.parse(word) if p.normal_form == word.lower()),
                    morph.parse(word)[0],
                )
                lexeme = sorted({f.word for f in parse.lexeme})
                if word[0].isupper():
                    lexeme = [f.capitalize() for f in lexeme]
                every = [word] + [f for f in lexeme if f.lower() != word.lower()]
            step = max(1, len(every) // per_word)
            forms = tuple(dict.fromkeys(every[::step]))[:per_word]
            found.append(Word(word, kind, forms))
    return tuple(found)


#: Words no test word has a form of: the rest of each test article.
FILLER = "сегодня здесь также очень снова вчера утром вечером потом однако".split()


def fold(form: str) -> str:
    return form.lower().replace("ё", "е")


def article_texts(per_word: int = 6) -> list[tuple[int, str, str]]:
    """``(st, title, body)``: one article per form of each word, the form among filler."""
    rows = []
    for i, form in enumerate(f for w in words(per_word) for f in w.forms):
        filler = FILLER[i % len(FILLER)], FILLER[(i + 3) % len(FILLER)]
        rows.append((1_000_000 + i, f"Заметка {filler[0]}", f"{filler[0]} {form} {filler[1]}."))
    return rows


@dataclass
class Score:
    relevant: int = 0
    found: int = 0
    right: int = 0

    @property
    def recall(self) -> float:
        return self.right / self.relevant if self.relevant else 1.0

    @property
    def precision(self) -> float:
        return self.right / self.found if self.found else 1.0


def evaluate(search: object, per_word: int = 6, mode: str = "morph") -> Score:
    """Recall and precision of ``search(query, mode) -> set of st`` over the set: each
    word searched by its first and its last form (``prefix``: its first four letters).
    A form that is also a stop word (``после`` of ``посол``) cannot be searched alone:
    the form before it is searched instead."""
    rows = article_texts(per_word)
    form_of = {st: fold(body.split()[1].rstrip(".")) for st, _, body in rows}
    score = Score()
    for w in words(per_word):
        folded = {fold(f) for f in w.forms}
        relevant = {st for st, form in form_of.items() if form in folded}
        queries = [w.forms[0], *reversed(w.forms[1:])] if mode != "prefix" else [w.word[:4] + "*"]
        searched = 0
        for query in queries:
            if searched == 2:
                break
            try:
                found = search(query, mode)  # type: ignore[operator]
            except ValueError:
                continue
            searched += 1
            score.relevant += len(relevant)
            score.found += len(found)
            score.right += len(found & relevant)
    return score
