"""Junheng (均衡): `streamlit run app.py`. Navigation only; each page in pages/ draws the shared
shell (language switch, first-start demo build, sidebar, demo banner) through pages/ui/common.py.
"""

from __future__ import annotations

import streamlit as st

from analytics.core.errors import JunhengError
from analytics.core.i18n import t
from pages.ui.common import PAGES
from pages.ui.common import lang as current_lang
from pages.ui.common import stop_with

lang = current_lang()
page = st.navigation([st.Page(path, title=t(key, lang), url_path=url, default=url == "home")
                      for path, key, _, url in PAGES], position="hidden")
# The pages draw their own links with icons (pages/ui/common.py). No icon here: a page's icon
# becomes the browser tab's icon, and ":material/…:" ones are fetched from Google's font CDN.
try:
    page.run()
except JunhengError as exc:  # the pages' error boundary (pages/ui/common.py shell() catches the common ones)
    stop_with(exc)
