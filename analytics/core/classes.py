"""Every class a county, a target, a change or a school is put in — its code, its place (the
order listed here), its severity, its label (a catalogue key) and its colour — and the product's
other colours. The model orders and compares by code and severity; screens and files name and
colour from here, and no colour is written anywhere else (a test checks)."""

from __future__ import annotations

from dataclasses import dataclass

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Class:
    code: str
    label: str                   # its key in the catalogue (strings.py)
    colour: RGB
    severity: int | None = None  # higher is worse; None: not comparable with the others
    outline: RGB | None = None   # school dots: a ring that sets them off the county colours


# A county's status, in legend order (达标, 差1–2项, 数据不足, 差3项及以上, 不予认定); colour-blind-safe
# (ColorBrewer RdYlBu ends, neutral grey, dark purple). 数据不足 has no severity: not comparable.
COUNTY_STATUS = (
    Class("pass", "status_pass", (44, 123, 182), 0),
    Class("near", "status_near", (253, 174, 97), 1),
    Class("incomplete", "status_incomplete", (189, 189, 189)),
    Class("far", "status_far", (215, 48, 39), 2),
    Class("vetoed", "status_vetoed", (84, 39, 143), 3),
)
# A target's progress: 已达标 按期 滞后 严重滞后 数据不足 (RdYlBu, colour-blind-safe)
TARGET_PROGRESS = (
    Class("achieved", "progress_achieved", (44, 123, 182), 0),
    Class("on_track", "progress_on_track", (171, 217, 233), 1),
    Class("at_risk", "progress_at_risk", (253, 174, 97), 2),
    Class("off_track", "progress_off_track", (215, 25, 28), 3),
    Class("no_data", "progress_no_data", (200, 200, 200)),
)
# A county's status against another year or another rule set (RdBu ends)
STATUS_CHANGE = (
    Class("better", "change_better", (33, 102, 172), 0),
    Class("same", "change_same", (224, 224, 210), 1),
    Class("worse", "change_worse", (178, 24, 43), 2),
    Class("not_comparable", "change_not_comparable", (189, 189, 189)),
)
# A school on the county map, worst first: misses the school-compliance rule, compliance unknown
# (an indicator without data: never drawn as a pass or a miss), meets it, not assessed. Not county
# colours: black, orange, white and pink dots, each with a ring to stand out.
SCHOOL_STATE = (
    Class("noncompliant", "school_noncompliant", (25, 25, 25), 2, outline=(255, 255, 255)),
    Class("no_data", "school_no_data", (230, 159, 0), None, outline=(25, 25, 25)),
    Class("compliant", "school_compliant", (255, 255, 255), 0, outline=(25, 25, 25)),
    Class("not_assessed", "school_not_assessed", (204, 121, 167), None, outline=(255, 255, 255)),
)
REGISTRY = {"county_status": COUNTY_STATUS, "target_progress": TARGET_PROGRESS, "status_change": STATUS_CHANGE,
            "school_state": SCHOOL_STATE}


def codes(classes: tuple[Class, ...]) -> tuple[str, ...]:
    return tuple(c.code for c in classes)


def colours(classes: tuple[Class, ...]) -> dict[str, RGB]:
    return {c.code: c.colour for c in classes}


def severities(classes: tuple[Class, ...]) -> dict[str, int]:
    """Code → severity of the comparable classes (the others are left out: not comparable)."""
    return {c.code: c.severity for c in classes if c.severity is not None}


def hex_colour(rgb) -> str:
    return "#%02x%02x%02x" % tuple(int(c) for c in rgb[:3])


# Map scales
NO_DATA = (230, 230, 230)
SEQUENTIAL = ((255, 255, 204), (161, 218, 180), (65, 182, 196), (44, 127, 184), (37, 52, 148))  # YlGnBu
DIVERGING = ((33, 102, 172), (146, 197, 222), (240, 240, 240), (244, 165, 130), (178, 24, 43))  # RdBu
MAP_BORDER = (255, 255, 255)     # county borders on a map's picture
MAP_OUTLINE = (60, 60, 60)       # upper-level outlines (provinces, prefectures) on it
MAP_GROUND = (255, 255, 255)     # the page behind a map: outside the counties of a picture laid over another
MAP_LABEL = (30, 30, 30)         # place names drawn into images
# Charts
STAGE_COLOURS = {"primary": (44, 127, 184), "junior": (127, 205, 187), "all": (37, 52, 148)}
URBAN, RURAL = COUNTY_STATUS[0].colour, COUNTY_STATUS[1].colour
PASS, FAIL = COUNTY_STATUS[0].colour, COUNTY_STATUS[3].colour
PEER_LINE = (207, 214, 221)      # the other counties behind a highlighted trajectory
BLANK = (204, 204, 204)          # a scorecard row without a progress class
# The demo-data mark and documents
DEMO_MARK = (192, 0, 0)          # the red of the demo-data mark in sheets, slides and workbooks
WATERMARK = (192, 57, 43)        # the demo watermark across charts and maps
INK = (0, 0, 0)
TABLE_HEAD = (242, 242, 242)     # official tables' header fill
TEMPLATE_HEAD = (221, 235, 247)  # the import templates' header fill
MISSING_FILL = (248, 215, 218)   # a cell without data in an official table
BELOW_FLOOR = (244, 165, 130)    # a school indicator under the floor of its standard (profile)
BELOW_STANDARD = (253, 219, 199)  # … under the standard, above the floor


def xlsx_colour(rgb) -> str:
    """The colour as openpyxl writes it (RRGGBB)."""
    return hex_colour(rgb)[1:].upper()
