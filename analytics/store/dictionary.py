"""The import contract column by column (data/dictionary.toml): Chinese and English headers,
types, units, allowed values, ranges; and the vectorised coercion of what people type in
spreadsheets (full-width digits, thousands separators, percentages, 是/否, Chinese labels).
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from analytics.core import cells, i18n
from analytics.core.paths import DATA_DIR

DICTIONARY_FILE = DATA_DIR / "dictionary.toml"
# Blank cells as people write them. A program's words for nothing ("NaN", "null", "None") are not
# among them: a file full of those was written by a script that lost values, so they are refused.
EMPTY = {"", "-", "—", "－", "NA", "N/A", "n/a"}
TRUE = {"是", "true", "True", "TRUE", "yes", "Yes", "YES", "y", "Y", "1", "√", "有"}
FALSE = {"否", "false", "False", "FALSE", "no", "No", "NO", "n", "N", "0", "×", "无"}


@dataclass(frozen=True)
class Column:
    name: str
    zh: str
    type: str                     # text | int | float | bool | enum
    meaning: str = ""
    unit: str = ""
    required: bool = True
    min: float | None = None
    max: float | None = None
    share: bool = False
    values: tuple[str, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)   # accepted word → code
    example: str = ""
    max_length: int | None = None                           # text: longest value the data model takes

    def expected(self, lang: str = "zh") -> str:
        """What a cell must hold, in words (for error messages and the data dictionary)."""
        if self.type == "enum":
            shown = [next((w for w, c in self.labels.items() if c == v and not w.isascii()), v) for v in self.values]
            return i18n.t("expect_one_of", lang, shown="、".join(shown), codes=", ".join(self.values))
        if self.type == "bool":
            return i18n.t("expect_bool", lang)
        if self.share:
            return i18n.t("expect_share", lang)
        if self.type in ("int", "float"):
            kind = i18n.t("expect_int" if self.type == "int" else "expect_number", lang)
            if self.min is not None and self.max is not None:
                lo, hi = (f"{v:,.0f}" if float(v).is_integer() else f"{v:g}" for v in (self.min, self.max))
                kind = i18n.t("expect_range", lang, kind=kind, lo=lo, hi=hi)
            if self.unit:
                kind = i18n.t("expect_unit", lang, kind=kind, unit=self.unit)
            return kind
        if self.max_length:
            return i18n.t("expect_text_max", lang, n=self.max_length)
        return i18n.t("expect_text", lang)


@dataclass(frozen=True)
class Table:
    name: str
    zh: str
    meaning: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]

    @property
    def yearly(self) -> bool:
        return "year" in self.key

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _norm_header(text: str) -> str:
    """Header as compared: full-width folded, spaces, units in brackets and '*' removed."""
    import unicodedata

    t = unicodedata.normalize("NFKC", str(text)).strip().lower()
    t = re.sub(r"[（(][^）)]*[）)]", "", t)
    return re.sub(r"[\s*_：:]", "", t)


@lru_cache(maxsize=4)
def load(path: str | None = None) -> dict[str, Table]:
    """Every importable table, in the order they must be loaded."""
    raw = tomllib.loads(Path(path or DICTIONARY_FILE).read_text(encoding="utf-8"))
    label_sets = raw.get("labels", {})
    tables = {}
    for entry in raw["table"]:
        cols = []
        for c in entry["columns"]:
            labels: dict[str, str] = {}
            if c["type"] == "enum":
                for v in c["values"]:
                    labels[v] = v
                    labels[v.lower()] = v
                for code, words in label_sets.get(c["name"], {}).items():
                    for w in words:
                        labels[w] = code
            cols.append(Column(name=c["name"], zh=c["zh"], type=c["type"], meaning=c.get("meaning", ""),
                               unit=c.get("unit", ""), required=c.get("required", True), min=c.get("min"),
                               max=c.get("max"), share=c.get("share", False), values=tuple(c.get("values", ())),
                               labels=labels, example=str(c.get("example", "")), max_length=c.get("max_length")))
        tables[entry["name"]] = Table(name=entry["name"], zh=entry["zh"], meaning=entry.get("meaning", ""),
                                      key=tuple(entry["key"]), columns=tuple(cols))
    return tables


def header_index(table: Table) -> dict[str, str]:
    """Normalised Chinese or English header → column name."""
    out = {}
    for c in table.columns:
        out[_norm_header(c.name)] = c.name
        out[_norm_header(c.zh)] = c.name
    return out


def match_headers(headers: list[str], tables: dict[str, Table] | None = None) -> tuple[str | None, dict[int, str]]:
    """The table whose columns the headers name best, and position → column name."""
    tables = tables or load()
    best, best_map = None, {}
    for t in tables.values():
        index = header_index(t)
        mapping = {i: index[_norm_header(h)] for i, h in enumerate(headers) if _norm_header(h) in index}
        if len(set(mapping.values())) > len(set(best_map.values())):
            best, best_map = t.name, mapping
    return best, best_map


# --------------------------------------------------------------------------------------------
# Coercion (vectorised over a column of strings)


NOT_NUMBERS = {"nan", "null", "none", "#n/a", "n/a", "inf", "-inf", "infinity"}


def clean(values: pd.Series) -> pd.Series:
    """Strings as typed → trimmed, full-width folded (NFKC), empty markers → ''."""
    s = values.fillna("").astype(str).str.strip()
    wide = ~s.str.isascii()
    if wide.any():  # only non-ASCII cells can hold full-width characters
        # each distinct value once: a column of millions of cells holds a few hundred values at most
        # (degrees, kinds, names), and NFKC runs in Python one value at a time
        distinct = s[wide].unique()
        folded = {v: unicodedata.normalize("NFKC", v).strip() for v in distinct}
        s = s.copy()
        s[wide] = s[wide].map(folded)
    return s.where(~s.isin(EMPTY), "")


def coerce(column: Column, raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(values, bad): values converted to the column's type; bad marks cells that are not
    empty-and-allowed and could not be read or are out of range. A column with few distinct
    values (years, stages, degrees: millions of cells, a handful of values) is read value by
    value, then spread back over its cells."""
    codes, distinct = pd.factorize(raw, use_na_sentinel=False)
    if len(distinct) * 10 < len(raw):
        values, bad = _coerce(column, pd.Series(distinct, dtype=raw.dtype))
        return (values.iloc[codes].set_axis(raw.index), bad.iloc[codes].set_axis(raw.index))
    return _coerce(column, raw)


def _coerce(column: Column, raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    s = clean(raw)
    empty = s == ""
    if column.type == "text":
        out = s.str.replace(r"\.0$", "", regex=True)  # ids that Excel turned into numbers
        quoted = out.str.startswith("'")  # the apostrophe exports put before =… (rare: only those rows)
        if quoted.any():
            out = out.copy()
            out[quoted] = out[quoted].map(cells.restore)
        bad = empty if column.required else pd.Series(False, index=s.index)
        if column.max_length:
            bad = bad | (out.str.len() > column.max_length)
        bad = bad | out.str.lower().isin(NOT_NUMBERS)
        return out.where(~empty, None), bad
    if column.type == "bool":
        out = pd.Series(pd.NA, index=s.index, dtype="boolean")
        out[s.isin(TRUE)] = True
        out[s.isin(FALSE)] = False
        bad = (~empty & out.isna()) | (empty & column.required)
        return out, bad
    if column.type == "enum":
        mapped = s.map(column.labels)
        mapped = mapped.where(mapped.notna(), s.str.lower().map(column.labels))
        bad = (~empty & mapped.isna()) | (empty & column.required)
        return mapped.where(~empty, None), bad
    # numbers ("NaN", "null", "#N/A" are a program's words for nothing: refused, not read as empty)
    text = s.str.replace(r"[,\s']", "", regex=True)
    placeholder = text.str.lower().isin(NOT_NUMBERS)
    percent = text.str.endswith("%")
    number = pd.to_numeric(text.str.rstrip("%"), errors="coerce")
    if column.share:
        number = number.where(~percent, number / 100)
        out_of_range = (number < 0) | (number > 1)
    else:
        number = number.where(~percent, np.nan)
        out_of_range = pd.Series(False, index=s.index)
        if column.min is not None:
            out_of_range |= number < column.min
        if column.max is not None:
            out_of_range |= number > column.max
    if column.type == "int":
        out_of_range |= (number.notna() & (number != np.floor(number)))
    bad = (~empty & (number.isna() | out_of_range | placeholder)) | (empty & column.required)
    if column.type == "int":
        return number.where(~bad).round().astype("Int64"), bad
    return number.where(~bad).astype("Float64"), bad
