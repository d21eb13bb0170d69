"""Junheng (均衡): `streamlit run app.py`. Navigation only; each page in pages/ draws the shared
shell (language switch, first-start demo build, sidebar, demo banner) through pages/ui/common.py.
"""

from __future__ import annotations

import streamlit as st

from analytics.i18n import t

lang = "en" if st.session_state.get("lang_en") else "zh"
page = st.navigation([
    st.Page("pages/home.py", title=t("page_home", lang), icon=":material/home:", url_path="home", default=True),
    st.Page("pages/map.py", title=t("page_map", lang), icon=":material/map:", url_path="map"),
    st.Page("pages/county.py", title=t("page_profile", lang), icon=":material/assignment:", url_path="county"),
], position="hidden")  # the pages draw their own links (pages/ui/common.py)
page.run()
