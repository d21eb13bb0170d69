"""Model results as people read them: localised, formatted tables, labels and stylers for the
pages and downloads. The model modules (progress, gap) return codes and numbers; this module
turns them into words in the reader's language (strings from i18n), so no model module imports
a presentation module.
"""

from __future__ import annotations

import pandas as pd

from analytics import gap, maps, progress, regions, reports
from analytics.i18n import level_label, progress_label, stage_label, status_label, t
from analytics.targets import Plan, Target


# --------------------------------------------------------------------------------------------
# Targets and progress (analytics.progress) as shown and downloaded


def format_value(value, unit: str, lang: str = "zh") -> str:
    """A metric value in its unit: shares as %, percentage points, hours, multiples, CVs."""
    if value is None or pd.isna(value):
        return "—"
    v = float(value)
    zh = lang != "en"
    if unit == "%":
        return f"{v:.1%}"
    if unit == "pp":
        return f"{v * 100:.1f} 个百分点" if zh else f"{v * 100:.1f} pp"
    if unit == "h":
        return f"{v:.1f} 学时" if zh else f"{v:.1f} h"
    if unit == "×":
        return f"{v:.2f} 倍" if zh else f"{v:.2f}×"
    if unit == "yuan":
        return f"{v:,.0f} 元" if zh else f"{v:,.0f} yuan"
    if unit == "ratio":
        return f"{v:.1f} : 1"
    return f"{v:.3f}"


def format_pace(pace, unit: str, lang: str = "zh") -> str:
    """Change per year; shares move in percentage points."""
    if pace is None or pd.isna(pace):
        return "—"
    p = float(pace)
    per = "/年" if lang != "en" else "/yr"
    if unit in ("%", "pp"):
        return f"{p * 100:+.1f} " + ("个百分点" if lang != "en" else "pp") + per
    if unit in ("h", "ratio"):
        return f"{p:+.1f}" + (" 学时" if unit == "h" and lang != "en" else " h" if unit == "h" else "") + per
    return f"{p:+.3f}{per}"


def format_target(direction: str, value: float, unit: str, year: int, lang: str = "zh") -> str:
    sign = "≥" if direction == ">=" else "≤"
    return f"{sign} {format_value(value, unit, lang)}（{year}）" if lang != "en" else \
        f"{sign} {format_value(value, unit, lang)} ({year})"


def trajectory(values: pd.DataFrame, table: pd.DataFrame, plan: Plan, metric: str, stage: str, region: str,
               as_of: int, lang: str = "zh") -> dict[str, pd.DataFrame]:
    """What a progress chart draws for one metric of a plan (all its milestones) and a region:
    series up to the as-of year (peers and the region), milestones, required path, projection."""
    ts = sorted((t for t in plan.targets if t.metric == metric and t.stage == stage), key=lambda t: t.year)
    data = progress.series(values, ts[0], region)
    data = data[data["year"] <= as_of]
    shown = data.loc[data["selected"], "adcode"]
    code = shown.iloc[0] if not shown.empty else region
    rows = table[(table["adcode"] == code) & table["target_key"].isin([t.key for t in ts])].set_index("target_key")
    milestones = pd.DataFrame([{"year": t.year, "value": t.value,
                                "label": format_target(t.direction, t.value, t.unit, t.year, lang)} for t in ts])
    path = pd.DataFrame(columns=["year", "value"])
    projection = pd.DataFrame(columns=["year", "value"])
    if not rows.empty and pd.notna(rows["baseline"].iloc[0]):
        first = rows.iloc[0]
        b = float(first["baseline"])
        # the required path leads to the milestones the baseline does not already meet
        ahead = [t for t in ts if (t.value - b) * (1 if t.direction == ">=" else -1) > 0]
        if ahead:
            path = pd.DataFrame([{"year": int(first["baseline_year"]), "value": b}]
                                + [{"year": t.year, "value": t.value} for t in ahead])
        last = rows.loc[ts[-1].key] if ts[-1].key in rows.index else None
        if last is not None and pd.notna(last["projection"]) and int(last["latest_year"]) < ts[-1].year:
            projection = pd.DataFrame([{"year": int(last["latest_year"]), "value": float(last["latest"])},
                                       {"year": ts[-1].year, "value": float(last["projection"])}])
    return {"series": data, "milestones": milestones, "path": path, "projection": projection, "region": code}


def _with_year(value, year, unit: str, lang: str) -> str:
    if value is None or pd.isna(value):
        return "—"
    return f"{format_value(value, unit, lang)}（{int(year)}）" if lang != "en" else \
        f"{format_value(value, unit, lang)} ({int(year)})"


def scorecard_display(card: pd.DataFrame, region: str, lang: str = "zh") -> pd.DataFrame:
    """The scorecard as the page and the CSV show it: localized columns, formatted values; the
    `status` column is kept (untranslated) for colouring."""
    counts_shown = regions.kind(region) != "county"
    rows = []
    for r in card.to_dict("records"):
        label = r["label_en"] if lang == "en" else r["label_zh"]
        if r["stage"] != "all":
            label += f"（{stage_label(r['stage'], lang)}）"
        measured = t("county_level_only", lang)
        if isinstance(r.get("level"), str):
            colon = ": " if lang == "en" else "："
            measured = level_label(r["level"], lang) + ("" if r["adcode"] == region else f"{colon}{r['name']}")
        row = {
            t("col_target", lang): label,
            t("col_progress", lang): progress_label(r["status"], lang) if isinstance(r["status"], str) else "—",
            t("col_latest", lang): _with_year(r["latest"], r["latest_year"], r["unit"], lang),
            t("col_target_value", lang): format_target(r["direction"], r["target"], r["unit"], r["target_year"], lang),
            t("col_baseline", lang): _with_year(r["baseline"], r["baseline_year"], r["unit"], lang),
            t("col_projection", lang): format_value(r["projection"], r["unit"], lang),
            t("col_required_pace", lang): format_pace(r["required_pace"], r["unit"], lang),
            t("col_observed_pace", lang): format_pace(r["observed_pace"], r["unit"], lang),
            t("col_measured_at", lang): measured,
        }
        if counts_shown:
            row[t("col_county_statuses", lang)] = " · ".join(
                f"{progress_label(s, lang)} {r[f'counties_{s}']}" for s in progress.PROGRESS_STATUSES if r[f"counties_{s}"])
        row["status"] = r["status"] if isinstance(r["status"], str) else "no_data"
        rows.append(row)
    return pd.DataFrame(rows)


def ranking_display(rank: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """A target's county ranking as shown and downloaded (keeps `status` for colouring)."""
    return pd.DataFrame({
        t("col_name", lang): rank["name"],
        t("col_baseline", lang): [format_value(v, u, lang) for v, u in zip(rank["baseline"], rank["unit"])],
        t("col_latest", lang): [format_value(v, u, lang) for v, u in zip(rank["latest"], rank["unit"])],
        t("col_short", lang): [format_value(v, u, lang) if v and v > 0 else "—" for v, u in zip(rank["gap"], rank["unit"])],
        t("col_projection", lang): [format_value(v, u, lang) for v, u in zip(rank["projection"], rank["unit"])],
        t("col_progress", lang): [progress_label(s, lang) for s in rank["status"]],
        "status": rank["status"],
        "adcode": rank["adcode"],
    })


def progress_map_values(table: pd.DataFrame, target_key: str, region: str, unit: str, lang: str = "zh") -> pd.DataFrame:
    """Counties of a region coloured by their progress on one target, with tooltip lines."""
    rows = regions.within(table[(table["level"] == "county") & (table["target_key"] == target_key)], region)
    tips = [[f"{t('col_progress', lang)}：{progress_label(s, lang)}",
             f"{t('col_latest', lang)}：{format_value(v, unit, lang)}",
             f"{t('col_target_value', lang)}：{format_target(d, tv, unit, y, lang)}"]
            for s, v, d, tv, y in zip(rows["status"], rows["latest"], rows["direction"], rows["target"],
                                      rows["target_year"])]
    return pd.DataFrame({"adcode": rows["adcode"].to_numpy(), "status": rows["status"].to_numpy(),
                         "value": rows["latest"].to_numpy(), "tip": tips})


def style_progress(frame: pd.DataFrame, lang: str = "zh"):
    """Colour a display table's progress column by its status (pandas Styler)."""
    column = t("col_progress", lang)

    def paint(row: pd.Series) -> list[str]:
        r, g, b = maps.PROGRESS_COLORS.get(row["status"], (200, 200, 200))
        ink = "#fff" if row["status"] in ("achieved", "off_track") else "#222"
        return [f"background-color: rgb({r},{g},{b}); color: {ink}" if c == column else "" for c in row.index]

    return frame.style.apply(paint, axis=1)


def format_target_label(target: Target, lang: str = "zh") -> str:
    """'教师县域内交流轮岗比例 ≥ 20.0%（2026）': how a target is named in pickers and map titles."""
    stage = "" if target.stage == "all" else f"（{stage_label(target.stage, lang)}）"
    return f"{target.label(lang)}{stage} {format_target(target.direction, target.value, target.unit, target.year, lang)}"


# --------------------------------------------------------------------------------------------
# The gap plan (analytics.gap) as shown and downloaded


def _wan(yuan: float) -> str:
    return f"{yuan / 1e4:,.1f} 万元"


def gap_needs_text(row: pd.Series | dict, costs: gap.UnitCosts, lang: str = "zh") -> str:
    """What a county (or stage) needs, in one plain sentence."""
    zh = lang != "en"
    parts = []
    if row["teachers_hire"]:
        parts.append(f"新聘教师 {int(row['teachers_hire'])} 人（骨干 {int(row['hire_backbone'])}、体艺 "
                     f"{int(row['hire_pe_arts'])}、其他 {int(row['hire_regular'])}）" if zh else
                     f"hire {int(row['teachers_hire'])} teachers ({int(row['hire_backbone'])} backbone, "
                     f"{int(row['hire_pe_arts'])} PE/arts, {int(row['hire_regular'])} other)")
    if row["teachers_rotate"]:
        parts.append(f"县内交流轮岗 {int(row['teachers_rotate'])} 人" if zh else f"rotate {int(row['teachers_rotate'])} teachers")
    if row["area_m2"] > 0:
        parts.append(f"新建教学及辅助用房 {row['area_m2']:,.0f} m²" if zh else f"build {row['area_m2']:,.0f} m² of teaching space")
    if row["sports_m2"] > 0:
        parts.append(f"新增体育场地 {row['sports_m2']:,.0f} m²" if zh else f"add {row['sports_m2']:,.0f} m² of sports ground")
    if row["equipment_yuan"] > 0:
        parts.append(f"购置教学仪器设备 {_wan(row['equipment_yuan'])}" if zh else
                     f"buy {row['equipment_yuan']:,.0f} yuan of equipment")
    if row["multimedia_rooms"]:
        parts.append(f"新建网络多媒体教室 {int(row['multimedia_rooms'])} 间" if zh else
                     f"equip {int(row['multimedia_rooms'])} multimedia classrooms")
    lacking = int(row.get("schools_missing_data", 0) or 0)
    note = ""
    if lacking:
        note = (f"另有 {lacking} 所学校缺资源数据，未测算（费用未知，补齐数据后重算）。" if zh else
                f" {lacking} school(s) lack resource data and are not planned for (cost unknown until reported).")
    if not parts:
        if lacking:
            return note.removeprefix("另有 ") if zh else note.strip()
        return "资源配置已达标，无需新增。" if zh else "The resource part already passes: nothing to add."
    cost = row["cost_yuan"]
    if zh:
        return "需要" + "、".join(parts) + f"；合计约 {_wan(cost)}（人员费用按 {costs.years} 年计）。" + note
    return "Needs: " + "; ".join(parts) + f". Total about {cost:,.0f} yuan (staff costs over {costs.years} years)." + note


COUNTY_COLUMNS = {
    "county_name": ("县（区）", "County"), "city_name": ("市（州）", "Prefecture"),
    "status_before": ("当前状态", "Status now"), "teachers_hire": ("新聘教师", "Hire"),
    "teachers_rotate": ("交流轮岗", "Rotate"), "area_m2": ("教学用房 m²", "Teaching m²"),
    "sports_m2": ("体育场地 m²", "Sports m²"), "equipment_yuan": ("仪器设备 元", "Equipment yuan"),
    "multimedia_rooms": ("多媒体教室", "Multimedia rooms"), "cost_yuan": ("总成本 万元", "Cost (10k yuan)"),
    "cost_per_pupil": ("生均 元", "Per pupil yuan"), "unfixable": ("需政策措施的未达标项", "Not fixable by resources"),
    "missing_criteria": ("缺数据的计分指标", "Counted criteria without data"),
    "schools_missing_data": ("缺资源数据学校（未测算）", "Schools lacking data (not planned)"),
    "would_pass": ("投入后可达标", "Passes if funded"),
}

SCHOOL_COLUMNS = {
    "name": ("学校", "School"), "stage": ("学段", "Stage"), "students": ("学生", "Pupils"),
    "hire_backbone": ("新聘骨干", "Hire backbone"), "hire_pe_arts": ("新聘体艺", "Hire PE/arts"),
    "hire_regular": ("新聘其他", "Hire other"), "teachers_rotate_in": ("轮岗调入", "Rotate in"),
    "teachers_rotate_out": ("轮岗调出", "Rotate out"), "area_m2": ("教学用房 m²", "Teaching m²"),
    "sports_m2": ("体育场地 m²", "Sports m²"), "equipment_yuan": ("仪器设备 元", "Equipment yuan"),
    "multimedia_rooms": ("多媒体教室", "Multimedia rooms"), "cost_yuan": ("成本 万元", "Cost (10k yuan)"),
    "missing_indicators": ("缺数据（未测算）", "Missing data (not planned)"),
}


def _gap_columns(frame: pd.DataFrame, columns: dict, lang: str) -> pd.DataFrame:
    out = frame[[c for c in columns if c in frame.columns]].copy()
    if "cost_yuan" in out:
        out["cost_yuan"] = (out["cost_yuan"] / 1e4).round(1)
    for col in ("area_m2", "sports_m2", "equipment_yuan", "cost_per_pupil"):
        if col in out:
            out[col] = out[col].round(0)
    for col in ("hire_backbone", "hire_pe_arts", "hire_regular", "teachers_hire", "teachers_rotate",
                "teachers_rotate_in", "teachers_rotate_out", "multimedia_rooms"):
        if col in out:
            out[col] = out[col].round().astype(int)
    if "status_before" in out:
        out["status_before"] = out["status_before"].map(lambda s: status_label(s, lang) if isinstance(s, str) else "—")
    if "stage" in out:
        out["stage"] = out["stage"].map(lambda s: stage_label(s, lang))
    if "would_pass" in out:
        yes, no = ("是", "否") if lang != "en" else ("yes", "no")
        out["would_pass"] = out["would_pass"].map({True: yes, False: no})
    i = 1 if lang == "en" else 0
    return out.rename(columns={c: v[i] for c, v in columns.items()})


def gap_county_table(counties: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """Counties ranked by cost, for the page and downloads (keeps adcode)."""
    c = counties.sort_values("cost_yuan", ascending=False)
    return pd.concat([c[["adcode"]].reset_index(drop=True),
                      _gap_columns(c, COUNTY_COLUMNS, lang).reset_index(drop=True)], axis=1)


def gap_school_table(records: pd.DataFrame, adcode: str, lang: str = "zh") -> pd.DataFrame:
    """A county's plan school by school (schools with something to do first)."""
    r = records[records["adcode"] == adcode].copy()
    r["_busy"] = (r["cost_yuan"] > 0) | (r["teachers_rotate_out"] > 0)
    r = r.sort_values(["_busy", "cost_yuan"], ascending=[False, False])
    return pd.concat([r[["school_id"]].reset_index(drop=True),
                      _gap_columns(r, SCHOOL_COLUMNS, lang).reset_index(drop=True)], axis=1)


ROTATION_COLUMNS = {
    "adcode": ("行政区划代码", "adcode"), "stage": ("学段", "Stage"), "n": ("人数", "Teachers"),
    "from_school": ("调出学校代码", "From school (id)"), "to_school": ("调入学校代码", "To school (id)"),
    "degree": ("其中：高于规定学历", "Of whom above the required degree"),
    "backbone": ("其中：县级以上骨干", "Of whom backbone"), "pe_arts": ("其中：体育艺术", "Of whom PE/arts"),
}
COST_LABELS = {
    "teaching_area_per_m2": ("教学及辅助用房（元/m²）", "Teaching floor area (yuan/m²)"),
    "sports_area_per_m2": ("体育运动场馆（元/m²）", "Sports ground (yuan/m²)"),
    "multimedia_room": ("网络多媒体教室（元/间）", "Multimedia classroom (yuan each)"),
    "equipment_per_yuan": ("教学仪器设备（元/元）", "Equipment (yuan per yuan)"),
    "hire_regular_per_year": ("新聘教师（元/人·年）", "New teacher (yuan per year)"),
    "hire_backbone_per_year": ("新聘骨干教师（元/人·年）", "New backbone teacher (yuan per year)"),
    "hire_pe_arts_per_year": ("新聘体育艺术教师（元/人·年）", "New PE/arts teacher (yuan per year)"),
    "rotate_per_year": ("交流轮岗补助（元/人·年）", "Rotation allowance (yuan per year)"),
    "years": ("测算年限（年）", "Years costed"),
}


def gap_workbook(plan: gap.GapPlan, region: str, lang: str = "zh", synthetic_note: str = "",
                source: str = "", region_name: str = "") -> bytes:
    """The plan of a region as an official-style workbook: counties, counties × stages, schools,
    rotations, unit costs; Chinese headers with units, a title, a frozen header, A4 print setup,
    and the source, cost note and demo-data mark under every table."""
    i = 1 if lang == "en" else 0
    counties = regions.within(plan.counties, region)
    codes = set(counties["adcode"])
    records = plan.records[plan.records["adcode"].isin(codes)]
    schools = pd.concat([_gap_columns(records, {"adcode": ("行政区划代码", "adcode"),
                                            "school_id": ("学校代码", "School id")}, lang).reset_index(drop=True),
                         _gap_columns(records, SCHOOL_COLUMNS, lang).reset_index(drop=True)], axis=1)
    moves = _gap_columns(plan.moves[plan.moves["adcode"].isin(codes)], ROTATION_COLUMNS, lang)
    costs = pd.DataFrame({("项目", "Item")[i]: [COST_LABELS[k][i] for k in COST_LABELS],
                          ("单价", "Unit cost")[i]: [plan.costs.__dict__[k] for k in COST_LABELS]})
    year = plan.year
    where = f"{region_name} " if region_name else ""
    titles = ("{where}{year}年 优质均衡缺口测算：{what}", "{where}{year} gap to quality balance: {what}")[i]
    sheets = {
        ("县（区）", "Counties"): gap_county_table(counties, lang).rename(columns={"adcode": ("行政区划代码", "adcode")[i]}),
        ("县（区）×学段", "Counties by stage"): _gap_columns(regions.within(plan.stages, region), {
            "adcode": ("行政区划代码", "adcode"), **COUNTY_COLUMNS, "stage": ("学段", "Stage")}, lang),
        ("学校", "Schools"): schools,
        ("交流轮岗", "Rotations"): moves,
        ("单位成本", "Unit costs"): costs,
    }
    notes = [n for n in (synthetic_note, source, plan.costs.note_en if lang == "en" else plan.costs.note_zh) if n]
    return reports.table_workbook(
        {names[i]: (frame, titles.format(where=where, year=year, what=names[i])) for names, frame in sheets.items()},
        notes)


def cost_breaks(values: pd.Series) -> list[float]:
    """Map classes for costs: nothing to add is a class of its own, the rest by quantiles."""
    positive = values[values > 0]
    if positive.empty:
        return []
    return sorted({float(positive.min()) * (1 - 1e-9), *[b for b in maps.class_breaks(positive, 4) if b > positive.min()]})


def cost_legend(metric, breaks: list[float], lang: str = "zh") -> list:
    """The map legend of cost_breaks: the first class reads 'nothing to add' (with no breaks at
    all, every county has nothing to add)."""
    items = maps.legend_items(metric, breaks, lang)
    items[0] = (items[0][0], "0（无需新增）" if lang != "en" else "0 (nothing to add)")
    return items
