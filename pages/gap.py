"""Gap calculator: what each county needs for the resource part to pass, what it costs, and
which counties a budget would bring to 达标."""

from __future__ import annotations

import streamlit as st

from analytics.assess import gap, metrics
from analytics.atlas import regions
from analytics.core.i18n import gap_spare, plain, t
from analytics.export import reports
from analytics.present import display, geometry, maps
from pages.ui import common

path, version = common.shell()
lang = common.lang()
view = common.view()
names = common.region_names(path, version, lang)
region = view.region
cr = common.criteria()


@st.cache_data(show_spinner=False, max_entries=8)
def plan_for(path: str, version: float, year: int, rules: str) -> gap.GapPlan:
    """The plan for one year (every county of the database)."""
    return gap.make_plan(common.cursor(path, version), year, common.criteria(rules), gap.load_costs())


@st.cache_data(show_spinner=False, max_entries=50)
def cost_layer(path: str, version: float, year: int, region: str, per_pupil: bool, language: str, rules: str):
    counties = regions.within(plan_for(path, version, year, rules).counties, region)
    column = "cost_per_pupil" if per_pupil else "cost_yuan"
    label = t("gap_cost_per_pupil" if per_pupil else "gap_cost", language)
    metric = metrics.Metric(column, label, label, "continuous", "low", "{:,.0f}")
    value = counties[column] / (1 if per_pupil else 1e4)
    tips = [[t("labelled", language, label=label, text=f"{v:,.0f}"),
             t("labelled", language, label=t("gap_pass_funded", language), text=t("yes" if w else "no", language))]
            for v, w in zip(value, counties["would_pass"])]
    values = counties.assign(value=value.to_numpy(), status=counties["status_before"], tip=tips)
    breaks = display.cost_breaks(values["value"])
    data, breaks = maps.county_data(region, values[["adcode", "status", "value", "tip"]], metric, language, breaks)
    return data, breaks, metric


with st.spinner(t("gap_computing", lang)):  # nationally the first plan of a year takes ~10 s
    plan = plan_for(path, version, view.year, view.rules)
counties = regions.within(plan.counties, region)
st.title(t("gap_title", lang, region=plain(names.get(region, region)), year=view.year))
st.caption(t("gap_method", lang, spare=gap_spare(cr, lang)))
st.caption(plan.costs.note_en if lang == "en" else plan.costs.note_zh)  # the note names itself ("单位成本为…")
if counties.empty:  # no school with pupils here this year: nothing to price, not a cost of zero
    st.info(t("gap_nothing_to_plan", lang, year=view.year))
    common.finish()
    st.stop()

total = counties[gap.TOTAL_COLUMNS].sum()
m = st.columns(5)
m[0].metric(t("gap_total_cost", lang), display.money(total["cost_yuan"], lang))
m[1].metric(t("gap_hire", lang), f"{int(total['teachers_hire']):,}")
m[2].metric(t("gap_rotate", lang), f"{int(total['teachers_rotate']):,}")
m[3].metric(t("gap_area", lang), display.area(total["area_m2"], lang))
m[4].metric(t("gap_pass_funded", lang), f"{int(counties['would_pass'].sum())} / {len(counties)}",
            delta=f"{t('gap_pass_now', lang)} {int((counties['status_before'] == 'pass').sum())}", delta_color="off")

per_pupil = st.radio(t("gap_map_metric", lang), [False, True], horizontal=True, key="gap_per_pupil",
                     format_func=lambda p: t("gap_cost_per_pupil" if p else "gap_cost", lang))
data, breaks, metric = cost_layer(path, version, view.year, region, per_pupil, lang, view.rules)
map_col, legend_col = st.columns([5, 1])
with map_col:
    common.fitted_map("gap_map", 560, lambda width: maps.build_deck(
        region, data, selected=view.county or None, height=560, width=width, lang=lang), region, per_pupil)
    st.caption(geometry.caption(lang))
with legend_col:
    st.html(maps.legend_html(metric.label(lang), display.cost_legend(metric, breaks, lang)))

st.subheader(t("gap_ranked", lang))
table = display.gap_county_table(counties, lang)
st.dataframe(table, hide_index=True, width="stretch", height=420, column_config={"adcode": None})
d1, d2, _ = st.columns([1, 1, 4])
common.csv_download(table, common.export_notes(path, version, lang), f"gap_{region}_{view.year}.csv", "dl_gap_csv", d1)
note = t("synthetic_banner", lang) if common.summary(path, version).synthetic else ""
notes = common.export_notes(path, version, lang)
d2.download_button(t("download_xlsx", lang),  # made on click
                   lambda: reports.gap_workbook(plan, region, lang, note, notes[0], names.get(region, region)),
                   file_name=f"gap_{region}_{view.year}.xlsx", key="dl_gap_xlsx",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", on_click="ignore")

st.subheader(t("gap_budget", lang))
fundable = float(counties.loc[counties["would_pass"], "cost_yuan"].sum()) / 1e4
budget = st.slider(t("gap_budget_slider", lang), 0.0, max(fundable, 1.0), min(fundable, max(fundable, 1.0)) / 2,
                   key="gap_budget")
outcome = gap.budget_outcome(counties, budget * 1e4)
chosen = outcome["funded"]
st.write(t("gap_budget_result", lang, funded=len(chosen), spent=outcome["spent"] / 1e4, free=len(outcome["free"]),
           now=outcome["now"], after=outcome["after"], total=outcome["total"]))
st.caption(t("gap_budget_method", lang))
st.dataframe(display.gap_county_table(chosen, lang), hide_index=True, width="stretch", column_config={"adcode": None})

if view.county and view.county in set(plan.counties["adcode"]):
    row = plan.counties.set_index("adcode").loc[view.county]
    st.subheader(t("gap_county", lang, county=plain(names.get(view.county, view.county))))
    st.write(display.gap_needs_text(row, plan.costs, lang))
    if row["unfixable"]:
        st.warning(t("gap_unfixable", lang, items=display.criteria_named(row["unfixable"], cr, lang)))
    if row["missing_criteria"]:
        st.warning(t("gap_missing", lang, items=display.criteria_named(row["missing_criteria"], cr, lang)))
    schools = display.gap_school_table(plan.records, view.county, lang)
    st.dataframe(schools, hide_index=True, width="stretch", column_config={"school_id": None})
    common.csv_download(schools, common.export_notes(path, version, lang), f"gap_{view.county}_{view.year}_schools.csv",
                        "dl_gap_schools")
else:
    st.info(t("gap_pick_county", lang))

common.finish()
