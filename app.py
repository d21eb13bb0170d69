"""Junheng (均衡) home page: what is loaded and how the counties stand. Run: `streamlit run app.py`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from analytics import balance, db, demo
from analytics.i18n import status_label, t
from analytics.paths import database_path

st.set_page_config(page_title="均衡 Junheng", page_icon="⚖️", layout="wide")


@st.cache_resource(show_spinner=False)
def open_database(path: str, version: float):
    """One read-only connection per database file version (a rebuilt file has a new mtime)."""
    return db.connect(path)


@st.cache_data(show_spinner=False)
def load_summary(path: str, version: float) -> db.Summary:
    return db.summary(open_database(path, version).cursor())


@st.cache_data(show_spinner=False)
def load_statuses(path: str, version: float, year: int) -> pd.DataFrame:
    a = balance.assess(open_database(path, version).cursor(), year)
    return a.counties


def ensure_database(path: Path, lang: str) -> None:
    """Build the demo database on first start, with visible progress."""
    if path.exists():
        return
    bar = st.progress(0.0, text=t("building_db", lang))
    demo.build_demo(path, progress=lambda f, m: bar.progress(min(f, 1.0), text=f"{t('building_db', lang)} {m}"))
    bar.empty()
    st.toast(t("built_db", lang))


lang = "en" if st.sidebar.toggle(t("language"), key="lang_en") else "zh"
st.title(t("app_title", lang))

db_path = database_path()
ensure_database(db_path, lang)
version = db_path.stat().st_mtime
summary = load_summary(str(db_path), version)

if summary.synthetic:
    st.warning(t("synthetic_banner", lang), icon="⚠️")
else:
    st.info(t("imported_banner", lang))

latest = summary.years[-1] if summary.years else None
st.subheader(t("loaded", lang))
cols = st.columns(5)
cols[0].metric(t("counties", lang), f"{summary.counties:,}")
cols[1].metric(t("schools", lang), f"{summary.schools:,}")
cols[2].metric(t("teachers", lang, year=latest), f"{summary.teachers_latest:,}")
cols[3].metric(t("students", lang, year=latest), f"{summary.students_latest:,}")
cols[4].metric(t("years", lang), f"{summary.years[0]}–{latest}" if summary.years else "—")

if latest is not None:
    counties = load_statuses(str(db_path), version, latest)
    overall = counties[counties["stage"] == balance.OVERALL]
    st.subheader(t("status_overview", lang, year=latest))
    status_cols = st.columns(len(balance.STATUSES))
    for col, status in zip(status_cols, balance.STATUSES):
        col.metric(status_label(status, lang), int((overall["status"] == status).sum()))
    by_city = balance.rollup(counties[counties["year"] == latest], "city")
    by_city = by_city[by_city["stage"] == balance.OVERALL][["name", "counties", "pass", "pass_share"]]
    st.caption(t("by_city", lang))
    st.dataframe(
        by_city.rename(columns={"name": t("col_city", lang), "counties": t("col_counties", lang),
                                "pass": status_label("pass", lang), "pass_share": t("col_pass_share", lang)}),
        hide_index=True,
        column_config={t("col_pass_share", lang): st.column_config.ProgressColumn(format="percent", min_value=0, max_value=1)},
    )

st.caption(t("method_note", lang))
source = summary.meta.get("notice", "") if summary.synthetic else summary.meta.get("source", "")
st.caption(t("source_line", lang, source=source) + f" · {t('database', lang)}: {db_path.name}")
