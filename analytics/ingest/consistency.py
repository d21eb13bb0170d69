"""The import's cross-table checks: keys unique, schools in known counties, rows at known
schools, stages that fit a school's kind, the data model's row rules, pseudonymous teacher ids,
text every output can carry, and kinds changed only with the rows that go with them."""

from __future__ import annotations

import duckdb
import pandas as pd

from analytics.assess.criteria import load_criteria
from analytics.atlas import geo
from analytics.core.i18n import Text
from analytics.ingest.reading import MAX_PROBLEMS_PER_FILE, Source, problem
from analytics.store import dictionary

ALLOWED_STAGES = {"小学": {"primary"}, "教学点": {"primary"}, "初中": {"junior"}, "完全中学": {"junior"},
                  "十二年一贯制": {"primary", "junior"}, "九年一贯制": {"primary", "junior"},
                  "特殊教育学校": {"primary", "junior"}}
STAGE_WORDS = {"primary": "小学", "junior": "初中"}


class Found:
    """The problems found so far, each listed with its row until `limit`, the rest counted."""

    def __init__(self, limit: int = MAX_PROBLEMS_PER_FILE * 5):
        self.limit = limit
        self.problems: list[dict] = []

    def add(self, rows: pd.DataFrame, column: str, values, text: Text) -> None:
        """One problem per row of `rows` (with its file, sheet and row), the value shown beside it."""
        if not len(rows):
            return
        room = max(0, self.limit - len(self.problems))
        where = rows.head(room)[["_file", "_sheet", "_row"]].itertuples(index=False, name=None)
        listed = [problem(file, sheet, int(row), column, v, text) for (file, sheet, row), v in zip(where, list(values)[:room])]
        self.problems.extend(listed)
        if len(rows) > len(listed):  # counted, not listed
            more = len(rows) - len(listed)
            self.problems.append(problem(rows.iloc[0]["_file"] if "_file" in rows else "", "", "", column, "",
                                         Text("imp_more_such", {"n": more, "what": text})) | {"_more": more})


def combine(sources: list[Source]) -> dict[str, pd.DataFrame]:
    """All parts of each table stacked, with their file, sheet and row."""
    by_table: dict[str, list[pd.DataFrame]] = {}
    for src in sources:
        for p in src.parts:
            by_table.setdefault(p.table, []).append(p.frame.assign(_file=p.file, _sheet=p.sheet))
    return {t: pd.concat(frames, ignore_index=True) for t, frames in by_table.items()}


def _matches(values: pd.Series, candidates: pd.Series, pattern: str) -> pd.Series:
    """values.str.fullmatch(pattern), run only where candidates is True (False elsewhere)."""
    out = pd.Series(False, index=values.index)
    if candidates.any():
        out[candidates] = values[candidates].str.fullmatch(pattern).fillna(False).astype(bool)
    return out


def check(batch: dict[str, pd.DataFrame], con: duckdb.DuckDBPyConnection | None) -> list[dict]:
    """Keys unique; schools in known counties; teachers and yearly rows at known schools; stages
    consistent with school kinds; the data model's row rules; pseudonymous teacher ids; text
    every output can carry; kinds changed only with their rows."""
    tables = dictionary.load()
    found = Found()
    kinds = _school_kinds(batch, con)
    _unique_keys(batch, tables, found)
    _known_counties(batch, con, found)
    _known_schools(batch, kinds, found)
    _class_rules(batch, found)
    _school_year_rules(batch, kinds, found)
    _teacher_ids(batch, con, found)
    _plain_text(batch, tables, found)
    if "schools" in batch and con is not None:
        found.problems += _kind_changes(batch, con)
    return found.problems


def _school_kinds(batch: dict[str, pd.DataFrame], con: duckdb.DuckDBPyConnection | None) -> pd.Series:
    """Every school's kind, by id: the database's, overridden by the files'."""
    stored = con.execute("SELECT school_id, kind FROM schools").df() if con is not None else \
        pd.DataFrame(columns=["school_id", "kind"])
    kinds = pd.concat([stored, batch["schools"][["school_id", "kind"]] if "schools" in batch else stored])
    return kinds.drop_duplicates("school_id", keep="last").set_index("school_id")["kind"]


def _unique_keys(batch: dict[str, pd.DataFrame], tables: dict, found: Found) -> None:
    for name, frame in batch.items():
        key = list(tables[name].key)
        dup = frame.duplicated(key, keep="first") & frame[key].notna().all(axis=1)
        if dup.any():
            found.add(frame[dup], "、".join(tables[name].column(k).zh for k in key),
                      frame.loc[dup, key].astype(str).agg("/".join, axis=1), Text("imp_duplicate_key"))


def _known_counties(batch: dict[str, pd.DataFrame], con: duckdb.DuckDBPyConnection | None, found: Found) -> None:
    known = set(geo.load_layer("counties")["adcode"])
    if con is not None:
        known |= {r[0] for r in con.execute("SELECT adcode FROM regions").fetchall()}
    for name in ("schools", "county_year"):
        if name in batch:
            f = batch[name]
            bad = f["adcode"].notna() & ~f["adcode"].isin(known)
            found.add(f[bad], "县级行政区划代码", f.loc[bad, "adcode"], Text("imp_unknown_county"))


def _known_schools(batch: dict[str, pd.DataFrame], kinds: pd.Series, found: Found) -> None:
    """Rows at schools of the files or the database, in stages their kind has."""
    pairs = {f"{k}/{st}" for k, stages in ALLOWED_STAGES.items() for st in stages}
    for name in ("school_year", "school_stage_year", "teachers", "funding"):
        if name not in batch:
            continue
        f = batch[name]
        unknown = f["school_id"].notna() & ~f["school_id"].isin(kinds.index)
        if kinds.empty and unknown.any():  # no school anywhere yet: one line says what is missing
            found.problems += [problem(file, "", "", "学校标识码", "", Text("imp_no_schools_yet"))
                               for file in f["_file"].unique()]
            continue
        found.add(f[unknown], "学校标识码", f.loc[unknown, "school_id"], Text("imp_unknown_school"))
        if "stage" in f:
            kind = f["school_id"].map(kinds)
            judged = kind.notna() & f["stage"].notna()  # an unknown kind or stage is reported elsewhere
            allowed = ~judged | (kind.astype("string") + "/" + f["stage"].astype("string")).isin(pairs)
            wrong = ~allowed.to_numpy(dtype=bool, na_value=True) & ~unknown.to_numpy()
            found.add(f[wrong], "学段", [f"{k}/{s}" for k, s in zip(kind[wrong], f.loc[wrong, "stage"])],
                      Text("imp_stage_kind"))


def _class_rules(batch: dict[str, pd.DataFrame], found: Found) -> None:
    """Pupils, classes and the largest class agree (the schema's rule, told with its row)."""
    if "school_stage_year" not in batch:
        return
    f = batch["school_stage_year"]
    s, c, m = f["students"], f["classes"], f["max_class_size"]
    rule = (((s == 0) != (c == 0)) | (m > s) | ((c > 0) & (m * c < s))).fillna(False).astype(bool)
    found.add(f[rule], "在校生数/班数/最大班额", [f"{a}/{b}/{d}" for a, b, d in zip(s[rule], c[rule], m[rule])],
              Text("imp_class_rule"))


def _school_year_rules(batch: dict[str, pd.DataFrame], kinds: pd.Series, found: Found) -> None:
    """Room areas given exactly when there are rooms; senior-high pupils exactly for the kinds
    that have a senior section (criteria file: senior_kinds)."""
    if "school_year" not in batch:
        return
    f = batch["school_year"]
    for rooms, size, room in (("music_rooms", "music_room_min_m2", "音乐教室"), ("art_rooms", "art_room_min_m2", "美术教室")):
        # none: no area; some: the smallest one's area; not reported (blank): no area either
        rule = ((f[rooms].fillna(0) == 0) & f[size].notna()) | ((f[rooms] > 0) & f[size].isna())
        rule = rule.fillna(False).astype(bool)
        found.add(f[rule], f"{room}数/面积", [f"{a}/{b}" for a, b in zip(f.loc[rule, rooms], f.loc[rule, size])],
                  Text("imp_room_area", {"room": room}))
    kind = f["school_id"].map(kinds)
    senior_kind = kind.isin(load_criteria().resource["senior_kinds"])
    blank = f["senior_students"].isna() if "senior_students" in f else pd.Series(True, index=f.index)
    need = (senior_kind & blank).fillna(False).astype(bool)
    found.add(f[need], "高中段在校生数", [f"{k}/（空）" for k in kind[need]], Text("imp_senior_needed"))
    if "senior_students" in f:
        extra = (~senior_kind & kind.notna() & (f["senior_students"].fillna(0) > 0)).fillna(False).astype(bool)
        found.add(f[extra], "高中段在校生数", [f"{k}/{v}" for k, v in zip(kind[extra], f.loc[extra, "senior_students"])],
                  Text("imp_senior_extra"))


def _teacher_ids(batch: dict[str, pd.DataFrame], con: duckdb.DuckDBPyConnection | None, found: Found) -> None:
    """Pseudonymous ids only (no id numbers, no names), and one teacher per id and year."""
    if "teachers" not in batch:
        return
    f = batch["teachers"]
    ids = f["teacher_id"].astype(str)
    length = ids.str.len()  # the patterns below are run only on ids of a length they can match
    idlike = _matches(ids, length.isin((15, 18)), r"\d{17}[\dXx]|\d{15}")  # 18-digit, or the old 15-digit, id number
    found.add(f[idlike], "教师标识", ["（已隐去）"] * int(idlike.sum()), Text("imp_id_number"))
    namelike = _matches(ids, length.between(2, 5), r"[\u4e00-\u9fff·]{2,5}")  # a Chinese personal name
    found.add(f[namelike], "教师标识", ["（已隐去）"] * int(namelike.sum()), Text("imp_id_name"))
    if con is None:
        return
    # a teacher id is one teacher per year: already used that year in a county the files do
    # not cover, the rows would clash (the database refused them only after copying everything)
    county_of = pd.concat([con.execute("SELECT school_id, adcode FROM schools").df(),
                           batch["schools"][["school_id", "adcode"]] if "schools" in batch else None])
    county_of = county_of.drop_duplicates("school_id", keep="last").set_index("school_id")["adcode"]
    # the teachers a replace import removes: those of the years and counties the teacher files hold
    covered = set(zip(f["year"], f["school_id"].map(county_of)))
    con.register("incoming_ids", f[["teacher_id", "year"]].drop_duplicates())
    held = con.execute("""SELECT t.teacher_id, t.year, s.adcode FROM teachers t JOIN schools s USING (school_id)
                          JOIN incoming_ids i ON i.teacher_id = t.teacher_id AND i.year = t.year""").df()
    con.unregister("incoming_ids")
    held = held[[(y, c) not in covered for y, c in zip(held["year"], held["adcode"])]]
    if len(held):
        clash = f.merge(held[["teacher_id", "year", "adcode"]], on=["teacher_id", "year"])
        found.add(clash, "教师标识", clash["teacher_id"] + "（" + clash["adcode"] + "）", Text("imp_id_clash"))


def _plain_text(batch: dict[str, pd.DataFrame], tables: dict, found: Found) -> None:
    """Text that no export, sheet or screen can carry: control characters."""
    for name, frame in batch.items():
        for column in (c for c in tables[name].columns if c.type == "text" and c.name in frame):
            values = frame[column.name].astype("string")
            bad = values.str.contains(CONTROL_CHARACTERS, regex=True).fillna(False).astype(bool)
            found.add(frame[bad], column.zh, values[bad].map(lambda v: repr(v)[1:-1]), Text("imp_control_characters"))


CONTROL_CHARACTERS = r"[\x00-\x1f\x7f-\x9f]"


def _kind_changes(batch: dict[str, pd.DataFrame], con: duckdb.DuckDBPyConnection) -> list[dict]:
    """A school whose kind a file changes keeps its stored stage rows and teachers unless files
    of this import replace them: refuse a change that would leave rows the new kind cannot have
    (a 初中 becoming a 小学 with its junior pupils and teachers still stored)."""
    incoming = batch["schools"][["school_id", "kind", "adcode", "_file", "_sheet", "_row"]]
    con.register("incoming_kinds", incoming[["school_id", "kind"]])
    stored = con.execute("""
        WITH changed AS (
            SELECT s.school_id, i.kind AS new_kind FROM schools s JOIN incoming_kinds i USING (school_id)
            WHERE s.kind IS DISTINCT FROM i.kind
        )
        SELECT 'school_stage_year' AS tbl, r.school_id, r.year, r.stage, c.new_kind
        FROM school_stage_year r JOIN changed c USING (school_id)
        UNION ALL
        SELECT DISTINCT 'teachers', t.school_id, t.year, t.stage, c.new_kind
        FROM teachers t JOIN changed c USING (school_id)
    """).df()
    con.unregister("incoming_kinds")
    if stored.empty:
        return []
    allowed = stored.apply(lambda r: r["stage"] in ALLOWED_STAGES.get(r["new_kind"], set()), axis=1)
    stored = stored[~allowed]
    covered = coverage(batch, con)
    county = incoming.set_index("school_id")["adcode"]
    replaced = [(year, county.get(sid)) in {(y, c) for y, cs in covered.get(tbl, {}).items() for c in cs}
                for tbl, sid, year in zip(stored["tbl"], stored["school_id"], stored["year"])]
    stored = stored[~pd.Series(replaced, index=stored.index, dtype=bool)]
    out = []
    for sid, rows in stored.groupby("school_id", sort=True):
        row = incoming[incoming["school_id"] == sid].iloc[-1]
        years = "、".join(map(str, sorted(rows["year"].unique())))
        stages = "、".join(sorted({STAGE_WORDS[x] for x in rows["stage"]}))
        out.append(problem(row["_file"], row["_sheet"], int(row["_row"]), "办学类型", row["kind"],
                           Text("imp_kind_change", {"kind": row["kind"], "years": years, "stages": stages})))
    return out


def coverage(batch: dict[str, pd.DataFrame], con: duckdb.DuckDBPyConnection) -> dict[str, dict[int, set[str]]]:
    """Per yearly table, the years and counties its own files hold: those rows of that table
    (and only of that table) are replaced. Teachers of 2024 beside county figures of 2023–2026
    replace the teachers of 2024, never those of the other years."""
    school_county = con.execute("SELECT school_id, adcode FROM schools").df().set_index("school_id")["adcode"]
    if "schools" in batch:
        school_county = pd.concat([school_county, batch["schools"].set_index("school_id")["adcode"]])
        school_county = school_county[~school_county.index.duplicated(keep="last")]
    out: dict[str, dict[int, set[str]]] = {}
    for name, f in batch.items():
        if name == "schools":
            continue
        key = "adcode" if name == "county_year" else "school_id"
        pairs = f[["year", key]].drop_duplicates()  # millions of teacher rows, thousands of schools
        counties = pairs[key] if name == "county_year" else pairs[key].map(school_county)
        for year, group in pd.DataFrame({"year": pairs["year"], "c": counties}).dropna().groupby("year"):
            out.setdefault(name, {}).setdefault(int(year), set()).update(group["c"].unique())
    return out
