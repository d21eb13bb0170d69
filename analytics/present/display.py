"""Model results as people read them: localised, formatted tables, labels and stylers for the
pages and downloads. The model modules (progress, gap) return codes and numbers; this module
turns them into words in the reader's language (strings from i18n), so no model module imports
a presentation module.
"""

from __future__ import annotations

import json

import pandas as pd

from analytics.assess import gap, progress
from analytics.assess.targets import Plan, Target
from analytics.atlas import places, regions
from analytics.core import cells, i18n
from analytics.core.classes import TARGET_PROGRESS, colours
from analytics.core.i18n import level_label, progress_label, stage_label, status_label, t
from analytics.present import maps
from analytics.present.formats import format_pace, format_target, format_value
from analytics.store import dictionary

# --------------------------------------------------------------------------------------------
# Targets and progress (analytics.assess.progress) as shown and downloaded


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
    return t("with_year", lang, v=format_value(value, unit, lang), year=int(year))


def scorecard_display(card: pd.DataFrame, region: str, lang: str = "zh") -> pd.DataFrame:
    """The scorecard as the page and the CSV show it: localized columns, formatted values; the
    `status` column is kept (untranslated) for colouring."""
    counts_shown = regions.kind(region) != "county"
    rows = []
    for r in card.to_dict("records"):
        label = of_stage(r["label_en"] if lang == "en" else r["label_zh"], r["stage"], lang)
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
    """A target's county ranking as shown and downloaded (keeps `status` for colouring). The
    progress word comes right after the name: in the page's narrow column the last columns
    scroll out of sight at 1024–1366 px, and it is what the ranking is read for."""
    return pd.DataFrame({
        t("col_name", lang): rank["name"],
        t("col_progress", lang): [progress_label(s, lang) for s in rank["status"]],
        t("col_latest", lang): [format_value(v, u, lang) for v, u in zip(rank["latest"], rank["unit"])],
        t("col_short", lang): [format_value(v, u, lang) if v and v > 0 else "—" for v, u in zip(rank["gap"], rank["unit"])],
        t("col_baseline", lang): [format_value(v, u, lang) for v, u in zip(rank["baseline"], rank["unit"])],
        t("col_projection", lang): [format_value(v, u, lang) for v, u in zip(rank["projection"], rank["unit"])],
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


# the scorecard's columns that fit beside the sidebar at 1024 px in a static table whose text
# wraps (the page shows the rest under "all figures"; the CSV has every column)
SCORECARD_SHORT = ("col_target", "col_progress", "col_latest", "col_target_value", "col_projection")


def scorecard_short(card: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """The scorecard's essential columns (target, progress word, latest, target, projection)."""
    return card[[t(k, lang) for k in SCORECARD_SHORT] + ["status"]]


def style_progress(frame: pd.DataFrame, lang: str = "zh"):
    """A display table without its `status` column, the progress column coloured by that status
    (pandas Styler)."""
    column = t("col_progress", lang)
    status = frame["status"]
    PROGRESS = colours(TARGET_PROGRESS)

    def paint(row: pd.Series) -> list[str]:
        r, g, b = PROGRESS.get(status[row.name], PROGRESS["no_data"])
        ink = "#fff" if status[row.name] in ("achieved", "off_track") else "#222"
        return [f"background-color: rgb({r},{g},{b}); color: {ink}" if c == column else "" for c in row.index]

    return frame.drop(columns="status").style.apply(paint, axis=1)


def without_blank_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """The table as a page shows it: a column with nothing in any row is left out (the failing
    criteria's 说明 holds text for RS only; an empty column costs a narrow page its width)."""
    blank = [c for c in frame.columns if frame[c].map(lambda v: v is None or (isinstance(v, float) and pd.isna(v))
                                                      or (isinstance(v, str) and not v.strip())).all()]
    return frame.drop(columns=blank)


def format_target_label(target: Target, lang: str = "zh") -> str:
    """'教师县域内交流轮岗比例 ≥ 20.0%（2026）': how a target is named in pickers and map titles."""
    return f"{of_stage(target.label(lang), target.stage, lang)} " \
        f"{format_target(target.direction, target.value, target.unit, target.year, lang)}"


def of_stage(label: str, stage: str, lang: str = "zh") -> str:
    """A target's or metric's label with its stage when it is one stage only: '…（小学）'."""
    return label if stage == "all" else t("in_parens", lang, v=label, what=stage_label(stage, lang))


# --------------------------------------------------------------------------------------------
# The gap plan (analytics.assess.gap) as shown and downloaded


def criteria_named(codes: str, criteria, lang: str = "zh") -> str:
    """A gap plan's list of criterion codes ('G1,S1') with their names, in the reader's language."""
    return t("list_sep", lang).join(f"{c} {criteria[c].name_en if lang == 'en' else criteria[c].name_zh}"
                                    for c in codes.split(","))


def criteria_used(lists, criteria) -> list:
    """The criteria whose codes appear in some lists of codes ('R5·primary, G14'), each once, in
    the criteria file's order."""
    used = {code.partition("·")[0].strip() for codes in lists if isinstance(codes, str) and codes
            for code in codes.replace(",", ", ").split(", ") if code.strip()}
    return [c for c in criteria.items if c.id in used]


def criteria_key(lists, criteria, lang: str = "zh") -> str:
    """The key to the criterion codes of some lists of codes: each with its name, in one line —
    shown under a table of codes."""
    named = [f"{c.id} {c.name_en if lang == 'en' else c.name_zh}" for c in criteria_used(lists, criteria)]
    return t("criteria_key", lang, items=t("list_sep", lang).join(named)) if named else ""


def _figure(v: float) -> str:
    """Three significant figures (2.11, 23.1, 231, 2,310): short enough for a metric tile."""
    return f"{v:,.2f}" if abs(v) < 10 else f"{v:,.1f}" if abs(v) < 100 else f"{v:,.0f}"


def money(yuan: float, lang: str) -> str:
    """A cost as planners write it: 万元, or 亿元 from 100 million, in Chinese; yuan, million or
    billion yuan in English (large amounts to three figures: they fit a metric tile nationally)."""
    if yuan >= 1e8 and lang != "en":
        return t("yi_yuan", lang, v=_figure(yuan / 1e8))
    if yuan >= 1e9 and lang == "en":
        return t("billion_yuan", lang, v=_figure(yuan / 1e9))
    if yuan >= 1e6 and lang == "en":
        return t("million_yuan", lang, v=_figure(yuan / 1e6))
    if lang == "en":
        return t("unit_yuan", lang, v=f"{yuan:,.0f}")
    return t("wan_yuan", lang, v=f"{yuan / 1e4:,.1f}")


def area(m2: float, lang: str) -> str:
    """A floor area: m², or 万m² from 10,000 m² in Chinese and million m² from 1,000,000 in
    English (to three figures, like money)."""
    if m2 >= 1e4 and lang != "en":
        return t("wan_m2", lang, v=_figure(m2 / 1e4))
    if m2 >= 1e6 and lang == "en":
        return t("million_m2", lang, v=_figure(m2 / 1e6))
    return t("unit_m2", lang, v=f"{m2:,.0f}")


def gap_needs_text(row: pd.Series | dict, costs: gap.UnitCosts, lang: str = "zh") -> str:
    """What a county (or stage) needs, in one plain sentence."""
    parts = []
    if row["teachers_hire"]:
        parts.append(t("need_hire", lang, n=int(row["teachers_hire"]), backbone=int(row["hire_backbone"]),
                       pe_arts=int(row["hire_pe_arts"]), regular=int(row["hire_regular"])))
    if row["teachers_rotate"]:
        parts.append(t("need_rotate", lang, n=int(row["teachers_rotate"])))
    if row["area_m2"] > 0:
        parts.append(t("need_area", lang, m2=f"{row['area_m2']:,.0f}"))
    if row["sports_m2"] > 0:
        parts.append(t("need_sports", lang, m2=f"{row['sports_m2']:,.0f}"))
    if row["equipment_yuan"] > 0:
        parts.append(t("need_equipment", lang, cost=money(row["equipment_yuan"], lang)))
    if row["multimedia_rooms"]:
        parts.append(t("need_rooms", lang, n=int(row["multimedia_rooms"])))
    lacking = int(row.get("schools_missing_data", 0) or 0)
    lacking_text = t("need_lacking", lang, n=lacking) if lacking else ""
    if not parts:
        return lacking_text or t("need_nothing", lang)
    return t("need_total", lang, parts=t("list_sep", lang).join(parts), cost=money(row["cost_yuan"], lang),
             years=costs.years, note=t("need_also", lang, text=lacking_text) if lacking else "")


def _gap_columns(frame: pd.DataFrame, columns: dict[str, dict[str, str]], lang: str) -> pd.DataFrame:
    """A gap table's columns of `columns` (i18n tables), rounded as planners read them, labelled."""
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
        out["would_pass"] = out["would_pass"].map({True: t("yes", lang), False: t("no", lang)})
    for col in ("county_name", "city_name"):
        if col in out:
            out[col] = out[col].map(lambda n: places.display_name(n, lang))
    return out.rename(columns={c: v[lang] for c, v in columns.items()})


def gap_county_table(counties: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """Counties ranked by cost, for the page and downloads (keeps adcode)."""
    c = counties.sort_values("cost_yuan", ascending=False)
    return pd.concat([c[["adcode"]].reset_index(drop=True),
                      _gap_columns(c, i18n.GAP_COUNTY_COLUMNS, lang).reset_index(drop=True)], axis=1)


def gap_school_table(records: pd.DataFrame, adcode: str, lang: str = "zh") -> pd.DataFrame:
    """A county's plan school by school (schools with something to do first)."""
    r = records[records["adcode"] == adcode].copy()
    r["_busy"] = (r["cost_yuan"] > 0) | (r["teachers_rotate_out"] > 0)
    r = r.sort_values(["_busy", "cost_yuan"], ascending=[False, False])
    return pd.concat([r[["school_id"]].reset_index(drop=True),
                      _gap_columns(r, i18n.GAP_SCHOOL_COLUMNS, lang).reset_index(drop=True)], axis=1)


def gap_sheets(plan: gap.GapPlan, region: str, lang: str = "zh", synthetic_note: str = "",
               source: str = "", region_name: str = "") -> tuple[dict[str, tuple[pd.DataFrame, str]], list[str]]:
    """The plan of a region as titled tables in the reader's language — counties, counties ×
    stages, schools, rotations, unit costs — and the notes printed under each (source, cost note,
    demo-data mark). reports.gap_workbook writes them."""
    codes_of = i18n.GAP_CODE_COLUMNS
    counties = regions.within(plan.counties, region)
    codes = set(counties["adcode"])
    records = plan.records[plan.records["adcode"].isin(codes)]
    schools = pd.concat([_gap_columns(records, {k: codes_of[k] for k in ("adcode", "school_id")}, lang)
                         .reset_index(drop=True),
                         _gap_columns(records, i18n.GAP_SCHOOL_COLUMNS, lang).reset_index(drop=True)], axis=1)
    moves = _gap_columns(plan.moves[plan.moves["adcode"].isin(codes)], i18n.GAP_ROTATION_COLUMNS, lang)
    labels = i18n.GAP_COST_LABELS
    costs = pd.DataFrame({t("col_item", lang): [labels[k][lang] for k in labels],
                          t("col_unit_cost", lang): [plan.costs.__dict__[k] for k in labels]})
    where = f"{region_name} " if region_name else ""
    by_stage = {"adcode": codes_of["adcode"], **i18n.GAP_COUNTY_COLUMNS, "stage": codes_of["stage"]}
    sheets = {
        "counties": gap_county_table(counties, lang).rename(columns={"adcode": codes_of["adcode"][lang]}),
        "stages": _gap_columns(regions.within(plan.stages, region), by_stage, lang),
        "schools": schools,
        "rotations": moves,
        "costs": costs,
    }
    notes = [n for n in (synthetic_note, source, plan.costs.note_en if lang == "en" else plan.costs.note_zh) if n]
    named = {i18n.GAP_SHEETS[k][lang]: frame for k, frame in sheets.items()}
    return ({name: (frame, t("gap_sheet_title", lang, where=where, year=plan.year, what=name))
             for name, frame in named.items()}, notes)


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
    items[0] = (items[0][0], t("nothing_to_add", lang))
    return items



# --------------------------------------------------------------------------------------------
# Imports (analytics.ingest.importer) as shown and downloaded


def problems_table(problems: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """An import's problem list (file, sheet, row, column, value, problem) in the reader's language."""
    problem = "problem_en" if lang == "en" else "problem_zh"
    columns = {c: t(f"data_col_{c}", lang) for c in ("file", "sheet", "row", "column", "value")}
    columns[problem] = t("data_col_problem", lang)
    return problems[list(columns)].rename(columns=columns)


def problems_csv(problems: pd.DataFrame, lang: str = "zh") -> bytes:
    """The problem list as a CSV for Excel (UTF-8 with BOM); values echo the files, made inert."""
    return cells.csv_bytes(problems_table(problems, lang))


def import_history(meta: dict[str, str], lang: str = "zh") -> pd.DataFrame:
    """Every file of every import logged in the database's metadata, newest first (empty if none)."""
    log = json.loads(meta.get("import_log", "[]"))
    return pd.DataFrame([{t("data_col_time", lang): e["time"], t("data_col_mode", lang): e["mode"],
                          t("data_col_file", lang): f["name"], "KB": round(f["size"] / 1024),
                          "SHA-256": f["sha256"][:16]} for e in reversed(log) for f in e["files"]])


def replaced_years(replaced: dict[str, list[int]], lang: str = "zh") -> str:
    """The years an import replaced, table by table ("教师 2024；县域年度指标 2023、2024")."""
    tables = dictionary.load()
    sep, join = ("；", "、") if lang == "zh" else ("; ", ", ")
    return sep.join(f"{tables[name].zh if lang == 'zh' else name} {join.join(map(str, years))}"
                    for name, years in replaced.items()) or "—"
