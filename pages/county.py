"""County profile: status and why, CVs against limits, schools, trend, rank and neighbours."""

from __future__ import annotations

import streamlit as st

from analytics.atlas import places
from analytics.core.i18n import method_notes, percent, plain, stage_label, status_label, t
from analytics.present import charts, display, profile
from pages.ui import common

path, version = common.shell()
lang = common.lang()
view = common.view()
a = common.assessment(path, version)

if not view.county:
    st.title(t("page_profile", lang))
    st.info(t("pick_county", lang))
    common.finish()
    st.stop()

rows = profile.county_rows(a, view.county, view.year)
if rows.empty:
    st.title(t("page_profile", lang))
    st.info(t("pick_county", lang))
    common.finish()
    st.stop()
head = rows.iloc[0]
st.title(t("profile_title", lang, county=plain(places.title_name(head["county_name"], lang)),
           city=plain(places.display_name(head["city_name"], lang)), year=view.year))
context = profile.census_text(view.county, lang)
if context:
    st.info(context, icon=":material/groups:")


@st.cache_resource(show_spinner=False, max_entries=256)
def county_view(path: str, version: float, county: str, year: int, stage: str, language: str, rules: str) -> dict:
    """The profile's charts and its larger tables for one view, built once and shared read-only:
    building them took most of a rerun of this page (about 0.3 s)."""
    a = common.assessment(path, version, rules)
    cv = profile.cv_table(a, county, year, stage)
    trend = profile.trend(a, county)
    failed_chart, cv_chart = charts.trend_lines(trend, language)
    return {"cv": cv, "cv_titles": charts.cv_titles(cv, language),
            "cv_chart": charts.cv_bars(cv, language, titled=False),
            "trend": trend, "trend_charts": (failed_chart, cv_chart),
            "neighbours": profile.neighbour_comparison(a, county, year, stage, language),
            "schools": profile.school_table(a, county, year, stage, language)}


def download(frame, name: str, key: str) -> None:
    common.csv_download(frame, common.export_notes(path, version, lang), f"{view.county}_{view.year}_{name}.csv", key)


st.subheader(t("status_by_stage", lang))
cols = st.columns(3)
for col, (_, row) in zip(cols, rows.iterrows()):
    col.metric(stage_label(row["stage"], lang), status_label(row["status"], lang))
    col.caption(t("tip_known", lang, failed=int(row["failed"]), missing=int(row["missing"]))
                + " · " + t("labelled", lang, label=t("col_noncompliant", lang), text=row["noncompliant_schools"]))

st.subheader(t("failing", lang) + f" · {stage_label(view.stage, lang)}")
failing = profile.failing_criteria(a, view.county, view.year, view.stage, lang)
if failing.empty:  # green only when nothing is missing either: "no known failure" is not a pass
    (st.success if int(rows[rows["stage"] == view.stage].iloc[0]["missing"]) == 0 else st.info)(t("all_pass", lang))
else:
    # a static table: criterion names and school lists wrap in full at any width (a grid cuts them)
    st.table(display.without_blank_columns(failing.drop(columns="criterion")), hide_index=True)
    download(failing, "failing", "dl_failing")

st.subheader(t("completeness", lang) + f" · {stage_label(view.stage, lang)}")
stage_row = rows[rows["stage"] == view.stage].iloc[0]
st.write(profile.completeness_text(stage_row, lang))
missing = profile.missing_criteria(a, view.county, view.year, view.stage, lang)
lacking = profile.schools_missing(a, view.county, view.year, view.stage, lang)
if not missing.empty:
    st.caption(t("missing_criteria_title", lang))
    st.dataframe(missing.drop(columns="criterion"), hide_index=True, width="stretch",
                 column_config={t("col_detail", lang): st.column_config.TextColumn(width="large")})
    download(missing, "missing_criteria", "dl_missing")
if not lacking.empty:
    st.caption(t("schools_missing_title", lang))
    st.dataframe(lacking, hide_index=True, width="stretch", column_config={"school_id": None})
    download(lacking, "schools_missing", "dl_lacking")

shown = county_view(path, version, view.county, view.year, view.stage, lang, view.rules)
# the CV chart across the page: in half a column at 1024 px its English names left the bars ~100 px
cv = shown["cv"]
title, subtitle = shown["cv_titles"]  # as text: it wraps to the column at any width
st.subheader(plain(title))
st.caption(plain(subtitle))
st.altair_chart(shown["cv_chart"], width="stretch")
d1, d2, _ = st.columns([1, 1, 3])
with d1:
    download(cv, "cv", "dl_cv")
with d2:
    common.export_menu("cv", view.county, key="exp_cv")
left, right = st.columns([1, 2])
with left:
    st.subheader(t("rank", lang))
    rank = profile.rank_in_province(a, view.county, view.year, view.stage)
    st.write(t("rank_text", lang, **rank))
with right:
    st.subheader(t("neighbours", lang))
    nb = shown["neighbours"]
    st.dataframe(nb, hide_index=True, width="stretch")
    download(nb, "neighbours", "dl_neighbours")

st.subheader(t("trend", lang))
trend = shown["trend"]
c1, c2 = st.columns(2)
c1.altair_chart(shown["trend_charts"][0], width="stretch")
c2.altair_chart(shown["trend_charts"][1], width="stretch")
d1, d2 = st.columns([1, 5])
with d1:
    download(trend, "trend", "dl_trend")
with d2:
    common.export_menu("trend", view.county, key="exp_trend")

st.subheader(t("school_table", lang))
schools = shown["schools"]
floor = float(a.criteria.resource["floor_ratio"])
st.dataframe(profile.style_school_table(schools, floor), hide_index=True, width="stretch",
             column_config={"school_id": None, **{f"ratio_r{i}": None for i in range(1, 8)}})
st.caption(t("school_table_colours", lang, floor=percent(floor)))
download(schools, "schools", "dl_schools")

for note in method_notes(a.criteria, lang):
    st.caption(note)
common.finish()
