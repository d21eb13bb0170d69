"""The explorer's view state and its URL form, so a copied link reopens the same view.

The page itself is the URL path (/map, /county); the rest are query parameters.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Iterable, Mapping

from analytics.assess.criteria import NATIONAL_RULES
from analytics.atlas import regions as regions_

STAGES = ("primary", "junior", "all")
DEFAULT_RULES = NATIONAL_RULES  # left out of the URL
LANGS = ("zh", "en")


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
    lang: str = "zh"
    rules: str = DEFAULT_RULES  # the rule set (criteria file) in use


FIELDS = tuple(f.name for f in fields(ViewState))  # the view's parts, in the URL's order


def from_query(params: Mapping[str, str], *, years: Iterable[int], regions: Iterable[str],
               counties: Iterable[str], metrics: Iterable[str], default_region: str,
               plans: Iterable[str] = (), rules: Iterable[str] = (DEFAULT_RULES,)) -> ViewState:
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
    if county and not regions_.contains(region, county):
        region = regions_.city_of(county) if regions_.city_of(county) in regions else default_region
    metric = params.get("metric", "status")
    metric = metric if metric in metrics else "status"
    school = params.get("school", "") if county else ""
    plans = list(plans)
    plan = params.get("plan", "")
    plan = plan if plan in plans else (plans[0] if plans else "")
    lang = params.get("lang", "zh")
    lang = lang if lang in LANGS else "zh"
    rule_set = params.get("rules", DEFAULT_RULES)
    rule_set = rule_set if rule_set in set(rules) else DEFAULT_RULES
    return ViewState(year=year, stage=stage, region=region, county=county, metric=metric, school=school,
                     plan=plan, lang=lang, rules=rule_set)


def to_query(state: ViewState) -> dict[str, str]:
    """The URL parameters of a state (empty values, the default language and rules left out)."""
    return {k: str(v) for k, v in asdict(state).items()
            if v not in ("", None) and (k, v) not in (("lang", "zh"), ("rules", DEFAULT_RULES))}
