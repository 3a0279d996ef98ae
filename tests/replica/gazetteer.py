"""The region's real places, people and organisations, for the replica's generated news.

Each entity has a stable ``key``, the nominative it is spelled in, a grammatical
``gender`` (``m``, ``f``, ``n`` or ``pl``: for the verbs that agree with it) and, for
people, a ``short`` form (the surname, as later mentions write it). Its forms in the six
cases are made by pymorphy3 word by word (``news.inflect``); ``forms`` hard-codes them
where pymorphy3 gets them wrong or does not know the word (Kyrgyz, Kazakh, Tajik and
Chinese names, multi-word and hyphenated names, ё), and ``fixed`` marks names that do
not decline (США, Душанбе, ШОС). Every form below was read and checked by hand.

No entity's form is a form of another entity or of a word the templates use: a search
for a name finds exactly the articles the generator put it in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: The cases a template slot can ask for (pymorphy3's grammemes).
CASES = ("nomn", "gent", "datv", "accs", "ablt", "loct")


@dataclass(frozen=True)
class Entity:
    key: str
    name: str  # nominative, as spelled
    kind: str  # person, country, city, place, org, term
    gender: str = "m"  # m, f, n, pl: what a verb agrees with
    country: str | None = None  # the country key a person, city or body belongs to
    short: str | None = None  # people: the surname alone, for later mentions
    #: People: what they are, a head noun inflected with the name and a template
    #: (``"президент {@kg:gent}"``: «президентом Кыргызстана Садыром Жапаровым»).
    role: str | None = None
    fixed: bool = False  # indeclinable: one form for every case
    #: Hard-coded forms by case (and "short:<case>" for the short form), where pymorphy3
    #: errs; the other cases come from pymorphy3.
    forms: dict[str, str] = field(default_factory=dict)


def _six(*forms: str) -> dict[str, str]:
    """The six cases, in CASES order."""
    return dict(zip(CASES, forms, strict=True))


def _short(*forms: str) -> dict[str, str]:
    return {f"short:{c}": f for c, f in zip(CASES, forms, strict=True)}


COUNTRIES = (
    Entity("kg", "Кыргызстан", "country"),
    Entity("kz", "Казахстан", "country"),
    Entity("uz", "Узбекистан", "country"),
    Entity("tj", "Таджикистан", "country"),
    Entity("tm", "Туркменистан", "country"),
    Entity("af", "Афганистан", "country"),
    Entity("ru", "Россия", "country", "f"),
    Entity("cn", "Китай", "country"),
    Entity("us", "США", "country", "pl", fixed=True),
    Entity(
        "ca",
        "Центральная Азия",
        "place",
        "f",
        forms=_six(
            "Центральная Азия",
            "Центральной Азии",
            "Центральной Азии",
            "Центральную Азию",
            "Центральной Азией",
            "Центральной Азии",
        ),
    ),
)

CITIES = (
    Entity("bishkek", "Бишкек", "city", country="kg"),
    Entity("astana", "Астана", "city", "f", country="kz"),
    Entity("tashkent", "Ташкент", "city", country="uz"),
    Entity("dushanbe", "Душанбе", "city", "n", country="tj", fixed=True),
    Entity("ashgabat", "Ашхабад", "city", country="tm"),
    Entity("kabul", "Кабул", "city", country="af"),
    Entity("moscow", "Москва", "city", "f", country="ru"),
    Entity("beijing", "Пекин", "city", country="cn"),
    Entity("washington", "Вашингтон", "city", country="us"),
    Entity("almaty", "Алматы", "city", "pl", country="kz", fixed=True),
    Entity("samarkand", "Самарканд", "city", country="uz"),
    Entity("termez", "Термез", "city", country="uz"),
    Entity(
        "jalalabad",
        "Джалал-Абад",
        "city",
        country="kg",
        forms=_six(
            "Джалал-Абад",
            "Джалал-Абада",
            "Джалал-Абаду",
            "Джалал-Абад",
            "Джалал-Абадом",
            "Джалал-Абаде",
        ),
    ),
    Entity(
        "nursultan",
        "Нур-Султан",
        "city",
        country="kz",
        forms=_six(
            "Нур-Султан",
            "Нур-Султана",
            "Нур-Султану",
            "Нур-Султан",
            "Нур-Султаном",
            "Нур-Султане",
        ),
    ),
)

PLACES = (
    Entity(
        "aral", "Арал", "place", forms=_six("Арал", "Арала", "Аралу", "Арал", "Аралом", "Арале")
    ),
    Entity("amudarya", "Амударья", "place", "f"),
    Entity("syrdarya", "Сырдарья", "place", "f"),
    Entity(
        "issykkul",
        "Иссык-Куль",
        "place",
        country="kg",
        forms=_six(
            "Иссык-Куль", "Иссык-Куля", "Иссык-Кулю", "Иссык-Куль", "Иссык-Кулем", "Иссык-Куле"
        ),
    ),
    Entity(
        "batken",
        "Баткен",
        "place",
        country="kg",
        forms=_six("Баткен", "Баткена", "Баткену", "Баткен", "Баткеном", "Баткене"),
    ),
    Entity(
        "fergana",
        "Ферганская долина",
        "place",
        "f",
        forms=_six(
            "Ферганская долина",
            "Ферганской долины",
            "Ферганской долине",
            "Ферганскую долину",
            "Ферганской долиной",
            "Ферганской долине",
        ),
    ),
    Entity(
        "rogun",
        "Рогунская ГЭС",
        "place",
        "f",
        country="tj",
        forms=_six(
            "Рогунская ГЭС",
            "Рогунской ГЭС",
            "Рогунской ГЭС",
            "Рогунскую ГЭС",
            "Рогунской ГЭС",
            "Рогунской ГЭС",
        ),
    ),
    Entity(
        "kambarata",
        "Камбаратинская ГЭС-1",
        "place",
        "f",
        country="kg",
        forms=_six(
            "Камбаратинская ГЭС-1",
            "Камбаратинской ГЭС-1",
            "Камбаратинской ГЭС-1",
            "Камбаратинскую ГЭС-1",
            "Камбаратинской ГЭС-1",
            "Камбаратинской ГЭС-1",
        ),
    ),
)

PEOPLE = (
    Entity(
        "japarov",
        "Садыр Жапаров",
        "person",
        country="kg",
        short="Жапаров",
        role="президент {@kg:gent}",
        forms=_six(
            "Садыр Жапаров",
            "Садыра Жапарова",
            "Садыру Жапарову",
            "Садыра Жапарова",
            "Садыром Жапаровым",
            "Садыре Жапарове",
        ),
    ),
    Entity(
        "tashiev",
        "Камчыбек Ташиев",
        "person",
        country="kg",
        short="Ташиев",
        role="глава {@gknb} {@kg:gent}",
        forms=_six(
            "Камчыбек Ташиев",
            "Камчыбека Ташиева",
            "Камчыбеку Ташиеву",
            "Камчыбека Ташиева",
            "Камчыбеком Ташиевым",
            "Камчыбеке Ташиеве",
        ),
    ),
    Entity(
        "kasymaliev",
        "Адылбек Касымалиев",
        "person",
        country="kg",
        short="Касымалиев",
        role="председатель кабинета министров {@kg:gent}",
        forms=_six(
            "Адылбек Касымалиев",
            "Адылбека Касымалиева",
            "Адылбеку Касымалиеву",
            "Адылбека Касымалиева",
            "Адылбеком Касымалиевым",
            "Адылбеке Касымалиеве",
        ),
    ),
    Entity(
        "tokayev",
        "Касым-Жомарт Токаев",
        "person",
        country="kz",
        short="Токаев",
        role="президент {@kz:gent}",
        forms=_six(
            "Касым-Жомарт Токаев",
            "Касым-Жомарта Токаева",
            "Касым-Жомарту Токаеву",
            "Касым-Жомарта Токаева",
            "Касым-Жомартом Токаевым",
            "Касым-Жомарте Токаеве",
        ),
    ),
    Entity(
        "bektenov",
        "Олжас Бектенов",
        "person",
        country="kz",
        short="Бектенов",
        role="премьер-министр {@kz:gent}",
        forms=_six(
            "Олжас Бектенов",
            "Олжаса Бектенова",
            "Олжасу Бектенову",
            "Олжаса Бектенова",
            "Олжасом Бектеновым",
            "Олжасе Бектенове",
        ),
    ),
    Entity(
        "mirziyoyev",
        "Шавкат Мирзиёев",
        "person",
        country="uz",
        short="Мирзиёев",
        role="президент {@uz:gent}",
        forms=_six(
            "Шавкат Мирзиёев",
            "Шавката Мирзиёева",
            "Шавкату Мирзиёеву",
            "Шавката Мирзиёева",
            "Шавкатом Мирзиёевым",
            "Шавкате Мирзиёеве",
        ),
    ),
    Entity(
        "aripov",
        "Абдулла Арипов",
        "person",
        country="uz",
        short="Арипов",
        role="премьер-министр {@uz:gent}",
        forms=_six(
            "Абдулла Арипов",
            "Абдуллы Арипова",
            "Абдулле Арипову",
            "Абдуллу Арипова",
            "Абдуллой Ариповым",
            "Абдулле Арипове",
        ),
    ),
    Entity(
        "rahmon",
        "Эмомали Рахмон",
        "person",
        country="tj",
        short="Рахмон",
        role="президент {@tj:gent}",
        forms=_six(
            "Эмомали Рахмон",
            "Эмомали Рахмона",
            "Эмомали Рахмону",
            "Эмомали Рахмона",
            "Эмомали Рахмоном",
            "Эмомали Рахмоне",
        ),
    ),
    Entity(
        "berdymukhamedov",
        "Сердар Бердымухамедов",
        "person",
        country="tm",
        short="Бердымухамедов",
        role="президент {@tm:gent}",
        forms=_six(
            "Сердар Бердымухамедов",
            "Сердара Бердымухамедова",
            "Сердару Бердымухамедову",
            "Сердара Бердымухамедова",
            "Сердаром Бердымухамедовым",
            "Сердаре Бердымухамедове",
        ),
    ),
    Entity(
        "putin",
        "Владимир Путин",
        "person",
        country="ru",
        short="Путин",
        role="президент {@ru:gent}",
    ),
    Entity(
        "lavrov",
        "Сергей Лавров",
        "person",
        country="ru",
        short="Лавров",
        role="министр иностранных дел {@ru:gent}",
    ),
    Entity(
        "overchuk",
        "Алексей Оверчук",
        "person",
        country="ru",
        short="Оверчук",
        role="вице-премьер {@ru:gent}",
        forms=_six(
            "Алексей Оверчук",
            "Алексея Оверчука",
            "Алексею Оверчуку",
            "Алексея Оверчука",
            "Алексеем Оверчуком",
            "Алексее Оверчуке",
        ),
    ),
    Entity(
        "matviyenko",
        "Валентина Матвиенко",
        "person",
        "f",
        country="ru",
        short="Матвиенко",
        role="председатель Совета Федерации",
        forms=_six(
            "Валентина Матвиенко",
            "Валентины Матвиенко",
            "Валентине Матвиенко",
            "Валентину Матвиенко",
            "Валентиной Матвиенко",
            "Валентине Матвиенко",
        )
        | _short(*["Матвиенко"] * 6),
    ),
    Entity(
        "xi",
        "Си Цзиньпин",
        "person",
        country="cn",
        short="Си Цзиньпин",
        role="председатель КНР",
        # «Си» does not decline, «Цзиньпин» does, as a masculine noun (Грамота.ру).
        forms=_six(
            "Си Цзиньпин",
            "Си Цзиньпина",
            "Си Цзиньпину",
            "Си Цзиньпина",
            "Си Цзиньпином",
            "Си Цзиньпине",
        )
        | _short(
            "Си Цзиньпин",
            "Си Цзиньпина",
            "Си Цзиньпину",
            "Си Цзиньпина",
            "Си Цзиньпином",
            "Си Цзиньпине",
        ),
    ),
    Entity(
        "trump",
        "Дональд Трамп",
        "person",
        country="us",
        short="Трамп",
        role="президент {@us:gent}",
    ),
)

ORGS = (
    Entity(
        "kenesh",
        "Жогорку Кенеш",
        "org",
        country="kg",
        forms=_six(
            "Жогорку Кенеш",
            "Жогорку Кенеша",
            "Жогорку Кенешу",
            "Жогорку Кенеш",
            "Жогорку Кенешем",
            "Жогорку Кенеше",
        ),
    ),
    Entity(
        "mazhilis",
        "Мажилис",
        "org",
        country="kz",
        forms=_six("Мажилис", "Мажилиса", "Мажилису", "Мажилис", "Мажилисом", "Мажилисе"),
    ),
    Entity(
        "oliy",
        "Олий Мажлис",
        "org",
        country="uz",
        forms=_six(
            "Олий Мажлис",
            "Олий Мажлиса",
            "Олий Мажлису",
            "Олий Мажлис",
            "Олий Мажлисом",
            "Олий Мажлисе",
        ),
    ),
    Entity("gknb", "ГКНБ", "org", country="kg", fixed=True),
    Entity("sco", "ШОС", "org", "f", fixed=True),
    Entity("eaeu", "ЕАЭС", "org", fixed=True),
    Entity("csto", "ОДКБ", "org", "f", fixed=True),
    Entity("gazprom", "Газпром", "org"),
    Entity("taliban", "Талибан", "org"),
    Entity(
        "bri",
        "Один пояс, один путь",
        "term",
        fixed=True,
    ),
)

#: Latin terms, written as they are in every case.
TERMS = (
    Entity("scimago", "SCImago", "term", fixed=True),
    Entity("brent", "Brent", "term", fixed=True),
    Entity("it", "IT", "term", fixed=True),
    Entity("casa", "CASA-1000", "term", fixed=True),
)

ENTITIES: dict[str, Entity] = {
    e.key: e for e in (*COUNTRIES, *CITIES, *PLACES, *PEOPLE, *ORGS, *TERMS)
}

#: Each country's capital, leader and parliament (keys).
CAPITAL = {
    "kg": "bishkek", "kz": "astana", "uz": "tashkent", "tj": "dushanbe", "tm": "ashgabat",
    "af": "kabul", "ru": "moscow", "cn": "beijing", "us": "washington",
}  # fmt: skip
LEADER = {
    "kg": "japarov", "kz": "tokayev", "uz": "mirziyoyev", "tj": "rahmon",
    "tm": "berdymukhamedov", "ru": "putin", "cn": "xi", "us": "trump",
}  # fmt: skip
PARLIAMENT = {"kg": "kenesh", "kz": "mazhilis", "uz": "oliy"}
PREMIER = {"kg": "kasymaliev", "kz": "bektenov", "uz": "aripov"}
