"""Rule sets side by side: the national rules and the files of the rules folder (data/criteria, or
JUNHENG_CRITERIA_DIR), chosen in the sidebar and kept in the URL (`rules=`); every page and export
says which is in use; a bad file is named and left out; the map compares a set with the
national rules county by county."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analytics.assess import criteria
from analytics.export.output import context_from
from analytics.present import state

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
NATIONAL = ROOT / "data" / "criteria.toml"
SHIPPED = ROOT / "data" / "criteria" / "all-teaching-points.toml"
VARIANT = "all-teaching-points"


def test_the_shipped_rule_set_is_the_national_file_with_every_teaching_point_counted():
    """It is a whole criteria file: kept equal to the national one apart from its own lines."""
    national = NATIONAL.read_text(encoding="utf-8").splitlines()
    shipped = [line for line in SHIPPED.read_text(encoding="utf-8").splitlines()]
    body = shipped[shipped.index(national[0]):]
    changed = [(a, b) for a, b in zip(national, body) if a != b]
    assert len(body) == len(national)
    assert [b for _, b in changed][-1] == "small_teaching_point_students = 0"
    assert all(a.startswith(("title", "title_en", "small_teaching_point_students")) for a, _ in changed)


def test_the_rule_sets_are_the_national_rules_and_the_folders_files():
    sets = criteria.read_rule_sets()
    assert list(sets.sets)[:2] == [criteria.NATIONAL_RULES, VARIANT]
    assert sets.sets[VARIANT].resource["small_teaching_point_students"] == 0
    assert sets.title(VARIANT, "en").startswith("2017 No. 6 with every teaching point counted")


def test_a_bad_rule_file_is_named_with_its_key_and_line_and_the_others_stay(tmp_path):
    (tmp_path / "good.toml").write_bytes(NATIONAL.read_bytes())
    (tmp_path / "bad.toml").write_text(NATIONAL.read_text(encoding="utf-8").replace("min_met = 6", "min_met = 8"),
                                       encoding="utf-8")
    sets = criteria.read_rule_sets(tmp_path)
    assert list(sets.sets) == [criteria.NATIONAL_RULES, "good"]
    assert len(sets.problems) == 1 and "bad.toml, line" in sets.problems[0] and "min_met" in sets.problems[0]


def test_the_rules_are_kept_in_the_url_and_the_national_rules_left_out():
    common = dict(years=[2026], regions=["510000"], counties=[], metrics=["status"], default_region="510000")
    chosen = state.from_query({"rules": VARIANT}, rules=["national", VARIANT], **common)
    assert chosen.rules == VARIANT and state.to_query(chosen)["rules"] == VARIANT
    assert state.from_query({"rules": "nowhere"}, rules=["national", VARIANT], **common).rules == "national"
    assert "rules" not in state.to_query(state.from_query({}, rules=["national"], **common))


def test_every_export_under_other_rules_names_them():
    ctx = context_from({}, True, "zh", rules="某省标准")
    assert ctx.source_line().startswith("数据来源：演示数据（模拟生成），不代表真实统计；评估标准：某省标准")
    assert "评估标准" not in context_from({}, True, "zh").source_line()


@pytest.fixture
def app(monkeypatch, demo_db):
    monkeypatch.setenv("JUNHENG_DB", str(demo_db))
    return AppTest.from_file(APP, default_timeout=300)


def test_a_rule_set_from_the_url_changes_the_verdicts_and_every_page_says_so(app):
    app.query_params.update({"region": "510000", "rules": VARIANT})
    app.switch_page("pages/home.py").run()
    assert not app.exception
    assert any("全部教学点计入" in i.value for i in app.info)
    assert app.selectbox(key="rules").value == VARIANT
    counts_variant = {m.label: m.value for m in app.metric}
    app.selectbox(key="rules").set_value("national").run()
    assert not app.exception and not any("全部教学点计入" in i.value for i in app.info)
    counts_national = {m.label: m.value for m in app.metric}
    assert counts_variant["达标"] != counts_national["达标"]


def test_the_comparison_map_lists_the_counties_whose_status_changes_and_why(app):
    app.query_params.update({"region": "510000", "rules": VARIANT, "metric": "change_rules"})
    app.switch_page("pages/map.py").run()
    app.session_state["map_tab"] = "表格"
    app.run()
    assert not app.exception
    table = app.dataframe[0].value
    worse = table[table["所选评估标准与国家标准：评估状态"] == "变差"]
    assert len(worse) > 0
    assert (worse["两套标准判定不同的指标"] != "").all()
    assert (worse["国家标准下状态"] != worse["状态"]).all()


def test_the_comparison_metric_is_offered_only_beside_other_rules(app):
    app.query_params.update({"region": "510000", "metric": "change_rules"})
    app.switch_page("pages/map.py").run()
    assert not app.exception
    assert "change_rules" not in app.selectbox(key="metric").options
    assert app.selectbox(key="metric").value == "status"


def test_a_bad_rule_file_is_named_in_the_sidebar_and_the_app_keeps_its_rules(app, tmp_path, monkeypatch):
    (tmp_path / "bad.toml").write_text(NATIONAL.read_text(encoding="utf-8").replace("floor_ratio = 0.85", "floor_ratio = 2"),
                                       encoding="utf-8")
    monkeypatch.setenv("JUNHENG_CRITERIA_DIR", str(tmp_path))
    app.query_params.update({"region": "510000", "rules": "bad"})
    app.switch_page("pages/map.py").run()
    assert not app.exception
    said = [w.value.replace("\\", "") for w in app.sidebar.warning]  # shown as plain text (escaped)
    line = NATIONAL.read_text(encoding="utf-8").splitlines().index("floor_ratio = 0.85") + 1
    assert any(f"bad.toml, line {line}" in w and "floor_ratio" in w for w in said), said
    assert app.selectbox(key="rules").value == "national"


@pytest.mark.slow
def test_the_official_tables_follow_the_rule_set(demo_db):
    """Teaching points under 50 pupils: left out of the national file's school table, listed under
    the rule set that counts them; the tables say which rules they follow."""
    import io

    import openpyxl

    from analytics.assess import balance
    from analytics.export import reports
    from analytics.export.output import Context
    from analytics.store import db

    sets = criteria.read_rule_sets()
    rows = {}
    with db.connect(demo_db) as con:
        for rules in (criteria.NATIONAL_RULES, VARIANT):
            a = balance.assess(con, 2026, sets.sets[rules])
            ctx = Context(source="演示数据", synthetic=True, rules="" if rules == "national" else sets.title(rules))
            wb = openpyxl.load_workbook(io.BytesIO(reports.workbook(a, sets.sets[rules], "513400", 2026, ctx)))
            texts = [str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value]
            rows[rules] = (sum(1 for ws in wb for _ in ws.iter_rows()), " ".join(texts))
    assert rows[VARIANT][0] > rows[criteria.NATIONAL_RULES][0]
    assert "评估标准：教督〔2017〕6号，全部教学点计入" in rows[VARIANT][1]
    assert "全部教学点计入" not in rows[criteria.NATIONAL_RULES][1]
