"""Find a place by its Chinese name, its pinyin or its initials ('越西', 'yuexi', 'yx').

Every reading of a polyphonic character is indexed (长宁 is both changning and zhangning,
六安 lu'an and liu'an), because a researcher types what they say, not what a dictionary guesses.
"""

from __future__ import annotations

from itertools import islice, product

import pandas as pd

from analytics import regions

MAX_READINGS = 16  # pinyin spellings kept per name (polyphones multiply)
KIND_ORDER = {"province": 0, "city": 1, "county": 2}


def readings(name: str) -> tuple[list[str], list[str]]:
    """Every full-pinyin spelling and every initials spelling of a name (lower case, no spaces)."""
    from pypinyin import Style, pinyin  # imported when first searched: 0.2 s off every new server's first page

    full = pinyin(name, style=Style.NORMAL, heteronym=True, errors="ignore")
    first = pinyin(name, style=Style.FIRST_LETTER, heteronym=True, errors="ignore")
    spell = lambda choices: list(dict.fromkeys("".join(p).lower()  # noqa: E731
                                               for p in islice(product(*choices), MAX_READINGS)))
    return spell(full), spell(first)


def index(names: pd.DataFrame) -> pd.DataFrame:
    """The search index of places: adcode, name, within (the enclosing name), kind, spellings.

    names: adcode, county_name, city_adcode, city_name, province_adcode, province_name (one row
    per county, as in the assessment)."""
    places = pd.concat([
        names[["adcode", "county_name", "city_name"]].set_axis(["adcode", "name", "within"], axis=1),
        names[["city_adcode", "city_name", "province_name"]].set_axis(["adcode", "name", "within"], axis=1),
        names[["province_adcode", "province_name"]].assign(within="").set_axis(["adcode", "name", "within"], axis=1),
    ]).drop_duplicates("adcode")
    places = places[places["adcode"] != regions.NATIONAL]
    spelled = [readings(n) for n in places["name"]]
    return places.assign(kind=places["adcode"].map(regions.kind), full=[s[0] for s in spelled],
                         initials=[s[1] for s in spelled]).reset_index(drop=True)


def _score(row, q: str) -> float | None:
    """Lower is better; None when the place does not match. A name's usual reading (the first
    spelling) ranks before its other readings."""
    if row.name_ == q:
        return 0
    if row.name_.startswith(q):
        return 1
    for rank, spellings in ((2, row.full), (3, row.initials)):
        if spellings and spellings[0].startswith(q):
            return rank
        if any(s.startswith(q) for s in spellings[1:]):
            return rank + 0.5
    if q in row.name_ or any(q in f for f in row.full):
        return 4
    return None


def find(places: pd.DataFrame, query: str, limit: int = 8) -> pd.DataFrame:
    """The places matching a query, best first: exact name, name prefix, pinyin prefix, initials
    prefix, then anywhere in the name; ties by level (province, prefecture, county) and adcode."""
    q = "".join(query.split()).lower().replace("'", "")
    if not q:
        return places.iloc[:0]
    scores = [_score(row, q) for row in places.rename(columns={"name": "name_"}).itertuples(index=False)]
    hits = places.assign(_score=scores).dropna(subset=["_score"])
    hits = hits.assign(_kind=hits["kind"].map(KIND_ORDER))
    return hits.sort_values(["_score", "_kind", "adcode"]).head(limit).drop(columns=["_score", "_kind"])


def view_of(adcode: str) -> tuple[str, str]:
    """(region, county) that shows a found place: a county is selected on its prefecture's map."""
    return (regions.city_of(adcode), adcode) if regions.kind(adcode) == "county" else (adcode, "")
