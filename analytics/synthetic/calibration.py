"""How realistic a database looks: the figures the demo is calibrated against (issue "A demo
that looks like the real country"; targets and sources in data/demo_model.toml [calibration]).
Used by the calibration test and by `bench/calibration.py`, which prints them."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from analytics.assess import balance, gap
from analytics.assess.criteria import STAGES, load_criteria

LAGGING_PREFECTURES = ("513200", "513300", "513400")   # 阿坝, 甘孜, 凉山
LEADING_PREFECTURE = "510100"                            # 成都


def measure(con: duckdb.DuckDBPyConnection, year: int, with_gap: bool = True) -> dict[str, float]:
    """The calibration figures of one year (shares as fractions)."""
    cr = load_criteria()
    a = balance.assess(con, year, cr)
    c = a.counties
    staged = c[c["stage"].isin(STAGES)]
    overall = c[c["stage"] == balance.OVERALL]
    out: dict[str, float] = {}
    for stage in STAGES:
        s = staged[staged["stage"] == stage]
        for i in range(1, 8):
            out[f"cv_r{i}_{stage}"] = float(s[f"cv_r{i}"].median())
        for i in (4, 5, 6):
            out[f"mean_r{i}_ratio_{stage}"] = float((s[f"mean_r{i}"] / cr[f"R{i}"].threshold[stage]).median())
    limits = np.array([[cr[f"R{i}"].cv_threshold[s] for i in range(1, 8)] for s in staged["stage"]])
    over = (staged[[f"cv_r{i}" for i in range(1, 8)]].to_numpy() > limits).any(axis=1)
    out["county_stages_over_a_cv_limit"] = float(over.mean())
    schools = a.schools[a.schools["eligible"].fillna(False).astype(bool)]
    misses = schools["standards_met"] < 7
    out["schools_missing_a_standard"] = float(misses.mean())
    out["rural_schools_missing_a_standard"] = float(misses[schools["locale"] == "rural"].mean())
    out["urban_schools_missing_a_standard"] = float(misses[schools["locale"] == "urban"].mean())
    out["schools_noncompliant"] = float((schools["compliant"] == False).mean())  # noqa: E712
    out["counties_passing"] = float((overall["status"] == "pass").mean())
    out["counties_incomplete"] = float((overall["status"] == "incomplete").mean())
    out["counties_with_missing_data"] = float(((overall["missing"] > 0) | (overall["schools_missing_resource"] > 0)).mean())
    out["counties_vetoed"] = float((overall["status"] == "vetoed").mean())
    lag = overall["city_adcode"].isin(LAGGING_PREFECTURES)
    out["passing_lagging_prefectures"] = float((overall.loc[lag, "status"] == "pass").mean()) if lag.any() else np.nan
    lead = overall["city_adcode"] == LEADING_PREFECTURE
    out["passing_leading_prefecture"] = float((overall.loc[lead, "status"] == "pass").mean()) if lead.any() else np.nan
    sums = balance.county_sums(con, a, balance.urban_rural_gaps(con, year, cr))
    sums = sums[sums["year"] == year]
    out["maintenance_share"] = float(sums["maintenance_yuan"].sum() / sums["funding_total_yuan"].sum())
    out["donation_share"] = float(sums["donation_yuan"].sum() / sums["funding_total_yuan"].sum())
    seniors = con.execute("""SELECT count(*) FILTER (WHERE sy.senior_students > 0), count(*)
                             FROM school_year sy JOIN schools s USING (school_id)
                             WHERE sy.year = ? AND s.kind IN ('完全中学', '十二年一贯制')""", [year]).fetchall()[0]
    out["senior_schools_with_senior_pupils"] = seniors[0] / seniors[1] if seniors[1] else np.nan
    if with_gap:
        plan = gap.make_plan(con, year, cr)
        out["counties_needing_hires"] = float((plan.counties["teachers_hire"] > 0).mean())
        out["counties_needing_rotation"] = float((plan.counties["teachers_rotate"] > 0).mean())
    return out


def table(con: duckdb.DuckDBPyConnection, years: tuple[int, ...]) -> pd.DataFrame:
    """The figures of several years side by side (rows: figure, columns: year)."""
    return pd.DataFrame({y: measure(con, y) for y in years})
