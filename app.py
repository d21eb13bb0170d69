"""Junheng (均衡): `streamlit run app.py`. Navigation only; each page in pages/ draws the shared
shell (language switch, first-start demo build, sidebar, demo banner) through pages/ui/common.py.
"""

from __future__ import annotations

import streamlit as st

from analytics.i18n import t
from pages.ui.common import lang as current_lang

lang = current_lang()
page = st.navigation([
    st.Page("pages/home.py", title=t("page_home", lang), url_path="home", default=True),
    st.Page("pages/map.py", title=t("page_map", lang), url_path="map"),
    st.Page("pages/county.py", title=t("page_profile", lang), url_path="county"),
    st.Page("pages/progress.py", title=t("page_progress", lang), url_path="progress"),
    st.Page("pages/gap.py", title=t("page_gap", lang), url_path="gap"),
    st.Page("pages/briefing.py", title=t("page_briefing", lang), url_path="briefing"),
    st.Page("pages/data.py", title=t("page_data", lang), url_path="data"),
], position="hidden")
# The pages draw their own links with icons (pages/ui/common.py). No icon here: a page's icon
# becomes the browser tab's icon, and ":material/…:" ones are fetched from Google's font CDN.
page.run()
