"""Target plans (docs/method.md §3): which metric should reach which value by which year, per plan.

A plan is a TOML file in data/plans/ (README "Target plans"); the metrics a plan may name are
listed in data/metrics.toml (METRICS: those with levels), each computed by analytics.assess.progress from
the assessment.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from analytics.assess import metrics
from analytics.core import tomlfile
from analytics.core.errors import JunhengError
from analytics.core.paths import DATA_DIR

PLANS_DIR = DATA_DIR / "plans"
LEVELS = metrics.LEVELS
SCOPES = ("province", "city", "county")
UNITS = tuple(u for u in metrics.UNITS if u not in ("count", "status"))  # a target's value
DIRECTIONS = (">=", "<=")


METRICS = metrics.plan_metrics()  # the metrics a plan may name (data/metrics.toml, those with levels)


class PlanError(JunhengError, ValueError):
    """A plan file that cannot be used: the message names the file and line."""


@dataclass(frozen=True)
class Target:
    """One number of a plan: metric (of stage, at scope level) reaches value by year."""

    metric: str
    scope: str
    stage: str
    year: int
    value: float
    direction: str
    unit: str
    label_zh: str
    label_en: str

    @property
    def key(self) -> str:
        """Stable id within a plan, e.g. 'cv_hardware@2025'."""
        return f"{self.metric}@{self.year}" + ("" if self.stage == "all" else f":{self.stage}")

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_zh


@dataclass(frozen=True)
class Plan:
    name: str
    title_zh: str
    title_en: str
    source: str
    baseline_year: int
    targets: tuple[Target, ...]
    phases: dict[int, dict[str, str]] = field(default_factory=dict)
    path: Path | None = None

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_zh

    def source_named(self, lang: str) -> str:
        """The plan's document as cited: in English its English title with the Chinese document
        name beside it, so a reader can find the original."""
        return f"{self.title_en} ({self.source})" if lang == "en" else self.source

    def definitions(self, lang: str = "zh") -> list[str]:
        """'metric: how it is measured' for the plan's metrics whose definition the seeds leave
        open (docs/method.md §3): shown next to the scorecard and in the exports' notes."""
        out = []
        for metric in dict.fromkeys(t.metric for t in self.targets):
            info = METRICS[metric]
            if info.definition(lang):
                out.append(f"{info.label(lang)}{': ' if lang == 'en' else '：'}{info.definition(lang)}")
        return out

    def target(self, key: str) -> Target:
        for t in self.targets:
            if t.key == key:
                return t
        raise KeyError(key)


def _fail(path: Path, line: int, message: str) -> PlanError:
    return PlanError(f"{path}, line {line}: {message}")


def load_plan(path: str | Path) -> Plan:
    """Read and check one plan file; every problem names the file and the line."""
    path = Path(path)
    text, raw = tomlfile.read(path, PlanError, "plan")
    try:
        return _plan(path, text, raw)
    except PlanError:
        raise
    except (TypeError, ValueError, AttributeError, KeyError, RecursionError) as exc:
        raise PlanError(f"{path}: a value has the wrong type or shape ({type(exc).__name__}: {exc})") from None


def _plan(path: Path, text: str, raw: dict) -> Plan:
    """The checked Plan of a parsed file (see load_plan)."""
    head = raw.get("plan")
    if not isinstance(head, dict):
        raise PlanError(f"{path}, line 1: a [plan] table with name, title_zh, title_en, baseline_year is required")
    head_line = tomlfile.line_of(text, "plan")
    for key in ("name", "title_zh", "title_en", "baseline_year"):
        if key not in head:
            raise _fail(path, head_line, f"[plan] needs '{key}'")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", str(head["name"])):
        raise _fail(path, head_line, f"plan name {head['name']!r}: use letters, digits, '-', '_' or '.'")
    baseline = head["baseline_year"]
    if not isinstance(baseline, int) or not 2000 <= baseline <= 2100:
        raise _fail(path, head_line, f"baseline_year must be a year, got {baseline!r}")
    phases = {}
    for year, names in head.get("phases", {}).items():
        if not str(year).isdigit() or not isinstance(names, dict) or not {"zh", "en"} <= set(names):
            raise _fail(path, head_line, f"phase {year!r}: expected  YEAR = {{ zh = \"…\", en = \"…\" }}")
        phases[int(year)] = {"zh": str(names["zh"]), "en": str(names["en"])}

    entries = raw.get("target", [])
    if not isinstance(entries, list) or not entries:
        raise PlanError(f"{path}: a plan needs at least one [[target]] table")
    targets, seen = [], {}
    for n, entry in enumerate(entries, start=1):
        def fail(message: str, key: str | None = None) -> PlanError:
            return _fail(path, tomlfile.line_of(text, "target", n, key), f"target #{n}: {message}")

        for key in ("metric", "scope", "year", "value", "direction", "label_zh", "label_en"):
            if key not in entry:
                raise fail(f"missing '{key}'")
        unknown = set(entry) - {"metric", "scope", "stage", "year", "value", "direction", "unit",
                                "label_zh", "label_en"}
        if unknown:
            raise fail(f"unknown field(s) {', '.join(sorted(unknown))}", sorted(unknown)[0])
        info = METRICS.get(entry["metric"])
        if info is None:
            raise fail(f"unknown metric {entry['metric']!r}; known: {', '.join(METRICS)}", "metric")
        if entry["scope"] not in SCOPES:
            raise fail(f"scope must be one of {', '.join(SCOPES)}, got {entry['scope']!r}", "scope")
        if entry["scope"] not in info.levels:
            raise fail(f"metric {info.id} exists at {', '.join(info.levels)}, not at {entry['scope']}", "scope")
        stage = entry.get("stage", "all")
        if stage not in info.stages:
            raise fail(f"metric {info.id} has stages {', '.join(info.stages)}, got {stage!r}", "stage")
        year = entry["year"]
        if not isinstance(year, int) or not baseline < year <= 2100:
            raise fail(f"year must be an integer after the baseline year {baseline}, got {year!r}", "year")
        value = entry["value"]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise fail(f"value must be a finite number, got {value!r}", "value")
        if entry["direction"] not in DIRECTIONS:
            raise fail(f"direction must be \">=\" or \"<=\", got {entry['direction']!r}", "direction")
        unit = entry.get("unit", info.unit)
        if unit not in UNITS:
            raise fail(f"unit must be one of {UNITS}, got {unit!r}", "unit")
        if unit in ("%", "pp") and not -1 <= value <= 1.5:
            raise fail(f"shares are fractions (0.6 = 60 %), got {value!r}", "value")
        t = Target(metric=info.id, scope=entry["scope"], stage=stage, year=year, value=float(value),
                   direction=entry["direction"], unit=unit, label_zh=str(entry["label_zh"]),
                   label_en=str(entry["label_en"]))
        if t.key in seen:
            raise fail(f"duplicate target {t.key} (also target #{seen[t.key]})", "metric")
        seen[t.key] = n
        targets.append(t)
    return Plan(name=str(head["name"]), title_zh=str(head["title_zh"]), title_en=str(head["title_en"]),
                source=str(head.get("source", head["title_zh"])), baseline_year=baseline,
                targets=tuple(targets), phases=phases, path=path)


def plan_files(directory: str | Path | None = None) -> list[Path]:
    return sorted(Path(directory or PLANS_DIR).glob("*.toml"))


@dataclass(frozen=True)
class PlanFolder:
    """The plans of a folder that can be used, and one line for each file that cannot: a bad
    file is reported beside the good plans, never in their way."""

    plans: dict[str, Plan]
    problems: tuple[str, ...] = ()


def read_plans(directory: str | Path | None = None) -> PlanFolder:
    """Every plan of the plans folder, keyed by name; a malformed file, or a second file using a
    name already taken, is a problem line naming it."""
    plans: dict[str, Plan] = {}
    problems = []
    for f in plan_files(directory):
        try:
            p = load_plan(f)
        except PlanError as exc:
            problems.append(str(exc))
            continue
        if p.name in plans:
            problems.append(f"{f}: plan name {p.name!r} is already used by {plans[p.name].path}")
            continue
        plans[p.name] = p
    return PlanFolder(plans, tuple(problems))


def load_plans(directory: str | Path | None = None) -> dict[str, Plan]:
    """Every plan of the plans folder, keyed by name; the first problem of the folder, if any,
    is raised (for callers that need the folder whole, e.g. a test of the shipped plans)."""
    folder = read_plans(directory)
    if folder.problems:
        raise PlanError(folder.problems[0])
    return folder.plans


def find_plan(name_or_path: str, directory: str | Path | None = None) -> Plan:
    """A plan by name (from the plans folder) or by the path of a plan file. A malformed file
    beside the named plan does not stop it; when the name is unknown, the refused files are
    listed too (the plan may be one of them)."""
    if name_or_path.endswith(".toml") or Path(name_or_path).is_file():
        return load_plan(name_or_path)
    folder = read_plans(directory)
    if name_or_path not in folder.plans:
        refused = "".join(f"; refused: {p}" for p in folder.problems)
        raise PlanError(f"unknown plan {name_or_path!r}; known plans: {', '.join(folder.plans) or 'none'}{refused}")
    return folder.plans[name_or_path]
