"""The explorer's view state and its URL form, so a copied link reopens the same view.

The page itself is the URL path (/map, /county); the rest are query parameters.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Iterable, Mapping

STAGES = ("primary", "junior", "all")
KEYS = ("year", "stage", "region", "county", "metric", "school", "plan")


@dataclass(frozen=True)
class ViewState:
    """What the user is looking at."""

    year: int
    stage: str = "all"
    region: str = ""
    county: str = ""
    metric: str = "status"
    school: str = ""
    plan: str = ""


def from_query(params: Mapping[str, str], *, years: Iterable[int], regions: Iterable[str],
               counties: Iterable[str], metrics: Iterable[str], default_region: str,
               plans: Iterable[str] = ()) -> ViewState:
    """A valid state from URL parameters: unknown or malformed values fall back to defaults."""
    years = sorted(int(y) for y in years)
    regions, counties, metrics = set(regions), set(counties), set(metrics)
    year = years[-1] if years else 0
    raw_year = str(params.get("year", ""))
    if raw_year in {str(y) for y in years}:  # compared as text: a 70,000-digit "year" is just not one
        year = int(raw_year)
    stage = params.get("stage", "all")
    stage = stage if stage in STAGES else "all"
    region = params.get("region", default_region)
    region = region if region in regions else default_region
    county = params.get("county", "")
    county = county if county in counties else ""
    if county and not county.startswith(_prefix(region)):
        region = county[:4] + "00" if county[:4] + "00" in regions else default_region
    metric = params.get("metric", "status")
    metric = metric if metric in metrics else "status"
    school = params.get("school", "") if county else ""
    plans = list(plans)
    plan = params.get("plan", "")
    plan = plan if plan in plans else (plans[0] if plans else "")
    return ViewState(year=year, stage=stage, region=region, county=county, metric=metric, school=school,
                     plan=plan)


def _prefix(region: str) -> str:
    """Adcode prefix shared by the counties of a region ('' for the whole country)."""
    if region == "000000":
        return ""
    if region.endswith("0000"):
        return region[:2]  # 500000 (重庆) is "50", not "5" (which would take in every 5xxxxx county)
    if region.endswith("00"):
        return region[:4]
    return region


def to_query(state: ViewState) -> dict[str, str]:
    """The URL parameters of a state (empty values left out)."""
    return {k: str(v) for k, v in asdict(state).items() if v not in ("", None)}
