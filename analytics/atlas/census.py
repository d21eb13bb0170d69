"""Real 2020 census figures per county (data/census/county_2020.csv, MIT; see its SOURCE.md):
the demo generator's starting point (pupils, urbanisation, lagging counties) and real context on
the county profile. Counties whose adcode changed since 2020 have no row: callers fall back."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from analytics.core.paths import DATA_DIR

CENSUS_FILE = DATA_DIR / "census" / "county_2020.csv"
CENSUS_YEAR = 2020
BANDS = (("age_0", 0, 0), ("age_1_4", 1, 4), ("age_5_9", 5, 9), ("age_10_14", 10, 14), ("age_15_19", 15, 19))
PRIMARY_AGES = (6, 11)   # grades 1–6
JUNIOR_AGES = (12, 14)   # grades 7–9


@lru_cache(maxsize=1)
def load() -> pd.DataFrame:
    """Every county of the census file, indexed by adcode."""
    frame = pd.read_csv(CENSUS_FILE, dtype={"adcode": str})
    return frame.set_index("adcode")


def single_years(frame: pd.DataFrame) -> np.ndarray:
    """Population by single year of age 0–19 in 2020 (each band spread evenly over its years)."""
    out = np.zeros((len(frame), 20))
    for column, lo, hi in BANDS:
        out[:, lo:hi + 1] = frame[column].to_numpy(float)[:, None] / (hi - lo + 1)
    return out


def school_age(frame: pd.DataFrame, year: int) -> pd.DataFrame:
    """Children of primary (6–11) and junior (12–14) age in a school year: those aged
    a − (year − 2020) at the census. Ages not yet born in 2020 take the 2020 infants' count."""
    ages = single_years(frame)
    shift = year - CENSUS_YEAR

    def between(lo: int, hi: int) -> np.ndarray:
        idx = np.clip(np.arange(lo, hi + 1) - shift, 0, 19)
        return ages[:, idx].sum(axis=1)

    return pd.DataFrame({"primary_age": between(*PRIMARY_AGES), "junior_age": between(*JUNIOR_AGES)},
                        index=frame.index)


def context(adcode: str) -> dict | None:
    """Real census figures of one county for the profile, or None when its adcode is not in
    the 2020 census (changed since)."""
    frame = load()
    if adcode not in frame.index:
        return None
    row = frame.loc[adcode]
    ages = school_age(frame.loc[[adcode]], CENSUS_YEAR).iloc[0]
    return {
        "population": int(row["population"]),
        "school_age": int(round(ages["primary_age"] + ages["junior_age"])),
        "urbanisation": float(row["urban_population"]) / float(row["population"]),
        "minority_share": float(row["minority_share"]),
        "schooling_years": float(row["schooling_years"]),
    }
