"""Reading import files: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030, Big5 told apart) and XLSX
(checked for size and shape from its zip directory before any cell is read), each sheet parsed
against the data dictionary into typed rows, every problem with its file, sheet, row and column."""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass, field

import pandas as pd

from analytics.core.i18n import Text
from analytics.store import dictionary

MAX_PROBLEMS_PER_FILE = 200
TOTAL_WORDS = {"合计", "总计", "小计", "total", "sum", "合 计", "总 计"}
SKIP_SHEETS = {"数据字典", "说明", "dictionary", "readme", "填表说明"}
PROBLEM_COLUMNS = ["file", "sheet", "row", "column", "value", "problem_zh", "problem_en"]


@dataclass
class Part:
    """One sheet (or CSV file) read as one table: typed columns plus `_row`, the file's row number."""

    file: str
    sheet: str
    table: str
    frame: pd.DataFrame


@dataclass
class Source:
    name: str
    size: int
    sha256: str
    parts: list[Part] = field(default_factory=list)


def problem(file: str, sheet: str, row, column: str, value, text: Text) -> dict:
    """One problem row: where (file, sheet, row, column), the value found, and why in both languages."""
    return {"file": file, "sheet": sheet, "row": row, "column": column, "value": "" if value is None else str(value),
            "problem_zh": text.told("zh"), "problem_en": text.told("en")}


KANA = re.compile(r"[\u3040-\u30ff]")  # in GB2312, but in Chinese statistics only as Big5 read as GBK


def _common_share(text: str, minimum: int = 10) -> float:
    """Share of the non-ASCII characters of a text that are common in simplified Chinese text:
    in GB2312 and not kana (1.0 when there are fewer than `minimum`)."""
    wide = [ch for ch in text[:200_000] if ord(ch) > 0x7f]
    if len(wide) < minimum:
        return 1.0
    common = 0
    for ch in wide:
        try:
            ch.encode("gb2312")
            common += not KANA.match(ch)
        except UnicodeEncodeError:
            pass
    return common / len(wide)


def _is_big5(data: bytes) -> bool:
    try:
        data.decode("big5")
        return True
    except UnicodeDecodeError:
        return False


def _decode(data: bytes) -> tuple[str | None, str]:
    """The text of a CSV, strictly: UTF-8 (with or without BOM), else GB18030 when it reads as
    ordinary simplified Chinese. GB18030 decodes almost any bytes, so Big5 (or damaged) text would
    come out as rare characters or kana — refused ("unclear") rather than stored garbled. Bytes
    that are valid Big5 too are judged on every character, however few (a Big5 file with English
    headers has only a few Chinese characters, in names or ids)."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        return None, ""
    if _common_share(text) < 0.9 or (_is_big5(data) and _common_share(text, minimum=1) < 1.0):
        return None, "unclear"
    return text, "gb18030"


# Limits on an Excel file, checked from its zip directory and sheet XML before any cell is read
# (a 2 KB file naming cell XFD1048576 would otherwise make the reader allocate the whole grid).
XLSX_MAX_UNCOMPRESSED = 2 * 1024 ** 3     # bytes of XML in all
XLSX_MAX_RATIO = 200                      # uncompressed ÷ compressed size of one member
XLSX_MAX_COLUMNS = 200                    # the widest template table has fewer than 50 columns
XLSX_MAX_CELLS = 20_000_000               # rows × columns of one sheet's used area, and its cells
XLSX_LARGE_MEMBER = 64 * 1024 ** 2        # a sheet this large must compress like real data:
XLSX_MAX_RATIO_LARGE = 50                 # real sheets measured ~9× (300,000 teacher rows)
_ANY_CELL_REF = re.compile(rb'\sr="[A-Z]{1,3}\d')
_WIDE_CELL_REF = re.compile(rb'\sr="([A-Z]{2,3})\d')
_ROW_REF = re.compile(rb'<(?:\w+:)?row\b[^>]*?\sr="(\d{1,7})"')


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _sheet_names(z) -> dict[str, str]:
    """Zip member of each worksheet → the sheet's name as Excel shows it (best effort)."""
    try:
        wb = z.read("xl/workbook.xml").decode("utf-8", "replace")
        rels = z.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    except KeyError:
        return {}
    targets = dict(re.findall(r'Id="([^"]+)"[^>]*?Target="([^"]+)"', rels))
    targets.update({i: t for t, i in re.findall(r'Target="([^"]+)"[^>]*?Id="([^"]+)"', rels)})
    out = {}
    for name, rid in re.findall(r'<(?:\w+:)?sheet\b[^>]*?name="([^"]*)"[^>]*?r:id="([^"]+)"', wb):
        target = targets.get(rid, "").lstrip("/")
        out[target if target.startswith("xl/") else f"xl/{target}"] = name
    return out


def xlsx_limits(data: bytes) -> Text | None:
    """Why an Excel file is refused before it is read, or None when it is within the
    limits: too much XML, a zip member compressed like a bomb, a sheet reaching past
    XLSX_MAX_COLUMNS or with a used area over XLSX_MAX_CELLS. Reads the XML once, streaming
    at most what the size limit allows; nothing is parsed into cells."""
    import zipfile

    try:
        z = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return None  # not a zip: the reader says so in its own words
    members = z.infolist()
    total = sum(m.file_size for m in members)
    if total > XLSX_MAX_UNCOMPRESSED:
        return Text("imp_xlsx_too_big", {"mb": total / 1024 ** 2, "limit": XLSX_MAX_UNCOMPRESSED / 1024 ** 2})
    for m in members:
        if m.compress_size and m.file_size > 1024 ** 2 and m.file_size / m.compress_size > XLSX_MAX_RATIO:
            return Text("imp_xlsx_ratio", {"member": m.filename, "ratio": m.file_size / m.compress_size})
    names = _sheet_names(z)
    for m in members:
        if not re.fullmatch(r"xl/worksheets/[^/]+\.xml", m.filename):
            continue
        name = names.get(m.filename, m.filename.rsplit("/", 1)[-1])
        if m.compress_size and m.file_size > XLSX_LARGE_MEMBER and m.file_size / m.compress_size > XLSX_MAX_RATIO_LARGE:
            return Text("imp_sheet_ratio", {"sheet": name, "mb": m.file_size / 1024 ** 2,
                                            "ratio": m.file_size / m.compress_size})
        last_row, max_col, cells = _sheet_extent(z, m)
        if max_col > XLSX_MAX_COLUMNS:
            return Text("imp_sheet_columns", {"sheet": name, "columns": max_col, "limit": XLSX_MAX_COLUMNS})
        if max_col == 26 and last_row * max_col > XLSX_MAX_CELLS:  # narrow it down: the last letter used
            max_col = _last_single_letter_column(z, m)
        if max(last_row * max_col, cells) > XLSX_MAX_CELLS:
            return Text("imp_sheet_area", {"sheet": name, "rows": last_row, "columns": max_col, "cells": cells,
                                           "limit": XLSX_MAX_CELLS})
    return None


_CELL_TAG = re.compile(rb"<(?:\w+:)?c[\s>/]")
_CHUNK = 16 * 1024 ** 2


def _xml_chunks(z, member):
    """A zip member's XML in pieces that end after a '>' (no tag is cut in two), so the whole
    sheet never has to be in memory for the checks."""
    carry = b""
    with z.open(member) as fh:
        while piece := fh.read(_CHUNK):
            piece = carry + piece
            end = piece.rfind(b">") + 1
            carry = piece[end:] if end else piece
            if end:
                yield piece[:end]
    if carry:
        yield carry


def _sheet_extent(z, member) -> tuple[int, int, int]:
    """(last row number, widest column, number of cells) of a worksheet, from its XML. A cell
    written without its r="A1" reference (allowed) still counts: the number of <c> elements
    bounds what the reader will allocate even when the references say nothing."""
    last_row = max_col = cells = 0
    for xml in _xml_chunks(z, member):
        cells += len(_CELL_TAG.findall(xml))
        # the widest column: cells of columns past Z have 2–3 letter references (rare in real
        # files, so this loop is short); without any, the sheet ends at column Z or earlier
        if max_col < 26 and _ANY_CELL_REF.search(xml):
            max_col = 26
        for found in _WIDE_CELL_REF.finditer(xml):
            max_col = max(max_col, _column_number(found.group(1)))
            if max_col > XLSX_MAX_COLUMNS:
                return last_row, max_col, cells
        # rows come in order: the last <row r="…"> of the piece is the sheet's last row so far
        last = max(xml.rfind(b"<row "), xml.rfind(b":row "))
        found = _ROW_REF.search(xml, max(0, last - 16)) if last >= 0 else None
        if found:
            last_row = max(last_row, int(found.group(1)))
    return last_row, max_col, cells


def _last_single_letter_column(z, member) -> int:
    """The last of columns A–Z any cell reference uses (a second pass, for a tall sheet only)."""
    used = 0
    for xml in _xml_chunks(z, member):
        used = next((n for n in range(26, used, -1) if re.search(rb'\sr="' + bytes([64 + n]) + rb'\d', xml)), used)
        if used == 26:
            break
    return used


def _xlsx_sheets(data: bytes) -> list[tuple[str, list[list]]]:
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    out = []
    for name in wb.sheet_names:
        if name.strip().lower() in SKIP_SHEETS:
            continue
        out.append((name, wb.get_sheet_by_name(name).to_python(skip_empty_area=False)))
    return out


def _ragged_csv(text: str) -> pd.DataFrame:
    """A CSV whose rows differ in length (a title line above the header, a row cut short or with
    a value too many): every row as it is, padded; _parse_grid then says which rows are wrong.
    Each row keeps its line number; `_width` holds how many values it had."""
    import csv

    rows = list(csv.reader(io.StringIO(text)))
    width = max((len(r) for r in rows), default=0)
    grid = pd.DataFrame([r + [""] * (width - len(r)) for r in rows], dtype=str)
    grid.attrs["widths"] = [len(r) for r in rows]
    return grid


def _cell_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def read(name: str, data: bytes) -> tuple[Source, list[dict]]:
    """Read one file into table parts; problems (file-level and cell-level) come back as dicts."""
    src = Source(name=name, size=len(data), sha256=hashlib.sha256(data).hexdigest())
    problems: list[dict] = []
    if not data.strip():
        return src, [problem(name, "", "", "", "", Text("imp_empty_file"))]
    lower = name.lower()
    if lower.endswith((".xlsx", ".xlsm")):
        refused = xlsx_limits(data)
        if refused:
            return src, [problem(name, "", "", "", "", refused)]
        try:
            sheets = _xlsx_sheets(data)
        except Exception as exc:  # noqa: BLE001 - any reader failure is the file's problem
            return src, [problem(name, "", "", "", "", Text("imp_xlsx_unreadable", {"error": exc}))]
        grids = [(sheet, pd.DataFrame([[_cell_text(v) for v in row] for row in rows]).astype(str)
                  if rows else pd.DataFrame()) for sheet, rows in sheets]
    elif lower.endswith((".csv", ".txt")):
        text, encoding = _decode(data)
        if text is None and encoding == "unclear":
            return src, [problem(name, "", "", "", "", Text("imp_big5"))]
        if text is None:
            return src, [problem(name, "", "", "", "", Text("imp_encoding"))]
        try:  # pyarrow's parser is ~20× faster on large files; it skips blank lines, which would
            # shift the row numbers in messages, so files with blank lines go to the C parser
            if re.search(r"\n[ \t\r]*\n", text):
                raise ValueError("blank lines")
            grid = pd.read_csv(io.BytesIO(text.encode("utf-8")), dtype=str, header=None, keep_default_na=False,
                               engine="pyarrow")
        except Exception:  # noqa: BLE001 - ragged rows (a title line above the header…): read them as they are
            grid = _ragged_csv(text)
        grid.columns = range(grid.shape[1])
        grids = [("", grid)]
    else:
        return src, [problem(name, "", "", "", "", Text("imp_file_type"))]
    for sheet, grid in grids:
        part, found = _parse_grid(name, sheet, grid)
        problems += found
        if part is not None:
            src.parts.append(part)
    if not src.parts and not problems:
        problems.append(problem(name, "", "", "", "", Text("imp_no_table")))
    return src, problems


def _nonempty_rows(grid: pd.DataFrame) -> pd.Series:
    """Rows with a cell that is not blank. Column by column, each looking only at the rows still
    blank so far: a filled first column (an id) settles almost every row at once."""
    nonempty = pd.Series(False, index=grid.index)
    for col in grid.columns:
        todo = ~nonempty
        if not todo.any():
            break
        nonempty[todo] = (grid.loc[todo, col].str.strip() != "").to_numpy()
    return nonempty


def _parse_grid(file: str, sheet: str, grid: pd.DataFrame) -> tuple[Part | None, list[dict]]:
    """Find the header row (titles above it and units or a second header below are skipped),
    recognise the table, and coerce every column."""
    tables = dictionary.load()
    if grid.empty:
        return None, [problem(file, sheet, "", "", "", Text("imp_empty_file"))]
    grid = grid.fillna("").astype(str)
    nonempty = _nonempty_rows(grid)
    best = (None, {}, -1)
    for i in grid.index[nonempty][:10]:
        table, mapping = dictionary.match_headers(list(grid.loc[i]), tables)
        if len(mapping) > len(best[1]):
            best = (table, mapping, i)
    table_name, mapping, header_at = best
    if table_name is None or len(mapping) < 2:
        return None, [problem(file, sheet, "", "", "", Text("imp_no_header"))]
    table = tables[table_name]
    headers = list(grid.loc[header_at])
    seen: dict[str, int] = {}
    for pos, h in enumerate(headers):
        norm = dictionary._norm_header(str(h))
        if norm and norm in seen:
            return None, [problem(file, sheet, header_at + 1, str(h), "", Text("imp_header_twice", {"header": h}))]
        if norm:
            seen[norm] = pos
    missing = [c for c in table.columns if c.required and c.name not in mapping.values()]
    if missing:
        return None, [problem(file, sheet, header_at + 1, c.zh, "", Text("imp_missing_column", {"zh": c.zh, "name": c.name}))
                      for c in missing]
    keep = nonempty.copy()
    keep.loc[:header_at] = False
    # stray totals (合计, 总计…) in the first two columns
    for col in list(grid.columns)[:2]:
        keep &= ~grid[col].str.replace(" ", "").str.strip().str.lower().isin(TOTAL_WORDS)
    # a second header (English under Chinese) or a units row right under the header
    index = dictionary.header_index(table)
    for i in grid.index[keep][:3]:
        cells = [v.strip() for v in grid.loc[i] if v.strip()]
        if (sum(dictionary._norm_header(v) in index for v in cells) >= max(2, len(mapping) // 2)
                or all(re.fullmatch(r"[（(].*[)）]|单位.*", v) for v in cells)):
            keep.loc[i] = False
    widths = grid.attrs.get("widths")
    if widths is not None:  # a CSV with ragged rows: a data row must have the header's number of values
        header_width = len([h for h in headers if str(h).strip()]) if widths[header_at] > 0 else 0
        header_width = max(header_width, widths[header_at])
        ragged = [(i, widths[i]) for i in grid.index[keep] if widths[i] != header_width]
        if ragged:
            return None, [problem(file, sheet, i + 1, "", n, Text("imp_row_short" if n < header_width else "imp_row_long",
                                                                  {"n": n, "width": header_width}))
                          for i, n in ragged[:MAX_PROBLEMS_PER_FILE]]
    body = grid[keep]
    if body.empty:
        return None, [problem(file, sheet, header_at + 1, "", "", Text("imp_header_only"))]
    rows = (body.index + 1).to_numpy()  # the row number a user sees in Excel or a text editor
    problems: list[dict] = []
    typed = {"_row": rows}
    for pos, name in mapping.items():
        column = table.column(name)
        values, bad = dictionary.coerce(column, body[pos])
        typed[name] = values.reset_index(drop=True)  # typed arrays, not Python objects: read fast by DuckDB
        if bad.any():
            room = max(0, MAX_PROBLEMS_PER_FILE - len(problems))
            for r, v in zip(rows[bad.to_numpy()][:room], body[pos][bad].to_numpy()[:room]):
                problems.append(problem(file, sheet, int(r), headers[pos], v, Text("imp_expected", {"expected": column.expected})))
            unlisted = int(bad.sum()) - min(room, int(bad.sum()))
            if unlisted:  # counted, not listed: the total a user is told stays true
                problems.append(problem(file, sheet, "", headers[pos], "", Text("imp_column_more", {"n": unlisted}))
                                | {"_more": unlisted})
    for column in table.columns:
        if column.name not in typed:
            typed[column.name] = pd.array([pd.NA] * len(body), dtype="object")
    frame = pd.DataFrame(typed)
    return Part(file=file, sheet=sheet, table=table.name, frame=frame), problems
