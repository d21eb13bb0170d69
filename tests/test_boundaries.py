"""Committed boundary layers: complete, valid, WGS-84, and neighbours share their borders."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from analytics.atlas import geo


def test_sichuan_has_183_counties():
    assert len(geo.counties("510000")) == 183


def test_china_has_2875_counties_345_cities_34_provinces():
    assert len(geo.load_layer("counties")) == 2875
    assert len(geo.load_layer("cities")) == 345
    assert len(geo.load_layer("provinces")) == 34


def test_adcodes_are_unique_and_well_formed():
    c = geo.load_layer("counties")
    assert c["adcode"].is_unique
    assert c["adcode"].str.fullmatch(r"[1-9]\d{5}").all()
    assert (c["city_adcode"] == c["adcode"].str[:4] + "00").all()
    assert (c["province_adcode"] == c["adcode"].str[:2] + "0000").all()


def test_the_maritime_line_is_the_ten_dashes_of_the_source_at_sea():
    g = geo.load_layer("maritime").geometry.values
    dashes = shapely.get_parts(g)
    assert len(dashes) == 10 and set(shapely.get_type_id(dashes)) == {1}  # LineString
    minx, miny, maxx, maxy = shapely.total_bounds(g)
    assert 3 < miny < 5 and maxy < 25 and 108 < minx and maxx < 123


@pytest.mark.parametrize("layer", geo.AREA_LAYERS)
def test_geometries_are_valid_polygons(layer):
    g = geo.load_layer(layer).geometry.values
    assert shapely.is_valid(g).all()
    assert set(shapely.get_type_id(g)) <= {3, 6}  # Polygon, MultiPolygon


def test_counties_form_a_coverage_without_overlaps():
    """Topology-preserving simplification: the county layer is a valid polygonal coverage."""
    g = geo.counties("510000").geometry.values
    assert shapely.coverage_is_valid(g)
    union = shapely.union_all(g)
    overlap = sum(p.area for p in g) - union.area
    assert abs(overlap) < 1e-9


def test_neighbours_share_borders_exactly():
    """锦江区 and 成华区 touch along a shared line, not a point, and do not overlap."""
    c = geo.counties("510000").set_index("adcode").geometry
    shared = c["510104"].intersection(c["510108"])
    assert shared.length > 0.01 and shared.area < 1e-12


def test_coordinates_are_wgs84_not_gcj02():
    """GCJ-02 shifts Chengdu about 0.0025° east and south: the layer must be shifted back."""
    lon, lat = geo.gcj02_to_wgs84(104.07, 30.67)
    assert lon == pytest.approx(104.0675, abs=5e-4) and lat == pytest.approx(30.6724, abs=5e-4)
    back = geo.wgs84_to_gcj02(lon, lat)
    assert np.allclose(back, (104.07, 30.67), atol=1e-7)
    # 天府广场 (WGS-84 104.0657, 30.6598) lies in 青羊区 (510105)
    c = geo.counties("510000").set_index("adcode").geometry
    assert c["510105"].contains(shapely.Point(104.0657, 30.6598))


def test_sichuan_outline_matches_province_layer():
    counties = shapely.union_all(geo.counties("510000").geometry.values)
    province = geo.load_layer("provinces").set_index("adcode").geometry["510000"]
    assert counties.symmetric_difference(province).area < 1e-6


@pytest.mark.parametrize("name, kind", [("锦江区", "区"), ("简阳市", "县级市"), ("北川羌族自治县", "自治县"),
                                        ("理县", "县"), ("鄂伦春自治旗", "自治旗"), ("神农架林区", "林区")])
def test_county_kind_from_name(name, kind):
    assert geo.county_kind(name) == kind


def test_committed_boundaries_are_small():
    total = sum(p.stat().st_size for p in geo.BOUNDARY_DIR.glob("*.parquet"))
    assert total < 6e6
