"""Briefing: the one-page sheet of the current view (map, scorecard, two key charts, notes) and
the pack of print-ready maps, charts and official-format tables."""

from __future__ import annotations

import streamlit as st

from analytics.core.i18n import plain, t
from analytics.export import output, pack, reports, slides
from pages.ui import common

path, version = common.shell()
lang = common.lang()
view = common.view()
region = view.county or view.region
names = common.region_names(path, version, lang)

st.title(t("briefing_title", lang, region=plain(names.get(region, region)), year=view.year))
st.caption(t("briefing_help", lang))
plans = common.plans()
plan = common.choose_plan(lang).name


@st.cache_data(show_spinner=False, max_entries=16)
def pack_files(path: str, version: float, region: str, year: int, stage: str, plan: str, language: str,
               rules: str) -> dict[str, bytes]:
    """Every file of the briefing under a rule set (several seconds: rendered once per view)."""
    return pack.briefing_pack(common.briefing(path, version, region, year, stage, plan, language, rules))


@st.cache_data(show_spinner=False, max_entries=16)
def tables(path: str, version: float, region: str, year: int, language: str, rules: str) -> bytes:
    return reports.workbook(common.assessment(path, version, rules), common.criteria(rules), region, year,
                            common.export_context(path, version, language, rules))


@st.cache_data(show_spinner=False, max_entries=16)
def slide_deck(path: str, version: float, region: str, year: int, stage: str, plan: str, language: str,
               rules: str) -> bytes:
    return slides.deck(common.briefing(path, version, region, year, stage, plan, language, rules))


def zip_pack() -> bytes:
    return output.zip_bytes(pack_files(path, version, region, view.year, view.stage, plan, lang, view.rules))


pack.prepare()  # the pack's rendering process warms up while the sheet below is drawn
stem = f"{region}_{view.year}"
with st.spinner(t("building_sheet", lang)):
    sheet_png = common.export_bytes(path, version, "sheet", region, view.year, view.stage, "status", plan, lang, "png2",
                                    view.rules)
cols = st.columns(3) + st.columns(2)  # two rows: nothing cut on a 1024-pixel screen
cols[0].download_button(t("briefing_sheet_pdf", lang), lambda: common.export_bytes(
    path, version, "sheet", region, view.year, view.stage, "status", plan, lang, "pdf", view.rules),
    file_name=f"{stem}_briefing.pdf", mime=output.MIME["pdf"], key="dl_sheet_pdf", on_click="ignore",
    type="primary")
cols[1].download_button(t("briefing_sheet_png", lang), lambda: common.export_bytes(
    path, version, "sheet", region, view.year, view.stage, "status", plan, lang, "png300", view.rules),
    file_name=f"{stem}_briefing@300dpi.png", mime="image/png", key="dl_sheet_png", on_click="ignore")
cols[3].download_button(t("briefing_tables", lang), lambda: tables(path, version, region, view.year, lang, view.rules),
                        file_name=f"{stem}_tables.xlsx", mime=output.MIME["xlsx"], key="dl_tables",
                        on_click="ignore", help=t("briefing_tables_help", lang))
cols[2].download_button(t("export_pptx", lang), lambda: slide_deck(path, version, region, view.year, view.stage, plan, lang, view.rules),
                        file_name=f"{stem}_slides.pptx", mime=output.MIME["pptx"], key="dl_pptx", on_click="ignore")
cols[4].download_button(t("briefing_zip", lang), zip_pack, file_name=f"{stem}_briefing.zip", mime=output.MIME["zip"],
                        key="dl_zip", on_click="ignore", help=t("briefing_zip_help", lang))
st.image(sheet_png, width="stretch")

st.subheader(t("briefing_files", lang))
c1, c2, c3 = st.columns(3)
with c1:
    st.caption(t("page_map", lang))
    common.export_menu("map", region, metric="status", key="exp_map", plan=plan)
with c2:
    st.caption(t("cv_chart", lang) if view.county else t("status_counts", lang))
    if view.county:
        common.export_menu("cv", region, key="exp_cv")
    else:
        common.export_menu("status", region, key="exp_status")
with c3:
    st.caption(t("urban_rural", lang))
    common.export_menu("gaps", region, key="exp_gaps")

common.finish()
