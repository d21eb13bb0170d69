"""The briefing pack: every file of a region's briefing in one go (sheet, maps, charts, the official
tables, the slide deck), for the Briefing page's ZIP and `python -m analytics export`."""

from __future__ import annotations

from analytics.assess import balance
from analytics.atlas import regions
from analytics.export import exports, rendering, reports
from analytics.export import slides as deck
from analytics.present import fonts

CHART_FORMATS = ("png2", "svg")  # maps come in every format (print), charts as PNG and SVG


def prepare() -> None:
    """Start the process that renders packs and writes their workbooks (about a second, once per
    server) before a pack is asked for: the Briefing page calls it when it opens."""
    rendering.start_helper()


def briefing_pack(b: exports.Briefing, slides: bool = True) -> dict[str, bytes]:
    """Every file of a region's briefing: sheet PDF (and PNG), map PNG/SVG/PDF, charts, Excel,
    and the slide deck (unless slides=False)."""
    region, year = b.region, b.year
    stem = f"{region}_{year}"
    # the helper writes the official tables first, while the figures are built here (it is given
    # only this region and year: the whole assessment would take longer to send than to use)
    workbook = rendering.submit(reports.workbook, b.a.part(region, year), b.criteria, region, year, b.ctx)
    try:
        rendered, pptx = _figures_and_slides(b, slides)
    except BaseException:
        rendering.forget(workbook)
        raise
    files: dict[str, bytes] = {}
    for name in rendered:
        for fmt, data in rendered[name].items():
            files[f"{stem}_{name}{exports.EXTENSION[fmt]}"] = data
    # every SVG carries its font: one subset for them all, cut once
    svgs = [f for f in files if f.endswith(exports.EXTENSION["svg"])]
    for f, svg in zip(svgs, fonts.embed_in_svgs([files[f].decode("utf-8") for f in svgs])):
        files[f] = svg.encode("utf-8")
    files[f"{stem}_tables.xlsx"] = rendering.result(workbook)
    if pptx is not None:
        files[f"{stem}_slides.pptx"] = pptx
    return files


def _figures_and_slides(b: exports.Briefing, slides: bool) -> tuple[dict[str, dict[str, bytes]], bytes | None]:
    """The pack's figures, rendered here and in the helper, and its slide deck (None without)."""
    a, gaps, region, year, stage, ctx = b.a, b.gaps, b.region, b.year, b.stage, b.ctx
    jobs: dict[str, tuple] = {}

    def send(name: str, figure, formats: tuple[str, ...]) -> None:
        spec, page = exports.spec_of(figure)
        jobs[name] = (spec, formats, page)

    sheet = exports.briefing_sheet(b)
    send("briefing", sheet, ("pdf", rendering.PRINT_PNG))
    for i, extra in enumerate(sheet.more, start=2):  # its further pages, joined into its PDF below
        send(f"briefing_page{i}", extra, ("pdf",))
    send("map_status", exports.map_figure(b, "status"), exports.FORMATS)
    send("urban_rural", exports.gaps_figure(a, gaps, region, year, ctx), CHART_FORMATS)
    if regions.kind(region) == "county":
        send("cv", exports.cv_figure(a, region, year, stage if stage != balance.OVERALL else "all", ctx), CHART_FORMATS)
    else:
        send("map_cv_composite", exports.map_figure(b, "cv_composite"), exports.FORMATS)
        send("status_counts", exports.status_figure(a, region, stage, ctx), CHART_FORMATS)
    for metric, st in dict.fromkeys((tg.metric, tg.stage) for tg in b.plan.targets):
        send(f"progress_{metric}", exports.progress_figure(b, metric, st), CHART_FORMATS)
    # the helper renders the figures from the first when the tables are done; here the slides are
    # made meanwhile, then the figures rendered from the last until the two meet
    batch = rendering.Batch(list(jobs.values()))
    try:
        pptx = deck.deck(b) if slides else None
    except BaseException:
        batch.abandon()
        raise
    rendered = dict(zip(jobs, batch.results()))
    pages = [rendered.pop(f"briefing_page{i}")["pdf"] for i in range(2, len(sheet.more) + 2)]
    rendered["briefing"]["pdf"] = exports.join_pdfs([rendered["briefing"]["pdf"], *pages])
    return rendered, pptx
