"""Targets and progress: a plan's scorecard for the region, trajectories against the targets,
the counties ranked by distance to one target and a map of their progress."""

from __future__ import annotations

import streamlit as st

from analytics.assess import metrics, progress
from analytics.atlas import regions
from analytics.core.i18n import plain, t
from analytics.present import charts, display, geometry, maps
from pages.ui import common

path, version = common.shell()
lang = common.lang()
view = common.view()
plans = common.plans()
names = common.region_names(path, version, lang)

region = view.county or view.region
st.title(t("progress_title", lang, region=plain(names.get(region, region)), year=view.year))
plan = common.choose_plan(lang)
table = common.progress_table(path, version, plan.name, view.year, lang)
values = common.progress_values(path, version)
st.caption(t("progress_source", lang, source=plain(plan.source_named(lang)), baseline=plan.baseline_year, year=view.year))
st.caption(t("progress_rule", lang))


@st.cache_data(show_spinner=False, max_entries=500)
def chart_spec(path: str, version: float, plan_name: str, year: int, region: str, metric: str, stage: str,
               language: str, rules: str) -> dict:
    """One trajectory chart as a Vega-Lite spec (building Altair charts is the slow part)."""
    return charts.target_chart(common.progress_values(path, version, rules),
                               common.progress_table(path, version, plan_name, year, language, rules), plans[plan_name],
                               (metric, stage), region, year, common.region_names(path, version, language),
                               language).to_dict()


@st.cache_data(show_spinner=False, max_entries=200)
def map_layer(path: str, version: float, plan_name: str, year: int, region: str, target_key: str,
              language: str, rules: str) -> list[dict]:
    """Polygon records of the region's counties coloured by their progress on one target."""
    target = plans[plan_name].target(target_key)
    table = common.progress_table(path, version, plan_name, year, language, rules)
    metric = metrics.Metric("progress", "", "", "progress", "high")
    data, _ = maps.county_data(region, display.progress_map_values(table, target_key, region, target.unit, language),
                               metric, language)
    return data


def download(frame, name: str, key: str) -> None:
    common.csv_download(frame, common.export_notes(path, version, lang), f"{plan.name}_{region}_{view.year}_{name}.csv",
                        key)


st.subheader(t("scorecard", lang))
card = display.scorecard_display(progress.scorecard(table, plan, region), region, lang)
# a static table of the essential columns: target names wrap in full at any width (a grid cuts
# them at 1024–1366 px beside the sidebar); every figure in the grid below and in the CSV
st.table(display.style_progress(display.scorecard_short(card, lang), lang), hide_index=True)
with st.expander(t("all_figures", lang)):
    st.dataframe(display.style_progress(card, lang), hide_index=True, width="stretch", height=38 + 35 * len(card),
                 column_config={t("col_target", lang): st.column_config.TextColumn(width="large", pinned=True),
                                t("col_progress", lang): st.column_config.TextColumn(pinned=True)})
download(regions.within(table, region), "progress", "dl_progress")
with st.expander(t("definitions", lang), expanded=True):
    for line in plan.definitions(lang):
        st.caption(line)

st.subheader(t("trajectories", lang))
st.caption(t("trajectory_help", lang) + " " + t("projection_method", lang))
groups = list(dict.fromkeys((tg.metric, tg.stage) for tg in plan.targets))
cols = st.columns(2)
for i, (metric, stage) in enumerate(groups):
    with cols[i % 2]:
        st.vega_lite_chart(chart_spec(path, version, plan.name, view.year, region, metric, stage, lang, view.rules),
                           width="stretch")
        common.export_menu("progress", region, metric=f"{metric}:{stage}", plan=plan.name, key=f"exp_{metric}_{stage}")

st.subheader(t("target_detail", lang))
keys = [tg.key for tg in plan.targets]
if st.session_state.get("progress_target") not in keys:  # default: the first target counties have
    st.session_state["progress_target"] = next((k for k in keys if progress.has_counties(plan.target(k))), keys[0])
st.selectbox(t("pick_target", lang), keys, key="progress_target",
             format_func=lambda k: display.format_target_label(plan.target(k), lang))
chosen = plan.target(st.session_state["progress_target"])
map_region = view.region
rank = progress.ranking(table, chosen.key, map_region)
if rank.empty:
    st.info(t("no_county_level", lang))
else:
    left, right = st.columns([2, 3])
    with left:
        shown = display.ranking_display(rank, lang)
        st.dataframe(display.style_progress(shown, lang), hide_index=True, width="stretch", height=560,
                     column_config={"adcode": None})
        download(rank, f"ranking_{chosen.key}", "dl_ranking")
    with right:
        label = display.format_target_label(chosen, lang)
        metric = metrics.Metric("progress", label, label, "progress", "high")
        data = map_layer(path, version, plan.name, view.year, map_region, chosen.key, lang, view.rules)
        st.markdown(f"**{t('map_progress', lang, target=label)}**")
        common.fitted_map("progress_map", 520, lambda width: maps.build_deck(
            map_region, data, selected=view.county or None, height=520, width=width, lang=lang), map_region, chosen.key)
        st.html(maps.legend_html(t("col_progress", lang), maps.legend_items(metric, [], lang)))
        st.caption(geometry.caption(lang))

common.finish()
