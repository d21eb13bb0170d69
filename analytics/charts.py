"""Altair charts shared by pages (and later exports): one visual theme, Chinese labels."""

from __future__ import annotations

import altair as alt
import pandas as pd

from analytics.i18n import stage_label, status_label, t
from analytics.maps import STATUS_COLORS

FONT = "Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif"
PASS_COLOUR = "#2c7bb6"
FAIL_COLOUR = "#d73027"
STAGE_COLOURS = {"primary": "#2c7fb8", "junior": "#7fcdbb", "all": "#253494"}


def themed(chart: alt.Chart) -> alt.Chart:
    """Apply the project's chart theme (fonts, sizes, no chart border)."""
    return (chart.configure(font=FONT)
            .configure_axis(labelFontSize=12, titleFontSize=12, labelFont=FONT, titleFont=FONT)
            .configure_legend(labelFontSize=12, titleFontSize=12, labelFont=FONT, titleFont=FONT)
            .configure_title(fontSize=15, font=FONT, anchor="start")
            .configure_view(strokeWidth=0))


def cv_bars(cv: pd.DataFrame, lang: str = "zh") -> alt.Chart:
    """Bars of the 7 difference coefficients per stage with the stage's limit as a tick."""
    data = cv.assign(
        indicator=cv["criterion"] + " " + (cv["name_en"] if lang == "en" else cv["name_zh"]).str.slice(0, 14),
        stage_label=cv["stage"].map(lambda s: stage_label(s, lang)),
        verdict=cv["passed"].map({True: "ok", False: "fail"}).fillna("ok"),
    )
    base = alt.Chart(data).encode(
        y=alt.Y("indicator:N", title=None, sort=None),
        yOffset=alt.YOffset("stage_label:N"),
    )
    bars = base.mark_bar(height=9).encode(
        x=alt.X("value:Q", title=t("col_cv_composite", lang).replace("综合", "") if lang == "zh" else "CV"),
        color=alt.Color("verdict:N", scale=alt.Scale(domain=["ok", "fail"], range=[PASS_COLOUR, FAIL_COLOUR]),
                        legend=None),
        tooltip=[alt.Tooltip("indicator:N", title=t("col_criterion", lang)),
                 alt.Tooltip("stage_label:N", title=t("col_stage", lang)),
                 alt.Tooltip("value:Q", title=t("col_value", lang), format=".3f"),
                 alt.Tooltip("standard:Q", title=t("cv_threshold", lang), format=".2f")],
    )
    limits = base.mark_tick(color="#333", thickness=2, size=14).encode(x="standard:Q")
    labels = base.mark_text(align="left", dx=4, fontSize=11).encode(
        x="value:Q", text=alt.Text("value:Q", format=".2f"))
    return themed((bars + limits + labels).properties(height=alt.Step(22), title=t("cv_chart", lang)))


def trend_lines(trend: pd.DataFrame, lang: str = "zh") -> tuple[alt.Chart, alt.Chart]:
    """Two small charts per year and stage: failed criteria, and the composite CV."""
    data = trend.assign(stage_label=trend["stage"].map(lambda s: stage_label(s, lang)),
                        status_label=trend["status"].map(lambda s: status_label(s, lang)))
    colour = alt.Color("stage_label:N", title=t("col_stage", lang),
                       scale=alt.Scale(domain=[stage_label(s, lang) for s in STAGE_COLOURS],
                                       range=list(STAGE_COLOURS.values())))
    x = alt.X("year:O", title=t("col_year", lang), axis=alt.Axis(labelAngle=0))
    failed = alt.Chart(data).mark_line(point=True).encode(
        x=x, y=alt.Y("failed:Q", title=t("col_failed", lang), axis=alt.Axis(tickMinStep=1)), color=colour,
        tooltip=["year:O", alt.Tooltip("stage_label:N", title=t("col_stage", lang)),
                 alt.Tooltip("status_label:N", title=t("col_status", lang)), "failed:Q"],
    ).properties(height=220, title=t("col_failed", lang))
    cv = alt.Chart(data).mark_line(point=True).encode(
        x=x, y=alt.Y("cv_composite:Q", title=t("col_cv_composite", lang)), color=colour,
        tooltip=["year:O", alt.Tooltip("stage_label:N", title=t("col_stage", lang)),
                 alt.Tooltip("cv_composite:Q", format=".3f")],
    ).properties(height=220, title=t("col_cv_composite", lang))
    return themed(failed), themed(cv)


def status_counts(counties: pd.DataFrame, lang: str = "zh") -> alt.Chart:
    """Counties per status and year (stacked bars)."""
    data = counties.groupby(["year", "status"]).size().rename("n").reset_index()
    data["label"] = data["status"].map(lambda s: status_label(s, lang))
    order = [status_label(s, lang) for s in STATUS_COLORS]
    colours = ["#%02x%02x%02x" % c for c in STATUS_COLORS.values()]
    return themed(alt.Chart(data).mark_bar().encode(
        x=alt.X("year:O", title=t("col_year", lang)),
        y=alt.Y("n:Q", title=t("counties", lang)),
        color=alt.Color("label:N", title=t("col_status", lang), scale=alt.Scale(domain=order, range=colours),
                        sort=order),
        order=alt.Order("status:N"),
        tooltip=["year:O", "label:N", "n:Q"],
    ).properties(height=220, title=t("status_counts", lang)))


def _axis_format(unit: str) -> str:
    return ".0%" if unit in ("%", "pp") else ",.1f" if unit in ("h", "×") else ".2f"


def progress_chart(series: pd.DataFrame, milestones: pd.DataFrame, path: pd.DataFrame, projection: pd.DataFrame,
                   title: str, subtitle: str, unit: str, phases: dict[int, dict[str, str]] | None = None,
                   lang: str = "zh") -> alt.Chart:
    """A target's trajectory: peers as faint lines, the region highlighted, the required path from
    the baseline to each milestone (dashed), milestone markers, the projection (dotted), and the
    plan's phase names under the years.

    series: adcode, year, value, selected; milestones: year, value, label; path: year, value;
    projection: year, value (two points: latest and target year).
    """
    years = sorted({*series["year"].astype(int), *milestones["year"].astype(int), *(phases or {})})
    # phase names (plan 002: 基础夯实, 重点突破, 全面提升) as a second line under their year
    label_expr = "datum.label"
    for year, names in sorted((phases or {}).items()):
        name = names["en" if lang == "en" else "zh"].replace("'", "")
        label_expr = f"datum.label == '{year}' ? ['{year}', '{name}'] : ({label_expr})"
    x = alt.X("year:O", title=None, scale=alt.Scale(domain=years),
              axis=alt.Axis(labelAngle=0, labelExpr=label_expr, labelLineHeight=15))
    fmt = _axis_format(unit)
    y = alt.Y("value:Q", title=None, axis=alt.Axis(format=fmt), scale=alt.Scale(zero=False))
    peers = alt.Chart(series[~series["selected"]]).mark_line(color="#9aa5b1", opacity=0.35, strokeWidth=1).encode(
        x=x, y=y, detail="adcode:N")
    mine = series[series["selected"]]
    own = alt.Chart(mine).mark_line(color=STAGE_COLOURS["all"], strokeWidth=3, point=alt.OverlayMarkDef(size=50)).encode(
        x=x, y=y, tooltip=[alt.Tooltip("year:O", title=t("col_year", lang)),
                           alt.Tooltip("value:Q", title=t("col_value", lang), format=fmt.replace("0%", "1%"))])
    required = alt.Chart(path).mark_line(color=FAIL_COLOUR, strokeDash=[6, 4], strokeWidth=1.5).encode(x=x, y=y)
    marks = alt.Chart(milestones).mark_point(shape="diamond", size=140, filled=True, color=FAIL_COLOUR).encode(
        x=x, y=y, tooltip=[alt.Tooltip("label:N", title=t("col_target", lang))])
    labels = alt.Chart(milestones).mark_text(align="right", dx=-9, dy=-9, fontSize=11, color=FAIL_COLOUR).encode(
        x=x, y=y, text="label:N")
    layers = [peers, required, own, marks, labels]
    if not projection.empty:
        layers.insert(2, alt.Chart(projection).mark_line(color=STAGE_COLOURS["all"], strokeDash=[2, 3],
                                                         strokeWidth=2).encode(x=x, y=y))
    return themed(alt.layer(*layers).properties(
        height=230, title=alt.TitleParams(title, subtitle=subtitle, subtitleColor="#555", subtitleFontSize=11)))
