"""Every page run by AppTest on the demo database, including the URL round trip."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def import_good_corpus(path: Path) -> None:
    """Replace the app's database by the good import corpus (锦江区, 2024, 3 schools)."""
    from analytics.ingest import importer

    corpus = Path(__file__).parent / "corpus"
    names = ["good_schools.csv", "good_stages_gbk.csv", "good_facilities_bom.csv", "good_county.csv",
             "good_teachers_two_headers.xlsx"]
    importer.import_files(path, [(n, (corpus / n).read_bytes()) for n in names], new=True, source="测试数据")


@pytest.fixture
def app(monkeypatch, demo_db):
    """A new visitor's session on the demo, on a server that has seen no screen yet."""
    from pages.ui import common

    monkeypatch.setenv("JUNHENG_DB", str(demo_db))
    common._reported_widths.clear()
    return AppTest.from_file(APP, default_timeout=120)


def test_map_page_shows_region_title_and_banner(app):
    app.switch_page("pages/map.py").run()
    assert not app.exception
    assert app.title[0].value.startswith("四川省 2026年")
    assert any("演示数据" in w.value for w in app.warning)


def test_selecting_a_county_zooms_to_its_prefecture_and_writes_the_url(app):
    app.switch_page("pages/map.py").run()
    app.sidebar.selectbox(key="county").set_value("510104").run()
    assert not app.exception
    assert app.title[0].value.startswith("成都市")
    assert app.query_params["county"] == ["510104"] or app.query_params["county"] == "510104"


def test_profile_shows_status_and_failing_criteria_from_the_url(app):
    app.query_params.update({"county": "513401", "year": "2024", "stage": "all"})
    app.switch_page("pages/county.py").run()
    assert not app.exception
    assert app.title[0].value == "西昌市（凉山彝族自治州）2024年"
    assert [m.label for m in app.metric[:3]] == ["小学", "初中", "全部"]
    texts = " ".join(str(table.value.to_csv()) for table in app.table)
    assert "RS 每所学校至少6项指标达标" in texts  # failing criteria table


def test_profile_asks_for_a_county_when_none_is_selected(app):
    app.switch_page("pages/county.py").run()
    assert not app.exception
    assert "请在地图上点击" in app.info[0].value


def test_url_state_round_trip(app):
    app.query_params.update({"year": "2023", "stage": "junior", "region": "510100", "metric": "cv_r4"})
    app.switch_page("pages/map.py").run()
    assert app.sidebar.selectbox(key="year").value == 2023
    assert app.sidebar.radio(key="stage").value == "junior"
    assert app.selectbox(key="metric").value == "cv_r4"
    assert "成都市 2023年 初中" in app.title[0].value


def test_back_to_province_button_returns_to_the_province_map(app):
    app.query_params.update({"region": "510100", "county": "510104"})
    app.switch_page("pages/map.py").run()
    assert app.title[0].value.startswith("成都市")
    app.button[0].click().run()
    assert not app.exception
    assert app.title[0].value.startswith("四川省")
    assert app.sidebar.selectbox(key="county").value == ""


def test_progress_page_scorecard_for_the_province(app):
    app.query_params.update({"plan": "rectification-2024-2026", "region": "510000", "year": "2026"})
    app.switch_page("pages/progress.py").run()
    assert not app.exception
    assert app.title[0].value == "目标进展：四川省 · 截至2026年"
    card = app.table[0].value
    assert "县域义务教育优质均衡达标率" in set(card["目标"])
    row = card[card["目标"] == "县域义务教育优质均衡达标率"].iloc[0]
    assert row["目标值"] == "≥ 85.0%（2026）"
    assert row["进展"] in {"已达标", "按期", "滞后", "严重滞后"}
    assert "各县（区）进展" in app.dataframe[0].value.columns  # every figure: in the grid under it


def test_progress_page_switches_plan_and_keeps_it_in_the_url(app):
    app.query_params.update({"region": "510000"})
    app.switch_page("pages/progress.py").run()
    app.selectbox(key="plan").set_value("modernization-2026").run()
    assert not app.exception
    card = app.dataframe[0].value
    assert card[card["目标"] == "优质均衡县（区）占比"].iloc[0]["目标值"] == "≥ 65.0%（2026）"
    assert app.query_params["plan"] in (["modernization-2026"], "modernization-2026")


def test_progress_page_for_a_county_uses_its_province_for_province_targets(app):
    app.query_params.update({"plan": "modernization-2026", "county": "510104", "year": "2025"})
    app.switch_page("pages/progress.py").run()
    assert not app.exception
    card = app.dataframe[0].value
    assert card[card["目标"] == "优质均衡县（区）占比"].iloc[0]["统计范围"] == "省：四川省"
    assert card[card["目标"] == "县域内教师交流比例"].iloc[0]["统计范围"] == "县（区）"
    assert "各县（区）进展" not in card.columns


def test_gap_page_shows_totals_and_a_county_plan(app):
    app.query_params.update({"region": "510000", "county": "513401", "year": "2026"})
    app.switch_page("pages/gap.py").run()
    assert not app.exception
    assert app.title[0].value == "达标缺口测算：四川省 · 2026年"
    assert [m.label for m in app.metric][:2] == ["总成本", "新聘教师"]
    ranked = app.dataframe[0].value
    assert ranked["总成本 万元"].is_monotonic_decreasing
    assert "西昌市：逐校方案" in [h.value for h in app.subheader]
    assert any("合计约" in m.value for m in app.markdown)


def test_data_page_then_an_import_reloads_every_page(monkeypatch, demo_db, tmp_path):
    path = tmp_path / "app.duckdb"
    path.write_bytes(demo_db.read_bytes())
    monkeypatch.setenv("JUNHENG_DB", str(path))
    app = AppTest.from_file(APP, default_timeout=120)
    app.switch_page("pages/data.py").run()
    assert not app.exception
    assert app.title[0].value == "数据导入"
    assert app.checkbox(key="import_new").value is True          # demo data: a new database only
    app.switch_page("pages/home.py").run()
    assert any("演示数据" in w.value for w in app.warning)
    import_good_corpus(path)
    app.query_params.update({"year": "2024"})
    app.run()
    assert not app.exception
    assert not any("演示数据" in w.value for w in app.warning), [w.value for w in app.warning] + [i.value for i in app.info]
    assert [m.value for m in app.metric][:2] == ["1", "3"]       # one county, three schools
    app.switch_page("pages/data.py").run()
    assert "good_schools.csv" in app.dataframe[0].value.to_csv()
    assert "app.duckdb.bak1" in " ".join(c.value for c in app.caption)


def test_read_only_mode_disables_the_import(monkeypatch, app):
    monkeypatch.setenv("JUNHENG_READONLY", "1")
    app.switch_page("pages/data.py").run()
    assert not app.exception
    assert any("只读模式" in i.value for i in app.info)
    assert len(app.get("file_uploader")) == 0 and not [b for b in app.button if b.key == "do_import"]


def test_read_only_mode_never_builds_a_database(monkeypatch, tmp_path):
    monkeypatch.setenv("JUNHENG_DB", str(tmp_path / "none.duckdb"))
    monkeypatch.setenv("JUNHENG_READONLY", "1")
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert any("只读模式" in e.value for e in at.error)
    assert not (tmp_path / "none.duckdb").exists()


def test_the_server_listens_on_this_machine_only_and_hides_error_details():
    import tomllib

    config = tomllib.loads((Path(APP).parent / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["address"] == "127.0.0.1"
    assert config["client"]["showErrorDetails"] == "none"


def test_a_year_removed_by_an_import_falls_back_with_a_notice(monkeypatch, demo_db, tmp_path):
    """The session shows 2026; an import replaces the demo with a 2024-only database: the next
    run shows 2024 and says so (it used to jump silently)."""
    path = tmp_path / "app.duckdb"
    path.write_bytes(demo_db.read_bytes())
    monkeypatch.setenv("JUNHENG_DB", str(path))
    app = AppTest.from_file(APP, default_timeout=120)
    app.switch_page("pages/home.py").run()
    assert app.session_state["year"] == 2026
    import_good_corpus(path)
    app.run()
    assert not app.exception
    assert app.session_state["year"] == 2024
    assert any("不再包含 2026 学年" in w.value for w in app.warning)


def test_profile_of_an_incomplete_county_is_not_shown_in_pass_green(monkeypatch, tmp_path):
    """No known failure but data missing: the 'all criteria with data pass' line is neutral."""
    from tests.factory import School, build

    path = build(tmp_path / "p.duckdb", [School("a", {"primary": 200}), School("b", {"junior": 200}, kind="初中"),
                                         School("c", {"primary": 200}, facilities=False)])
    monkeypatch.setenv("JUNHENG_DB", str(path))
    app = AppTest.from_file(APP, default_timeout=120)
    app.query_params.update({"county": "510104", "region": "510100", "year": "2024"})
    app.switch_page("pages/county.py").run()
    assert not app.exception
    assert not app.success and any("有数据的指标均达标" in i.value for i in app.info)


def test_the_place_search_opens_a_county_found_by_its_initials(app):
    app.switch_page("pages/map.py").run()
    app.text_input(key="find").input("yx").run()
    assert not app.exception
    found = [b for b in app.button if b.label == "越西县 · 凉山彝族自治州"]
    assert found
    found[0].click().run()
    assert app.session_state["county"] == "513434" and app.session_state["region"] == "513400"
    assert app.title[0].value.startswith("凉山彝族自治州")


def test_the_map_page_offers_a_table_and_a_comparison_chart(app):
    app.query_params.update({"region": "513400", "metric": "cv_r1", "stage": "primary"})
    app.switch_page("pages/map.py").run()
    assert not app.exception
    assert [tab.label for tab in app.tabs] == ["地图", "表格", "图表"]
    app.session_state["map_tab"] = "表格"
    app.run()
    table = app.dataframe[0].value
    assert len(table) == 17 and "差异系数：每百名学生拥有高于规定学历教师数" in table.columns
    app.session_state["map_tab"] = "图表"
    app.run()
    assert len(app.multiselect(key="compare").value) == 4


def test_a_map_is_drawn_only_once_its_columns_width_is_known(app):
    """Before the browser reports the column's width (AppTest runs no JavaScript) the map's place
    is an empty frame, so a first visit draws one fitted map, not an unfitted one before it."""
    for page, width_key in (("map", "map_width"), ("gap", "gap_map_width"), ("progress", "progress_map_width")):
        app.switch_page(f"pages/{page}.py").run()
        assert not app.exception and not app.get("deck_gl_json_chart"), page
        app.session_state[width_key] = 1000
        app.run()
        assert not app.exception and len(app.get("deck_gl_json_chart")) == 1, page


def test_a_new_visitor_gets_the_map_at_once_at_the_width_this_server_last_saw(app, demo_db):
    """The first run of a later visit draws the map at the width an earlier session's column
    reported (no empty frame, no second run when the screen is the same); a different column
    reports its width and the map is drawn again, fitted to it."""
    app.session_state["map_width"] = 1000
    app.switch_page("pages/map.py").run()
    later = AppTest.from_file(APP, default_timeout=120)
    later.switch_page("pages/map.py").run()
    assert not later.exception
    maps_drawn = later.get("deck_gl_json_chart")
    assert len(maps_drawn) == 1 and maps_drawn[0].proto.id.endswith("-w1000-fitted")
    later.session_state["map_width"] = 640
    later.run()
    assert later.get("deck_gl_json_chart")[0].proto.id.endswith("-w640-fitted")


def test_only_the_open_tab_of_the_map_page_runs(app):
    """A first visit gets the map, not also a data grid and a chart laid out unseen."""
    app.session_state["map_width"] = 1000
    app.switch_page("pages/map.py").run()
    assert not app.exception
    assert app.get("deck_gl_json_chart") and not app.dataframe and not app.multiselect
    app.session_state["map_tab"] = "表格"
    app.run()
    assert app.dataframe and not app.get("deck_gl_json_chart")


def test_the_compared_counties_are_kept_while_the_chart_tab_is_closed(app):
    app.query_params.update({"region": "513400"})
    app.switch_page("pages/map.py").run()
    app.session_state["map_tab"] = "图表"
    app.run()
    app.multiselect(key="compare").set_value(["513434", "513401"]).run()
    app.session_state["map_tab"] = "地图"
    app.run()
    app.session_state["map_tab"] = "图表"
    app.run()
    assert app.multiselect(key="compare").value == ["513434", "513401"]


@pytest.fixture
def bad_plan_beside_the_good(tmp_path, monkeypatch):
    """data/plans holding the shipped plans and one malformed file."""
    import shutil

    import streamlit as st

    from analytics.assess import targets

    for f in targets.plan_files():
        shutil.copy(f, tmp_path / f.name)
    (tmp_path / "bad.toml").write_text('name = "bad"\ntitle_zh = "坏计划"\n[[target]]\nmetric = "no_such_metric"\n',
                                       encoding="utf-8")
    monkeypatch.setattr(targets, "PLANS_DIR", tmp_path)
    st.cache_resource.clear()
    yield tmp_path
    st.cache_resource.clear()  # the good plans again for the next test


def _said(elements) -> str:
    return " ".join(e.value.replace("\\", "") for e in elements)  # Markdown-escaped on screen


def test_a_malformed_plan_file_is_named_and_every_page_keeps_working(app, bad_plan_beside_the_good):
    for page in ("pages/map.py", "pages/county.py", "pages/gap.py", "pages/home.py"):
        app.switch_page(page).run()
        assert not app.exception and not app.error, page
        assert "bad.toml, line 1" in _said(app.sidebar.warning), page


def test_a_malformed_plan_file_leaves_the_other_plans_on_the_progress_page(app, bad_plan_beside_the_good):
    app.switch_page("pages/progress.py").run()
    assert not app.exception and not app.error
    assert "bad.toml, line 1" in _said(app.warning)
    assert len(app.selectbox(key="plan").options) == 2  # the two shipped plans
    assert app.dataframe  # the scorecard of a good plan


def test_with_no_usable_plan_the_progress_page_says_what_to_do(app, tmp_path, monkeypatch):
    import streamlit as st

    from analytics.assess import targets

    (tmp_path / "bad.toml").write_text("[plan]\nname = 5\n", encoding="utf-8")
    monkeypatch.setattr(targets, "PLANS_DIR", tmp_path)
    st.cache_resource.clear()
    try:
        app.switch_page("pages/progress.py").run()
        assert not app.exception
        assert "bad.toml" in _said(app.warning) and "data/plans" in _said(app.info)
    finally:
        st.cache_resource.clear()


def test_the_briefing_page_shows_its_sheet_offers_every_download_and_starts_the_pack_renderer(app):
    """The page officials open first for a briefing; it also starts the process that renders packs,
    so the first ZIP does not wait for it."""
    import multiprocessing

    from analytics.export import rendering

    rendering.stop_helper(wait=True)
    assert not multiprocessing.active_children()
    app.query_params.update({"region": "510000"})
    app.switch_page("pages/briefing.py").run()
    assert not app.exception
    assert app.title[0].value == "简报：四川省 · 2026年"
    labels = {b.label for b in app.get("download_button")}
    assert {"下载简报 PDF", "下载官方表格 Excel", "幻灯片 PPTX", "下载全部 ZIP"} <= labels
    assert app.get("image")  # the sheet, previewed
    assert multiprocessing.active_children()  # started by the page


# every county-year of the demo with an assessed school whose compliance is unknown (no
# facilities return or no teacher rows); test_maps checks the demo still has them
UNKNOWN_COMPLIANCE = [("511011", 2024), ("511324", 2023), ("510502", 2023), ("511702", 2024), ("513338", 2024),
                      ("510504", 2025), ("511002", 2025), ("510821", 2025), ("510811", 2026), ("511123", 2026),
                      ("511923", 2026)]


@pytest.mark.slow
@pytest.mark.parametrize("adcode,year", UNKNOWN_COMPLIANCE)
def test_map_and_profile_open_for_a_county_with_a_school_of_unknown_compliance(app, adcode, year):
    app.query_params.update({"region": adcode[:4] + "00", "county": adcode, "year": str(year)})
    app.switch_page("pages/map.py").run()
    assert not app.exception, app.exception
    app.switch_page("pages/county.py").run()
    assert not app.exception, app.exception
    texts = " ".join(df.value.to_csv() for df in app.dataframe)
    assert "数据不足" in texts  # the school's compliance column: unknown, not 不参评


def test_markdown_and_links_in_a_county_name_show_as_typed_text(monkeypatch, tmp_path):
    """A name from an operator's file ('![t](http://host/t.png)', a bare URL) is text in titles:
    never an image the viewer's browser fetches, never a link."""
    from tests.factory import School, build

    name = "![t](http://host/t.png) http://host/a"
    path = build(tmp_path / "m.duckdb", [School("a", {"primary": 200})], county_names={"510104": name})
    monkeypatch.setenv("JUNHENG_DB", str(path))
    for page in ("pages/county.py", "pages/gap.py", "pages/briefing.py", "pages/progress.py"):
        app = AppTest.from_file(APP, default_timeout=120)
        app.query_params.update({"county": "510104", "region": "510104" if page != "pages/county.py" else "510100",
                                 "year": "2024"})
        app.switch_page(page).run()
        assert not app.exception, page
        titles = [e.value for e in [*app.title, *app.subheader] if "host" in e.value]
        assert titles, page
        for value in titles:
            assert "\\!\\[t\\]\\(http\\:" in value and "http://" not in value, (page, value)


def test_the_map_table_names_every_criterion_code_it_shows(app):
    """Before: 'R5·小学, G14·初中' with no key anywhere."""
    app.query_params.update({"region": "513400", "year": "2026"})
    app.switch_page("pages/map.py").run()
    app.session_state["map_tab"] = "表格"
    app.run()
    assert not app.exception
    table = app.dataframe[0].value
    shown = {c.split("·")[0] for cell in table["未达标指标"] for c in cell.split(", ") if c}
    key = next(c.value for c in app.caption if c.value.startswith("指标代码："))
    assert shown and all(f"{code} " in key for code in shown)
    assert "RS 每所学校" in key or "RS" not in shown


def test_the_profile_failing_criteria_are_a_table_that_wraps_every_name_in_full(app):
    """Before: a grid cut "RS 每所学校…" and the school list at 1024–1920 px."""
    app.query_params.update({"county": "513434", "region": "513400", "year": "2026"})
    app.switch_page("pages/county.py").run()
    assert not app.exception
    table = app.table[0].value
    assert any(name.startswith("RS 每所学校至少6项指标达标") for name in table["指标"])


def test_the_scorecard_shows_each_target_name_whole_beside_its_progress(app):
    """Before: target names cut at 1366 ('农村学校生均教学仪器值达城镇…') and, pinned in a grid,
    still at 1024. Now a static table (its text wraps) of the essential columns, no status code."""
    app.query_params.update({"region": "510000", "plan": "rectification-2024-2026"})
    app.switch_page("pages/progress.py").run()
    assert not app.exception
    card = app.table[0].value
    assert list(card.columns) == ["目标", "进展", "最新", "目标值", "预测（目标年）"]
    full = app.dataframe[0].value
    assert list(card["目标"]) == list(full["目标"]) and "status" not in full.columns


def test_english_mode_names_places_in_english_with_the_chinese_beside(app):
    """Before: '四川省 2026 · All · Status' and Chinese pickers in English mode."""
    app.query_params.update({"region": "513400", "lang": "en"})
    app.switch_page("pages/map.py").run()
    assert not app.exception
    assert app.title[0].value.startswith("Liangshan Yi Autonomous Prefecture \\(凉山彝族自治州\\) 2026")  # plain(): escaped
    region = app.selectbox(key="region")
    assert "Sichuan Province" in region.options and "　Liangshan Prefecture" in region.options  # short: it fits
    assert "Yuexi County" in app.selectbox(key="county").options
    app.session_state["map_tab"] = "Table"
    app.run()
    table = app.dataframe[0].value
    assert "Yuexi County" in set(table["County"]) and set(table["Prefecture"]) == {"Liangshan Yi Autonomous Prefecture"}


def test_english_map_labels_and_tooltips_are_in_english():
    from analytics.present import geometry

    labels = {rec["text"] for rec in geometry.label_records("513400", "en")}
    assert {"Yuexi", "Xichang"} <= labels and not any("县" in text for text in labels)


ENGLISH_PAGES = {"pages/home.py": {}, "pages/map.py": {"region": "513400"},
                 "pages/county.py": {"county": "513434", "region": "513400"}, "pages/progress.py": {"region": "513400"},
                 "pages/gap.py": {"region": "513400", "county": "513434"}, "pages/briefing.py": {"region": "513400"},
                 "pages/data.py": {}}


def _shown_text(app) -> list[str]:
    texts = []
    for kind in ("title", "subheader", "caption", "markdown", "info", "warning", "success", "metric", "button",
                 "selectbox", "radio", "toggle"):
        for element in getattr(app, kind):
            texts += [v for v in (getattr(element, "value", None), getattr(element, "label", None)) if isinstance(v, str)]
    for frame in [*(d.value for d in app.dataframe), *(t.value for t in app.table)]:
        texts += [str(c) for c in frame.columns]
        texts += [str(v) for c in frame.columns if frame[c].dtype == object for v in frame[c].head(20)]
    return texts


@pytest.mark.parametrize("page", ENGLISH_PAGES)
def test_english_mode_is_english_with_chinese_only_beside_a_name(app, page):
    """Before: Chinese place names, school kinds, '1 criteria', full-width colons in English text.
    Chinese stays only in brackets beside its English (names, the map note, a plan's document)
    and in school names, which are data."""
    import re

    app.query_params.update({**ENGLISH_PAGES[page], "lang": "en"})
    app.switch_page(page).run()
    assert not app.exception
    schools = "|".join(re.escape(n) for n in ("小学", "中学", "学校", "教学点"))
    for text in _shown_text(app):
        bare = re.sub(r"\\?\([^()]*\\?\)", "", text)                       # (中文) beside its English
        bare = re.sub(rf"[\u4e00-\u9fff\d]+(?:{schools})[^、,;]*", "", bare)  # school names (data)
        assert not re.search(r"[\u4e00-\u9fff\u3000-\u303f\uff01-\uff5e]", bare), (page, text)
        assert not re.search(r"\b1 (criteria|counties|schools)\b", bare), (page, text)
