"""Map explorer: the region's counties coloured by status or a metric; drill down by clicking."""

from __future__ import annotations

from functools import partial

import streamlit as st

from analytics import maps, regions
from analytics.i18n import plain, stage_label, t
from pages.ui import common

path, version = common.shell()
lang = common.lang()
view = common.view()
a = common.assessment(path, version)
metric_defs = maps.metrics(common.criteria())
options = common.region_options(path, version)


@st.cache_data(show_spinner=False)
def county_layer(path: str, version: float, region: str, metric: str, year: int, stage: str, language: str):
    values = maps.metric_values(common.assessment(path, version).counties,
                                common.gaps(path, version) if metric in maps.GAP_METRICS else None,
                                metric, year, stage)
    return maps.county_data(region, values, metric_defs[metric], language)


region_name = t("national", lang) if options.get(view.region) == "national" else options.get(view.region, "").strip()
metric = metric_defs[view.metric]
st.title(t("map_title", lang, region=region_name, year=view.year, stage=stage_label(view.stage, lang),
           metric=metric.label(lang)))

top = st.columns([3, 1, 1])
top[0].selectbox(t("metric", lang), list(metric_defs), key="metric",
                 format_func=lambda m: metric_defs[m].label(lang))
kind = regions.kind(view.region)
if kind == "city":
    province = view.region[:2] + "0000"
    # a callback: the sidebar's region widget is already drawn in this run
    top[1].button(t("up_to_province", lang), width="stretch",
                  on_click=lambda: st.session_state.update(region=province, county="", school=""))
if view.county:
    common.page_link(top[2], "pages/county.py", t("open_profile", lang), ":material/assignment:")

data, breaks = county_layer(path, version, view.region, view.metric, view.year, view.stage, lang)
schools = common.school_points(path, version, view.county, view.year, view.stage, lang) if view.county else None
deck = maps.build_deck(view.region, data, selected=view.county or None, schools=schools)

map_col, legend_col = st.columns([5, 1])
with map_col:
    key = f"map-{view.region}-{view.county}"
    st.pydeck_chart(deck, on_select=partial(common.on_map_select, key), selection_mode="single-object", key=key, height=620)
    st.caption(t("map_help", lang))
    st.caption(t("map_note", lang))
with legend_col:
    common.export_menu("map", view.region, metric=view.metric, key="exp_map")
    st.html(maps.legend_html(metric.label(lang), maps.legend_items(metric, breaks, lang)))
    if schools:
        st.html(maps.legend_html(t("schools_legend", lang), [
            (maps.SCHOOL_COLORS[s], t(f"school_{s}", lang)) for s in maps.SCHOOL_COLORS]))
    if view.school:
        chosen = [s for s in (schools or []) if s["school_id"] == view.school]
        if chosen:
            st.markdown(f"**{t('selected_school', lang)}**")
            c = chosen[0]
            st.markdown("  \n".join(plain(c[k]) for k in ("name", "sub", "l1", "l2")))  # data text: plain

common.finish()
