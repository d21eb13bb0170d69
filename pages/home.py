"""Home: what is loaded and how the counties stand in the selected year."""

from __future__ import annotations

import streamlit as st

from analytics.assess import balance
from analytics.atlas import places
from analytics.core.i18n import method_notes, plain, status_label, t
from analytics.present import charts, formats
from pages.ui import common

path, version = common.shell()
lang = common.lang()
summary = common.summary(path, version)
view = common.view()
st.title(t("app_title", lang))

latest = summary.years[-1] if summary.years else None
st.subheader(t("loaded", lang))
cols = st.columns(5)
cols[0].metric(t("counties", lang), f"{summary.counties:,}")
cols[1].metric(t("schools", lang), f"{summary.schools:,}")
cols[2].metric(t("teachers", lang, year=latest), formats.format_value(summary.teachers_latest, "count"))
cols[3].metric(t("students", lang, year=latest), formats.format_value(summary.students_latest, "count"))
cols[4].metric(t("years", lang), f"{summary.years[0]}–{latest}" if summary.years else "—")

a = common.assessment(path, version)
rows = a.counties[(a.counties["year"] == view.year) & (a.counties["stage"] == view.stage)]
st.subheader(t("status_overview", lang, year=view.year))
status_cols = st.columns(len(balance.STATUSES))
for col, status in zip(status_cols, balance.STATUSES):
    col.metric(status_label(status, lang), int((rows["status"] == status).sum()))

left, right = st.columns([3, 2])
with left:
    by_city = balance.rollup(rows, "city")[["name", "counties", "pass", "pass_share"]]
    by_city["name"] = by_city["name"].map(lambda n: places.display_name(n, lang))
    st.caption(t("by_city", lang))
    st.dataframe(
        by_city.rename(columns={"name": t("col_city", lang), "counties": t("col_counties", lang),
                                "pass": status_label("pass", lang), "pass_share": t("col_pass_share", lang)}),
        hide_index=True,
        column_config={t("col_pass_share", lang): st.column_config.ProgressColumn(
            format="percent", min_value=0, max_value=1)},
    )
with right:
    trend = a.counties[a.counties["stage"] == view.stage]
    st.altair_chart(charts.status_counts(trend, lang, legend="bottom"), width="stretch", height=390)
    common.export_menu("status", view.region, key="exp_status")

for note in method_notes(a.criteria, lang):
    st.caption(note)
source = common.export_context(path, version, lang).source_line()  # the one wording, as every export has it
st.caption(plain(source) + f" · {t('database', lang)}: {plain(path.rsplit('/', 1)[-1])}")

common.finish()
