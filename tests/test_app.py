"""The home page, run by Streamlit's AppTest against real databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def run_app(monkeypatch, db_path, timeout=120) -> AppTest:
    monkeypatch.setenv("JUNHENG_DB", str(db_path))
    at = AppTest.from_file(APP, default_timeout=timeout)
    return at.run()


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_home_shows_title_banner_and_summary(monkeypatch, demo_db):
    at = run_app(monkeypatch, demo_db)
    assert not at.exception
    assert "均衡" in at.title[0].value
    assert any("演示数据（模拟生成）" in w.value for w in at.warning)
    assert metric(at, "县（区）") == "183"
    assert metric(at, "学年") == "2023–2026"
    assert int(metric(at, "学校").replace(",", "")) > 8000


def test_home_counts_statuses_of_the_latest_year(monkeypatch, demo_db):
    at = run_app(monkeypatch, demo_db)
    counts = [int(metric(at, label)) for label in ("达标", "差1–2项", "数据不足", "差3项及以上", "不予认定")]
    assert sum(counts) == 183 and counts[0] > 0


def test_english_switch_translates_the_page(monkeypatch, demo_db):
    at = run_app(monkeypatch, demo_db)
    at.sidebar.toggle[0].set_value(True).run()
    assert "Junheng" in at.title[0].value
    assert any("synthetic" in w.value for w in at.warning)
    assert metric(at, "Counties") == "183"


@pytest.mark.slow
def test_first_start_builds_the_demo_database(monkeypatch, tmp_path):
    target = tmp_path / "fresh.duckdb"
    at = run_app(monkeypatch, target, timeout=300)
    assert not at.exception
    assert target.exists()
    assert metric(at, "县（区）") == "183"
