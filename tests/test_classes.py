"""One registry of classes and colours (core/classes.py): every class named in the catalogue,
the model's code lists read from it, and no colour written anywhere else."""

from __future__ import annotations

import pathlib
import re

from analytics.assess import balance, progress
from analytics.core import classes
from analytics.core.i18n import STRINGS, progress_label, status_label

ROOT = pathlib.Path(__file__).resolve().parents[1]
COLOUR_LITERAL = re.compile(r"""#[0-9a-fA-F]{6}\b|[cC]olou?r\s*=\s*["'][0-9A-Fa-f]{6}["']|RGBColor\(\s*0x""")
COLOUR_NAME = re.compile(r"^\s*[A-Z_]*COLOU?RS?\s*=\s*[{(\"']", re.M)


def test_every_class_has_a_label_in_both_languages_and_a_unique_code():
    for group, members in classes.REGISTRY.items():
        assert len(set(classes.codes(members))) == len(members), group
        for c in members:
            assert STRINGS[c.label]["zh"] and STRINGS[c.label]["en"], c


def test_the_model_lists_its_classes_from_the_registry():
    assert balance.STATUSES == ("pass", "near", "incomplete", "far", "vetoed")  # the legend order
    assert balance.STATUSES == classes.codes(classes.COUNTY_STATUS)
    assert balance.SCHOOL_STATES == classes.codes(classes.SCHOOL_STATE)
    assert progress.PROGRESS_STATUSES == classes.codes(classes.TARGET_PROGRESS)


def test_labels_are_read_through_the_registry():
    assert status_label("incomplete") == "数据不足" and status_label("vetoed", "en") == "Not recognised (veto)"
    assert progress_label("off_track") == "严重滞后"


def test_incomplete_data_is_never_compared_as_better_or_worse():
    assert "incomplete" not in classes.severities(classes.COUNTY_STATUS)
    assert classes.severities(classes.COUNTY_STATUS) == {"pass": 0, "near": 1, "far": 2, "vetoed": 3}


def test_every_school_dot_has_its_own_colour_and_a_ring():
    assert len({c.colour for c in classes.SCHOOL_STATE}) == len(classes.SCHOOL_STATE)
    assert all(c.outline is not None for c in classes.SCHOOL_STATE)


def test_no_colour_is_written_outside_the_registry():
    found = []
    for path in (ROOT / "analytics").rglob("*.py"):
        if path.name == "classes.py":
            continue
        text = path.read_text(encoding="utf-8")
        found += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in COLOUR_LITERAL.finditer(text)]
        found += [f"{path.relative_to(ROOT)}: {m.group(0).strip()}" for m in COLOUR_NAME.finditer(text)
                  if "hex_colour" not in text[m.start():text.index("\n", m.end())]]
    assert found == []
