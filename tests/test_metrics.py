"""The metrics catalogue (data/metrics.toml): each metric is written once, and the map, the plans
and the README all name the same ones with the same labels."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analytics.assess import metrics, targets
from analytics.assess.criteria import load_criteria

README = Path(__file__).resolve().parents[1] / "README.md"


def test_every_metric_of_the_readme_table_is_in_the_catalogue_and_every_plan_metric_is_in_the_readme():
    text = README.read_text(encoding="utf-8")
    table = text[text.index("### How each metric is computed"):]
    table = table[:table.index("\n\n", table.index("| metric id |"))]
    documented = re.findall(r"^\| `([a-z_0-9]+)` \|", table, re.M)
    assert documented and set(documented) == set(metrics.plan_metrics())


def test_a_metric_shared_by_the_map_and_the_plans_is_one_object_with_one_label():
    on_map = metrics.map_metrics(load_criteria())
    for shared in ("cv_composite", "funding_gap", "rural_equipment_ratio", "bachelor_share_gap"):
        assert on_map[shared] is targets.METRICS[shared]
    assert on_map["funding_gap"].label("en") == "Urban–rural funding gap per pupil"


def test_the_map_offers_each_resource_indicator_with_its_name_and_cv_limits_from_the_criteria():
    cr = load_criteria()
    on_map = metrics.map_metrics(cr)
    ids = list(on_map)
    assert ids[ids.index("cv_composite") + 1:ids.index("cv_composite") + 15] == \
        [f"cv_r{i}" for i in range(1, 8)] + [f"mean_r{i}" for i in range(1, 8)]
    assert on_map["cv_r1"].label_zh == f"差异系数：{cr['R1'].name_zh}"
    assert dict(on_map["cv_r1"].limits) == cr["R1"].cv_threshold
    assert "pass_share" not in on_map   # a plan metric of regions, not of counties


def test_a_wrong_field_in_the_catalogue_names_the_file_and_the_metric(tmp_path):
    bad = tmp_path / "metrics.toml"
    bad.write_text('[[metric]]\nid = "x"\nzh = "甲"\nen = "X"\nunit = "furlongs"\nbetter = "low"\n'
                   'format = "{:.1f}"\nkind = "continuous"\n', encoding="utf-8")
    with pytest.raises(metrics.MetricsError, match=r"metrics.toml: metric #1 \(x\): unit must be one of"):
        metrics.catalogue(bad)
