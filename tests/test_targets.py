"""Target plans: the committed plans load, and malformed files are refused naming the line."""

from __future__ import annotations

import pytest

from analytics.assess import targets
from analytics.assess.targets import PlanError, load_plan

GOOD = """\
[plan]
name = "my-plan"
title_zh = "我的规划"
title_en = "My plan"
baseline_year = 2023

[[target]]
metric = "exchange_share"
scope = "county"
year = 2026
value = 0.2
direction = ">="
unit = "%"
label_zh = "教师交流比例"
label_en = "Teachers exchanged"
"""


def write(tmp_path, text: str):
    path = tmp_path / "plan.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_committed_plans_follow_domain_section_3():
    plans = targets.load_plans()
    assert set(plans) == {"modernization-2026", "rectification-2024-2026"}
    m, r = plans["modernization-2026"], plans["rectification-2024-2026"]
    assert m.target("pass_share@2026").value == 0.65
    assert r.target("pass_share@2026").value == 0.85
    assert m.target("exchange_share@2026").value == 0.15
    assert r.target("exchange_share@2026").value == 0.20
    assert r.target("cv_hardware@2025").value == 0.40 and r.target("cv_hardware@2026").direction == "<="
    assert r.phases[2025]["zh"] == "重点突破"


def test_good_plan_loads_with_default_stage(tmp_path):
    plan = load_plan(write(tmp_path, GOOD))
    assert plan.name == "my-plan"
    assert plan.targets[0].stage == "all"
    assert plan.targets[0].key == "exchange_share@2026"


def test_find_plan_accepts_a_path(tmp_path):
    assert targets.find_plan(str(write(tmp_path, GOOD))).name == "my-plan"


def test_unknown_plan_name_lists_known_ones():
    with pytest.raises(PlanError, match="known plans: modernization-2026"):
        targets.find_plan("nope")


def test_syntax_error_names_the_line(tmp_path):
    with pytest.raises(PlanError, match=r"line 9: not valid TOML"):
        load_plan(write(tmp_path, GOOD.replace('scope = "county"', 'scope = county')))


def test_unknown_metric_names_its_line(tmp_path):
    with pytest.raises(PlanError, match=r"plan.toml, line 8: target #1: unknown metric 'teachers'"):
        load_plan(write(tmp_path, GOOD.replace('"exchange_share"', '"teachers"')))


def test_share_given_as_percent_is_refused(tmp_path):
    with pytest.raises(PlanError, match=r"line 11: .*fractions"):
        load_plan(write(tmp_path, GOOD.replace("value = 0.2", "value = 20")))


def test_target_year_must_follow_baseline(tmp_path):
    with pytest.raises(PlanError, match=r"line 10: .*after the baseline year 2023"):
        load_plan(write(tmp_path, GOOD.replace("year = 2026", "year = 2023")))


def test_missing_field_names_the_target(tmp_path):
    with pytest.raises(PlanError, match=r"line 7: target #1: missing 'direction'"):
        load_plan(write(tmp_path, GOOD.replace('direction = ">="\n', "")))


def test_metric_at_a_level_it_does_not_exist_at_is_refused(tmp_path):
    bad = GOOD.replace('"exchange_share"', '"cv_composite"').replace('scope = "county"', 'scope = "province"')
    with pytest.raises(PlanError, match=r"line 9: .*cv_composite exists at county"):
        load_plan(write(tmp_path, bad.replace('unit = "%"', 'unit = ""')))


def test_duplicate_target_is_refused(tmp_path):
    text = GOOD + GOOD[GOOD.index("[[target]]"):]
    with pytest.raises(PlanError, match=r"line 17: target #2: duplicate target exchange_share@2026"):
        load_plan(write(tmp_path, text))


def test_missing_plan_table_is_refused(tmp_path):
    with pytest.raises(PlanError, match=r"\[plan\] table"):
        load_plan(write(tmp_path, GOOD[GOOD.index("[[target]]"):]))


def test_plans_carry_the_corrections_and_additions_of_domain_section_3():
    plans = targets.load_plans()
    m, r = plans["modernization-2026"], plans["rectification-2024-2026"]
    assert r.target("rural_training_hours@2026").value == 80
    assert not any(t.key == "rural_training_hours@2025" for t in r.targets)
    assert "代理" in m.target("equipment_schools_share@2026").label_zh
    assert r.target("backbone_exchange_share@2026").value == 0.20
    assert r.target("quality_hs_quota_share@2026").value == 0.60
    assert r.target("rural_rooms_share@2026").value == 1.0
    ptr = r.target("pupil_teacher_ratio@2024")
    assert (ptr.value, ptr.direction) == (15, "<=")
    assert r.target("rural_pay_premium@2026").value == 0.15


def test_open_definitions_are_stated_with_the_plan():
    r = targets.load_plans()["rectification-2024-2026"]
    text = "\n".join(r.definitions("zh"))
    assert "R4–R7" in text and "社会捐赠 ÷ 区域全部教育经费" in text and "符合交流条件教师数" in text
    assert any("donations ÷ all education funding" in line for line in r.definitions("en"))


def test_a_malformed_file_in_the_plans_folder_loses_only_its_own_plan(tmp_path):
    write(tmp_path, GOOD)
    (tmp_path / "broken.toml").write_text("[plan]\nname = 5\n", encoding="utf-8")
    folder = targets.read_plans(tmp_path)
    assert list(folder.plans) == ["my-plan"]
    assert len(folder.problems) == 1 and "broken.toml" in folder.problems[0]
    assert targets.find_plan("my-plan", tmp_path).name == "my-plan"
    with pytest.raises(PlanError, match="refused: .*broken.toml"):
        targets.find_plan("other", tmp_path)


def test_the_cli_lists_the_good_plans_and_warns_of_a_refused_file(tmp_path, monkeypatch, capsys):
    from analytics.cli import main

    write(tmp_path, GOOD)
    (tmp_path / "broken.toml").write_text("[plan]\nname = 5\n", encoding="utf-8")
    monkeypatch.setattr(targets, "PLANS_DIR", tmp_path)
    assert main(["progress", "--list-plans"]) in (0, None)
    out, err = capsys.readouterr()
    assert out.startswith("my-plan\t") and "warning: plan file refused:" in err and "broken.toml" in err
