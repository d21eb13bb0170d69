"""One county in depth: why it has its status, which schools hold it back, how it compares."""

from __future__ import annotations

from functools import lru_cache

import pandas as pd
import shapely

from analytics.assess.balance import OVERALL, RESOURCE_IDS, SCHOOL_STATES, Assessment, school_state
from analytics.assess.criteria import STAGES
from analytics.atlas import census, geo, places, regions
from analytics.core.classes import BELOW_FLOOR, BELOW_STANDARD, hex_colour
from analytics.core.i18n import kind_label, locale_label, percent, stage_label, status_label, t
from analytics.present.formats import SCHOOL_COUNT, format_value


def census_text(adcode: str, lang: str = "zh") -> str | None:
    """Real 2020 census context for a county (labelled as real, distinct from the school records),
    or None when the county's adcode is not in the census (changed since 2020)."""
    c = census.context(adcode)
    if c is None:
        return None
    return t("census_line", lang, population=c["population"], school_age=c["school_age"],
             population_wan=c["population"] / 1e4, school_age_wan=c["school_age"] / 1e4,
             urbanisation=c["urbanisation"], minority=c["minority_share"], schooling=c["schooling_years"],
             source=t("census_source", lang))


def county_rows(a: Assessment, adcode: str, year: int) -> pd.DataFrame:
    """The county's rows (primary, junior, all) for one year."""
    c = a.counties
    return c[(c["adcode"] == adcode) & (c["year"] == year)].reset_index(drop=True)


def _measure(unit: str, criterion: str) -> str:
    """The unit a criterion's value is shown in: an R criterion's value is its CV."""
    return "cv" if criterion in RESOURCE_IDS else unit


def format_pair(value: float, standard: float, unit: str, criterion: str = "") -> tuple[str, str]:
    """Value and standard as displayed, with more decimals where rounding would make a value that
    differs from its standard look equal to it (0.9978 against 1.00 is never shown as 1.00)."""
    shown, std = format_value(value, _measure(unit, criterion)), format_value(standard, _measure(unit, criterion))
    if pd.isna(value) or pd.isna(standard) or value == standard or shown != std:
        return shown, std
    scale, suffix = (100.0, "%") if unit == "%" else (1.0, "")
    for digits in range(3, 8):
        a, b = f"{value * scale:.{digits}f}{suffix}", f"{standard * scale:.{digits}f}{suffix}"
        if a != b:
            return a, b
    return shown, std


def format_gap(gap: float, unit: str, criterion: str = "") -> str:
    """A gap to the standard; never rounded to zero when there is one."""
    shown = format_value(gap, _measure(unit, criterion))
    if pd.isna(gap) or gap == 0 or any(ch not in "0.%-" for ch in shown):
        return shown
    scale, suffix = (100.0, "%") if unit == "%" else (1.0, "")
    for digits in range(3, 8):
        text = f"{gap * scale:.{digits}f}{suffix}"
        if any(ch not in "0.%-" for ch in text):
            return text
    return shown


SCHOOL_CHECKS = {"RS": "compliant", "G3": "g3_ok", "G4": "g4_ok", "G5": "g5_ok", "G6": "g6_ok", "Q4": "q4_ok"}


def schools_of(a: Assessment, adcode: str, year: int, stage: str) -> pd.DataFrame:
    """The county's school rows of a stage and year (all schools, assessed or not)."""
    s = a.schools
    return s[(s["adcode"] == adcode) & (s["year"] == year) & (s["stage"] == stage)]


def failing_criteria(a: Assessment, adcode: str, year: int, stage: str, lang: str = "zh") -> pd.DataFrame:
    """Failed criteria with value, standard and gap; R-rows name the schools below standard."""
    r = a.results
    stages = list(STAGES) if stage == OVERALL else [stage]
    f = r[(r["adcode"] == adcode) & (r["year"] == year) & (r["stage"].isin(stages + ["county"]))
          & r["counted"] & (r["passed"].fillna(True) == False)]  # noqa: E712
    schools = a.schools
    schools = schools[(schools["adcode"] == adcode) & (schools["year"] == year) & schools["eligible"]]
    rows = []
    for row in f.itertuples(index=False):
        missing = ""
        if row.criterion in RESOURCE_IDS:
            s = schools[(schools["stage"] == row.stage) & (schools[f"ratio_{row.criterion.lower()}"] < 1)]
            missing = "、".join(s.sort_values(f"ratio_{row.criterion.lower()}")["name"].head(8))
            if len(s) > 8:
                missing += f" …（{len(s)}）"
        elif row.criterion in SCHOOL_CHECKS:
            s = schools_of(a, adcode, year, row.stage)
            s = s[s[SCHOOL_CHECKS[row.criterion]] == False]  # noqa: E712
            missing = "、".join(s["name"].head(8))
            if len(s) > 8:
                missing += f" …（{len(s)}）"
        value, standard = format_pair(row.value, row.standard, row.unit, row.criterion)
        gap = format_gap(row.gap, row.unit, row.criterion)
        detail = row.detail_en if lang == "en" else row.detail
        if row.direction in ("is_true", "is_false") and pd.notna(row.value):
            value = t("yes", lang) if row.value else t("no", lang)
        if row.unit == SCHOOL_COUNT and pd.notna(row.value):  # a count of schools, said as one
            value, standard = t("n_schools_failing", lang, n=value), t("n_schools", lang, n=standard)
            gap = t("n_schools", lang, n=gap)
            extra = t("schools_failing_detail", lang, n=format_value(row.value, row.unit),
                      std=format_value(row.standard, row.unit))
            detail = f"{extra}；{detail}" if detail and lang == "zh" else f"{extra}; {detail}" if detail else extra
        rows.append({
            "criterion": row.criterion,
            t("col_criterion", lang): f"{row.criterion} " + (row.name_en if lang == "en" else row.name_zh),
            t("col_stage", lang): "" if row.stage == "county" else stage_label(row.stage, lang),
            t("col_value", lang): value,
            t("col_standard", lang): standard,
            t("col_gap", lang): gap,
            t("col_detail", lang): detail,
            t("col_schools_missing", lang): missing,
        })
    return pd.DataFrame(rows)


def completeness_text(row: pd.Series | dict, lang: str = "zh") -> str:
    """One line on how complete a county-stage's data is (counted criteria, schools)."""
    if row["missing"] == 0 and row["schools_missing_resource"] == 0 and row["schools_assessed"] > 0:
        return t("completeness_ok", lang)
    pct = percent
    return t("completeness_line", lang, with_data=int(row["criteria_counted"] - row["missing"]),
             counted=int(row["criteria_counted"]), cov_c=pct(row["coverage_criteria"]),
             complete=int(row["schools_assessed"] - row["schools_missing_resource"]),
             assessed=int(row["schools_assessed"]), cov_s=pct(row["coverage_schools"]))


def missing_criteria(a: Assessment, adcode: str, year: int, stage: str, lang: str = "zh") -> pd.DataFrame:
    """Counted criteria without data (what keeps the county at 数据不足), with what is missing."""
    r = a.results
    stages = list(STAGES) if stage == OVERALL else [stage]
    m = r[(r["adcode"] == adcode) & (r["year"] == year) & (r["stage"].isin(stages + ["county"]))
          & r["counted"] & r["passed"].isna()]
    return pd.DataFrame({
        "criterion": m["criterion"],
        t("col_criterion", lang): m["criterion"] + " " + (m["name_en"] if lang == "en" else m["name_zh"]),
        t("col_stage", lang): m["stage"].map(lambda x: "" if x == "county" else stage_label(x, lang)),
        t("col_detail", lang): [(de if lang == "en" else dz) or t("not_reported", lang)
                                for dz, de in zip(m["detail"], m["detail_en"])],
    }).reset_index(drop=True)


def schools_missing(a: Assessment, adcode: str, year: int, stage: str, lang: str = "zh") -> pd.DataFrame:
    """Assessed schools lacking some of R1–R7, with the indicators they lack."""
    s = a.schools
    stages = list(STAGES) if stage == OVERALL else [stage]
    s = s[(s["adcode"] == adcode) & (s["year"] == year) & s["stage"].isin(stages) & s["eligible"].fillna(False)]
    lacks = s[[f"r{i}" for i in range(1, 8)]].isna()
    s, lacks = s[lacks.any(axis=1)], lacks[lacks.any(axis=1)]
    return pd.DataFrame({
        "school_id": s["school_id"],
        t("col_school", lang): s["name"],
        t("col_stage", lang): s["stage"].map(lambda x: stage_label(x, lang)),
        t("col_missing_indicators", lang): [", ".join(f"R{i}" for i in range(1, 8) if row[f"r{i}"])
                                            for _, row in lacks.iterrows()],
    }).reset_index(drop=True)


def cv_table(a: Assessment, adcode: str, year: int, stage: str) -> pd.DataFrame:
    """The 7 CVs of a stage with their limits (stage 'all' shows both stages)."""
    r = a.results
    stages = list(STAGES) if stage == OVERALL else [stage]
    rows = r[(r["adcode"] == adcode) & (r["year"] == year) & r["criterion"].isin(RESOURCE_IDS)
             & r["stage"].isin(stages)]
    return rows[["criterion", "stage", "name_zh", "name_en", "value", "standard", "passed"]].reset_index(drop=True)


def school_table(a: Assessment, adcode: str, year: int, stage: str, lang: str = "zh") -> pd.DataFrame:
    """Every school of the county and stage with R1–R7, the share of each standard, and compliance."""
    s = a.schools
    stages = list(STAGES) if stage == OVERALL else [stage]
    s = s[(s["adcode"] == adcode) & (s["year"] == year) & s["stage"].isin(stages)]
    out = pd.DataFrame({
        "school_id": s["school_id"],
        t("col_school", lang): s["name"],
        t("col_kind", lang): s["kind"].map(lambda k: kind_label(k, lang)),
        t("col_stage", lang): s["stage"].map(lambda x: stage_label(x, lang)),
        t("col_locale", lang): s["locale"].map(lambda x: locale_label(x, lang)),
        t("col_students", lang): s["students"],
        **{f"R{i}": s[f"r{i}"].round(2) for i in range(1, 8)},
        **{f"ratio_r{i}": s[f"ratio_r{i}"] for i in range(1, 8)},
        t("col_met", lang): s["standards_met"],
        t("col_compliant", lang): [t(_COMPLIANCE_WORD[school_state(e, c)], lang)
                                   for e, c in zip(s["eligible"], s["compliant"])],
    })
    # non-compliant schools first, then those without data, compliant, not assessed; fewest met first
    order = [_COMPLIANCE_ORDER[school_state(e, c)] for e, c in zip(s["eligible"], s["compliant"])]
    return (out.assign(_order=order).sort_values(["_order", t("col_met", lang), t("col_students", lang)],
                                                 ascending=[True, True, False])
            .drop(columns="_order").reset_index(drop=True))


_COMPLIANCE_ORDER = {state: i for i, state in enumerate(SCHOOL_STATES)}
_COMPLIANCE_WORD = {"compliant": "yes", "noncompliant": "no", "no_data": "compliance_no_data",
                    "not_assessed": "not_assessed"}


def trend(a: Assessment, adcode: str) -> pd.DataFrame:
    """The county's status, failed count and composite CV per year and stage."""
    c = a.counties
    c = c[c["adcode"] == adcode]
    return c[["year", "stage", "status", "failed", "failed_criteria", "cv_composite", "noncompliant_schools"]] \
        .reset_index(drop=True)


def rank_in_province(a: Assessment, adcode: str, year: int, stage: str) -> dict[str, int]:
    """Rank by composite CV (1 = most balanced) and by failed criteria among the province's counties."""
    c = a.counties
    c = c[(c["year"] == year) & (c["stage"] == stage) & (c["province_adcode"] == regions.province_of(adcode))]
    cv_rank = c["cv_composite"].rank(method="min")
    failed_rank = c["failed"].rank(method="min")
    idx = c.index[c["adcode"] == adcode]
    if len(idx) == 0:
        return {"n": len(c), "rank": 0, "rank_failed": 0}
    i = idx[0]
    return {"n": len(c), "rank": int(cv_rank[i]) if pd.notna(cv_rank[i]) else 0, "rank_failed": int(failed_rank[i])}


@lru_cache(maxsize=8)
def _neighbour_index(province: str) -> dict[str, tuple[str, ...]]:
    """Counties of a province (and of the provinces around it) sharing a border line, not a point."""
    gdf = geo.load_layer("counties")
    inside = gdf[gdf["province_adcode"] == province]
    if inside.empty:
        return {}
    minx, miny, maxx, maxy = inside.total_bounds
    gdf = gdf.cx[minx:maxx, miny:maxy]
    geoms = gdf.geometry.values
    codes = gdf["adcode"].to_numpy()
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    pairs = [(i, j) for i, j in zip(left, right) if i < j]
    out: dict[str, list[str]] = {}
    for i, j in pairs:
        shared = shapely.intersection(geoms[i].boundary, geoms[j].boundary)
        if shared.length > 0:
            out.setdefault(codes[i], []).append(codes[j])
            out.setdefault(codes[j], []).append(codes[i])
    return {k: tuple(sorted(v)) for k, v in out.items()}


def neighbours(adcode: str) -> tuple[str, ...]:
    """Adcodes of the counties sharing a border with this one."""
    return _neighbour_index(regions.province_of(adcode)).get(adcode, ())


def neighbour_comparison(a: Assessment, adcode: str, year: int, stage: str, lang: str = "zh") -> pd.DataFrame:
    """The county and its neighbours side by side (neighbours outside the data are left out)."""
    c = a.counties
    codes = [adcode, *neighbours(adcode)]
    c = c[(c["year"] == year) & (c["stage"] == stage) & c["adcode"].isin(codes)]
    out = pd.DataFrame({
        "adcode": c["adcode"],
        t("col_county", lang): c["county_name"].map(lambda n: places.display_name(n, lang)),
        t("col_status", lang): c["status"].map(lambda s: status_label(s, lang)),
        t("col_failed", lang): c["failed"],
        t("col_cv_composite", lang): c["cv_composite"].round(3),
        t("col_noncompliant", lang): c["noncompliant_schools"],
    })
    out["_self"] = out["adcode"] != adcode
    return out.sort_values(["_self", t("col_failed", lang)]).drop(columns="_self").reset_index(drop=True)


def style_school_table(table: pd.DataFrame, floor_ratio: float):
    """Highlight each R value below its standard (pale red) and below the criteria file's floor
    (floor_ratio of the standard: red), so the colours follow a province's own rule."""

    def colour(col: pd.Series) -> list[str]:
        ratio = table[f"ratio_{col.name.lower()}"]
        return [f"background-color: {hex_colour(BELOW_FLOOR)}" if r < floor_ratio
                else f"background-color: {hex_colour(BELOW_STANDARD)}" if r < 1 else "" for r in ratio.fillna(1)]

    return table.style.apply(colour, subset=[f"R{i}" for i in range(1, 8)]).format(
        {f"R{i}": "{:.2f}" for i in range(1, 8)})
