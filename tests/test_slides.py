"""The briefing as a 16:9 slide deck: six slides with their titles (a province's deck a seventh,
the key to the criterion codes), text as text, notes sourced."""

from __future__ import annotations

import io

import pytest
from pptx import Presentation
from pptx.util import Inches

from analytics import balance, db, output, progress, slides, targets
from analytics.criteria import load_criteria


@pytest.fixture(scope="module")
def made(demo_db):
    with db.connect(demo_db) as con:
        cr = load_criteria()
        a = balance.assess(con, None, cr)
        gaps = balance.urban_rural_gaps(con, None, cr)
        values = progress.metric_values(con, a, gaps)
        ctx = output.context_from(db.metadata(con), db.is_synthetic(con), "zh")
    plan = targets.load_plans()["rectification-2024-2026"]
    table = progress.progress(values, plan, 2026, progress.region_names(a))
    return {region: slides.deck(a, gaps, cr, values, table, plan, region, 2026, "all", ctx)
            for region in ("510000", "513434")}


def test_a_province_deck_has_six_titled_slides_and_the_key_to_its_codes(made):
    titles = slides.titles(made["510000"])
    assert titles[:3] == ["四川省义务教育优质均衡发展简报", "四川省 2026年 评估状态", "目标一览"]
    assert titles[3:5] == ["各县（区）评估状态", "重点目标进展"]
    assert titles[5].startswith("未达标县（区）（")
    assert titles[6] == "指标代码说明"  # every code of that table with its name


def test_the_key_slide_names_every_code_of_the_not_passing_table(made):
    import re

    prs = Presentation(io.BytesIO(made["510000"]))
    table = next(s.table for s in prs.slides[5].shapes if s.has_table)
    codes = {code for row in list(table.rows)[1:] for cell in row.cells
             for code in re.findall(r"\b(RS|[RGQSV]\d{1,2})\b", cell.text)}
    key = " ".join(s.text_frame.text for s in prs.slides[6].shapes if s.has_text_frame)
    assert codes and all(f"{code}  " in key for code in codes), (codes, key)


def test_a_county_deck_ends_with_its_failing_criteria(made):
    titles = slides.titles(made["513434"])
    assert len(titles) == 6 and titles[0] == "越西县义务教育优质均衡发展简报"
    assert titles[3] == "校际差异系数与标准" and titles[5].startswith("未达标指标（")


def test_slides_are_16_9_with_native_tables_and_sourced_notes(made):
    prs = Presentation(io.BytesIO(made["510000"]))
    assert (prs.slide_width, prs.slide_height) == (Inches(13.333), Inches(7.5))
    scorecard = prs.slides[2]
    tables = [s for s in scorecard.shapes if s.has_table]
    assert tables and tables[0].table.cell(0, 0).text == "目标"
    assert len(tables[0].table.rows) > 10
    for slide in prs.slides:
        text = " ".join(s.text_frame.text for s in slide.shapes if s.has_text_frame)
        assert "演示数据（模拟生成）" in text  # the demo mark, as text on every slide
        notes = slide.notes_slide.notes_text_frame.text
        assert "数据来源" in notes and "演示数据" in notes
    pictures = [s for slide in prs.slides for s in slide.shapes if s.shape_type == 13]
    assert len(pictures) == 3  # the map and the two charts; everything else is text
