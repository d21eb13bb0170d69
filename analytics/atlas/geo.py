"""County, city and province boundaries (WGS-84) and the coordinate helpers they were built with."""

from __future__ import annotations

from functools import lru_cache

import geopandas as gpd
import numpy as np

from analytics.core.i18n import t
from analytics.core.paths import DATA_DIR

BOUNDARY_DIR = DATA_DIR / "boundaries"
# A user's reviewed standard boundaries (python -m analytics boundaries import): used instead of
# the built-in ones when present, and their 审图号 replaces "示意图" on every map.
REVIEWED_DIR = BOUNDARY_DIR / "reviewed"
AREA_LAYERS = ("counties", "cities", "provinces")
LAYERS = (*AREA_LAYERS, "maritime")  # maritime: the boundary line (dashes) drawn at sea

# Krasovsky 1940 ellipsoid parameters used by the GCJ-02 obfuscation.
_A = 6378245.0
_EE = 0.00669342162296594323


def _delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 offset (degrees) at WGS-84 points, the published forward formula."""
    x, y = lon - 105.0, lat - 35.0
    dlat = (
        -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    )
    dlon = (
        300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    )
    rad = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad) * np.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 → GCJ-02 (the forward transform AMap applies)."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    dlon, dlat = _delta(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon, lat, iterations: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 → WGS-84 by fixed-point iteration of the forward transform (error < 1e-7°)."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    wlon, wlat = lon.copy(), lat.copy()
    for _ in range(iterations):
        glon, glat = wgs84_to_gcj02(wlon, wlat)
        wlon, wlat = wlon - (glon - lon), wlat - (glat - lat)
    return wlon, wlat


# Longest suffix first: 自治县 before 县, 县级市 is told apart from 市辖区 by the name ending.
_KIND_SUFFIXES = (
    ("自治县", "自治县"),
    ("自治旗", "自治旗"),
    ("特区", "特区"),
    ("林区", "林区"),
    ("新区", "区"),
    ("区", "区"),
    ("县", "县"),
    ("旗", "旗"),
    ("市", "县级市"),
)


def county_kind(name: str) -> str:
    """Kind of county-level division from its name: 区, 县, 县级市, 旗, 自治县, 特区, 林区 or 其他."""
    for suffix, kind in _KIND_SUFFIXES:
        if name.endswith(suffix):
            return kind
    return "其他"


@lru_cache(maxsize=None)
def review() -> dict | None:
    """The review record of imported standard boundaries (审图号, source), or None."""
    import json

    path = REVIEWED_DIR / "REVIEW.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def map_note(lang: str = "zh") -> str:
    """What every map prints about its boundaries: the 审图号 of reviewed ones, else 示意图."""
    r = review()
    if r is None:
        return t("sketch_map", lang)
    return t("review_no", lang, no=r["review_no"])


def boundary_source(lang: str = "zh") -> str:
    r = review()
    return r["source"] if r else t("built_in_boundaries", lang)


@lru_cache(maxsize=None)
def load_layer(layer: str) -> gpd.GeoDataFrame:
    """One boundary layer ('counties', 'cities', 'provinces' or 'maritime'), WGS-84: the reviewed
    one when imported, else the committed one."""
    if layer not in LAYERS:
        raise ValueError(f"unknown boundary layer {layer!r}; expected one of {LAYERS}")
    path = REVIEWED_DIR / f"{layer}.parquet"
    if not path.exists():
        path = BOUNDARY_DIR / f"{layer}.parquet"
    if not path.exists():
        raise FileNotFoundError(f"boundary layer missing: {path} (run scripts/build_boundaries.py)")
    return gpd.read_parquet(path)


def layers_stamp() -> str:
    """What the boundary layers in use are (file, size, time of each): a key for what is derived
    from them and kept between processes."""
    parts = []
    for layer in LAYERS:
        path = REVIEWED_DIR / f"{layer}.parquet"
        path = path if path.exists() else BOUNDARY_DIR / f"{layer}.parquet"
        if path.exists():
            st = path.stat()
            parts.append(f"{path}:{st.st_size}:{st.st_mtime_ns}")
    return "|".join(parts)


def counties(province_adcode: str | None = None) -> gpd.GeoDataFrame:
    """County polygons, optionally of one province (adcode like '510000')."""
    gdf = load_layer("counties")
    if province_adcode:
        gdf = gdf[gdf["province_adcode"] == province_adcode]
    return gdf.reset_index(drop=True)


def dissolve(gdf: gpd.GeoDataFrame, key: str, name: str) -> gpd.GeoDataFrame:
    """Union counties into a higher level (coverage union keeps borders exact)."""
    import shapely

    out = []
    for code, part in gdf.groupby(key, sort=True):
        geom = shapely.coverage_union_all(part.geometry.values)
        out.append({"adcode": code, "name": part[name].iloc[0], "geometry": geom})
    return gpd.GeoDataFrame(out, geometry="geometry", crs="EPSG:4326")
