"""Map explorer: the region's counties coloured by status or a metric, as a map, a table and a
chart over the years; find a place, step through the years, drill down by clicking."""

from __future__ import annotations

import time
from functools import partial

import streamlit as st

from analytics.assess import county_values, metrics
from analytics.assess.criteria import NATIONAL_RULES
from analytics.atlas import places, regions
from analytics.core.classes import SCHOOL_STATE
from analytics.core.i18n import plain, stage_label, t
from analytics.export import reports
from analytics.present import charts, display, explore, formats, geometry, maps
from pages.ui import common

PLAY_STEP_SECONDS = 1.5

path, version = common.shell()
lang = common.lang()
view = common.view()
ss = st.session_state
a = common.assessment(path, version)
metric_defs = metrics.map_metrics(common.criteria())
options = common.region_options(path, version)
years = list(common.summary(path, version).years)


# shared, read-only results (cache_resource: no copy per run; a national layer is megabytes)
@st.cache_resource(show_spinner=False, max_entries=64)
def values_for(path: str, version: float, metric: str, year: int, stage: str, rules: str):
    counties = common.assessment(path, version, rules).counties
    if metric == county_values.RULES_METRIC:  # the status under these rules beside the national rules'
        national = common.assessment(path, version, NATIONAL_RULES).counties
        return county_values.rules_change_values(counties, national, year, stage)
    gaps = common.gaps(path, version, rules) if metric in county_values.GAP_METRICS else None
    return county_values.metric_values(counties, gaps, metric, year, stage)


@st.cache_resource(show_spinner=False, max_entries=64)
def county_layer(path: str, version: float, region: str, metric: str, year: int, stage: str, language: str,
                 rules: str):
    note = "" if rules == NATIONAL_RULES else t("labelled", language, label=t("rules", language),
                                                 text=common.rule_sets().title(rules, language))
    return maps.county_data(region, values_for(path, version, metric, year, stage, rules), metric_defs[metric],
                            language, stage=stage, note=note)


@st.cache_data(show_spinner=False)
def view_table(path: str, version: float, region: str, metric: str, year: int, stage: str, language: str,
               rules: str):
    return explore.view_table(values_for(path, version, metric, year, stage, rules), metric_defs[metric], region,
                              language)


def name_of(code: str) -> str:
    """A region's name in titles (English with the Chinese beside it)."""
    return t("national", lang) if options.get(code) == "national" else places.title_name(options.get(code, "").strip(), lang)


def on_row_select(key: str) -> None:
    """A clicked row — its checkbox or any of its cells — selects its county (on its prefecture's map)."""
    selection = ss[key]["selection"]
    rows = list(selection.get("rows") or []) or [cell[0] for cell in selection.get("cells") or []]
    if rows:
        common.go_to(ss["_table_adcodes"][rows[0]])


def play() -> None:
    ss["_playing"] = True
    ss["year"] = years[0]


def stop() -> None:
    ss["_playing"] = False


if view.rules == NATIONAL_RULES:  # comparing the national rules with themselves says nothing
    metric_defs = {k: m for k, m in metric_defs.items() if k != county_values.RULES_METRIC}
    if ss.get("metric") not in metric_defs:
        ss["metric"] = "status"
        view = common.view()
metric = metric_defs[view.metric]
stage = stage_label(view.stage, lang)
st.title(t("map_title", lang, region=plain(name_of(view.region)), year=view.year, stage=stage, metric=metric.label(lang)))

top = st.columns(2, vertical_alignment="bottom")
common.find_box(top[0])
top[1].selectbox(t("metric", lang), list(metric_defs), key="metric", format_func=lambda m: metric_defs[m].label(lang))
up = regions.parent(view.region)
can_go_up = view.region != regions.NATIONAL and up in options
if can_go_up or view.county:  # a row of their own: nothing is cut short on a 1024-pixel screen
    nav = st.columns(2, vertical_alignment="center")
    if can_go_up:
        nav[0].button(t("up_one_level", lang, name=name_of(up)), icon=":material/arrow_upward:", on_click=common.go_up)
    if view.county:
        common.page_link(nav[1], "pages/county.py", t("open_profile", lang), ":material/assignment:")

if len(years) > 1:
    row = st.columns([1, 5], vertical_alignment="bottom")
    if ss.get("_playing"):
        row[0].button(t("stop", lang), icon=":material/stop:", on_click=stop, key="stop")
    else:
        row[0].button(t("play", lang), icon=":material/play_arrow:", on_click=play, key="play")
    ss["map_year"] = view.year
    # the slider shows only the chosen year: the label gives the range it spans
    row[1].select_slider(t("map_year_range", lang, first=years[0], last=years[-1]), years, key="map_year",
                         on_change=lambda: ss.update(year=ss["map_year"], _playing=False))

# only the open tab runs (a rerun when another is chosen): the first national page then sends the
# browser a map only, not also a data grid and a chart it would lay out unseen
map_tab, table_tab, chart_tab = st.tabs([t("tab_map", lang), t("tab_table", lang), t("tab_chart", lang)],
                                        key="map_tab", on_change="rerun")

if map_tab.open:
    with map_tab:
        layers, breaks = county_layer(path, version, view.region, view.metric, view.year, view.stage, lang, view.rules)
        schools = (common.school_points(path, version, view.county, view.year, view.stage, lang, view.rules)
                   if view.county else None)
        map_col, legend_col = st.columns([4, 1])
        with map_col:
            common.fitted_map("map", 600, lambda width: maps.build_deck(
                view.region, layers, selected=view.county or None, schools=schools, height=600, width=width,
                lang=lang))
            st.caption(t("map_help", lang))
            st.caption(geometry.caption(lang))
        with legend_col:
            common.export_menu("map", view.region, metric=view.metric, key="exp_map")
            st.html(maps.legend_html(metric.label(lang), maps.legend_items(metric, breaks, lang, view.stage)))
            if schools:
                st.html(maps.legend_html(t("schools_legend", lang), [
                    (c.colour, t(c.label, lang)) for c in SCHOOL_STATE]))
            chosen = [s for s in (schools or []) if s["school_id"] == view.school]
            if chosen:
                st.markdown(f"**{t('selected_school', lang)}**")
                st.markdown("  \n".join(plain(chosen[0][k]) for k in ("name", "sub", "l1", "l2")))  # data text: plain

if table_tab.open or chart_tab.open:
    table = view_table(path, version, view.region, view.metric, view.year, view.stage, lang, view.rules)
    notes = common.export_notes(path, version, lang)

if table_tab.open:
    with table_tab:
        ss["_table_adcodes"] = list(table["adcode"])
        st.caption(t("table_help", lang))
        # keyed by what the rows are: a selection never outlives its table (rows would point elsewhere)
        table_key = f"view_table-{view.region}-{view.metric}-{view.year}-{view.stage}"
        st.dataframe(table, hide_index=True, width="stretch", height=min(38 + 35 * len(table), 560),
                     column_config={"adcode": None, table.columns[3]: st.column_config.NumberColumn(
                         format=formats.column_format(metric if metric.kind != "status" else metric_defs["failed"]))},
                     key=table_key, on_select=partial(on_row_select, table_key),
                     selection_mode=["single-row", "single-cell"])
        key_line = display.criteria_key([*table[t("col_failed_criteria", lang)], *table[t("col_missing_criteria", lang)]],
                                        common.criteria(), lang)
        if key_line:  # every code in the table with its name, on screen and in the downloads
            st.caption(key_line)
        table_notes = [*notes, key_line] if key_line else notes
        title = t("view_title", lang, region=name_of(view.region), year=view.year, stage=stage,
                  metric=metric.label(lang))
        stem = f"map_view_{view.region}_{view.year}_{view.metric}"
        d1, d2, _ = st.columns([1, 1, 4])
        common.csv_download(table.drop(columns=["adcode"]), table_notes, stem + ".csv", "dl_view_csv", d1)
        d2.download_button(t("download_xlsx", lang), partial(reports.view_workbook, table, title, table_notes, lang),
                           file_name=stem + ".xlsx", key="dl_view_xlsx", on_click="ignore",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

if chart_tab.open:
    with chart_tab:
        names = common.county_names(path, version)
        labels = {code: f"{places.display_name(county, lang)} · {places.display_name(city, lang)}"  # 2,875 nationally
                  for code, county, city in zip(names["adcode"], names["county_name"], names["city_name"])}
        if "compare" not in ss:  # the counties picked before (kept while the tab was closed), else the
            # selected county and the worst of the table
            ss["compare"] = ss.get("_compared") or list(dict.fromkeys(
                ([view.county] if view.county else []) + list(table["adcode"][:4])))
        picked = st.multiselect(t("compare_pick", lang, n=explore.MAX_COMPARED), list(labels), key="compare",
                                max_selections=explore.MAX_COMPARED, format_func=labels.__getitem__,
                                on_change=lambda: ss.update(_compared=ss["compare"]))
        if picked:
            shown = explore.trend_metric(view.metric)
            trend = explore.trends(a.counties, common.gaps(path, version) if shown in county_values.GAP_METRICS else None,
                                   view.metric, picked, view.stage)
            shown_metric = metric_defs.get(shown)
            label = shown_metric.label(lang) if shown_metric else t("col_failed", lang)
            st.markdown(f"**{t('compare_title', lang, metric=label, stage=stage)}**")
            percent = bool(shown_metric and formats.is_percent(shown_metric))
            st.altair_chart(charts.compare_lines(trend, label, lang, percent), width="stretch")
            st.caption(plain(" ".join(notes)))
        else:
            st.info(t("compare_empty", lang))

common.finish()

if ss.get("_playing"):  # OWID-style play: one year per step, then stop at the last
    time.sleep(PLAY_STEP_SECONDS)
    later = [y for y in years if y > view.year]
    if later:
        ss["_play_next"] = later[0]
    ss["_playing"] = len(later) > 1
    st.rerun()
