"""The map's numbers per county: the assessment's columns, a status or CV against the first year,
the urban–rural gaps, a status under the chosen rules against the national rules (the metric
catalogue, metrics.py, lists them; progress.py computes the plans' metrics)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.core.classes import COUNTY_STATUS, severities

CHANGE_METRICS = ("change_status", "change_cv")
RULES_METRIC = "change_rules"  # a county's status under the chosen rules beside the national rules


def status_change(before: pd.Series, after: pd.Series) -> pd.Series:
    """'better', 'same', 'worse' or 'not_comparable' (数据不足 in either year, or a year missing)."""
    b = before.map(severities(COUNTY_STATUS)).to_numpy(dtype=float)
    a = after.map(severities(COUNTY_STATUS)).to_numpy(dtype=float)
    out = np.select([a < b, a > b], ["better", "worse"], "same")
    return pd.Series(np.where(np.isnan(a) | np.isnan(b), "not_comparable", out), index=after.index)


GAP_METRICS = ("funding_gap", "rural_equipment_ratio", "bachelor_share_gap")


def rules_change_values(counties: pd.DataFrame, national: pd.DataFrame, year: int, stage: str) -> pd.DataFrame:
    """metric_values of RULES_METRIC: each county's status under the chosen rules (counties)
    against the national rules' (national): better / same / worse / not comparable, the national
    status, and the criteria judged differently (failing or without data under one set only)."""
    out = metric_values(counties, None, "status", year, stage)
    nat = national[(national["year"] == year) & (national["stage"] == stage)].set_index("adcode")
    before = out["adcode"].map(nat["status"])
    out["change"] = status_change(before, out["status"]).to_numpy()
    out["value"] = out["change"].map({"better": -1.0, "same": 0.0, "worse": 1.0})
    out["status_national"] = before.to_numpy()

    def codes(text) -> set[str]:
        return {c for c in str(text).split(", ") if c} if isinstance(text, str) else set()

    differ = []
    for row, code in zip(out.itertuples(index=False), out["adcode"]):
        here = codes(row.failed_criteria) | codes(row.missing_criteria)
        there = codes(nat["failed_criteria"].get(code)) | codes(nat["missing_criteria"].get(code))
        differ.append(", ".join(sorted(here ^ there)))
    out["rules_difference"] = differ
    return out


def metric_values(counties: pd.DataFrame, gaps: pd.DataFrame | None, metric: str, year: int,
                  stage: str) -> pd.DataFrame:
    """One row per county of the assessment: adcode, status, failed, value of the chosen metric."""
    c = counties[(counties["year"] == year) & (counties["stage"] == stage)]
    out = c[["adcode", "county_name", "city_name", "status", "failed", "failed_criteria", "missing",
             "missing_criteria"]].copy()
    if metric in CHANGE_METRICS:
        first = counties[(counties["year"] == counties["year"].min()) & (counties["stage"] == stage)]
        base = out[["adcode"]].merge(first[["adcode", "status", "cv_composite"]], on="adcode", how="left")
        if metric == "change_status":
            out["change"] = status_change(base["status"], out["status"]).to_numpy()
            out["value"] = out["change"].map({"better": -1.0, "same": 0.0, "worse": 1.0})
        else:
            out["value"] = (c["cv_composite"].to_numpy() - base["cv_composite"].to_numpy()).astype(float)
    elif metric in GAP_METRICS:
        g = gaps[gaps["year"] == year].set_index("adcode")[metric] if gaps is not None else pd.Series(dtype=float)
        out["value"] = out["adcode"].map(g)
    elif metric == "status":
        out["value"] = out["failed"].astype(float)
    else:
        out["value"] = c[metric].astype(float).to_numpy()
    return out.reset_index(drop=True)
