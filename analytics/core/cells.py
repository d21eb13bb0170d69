"""Spreadsheet safety for text from the data: a school named '=HYPERLINK(…)' or '+1+1' must never
become a live formula in a file this product writes.

- CSV (downloads, export-tables): a text cell starting with = + - @, a tab or a carriage return
  gets a leading apostrophe, as spreadsheet tools expect (OWASP's CSV-injection advice); the
  importer removes it again, so export → import gives back the same text.
- XLSX: every cell written from data is stored as a value; a string that openpyxl would store as
  a formula is stored as text instead (it shows exactly as typed).
"""

from __future__ import annotations

import re

import pandas as pd

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # what an XLSX cell cannot hold (openpyxl refuses it)


def xlsx_value(value: object) -> object:
    """A value for an XLSX cell: NaN as empty, control characters a sheet cannot hold removed
    (the importer refuses them; data written before that check must still export)."""
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, str):
        return ILLEGAL.sub("", value)
    return value


def neutral(value: object) -> object:
    """A text value made inert for a CSV cell (other values unchanged)."""
    if isinstance(value, str) and value.startswith(TRIGGERS):
        return "'" + value
    return value


def neutral_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with its text columns made inert for CSV (numbers are left as numbers)."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutral)
    return out


def csv_bytes(frame: pd.DataFrame, notes: list[str] | tuple[str, ...] = ()) -> bytes:
    """A CSV download (UTF-8 with BOM, so Excel reads Chinese) with text cells made inert; notes
    (source, the demo-data mark) follow the rows, one per line in the first column."""
    text = neutral_frame(frame).to_csv(index=False)
    if notes:
        text += pd.DataFrame({"": [neutral(n) for n in notes]}).to_csv(index=False, header=False)
    return text.encode("utf-8-sig")


def restore(value: str) -> str:
    """The importer's inverse of `neutral` for a text cell."""
    if len(value) > 1 and value[0] == "'" and value[1] in "=+-@\t\r":
        return value[1:]
    return value


def values_only(workbook) -> None:
    """Store every formula-looking string of an openpyxl workbook as text (before saving)."""
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"


def xlsx_row(ws, values: list) -> list:
    """A row for a write-only openpyxl sheet with formula-looking strings stored as text."""
    from openpyxl.cell import WriteOnlyCell

    out = []
    for v in map(xlsx_value, values):
        if isinstance(v, str) and v.startswith("="):
            cell = WriteOnlyCell(ws, value=v)
            cell.data_type = "s"
            out.append(cell)
        else:
            out.append(v)
    return out


# SQL for DuckDB's COPY (export-tables): the same rule as `neutral` for a text column.
def neutral_sql(column: str) -> str:
    return (f"CASE WHEN regexp_matches({column}, '^[=+\\-@\\t\\r]') THEN '''' || {column} "
            f"ELSE {column} END")
