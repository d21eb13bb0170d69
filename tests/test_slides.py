"""The briefing as a 16:9 slide deck for projection: the finding on the title slide, tables of ten
rows or fewer in 14 pt continued on the next slide, criteria by name, text as text, notes sourced,
nothing outside its slide when LibreOffice renders it."""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest
from pptx import Presentation
from pptx.util import Inches

from analytics.assess import balance, progress, targets
from analytics.assess.criteria import load_criteria
from analytics.export import exports, output, slides
from analytics.store import db

pytestmark = pytest.mark.slow  # builds and renders slide decks


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
    return {region: slides.deck(exports.Briefing(a, gaps, cr, region, 2026, "all", ctx, plan, values, table))
            for region in ("510000", "513434")}


def test_a_province_deck_opens_with_its_finding_and_continues_long_tables(made):
    titles = slides.titles(made["510000"])
    assert titles[:2] == ["四川省义务教育优质均衡发展简报", "四川省 2026年 评估状态"]
    assert titles[2] == "目标一览" and titles[3] == "目标一览（续）"
    assert "各县（区）评估状态" in titles and "重点目标进展" in titles
    assert titles[-4].startswith("未达标县（区）（") and titles[-3] == titles[-4] + "（续）"
    assert titles[-1] == "未达标县（区）最多的指标"


def test_the_title_slide_states_the_headline_finding(made):
    """Before: a nearly empty title slide (the year, stage and plan)."""
    prs = Presentation(io.BytesIO(made["510000"]))
    text = [s.text_frame.text for s in prs.slides[0].shapes if s.has_text_frame]
    assert any(re.fullmatch(r"四川省 2026年：\d+ 个县（区）中 \d+ 个达标", line) for line in text), text


def test_every_table_has_at_most_ten_rows_in_type_of_at_least_14_pt_inside_the_slide(made):
    """Before: 16 rows of three-line code lists at 9 pt, the third line clipped."""
    for region, data in made.items():
        prs = Presentation(io.BytesIO(data))
        for n, slide in enumerate(prs.slides):
            for shape in (s for s in slide.shapes if s.has_table):
                table = shape.table
                assert len(table.rows) - 1 <= slides.TABLE_ROWS, (region, n)
                sizes = {run.font.size.pt for row in table.rows for cell in row.cells
                         for para in cell.text_frame.paragraphs for run in para.runs}
                assert sizes and min(sizes) >= 14, (region, n, sizes)
                bottom = shape.top + sum(row.height for row in table.rows)
                assert bottom <= slides.BOTTOM and shape.left + shape.width <= prs.slide_width, (region, n)


def test_counties_not_passing_are_counted_with_their_noun_and_criteria_named(made):
    """Before: the deck's last row read '另有 117 项' of counties, and listed criterion codes only."""
    prs = Presentation(io.BytesIO(made["510000"]))
    tables = [[[c.text for c in row.cells] for row in s.table.rows] for slide in prs.slides
              for s in slide.shapes if s.has_table]
    last_counties = tables[-2]
    assert re.fullmatch(r"……另有 \d+ 个县（区），见导出的表格", last_counties[-1][0])
    criteria = tables[-1]
    assert criteria[0] == ["指标", "未达标县（区）数"]
    assert all(re.match(r"(RS|[RGQS]\d+) \S+", row[0]) for row in criteria[1:])
    counts = [int(row[1]) for row in criteria[1:]]
    assert counts == sorted(counts, reverse=True)


def test_a_county_deck_ends_with_its_failing_criteria(made):
    titles = slides.titles(made["513434"])
    assert titles[0] == "越西县义务教育优质均衡发展简报"
    assert "校际差异系数与标准" in titles and titles[-1].startswith("未达标指标（")


def test_a_long_table_is_cut_into_slides_by_the_room_its_wrapped_rows_take():
    from pptx.util import Inches

    widths = [Inches(3), Inches(1)]
    frame = pd.DataFrame({"指标": ["很长的指标名称" * 10] * 7 + ["短"] * 5, "值": ["1"] * 12})
    # 70 characters of 14 pt in a 3-inch column wrap to five lines: three such rows fill a slide
    assert slides.lines_needed(frame.iloc[0, 0], widths[0], 14) == 5
    assert [len(p) for p in slides.pages_of(frame, widths)] == [3, 3, 6]
    assert [len(p) for p in slides.pages_of(frame.assign(指标="短"), widths)] == [10, 2]  # never more than ten


def test_slides_are_16_9_with_native_tables_and_sourced_notes(made):
    prs = Presentation(io.BytesIO(made["510000"]))
    assert (prs.slide_width, prs.slide_height) == (Inches(13.333), Inches(7.5))
    scorecard = prs.slides[2]
    tables = [s for s in scorecard.shapes if s.has_table]
    assert tables and tables[0].table.cell(0, 0).text == "目标"
    assert len(tables[0].table.rows) == 11  # ten targets, the rest on the next slide
    for slide in prs.slides:
        text = " ".join(s.text_frame.text for s in slide.shapes if s.has_text_frame)
        assert "演示数据（模拟生成）" in text  # the demo mark, as text on every slide
        notes = slide.notes_slide.notes_text_frame.text
        assert "数据来源" in notes and "演示数据" in notes
    pictures = [s for slide in prs.slides for s in slide.shapes if s.shape_type == 13]
    assert len(pictures) == 3  # the map and the two charts; everything else is text


def _rendered_text_boxes(pptx: bytes, tmp_path) -> list[tuple[float, float, list[tuple[str, float, float, float]]]]:
    """The deck as LibreOffice renders it (pptx → PDF): each page's size and its text runs with
    their x and y in points from the page's bottom left and their size in points."""
    import os
    import shutil
    import subprocess

    from pypdf import PdfReader

    soffice = shutil.which("soffice")
    if soffice is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice is not installed: .ci/run must install libreoffice-impress")
        pytest.skip("LibreOffice not installed (apt-get install libreoffice-impress)")
    src = tmp_path / "deck.pptx"
    src.write_bytes(pptx)
    subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path}/lo-profile", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(src)],
                   check=True, capture_output=True, timeout=300)
    pages = []
    for page in PdfReader(tmp_path / "deck.pdf").pages:
        boxes: list[tuple[str, float, float, float]] = []

        def visit(text, cm, tm, font, size, boxes=boxes):
            if text.strip():
                boxes.append((text.strip(), tm[4] * cm[0] + cm[4], tm[5] * cm[3] + cm[5], size * abs(cm[3] or 1)))

        page.extract_text(visitor_text=visit)
        pages.append((float(page.mediabox.width), float(page.mediabox.height), boxes))
    return pages


@pytest.mark.slow
@pytest.mark.parametrize("region", ["510000", "513434"])
def test_rendered_slides_keep_every_text_on_the_slide_and_above_the_footer(made, region, tmp_path):
    """LibreOffice grows a table's rows to fit its text: a table too long for its slide would run
    into the footer or off the page (as the 16-row 9 pt slide did before)."""
    pages = _rendered_text_boxes(made[region], tmp_path)
    assert len(pages) == len(slides.titles(made[region]))
    for n, (width, height, boxes) in enumerate(pages):
        assert boxes, n
        assert all(0 <= x <= width and 0 <= y <= height for _, x, y, _ in boxes), n
        assert min(size for *_, size in boxes) >= 10, n  # before: 9 pt tables and footers
        footer = {round(y) for text, _, y, _ in boxes if text.startswith(("演示数据", "数据来源"))}  # its two lines
        footer_top = max(footer)
        body = [(text, y) for text, _, y, _ in boxes if round(y) not in footer]
        assert all(y > footer_top + 10 for _, y in body), (n, [b for b in body if b[1] <= footer_top + 10])
