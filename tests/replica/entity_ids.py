"""The replica's entities (:mod:`tests.replica.gazetteer`) as the package's gazetteer
knows them: the demo generator's ground truth, in the gazetteer's ids.

Every replica entity of kind person, country, city, place or org is here; its name and,
for people, its ``short`` form are names of the gazetteer entity it maps to
(``tests/test_gazetteer.py`` checks it). Left out, as terms and not entities: ``bri``
(«Один пояс, один путь», an initiative), ``scimago``, ``brent``, ``it`` and ``casa``
(CASA-1000, a power line project).

The replica's ``berdymukhamedov`` is Сердар; its short form «Бердымухамедов» is shared
with his father in the gazetteer, both in use since 2021: an article decides it by
naming one of them in full.
"""

from __future__ import annotations

from typing import Final

REPLICA_TO_GAZETTEER: Final[dict[str, str]] = {
    # countries, and Central Asia
    "kg": "kyrgyzstan",
    "kz": "kazakhstan",
    "uz": "uzbekistan",
    "tj": "tajikistan",
    "tm": "turkmenistan",
    "af": "afghanistan",
    "ru": "russia",
    "cn": "china",
    "us": "usa",
    "ca": "central-asia",
    # cities
    "bishkek": "bishkek",
    "astana": "astana",
    "tashkent": "tashkent",
    "dushanbe": "dushanbe",
    "ashgabat": "ashgabat",
    "kabul": "kabul",
    "moscow": "moscow",
    "beijing": "beijing",
    "washington": "washington",
    "almaty": "almaty",
    "samarkand": "samarkand",
    "termez": "termez",
    "jalalabad": "jalalabad",
    "nursultan": "astana",
    # places
    "aral": "aral-sea",
    "amudarya": "amu-darya",
    "syrdarya": "syr-darya",
    "issykkul": "lake-issyk-kul",
    "batken": "batken",
    "fergana": "fergana-valley",
    "rogun": "rogun",
    "kambarata": "kambarata-1",
    # people
    "japarov": "japarov",
    "tashiev": "tashiev",
    "kasymaliev": "kasymaliev",
    "tokayev": "tokayev",
    "bektenov": "bektenov",
    "mirziyoyev": "mirziyoyev",
    "aripov": "aripov",
    "rahmon": "rahmon",
    "berdymukhamedov": "berdimuhamedov-serdar",
    "putin": "putin",
    "lavrov": "lavrov",
    "overchuk": "overchuk",
    "matviyenko": "matviyenko",
    "xi": "xi",
    "trump": "trump",
    # organisations
    "kenesh": "zhogorku-kenesh",
    "mazhilis": "mazhilis",
    "oliy": "oliy-majlis",
    "gknb": "gknb-kg",
    "sco": "sco",
    "eaeu": "eaeu",
    "csto": "csto",
    "gazprom": "gazprom",
    "taliban": "taliban",
}
