"""Official-format Excel tables, laid out as county supervision reports do (title rows, units,
merged two-row headers, notes, print setup): the 校际差异系数表 and the 学校达标情况表.
One workbook per region and year.
"""

from __future__ import annotations

import io

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from analytics.assess import balance, gap, progress
from analytics.assess.criteria import STAGES, Criteria, Criterion
from analytics.atlas import places, regions
from analytics.core import cells
from analytics.core.classes import DEMO_MARK, INK, MISSING_FILL, TABLE_HEAD, xlsx_colour
from analytics.core.i18n import compliance_rule, method_notes, stage_label, t, unit_label
from analytics.export.output import Context
from analytics.present import display

THIN = Side(style="thin", color=xlsx_colour(INK))
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
HEAD = PatternFill("solid", fgColor=xlsx_colour(TABLE_HEAD))
MISS = PatternFill("solid", fgColor=xlsx_colour(MISSING_FILL))
FONT = "宋体"

def _styles(wb: Workbook) -> None:
    """Named cell styles (assigning one name is much faster than four style objects per cell)."""
    for name, align, fmt, fill in (
        ("jh_text", CENTRE, "General", None), ("jh_text_left", LEFT, "General", None),
        ("jh_num2", CENTRE, "#,##0.00", None), ("jh_num3", CENTRE, "0.000", None),
        ("jh_int", CENTRE, "#,##0", None), ("jh_pct", CENTRE, "0.0%", None),
        ("jh_num2_miss", CENTRE, "#,##0.00", MISS), ("jh_num3_miss", CENTRE, "0.000", MISS),
        ("jh_int_miss", CENTRE, "#,##0", MISS), ("jh_text_miss", CENTRE, "General", MISS),
    ):
        style = NamedStyle(name=name, font=Font(name=FONT, size=10), border=BOX, alignment=align, number_format=fmt)
        if fill is not None:
            style.fill = fill
        wb.add_named_style(style)


def _style_records(ws: Worksheet) -> dict[str, StyleArray]:
    """Each named style's record, to copy onto many cells: assigning `cell.style` by name looks
    the name up on every cell (half the time of a province's school table)."""
    records = {}
    for style in ws.parent._named_styles:
        probe = Cell(ws)
        probe.style = style.name
        records[style.name] = probe._style
    return records


def _title(ws: Worksheet, text: str, sub: str, ncols: int) -> None:
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncols)
    ws.cell(1, 1, cells.xlsx_value(text)).font = Font(name=FONT, size=16, bold=True)
    ws.cell(1, 1).alignment = CENTRE
    ws.row_dimensions[1].height = 30
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=ncols)
    ws.cell(2, 1, cells.xlsx_value(sub)).font = Font(name=FONT, size=10)
    ws.cell(2, 1).alignment = LEFT


def _header(ws: Worksheet, row: int, col: int, text: str, rows: int = 1, cols: int = 1) -> None:
    if rows > 1 or cols > 1:
        ws.merge_cells(start_row=row, start_column=col, end_row=row + rows - 1, end_column=col + cols - 1)
    for r in range(row, row + rows):
        for c in range(col, col + cols):
            cell = ws.cell(r, c)
            cell.border, cell.fill, cell.alignment = BOX, HEAD, CENTRE
            cell.font = Font(name=FONT, size=10, bold=True)
    ws.cell(row, col, cells.xlsx_value(text))


DEMO_MARKS = tuple(t("synthetic_banner", lang).rstrip("。.") for lang in ("zh", "en"))


def _indicator_header(c: Criterion, lang: str = "zh") -> str:
    """A resource indicator's column header: its id, name and unit as the criteria file has them."""
    if lang == "en":
        return f"{c.id} {c.name_en} ({unit_label(c.unit, lang)})"
    return f"{c.id} {c.name_zh}（{c.unit}）"


def _place(name: str, lang: str) -> str:
    """A place in a table: in English with its Chinese name beside it (Yuexi County (越西县))."""
    return places.title_name(name, lang)


def _yes_no(passed: bool, lang: str) -> str:
    return t("yes" if passed else "no", lang)


def _notes(ws: Worksheet, start: int, notes: list[str], ncols: int) -> int:
    """The note rows under a table; the demo mark (if any) in red."""
    for i, note in enumerate(notes):
        r = start + i
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=ncols)
        ws.cell(r, 1, cells.xlsx_value(note)).font = Font(name=FONT, size=9, color=xlsx_colour(DEMO_MARK if note.startswith(DEMO_MARKS) else INK))
        ws.cell(r, 1).alignment = LEFT
        ws.row_dimensions[r].height = 28
    return start + len(notes)


HEADER_FOOTER_CHARS = 120  # Excel allows 255 characters per header or footer, codes included


def _print_setup(ws: Worksheet, last_row: int, ncols: int, header_rows: str, notes: list[str],
                 lang: str = "zh") -> None:
    """A4 landscape, one page wide, the header rows on every page, and on every printed page the
    demo mark (red, in the page header) and the source and page number (in the footer): a page
    printed alone still says where its figures come from and whether they are real."""
    ws.print_area = f"A1:{get_column_letter(ncols)}{last_row}"
    ws.print_title_rows = header_rows
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    mark = next((m for m in DEMO_MARKS if any(m in n for n in notes)), "")  # in a note, or in the source
    source = next((n for n in notes if n.startswith(SOURCE_MARKS)), "")
    for header, footer in ((ws.oddHeader, ws.oddFooter), (ws.evenHeader, ws.evenFooter)):
        if mark:
            header.center.text = _header_text(mark.rstrip("。."))
            header.center.size, header.center.color = 10, xlsx_colour(DEMO_MARK)
        if source:
            footer.left.text = _header_text(source)
            footer.left.size = 8
        footer.right.text = t("xl_page", lang)
        footer.right.size = 8


SOURCE_MARKS = tuple(t("source_data", lang, source="") for lang in ("zh", "en"))


def _header_text(text: str) -> str:
    """Text for a page header or footer: '&' doubled (a lone one starts a code), cut to fit."""
    text = text.replace("&", "&&")
    return text if len(text) <= HEADER_FOOTER_CHARS else text[: HEADER_FOOTER_CHARS - 1] + "…"


def table_sheet(ws: Worksheet, frame: pd.DataFrame, title: str, notes: list[str], sub: str = "",
                lang: str = "zh") -> None:
    """One table in the official workbook style: a merged title, a subtitle, a bold boxed header
    frozen under them, boxed rows, the notes (source, demo mark) below, A4 landscape print setup
    with the header repeated on every page. Text from the data stays text."""
    ncols = max(len(frame.columns), 1)
    _title(ws, title, sub, ncols)
    for j, col in enumerate(frame.columns, start=1):
        _header(ws, 3, j, str(col))
        ws.column_dimensions[get_column_letter(j)].width = max(9, min(42, 2 * len(str(col)) + 2))
    for i, row in enumerate(frame.itertuples(index=False), start=4):
        values = [cells.xlsx_value(v) for v in row]
        for j, value in enumerate(values, start=1):
            cell = ws.cell(i, j, value)
            if isinstance(value, str):
                cell.data_type = "s"  # a name starting with "=" is text, never a formula
            cell.border, cell.font = BOX, Font(name=FONT, size=10)
            cell.alignment = LEFT if isinstance(value, str) else CENTRE
    last = _notes(ws, 4 + len(frame), notes, ncols) - 1
    ws.freeze_panes = "A4"
    _print_setup(ws, last, ncols, "3:3", notes, lang)


MISSING = t("xl_missing", "zh")  # what a table shows where data is missing: never 否, never 0


def cv_sheet(ws: Worksheet, a: balance.Assessment, criteria: Criteria, region: str, year: int, name: str,
             notes: list[str], lang: str = "zh") -> None:
    """校际差异系数表: per county and stage, the county mean and CV of R1–R7, the composite, the limit."""
    ncols = 2 + 14 + 3
    missing = t("xl_missing", lang)
    _title(ws, t("xl_cv_title", lang, name=name, year=year), t("xl_cv_sub", lang, year=year, next=year + 1), ncols)
    _header(ws, 3, 1, t("xl_county", lang), rows=2)
    _header(ws, 3, 2, t("xl_stage", lang), rows=2)
    for i in range(1, 8):
        col = 3 + 2 * (i - 1)
        _header(ws, 3, col, _indicator_header(criteria[f"R{i}"], lang), cols=2)
        _header(ws, 4, col, t("xl_mean", lang))
        _header(ws, 4, col + 1, t("xl_cv", lang))
    _header(ws, 3, 17, t("xl_composite", lang), rows=2)
    _header(ws, 3, 18, t("xl_limit", lang), rows=2)
    _header(ws, 3, 19, t("xl_passed", lang), rows=2)
    ws.row_dimensions[3].height = 56 if lang == "zh" else 70  # the indicators' names wrap over two columns
    rows = regions.within(a.counties, region)
    rows = rows[(rows["year"] == year) & rows["stage"].isin(STAGES)].sort_values(["adcode", "stage"],
                                                                                 key=lambda s: s.map({"primary": 0, "junior": 1}) if s.name == "stage" else s)
    # the engine's verdicts on R1–R7 (a CV over schools some of which lack data is no verdict)
    res = a.results[(a.results["year"] == year) & a.results["criterion"].isin(balance.RESOURCE_IDS)]
    verdict = res.groupby(["adcode", "stage"])["passed"].agg(
        lambda p: "no" if (p == False).any() else ("yes" if p.notna().all() else "missing"))  # noqa: E712
    r = 5
    records = _style_records(ws)
    for row in rows.itertuples(index=False):
        limit = criteria["R1"].cv_threshold[row.stage]
        judged = verdict.get((row.adcode, row.stage), "missing")
        ok = judged != "no"
        values = [_place(row.county_name, lang), stage_label(row.stage, lang)]
        for i in range(1, 8):
            values += [getattr(row, f"mean_r{i}"), getattr(row, f"cv_r{i}")]
        values += [row.cv_composite, limit, missing if judged == "missing" else t(judged, lang)]
        for c, v in enumerate(values, start=1):
            cell = ws.cell(r, c, cells.xlsx_value(v))
            if 3 <= c <= 17:
                style = "jh_num3" if (c % 2 == 0 or c == 17) else "jh_num2"
                if c <= 16 and c % 2 == 0 and isinstance(v, float) and v == v and v > limit:
                    style += "_miss"
            elif c == 18:
                style = "jh_num2"
            else:
                style = "jh_text_miss" if c == 19 and not ok else "jh_text"
            cell._style = StyleArray(records[style])
        r += 1
    last = _notes(ws, r + 1, notes, ncols) - 1
    ws.column_dimensions["A"].width = 14 if lang == "zh" else 26
    ws.column_dimensions["B"].width = 6 if lang == "zh" else 8
    for c in range(3, ncols + 1):
        ws.column_dimensions[get_column_letter(c)].width = 9.5
    ws.freeze_panes = "C5"
    _print_setup(ws, last, ncols, "3:4", notes, lang)


def school_sheet(ws: Worksheet, a: balance.Assessment, criteria: Criteria, region: str, year: int, name: str,
                 notes: list[str], lang: str = "zh") -> None:
    """学校达标情况表: every assessed school and stage with R1–R7, standards met and the verdict."""
    ncols = 4 + 7 + 3
    missing = t("xl_missing", lang)
    _title(ws, t("xl_school_title", lang, name=name, year=year),
           t("xl_school_sub", lang, rule=compliance_rule(criteria, lang), year=year, next=year + 1), ncols)
    for c, key in enumerate(["xl_county", "xl_school", "xl_stage", "xl_students"], start=1):
        _header(ws, 3, c, t(key, lang), rows=2)
    for i in range(1, 8):
        cid = f"R{i}"
        _header(ws, 3, 4 + i, _indicator_header(criteria[cid], lang))
        std = criteria[cid].threshold
        _header(ws, 4, 4 + i, t("xl_standard", lang, primary=f"{std['primary']:g}", junior=f"{std['junior']:g}"))
    _header(ws, 3, 12, t("xl_met", lang), rows=2)
    _header(ws, 3, 13, t("xl_lowest", lang), rows=2)
    _header(ws, 3, 14, t("xl_passed", lang), rows=2)
    ws.row_dimensions[3].height = 82  # the indicators' full names wrap in their columns
    ws.row_dimensions[4].height = 30 if lang == "zh" else 44
    s = a.schools[(a.schools["year"] == year) & a.schools["eligible"].fillna(False).astype(bool)]
    s = regions.within(s, region)
    names = dict(zip(a.counties["adcode"], a.counties["county_name"]))
    s = s.sort_values(["adcode", "stage", "school_id"])
    r = 5
    records = _style_records(ws)
    for row in s.itertuples(index=False):
        ratios = [getattr(row, f"ratio_r{i}") for i in range(1, 8)]
        lowest = min((x for x in ratios if x == x), default=float("nan"))
        # a school lacking an indicator's data shows 缺数据 there and cannot be judged (never 否/0)
        known = not pd.isna(row.compliant)
        county = names.get(row.adcode, row.adcode)
        values = [_place(county, lang), row.name, stage_label(row.stage, lang), int(row.students),
                  *[missing if pd.isna(getattr(row, f"r{i}")) else getattr(row, f"r{i}") for i in range(1, 8)],
                  int(row.standards_met) if not pd.isna(row.standards_met) else missing,
                  lowest if known else missing, _yes_no(bool(row.compliant), lang) if known else missing]
        for c, v in enumerate(values, start=1):
            cell = ws.cell(r, c, cells.xlsx_value(v))
            if 5 <= c <= 11:
                style = "jh_int" if c == 10 else "jh_num2"
                if ratios[c - 5] == ratios[c - 5] and ratios[c - 5] < 1:
                    style += "_miss"
            elif c == 4 or c == 12:
                style = "jh_int"
            elif c == 13:
                style = "jh_pct"
            elif c == 2:
                style = "jh_text_left"
            else:
                style = "jh_text_miss" if c == 14 and known and not row.compliant else "jh_text"
            cell._style = StyleArray(records[style])
        r += 1
    last = _notes(ws, r + 1, notes, ncols) - 1
    widths = (12, 26, 6, 10, 13, 13, 13, 13, 13, 13, 13, 8, 10, 8) if lang == "zh" else \
        (24, 26, 8, 9, 15, 15, 15, 15, 15, 15, 15, 10, 11, 8)
    for col, width in zip("ABCDEFGHIJKLMN", widths):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "C5"
    _print_setup(ws, last, ncols, "3:4", notes, lang)


def workbook(a: balance.Assessment, criteria: Criteria, region: str, year: int, ctx: Context) -> bytes:
    """Both tables of a region and year in one workbook, in the context's language (English:
    sheet names, headers, units and notes in English, places with their Chinese names beside)."""
    lang = ctx.lang
    name = _place(progress.region_names(a, "zh").get(region, region), lang)
    cv = criteria["R1"].cv_threshold
    notes = [t("xl_method", lang, title=criteria.source.get("title_en" if lang == "en" else "title", "")
               or criteria.source.get("title", ""), primary=f"{cv['primary']:g}", junior=f"{cv['junior']:g}"),
             *method_notes(criteria, lang)[1:], ctx.source_line(with_boundaries=False)]
    if ctx.synthetic:
        notes.insert(0, t("synthetic_banner", lang))
    wb = Workbook()
    _styles(wb)
    ws = wb.active
    ws.title = t("xl_sheet_cv", lang)
    cv_sheet(ws, a, criteria, region, year, name, notes, lang)
    school_sheet(wb.create_sheet(t("xl_sheet_school", lang)), a, criteria, region, year, name, notes, lang)
    buf = io.BytesIO()
    cells.values_only(wb)  # a school named "=…" stays text
    wb.save(buf)
    return buf.getvalue()


def table_workbook(sheets: dict[str, tuple[pd.DataFrame, str]], notes: list[str], sub: str = "",
                   lang: str = "zh") -> bytes:
    """A workbook of titled tables (sheet name → (table, title)), each in the official style."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, (frame, title) in sheets.items():
        table_sheet(wb.create_sheet(name[:31]), frame, title, notes, sub, lang)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def gap_workbook(plan: gap.GapPlan, region: str, lang: str = "zh", synthetic_note: str = "",
                 source: str = "", region_name: str = "") -> bytes:
    """The gap plan of a region as an official-style workbook (display.gap_sheets): Chinese
    headers with units, a title, a frozen header, A4 print setup, notes under every table."""
    sheets, notes = display.gap_sheets(plan, region, lang, synthetic_note, source, region_name)
    return table_workbook(sheets, notes, lang=lang)


def view_workbook(table: pd.DataFrame, title: str, notes: list[str], lang: str = "zh") -> bytes:
    """The map's table view as an official-style workbook (title, frozen header, notes, A4 print
    setup with the demo mark, source and page number on every printed page)."""
    return table_workbook({title[:31]: (table.drop(columns=["adcode"], errors="ignore"), title)}, notes, lang=lang)
