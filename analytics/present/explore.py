"""The explorer's other views of the map: the counties in view as a table, and chosen counties
compared over the years (as in Our World in Data's Grapher: map, table, chart of one metric)."""

from __future__ import annotations

import pandas as pd

from analytics.assess import county_values, metrics
from analytics.atlas import places, regions
from analytics.core.classes import COUNTY_STATUS, codes
from analytics.core.i18n import criteria_list, status_label, t
from analytics.present.formats import is_percent

MAX_COMPARED = 8  # counties on one comparison chart (more lines cannot be told apart)


def view_table(values: pd.DataFrame, metric: metrics.Metric, region: str, lang: str) -> pd.DataFrame:
    """The counties of the map in view: name, prefecture, the metric, status, failing criteria
    and criteria without data; worst first. Percentages are in percent (one format everywhere)."""
    v = regions.within(values, region)
    value = v["value"] * 100 if is_percent(metric) else v["value"]
    label = metric.label(lang) + (" (%)" if is_percent(metric) else "")
    if metric.kind == "change":
        value = v["change"].map(lambda c: t(f"change_{c}", lang))
    elif metric.kind == "status":
        label, value = t("col_failed", lang), v["failed"]
    out = pd.DataFrame({
        "adcode": v["adcode"],
        t("col_county", lang): v["county_name"].map(lambda n: places.display_name(n, lang)),
        t("col_city", lang): v["city_name"].map(lambda n: places.display_name(n, lang)),
        label: value,
        t("col_status", lang): v["status"].map(lambda s: status_label(s, lang)),
        t("col_failed_criteria", lang): v["failed_criteria"].map(lambda c: criteria_list(c, lang)),
        t("col_missing_criteria", lang): v["missing_criteria"].map(lambda c: criteria_list(c, lang)),
    })
    if "rules_difference" in v:  # the rule sets compared: their status and what they judge differently
        out.insert(4, t("col_status_national", lang), v["status_national"].map(
            lambda s: status_label(s, lang) if isinstance(s, str) else "—").to_numpy())
        out[t("col_rules_difference", lang)] = v["rules_difference"].map(lambda c: criteria_list(c, lang)).to_numpy()
    severity = v["status"].map({s: i for i, s in enumerate(reversed(codes(COUNTY_STATUS)))})  # worst first
    worse = -v["value"] if metric.better == "low" else v["value"]  # smaller sorts first: worst first
    if metric.kind == "status":
        keys = [severity, -v["failed"]]
    elif metric.kind == "change":
        keys = [-v["value"], severity]
    else:
        keys = [worse, severity]
    sort = pd.DataFrame({f"k{i}": k.fillna(float("inf")).to_numpy() for i, k in enumerate(keys)})
    return out.iloc[sort.sort_values(list(sort.columns), kind="stable").index].reset_index(drop=True)


def trend_metric(metric: str) -> str:
    """What a comparison over the years plots: a status is counted as failed criteria, a change
    as the composite CV it changes."""
    return {"status": "failed", "change_status": "failed", "change_cv": "cv_composite"}.get(metric, metric)


def trends(counties: pd.DataFrame, gaps: pd.DataFrame | None, metric: str, adcodes: list[str],
           stage: str) -> pd.DataFrame:
    """adcode, name, year, value of the chosen counties in every year (missing values stay missing)."""
    shown = trend_metric(metric)
    frames = [county_values.metric_values(counties, gaps, shown, int(y), stage).assign(year=int(y))
              for y in sorted(counties["year"].unique())]
    out = pd.concat(frames, ignore_index=True)
    out = out[out["adcode"].isin(adcodes[:MAX_COMPARED])]
    return out[["adcode", "county_name", "year", "value"]].rename(columns={"county_name": "name"}) \
        .sort_values(["adcode", "year"]).reset_index(drop=True)
