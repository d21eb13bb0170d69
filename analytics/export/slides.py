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

from analytics.assess import balance, county_values, metrics
from analytics.assess.criteria import Criteria
from analytics.atlas import geo, places, regions
from analytics.core.classes import DEMO_MARK
from analytics.core.i18n import method_notes, progress_label, stage_label, status_label, t
from analytics.export import exports
from analytics.present import display, explore, profile

WIDE, HIGH = Inches(13.333), Inches(7.5)  # 16:9
FONT = "Microsoft YaHei"  # present on the officials' machines; PowerPoint substitutes otherwise
RED = RGBColor(*DEMO_MARK)
TABLE_ROWS = 10       # rows of a table slide at most (the rest continue on the next slide)
TABLE_SIZE = 14       # pt: table text read from the back of a meeting room
MAX_TABLE_SLIDES = 3  # a long list continues on at most this many slides; the rest are counted
TOP, BOTTOM = Inches(1.25), HIGH - Inches(0.75)  # between the title and the footer
LINE = 1.25           # a line's height in font sizes
CELL_MARGIN = Pt(4)   # above and below the text of a table cell


def _text(slide, box: tuple[Emu, Emu, Emu, Emu], lines: list[str], size: int, bold: bool = False,
          colour: RGBColor | None = None) -> None:
    """A text box at (left, top, width, height), one paragraph a line."""
    box = slide.shapes.add_textbox(*box)
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
    _text(slide, (Inches(0.5), Inches(0.3), WIDE - Inches(1.0), Inches(0.8)), [title], 26, bold=True)
    mark, rest = footer[:1], footer[1:]
    _text(slide, (Inches(0.5), HIGH - Inches(0.7), WIDE - Inches(1.0), Inches(0.3)), mark, 12, colour=RED)
    if rest:
        _text(slide, (Inches(0.5), HIGH - Inches(0.42), WIDE - Inches(1.0), Inches(0.35)), rest, 10)
    slide.notes_slide.notes_text_frame.text = "\n".join(footer + notes)
    return slide


def _picture(slide, png: bytes, top=TOP, max_height=BOTTOM - TOP) -> None:
    """A rendered figure, as large as fits between the title and the footer, centred."""
    from PIL import Image

    w, h = Image.open(io.BytesIO(png)).size
    width = WIDE - Inches(1.0)
    height = int(width * h / w)
    if height > max_height:
        height, width = max_height, int(max_height * w / h)
    slide.shapes.add_picture(io.BytesIO(png), Emu((WIDE - width) // 2), top, width=width, height=height)


def text_width(text: str, size: float) -> float:
    """The printed width of text in points: a CJK character is square, other characters about
    0.55 of the size (a wide Latin face), so an estimate errs on the wide side."""
    return sum(size if ord(ch) > 0x2E7F else 0.55 * size for ch in text)


def lines_needed(text: str, width: Emu, size: float) -> int:
    """Lines a cell's text takes in a column of `width` (its margins left out), wrapping words."""
    room = width / 12700 - 2 * 7.2  # EMU → pt, less the cell's left and right margins
    lines, used = 1, 0.0
    for word in (text or "").replace("\n", " \n ").split(" "):
        if word == "\n":
            lines, used = lines + 1, 0.0
            continue
        w = text_width(word + " ", size)
        if used and used + w > room:
            lines, used = lines + 1, 0.0
        while w > room:  # a word (or CJK run) longer than the column breaks inside
            w -= room
            lines += 1
        used += w
    return lines


def row_height(values: list[str], widths: list[Emu], size: float) -> Emu:
    lines = max(lines_needed(v, w, size) for v, w in zip(values, widths))
    return Emu(int(Pt(size * LINE * lines)) + 2 * CELL_MARGIN)


def _cell_text(value) -> str:
    return "" if value is None or (isinstance(value, float) and value != value) else str(value)


def pages_of(frame: pd.DataFrame, widths: list[Emu], size: float = TABLE_SIZE, max_rows: int = TABLE_ROWS,
             room: Emu = BOTTOM - TOP) -> list[pd.DataFrame]:
    """The table cut into slides' worth: at most `max_rows` rows, and no more than fit in `room`
    with its header (each row as high as its longest cell wraps to)."""
    header = row_height([str(c) for c in frame.columns], widths, size)
    pages, current, used = [], [], header
    for i, row in enumerate(frame.itertuples(index=False)):
        h = row_height([_cell_text(v) for v in row], widths, size)
        if current and (len(current) == max_rows or used + h > room):
            pages.append(frame.iloc[current])
            current, used = [], header
        current.append(i)
        used += h
    pages.append(frame.iloc[current])
    return pages


def _table(slide, frame: pd.DataFrame, widths: list[Emu], size: float = TABLE_SIZE) -> None:
    """A native table (editable) under the title, each row as high as its text needs."""
    rows, cols = len(frame) + 1, len(frame.columns)
    heights = [row_height([str(c) for c in frame.columns], widths, size)] + [
        row_height([_cell_text(v) for v in row], widths, size) for row in frame.itertuples(index=False)]
    shape = slide.shapes.add_table(rows, cols, Inches(0.5), TOP, Emu(sum(widths)), Emu(sum(heights)))
    table = shape.table
    for j, (col, w) in enumerate(zip(frame.columns, widths)):
        table.columns[j].width = w
        table.cell(0, j).text = str(col)
    for i, row in enumerate(frame.itertuples(index=False), start=1):
        for j, value in enumerate(row):
            table.cell(i, j).text = _cell_text(value)
    for i, h in enumerate(heights):
        table.rows[i].height = h
    for cell in (table.cell(i, j) for i in range(rows) for j in range(cols)):
        cell.margin_top = cell.margin_bottom = CELL_MARGIN
        for para in cell.text_frame.paragraphs:
            for run in para.runs:
                run.font.size, run.font.name = Pt(size), FONT


def _table_slides(prs, title: str, frame: pd.DataFrame, widths: list[float], footer: list[str], notes: list[str],
                  lang: str, more: str = "") -> None:
    """A table over as many slides as it needs (at most MAX_TABLE_SLIDES), ten rows or fewer each,
    the later ones titled '…（续）'; rows beyond the last slide are counted in `more`."""
    inches = [Inches(w) for w in widths]
    pages = pages_of(frame, inches)
    if len(pages) > MAX_TABLE_SLIDES and more:
        shown = sum(map(len, pages[:MAX_TABLE_SLIDES]))
        while len(pages) > MAX_TABLE_SLIDES:  # the last row counts the rest: fewer rows until it fits
            shown -= 1
            rest = pd.DataFrame([[more.format(n=len(frame) - shown)] + [""] * (len(frame.columns) - 1)],
                                columns=frame.columns)
            pages = pages_of(pd.concat([frame.iloc[:shown], rest], ignore_index=True), inches)
    for i, page in enumerate(pages):
        slide = _slide(prs, title if i == 0 else t("slides_continued", lang, title=title), footer, notes)
        _table(slide, page, inches)


def _headline(a: balance.Assessment, region: str, name: str, year: int, stage: str, lang: str) -> str:
    """The title slide's finding: how many counties pass (a county: its status)."""
    c = regions.within(a.counties, region)
    c = c[(c["year"] == year) & (c["stage"] == stage)]
    if regions.kind(region) == "county":
        row = c[c["adcode"] == region].iloc[0]
        return t("slides_headline_county", lang, region=name, year=year, status=status_label(row["status"], lang))
    return t("slides_headline_region", lang, region=name, year=year, n=len(c), passed=int((c["status"] == "pass").sum()))


def _not_passing(a: balance.Assessment, region: str, year: int, stage: str, lang: str) -> pd.DataFrame:
    """The region's counties that do not pass, the furthest first: name, prefecture, status, how
    many criteria fail and how many lack data."""
    c = regions.within(a.counties, region)
    c = c[(c["year"] == year) & (c["stage"] == stage) & (c["status"] != "pass")]
    c = c.sort_values(["failed", "missing", "adcode"], ascending=[False, False, True])
    return pd.DataFrame({
        t("col_county", lang): [places.display_name(n, lang) for n in c["county_name"]],
        t("col_city", lang): [places.display_name(n, lang) for n in c["city_name"]],
        t("col_status", lang): [status_label(s, lang) for s in c["status"]],
        t("col_failed", lang): c["failed"].astype(int).astype(str).to_numpy(),
        t("col_missing_count", lang): c["missing"].astype(int).astype(str).to_numpy(),
    })


def _top_criteria(a: balance.Assessment, criteria: Criteria, region: str, year: int, stage: str,
                  lang: str) -> pd.DataFrame:
    """The criteria failed by the most of the region's counties, by name, with that count."""
    metric = metrics.map_metrics(criteria)["status"]
    rows = explore.view_table(county_values.metric_values(a.counties, None, "status", year, stage), metric, region, lang)
    counts: dict[str, int] = {}
    for codes in rows[t("col_failed_criteria", lang)]:  # each county's criteria once, whatever its stages
        for c in display.criteria_used([codes], criteria):
            counts[c.id] = counts.get(c.id, 0) + 1
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:TABLE_ROWS]
    return pd.DataFrame({
        t("col_criterion", lang): [f"{code} {criteria[code].name_en if lang == 'en' else criteria[code].name_zh}"
                                   for code, _ in ranked],
        t("col_counties_failing", lang): [str(n) for _, n in ranked],
    })


def deck(b: exports.Briefing) -> bytes:
    """The region's briefing as a .pptx file."""
    a, criteria, plan, table, region, year, stage, ctx = b.a, b.criteria, b.plan, b.table, b.region, b.year, b.stage, b.ctx
    lang = ctx.lang
    name = exports.region_name(a, region, lang)
    footer = ([ctx.mark] if ctx.mark else [""]) + [t("then", lang, a=ctx.source_line(), b=geo.map_note(lang))]
    notes = method_notes(criteria, lang)
    prs = Presentation()
    prs.slide_width, prs.slide_height = WIDE, HIGH

    first = _slide(prs, t("slides_title", lang, region=name), footer, notes)
    _text(first, (Inches(0.5), Inches(1.6), WIDE - Inches(1.0), Inches(1.6)),
          [_headline(a, region, name, year, stage, lang)], 32, bold=True)
    _text(first, (Inches(0.5), Inches(3.4), WIDE - Inches(1.0), Inches(2.6)), [
        exports.counties_line(a, region, year, stage, lang),
        t("slides_subtitle", lang, year=year, stage=stage_label(stage, lang), plan=plan.title(lang))], 20)

    slide = _slide(prs, t("slides_map", lang, region=name, year=year), footer, notes)
    map_region = regions.city_of(region) if regions.kind(region) == "county" else region
    # drawn small and placed large: the legend and labels print at about 1.4× their drawn size
    _picture(slide, exports.render(exports.map_body(b, "status", width=560, height=420, region=map_region), "png3"))

    card = exports.scorecard_rows(table, plan, region, lang)
    card = card.assign(status=card["status"].map(lambda s: progress_label(s, lang)))[
        ["target", "latest", "goal", "status"]].set_axis(
        [t("col_target", lang), t("col_latest", lang), t("col_goal", lang), t("col_progress", lang)], axis=1)
    _table_slides(prs, t("scorecard", lang), card, [6.0, 2.3, 2.3, 1.7], footer, notes + plan.definitions(lang), lang)

    left, right = exports.key_charts(b, width=480)
    for title_key, chart in (("slides_chart_left_county" if regions.kind(region) == "county" else
                              "slides_chart_left_region", left), ("slides_chart_target", right)):
        slide = _slide(prs, t(title_key, lang), footer, notes)
        _picture(slide, exports.render(exports.charts.themed(chart), "png3"))

    if regions.kind(region) == "county":
        fail = profile.failing_criteria(a, region, year, stage, lang)
        cols = [t(k, lang) for k in ("col_criterion", "col_stage", "col_value", "col_standard", "col_gap")]
        frame = fail[cols] if not fail.empty else pd.DataFrame([[t("sheet_none_failing", lang), "", "", "", ""]],
                                                               columns=cols)
        _table_slides(prs, t("sheet_failing", lang, n=len(fail)), frame, [6.1, 1.2, 1.8, 1.6, 1.6], footer, notes,
                      lang, more=t("sheet_more", lang, n="{n}"))
    else:
        rows = _not_passing(a, region, year, stage, lang)
        _table_slides(prs, t("slides_not_passing", lang, n=len(rows)), rows, [3.2, 3.6, 2.2, 1.6, 1.7], footer,
                      notes, lang, more=t("slides_more_counties", lang, n="{n}"))
        top = _top_criteria(a, criteria, region, year, stage, lang)
        if not top.empty:
            _table_slides(prs, t("slides_top_criteria", lang), top, [9.6, 2.7], footer, notes, lang)

    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


def titles(data: bytes) -> list[str]:
    """The title of every slide of a deck (its first text box)."""
    prs = Presentation(io.BytesIO(data))
    return [next(s.text_frame.text for s in slide.shapes if s.has_text_frame) for slide in prs.slides]
