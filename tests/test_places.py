"""Finding a place by Chinese name, pinyin or initials."""

from __future__ import annotations

import pytest

from analytics.atlas import geo, places

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


@pytest.mark.parametrize("name, english", [
    ("越西县", "Yuexi County"),
    ("凉山彝族自治州", "Liangshan Yi Autonomous Prefecture"),
    ("四川省", "Sichuan Province"),
    ("西昌市", "Xichang City"),
    ("长宁县", "Changning County"),          # 长 read cháng in place names
    ("郫都区", "Pidu District"),             # 都 read dū
    ("西安市", "Xi'an City"),                # apostrophe before a syllable starting with a vowel
    ("阿坝藏族羌族自治州", "Aba Tibetan and Qiang Autonomous Prefecture"),
    ("双江拉祜族佤族布朗族傣族自治县", "Shuangjiang Lahu, Va, Blang and Dai Autonomous County"),
    ("新疆维吾尔自治区", "Xinjiang Uygur Autonomous Region"),
    ("北京市", "Beijing"),                   # an exception of data/place_names.toml
    ("内蒙古自治区", "Inner Mongolia Autonomous Region"),
])
def test_a_place_has_its_english_name(name, english):
    assert places.english_name(name) == english


def test_english_map_labels_are_the_proper_name_and_chinese_passes_through():
    assert places.label_name("凉山彝族自治州", "en") == "Liangshan"
    assert places.label_name("内蒙古自治区", "en") == "Inner Mongolia"
    assert places.label_name("凉山彝族自治州", "zh") == "凉山彝族自治州"
    assert places.title_name("越西县", "en") == "Yuexi County (越西县)"
    assert places.display_name("越西县", "zh") == "越西县"


@pytest.mark.parametrize("name, short", [
    ("凉山彝族自治州", "Liangshan Prefecture"),
    ("阿坝藏族羌族自治州", "Aba Prefecture"),
    ("木里藏族自治县", "Muli County"),
    ("新疆维吾尔自治区", "Xinjiang"),
    ("内蒙古自治区", "Inner Mongolia"),
    ("北京市", "Beijing"),
    ("越西县", "Yuexi County"),
    ("四川省", "Sichuan Province"),
])
def test_a_pickers_english_name_fits_the_sidebar(name, short):
    """Before: the sidebar's region picker read 'Liangshan Yi Autonomous Pref' at every width
    (about 28 letters fit); the short form keeps the proper name and a level word."""
    assert places.picker_name(name, "en") == short and len(short) <= 28
    assert places.picker_name(name, "zh") == name


def test_pinyin_inside_a_name_matches_only_from_a_syllable():
    """Before: 'yuexi' also found 安岳县 (an-yue-xian: 'yuexi' across the syllables yue|xian)."""
    assert "安岳县" not in names(places.find(SICHUAN, "yuexi"))
    assert "凉山彝族自治州" in names(places.find(SICHUAN, "shanyi"))  # from a syllable inside the name


def test_two_prefectures_of_a_province_with_one_name_are_named_apart():
    """The boundaries call both of 重庆市's parts 重庆市: pickers, titles and the search listed
    two places alike. Each is named with its part (data/place_names.toml), in both languages."""
    chongqing = COUNTIES[COUNTIES["province_adcode"] == "500000"]
    told = places.tell_apart(chongqing).drop_duplicates("city_adcode").set_index("city_adcode")["city_name"]
    assert told.to_dict() == {"500100": "重庆市（市辖区）", "500200": "重庆市（县）"}
    assert places.display_name(told["500200"], "en") == "Chongqing (counties)"
    assert places.picker_name(told["500100"], "en") == "Chongqing (districts)"
    sichuan = COUNTIES[COUNTIES["province_adcode"] == "510000"]
    assert places.tell_apart(sichuan) is sichuan  # nothing alike: names as they are
    found = places.find(CHINA, "重庆")
    assert {"重庆市（市辖区）", "重庆市（县）"} <= set(found["name"])
