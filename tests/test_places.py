"""Finding a place by Chinese name, pinyin or initials."""

from __future__ import annotations

import pytest

from analytics import geo, places

COUNTIES = geo.load_layer("counties").rename(columns={"name": "county_name"})
SICHUAN = places.index(COUNTIES[COUNTIES["province_adcode"] == "510000"])
CHINA = places.index(COUNTIES)


def names(found) -> list[str]:
    return list(found["name"])


@pytest.mark.parametrize("query", ["越西", "yuexi", "YueXi", "yx", "yue xi"])
def test_yuexi_is_found_by_name_pinyin_and_initials(query):
    assert "越西县" in names(places.find(SICHUAN, query))


def test_an_exact_name_comes_first():
    assert names(places.find(CHINA, "越西县"))[0] == "越西县"


def test_a_province_or_prefecture_ranks_before_counties_of_the_same_spelling():
    found = places.find(CHINA, "chongqing")
    assert found.iloc[0]["adcode"] == "500000" and found.iloc[0]["kind"] == "province"


@pytest.mark.parametrize("query, name", [("changning", "长宁县"), ("luan", "六安市"), ("shanxian", "单县")])
def test_every_reading_of_a_polyphonic_name_finds_it(query, name):
    assert name in names(places.find(CHINA, query, limit=20))


def test_prefectures_are_found_with_their_province():
    found = places.find(SICHUAN, "liangshan")
    assert found.iloc[0][["adcode", "within", "kind"]].tolist() == ["513400", "四川省", "city"]


def test_nothing_typed_finds_nothing_and_nonsense_finds_nothing():
    assert places.find(CHINA, "  ").empty
    assert places.find(CHINA, "qqqqzz").empty


def test_a_found_county_opens_on_its_prefecture_map():
    assert places.view_of("513434") == ("513400", "513434")
    assert places.view_of("513400") == ("513400", "")
    assert places.view_of("510000") == ("510000", "")
