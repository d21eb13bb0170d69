"""Shared by the pages: the shell (page config, first-start build, sidebar, banner), cached data
access and the view state.

Every page calls `shell()` first. Streamlit runs a file of pages/ on its own when a fresh server's
first request names it (its legacy pages-folder mode), so a page must not rely on app.py having
drawn the sidebar. Only layout and caching here; every number comes from `analytics`.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st
import streamlit.components.v1 as components

from analytics.assess import balance, metrics, progress, targets
from analytics.assess.criteria import CRITERIA_FILE, NATIONAL_RULES, Criteria, RuleSets, read_rule_sets, rules_dir
from analytics.atlas import places, regions
from analytics.core import cells
from analytics.core.errors import JunhengError
from analytics.core.i18n import plain, stage_label, t
from analytics.core.paths import DATA_DIR, database_path, read_only
from analytics.export import output
from analytics.present import maps
from analytics.present import state as vs
from analytics.store import db

if TYPE_CHECKING:  # the export layer loads its rendering libraries only when a file is asked for
    from analytics.export.exports import Briefing


# The one page registry (app.py builds the navigation from it): file, title key, icon, URL path
PAGES = (("pages/home.py", "page_home", ":material/home:", "home"),
         ("pages/map.py", "page_map", ":material/map:", "map"),
         ("pages/county.py", "page_profile", ":material/assignment:", "county"),
         ("pages/progress.py", "page_progress", ":material/flag:", "progress"),
         ("pages/gap.py", "page_gap", ":material/construction:", "gap"),
         ("pages/briefing.py", "page_briefing", ":material/picture_as_pdf:", "briefing"),
         ("pages/data.py", "page_data", ":material/upload_file:", "data"))


def lang() -> str:
    """The session's language (before the first run has read the URL: the URL's)."""
    if "lang_en" in st.session_state:
        return "en" if st.session_state["lang_en"] else "zh"
    return "en" if st.query_params.get("lang") == "en" else "zh"


def current() -> tuple[str, float]:
    """The database file and its version (mtime): caches are keyed by both."""
    path = database_path()
    return str(path), Path(path).stat().st_mtime


def cursor(path: str, version: float):
    """A cursor on the database's given version (see analytics.store.db.reader: a swap by an import
    never closes a connection another session is reading from)."""
    return db.reader(path, version)


@st.cache_resource(show_spinner=False, max_entries=4)
def _rule_sets(folder: str, stamp: tuple) -> RuleSets:
    return read_rule_sets(folder)


def rule_sets() -> RuleSets:
    """The national rules and those of the rules folder (a bad file there is left out, named);
    read again when a file there is added, changed or removed (keyed by their times)."""
    folder = rules_dir()
    stamp = tuple((f.name, f.stat().st_mtime) for f in [CRITERIA_FILE, *sorted(folder.glob("*.toml"))] if f.exists())
    return _rule_sets(str(folder), stamp)


def rules_in_use() -> str:
    """The id of the session's rule set (the URL's `rules`, else the national rules)."""
    chosen = st.session_state.get("rules", NATIONAL_RULES)
    return chosen if chosen in rule_sets().sets else NATIONAL_RULES


def criteria(rules: str | None = None) -> Criteria:
    """The criteria of a rule set (default: the session's). Functions cached per database version
    take the rule set as an argument and pass it here: the cache must know which rules it holds."""
    return rule_sets().sets[rules or rules_in_use()]


@st.cache_data(show_spinner=False)
def summary(path: str, version: float) -> db.Summary:
    return db.summary(cursor(path, version))


@st.cache_resource(show_spinner=False, max_entries=4)
def _assessment(path: str, version: float, rules: str) -> balance.Assessment:
    return balance.assess(cursor(path, version), None, criteria(rules), lazy=True)


def assessment(path: str, version: float, rules: str | None = None) -> balance.Assessment:
    """All years assessed once per database version and rule set (shared, treat as read-only):
    the national rules' is stored with the data, another set's is computed on first use. The
    school rows are read when a page first needs them, through the cursor the assessment keeps."""
    return _assessment(path, version, rules or rules_in_use())


@st.cache_data(show_spinner=False)
def region_names(path: str, version: float, language: str) -> dict[str, str]:
    """Adcode → name of every county, prefecture and province (and the country): the same under
    every rule set."""
    return progress.region_names(assessment(path, version, NATIONAL_RULES), language)


@st.cache_data(show_spinner=False)
def picker_names(path: str, version: float, language: str) -> dict[str, str]:
    """Adcode → name as the sidebar's pickers show it: short in English ('Liangshan Prefecture';
    the page's title gives the full name), as in `region_names` in Chinese."""
    return {**region_names(path, version, language),
            **{code: places.picker_name(name, language) for code, name in region_names(path, version, "zh").items()
               if code != maps.NATIONAL}}


@st.cache_data(show_spinner=False)
def _gaps(path: str, version: float, rules: str) -> pd.DataFrame:
    return balance.urban_rural_gaps(cursor(path, version), None, criteria(rules))


def gaps(path: str, version: float, rules: str | None = None) -> pd.DataFrame:
    """Urban–rural gaps per county and year (the rule set's excluded school kinds)."""
    return _gaps(path, version, rules or rules_in_use())


@st.cache_resource(show_spinner=False)
def plan_folder() -> targets.PlanFolder:
    """The plans of data/plans, and a line for each file that cannot be used."""
    return targets.read_plans()


def plans() -> dict[str, targets.Plan]:
    """The usable plans of data/plans (a malformed file is skipped and reported, see shell)."""
    return plan_folder().plans


def choose_plan(language: str) -> targets.Plan:
    """The plan picker (one choice shared by the progress and briefing pages). A refused plan
    file is named above it; with no usable plan the page says what to do and stops."""
    folder = plan_folder()
    for problem in folder.problems:
        st.warning(t("plan_refused", language, detail=plain(problem)), icon="⚠️")
    if not folder.plans:
        st.info(t("no_plans", language))
        st.stop()
    known = folder.plans
    st.selectbox(t("plan", language), list(known), key="plan", format_func=lambda n: known[n].title(language))
    return known[st.session_state["plan"]]


@st.cache_data(show_spinner=False)
def _progress_values(path: str, version: float, rules: str) -> pd.DataFrame:
    return progress.metric_values(cursor(path, version), assessment(path, version, rules), gaps(path, version, rules))


def progress_values(path: str, version: float, rules: str | None = None) -> pd.DataFrame:
    """Every plan metric per region, year and stage (long format), under a rule set."""
    return _progress_values(path, version, rules or rules_in_use())


@st.cache_data(show_spinner=False)
def _progress_table(path: str, version: float, plan: str, as_of: int, language: str, rules: str) -> pd.DataFrame:
    return progress.progress(progress_values(path, version, rules), plans()[plan], as_of,
                             region_names(path, version, language))


def progress_table(path: str, version: float, plan: str, as_of: int, language: str,
                   rules: str | None = None) -> pd.DataFrame:
    """Every region × target of a plan, classified as of a year, under a rule set."""
    return _progress_table(path, version, plan, as_of, language, rules or rules_in_use())


def export_context(path: str, version: float, language: str, rules: str | None = None) -> output.Context:
    """What every export states: source, demo mark, and the rule set when it is not the national one."""
    s = summary(path, version)
    chosen = rules or rules_in_use()
    named = rule_sets().title(chosen, language) if chosen != NATIONAL_RULES else ""
    return output.context_from(s.meta, s.synthetic, language, rules=named)


def export_notes(path: str, version: float, language: str) -> list[str]:
    """Source and demo-mark lines for a downloaded table."""
    return output.table_notes(export_context(path, version, language))


def csv_download(frame: pd.DataFrame, notes: list[str], file_name: str, key: str, where=st) -> None:
    """The one CSV download of a table (with its notes under it): the file is written when it is
    asked for, not on every run of the page, and the click does not rerun the page."""
    where.download_button(t("download_csv", lang()), partial(cells.csv_bytes, frame, notes), file_name=file_name,
                          mime="text/csv", key=key, on_click="ignore")


@st.cache_data(show_spinner=False, max_entries=128)
def export_bytes(path: str, version: float, kind: str, region: str, year: int, stage: str, metric: str,
                 plan: str, language: str, fmt: str, rules: str) -> bytes:
    """One exported figure in one format under a rule set (rendered server-side; cached)."""
    from analytics.export import exports

    return exports.render(exports.figure(kind, briefing(path, version, region, year, stage, plan, language, rules),
                                         metric), fmt)


def briefing(path: str, version: float, region: str, year: int, stage: str, plan: str, language: str,
             rules: str) -> Briefing:
    """What a view's exports are drawn from (each part cached on its own): the assessment, the
    urban–rural rows, the rules, the plan's progress (without a plan: none), the region names."""
    from analytics.export.exports import Briefing

    chosen = plans().get(plan) if plan else None
    return Briefing(
        assessment(path, version, rules), gaps(path, version, rules), criteria(rules), region, year, stage,
        export_context(path, version, language, rules), chosen,
        progress_values(path, version, rules) if chosen else None,
        progress_table(path, version, plan, year, language, rules) if chosen else None,
        region_names(path, version, language))


def export_menu(kind: str, region: str, *, metric: str = "status", key: str, plan: str = "") -> None:
    """A small 'export' menu of a map or chart: PNG 2× and 3×, SVG and PDF, made on click."""
    from functools import partial

    from analytics.export import exports

    path, version = current()
    v = view()
    language = lang()
    stem = f"{kind}_{region}_{v.year}" + (f"_{metric.replace(':', '-')}" if kind in ("map", "progress") else "")
    with st.popover(t("export", language), icon=":material/download:"):
        for fmt in exports.FORMATS:
            st.download_button(
                t(f"export_{fmt}", language),
                partial(export_bytes, path, version, kind, region, v.year, v.stage, metric, plan, language, fmt,
                        rules_in_use()),
                file_name=stem + exports.EXTENSION[fmt], mime=output.MIME[fmt], key=f"{key}_{fmt}",
                on_click="ignore")


@st.cache_data(show_spinner=False)
def school_points(path: str, version: float, adcode: str, year: int, stage: str, language: str,
                  rules: str) -> list[dict]:
    """Map points of one county's schools (locations joined to their indicators, under a rule set)."""
    return maps.county_school_points(assessment(path, version, rules).schools,
                                     db.school_locations(cursor(path, version), adcode), adcode, year, stage, language)


# reports the width of the column it is placed in (pages/ui/frame_width: local files, no network)
_FRAME_WIDTH = components.declare_component("frame_width", path=str(Path(__file__).with_name("frame_width")))


@st.cache_resource(show_spinner=False)
def _reported_widths() -> dict[str, int]:
    """The width each map's column last reported, in any session of this server (one process
    serves one office's screens): a new visitor's map is drawn at it on the first run."""
    return {}


def frame_width(key: str) -> int | None:
    """The width in pixels of the column this is called in: as the browser reported it, else the
    width last reported for `key` in this server (the frame is told it, and reports only a
    different one: then the map is drawn again, fitted). None when neither is known — on the
    first run of the first visit, and under AppTest, which runs no JavaScript."""
    ss = st.session_state
    guess = ss.get(f"_{key}_drawn") or _reported_widths().get(key)
    width = _FRAME_WIDTH(known=guess, key=key, default=None)
    if isinstance(width, (int, float)) and width > 0:
        _reported_widths()[key] = ss[f"_{key}_drawn"] = int(width)
        return int(width)
    if guess:
        ss[f"_{key}_drawn"] = guess
    return guess


def map_key(name: str, width: int, *extra) -> str:
    """A map's widget key: the map's name, the selected county and school, the width its first
    view fits and `extra` (what else changes its layers), ending '-fitted' (a browser test waits
    for that class, with the width of its column: the map drawn, fitted to it).

    The region is not in it: a drill-down from the country to a province or a prefecture keeps
    the map (a new one costs a software-rendered browser about a second more) and moves its view
    to the new region; the clicked province or county is never painted as selected (see
    maps.build_deck). Selecting a county or a school draws a new map: its school points have a
    colour, which Streamlit would fade while a selection is held. The year and metric are not in
    it: the map keeps its zoom when they change."""
    v = view()
    return "-".join(map(str, (name, v.county, v.school, *extra, f"w{width}", "fitted")))


def fitted_map(name: str, height: int, build, *extra) -> None:
    """A clickable map whose first view is fitted to its column (`build(width)` makes its deck).
    Until a width is known (see frame_width), only an empty frame of the map's height stands
    there: a map is drawn fitted, or at the width this server's screens last had."""
    width = frame_width(f"{name}_width")
    if width is None:
        st.container(height=height, border=False)
        return
    key = map_key(name, width, *extra)
    st.pydeck_chart(build(width), on_select=partial(on_map_select, key), selection_mode="single-object",
                    key=key, height=height)


def on_map_select(key: str) -> None:
    """Every map's click: drill down one level (country → province → prefecture → county), or
    select the clicked school of the selected county (see analytics.atlas.regions.drill)."""
    ss = st.session_state
    objects = ss[key]["selection"]["objects"]
    if objects.get(maps.SCHOOL_LAYER):
        ss["school"] = objects[maps.SCHOOL_LAYER][0]["school_id"]
        return
    picked = objects.get(maps.county_layer_id(ss["region"]))
    if picked:
        ss["region"], ss["county"] = regions.drill(ss["region"], ss.get("county", ""), picked[0]["adcode"])
        ss["school"] = ""


# ---- regions -----------------------------------------------------------------------------------


@st.cache_data(show_spinner=False)
def region_options(path: str, version: float) -> dict[str, str]:
    """Region picker entries in order: provinces of the data, each followed by its cities."""
    c = assessment(path, version, NATIONAL_RULES).counties[["province_adcode", "province_name", "city_adcode", "city_name"]]
    c = places.tell_apart(c.drop_duplicates().sort_values("city_adcode"))  # 重庆市's two parts named apart
    out: dict[str, str] = {}
    if c["province_adcode"].nunique() > 1:
        out[maps.NATIONAL] = "national"
    for (pcode, pname), cities in c.groupby(["province_adcode", "province_name"], sort=True):
        out[pcode] = pname
        for code, name in zip(cities["city_adcode"], cities["city_name"]):
            out[code] = f"　{name}"
    return out


@st.cache_data(show_spinner=False)
def county_names(path: str, version: float) -> pd.DataFrame:
    c = assessment(path, version, NATIONAL_RULES).counties
    return c[["adcode", "county_name", "city_adcode", "city_name", "province_adcode", "province_name"]].drop_duplicates(
        "adcode")


def counties_in(path: str, version: float, region: str) -> dict[str, str]:
    names = regions.within(county_names(path, version), region)
    return dict(zip(names["adcode"], names["county_name"]))


@st.cache_data(show_spinner=False)
def place_index(path: str, version: float) -> pd.DataFrame:
    """Every province, prefecture and county of the data, searchable by name, pinyin, initials."""
    return places.index(county_names(path, version))


def go_to(adcode: str) -> None:
    """Callback: show a found place (a county selected on its prefecture's map)."""
    ss = st.session_state
    ss["region"], ss["county"] = places.view_of(adcode)
    ss["school"] = ""
    ss["find"] = ""


def go_up() -> None:
    """Callback: one level up (a selected county is let go first)."""
    ss = st.session_state
    ss["region"], ss["county"], ss["school"] = regions.parent(ss["region"]), "", ""


def find_box(where) -> None:
    """The place search: a text box, then the matches as buttons (a click opens the place)."""
    language = lang()
    path, version = current()
    query = where.text_input(t("find_place", language), key="find", placeholder=t("find_place_help", language),
                             help=t("find_place_help", language))
    if not query:
        return
    hits = places.find(place_index(path, version), query)
    if hits.empty:
        st.caption(t("find_none", language, query=plain(query)))
        return
    cols = st.columns(min(len(hits), 4))
    for i, hit in enumerate(hits.itertuples(index=False)):
        label = plain(f"{hit.name} · {hit.within}" if hit.within else hit.name)  # names are data: no Markdown
        cols[i % len(cols)].button(label, key=f"find_{hit.adcode}", on_click=go_to, args=(hit.adcode,),
                                   width="stretch")


# ---- view state ----------------------------------------------------------------------------------


WIDGET_KEYS = tuple("lang_en" if key == "lang" else key for key in vs.FIELDS)  # the language is a toggle


def init_view(path: str, version: float) -> None:
    """Read the URL on every run: it is the state. When it differs from what the app last wrote
    (the browser's Back or Forward, an edited or pasted link) the view follows it; otherwise the
    session's widgets hold the view (and `finish` writes it back into the URL)."""
    ss = st.session_state
    for key in WIDGET_KEYS:  # keep widget-bound values alive on pages that do not show the widget
        if key in ss:
            ss[key] = ss[key]
    if "_play_next" in ss:  # the map's play button steps the year between runs
        ss["year"] = ss.pop("_play_next")
    query = st.query_params.to_dict()
    # a page link without parameters (or a bare address) keeps the session's view
    if ss.get("_view_ready") and (not query or query == ss.get("_url")):
        years = summary(path, version).years
        if years and ss.get("year") not in years:  # an import removed it: say so
            ss["_year_gone"] = (ss.get("year"), years[-1])
            ss["year"] = years[-1]
        return
    s = summary(path, version)
    options = region_options(path, version)
    default_region = next(iter(options))
    view = vs.from_query(query, years=s.years, regions=options, counties=county_names(path, version)["adcode"],
                         metrics=metrics.map_metrics(criteria(NATIONAL_RULES)), default_region=default_region,
                         plans=plans(), rules=rule_sets().sets)
    for key in vs.FIELDS:
        if key != "lang":
            ss[key] = getattr(view, key)
    ss["lang_en"] = view.lang == "en"
    ss["_url"] = query
    ss["_view_ready"] = True


def view() -> vs.ViewState:
    ss = st.session_state
    return vs.ViewState(year=int(ss["year"]), stage=ss.get("stage", "all"), region=ss["region"],
                        county=ss.get("county", ""), metric=ss.get("metric", "status"), school=ss.get("school", ""),
                        plan=ss.get("plan", ""), lang=lang(), rules=rules_in_use())


def sync_url() -> None:
    """Write the view into the URL so a copied link reopens it (and Back returns to it)."""
    wanted = vs.to_query(view())
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)
    st.session_state["_url"] = wanted


def _on_region_change() -> None:
    ss = st.session_state
    if ss.get("county") and not regions.contains(ss["region"], ss["county"]):
        ss["county"] = ""
    ss["school"] = ""


def _on_county_change() -> None:
    ss = st.session_state
    ss["school"] = ""
    if ss.get("county") and regions.kind(ss["region"]) in ("province", "national"):
        ss["region"] = regions.city_of(ss["county"])


def sidebar(path: str, version: float) -> None:
    """Year, stage, region and county pickers shared by every page."""
    language = lang()
    s = summary(path, version)
    sb = st.sidebar
    sb.selectbox(t("year", language), list(s.years), key="year")
    sb.radio(t("stage", language), ["all", "primary", "junior"], key="stage", horizontal=True,
             format_func=lambda x: stage_label(x, language))
    options = region_options(path, version)
    names = picker_names(path, version, language)  # in the reader's language, short
    sb.selectbox(t("region", language), list(options), key="region", on_change=_on_region_change,
                 format_func=lambda c: t("national", language) if options[c] == "national"
                 else ("　" if options[c].startswith("　") else "") + names.get(c, options[c].strip()))
    counties = counties_in(path, version, st.session_state["region"])
    if st.session_state.get("county") and st.session_state["county"] not in counties:
        counties = {**counties, **counties_in(path, version, regions.city_of(st.session_state["county"]))}
    sb.selectbox(t("county", language), ["", *counties], key="county", on_change=_on_county_change,
                 format_func=lambda c: names.get(c, counties[c]) if c in counties else t("no_county", language))
    sets = rule_sets()
    sb.selectbox(t("rules", language), list(sets.sets), key="rules",
                 format_func=lambda r: t("rules_national", language) if r == NATIONAL_RULES else sets.title(r, language))
    for problem in sets.problems:  # a bad rule file is left out, named; the rules in use stay
        sb.warning(t("rules_refused", language, detail=plain(problem)), icon="⚠️")


# Headline tiles shrink with the window and wrap rather than cut ("6.21…", "587,…" at 1024 px):
# officials screenshot them on ordinary laptops. A static table's short columns keep two Chinese
# characters a line (学段, 标准 and 差距 wrapped a character a line at 1366 px). The page starts higher than Streamlit's default
# (6 rem of blank above the banner), so a map's top is on screen at 1366×768. A style-only st.html
# takes no room on the page.
PAGE_STYLE = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 3rem; }
[data-testid="stMetricValue"] > div { font-size: clamp(1.1rem, 2vw, 2.25rem); white-space: normal;
  overflow: visible; text-overflow: clip; overflow-wrap: anywhere; line-height: 1.25; }
[data-testid="stMetricLabel"] *, [data-testid="stMetricDelta"] * { white-space: normal !important;
  overflow: visible; text-overflow: clip; overflow-wrap: anywhere; }
[data-testid="stTable"] th, [data-testid="stTable"] td { min-width: 3.6em; }
</style>"""


# A "working" cue for every rerun longer than half a second (the minimal toolbar hides
# Streamlit's own running indicator). Streamlit marks its root with the script's state; the cue is
# that root's ::after, shown while the state is "running" after a 0.5 s delay, so quick reruns do
# not flicker. Style only (no room on the page), no script, no network.
WORKING_CUE = """<style>
[data-testid="stApp"]::after { content: "{label}"; position: fixed; top: 0.55rem; right: 4.5rem;
  z-index: 1000000; visibility: hidden; padding: 0.2rem 0.8rem; border-radius: 1rem;
  background: #1f4e79; color: #fff; font-size: 0.85rem; pointer-events: none; }
[data-testid="stApp"][data-test-script-state="running"]::after { visibility: visible;
  transition: visibility 0s 0.5s; }
</style>"""


def working_cue() -> None:
    """The cue's style (see WORKING_CUE) in the session's language; drawn once per run by the shell."""
    label = t("working", lang()).replace("\\", "").replace('"', "")
    st.html(WORKING_CUE.replace("{label}", label))


def banner(path: str, version: float) -> None:
    """The demo-data warning (or the imported-data note): on every page."""
    s = summary(path, version)
    if s.synthetic:
        st.warning(t("synthetic_banner", lang()), icon="⚠️")
    else:
        st.info(t("imported_banner", lang()))
    if rules_in_use() != NATIONAL_RULES:  # every page says which rules its verdicts follow
        st.info(t("rules_banner", lang(), rules=plain(rule_sets().title(rules_in_use(), lang()))), icon=":material/rule:")
    gone = st.session_state.pop("_year_gone", None)
    if gone:
        st.warning(t("year_gone", lang(), old=gone[0], new=gone[1]))
    if "scenario" in s.meta:
        st.info(t("scenario_banner", lang(), detail=plain(s.meta["scenario"])), icon="🧪")


def _outdated(path: str, version: float) -> bool:
    """True when the database was written by an earlier version of the data model."""
    try:
        db.reader(path, version).close()
    except db.OutdatedDatabase:
        return True
    return False


def _is_demo(path: Path) -> bool:
    con = db.connect(path, check_version=False)
    try:
        return db.is_synthetic(con)
    finally:
        con.close()


def shell(needs_data: bool = True) -> tuple[str, float]:
    """Everything every page needs before its own content: returns (database path, version).
    needs_data=False (the Data page) runs on even when the database holds no school year yet.

    The error boundary of every page: a malformed criteria file, a database that cannot be read,
    stop the page with their one-line message, never a traceback. A malformed plan file only
    loses its own plan: the sidebar names it and every other page and plan keeps working."""
    # a local icon: a ":material/…:" page icon is fetched from Google's font CDN
    st.set_page_config(page_title="均衡 Junheng", page_icon=str(DATA_DIR / "icon.png"), layout="wide")
    try:
        criteria()  # the rules every page reads: a bad file is reported here, once
        return _shell(needs_data)
    except JunhengError as exc:
        stop_with(exc)


def stop_with(exc: Exception) -> None:
    """Show an error a user can act on (its message names the file, row or value) and stop."""
    st.error(t("input_error", lang(), detail=plain(str(exc))), icon="🛑")
    st.stop()


def _shell(needs_data: bool) -> tuple[str, float]:
    language = lang()
    db_path = database_path()
    if not db_path.exists() and read_only():
        st.error(t("readonly_no_db", language))
        st.stop()
    if db_path.exists() and _outdated(str(db_path), db_path.stat().st_mtime):
        if read_only() or not _is_demo(db_path):  # real data is never rebuilt: say what to run
            st.error(t("outdated_db", language))
            st.stop()
        db_path.unlink()  # an outdated demo is generated data: build it again
    if not db_path.exists():
        from analytics.synthetic import demo  # only the first run on a new machine builds one

        bar = st.progress(0.0, text=t("building_db", language))
        demo.build_demo(db_path, if_missing=True,  # a second first visitor waits for the first's build
                        progress=lambda f, m: bar.progress(min(f, 1.0), text=f"{t('building_db', language)} {m}"))
        bar.empty()
        st.toast(t("built_db", language))
    path, version = current()
    if not summary(path, version).years:  # schools imported, no year yet: say what to add
        _nothing_to_assess(path, version, needs_data)
        return path, version
    st.session_state.pop("_no_view", None)
    init_view(path, version)
    links = vs.to_query(view())  # a page link carries the view: the next page opens on it
    for page, key, icon, _ in PAGES:
        st.sidebar.page_link(page, label=t(key, lang()), icon=icon, query_params=links)
    st.sidebar.toggle(t("language"), key="lang_en")
    sidebar(path, version)
    for problem in plan_folder().problems:
        st.sidebar.warning(t("plan_refused", lang(), detail=plain(problem)), icon="⚠️")
    st.html(PAGE_STYLE)
    working_cue()
    banner(path, version)
    return path, version


def _nothing_to_assess(path: str, version: float, needs_data: bool) -> None:
    """A database with schools but no school year (the school list imported first): the page
    links, the language switch and what to import next; a page that needs a year stops here."""
    st.session_state["_no_view"] = True
    for page, key, icon, _ in PAGES:
        st.sidebar.page_link(page, label=t(key, lang()), icon=icon)
    st.sidebar.toggle(t("language"), key="lang_en")
    working_cue()
    banner(path, version)
    s = summary(path, version)
    st.info(t("nothing_to_assess", lang(), schools=f"{s.schools:,}", counties=f"{s.counties:,}"), icon="ℹ️")
    if needs_data:
        st.page_link("pages/data.py", label=t("page_data", lang()), icon=":material/upload_file:")
        st.stop()


def page_link(where, page: str, label: str, icon: str) -> None:
    """A link to another page that carries the current view (and language) with it."""
    where.page_link(page, label=label, icon=icon, query_params=vs.to_query(view()))


def finish() -> None:
    """Last call of every page: the URL reflects the view (when there is one to reflect)."""
    if not st.session_state.get("_no_view"):
        sync_url()
