"""The assessment criteria as data (data/criteria.toml): loading, validation, per-stage thresholds."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analytics.paths import DATA_DIR

CRITERIA_FILE = DATA_DIR / "criteria.toml"
STAGES = ("primary", "junior")
PARTS = ("resource", "guarantee", "quality", "recognition", "veto")
DIRECTIONS = (">=", "<=", "is_true", "is_false")
RESOURCE_IDS = tuple(f"R{i}" for i in range(1, 8))


class CriteriaError(ValueError):
    """A criteria file that cannot be used, with the file and the criterion named."""


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


def _per_stage(value: Any, where: str) -> dict[str, float]:
    if value is None:
        return {}
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {s: float(value) for s in STAGES}
    if isinstance(value, dict) and set(value) <= set(STAGES) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in value.values()
    ):
        return {s: float(v) for s, v in value.items()}
    raise CriteriaError(f"{where}: expected a number or {{ primary = …, junior = … }}, got {value!r}")


def load_criteria(path: str | Path | None = None) -> Criteria:
    """Read and validate a criteria file; the default is the national method in data/."""
    path = Path(path) if path else CRITERIA_FILE
    try:
        with open(path, "rb") as fh:
            raw = tomllib.load(fh)
    except FileNotFoundError:
        raise CriteriaError(f"criteria file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise CriteriaError(f"{path}: not valid TOML ({exc})") from None
    known = {"id", "part", "name_zh", "name_en", "scope", "direction", "check", "stages", "unit",
             "threshold", "cv_threshold", "counted"}
    items, seen = [], set()
    for n, entry in enumerate(raw.get("criterion", []), start=1):
        where = f"{path}: criterion #{n} ({entry.get('id', '?')})"
        for key in ("id", "part", "name_zh", "name_en", "scope", "direction", "check"):
            if key not in entry:
                raise CriteriaError(f"{where}: missing field '{key}'")
        if entry["id"] in seen:
            raise CriteriaError(f"{where}: duplicate id")
        seen.add(entry["id"])
        if entry["part"] not in PARTS:
            raise CriteriaError(f"{where}: part must be one of {PARTS}")
        if entry["direction"] not in DIRECTIONS:
            raise CriteriaError(f"{where}: direction must be one of {DIRECTIONS}")
        if entry["scope"] not in ("stage", "county"):
            raise CriteriaError(f"{where}: scope must be 'stage' or 'county'")
        stages = tuple(entry.get("stages", STAGES))
        if not stages or not set(stages) <= set(STAGES):
            raise CriteriaError(f"{where}: stages must be a subset of {STAGES}")
        threshold = _per_stage(entry.get("threshold"), f"{where} threshold")
        if entry["direction"] in (">=", "<=") and not set(stages) <= set(threshold):
            raise CriteriaError(f"{where}: a numeric criterion needs a threshold for {', '.join(stages)}")
        items.append(
            Criterion(
                id=entry["id"], part=entry["part"], name_zh=entry["name_zh"], name_en=entry["name_en"],
                scope=entry["scope"], direction=entry["direction"], check=entry["check"], stages=stages,
                unit=entry.get("unit", ""), threshold=threshold,
                cv_threshold=_per_stage(entry.get("cv_threshold"), f"{where} cv_threshold"),
                counted=bool(entry.get("counted", True)),
                options={k: v for k, v in entry.items() if k not in known},
            )
        )
    ids = {c.id for c in items}
    missing = [i for i in RESOURCE_IDS + ("RS",) if i not in ids]
    if missing:
        raise CriteriaError(f"{path}: the resource part needs criteria {', '.join(missing)}")
    for cid in RESOURCE_IDS:
        c = next(c for c in items if c.id == cid)
        if set(c.cv_threshold) != set(STAGES):
            raise CriteriaError(f"{path}: {cid} needs cv_threshold for primary and junior")
    resource = raw.get("resource", {})
    for key in ("min_met", "floor_ratio", "small_teaching_point_students", "excluded_kinds"):
        if key not in resource:
            raise CriteriaError(f"{path}: [resource] needs '{key}'")
    return Criteria(source=raw.get("source", {}), resource=resource, items=tuple(items), path=path)
