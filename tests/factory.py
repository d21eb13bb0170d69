"""Tiny hand-made databases for specification tests: schools whose indicators are set exactly."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from analytics.store import db

# Values that meet every standard of both stages (R1..R7); tests override one at a time.
GOOD = {"primary": (5.0, 1.5, 1.0, 5.0, 8.0, 2500.0, 3.0), "junior": (6.0, 1.5, 1.0, 6.0, 11.0, 3000.0, 3.0)}

COUNTY_YEAR_OK = {
    "public_funding_norm_primary": 720.0, "public_funding_norm_junior": 940.0,
    "civil_servant_pay_yuan": 90000.0, "junior_retention_rate": 0.98, "disabled_enrolment_rate": 0.97,
    "migrant_public_share": 0.92, "quality_hs_quota_share": 0.55, "nearby_admission_primary": 1.0,
    "nearby_admission_junior": 0.97, "recognition_rate": 0.9, "quality_monitoring_level": 3,
    "quality_monitoring_diff": 0.1, "g1_layout_planned": True, "g2_four_unified": True,
    "g10_post_allocation": True, "g13_new_area_schools": True, "q3_charter_management": True,
    "q5_ict_use": True, "q6_moral_education": True, "q7_curriculum": True, "q8_homework_burden": True,
    "left_behind_care": True, "veto_exam_admission": False, "veto_school_choice": False,
    "veto_key_schools": False, "veto_unfilled_posts": False, "veto_major_incident": False,
    "veto_falsified_data": False,
}


@dataclass
class School:
    """A school with exact per-100 / per-pupil indicator values per stage."""

    school_id: str
    students: dict[str, int]                       # stage -> pupils
    values: dict[str, tuple] = field(default_factory=dict)  # stage -> (R1..R7); default GOOD
    kind: str = "小学"
    locale: str = "town"
    adcode: str = "510104"
    max_class: int | None = None
    facilities_of: str | None = None               # stage whose R4–R7 define the school's facilities
    senior: int | None = 0                         # senior-high pupils (完全中学, 十二年一贯制)
    facilities: bool = True                        # False: no facilities row (not reported)
    funding: bool = True                           # False: no funding rows (not reported)


def build(path: Path, schools: list[School], year: int = 2024, county_year: dict | None = "ok",
          pay: float = 95000.0, county_names: dict[str, str] | None = None) -> Path:
    """Write a Junheng database with the given schools (all in 锦江区 unless told otherwise)."""
    con = duckdb.connect(str(path))
    db.create_schema(con)
    con.execute("INSERT INTO metadata VALUES ('data_kind', 'synthetic'), ('notice', 'test')")
    for adcode in sorted({s.adcode for s in schools} | {"510104"}):
        con.execute("INSERT INTO regions VALUES (?, ?, ?, '成都市', '510000', '四川省', '区')",
                    [adcode, (county_names or {}).get(adcode, f"测试区{adcode}"), adcode[:4] + "00"])
        if county_year == "ok":
            cols = ", ".join(COUNTY_YEAR_OK)
            marks = ", ".join("?" for _ in COUNTY_YEAR_OK)
            con.execute(f"INSERT INTO county_year (adcode, year, {cols}) VALUES (?, ?, {marks})",
                        [adcode, year, *COUNTY_YEAR_OK.values()])
        elif isinstance(county_year, dict):
            cols = ", ".join(county_year)
            marks = ", ".join("?" for _ in county_year)
            con.execute(f"INSERT INTO county_year (adcode, year, {cols}) VALUES (?, ?, {marks})",
                        [adcode, year, *county_year.values()])
    n = 0
    for s in schools:
        con.execute("INSERT INTO schools VALUES (?, ?, ?, ?, ?, TRUE, 104.08, 30.65)",
                    [s.school_id, f"学校{s.school_id}", s.adcode, s.kind, s.locale])
        total = sum(s.students.values())
        ref = s.facilities_of or next(iter(s.students))
        vals = s.values.get(ref, GOOD[ref])
        classes_total = 0
        for stage, pupils in s.students.items():
            classes = 0 if pupils == 0 else max(1, -(-pupils // 40))
            classes_total += classes
            largest = 0 if pupils == 0 else (s.max_class or -(-pupils // classes))
            con.execute("INSERT INTO school_stage_year VALUES (?, ?, ?, ?, ?, ?)",
                        [s.school_id, year, stage, pupils, classes, largest])
            r = s.values.get(stage, GOOD[stage])
            n_degree = round(r[0] * pupils / 100)
            n_backbone = round(r[1] * pupils / 100)
            n_pe = round(r[2] * pupils / 100)
            for i in range(max(n_degree, n_backbone, n_pe, 1 if pupils else 0)):
                n += 1
                con.execute(
                    "INSERT INTO teachers VALUES (?, ?, ?, ?, ?, ?, ?, TRUE, TRUE, ?, TRUE, 400, 80, ?)",
                    [f"T{n:06d}", year, s.school_id, stage,
                     "bachelor" if i < n_degree else "secondary",
                     "county" if i < n_backbone else "none",
                     "pe" if i < n_pe else "math", i % 5 == 0, pay],
                )
        rooms = max(1, -(-classes_total // 12)) if total else 0
        if s.facilities:
            con.execute(
                "INSERT INTO school_year (school_id, year, teaching_area_m2, sports_area_m2, equipment_value_yuan,"
                " multimedia_rooms, music_rooms, music_room_min_m2, art_rooms, art_room_min_m2, senior_students)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [s.school_id, year, vals[3] * total, vals[4] * total, vals[5] * total,
                 round(vals[6] * total / 100), rooms, 100.0 if rooms else None, rooms, 95.0 if rooms else None,
                 s.senior],
            )
        if total and s.funding:
            norm = sum(p * (720 if st == "primary" else 940) for st, p in s.students.items())
            if s.locale == "rural" and total < 100:
                norm = norm / total * 100
            con.execute("INSERT INTO funding VALUES (?, ?, 'public_funding', 'government', ?)",
                        [s.school_id, year, norm if s.kind != "特殊教育学校" else 7000 * total])
            con.execute("INSERT INTO funding VALUES (?, ?, 'teacher_training', 'government', ?)",
                        [s.school_id, year, norm * 0.06])
    con.close()
    return path


# The corpus of real-looking import files (tests/corpus): the good ones import together
CORPUS = Path(__file__).parent / "corpus"
GOOD_CORPUS = ["good_schools.csv", "good_stages_gbk.csv", "good_facilities_bom.csv", "good_county.csv",
               "good_teachers_two_headers.xlsx"]


def good_corpus_files() -> list[tuple[str, bytes]]:
    """The good corpus files as an upload gives them: (name, bytes)."""
    return [(n, (CORPUS / n).read_bytes()) for n in GOOD_CORPUS]
