"""The catalogue of metrics (data/metrics.toml): each metric's id, labels, unit, direction, format,
how a map colours it and where a plan can target it — written once, read by the map (maps),
the plans (targets), tables and exports.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from analytics.core.errors import JunhengError
from analytics.core.i18n import PERCENT
from analytics.core.paths import DATA_DIR

if TYPE_CHECKING:
    from analytics.assess.criteria import Criteria

METRICS_FILE = DATA_DIR / "metrics.toml"
LEVELS = ("national", "province", "city", "county")
UNITS = ("%", "pp", "", "h", "×", "yuan", "ratio", "count", "status")
KINDS = ("status", "progress", "change", "count", "continuous", "diverging")
STAGES = ("all", "primary", "junior")


class MetricsError(JunhengError, ValueError):
    """The metrics catalogue cannot be used: the message names the file and the metric."""


@dataclass(frozen=True)
class Metric:
    """A value the product computes and shows. `kind` says how a map colours it ("progress" is a
    plan's classes, made on the progress page), `better` which way is better, `limits` the pass
    limit per stage of a difference coefficient, `levels` where a plan can target it."""

    id: str
    label_zh: str
    label_en: str
    kind: str
    better: str
    fmt: str = "{:.2f}"
    limits: tuple[tuple[str, float], ...] = ()
    unit: str = ""
    levels: tuple[str, ...] = ()
    stages: tuple[str, ...] = ("all",)
    on_map: bool = False
    definition_zh: str = ""
    definition_en: str = ""

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_zh

    def definition(self, lang: str) -> str:
        return self.definition_en if lang == "en" else self.definition_zh


def _metric(entry: dict, where: str, **names: str) -> Metric:
    """One catalogue entry as a Metric ({i}, {name_zh}, {name_en} filled in for a family)."""
    required = ("id", "zh", "en", "unit", "better", "format", "kind")
    missing = [k for k in required if k not in entry]
    if missing:
        raise MetricsError(f"{where}: missing {', '.join(missing)}")
    checks = {"unit": UNITS, "better": ("low", "high"), "kind": KINDS}
    for key, allowed in checks.items():
        if entry[key] not in allowed:
            raise MetricsError(f"{where}: {key} must be one of {', '.join(map(repr, allowed))}, got {entry[key]!r}")
    for key, allowed in (("levels", LEVELS), ("stages", STAGES)):
        wrong = [v for v in entry.get(key, ()) if v not in allowed]
        if wrong:
            raise MetricsError(f"{where}: {key} {wrong} not among {', '.join(allowed)}")
    return Metric(
        id=entry["id"].format(**names), label_zh=entry["zh"].format(**names), label_en=entry["en"].format(**names),
        kind=entry["kind"], better=entry["better"], fmt=PERCENT if entry["format"] == "percent" else entry["format"],
        unit=entry["unit"], levels=tuple(entry.get("levels", ())), stages=tuple(entry.get("stages", ("all",))),
        on_map=bool(entry.get("on_map", False)), definition_zh=entry.get("definition_zh", ""),
        definition_en=entry.get("definition_en", ""))


@lru_cache(maxsize=4)
def _read(path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise MetricsError(f"{path}: {exc}") from None


@lru_cache(maxsize=4)
def catalogue(path: Path = METRICS_FILE) -> dict[str, Metric]:
    """The metrics of the file, by id (families not expanded: see `on_map`)."""
    out: dict[str, Metric] = {}
    for n, entry in enumerate(_read(path).get("metric", []), start=1):
        m = _metric(entry, f"{path.name}: metric #{n} ({entry.get('id', '?')})")
        if m.id in out:
            raise MetricsError(f"{path.name}: metric {m.id!r} is listed twice")
        out[m.id] = m
    return out


def plan_metrics(path: Path = METRICS_FILE) -> dict[str, Metric]:
    """The metrics a plan may set targets on (those with levels)."""
    return {k: m for k, m in catalogue(path).items() if m.levels}


def map_metrics(criteria: "Criteria", path: Path = METRICS_FILE) -> dict[str, Metric]:
    """The map's metric picker in the file's order, each family expanded over R1–R7 with the
    indicators' names (and the CV pass limits) from the criteria file."""
    out: dict[str, Metric] = {}
    data = _read(path)
    for m in catalogue(path).values():
        if m.on_map:
            out[m.id] = m
        for n, family in enumerate(data.get("family", []), start=1):
            if family.get("follows") != m.id:
                continue
            for i in range(1, 8):
                c = criteria[f"R{i}"]
                fm = _metric(family, f"{path.name}: family #{n}", i=i, name_zh=c.name_zh, name_en=c.name_en)
                limits = tuple(getattr(c, family["limits"]).items()) if family.get("limits") else ()
                out[fm.id] = Metric(**{**fm.__dict__, "limits": limits})
    return out
