"""Adcode rules: levels, parents, membership and the map's drill-down, for every province."""

from __future__ import annotations

import pandas as pd
import pytest

from analytics.atlas import geo, regions

COUNTIES = geo.load_layer("counties")[["adcode", "city_adcode", "province_adcode"]]
PROVINCES = sorted(geo.load_layer("provinces")["adcode"])


def test_the_boundaries_hold_34_provincial_units():
    assert len(PROVINCES) == 34


@pytest.mark.parametrize("province", PROVINCES)
def test_every_county_of_a_province_lies_inside_it_and_in_no_other(province):
    own = COUNTIES[COUNTIES["province_adcode"] == province]
    others = COUNTIES[COUNTIES["province_adcode"] != province]
    assert regions.kind(province) == "province"
    assert all(regions.contains(province, c) for c in own["adcode"])
    assert not any(regions.contains(province, c) for c in others["adcode"])
    assert set(regions.within(COUNTIES, province)["adcode"]) == set(own["adcode"])
    assert all(regions.province_of(c) == province for c in own["adcode"])


@pytest.mark.parametrize("province", PROVINCES)
def test_a_countys_prefecture_is_the_one_the_boundaries_name(province):
    own = COUNTIES[COUNTIES["province_adcode"] == province]
    assert [regions.city_of(c) for c in own["adcode"]] == list(own["city_adcode"])


def test_chongqing_takes_in_its_own_counties_only():
    """500000 is 重庆: its prefix is '50', not '5' (which would take in every 5xxxxx county)."""
    assert regions.prefix("500000") == "50"
    assert regions.contains("500000", "500101")
    assert regions.contains("500000", "500229")
    assert not regions.contains("500000", "510104")


def test_levels_and_parents_walk_up_to_the_country():
    assert [regions.kind(c) for c in ("000000", "510000", "513400", "513434")] == \
        ["national", "province", "city", "county"]
    assert regions.enclosing("513434") == ["513434", "513400", "510000", "000000"]
    assert regions.enclosing("000000") == ["000000"]


def test_within_the_country_is_everything():
    table = pd.DataFrame({"adcode": ["110101", "513434"]})
    assert len(regions.within(table, "000000")) == 2
    assert len(regions.within(table, "")) == 2


@pytest.mark.parametrize("code", ["51000", "5100000", "51010a", "５１００００", 510000, ""])
def test_only_six_ascii_digits_are_adcodes(code):
    assert not regions.is_adcode(code)


def test_a_click_on_the_national_map_opens_the_province():
    assert regions.drill("000000", "", "510000") == ("510000", "")


def test_a_click_on_a_province_map_opens_the_countys_prefecture():
    assert regions.drill("510000", "", "513434") == ("513400", "")


def test_a_click_on_a_prefecture_map_selects_the_county():
    assert regions.drill("513400", "", "513434") == ("513400", "513434")


def test_a_click_beside_the_selected_county_selects_the_neighbour():
    assert regions.drill("513400", "513434", "511102") == ("511100", "511102")
    assert regions.drill("513400", "513434", "513433") == ("513400", "513433")


def test_no_module_but_regions_cuts_an_adcode_into_its_levels():
    """regions.py is the only place that knows an adcode's levels: nobody else slices one
    (code[:2] + "0000", .str[:4]), so a rule about 直辖市 or a code change is made once."""
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parents[1]
    slicing = re.compile(r"""\[:\s*[246]\s*\]\s*\+\s*["']0+["']|\.str\[:\s*[24]\s*\]|\.str\.slice\(0,\s*[24]\)|"""
                         r"""(?:adcode|region|code|county)\w*\[:\s*[24]\s*\]""")
    files = [*(root / "analytics").rglob("*.py"), *(root / "pages").rglob("*.py"), root / "app.py"]
    found = [f"{p.relative_to(root)}:{n}" for p in files if p.name != "regions.py"
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if slicing.search(line)]
    assert found == []
