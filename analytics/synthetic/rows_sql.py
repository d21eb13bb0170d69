"""The demo's bulk rows, drawn in DuckDB from the per-school parameters demo.py makes: one row per
teacher (degree, backbone, PE/arts, pay, hours, exchange…) and the funding rows. Draws are hashes
of string keys, so a seed gives the same rows whatever the order of execution."""

# Uniform draws from hashes of string keys. (DuckDB's multi-argument hash() combines its
# arguments too weakly: hash(…, 3) and hash(…, 4) are almost perfectly correlated, so the key is
# one concatenated string.) One 64-bit hash gives four 16-bit uniforms: a teacher needs three
# hashes (two fixed, one per year) instead of fourteen.
_H = "hash(concat_ws(':', $seed, g.school_id, g.stage, i{extra}))"
_BITS = "((({h} >> {shift}) & 65535) / 65536.0)"
_OFF = "(hash(concat_ws(':', $seed, school_id, stage, {tag})) / 18446744073709551616.0)"
# Exact trait counts: a school-stage with n teachers gives a trait (degree, backbone, PE/arts)
# to exactly round(p·n) of them, rotated by a per-school offset so that different traits fall on
# different teachers. (A low-discrepancy draw, frac(i·φ + offset) < p, is off by up to 2 at
# small n — the difference between a 140-pupil school having the 2 PE/arts teachers the 85 %
# rule needs, or 1 — and with φ near a simple fraction far more.)
_LD = "((((i + floor({off} * g.n_teachers)::BIGINT) % g.n_teachers) + 0.5) / g.n_teachers)"

TEACHERS_SQL = f"""
INSERT INTO teachers
WITH params AS (
    -- per school and stage: the trait offsets, computed once, not once per teacher
    SELECT *, {_OFF.format(tag=1)} AS off_degree, {_OFF.format(tag=3)} AS off_backbone,
           {_OFF.format(tag=5)} AS off_pe
    FROM _gen_teacher_params
), slots AS (
    SELECT p.*, unnest(range(p.n_teachers)) AS i FROM params p
), hashed AS (
    SELECT g.*, {_H.format(extra=", 'a'")} AS h1, {_H.format(extra=", 'b'")} AS h2,
           {_H.format(extra=", g.year")} AS hy
    FROM slots g
), draws AS (
    SELECT
        g.*, c.dev, c.pay_base, s.locale,
        -- a county pushing for certification fixes its teacher policies after the first year:
        -- more exchanges, every teacher certified and trained
        c.exchange_rate + CASE WHEN c.pushing THEN 0.03 * (g.year - $first_year) ELSE 0 END AS exchange_rate,
        CASE WHEN c.pushing AND g.year > $first_year THEN 0 ELSE c.uncertified END AS uncertified,
        CASE WHEN c.pushing AND g.year > $first_year THEN 0 ELSE c.short_training END AS short_training,
        {_LD.format(off="g.off_degree")} AS u_degree, {_LD.format(off="g.off_backbone")} AS u_backbone,
        {_LD.format(off="g.off_pe")} AS u_pe,
        {_BITS.format(h="h1", shift=0)} AS u_level, {_BITS.format(h="h1", shift=16)} AS u_backbone_level,
        {_BITS.format(h="h1", shift=32)} AS u_subject, {_BITS.format(h="h1", shift=48)} AS u_cert,
        {_BITS.format(h="h2", shift=0)} AS u_eligible, {_BITS.format(h="h2", shift=16)} AS u_pay,
        {_BITS.format(h="h2", shift=32)} AS u_full_time,
        {_BITS.format(h="hy", shift=0)} AS u_exchange, {_BITS.format(h="hy", shift=16)} AS u_short,
        {_BITS.format(h="hy", shift=32)} AS u_hours, {_BITS.format(h="hy", shift=48)} AS u_year_hours
    FROM hashed g
    JOIN _gen_counties c ON c.adcode = substr(g.school_id, 1, 6)
    JOIN schools s ON s.school_id = g.school_id
), teachers AS (
    SELECT
        -- pseudonymous: the school, the stage and a number (no name, no id number)
        'T' || school_id || CASE stage WHEN 'primary' THEN 'P' ELSE 'J' END || lpad(i::VARCHAR, 4, '0') AS teacher_id,
        year, school_id, stage,
        CASE
            WHEN stage = 'primary' AND u_degree < p_qualified THEN
                CASE WHEN u_level < 0.04 * dev THEN 'postgraduate'
                     WHEN u_level < 0.35 + 0.5 * dev + CASE locale WHEN 'rural' THEN -0.1 ELSE 0.1 END
                         THEN 'bachelor' ELSE 'associate' END
            WHEN stage = 'primary' THEN 'secondary'
            WHEN u_degree < p_qualified THEN CASE WHEN u_level < 0.1 * dev THEN 'postgraduate' ELSE 'bachelor' END
            ELSE CASE WHEN u_level < 0.9 THEN 'associate' ELSE 'secondary' END
        END AS degree,
        CASE WHEN u_backbone >= p_backbone THEN 'none'
             WHEN u_backbone_level < 0.6 THEN 'county'
             WHEN u_backbone_level < 0.88 THEN 'city'
             WHEN u_backbone_level < 0.98 THEN 'province'
             ELSE 'national' END AS backbone,
        CASE WHEN u_pe < p_pe_arts THEN
                 CASE WHEN u_subject < 0.45 THEN 'pe' WHEN u_subject < 0.75 THEN 'music' ELSE 'art' END
             WHEN u_subject < 0.30 THEN 'chinese' WHEN u_subject < 0.55 THEN 'math'
             WHEN u_subject < 0.67 THEN 'english' WHEN u_subject < 0.77 THEN 'science'
             WHEN u_subject < 0.83 THEN 'it' WHEN u_subject < 0.91 THEN 'moral'
             ELSE 'other' END AS subject,
        -- part-time posts (3 %) fall on teachers without a backbone or PE/arts designation
        u_full_time >= 0.03 OR u_backbone < p_backbone OR u_pe < p_pe_arts AS full_time,
        u_cert >= uncertified AS certified,
        u_eligible < $eligible AS exchange_eligible,
        u_eligible < $eligible
            AND u_exchange < exchange_rate * CASE WHEN u_backbone < p_backbone THEN 1.8 ELSE 1.0 END
            AS exchanged,
        round(CASE WHEN u_short < short_training THEN 200 + 150 * u_hours
                   ELSE 362 + 150 * u_hours + 60 * dev END, 0) AS training_hours_5y,
        u_year_hours AS u_year_hours,
        round(pay_base * (0.82 + 0.36 * u_pay), -2) AS annual_pay_yuan
    FROM draws
)
SELECT teacher_id, year, school_id, stage, degree, backbone, subject, full_time, certified,
       exchanged, exchange_eligible, training_hours_5y,
       round(training_hours_5y / 5 * (0.75 + 0.5 * u_year_hours), 0) AS training_hours_year,
       annual_pay_yuan
FROM teachers
"""

FUNDING_SQL = """
INSERT INTO funding
WITH pupils AS (
    SELECT ssy.school_id, ssy.year,
           sum(ssy.students * CASE ssy.stage WHEN 'primary' THEN cy.public_funding_norm_primary
                                            ELSE cy.public_funding_norm_junior END) AS norm_amount,
           sum(ssy.students) AS students
    FROM school_stage_year ssy
    JOIN schools s USING (school_id)
    JOIN county_year cy ON cy.adcode = s.adcode AND cy.year = ssy.year
    GROUP BY ALL
), base AS (
    SELECT p.school_id, p.year, s.kind, s.locale, c.dev, c.g6_ok, c.maintenance_share, c.donation_share,
           -- a sloppy county under-spends on training at a few schools, until it pushes for certification
           c.sloppy AND NOT (c.pushing AND p.year > $first_year) AS sloppy,
           CASE WHEN s.kind = '特殊教育学校' THEN $special * p.students * (0.9 + 0.4 * c.dev)
                WHEN ((s.kind = '小学' AND s.locale = 'rural') OR s.kind = '教学点') AND p.students < 100
                     AND (c.g6_ok OR (c.pushing AND p.year > $first_year))
                    THEN p.norm_amount / p.students * 100
                ELSE p.norm_amount END AS public_funding,
           sy.equipment_value_yuan, sy.teaching_area_m2,
           hash(concat_ws(':', $seed, p.school_id, p.year)) / 18446744073709551616.0 AS u
    FROM pupils p
    JOIN schools s USING (school_id)
    JOIN school_year sy USING (school_id, year)
    JOIN _gen_counties c ON c.adcode = s.adcode
    WHERE p.students > 0
), pay AS (
    SELECT school_id, year, sum(annual_pay_yuan) AS personnel FROM teachers GROUP BY ALL
), items AS (
    SELECT school_id, year, 'public_funding' AS item, 'government' AS source, public_funding AS amount FROM base
    UNION ALL SELECT school_id, year, 'teacher_training', 'government',
                     public_funding * (CASE WHEN sloppy AND u < 0.03 THEN 0.035 ELSE 0.0505 END + 0.03 * u) FROM base
    UNION ALL SELECT school_id, year, 'equipment', 'government', equipment_value_yuan * (0.06 + 0.06 * u) FROM base
    UNION ALL SELECT school_id, year, 'construction', 'government', teaching_area_m2 * 3200 * 0.04 * u FROM base
    UNION ALL SELECT school_id, year, 'personnel', 'government', personnel FROM pay
), shares AS (
    -- maintenance (运维) and donations as shares of all the school's funding: m and d of the
    -- total once they are added, so amount = other items × share / (1 − m − d)
    SELECT i.school_id, i.year, sum(i.amount) AS other,
           least(b.maintenance_share + $maintenance_trend * (i.year - $first_year), 0.4) AS m,
           b.donation_share * (0.5 + b.u) AS d
    FROM items i JOIN base b USING (school_id, year)
    GROUP BY i.school_id, i.year, b.maintenance_share, b.donation_share, b.u
), extra AS (
    SELECT school_id, year, 'maintenance' AS item, 'government' AS source, other * m / (1 - m - d) AS amount
    FROM shares
    UNION ALL SELECT school_id, year, 'equipment', 'donation', other * d / (1 - m - d) * 0.6 FROM shares
    UNION ALL SELECT school_id, year, 'other', 'donation', other * d / (1 - m - d) * 0.4 FROM shares
)
SELECT school_id, year, item, source, round(amount, 0) FROM items
UNION ALL SELECT school_id, year, item, source, round(amount, 0) FROM extra
"""
