-- Junheng data model: the import contract (README "Data model").
-- Keys: adcode (county), school_id, year, stage, teacher_id. Amounts in yuan, areas in m².
-- Years are school years labelled by their autumn (2024 = 2024–25).

CREATE TABLE metadata (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

CREATE TABLE regions (
    adcode          VARCHAR PRIMARY KEY CHECK (regexp_full_match(adcode, '[1-9][0-9]{5}')),
    county_name     VARCHAR NOT NULL,
    city_adcode     VARCHAR NOT NULL CHECK (regexp_full_match(city_adcode, '[1-9][0-9]{3}00')),
    city_name       VARCHAR NOT NULL,
    province_adcode VARCHAR NOT NULL CHECK (regexp_full_match(province_adcode, '[1-9][0-9]0000')),
    province_name   VARCHAR NOT NULL,
    county_kind     VARCHAR NOT NULL
        CHECK (county_kind IN ('区', '县', '县级市', '旗', '自治县', '自治旗', '特区', '林区', '其他')),
    CHECK (city_adcode = substr(adcode, 1, 4) || '00'),
    CHECK (province_adcode = substr(adcode, 1, 2) || '0000')
);

CREATE TABLE schools (
    school_id VARCHAR PRIMARY KEY CHECK (length(school_id) BETWEEN 1 AND 40),
    name      VARCHAR NOT NULL,
    adcode    VARCHAR NOT NULL REFERENCES regions (adcode),
    kind      VARCHAR NOT NULL
        CHECK (kind IN ('小学', '初中', '九年一贯制', '十二年一贯制', '完全中学', '教学点', '特殊教育学校')),
    locale    VARCHAR NOT NULL CHECK (locale IN ('urban', 'town', 'rural')),
    is_public BOOLEAN NOT NULL,
    longitude DOUBLE  NOT NULL CHECK (longitude BETWEEN 73 AND 136),
    latitude  DOUBLE  NOT NULL CHECK (latitude BETWEEN 3 AND 54)
);

-- Facilities belong to the school as a whole (statistics report them per school); the
-- assessment apportions them to stages by weighted enrolment (docs/method.md §1; weights in the
-- criteria file). Senior-high pupils of 完全中学 / 十二年一贯制 take their share of the
-- facilities, so they are recorded here (NULL = not reported: the split cannot be made).
-- Music / art rooms NULL = not reported (G3 has no data for the school), never zero.
CREATE TABLE school_year (
    school_id            VARCHAR  NOT NULL REFERENCES schools (school_id),
    year                 SMALLINT NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    teaching_area_m2     DOUBLE   NOT NULL CHECK (teaching_area_m2 >= 0),     -- 教学及辅助用房面积
    sports_area_m2       DOUBLE   NOT NULL CHECK (sports_area_m2 >= 0),       -- 体育运动场馆面积
    equipment_value_yuan DOUBLE   NOT NULL CHECK (equipment_value_yuan >= 0), -- 教学仪器设备值
    multimedia_rooms     INTEGER  NOT NULL CHECK (multimedia_rooms BETWEEN 0 AND 1000),
    music_rooms          INTEGER  CHECK (music_rooms BETWEEN 0 AND 100),
    music_room_min_m2    DOUBLE   CHECK (music_room_min_m2 > 0 AND music_room_min_m2 < 2000),
    art_rooms            INTEGER  CHECK (art_rooms BETWEEN 0 AND 100),
    art_room_min_m2      DOUBLE   CHECK (art_room_min_m2 > 0 AND art_room_min_m2 < 2000),
    senior_students      INTEGER  CHECK (senior_students BETWEEN 0 AND 20000),        -- 高中段在校生
    PRIMARY KEY (school_id, year),
    CHECK ((coalesce(music_rooms, 0) = 0) = (music_room_min_m2 IS NULL)),
    CHECK ((coalesce(art_rooms, 0) = 0) = (art_room_min_m2 IS NULL))
);

-- Enrolment and classes per school, year and stage.
CREATE TABLE school_stage_year (
    school_id      VARCHAR  NOT NULL REFERENCES schools (school_id),
    year           SMALLINT NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    stage          VARCHAR  NOT NULL CHECK (stage IN ('primary', 'junior')),
    students       INTEGER  NOT NULL CHECK (students BETWEEN 0 AND 20000),
    classes        INTEGER  NOT NULL CHECK (classes BETWEEN 0 AND 400),
    max_class_size INTEGER  NOT NULL CHECK (max_class_size BETWEEN 0 AND 150),
    PRIMARY KEY (school_id, year, stage),
    CHECK ((students = 0) = (classes = 0)),
    CHECK (max_class_size <= students),
    CHECK (classes = 0 OR max_class_size * classes >= students)
);

-- teachers and funding hold most rows (millions nationally): their keys and references are
-- checked by db.key_problems when a database is written (the importer refuses the version
-- otherwise), not by indexes, which were four fifths of the file and served no query. Their
-- codes are ENUMs: a value outside the list is refused like a failed CHECK, each cell is stored
-- as a small integer, and the assessment compares integers, not strings, over millions of rows.
CREATE TYPE teacher_stage AS ENUM ('primary', 'junior');
CREATE TYPE teacher_degree AS ENUM ('secondary', 'associate', 'bachelor', 'postgraduate');
CREATE TYPE teacher_backbone AS ENUM ('none', 'county', 'city', 'province', 'national');
CREATE TYPE teacher_subject AS ENUM ('chinese', 'math', 'english', 'science', 'pe', 'music', 'art',
                                     'it', 'moral', 'other');
CREATE TYPE funding_item AS ENUM ('public_funding', 'personnel', 'equipment', 'construction',
                                  'maintenance', 'teacher_training', 'other');
CREATE TYPE funding_source AS ENUM ('government', 'donation', 'other');

CREATE TABLE teachers (
    teacher_id        VARCHAR  NOT NULL CHECK (length(teacher_id) BETWEEN 1 AND 40),
    year              SMALLINT NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    school_id         VARCHAR  NOT NULL,                                  -- a school of schools
    stage             teacher_stage    NOT NULL,
    degree            teacher_degree   NOT NULL,
    backbone          teacher_backbone NOT NULL,
    subject           teacher_subject  NOT NULL,
    full_time         BOOLEAN  NOT NULL,
    certified         BOOLEAN  NOT NULL,
    exchanged         BOOLEAN  NOT NULL,
    exchange_eligible BOOLEAN  NOT NULL,
    training_hours_5y DOUBLE   NOT NULL CHECK (training_hours_5y BETWEEN 0 AND 5000),
    training_hours_year DOUBLE NOT NULL CHECK (training_hours_year BETWEEN 0 AND 1000),
    annual_pay_yuan   DOUBLE   NOT NULL CHECK (annual_pay_yuan BETWEEN 0 AND 2000000)
    -- key: (teacher_id, year)
);

CREATE TABLE funding (
    school_id   VARCHAR  NOT NULL,                                        -- a school of schools
    year        SMALLINT NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    item        funding_item   NOT NULL,
    source      funding_source NOT NULL,
    amount_yuan DOUBLE   NOT NULL CHECK (amount_yuan >= 0)
    -- key: (school_id, year, item, source)
);

-- County-level figures and attestations. NULL means "not reported": the assessment marks the
-- criterion as no-data, never as passed.
CREATE TABLE county_year (
    adcode                      VARCHAR  NOT NULL REFERENCES regions (adcode),
    year                        SMALLINT NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    public_funding_norm_primary DOUBLE   CHECK (public_funding_norm_primary > 0),  -- 公用经费基准定额, yuan/student
    public_funding_norm_junior  DOUBLE   CHECK (public_funding_norm_junior > 0),
    civil_servant_pay_yuan      DOUBLE   CHECK (civil_servant_pay_yuan > 0),        -- G8
    junior_retention_rate       DOUBLE   CHECK (junior_retention_rate BETWEEN 0 AND 1),      -- Q1
    disabled_enrolment_rate     DOUBLE   CHECK (disabled_enrolment_rate BETWEEN 0 AND 1),    -- Q2
    migrant_public_share        DOUBLE   CHECK (migrant_public_share BETWEEN 0 AND 1),
    quality_hs_quota_share      DOUBLE   CHECK (quality_hs_quota_share BETWEEN 0 AND 1),     -- G15
    nearby_admission_primary    DOUBLE   CHECK (nearby_admission_primary BETWEEN 0 AND 1),   -- G14
    nearby_admission_junior     DOUBLE   CHECK (nearby_admission_junior BETWEEN 0 AND 1),
    recognition_rate            DOUBLE   CHECK (recognition_rate BETWEEN 0 AND 1),           -- 社会认可度
    quality_monitoring_level    SMALLINT CHECK (quality_monitoring_level BETWEEN 1 AND 4),   -- Q9, lowest subject level
    quality_monitoring_diff     DOUBLE   CHECK (quality_monitoring_diff BETWEEN 0 AND 1),    -- Q9, inter-school difference rate
    g1_layout_planned           BOOLEAN,
    g2_four_unified             BOOLEAN,
    g10_post_allocation         BOOLEAN,
    g13_new_area_schools        BOOLEAN,
    q3_charter_management       BOOLEAN,
    q5_ict_use                  BOOLEAN,
    q6_moral_education          BOOLEAN,
    q7_curriculum               BOOLEAN,
    q8_homework_burden          BOOLEAN,
    left_behind_care            BOOLEAN,
    veto_exam_admission         BOOLEAN NOT NULL DEFAULT FALSE,
    veto_school_choice          BOOLEAN NOT NULL DEFAULT FALSE,
    veto_key_schools            BOOLEAN NOT NULL DEFAULT FALSE,
    veto_unfilled_posts         BOOLEAN NOT NULL DEFAULT FALSE,  -- V4 有编不补、长期聘用编外教师
    veto_major_incident         BOOLEAN NOT NULL DEFAULT FALSE,  -- V5 重大安全责任事故、严重违纪违规
    veto_falsified_data         BOOLEAN NOT NULL DEFAULT FALSE,  -- V6 弄虚作假
    PRIMARY KEY (adcode, year)
);
