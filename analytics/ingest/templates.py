"""Import templates (one CSV and one XLSX per table, Chinese headers, an example row, a data
dictionary sheet) and the export of a whole database in the same format (the round trip)."""

from __future__ import annotations

import io
from pathlib import Path

import duckdb
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from analytics.core import cells
from analytics.core.classes import TEMPLATE_HEAD, xlsx_colour
from analytics.store import db, dictionary

HEAD = PatternFill("solid", fgColor=xlsx_colour(TEMPLATE_HEAD))


def _label(column: dictionary.Column, code: str) -> str:
    """The Chinese word shown for an enum code (the code itself when it is Chinese)."""
    return next((w for w, c in column.labels.items() if c == code and not w.isascii()), code)


def dictionary_frame(table: dictionary.Table) -> pd.DataFrame:
    """The data dictionary of a table: header, English name, type, unit, required, allowed, meaning."""
    types = {"text": "文字", "int": "整数", "float": "数值", "bool": "是/否", "enum": "选项"}
    return pd.DataFrame([{
        "列名": c.zh, "英文列名（也可用）": c.name, "类型": types[c.type], "单位": c.unit,
        "必填": "是" if c.required else "否", "取值或范围": c.expected("zh"), "说明": c.meaning, "示例": c.example,
    } for c in table.columns])


def template_frame(table: dictionary.Table) -> pd.DataFrame:
    return pd.DataFrame([{c.zh: c.example for c in table.columns}])


def template_xlsx(table: dictionary.Table) -> bytes:
    """A workbook to fill in: the table (header and an example row) and its data dictionary."""
    wb = Workbook()
    ws = wb.active
    ws.title = table.zh
    ws.append([c.zh for c in table.columns])
    ws.append([c.example for c in table.columns])
    for i, c in enumerate(table.columns, start=1):
        cell = ws.cell(1, i)
        cell.font, cell.fill, cell.alignment = Font(bold=True), HEAD, Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[cell.column_letter].width = max(12, min(28, len(c.zh) * 2 + 2))
    ws.freeze_panes = "A2"
    d = wb.create_sheet("数据字典")
    frame = dictionary_frame(table)
    d.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        d.append(list(row))
    for cell in d[1]:
        cell.font, cell.fill = Font(bold=True), HEAD
    for letter, width in zip("ABCDEFGH", (24, 26, 8, 10, 6, 40, 50, 16)):
        d.column_dimensions[letter].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def template_files() -> dict[str, bytes]:
    """Every template: <table>.csv (UTF-8 with BOM, opens in Excel) and <table>.xlsx, plus
    数据字典.csv with every column of every table."""
    files = {}
    dictionaries = []
    for t in dictionary.load().values():
        files[f"{t.name}_{t.zh}.csv"] = template_frame(t).to_csv(index=False).encode("utf-8-sig")
        files[f"{t.name}_{t.zh}.xlsx"] = template_xlsx(t)
        dictionaries.append(dictionary_frame(t).assign(表=t.zh, table=t.name))
    files["数据字典_data_dictionary.csv"] = pd.concat(dictionaries).to_csv(index=False).encode("utf-8-sig")
    return files


def write_templates(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in template_files().items():
        (out / name).write_bytes(data)
        paths.append(out / name)
    return paths


# --------------------------------------------------------------------------------------------
# The whole database in template format


def _select(table: dictionary.Table, csv: bool = False) -> str:
    """SELECT of a table with Chinese headers and Chinese words for codes, as a user would fill it
    (for CSV, text cells that a spreadsheet would run as formulas get a leading apostrophe)."""
    parts = []
    for c in table.columns:
        if c.type == "enum":
            cases = " ".join(f"WHEN {db.literal(v)} THEN {db.literal(_label(c, v))}" for v in c.values)
            expr = f"CASE {c.name} {cases} END"
        elif c.type == "bool":
            expr = f"CASE WHEN {c.name} THEN '是' WHEN NOT {c.name} THEN '否' END"
        elif c.type == "text" and csv:
            expr = cells.neutral_sql(c.name)
        else:
            expr = c.name
        parts.append(f'{expr} AS "{c.zh}"')
    return f"SELECT {', '.join(parts)} FROM {table.name}"


def export_tables(con: duckdb.DuckDBPyConnection, out: Path, fmt: str = "csv") -> list[Path]:
    """Write every table in the template format: CSV per table, or XLSX per table and year
    (Excel holds at most 1,048,576 rows a sheet). An empty table writes no file: a file with a
    header and no rows is refused by the import, and the round trip must import."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for t in dictionary.load().values():
        if not con.execute(f"SELECT count(*) FROM {t.name}").fetchall()[0][0]:
            continue
        order = ", ".join(f'"{t.column(k).zh}"' for k in t.key)
        if fmt == "csv":
            path = out / f"{t.name}.csv"
            con.execute(f"COPY ({_select(t, csv=True)} ORDER BY {order}) TO {db.literal(path)} (HEADER, DELIMITER ',')")
            paths.append(path)
            continue
        years = [None] if not t.yearly else [r[0] for r in con.execute(
            f"SELECT DISTINCT year FROM {t.name} ORDER BY 1").fetchall()]
        for year in years:
            where = "" if year is None else f" WHERE year = {int(year)}"
            frame = con.execute(f"{_select(t)}{where} ORDER BY {order}").df()
            path = out / (f"{t.name}.xlsx" if year is None else f"{t.name}_{year}.xlsx")
            wb = Workbook(write_only=True)
            ws = wb.create_sheet(t.zh)
            ws.append(list(frame.columns))
            for row in frame.itertuples(index=False, name=None):
                ws.append(cells.xlsx_row(ws, [None if (isinstance(v, float) and v != v) or v is pd.NA else v
                                              for v in row]))
            wb.save(path)
            paths.append(path)
    return paths
