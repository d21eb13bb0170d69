"""Bring your own reviewed boundaries: a county layer with its 审图号, checked and stored beside the
built-in ones, so maps and exports use them and print the review number instead of 示意图.

A map of China published or used in an official document must use reviewed standard boundaries
and show its 审图号 (地图管理条例 Art. 15–16); the built-in boundaries are a sketch.
"""

from __future__ import annotations

import json
import re
import shutil
import warnings
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import geopandas as gpd
import numpy as np
import shapely

from analytics.atlas import geo, regions
from analytics.core.errors import JunhengError
from analytics.store import db

CRS_CHOICES = ("wgs84", "gcj02")
ADCODE_COLUMNS = ("adcode", "ADCODE", "code", "CODE", "gb", "GB", "区划代码")
NAME_COLUMNS = ("name", "NAME", "名称")
# GS(2024)1234号 (national), 川S(2023)012号 (provincial); full-width brackets too
REVIEW_NO = re.compile(r"^(GS|[\u4e00-\u9fff]S)[(（][0-9]{4}[)）][0-9]{1,6}号$")  # ASCII digits only


class BoundaryError(JunhengError, ValueError):
    """A boundary file that cannot be used (the message says which file, row and what was expected)."""


def _column(gdf, choices: tuple[str, ...]) -> str | None:
    return next((c for c in choices if c in gdf.columns), None)


def read_checked(path: Path, review_no: str, crs: str) -> gpd.GeoDataFrame:
    """The file's counties as WGS-84 polygons with adcode and name, or a BoundaryError."""
    if not REVIEW_NO.match(review_no.strip()):
        raise BoundaryError(f"--review-no {review_no!r}: expected a 审图号 such as GS(2024)1234号 or 川S(2023)012号")
    if crs not in CRS_CHOICES:
        raise BoundaryError(f"--crs {crs!r}: expected one of {', '.join(CRS_CHOICES)}")
    try:
        with warnings.catch_warnings():  # the reader's notes (e.g. "several features with id = 1",
            warnings.simplefilter("ignore")  # renumbered) are not the user's concern: rows are read by adcode
            gdf = gpd.read_file(path)
    except Exception as exc:  # noqa: BLE001 - any reader error is a bad file for the user
        raise BoundaryError(f"{path.name}: not a readable GeoJSON or Shapefile ({exc})") from None
    code = _column(gdf, ADCODE_COLUMNS)
    if code is None:
        raise BoundaryError(f"{path.name}: no adcode column; expected one of {', '.join(ADCODE_COLUMNS)}")
    adcodes = gdf[code].astype(str).str.strip().str.replace(r"\.0$", "", regex=True)
    bad = [(i + 1, v) for i, v in enumerate(adcodes) if not regions.is_adcode(v) or regions.kind(v) != "county"]
    if bad:
        shown = "; ".join(f"row {r}: {v!r}" for r, v in bad[:5])
        raise BoundaryError(f"{path.name}, column {code}: {len(bad)} value(s) are not 6-digit county adcodes ({shown})")
    if adcodes.duplicated().any():
        dup = adcodes[adcodes.duplicated()].iloc[0]
        raise BoundaryError(f"{path.name}, column {code}: adcode {dup} appears more than once (one row per county)")
    kinds = set(gdf.geometry.geom_type.dropna())
    if not kinds <= {"Polygon", "MultiPolygon"} or gdf.geometry.isna().any():
        raise BoundaryError(f"{path.name}: every row needs a Polygon or MultiPolygon; found {sorted(kinds)}")
    empty = shapely.is_empty(gdf.geometry.values)
    if empty.any():
        i = int(np.flatnonzero(empty)[0])
        raise BoundaryError(f"{path.name}: {int(empty.sum())} empty geometries, e.g. row {i + 1} (adcode {adcodes.iloc[i]})")
    invalid = ~shapely.is_valid(gdf.geometry.values)
    if invalid.any():
        i = int(np.flatnonzero(invalid)[0])
        raise BoundaryError(f"{path.name}: {int(invalid.sum())} invalid geometries, e.g. row {i + 1} (adcode "
                            f"{adcodes.iloc[i]}): {shapely.is_valid_reason(gdf.geometry.values[i])}")
    if gdf.crs is not None and crs == "wgs84" and gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs(4326)
    geoms = gdf.geometry.values
    if crs == "gcj02":
        geoms = shapely.transform(geoms, lambda c: np.column_stack(geo.gcj02_to_wgs84(c[:, 0], c[:, 1])))
    lon_lat = shapely.bounds(geoms)
    if lon_lat[:, 0].min() < 70 or lon_lat[:, 2].max() > 140 or lon_lat[:, 1].min() < 0 or lon_lat[:, 3].max() > 56:
        raise BoundaryError(f"{path.name}: coordinates fall outside China (lon 70–140, lat 0–56): "
                            "is it projected? give a GeoJSON in degrees or a Shapefile with its .prj")
    _refuse_overlaps(path, adcodes.to_numpy(), np.asarray(geoms))
    name = _column(gdf, NAME_COLUMNS)
    return gpd.GeoDataFrame({"adcode": adcodes.to_numpy(),
                             "name": gdf[name].astype(str).to_numpy() if name else adcodes.to_numpy()},
                            geometry=list(geoms), crs="EPSG:4326")


OVERLAP_SHARE = 0.01  # counties sharing more than this share of the smaller one's area overlap


def _refuse_overlaps(path: Path, adcodes: np.ndarray, geoms: np.ndarray) -> None:
    """Counties are a partition: two that share real area (not just a border or a digitising
    sliver) mean a wrong or duplicated polygon."""
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    pairs = left < right
    left, right = left[pairs], right[pairs]
    if not len(left):
        return
    shared = shapely.area(shapely.intersection(geoms[left], geoms[right]))
    smaller = np.minimum(shapely.area(geoms[left]), shapely.area(geoms[right]))
    bad = np.flatnonzero(shared > OVERLAP_SHARE * smaller)
    if len(bad):
        i, j = left[bad[0]], right[bad[0]]
        raise BoundaryError(f"{path.name}: {len(bad)} pair(s) of counties overlap, e.g. rows {i + 1} and {j + 1} "
                            f"(adcodes {adcodes[i]} and {adcodes[j]}, {shared[bad[0]] / smaller[bad[0]]:.0%} of the "
                            "smaller one): counties must not share area")


def coverage(counties: gpd.GeoDataFrame, known: set[str]) -> dict:
    """How the file's counties match the database's: covered, missing (in the data, not the file)
    and extra (in the file, not the data)."""
    have = set(counties["adcode"])
    return {"counties_in_file": len(have), "counties_in_data": len(known), "covered": len(have & known),
            "missing": sorted(known - have), "extra": sorted(have - known)}


def import_reviewed(path: Path, review_no: str, crs: str, known: set[str], source: str = "") -> dict:
    """Check the file and store it (counties, their prefectures and provinces, the review record)
    as the reviewed boundaries, replacing any earlier ones in one rename. Returns the coverage."""
    counties = read_checked(path, review_no, crs)
    report = coverage(counties, known)
    if known and report["covered"] == 0:
        raise BoundaryError(f"{path.name}: none of its {len(counties)} adcodes is a county of the database")
    built_in = geo.counties().set_index("adcode")
    counties["city_adcode"] = counties["adcode"].map(regions.city_of)
    counties["province_adcode"] = counties["adcode"].map(regions.province_of)
    counties["city_name"] = counties["adcode"].map(built_in["city_name"]).fillna(counties["city_adcode"])
    counties["province_name"] = counties["adcode"].map(built_in["province_name"]).fillna(counties["province_adcode"])
    counties["kind"] = counties["name"].map(geo.county_kind)
    cities = geo.dissolve(counties, "city_adcode", "city_name")
    cities["province_adcode"] = cities["adcode"].map(regions.province_of)
    provinces = geo.dissolve(counties, "province_adcode", "province_name")
    record = {"review_no": review_no.strip(), "file": path.name, "crs": crs,
              "source": source or f"{path.name}（{review_no.strip()}）",
              "imported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              **{k: v for k, v in report.items() if k not in ("missing", "extra")}}
    target = geo.REVIEWED_DIR
    target.parent.mkdir(parents=True, exist_ok=True)
    with _writing(target):
        tmp = target.with_name(f".{target.name}.importing")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        for layer, gdf in (("counties", counties), ("cities", cities), ("provinces", provinces)):
            gdf.to_parquet(tmp / f"{layer}.parquet", compression="zstd", index=False)
        (tmp / "REVIEW.json").write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        old = target.with_name(f".{target.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        if target.exists():
            target.rename(old)
        tmp.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    geo.review.cache_clear()
    geo.load_layer.cache_clear()
    return report


@contextmanager
def _writing(target: Path) -> Iterator[None]:
    """The reviewed boundaries' write lock: imports and removals take turns (two at once lost the
    reviewed folder), through the lock file every database writer uses."""
    try:
        with db.locked(target):
            yield
    except db.DatabaseBusy as busy:
        raise BoundaryError(str(busy)) from None


def remove_reviewed() -> bool:
    """Go back to the built-in boundaries (and 示意图). True when there were reviewed ones."""
    existed = geo.REVIEWED_DIR.exists()
    geo.REVIEWED_DIR.parent.mkdir(parents=True, exist_ok=True)
    with _writing(geo.REVIEWED_DIR):
        shutil.rmtree(geo.REVIEWED_DIR, ignore_errors=True)
    geo.review.cache_clear()
    geo.load_layer.cache_clear()
    return existed
