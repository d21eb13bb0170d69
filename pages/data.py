"""Data: download the import templates, upload filled-in files, read every problem in plain
words, and import into a new version of the database (the previous one kept as a backup)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics.core.i18n import t
from analytics.core.paths import database_path, read_only
from analytics.export import output
from analytics.ingest import importer, templates
from analytics.present import display
from analytics.store import db
from pages.ui import common

path, version = common.shell(needs_data=False)
lang = common.lang()
summary = common.summary(path, version)

st.title(t("page_data", lang))
st.caption(t("data_help", lang))

st.subheader(t("data_templates", lang))
st.write(t("data_templates_help", lang))
st.download_button(t("data_templates_zip", lang), lambda: common_zip(), file_name="junheng_templates.zip",
                   mime="application/zip", key="dl_templates", on_click="ignore")


def common_zip() -> bytes:
    return output.zip_bytes(templates.template_files())


if read_only():
    st.info(t("readonly_data", lang))
    common.finish()
    st.stop()

st.subheader(t("data_upload", lang))
uploads = st.file_uploader(t("data_files", lang), type=["csv", "xlsx"], accept_multiple_files=True, key="uploads")
c1, c2 = st.columns(2)
mode = c1.radio(t("data_mode", lang), ["replace", "append"], horizontal=True, key="import_mode",
                format_func=lambda m: t(f"data_mode_{m}", lang))
new = c2.checkbox(t("data_new", lang), value=summary.synthetic, disabled=summary.synthetic, key="import_new",
                  help=t("data_new_help", lang))
source = st.text_input(t("data_source", lang), key="import_source", placeholder=t("data_source_hint", lang))

if st.button(t("data_import", lang), type="primary", disabled=not uploads, key="do_import"):
    files = [(f.name, f.getvalue()) for f in uploads]
    with st.spinner(t("data_importing", lang)):
        try:
            result = importer.import_isolated(database_path(), files, mode=mode, new=new or summary.synthetic,
                                              source=source or None)
        except importer.ImportFailed as exc:
            st.session_state["import_problems"] = exc.problems
            st.session_state["import_total"] = exc.total
            st.session_state.pop("import_result", None)
        else:
            st.session_state.pop("import_problems", None)
            st.session_state["import_result"] = dict(rows=sum(result.rows.values()), counties=result.counties,
                                                     replaced=result.replaced,
                                                     changed=result.changed)
            st.rerun()  # the new database version: every page reloads its data

if "import_problems" in st.session_state:
    problems: pd.DataFrame = st.session_state["import_problems"]
    st.error(t("data_failed", lang, n=st.session_state["import_total"]))
    st.dataframe(display.problems_table(problems, lang), hide_index=True, width="stretch")
    st.download_button(t("data_problems_csv", lang), display.problems_csv(problems, lang),
                       file_name="import_problems.csv", mime="text/csv", key="dl_problems")
if "import_result" in st.session_state:  # worded at display time: the language may change since
    done = st.session_state["import_result"]
    st.success(t("data_imported", lang, rows=done["rows"], counties=done["counties"],
                 years=display.replaced_years(done["replaced"], lang)) if done["changed"] else t("data_unchanged", lang))

st.subheader(t("data_history", lang))
history = display.import_history(summary.meta, lang)
if not history.empty:
    st.dataframe(history, hide_index=True, width="stretch")
else:
    st.caption(t("data_no_history", lang))
kept = db.backups(database_path())
st.caption(t("data_backups", lang, files="、".join(p.name for p in kept) or "—"))

common.finish()
