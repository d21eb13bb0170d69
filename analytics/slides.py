"""The briefing as a 16:9 slide deck (python-pptx): title, map, scorecard, two key charts, failing
criteria or counties, each slide with its source and demo mark as editable text and in its notes.

Maps and charts are pictures rendered at slide resolution; every title, table and note is text
(a native PowerPoint table for the scorecard and the criteria), so officials can edit them.
"""

from __future__ import annotations

import io

import pandas as pd
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.util import Emu, Inches, Pt

from analytics import balance, display, explore, exports, geo, maps, metrics, output, profile, regions
from analytics.criteria import Criteria
from analytics.i18n import method_notes, progress_label, stage_label, status_label, t
from analytics.targets import Plan

WIDE, HIGH = Inches(13.333), Inches(7.5)  # 16:9
FONT = "Microsoft YaHei"  # present on the officials' machines; PowerPoint substitutes otherwise
RED = RGBColor(0xC0, 0x00, 0x00)
TABLE_ROWS = 14  # rows of a table slide (the rest are counted in a last row)


def _text(slide, left, top, width, height, lines: list[str], size: int, bold: bool = False,
          colour: RGBColor | None = None) -> None:
    box = slide.shapes.add_textbox(left, top, width, height)
    frame = box.text_frame
    frame.word_wrap = True
    for i, line in enumerate(lines):
        para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        run = para.add_run()
        run.text = line
        run.font.size, run.font.bold, run.font.name = Pt(size), bold, FONT
        if colour is not None:
            run.font.color.rgb = colour


def _slide(prs, title: str, footer: list[str], notes: list[str]):
    """A blank slide with its title, the source/demo footer and the speaker notes."""
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    _text(slide, Inches(0.5), Inches(0.3), WIDE - Inches(1.0), Inches(0.8), [title], 26, bold=True)
    mark, rest = footer[:1], footer[1:]
    _text(slide, Inches(0.5), HIGH - Inches(0.65), WIDE - Inches(1.0), Inches(0.5), mark, 10, colour=RED)
    if rest:
        _text(slide, Inches(0.5), HIGH - Inches(0.4), WIDE - Inches(1.0), Inches(0.35), rest, 9)
    slide.notes_slide.notes_text_frame.text = "\n".join(footer + notes)
    return slide


def _picture(slide, png: bytes, top=Inches(1.2), max_height=Inches(5.6)) -> None:
    """A rendered figure, as large as fits between the title and the footer, centred."""
    from PIL import Image

    w, h = Image.open(io.BytesIO(png)).size
    width = WIDE - Inches(1.0)
    height = int(width * h / w)
    if height > max_height:
        height, width = max_height, int(max_height * w / h)
    slide.shapes.add_picture(io.BytesIO(png), Emu((WIDE - width) // 2), top, width=width, height=height)


def _table(slide, frame: pd.DataFrame, widths: list[float], size: int = 11, max_rows: int = TABLE_ROWS,
           lang: str = "zh") -> None:
    """A native table (editable) under the title; rows beyond max_rows are counted in a last row."""
    shown = frame.head(max_rows)
    if len(frame) > max_rows:
        more = t("sheet_more", lang, n=len(frame) - max_rows)
        shown = pd.concat([shown, pd.DataFrame([[more] + [""] * (len(frame.columns) - 1)], columns=frame.columns)])
    rows, cols = len(shown) + 1, len(shown.columns)
    height = min(Inches(0.32), int((HIGH - Inches(2.0)) / rows))
    shape = slide.shapes.add_table(rows, cols, Inches(0.5), Inches(1.2), Inches(sum(widths)), height * rows)
    table = shape.table
    for j, (col, w) in enumerate(zip(shown.columns, widths)):
        table.columns[j].width = Inches(w)
        table.cell(0, j).text = str(col)
    for i, row in enumerate(shown.itertuples(index=False), start=1):
        table.rows[i].height = height
        for j, value in enumerate(row):
            table.cell(i, j).text = "" if value is None or (isinstance(value, float) and value != value) else str(value)
    table.rows[0].height = height
    for cell in (table.cell(i, j) for i in range(rows) for j in range(cols)):
        cell.margin_top = cell.margin_bottom = Pt(1)
        for para in cell.text_frame.paragraphs:
            for run in para.runs:
                run.font.size, run.font.name = Pt(size), FONT


def deck(a: balance.Assessment, gaps: pd.DataFrame, criteria: Criteria, values: pd.DataFrame, table: pd.DataFrame,
         plan: Plan, region: str, year: int, stage: str, ctx: output.Context) -> bytes:
    """The region's briefing as a .pptx file."""
    lang = ctx.lang
    name = exports.region_name(a, region, lang)
    footer = ([ctx.mark] if ctx.mark else [""]) + [t("then", lang, a=ctx.source_line(), b=geo.map_note(lang))]
    notes = method_notes(criteria, lang)
    prs = Presentation()
    prs.slide_width, prs.slide_height = WIDE, HIGH

    first = _slide(prs, t("slides_title", lang, region=name), footer, notes)
    _text(first, Inches(0.5), Inches(1.4), WIDE - Inches(1.0), Inches(3.0), [
        t("slides_subtitle", lang, year=year, stage=stage_label(stage, lang), plan=plan.title(lang)),
        exports.counties_line(a, region, year, stage, lang)], 18)

    slide = _slide(prs, t("slides_map", lang, region=name, year=year), footer, notes)
    map_region = regions.city_of(region) if regions.kind(region) == "county" else region
    _picture(slide, exports.render(exports.map_body(a, gaps, criteria, map_region, "status", year, stage, ctx,
                                                    width=760, height=560), "png2"))

    slide = _slide(prs, t("scorecard", lang), footer, notes + plan.definitions(lang))
    card = exports.scorecard_rows(table, plan, region, lang)
    card = card.assign(status=card["status"].map(lambda s: progress_label(s, lang)))[
        ["target", "latest", "goal", "status"]].set_axis(
        [t("col_target", lang), t("col_latest", lang), t("col_goal", lang), t("col_progress", lang)], axis=1)
    _table(slide, card, [6.2, 2.3, 2.3, 1.5], size=9, max_rows=24, lang=lang)

    left, right = exports.key_charts(a, values, table, plan, region, year, stage, lang, width=640)
    for title_key, chart in (("slides_chart_left_county" if regions.kind(region) == "county" else
                              "slides_chart_left_region", left), ("slides_chart_target", right)):
        slide = _slide(prs, t(title_key, lang), footer, notes)
        _picture(slide, exports.render(exports.charts.themed(chart), "png2"))

    if regions.kind(region) == "county":
        slide = _slide(prs, t("sheet_failing", lang, n=len(profile.failing_criteria(a, region, year, stage, lang))),
                       footer, notes)
        fail = profile.failing_criteria(a, region, year, stage, lang)
        cols = [t(k, lang) for k in ("col_criterion", "col_stage", "col_value", "col_standard", "col_gap")]
        frame = fail[cols] if not fail.empty else pd.DataFrame([[t("sheet_none_failing", lang), "", "", "", ""]],
                                                               columns=cols)
        _table(slide, frame, [6.3, 1.2, 1.6, 1.6, 1.6], lang=lang)
    else:
        metric = metrics.map_metrics(criteria)["status"]
        rows = explore.view_table(maps.metric_values(a.counties, None, "status", year, stage), metric, region, lang)
        rows = rows[rows[t("col_status", lang)] != status_label("pass", lang)].drop(columns=["adcode"])
        slide = _slide(prs, t("slides_not_passing", lang, n=len(rows)), footer, notes)
        _table(slide, rows, [1.6, 1.9, 1.0, 1.4, 4.6, 1.8], size=9, lang=lang)
        # the codes of that table, each with its name (a deck is read without the app beside it)
        used = display.criteria_used([*rows[t("col_failed_criteria", lang)], *rows[t("col_missing_criteria", lang)]],
                                     criteria)
        if used:
            lines = [f"{c.id}  {c.name_en if lang == 'en' else c.name_zh}" for c in used]
            key = _slide(prs, t("slides_criteria_key", lang), footer, notes)
            half = (len(lines) + 1) // 2  # two columns of names
            for i, part in enumerate((lines[:half], lines[half:])):
                _text(key, Inches(0.5) + i * (WIDE - Inches(1.0)) / 2, Inches(1.2), (WIDE - Inches(1.2)) / 2,
                      Inches(5.2), part, 12)

    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


def titles(data: bytes) -> list[str]:
    """The title of every slide of a deck (its first text box)."""
    prs = Presentation(io.BytesIO(data))
    return [next(s.text_frame.text for s in slide.shapes if s.has_text_frame) for slide in prs.slides]
