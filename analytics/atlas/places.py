"""Find a place by its Chinese name, its pinyin or its initials ('越西', 'yuexi', 'yx').

Every reading of a polyphonic character is indexed (长宁 is both changning and zhangning,
六安 lu'an and liu'an), because a researcher types what they say, not what a dictionary guesses.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import islice, product

import pandas as pd

from analytics.atlas import regions
from analytics.core import tomlfile
from analytics.core.errors import JunhengError
from analytics.core.paths import DATA_DIR

NAMES_FILE = DATA_DIR / "place_names.toml"

MAX_READINGS = 16  # pinyin spellings kept per name (polyphones multiply)
KIND_ORDER = {"province": 0, "city": 1, "county": 2}


def readings(name: str) -> tuple[list[str], list[str], list[str]]:
    """Every full-pinyin spelling and every initials spelling of a name (lower case, no spaces),
    and the runs of whole syllables inside it ('xi', 'xixian', 'xian' of 越西县): a query found
    inside a name is whole syllables, so 'yuexi' does not find 安岳县 (an-yue-xian)."""
    from pypinyin import Style, pinyin  # imported when first searched: 0.2 s off every new server's first page

    full = pinyin(name, style=Style.NORMAL, heteronym=True, errors="ignore")
    first = pinyin(name, style=Style.FIRST_LETTER, heteronym=True, errors="ignore")
    spell = lambda choices: list(dict.fromkeys("".join(p).lower()  # noqa: E731
                                               for p in islice(product(*choices), MAX_READINGS)))
    tails = list(dict.fromkeys("".join(p[i:j]).lower() for p in islice(product(*full), MAX_READINGS)
                               for i in range(1, len(p)) for j in range(i + 1, len(p) + 1)))
    return spell(full), spell(first), tails


def index(names: pd.DataFrame) -> pd.DataFrame:
    """The search index of places: adcode, name, within (the enclosing name), kind, spellings.

    names: adcode, county_name, city_adcode, city_name, province_adcode, province_name (one row
    per county, as in the assessment)."""
    names = tell_apart(names)
    places = pd.concat([
        names[["adcode", "county_name", "city_name"]].set_axis(["adcode", "name", "within"], axis=1),
        names[["city_adcode", "city_name", "province_name"]].set_axis(["adcode", "name", "within"], axis=1),
        names[["province_adcode", "province_name"]].assign(within="").set_axis(["adcode", "name", "within"], axis=1),
    ]).drop_duplicates("adcode")
    places = places[places["adcode"] != regions.NATIONAL]
    spelled = [readings(n) for n in places["name"]]
    return places.assign(kind=places["adcode"].map(regions.kind), full=[s[0] for s in spelled],
                         initials=[s[1] for s in spelled], tails=[set(s[2]) for s in spelled]).reset_index(drop=True)


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
    if q in row.name_ or q in row.tails:
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


# --------------------------------------------------------------------------------------------
# English names


class PlaceNamesError(JunhengError, ValueError):
    """data/place_names.toml cannot be used."""


@lru_cache(maxsize=1)
def _name_rules() -> dict:
    _, rules = tomlfile.read(NAMES_FILE, PlaceNamesError, "place names")
    for key in ("readings", "names", "levels", "short_levels", "peoples"):
        if not isinstance(rules.get(key), dict):
            raise PlaceNamesError(f"{NAMES_FILE}: needs a [{key}] table")
    return rules


def _syllables(text: str) -> list[str]:
    """The place-name reading of each character (the file's readings first, then pypinyin's)."""
    from pypinyin import Style, lazy_pinyin

    readings = _name_rules()["readings"]
    guessed = lazy_pinyin(text, style=Style.NORMAL, errors="ignore")
    if len(guessed) != len(text):  # a character pypinyin cannot read: keep what it could
        return guessed
    return [readings.get(ch, py) for ch, py in zip(text, guessed)]


def pinyin_word(text: str) -> str:
    """Hanyu Pinyin as a proper name: one word, capitalised, an apostrophe before a syllable that
    starts with a, o or e (Xi'an, Lu'an)."""
    word = ""
    for i, syllable in enumerate(_syllables(text)):
        word += ("'" if i and syllable[:1] in "aoe" else "") + syllable
    return word[:1].upper() + word[1:]


@lru_cache(maxsize=8192)
def english_name(name: str) -> str:
    """A place's English name: 越西县 → Yuexi County, 凉山彝族自治州 → Liangshan Yi Autonomous
    Prefecture, 四川省 → Sichuan Province (data/place_names.toml holds the exceptions)."""
    rules = _name_rules()
    if name in rules["names"]:
        return rules["names"][name]
    part = _part(name)
    if part:  # 重庆市（县） → Chongqing (counties)
        return f"{english_name(part[0])} ({part[1]})"
    level = next((lv for lv in sorted(rules["levels"], key=len, reverse=True)
                  if name.endswith(lv) and len(name) > len(lv)), "")
    base = name[: len(name) - len(level)]
    peoples: list[str] = []
    by_length = sorted(rules["peoples"], key=len, reverse=True)
    while "自治" in level or level == "特别行政区":
        people = next((p for p in by_length if base.endswith(p) and len(base) > len(p)), None)
        if people is None:
            break
        peoples.insert(0, rules["peoples"][people])
        base = base[: len(base) - len(people)]
    words = [pinyin_word(base)] if base else []
    if peoples:
        words.append(peoples[0] if len(peoples) == 1 else ", ".join(peoples[:-1]) + " and " + peoples[-1])
    if level:
        words.append(rules["levels"][level])
    return " ".join(words) or name


@lru_cache(maxsize=8192)
def english_label(name: str) -> str:
    """A place's short English map label: the proper name alone (越西县 → Yuexi, 凉山彝族自治州 →
    Liangshan), as maps print them; the level word is in the title and the tooltip."""
    full = english_name(name)
    rules = _name_rules()
    if name in rules["names"]:  # a listed name: without its level word (Inner Mongolia, Shaanxi)
        level = next((lv for lv in sorted(rules["levels"].values(), key=len, reverse=True)
                      if full.endswith(" " + lv)), "")
        return full[: len(full) - len(level)].strip() if level else full
    proper = full.split(" ", 1)[0]
    return proper or full


@lru_cache(maxsize=8192)
def short_name(name: str) -> str:
    """A place's English name where room is short (a sidebar picker shows about 28 letters): the
    proper name and a short level word — 凉山彝族自治州 → Liangshan Prefecture, 木里藏族自治县 →
    Muli County, 新疆维吾尔自治区 → Xinjiang; titles give the full name."""
    rules = _name_rules()
    full, label = english_name(name), english_label(name)
    if label == full or _part(name):  # a name with no level word (Beijing, Hong Kong SAR), or with its part
        return full
    level = next((lv for lv in sorted(rules["levels"], key=len, reverse=True)
                  if name.endswith(lv) and len(name) > len(lv)), "")
    word = rules["short_levels"].get(level, rules["levels"].get(level, ""))
    return f"{label} {word}".strip()


def picker_name(name: str, lang: str) -> str:
    """A place's name in a picker in the reader's language (Chinese names are short already)."""
    return short_name(name) if lang == "en" and isinstance(name, str) and name else name


def label_name(name: str, lang: str) -> str:
    """A place's map label in the reader's language."""
    return english_label(name) if lang == "en" and isinstance(name, str) and name else name


def title_name(name: str, lang: str) -> str:
    """A place's name in a title: in English with the Chinese beside it (Yuexi County (越西县)),
    so a reader can match it to Chinese documents."""
    return f"{english_name(name)} ({name})" if lang == "en" and isinstance(name, str) and name else name


def tell_apart(names: pd.DataFrame) -> pd.DataFrame:
    """Rows with city_adcode and city_name, the names of prefectures of one province that share a
    name given their part (重庆市 500100 and 500200 → 重庆市（市辖区）, 重庆市（县）), so no picker,
    title or search lists two places alike."""
    parts = _name_rules().get("municipal_parts", {})
    c = names[["city_adcode", "city_name"]].drop_duplicates("city_adcode")
    alike = c[c.groupby([regions.province_column(c["city_adcode"]), c["city_name"]])["city_adcode"]
              .transform("size") > 1]
    told = {code: f"{name}（{parts[regions.prefecture_digits(code)]['zh']}）"
            for code, name in zip(alike["city_adcode"], alike["city_name"]) if regions.prefecture_digits(code) in parts}
    if not told:
        return names
    return names.assign(city_name=[told.get(code, name) for code, name in zip(names["city_adcode"], names["city_name"])])


def _part(name: str) -> tuple[str, str] | None:
    """(name, part) of a name qualified by tell_apart, else None."""
    parts = {p["zh"]: p["en"] for p in _name_rules().get("municipal_parts", {}).values()}
    for zh, en in parts.items():
        if name.endswith(f"（{zh}）"):
            return name[: -len(zh) - 2], en
    return None


def display_name(name: str, lang: str) -> str:
    """A place's name in the reader's language (Chinese names pass through in Chinese)."""
    return english_name(name) if lang == "en" and isinstance(name, str) and name else name
