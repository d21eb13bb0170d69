"""Administrative codes (adcodes): the one place that knows levels, parents and membership.

An adcode has six digits: province (2), prefecture (2), county (2). '000000' is the country,
'510000' a province, '510100' a prefecture, '510104' a county. The province-level cities
(北京 110000, 天津 120000, 上海 310000, 重庆 500000) have no real prefecture: their counties sit
under 'xx01xx' (市辖区) and, for 重庆, 'xx02xx' (县); the boundary files name both 重庆市. Their
prefix is still the first two digits ('50', never '5'), which is what kept a 成都 county selected
under 重庆 before this module.
"""

from __future__ import annotations

import pandas as pd

NATIONAL = "000000"
KINDS = ("national", "province", "city", "county")


def is_adcode(code: str) -> bool:
    """Six ASCII digits (what every other function here expects)."""
    return isinstance(code, str) and len(code) == 6 and code.isascii() and code.isdigit()


def kind(code: str) -> str:
    """'national', 'province', 'city' (prefecture) or 'county'."""
    if code == NATIONAL:
        return "national"
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "city"
    return "county"


def prefix(code: str) -> str:
    """The adcode prefix shared by everything inside a region ('' for the country)."""
    return {"national": "", "province": code[:2], "city": code[:4], "county": code}[kind(code)]


def contains(region: str, code: str) -> bool:
    """True when `code` is the region or lies inside it."""
    return code.startswith(prefix(region))


def within(table: pd.DataFrame, region: str, column: str = "adcode") -> pd.DataFrame:
    """Rows of the region and of everything inside it ('000000' or '' = everything)."""
    if not region or region == NATIONAL:
        return table
    return table[table[column].str.startswith(prefix(region))]


def province_of(code: str) -> str:
    return NATIONAL if code == NATIONAL else code[:2] + "0000"


def prefecture_digits(code: str) -> str:
    """The two digits that number a prefecture within its province ('01' of 500100: 重庆市's districts)."""
    return code[2:4]


def province_column(codes: pd.Series) -> pd.Series:
    """province_of for a column of county (or prefecture) adcodes."""
    return codes.str.slice(0, 2) + "0000"


def city_column(codes: pd.Series) -> pd.Series:
    """city_of for a column of county adcodes."""
    return codes.str.slice(0, 4) + "00"


def city_of(code: str) -> str:
    """The prefecture of a county or prefecture (a province or the country has none: itself)."""
    return code[:4] + "00" if kind(code) in ("city", "county") else code


def parent(code: str) -> str:
    """One level up: county → prefecture → province → country."""
    return {"county": city_of(code), "city": province_of(code), "province": NATIONAL,
            "national": NATIONAL}[kind(code)]


def enclosing(code: str) -> list[str]:
    """The region and every region around it, smallest first, ending with the country."""
    chain = [code]
    while chain[-1] != NATIONAL:
        chain.append(parent(chain[-1]))
    return chain


def drill(region: str, county: str, picked: str) -> tuple[str, str]:
    """(region, county) after a click on `picked` in the map of `region`.

    The country opens the clicked province, a province the clicked county's prefecture, a
    prefecture (or a map with a county selected) selects the clicked county."""
    if county or kind(region) == "city":
        return city_of(picked), picked
    if kind(region) == "national":
        return province_of(picked), ""
    return city_of(picked), ""
