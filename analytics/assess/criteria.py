"""The assessment criteria as data (data/criteria.toml): loading, validation, per-stage thresholds."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from analytics.core import tomlfile
from analytics.core.errors import JunhengError
from analytics.core.paths import DATA_DIR
from analytics.store.db import SCHEMA_FILE

CRITERIA_FILE = DATA_DIR / "criteria.toml"
RULES_DIR = DATA_DIR / "criteria"  # other rule sets (a province's): one criteria file each
NATIONAL_RULES = "national"        # the id of CRITERIA_FILE among the rule sets
STAGES = ("primary", "junior")
PARTS = ("resource", "guarantee", "quality", "recognition", "veto")
DIRECTIONS = (">=", "<=", "is_true", "is_false")
RESOURCE_IDS = tuple(f"R{i}" for i in range(1, 8))
INDICATORS = tuple(f"r{i}" for i in range(1, 8))  # R1–R7 as the columns of the school rows
SCHOOL_KINDS = ("小学", "初中", "九年一贯制", "十二年一贯制", "完全中学", "教学点", "特殊教育学校")


@dataclass(frozen=True)
class Check:
    """What the engine needs of a criterion with this `check` (the registry the loader knows)."""

    options: dict[str, str]          # option name -> what it must be ("number", "kinds", …)
    directions: tuple[str, ...]
    needed: bool = False             # the engine's SQL reads its options: the file must have one


# One entry per check function of analytics.assess.checks (a test keeps the two in step).
CHECKS: dict[str, Check] = {
    "school_indicator": Check({}, (">=",)),
    "school_compliance": Check({}, ("<=",), needed=True),
    "school_arts_rooms": Check({"classes_per_room": "number", "music_room_m2": "number",
                                "art_room_m2": "number"}, ("<=",), needed=True),
    "school_size": Check({"max_students": "number", "max_students_through": "number",
                          "through_kinds": "kinds"}, ("<=",), needed=True),
    "class_size": Check({"max_class": "stages"}, ("<=",), needed=True),
    "small_school_funding": Check({"floor_students": "number", "village_kinds": "kinds",
                                   "any_locale_kinds": "kinds"}, ("<=",), needed=True),
    "special_funding": Check({"min_per_student": "number"}, ("<=",), needed=True),
    "teacher_pay": Check({}, (">=",)),
    "training_hours": Check({"hours": "number"}, (">=",), needed=True),
    "teacher_exchange": Check({"backbone_share": "number"}, (">=",)),
    "teacher_certified": Check({}, (">=",)),
    "quality_monitoring": Check({"max_difference": "number"}, (">=",)),
    "county_figure": Check({"column": "column"}, (">=", "<=")),
    "attestation": Check({"column": "column"}, ("is_true", "is_false")),
    "training_budget": Check({"min_share": "number"}, ("<=",), needed=True),
}


@lru_cache(maxsize=1)
def county_year_columns() -> dict[str, str]:
    """Columns of the county_year table and their SQL types, read from the schema."""
    sql = SCHEMA_FILE.read_text(encoding="utf-8")
    body = sql[sql.index("CREATE TABLE county_year"):]
    body = body[: body.index(");")]
    return {m.group(1): m.group(2) for m in re.finditer(r"^\s+([a-z0-9_]+)\s+(VARCHAR|SMALLINT|DOUBLE|BOOLEAN)",
                                                        body, re.M)}


class CriteriaError(JunhengError, ValueError):
    """A criteria file that cannot be used, with the file and the criterion named."""


# The [resource] keys that say which teachers R1–R3 count, and the teachers column each names
# codes of (the data dictionary's allowed values)
TEACHER_RULES = {"teacher_degrees": "degree", "backbone_levels": "backbone", "pe_arts_subjects": "subject"}


def _teacher_codes(column: str) -> tuple[str, ...]:
    from analytics.store import dictionary

    return dictionary.load()["teachers"].column(column).values


def _check_teacher_rules(resource: dict, res) -> None:
    """teacher_degrees per stage, backbone_levels and pe_arts_subjects: non-empty lists of the
    data dictionary's codes (they are written into the assessment's SQL, so nothing else passes)."""
    for key, column in TEACHER_RULES.items():
        value = resource[key]
        lists = value if key == "teacher_degrees" else {"": value}
        if key == "teacher_degrees" and not (isinstance(value, dict) and set(value) == set(STAGES)):
            raise CriteriaError(f"{res(key)} {key} must be {{ primary = [...], junior = [...] }}, got {value!r}")
        allowed = _teacher_codes(column)
        for codes in lists.values():
            if not (isinstance(codes, list) and codes and all(isinstance(c, str) and c in allowed for c in codes)):
                raise CriteriaError(f"{res(key)} {key} must list codes of the teachers' {column} column "
                                    f"({', '.join(allowed)}), got {value!r}")


@dataclass(frozen=True)
class TeacherRules:
    """Which full-time teachers R1–R3 count, as SQL conditions over a teachers row (stage, degree,
    backbone, subject) — the one place they are built — and what a planned hire is given."""

    degree: str
    backbone: str
    pe_arts: str
    hire_degree: str
    hire_backbone: str
    hire_subject: str


def _sql_list(codes) -> str:
    return ", ".join(f"'{c}'" for c in codes)  # codes checked against the dictionary when loaded


def teacher_rules(cr: "Criteria") -> TeacherRules:
    """The teacher conditions of a criteria file (see TeacherRules)."""
    degrees = cr.resource["teacher_degrees"]
    levels, subjects = cr.resource["backbone_levels"], cr.resource["pe_arts_subjects"]
    by_stage = " OR ".join(f"(stage = '{s}' AND degree IN ({_sql_list(degrees[s])}))" for s in STAGES)
    order = _teacher_codes("degree")
    every_stage = [d for d in order if all(d in degrees[s] for s in STAGES)]  # counts wherever hired
    lowest = every_stage or [d for d in order if any(d in degrees[s] for s in STAGES)]
    return TeacherRules(
        degree=f"({by_stage})", backbone=f"(backbone IN ({_sql_list(levels)}))",
        pe_arts=f"(subject IN ({_sql_list(subjects)}))", hire_degree=lowest[0],
        hire_backbone=next(b for b in _teacher_codes("backbone") if b in levels), hire_subject=subjects[0])


@dataclass(frozen=True)
class Criterion:
    """One criterion of the official method, with its thresholds per stage."""

    id: str
    part: str
    name_zh: str
    name_en: str
    scope: str
    direction: str
    check: str
    stages: tuple[str, ...]
    unit: str = ""
    threshold: dict[str, float] = field(default_factory=dict)
    cv_threshold: dict[str, float] = field(default_factory=dict)
    counted: bool = True
    options: dict[str, Any] = field(default_factory=dict)

    def column(self, stage: str) -> str | None:
        """County-year column holding this criterion's figure for a stage, if any."""
        col = self.options.get("column")
        return col.get(stage) if isinstance(col, dict) else col


@dataclass(frozen=True)
class Criteria:
    """All criteria plus the resource-part settings, read from one file."""

    source: dict[str, str]
    resource: dict[str, Any]
    items: tuple[Criterion, ...]
    path: Path

    def __getitem__(self, cid: str) -> Criterion:
        for c in self.items:
            if c.id == cid:
                return c
        raise KeyError(cid)

    def ids(self) -> list[str]:
        return [c.id for c in self.items]

    def by_check(self, check: str) -> Criterion:
        """The criterion computed by a check the engine's SQL needs (validated at load)."""
        return next(c for c in self.items if c.check == check)

    @property
    def weights(self) -> dict[str, float]:
        """Weights of a primary, junior and senior-high pupil in splitting shared facilities."""
        return {k: float(v) for k, v in self.resource["apportion_weights"].items()}


def _check_option(value: Any, kind: str, where: str, name: str) -> None:
    """Raise CriteriaError unless an option has the shape its check needs."""
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    ok = {
        "number": number and math.isfinite(value) and value >= 0,
        "kinds": isinstance(value, list) and all(v in SCHOOL_KINDS for v in value),
        "stages": isinstance(value, dict) and set(value) == set(STAGES) and all(_finite(v) for v in value.values()),
        "column": (isinstance(value, str) and value in county_year_columns()) or (
            isinstance(value, dict) and set(value) <= set(STAGES)
            and all(isinstance(v, str) and v in county_year_columns() for v in value.values())),
    }[kind]
    if not ok:
        expected = {"number": "a number ≥ 0", "kinds": f"a list of school kinds from {list(SCHOOL_KINDS)}",
                    "stages": "{ primary = …, junior = … }",
                    "column": "a county_year column (README \"Data model\"), or one per stage"}[kind]
        raise CriteriaError(f"{where}: option '{name}' must be {expected}, got {value!r}")


def _per_stage(value: Any, where: str) -> dict[str, float]:
    if value is None:
        return {}
    if _finite(value) and value >= 0:
        return {s: float(value) for s in STAGES}
    if isinstance(value, dict) and set(value) <= set(STAGES) and all(_finite(v) and v >= 0 for v in value.values()):
        return {s: float(v) for s, v in value.items()}
    raise CriteriaError(f"{where}: expected a finite number ≥ 0 or {{ primary = …, junior = … }}, got {value!r}")


def load_criteria(path: str | Path | None = None) -> Criteria:
    """Read and validate a criteria file; the default is the national method in data/. Every
    problem is one CriteriaError line naming the file (and the criterion or key): a file of the
    wrong shape (a number where a table belongs, an unhashable id, deep nesting, GBK text, a
    folder) never escapes as a traceback."""
    path = Path(path) if path else CRITERIA_FILE
    text, raw = tomlfile.read(path, CriteriaError, "criteria")
    try:
        return _criteria(path, text, raw)
    except CriteriaError:
        raise
    except (TypeError, ValueError, AttributeError, KeyError, RecursionError) as exc:
        raise CriteriaError(f"{path}: a value has the wrong type or shape ({type(exc).__name__}: {exc})") from None


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _line_of_id(text: str, items: list[Criterion], cid: str, key: str) -> int:
    """Line of a key of the criterion with this id (criteria are kept in the file's order)."""
    return tomlfile.line_of(text, "criterion", [c.id for c in items].index(cid) + 1, key)


def _criteria(path: Path, text: str, raw: dict) -> Criteria:
    """The checked Criteria of a parsed file (see load_criteria); `text` gives each refusal its line."""

    def res(key: str) -> str:  # where a [resource] key is
        return f"{path}, line {tomlfile.line_of(text, 'resource', 1, key)}: [resource]"

    if not isinstance(raw.get("criterion", []), list) or not all(isinstance(e, dict) for e in raw.get("criterion", [])):
        raise CriteriaError(f"{path}: 'criterion' must be a list of [[criterion]] tables")
    for table in ("resource", "source"):
        if not isinstance(raw.get(table, {}), dict):
            raise CriteriaError(f"{path}: '{table}' must be a [{table}] table")
    items, seen = [], set()
    for n, entry in enumerate(raw.get("criterion", []), start=1):
        items.append(_criterion(path, text, n, entry, seen))
    _check_items(path, text, items)
    resource = raw.get("resource", {})
    _check_resource(resource, res)
    return Criteria(source=raw.get("source", {}), resource=resource, items=tuple(items), path=path)


CRITERION_FIELDS = {"id", "part", "name_zh", "name_en", "scope", "direction", "check", "stages", "unit",
                    "threshold", "cv_threshold", "counted"}  # the rest of a [[criterion]] are its check's options


def _criterion(path: Path, text: str, n: int, entry: dict, seen: set[str]) -> Criterion:
    """The n-th [[criterion]] checked (its fields, its check and that check's options); `seen`
    collects the ids so far."""
    def at(key: str | None = None) -> str:  # where this criterion (or one of its keys) is
        return f"{path}, line {tomlfile.line_of(text, 'criterion', n, key)}: criterion #{n} ({entry.get('id', '?')})"

    for key in ("id", "part", "name_zh", "name_en", "scope", "direction", "check"):
        if key not in entry:
            raise CriteriaError(f"{at()}: missing field '{key}'")
        if not isinstance(entry[key], str):
            raise CriteriaError(f"{at(key)}: '{key}' must be text, got {entry[key]!r}")
    if not isinstance(entry.get("stages", []), list):
        raise CriteriaError(f"{at('stages')}: stages must be a list such as [\"primary\", \"junior\"]")
    if not isinstance(entry.get("counted", True), bool):
        raise CriteriaError(f"{at('counted')}: counted must be true or false, got {entry['counted']!r}")
    if entry["id"] in seen:
        raise CriteriaError(f"{at('id')}: duplicate id")
    seen.add(entry["id"])
    if entry["part"] not in PARTS:
        raise CriteriaError(f"{at('part')}: part must be one of {PARTS}")
    if entry["direction"] not in DIRECTIONS:
        raise CriteriaError(f"{at('direction')}: direction must be one of {DIRECTIONS}")
    if entry["scope"] not in ("stage", "county"):
        raise CriteriaError(f"{at('scope')}: scope must be 'stage' or 'county'")
    stages = tuple(entry.get("stages", STAGES))
    if not stages or not set(stages) <= set(STAGES):
        raise CriteriaError(f"{at('stages')}: stages must be a subset of {STAGES}")
    threshold = _per_stage(entry.get("threshold"), f"{at('threshold')} threshold")
    if entry["direction"] in (">=", "<=") and not set(stages) <= set(threshold):
        raise CriteriaError(f"{at('threshold')}: a numeric criterion needs a threshold for {', '.join(stages)}")
    spec = CHECKS.get(entry["check"])
    if spec is None:
        raise CriteriaError(f"{at('check')}: unknown check {entry['check']!r}; expected one of {', '.join(CHECKS)}")
    if entry["direction"] not in spec.directions:
        raise CriteriaError(f"{at('direction')}: check {entry['check']!r} takes direction {' or '.join(spec.directions)}")
    for name, kind in spec.options.items():
        if name not in entry:
            raise CriteriaError(f"{at()}: check {entry['check']!r} needs option '{name}'")
        _check_option(entry[name], kind, at(name), name)
    return Criterion(
        id=entry["id"], part=entry["part"], name_zh=entry["name_zh"], name_en=entry["name_en"],
        scope=entry["scope"], direction=entry["direction"], check=entry["check"], stages=stages,
        unit=entry.get("unit", ""), threshold=threshold,
        cv_threshold=_per_stage(entry.get("cv_threshold"), f"{at('cv_threshold')} cv_threshold"),
        counted=bool(entry.get("counted", True)),
        options={k: v for k, v in entry.items() if k not in CRITERION_FIELDS},
    )


def _check_items(path: Path, text: str, items: list[Criterion]) -> None:
    """What the engine needs of the criteria together: R1–R7 and RS, CV limits for both stages
    (above 0), and a criterion for every check it cannot do without."""
    ids = {c.id for c in items}
    missing = [i for i in RESOURCE_IDS + ("RS",) if i not in ids]
    if missing:
        raise CriteriaError(f"{path}: the resource part needs criteria {', '.join(missing)}")
    for cid in RESOURCE_IDS:
        c = next(c for c in items if c.id == cid)
        if set(c.cv_threshold) != set(STAGES):
            raise CriteriaError(f"{path}, line {_line_of_id(text, items, cid, 'cv_threshold')}: "
                                f"{cid} needs cv_threshold for primary and junior")
    for check, spec in CHECKS.items():
        if spec.needed and not any(c.check == check for c in items):
            raise CriteriaError(f"{path}: the engine needs a criterion with check = {check!r} "
                                f"(set counted = false to report it without counting it)")
    for c in items:
        if c.cv_threshold and not all(v > 0 for v in c.cv_threshold.values()):
            raise CriteriaError(f"{path}, line {_line_of_id(text, items, c.id, 'cv_threshold')}: "
                                f"{c.id} cv_threshold must be above 0, got {c.cv_threshold!r}")


def _check_resource(resource: dict, res) -> None:
    """The [resource] table: the compliance rule, teaching points, kinds, weights, teacher rules
    (res(key) says where a key is)."""
    for key in ("min_met", "floor_ratio", "small_teaching_point_students", "excluded_kinds",
                "apportion_weights", "senior_kinds", *TEACHER_RULES):
        if key not in resource:
            raise CriteriaError(f"{res(key)} needs '{key}'")
    _check_teacher_rules(resource, res)
    weights = resource["apportion_weights"]
    if not (isinstance(weights, dict) and set(weights) == {*STAGES, "senior"} and all(
            _finite(v) and v > 0 for v in weights.values())):
        raise CriteriaError(f"{res('apportion_weights')} apportion_weights must be "
                            f"{{ primary = …, junior = …, senior = … }} with numbers > 0, got {weights!r}")
    for key in ("excluded_kinds", "senior_kinds"):
        _check_option(resource[key], "kinds", res(key), key)
    for key in ("min_met", "floor_ratio", "small_teaching_point_students"):
        _check_option(resource[key], "number", res(key), key)
    if not (isinstance(resource["min_met"], int) and 0 <= resource["min_met"] <= len(RESOURCE_IDS)):
        raise CriteriaError(f"{res('min_met')} min_met must be a whole number from 0 to {len(RESOURCE_IDS)}, "
                            f"got {resource['min_met']!r}")
    if not 0 < resource["floor_ratio"] <= 1:
        raise CriteriaError(f"{res('floor_ratio')} floor_ratio must be a share above 0 and at most 1 (0.85 = 85 %), "
                            f"got {resource['floor_ratio']!r}")


# --------------------------------------------------------------------------------------------
# Rule sets: the national file and the files of the rules folder, side by side


@dataclass(frozen=True)
class RuleSets:
    """The usable rule sets by id (national first, then each file's stem) and a line for each
    file that cannot be used (it is left out; the others stay usable)."""

    sets: dict[str, Criteria]
    problems: tuple[str, ...] = ()

    def title(self, rules: str, lang: str = "zh") -> str:
        """A rule set as its file names it ([source] title / title_en), else its id."""
        source = self.sets[rules].source
        return str(source.get("title_en" if lang == "en" else "title") or source.get("title") or rules)


def rules_dir() -> Path:
    """The folder of other rule sets: JUNHENG_CRITERIA_DIR, else data/criteria."""
    import os

    return Path(os.environ.get("JUNHENG_CRITERIA_DIR") or RULES_DIR)


def read_rule_sets(directory: str | Path | None = None) -> RuleSets:
    """The national rules (a bad national file raises: nothing can be assessed without it) and
    every *.toml of the rules folder; a bad file there is one problem line naming its key and
    line, and the app keeps the rules it has."""
    sets = {NATIONAL_RULES: load_criteria()}
    problems = []
    for path in sorted(Path(directory or rules_dir()).glob("*.toml")):
        if path.stem == NATIONAL_RULES:
            problems.append(f"{path}: the name 'national' is the national rules' own; rename the file")
            continue
        try:
            sets[path.stem] = load_criteria(path)
        except CriteriaError as exc:
            problems.append(str(exc))
    return RuleSets(sets, tuple(problems))
