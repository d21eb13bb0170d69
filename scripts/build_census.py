"""Derive data/census/county_2020.csv from the 2020 census county panel (leiii/census,
census_county_2020_v1.xlsx, MIT; see data/census/SOURCE.md). Run once when the source changes:

    python scripts/build_census.py path/to/census_county_2020_v1.xlsx

Keeps only what the product uses: population, urban (城镇) and urban-core (城区) population,
minority share, average years of schooling, and the population by age band 0–19 (both sexes)
from which the demo derives compulsory-age pupils. County rows only (prefecture and province
totals are dropped).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

OUT = Path(__file__).resolve().parents[1] / "data" / "census" / "county_2020.csv"
BANDS = {"age_0": "0岁", "age_1_4": "1到4岁", "age_5_9": "5到9岁", "age_10_14": "10到14岁", "age_15_19": "15到19岁"}


def build(source: Path) -> pd.DataFrame:
    raw = pd.read_excel(source, engine="calamine")
    raw = raw[raw["区划代码"].notna()].copy()
    raw["adcode"] = raw["区划代码"].astype("int64").astype(str)
    counties = raw[~raw["adcode"].str.endswith("00") & (raw["adcode"].str.len() == 6)]
    out = pd.DataFrame({
        "adcode": counties["adcode"],
        "name": counties["区县"],
        "population": counties["人口数_合计"].astype("int64"),
        "urban_population": counties["城镇人口"].astype("Int64"),
        "core_population": counties["城区人口"].astype("Int64"),
        "minority_share": (counties["少数民族人口比重（%）"] / 100).round(4),
        "schooling_years": counties["平均受教育年限_合计"].round(2),
        **{k: (counties[f"男_{v}"].fillna(0) + counties[f"女_{v}"].fillna(0)).round().astype("Int64")
           for k, v in BANDS.items()},
    })
    return out.drop_duplicates("adcode").sort_values("adcode").reset_index(drop=True)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    frame = build(Path(sys.argv[1]))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(OUT, index=False)
    print(f"wrote {OUT} ({len(frame)} counties)")
