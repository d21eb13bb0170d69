"""Malformed criteria and plan files (tests/corpus/rules): every one is refused with one line
naming the file — in the CLI with exit status 2, never a traceback — and values out of range
(NaN, inf, negative thresholds, counted = "no", min_met 8) are refused, not computed with."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analytics.assess import criteria, targets
from analytics.cli import main

RULES = Path(__file__).parent / "corpus" / "rules"
CRITERIA_CASES = {  # file → what the message says
    "criteria_gbk.toml": "not UTF-8",
    "criteria_criterion_number.toml": "list of [[criterion]] tables",
    "criteria_id_list.toml": "'id' must be text",
    "criteria_stages_number.toml": "stages must be a list",
    "criteria_nan_threshold.toml": "finite number",
    "criteria_negative_threshold.toml": "finite number ≥ 0",
    "criteria_nan_cv.toml": "finite number",
    "criteria_inf_weight.toml": "apportion_weights",
    "criteria_counted_no.toml": "counted must be true or false",
    "criteria_min_met_8.toml": "min_met must be a whole number from 0 to 7",
    "criteria_floor_nan.toml": "floor_ratio",
    "criteria_deep.toml": "criteria",
}
PLAN_CASES = {
    "plan_phases_number.toml": "wrong type or shape",
    "plan_value_nan.toml": "value must be a finite number",
    "plan_deep.toml": "plan",
    "plan_target_number.toml": "",
}


@pytest.mark.parametrize("name", CRITERIA_CASES)
def test_a_malformed_criteria_file_is_refused_in_one_line_naming_it(name):
    with pytest.raises(criteria.CriteriaError) as info:
        criteria.load_criteria(RULES / name)
    message = str(info.value)
    assert name in message and CRITERIA_CASES[name] in message and "\n" not in message


KEY_LINES = {  # a refused value: the message's line is the line that sets it
    "criteria_counted_no.toml": "counted",
    "criteria_id_list.toml": "id",
    "criteria_stages_number.toml": "stages",
    "criteria_nan_threshold.toml": "threshold",
    "criteria_nan_cv.toml": "cv_threshold",
    "criteria_inf_weight.toml": "apportion_weights",
    "criteria_min_met_8.toml": "min_met",
    "criteria_floor_nan.toml": "floor_ratio",
    "plan_value_nan.toml": "value",
}


@pytest.mark.parametrize("name", KEY_LINES)
def test_a_refused_value_is_named_with_the_line_that_sets_it(name):
    with pytest.raises((criteria.CriteriaError, targets.PlanError)) as info:
        (criteria.load_criteria if name.startswith("criteria") else targets.load_plan)(RULES / name)
    match = re.search(rf"{re.escape(name)}, line (\d+): ", str(info.value))
    assert match, str(info.value)
    line = (RULES / name).read_text(encoding="utf-8").splitlines()[int(match.group(1)) - 1]
    assert re.match(rf"\s*{KEY_LINES[name]}\s*=", line), line


def test_a_folder_given_as_criteria_file_is_refused():
    with pytest.raises(criteria.CriteriaError, match="cannot be read"):
        criteria.load_criteria(RULES)


@pytest.mark.parametrize("name", PLAN_CASES)
def test_a_malformed_plan_file_is_refused_in_one_line_naming_it(name):
    with pytest.raises(targets.PlanError) as info:
        targets.load_plan(RULES / name)
    assert name in str(info.value) and PLAN_CASES[name] in str(info.value)


def test_the_cli_refuses_a_bad_criteria_file_with_exit_status_2(demo_db, capsys):
    code = main(["assess", "--year", "2024", "--db", str(demo_db), "--criteria", str(RULES / "criteria_nan_threshold.toml")])
    err = capsys.readouterr().err
    assert code == 2 and "criteria_nan_threshold.toml" in err and "Traceback" not in err


def test_the_corpus_criteria_files_are_todays_national_file_with_one_mistake_each():
    """They are made by tests/corpus/make_corpus.py from data/criteria.toml: when the national
    file changes, rerun it, so each file still fails for its one mistake and no other."""
    from tests.corpus.make_corpus import rule_files

    stale = [name for name, data in rule_files().items() if (RULES / name).read_bytes() != data]
    assert stale == [], "run python tests/corpus/make_corpus.py"
