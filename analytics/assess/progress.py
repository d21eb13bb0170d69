"""Progress towards a plan's targets (docs/method.md §3): metric values per region and year, the
on-track classification with required and observed pace, and a linear projection.

Every value comes from the assessment (analytics.assess.balance) or the additive sums beside it: shares
of a city, province or the country are summed over their counties first and divided after, so a
province's figure is its pupils' and teachers' figure, not an average of county ratios.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from analytics.assess import balance
from analytics.assess.balance import OVERALL, Assessment
from analytics.assess.criteria import STAGES
from analytics.assess.targets import LEVELS, METRICS, Plan, Target
from analytics.assess.urban_rural import gap_ratios
from analytics.atlas import places, regions
from analytics.core.classes import TARGET_PROGRESS, codes
from analytics.core.i18n import t

PROGRESS_STATUSES = codes(TARGET_PROGRESS)  # 已达标 按期 滞后 严重滞后 数据不足
ON_TRACK_RATIO = 1.0   # observed / required pace at or above: 按期
AT_RISK_RATIO = 0.5    # at or above (and below ON_TRACK_RATIO): 滞后; below: 严重滞后
NATIONAL = regions.NATIONAL


# --------------------------------------------------------------------------------------------
# Metric values per region and year


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    num = pd.to_numeric(num, errors="coerce").astype(float)
    den = pd.to_numeric(den, errors="coerce").astype(float)
    return num / den.where(den > 0)


def _area_metrics(sums: pd.DataFrame) -> pd.DataFrame:
    """The summable metrics from summed inputs (any level: county, city, province, country)."""
    g = gap_ratios(sums)
    regular = _ratio(sums["regular_public_yuan"], sums["regular_students"])
    return pd.DataFrame({
        "exchange_share": _ratio(sums["exchanged"], sums["exchange_eligible"]),
        "backbone_exchange_share": _ratio(sums["exchanged_backbone"], sums["exchanged"]),
        "rural_rooms_share": _ratio(sums["rural_rooms_ok"], sums["rural_rooms_known"]),
        "pupil_teacher_ratio": _ratio(sums["all_students"], sums["teachers_full_time"]),
        "rural_pay_premium": g["rural_pay_premium"],
        "rural_equipment_ratio": g["rural_equipment_ratio"],
        "funding_gap": g["funding_gap"],
        "rural_bachelor_share": g["rural_bachelor_share"],
        "bachelor_share_gap": g["bachelor_share_gap"],
        "training_coverage": _ratio(sums["teachers_trained_year"], sums["teachers_full_time"]),
        "rural_training_hours": g["rural_training_hours"],
        "rural_multimedia_share": _ratio(sums["rural_multimedia_schools"], sums["rural_schools"]),
        "donation_share": _ratio(sums["donation_yuan"], sums["funding_total_yuan"]),
        "maintenance_share": _ratio(sums["maintenance_yuan"], sums["funding_total_yuan"]),
        "special_funding_multiple": _ratio(sums["special_public_yuan"], sums["special_students"])
        / regular.where(regular > 0),
    }, index=sums.index)


def _level_key(level: str, frame: pd.DataFrame) -> pd.Series:
    return {"county": frame["adcode"], "city": frame["city_adcode"], "province": frame["province_adcode"],
            "national": pd.Series(NATIONAL, index=frame.index)}[level]


def regions_of(a: Assessment) -> pd.DataFrame:
    """Every county with its city and province (codes and names)."""
    return a.counties[["adcode", "county_name", "city_adcode", "city_name", "province_adcode",
                       "province_name"]].drop_duplicates("adcode").reset_index(drop=True)


def region_names(a: Assessment, lang: str = "zh") -> dict[str, str]:
    """Adcode → name for every county, city, province (and the country) of the assessment."""
    r = places.tell_apart(regions_of(a))  # 重庆市's two parts named apart
    names = {NATIONAL: t("all_regions", lang)}
    for code, name in (("province_adcode", "province_name"), ("city_adcode", "city_name"), ("adcode", "county_name")):
        names.update(zip(r[code], (places.display_name(n, lang) for n in r[name])))
    return names


def metric_values(con: duckdb.DuckDBPyConnection, a: Assessment, gaps: pd.DataFrame) -> pd.DataFrame:
    """Every metric of METRICS per level, region, year and stage: columns level, adcode, year,
    stage, metric, value (long format; a metric appears only at the levels it exists at)."""
    regions = regions_of(a)
    sums = balance.county_sums(con, a, gaps).merge(regions, on="adcode", how="inner")
    additive = [c for c in sums.columns if c not in regions.columns and c != "year"]
    out = []

    # summed over each level's counties, then divided
    # schools without equipment data are left out (missing is not a miss): counted per stage
    eq = pd.concat([sums.assign(stage=s, eq_records=sums[f"eq_records_{s}"], eq_ok=sums[f"eq_ok_{s}"])
                    for s in STAGES])
    eq = eq[eq["eq_records"] > 0]
    eq = pd.concat([eq, eq.assign(stage=OVERALL)])
    for level in LEVELS:
        summed = sums.assign(key=_level_key(level, sums)).groupby(["key", "year"])[additive].sum(min_count=1)
        wide = _area_metrics(summed).reset_index()
        long = wide.melt(id_vars=["key", "year"], var_name="metric", value_name="value")
        out.append(long.assign(level=level, stage=OVERALL))
        e = eq.assign(key=_level_key(level, eq)).groupby(["key", "year", "stage"])[["eq_records", "eq_ok"]].sum()
        out.append(pd.DataFrame({"value": _ratio(e["eq_ok"], e["eq_records"])}).reset_index()
                   .assign(level=level, metric="equipment_schools_share"))

    # share of counties passing (of all counties with a status), per stage
    c = a.counties
    for level in ("national", "province", "city"):
        share = (c.assign(key=_level_key(level, c), ok=(c["status"] == "pass").astype(float))
                 .groupby(["key", "year", "stage"])["ok"].mean().rename("value").reset_index())
        out.append(share.assign(level=level, metric="pass_share"))

    # county-only: difference coefficients and the reported migrant share
    staged = c[c["stage"] != OVERALL]
    hardware = staged[[f"cv_r{i}" for i in range(4, 8)]].mean(axis=1, skipna=False)
    hw = staged[["adcode", "year", "stage"]].assign(value=hardware)
    hw_all = hw.groupby(["adcode", "year"])["value"].max().reset_index().assign(stage=OVERALL)
    out.append(pd.concat([hw, hw_all]).rename(columns={"adcode": "key"}).assign(level="county", metric="cv_hardware"))
    out.append(c[["adcode", "year", "stage", "cv_composite"]].rename(columns={"adcode": "key", "cv_composite": "value"})
               .assign(level="county", metric="cv_composite"))
    for figure in ("migrant_public_share", "quality_hs_quota_share"):
        out.append(a.facts[["adcode", "year", figure]].rename(columns={"adcode": "key", figure: "value"})
                   .assign(level="county", stage=OVERALL, metric=figure))

    values = pd.concat(out, ignore_index=True).rename(columns={"key": "adcode"})
    values["value"] = pd.to_numeric(values["value"], errors="coerce").astype(float)
    values["year"] = values["year"].astype(int)
    # keep a metric only at the levels it is defined for
    allowed = pd.Series([m in METRICS and lvl in METRICS[m].levels
                         for m, lvl in zip(values["metric"], values["level"])], index=values.index)
    return values[allowed][["level", "adcode", "year", "stage", "metric", "value"]].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Classification


def classify(frame: pd.DataFrame) -> pd.DataFrame:
    """Status and paces for rows with baseline, baseline_year, latest, latest_year, n_values,
    target, target_year, direction (docs/method.md §3; ≤ metrics have the comparisons flipped).

    required pace = (t − b)/(T − y₀); observed pace = (v − b)/(y − y₀); r = observed / required.
    """
    sign = np.where(frame["direction"] == "<=", -1.0, 1.0)
    b, v, t = (frame[c].astype(float).to_numpy() for c in ("baseline", "latest", "target"))
    y0, y, big_t = (frame[c].astype(float).to_numpy() for c in ("baseline_year", "latest_year", "target_year"))
    with np.errstate(divide="ignore", invalid="ignore"):
        required = (t - b) / (big_t - y0)
        observed = (v - b) / (y - y0)
        need, done = sign * (t - b), sign * (v - b)
        ratio = np.where(need > 0, (done / (y - y0)) / (need / (big_t - y0)), np.nan)
    ratio = np.round(ratio, 9)  # 0.1/0.1 computed from decimals is 0.9999999999999998
    met = sign * (v - t) >= -1e-9
    enough = frame["n_values"].to_numpy() >= 2
    status = np.select(
        [~enough, met, done <= 0, ratio >= ON_TRACK_RATIO, ratio >= AT_RISK_RATIO],
        ["no_data", "achieved", "off_track", "on_track", "at_risk"], default="off_track")
    # no pace is required when the baseline already meets the target
    return frame.assign(required_pace=np.where(enough & (need > 0), required, np.nan),
                        observed_pace=np.where(enough, observed, np.nan),
                        pace_ratio=np.where(enough & ~met, ratio, np.nan), status=status)


def _series_stats(wide: pd.DataFrame, baseline_year: int, cap: int) -> pd.DataFrame:
    """Baseline, latest, count and a least-squares projection of each row of a year-column frame,
    using the years from baseline_year to cap."""
    years = np.array(wide.columns, dtype=float)
    y = wide.to_numpy(dtype=float)
    mask = ~np.isnan(y) & (years >= baseline_year) & (years <= cap)
    n = mask.sum(axis=1)
    has = n > 0
    first = np.argmax(mask, axis=1)
    last = mask.shape[1] - 1 - np.argmax(mask[:, ::-1], axis=1)
    rows = np.arange(len(y))
    baseline = np.where(has, y[rows, first], np.nan)
    latest = np.where(has, y[rows, last], np.nan)
    x = np.where(mask, years, 0.0)
    yy = np.where(mask, y, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        xm = x.sum(axis=1) / n
        ym = yy.sum(axis=1) / n
        dx = np.where(mask, years - xm[:, None], 0.0)
        slope = (dx * np.where(mask, y - ym[:, None], 0.0)).sum(axis=1) / (dx ** 2).sum(axis=1)
    return pd.DataFrame({
        "baseline_year": np.where(has, years[first], np.nan), "baseline": baseline,
        "latest_year": np.where(has, years[last], np.nan), "latest": latest, "n_values": n,
        "slope": np.where(n >= 2, slope, np.nan), "mean_year": xm, "mean_value": ym,
    }, index=wide.index)


def target_progress(values: pd.DataFrame, target: Target, baseline_year: int, as_of: int) -> pd.DataFrame:
    """One row per region (every level the metric exists at) for one target, classified.

    The latest value is the last one up to the earlier of `as_of` and the target year: a 2024
    milestone is judged on 2024's value even when later years are known.
    """
    v = values[(values["metric"] == target.metric) & (values["stage"] == target.stage)]
    if v.empty:
        return pd.DataFrame()
    # a region whose metric has no value in any year keeps its row (数据不足), never an error
    wide = v.groupby(["level", "adcode", "year"])["value"].first().unstack("year")
    cap = min(as_of, target.year)
    stats = _series_stats(wide, baseline_year, cap)
    frame = stats.assign(target=target.value, target_year=target.year, direction=target.direction)
    out = classify(frame)
    out["projection"] = out["mean_value"] + out["slope"] * (target.year - out["mean_year"])
    sign = -1.0 if target.direction == "<=" else 1.0
    out["gap"] = np.maximum(sign * (target.value - out["latest"]), 0.0)  # how far short, in the metric's unit
    out = out.drop(columns=["slope", "mean_year", "mean_value"]).reset_index()
    return out.assign(target_key=target.key, metric=target.metric, stage=target.stage, scope=target.scope,
                      unit=target.unit, label_zh=target.label_zh, label_en=target.label_en)


COLUMNS = ["level", "adcode", "name", "target_key", "metric", "stage", "scope", "target_year", "target",
           "direction", "unit", "baseline_year", "baseline", "latest_year", "latest", "required_pace",
           "observed_pace", "pace_ratio", "projection", "gap", "status", "label_zh", "label_en"]


def progress(values: pd.DataFrame, plan: Plan, as_of: int, names: dict[str, str] | None = None) -> pd.DataFrame:
    """Every region × target of a plan, classified as of a year (columns: COLUMNS)."""
    parts = [target_progress(values, t, plan.baseline_year, as_of) for t in plan.targets]
    parts = [p for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame(columns=COLUMNS)
    out = pd.concat(parts, ignore_index=True)
    out["name"] = out["adcode"].map(names or {}).fillna(out["adcode"])
    for col in ("baseline_year", "latest_year"):
        out[col] = out[col].astype("Int64")
    order = {lvl: i for i, lvl in enumerate(LEVELS)}
    keys = {t.key: i for i, t in enumerate(plan.targets)}
    out = out.assign(_l=out["level"].map(order), _t=out["target_key"].map(keys))
    return out.sort_values(["_l", "adcode", "_t"]).drop(columns=["_l", "_t"])[COLUMNS].reset_index(drop=True)


def _enclosing_chain(region: str, scope: str) -> list[str]:
    """Where to look for a region's value of a target: the region itself, else the enclosing
    region at the target's scope, else any larger one."""
    enclosing = {"county": region, "city": regions.city_of(region), "province": regions.province_of(region),
                 "national": NATIONAL}
    if region == NATIONAL:
        return [NATIONAL]
    return list(dict.fromkeys([region, enclosing[scope], enclosing["city"], enclosing["province"], NATIONAL]))


def scorecard(table: pd.DataFrame, plan: Plan, region: str) -> pd.DataFrame:
    """One row per target for a region: its own value where the metric exists at its level, else
    the value of the smallest enclosing region that has it (e.g. a county shows its province's
    share of passing counties), with the counts of its counties per status."""
    counties = regions.within(table[table["level"] == "county"], region)
    rows = []
    for tg in plan.targets:
        mine = table[table["target_key"] == tg.key]
        row = None
        for code in _enclosing_chain(region, tg.scope):
            hit = mine[mine["adcode"] == code]
            if not hit.empty:
                row = hit.iloc[0].to_dict()
                break
        if row is None:
            row = {c: None for c in COLUMNS} | {"target_key": tg.key, "metric": tg.metric, "stage": tg.stage,
                                               "scope": tg.scope, "target_year": tg.year, "target": tg.value,
                                               "direction": tg.direction, "unit": tg.unit, "label_zh": tg.label_zh,
                                               "label_en": tg.label_en, "status": None}
        own = counties[counties["target_key"] == tg.key]
        for s in PROGRESS_STATUSES:
            row[f"counties_{s}"] = int((own["status"] == s).sum()) if regions.kind(region) != "county" else None
        rows.append(row)
    return pd.DataFrame(rows)


def ranking(table: pd.DataFrame, target_key: str, region: str) -> pd.DataFrame:
    """The region's counties for one target, furthest from the target first."""
    rows = regions.within(table[(table["level"] == "county") & (table["target_key"] == target_key)], region)
    sign = np.where(rows["direction"] == "<=", -1.0, 1.0)
    margin = sign * (rows["latest"] - rows["target"])  # below zero: short of the target
    return (rows.assign(_m=margin).sort_values("_m", na_position="last").drop(columns="_m")
            .reset_index(drop=True))


def series(values: pd.DataFrame, target: Target, region: str) -> pd.DataFrame:
    """Yearly values of a target's metric for the region and its peers (the province's counties,
    or the province's cities for province-level metrics; nationally the provinces, where the metric
    has them): columns adcode, level, year, value, selected."""
    v = values[(values["metric"] == target.metric) & (values["stage"] == target.stage)]
    levels = METRICS[target.metric].levels
    own = v.iloc[0:0]
    for code in _enclosing_chain(region, target.scope):  # a county looking at a province metric: its province
        own = v[v["adcode"] == code]
        if not own.empty:
            break
    province = regions.province_of(region)
    if region == NATIONAL and "province" in levels:  # 34 lines, not 2,875
        peer_level = "province"
    else:
        peer_level = "county" if "county" in levels else "city" if "city" in levels else "province"
    peers = regions.within(v[v["level"] == peer_level], province)
    out = pd.concat([peers.assign(selected=False), own.assign(selected=True)], ignore_index=True)
    return out[["adcode", "level", "year", "value", "selected"]]


def plan_progress(con: duckdb.DuckDBPyConnection, plan: Plan, as_of: int | None = None,
                  criteria=None, lang: str = "zh") -> pd.DataFrame:
    """Assess every year of the database and classify every region × target of a plan."""
    a = balance.assess(con, None, criteria)
    values = metric_values(con, a, balance.urban_rural_gaps(con, None, a.criteria))
    year = as_of or int(values["year"].max())
    return progress(values, plan, year, region_names(a, lang))


# --------------------------------------------------------------------------------------------
# Targets measured per county


def has_counties(target: Target) -> bool:
    """Whether a target's metric is measured per county (so it can be ranked and mapped)."""
    return "county" in METRICS[target.metric].levels
