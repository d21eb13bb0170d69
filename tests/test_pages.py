"""Every page run by AppTest on the demo database, including the URL round trip."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture
def app(monkeypatch, demo_db):
    monkeypatch.setenv("JUNHENG_DB", str(demo_db))
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
    texts = " ".join(str(df.value.to_csv()) for df in app.dataframe)
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
