"""Command line: `python -m analytics build-demo | info | assess | progress | gap | export | template |
import | export-tables …`."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import pandas as pd

from analytics.assess import balance, gap, progress, targets
from analytics.assess.criteria import load_criteria
from analytics.atlas import regions
from analytics.core.errors import JunhengError
from analytics.core.paths import database_path
from analytics.store import db
from analytics.synthetic import demo

ASSESS_COLUMNS = (
    ["adcode", "county_name", "city_name", "year", "stage", "schools_assessed"]
    + [f"cv_r{i}" for i in range(1, 8)]
    + ["cv_composite", "noncompliant_schools", "failed", "failed_criteria", "missing", "missing_criteria",
       "veto_criteria", "status"]
)


class CliError(JunhengError):
    """A user-facing error: printed without a traceback, exit status 2."""


def _print_frame(frame: pd.DataFrame, fmt: str) -> None:
    if fmt == "csv":
        frame.to_csv(sys.stdout, index=False, float_format="%.4f")
    elif fmt == "json":
        json.dump(json.loads(frame.to_json(orient="records", force_ascii=False, double_precision=6)),
                  sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        with pd.option_context("display.max_rows", None, "display.max_columns", None, "display.width", 250,
                               "display.float_format", "{:.3f}".format):
            print(frame.to_string(index=False))


def cmd_build_demo(args: argparse.Namespace) -> None:
    years = tuple(args.years) if args.years else demo.DEFAULT_YEARS
    started = time.time()

    def report(fraction: float, message: str) -> None:
        print(f"[{fraction:4.0%}] {message}", file=sys.stderr)

    s = demo.build_demo(args.db, scope=args.scope, seed=args.seed, years=years, progress=report)
    size = Path(args.db).stat().st_size / 1e6
    print(f"built {args.db} in {time.time() - started:.1f} s ({size:.0f} MB): {s.line()}")


def cmd_info(args: argparse.Namespace) -> None:
    con = db.connect(args.db)
    s = db.summary(con)
    print(f"database: {args.db}")
    for k, v in s.meta.items():
        if k != "derived":  # the stored results' stamp: its state is the last line
            print(f"  {k}: {v}")
    print(s.line())
    state = balance.stored_state(con, load_criteria(args.criteria) if getattr(args, "criteria", None) else load_criteria())
    kept = balance.stored_rule_sets(con)
    if kept:
        print(f"  stored rule sets: {', '.join(kept)}")
    print({"current": "stored assessment: current (pages read it)",
           "stale": "stored assessment: of other criteria or an earlier version (computed instead; "
                    "`python -m analytics migrate` stores it again)",
           "none": "stored assessment: none (computed when read)"}[state])


def cmd_assess(args: argparse.Namespace) -> None:
    con = db.connect(args.db)
    available = db.years(con)
    if not available:
        raise CliError(f"{args.db} holds no school data: nothing to assess")
    if args.year not in available:
        raise CliError(f"year {args.year} is not in {args.db}; available: {', '.join(map(str, available))}")
    criteria = load_criteria(args.criteria)
    a = balance.assess(con, args.year, criteria)
    stages = ["primary", "junior", "all"] if args.stage == "all" else [args.stage]
    frame = a.counties[a.counties["stage"].isin(stages)]
    if args.region:
        frame = regions.within(frame, _checked_region(args.region))
        if frame.empty:
            raise CliError(f"no county of region {args.region} in {args.db}")
    _print_frame(frame[ASSESS_COLUMNS], args.format)


PROGRESS_COLUMNS = ["level", "adcode", "name", "metric", "stage", "target_year", "target", "direction",
                    "baseline_year", "baseline", "latest_year", "latest", "required_pace", "observed_pace",
                    "pace_ratio", "projection", "status"]


def _warn_refused(folder: targets.PlanFolder) -> None:
    """A malformed file of the plans folder, said on stderr; the good plans go on."""
    for problem in folder.problems:
        print(f"warning: plan file refused: {problem}", file=sys.stderr)


def cmd_progress(args: argparse.Namespace) -> None:
    if args.list_plans:
        folder = targets.read_plans()
        for name, plan in folder.plans.items():
            print(f"{name}\t{plan.title_zh}")
        _warn_refused(folder)
        return
    if not args.plan:
        raise CliError("give --plan NAME (or a plan file), or --list-plans")
    plan = targets.find_plan(args.plan)
    criteria = load_criteria(args.criteria)
    con = db.connect(args.db)
    available = db.years(con)
    if not available:
        raise CliError(f"{args.db} holds no school data: nothing to measure")
    if args.year is not None and args.year not in available:
        raise CliError(f"year {args.year} is not in {args.db}; available: {', '.join(map(str, available))}")
    table = progress.plan_progress(con, plan, args.year, criteria)
    if args.region:
        _checked_region(args.region)
        table = regions.within(table, args.region)
        if table.empty:
            raise CliError(f"region {args.region} is not in {args.db}")
    _print_frame(table[PROGRESS_COLUMNS], args.format)


GAP_COLUMNS = ["adcode", "county_name", "city_name", "stage", "students", "teachers_hire", "hire_backbone",
               "hire_pe_arts", "hire_regular", "teachers_rotate", "area_m2", "sports_m2", "equipment_yuan",
               "multimedia_rooms", "capital_yuan", "personnel_yuan_per_year", "cost_yuan", "cost_per_pupil",
               "status_before", "resource_pass_after", "schools_missing_data", "missing_criteria", "unfixable"]


def cmd_gap(args: argparse.Namespace) -> None:
    criteria = load_criteria(args.criteria)
    costs = gap.load_costs(args.costs)
    if args.region:
        _checked_region(args.region)
    con = db.connect(args.db)
    available = db.years(con)
    if args.year not in available:
        raise CliError(f"year {args.year} is not in {args.db}; available: {', '.join(map(str, available)) or 'none'}")
    plan = gap.make_plan(con, args.year, criteria, costs)
    con.close()
    rows = plan.stages
    counties = plan.counties
    if rows.empty:  # counties known, but no school with pupils that year: nothing to price
        raise CliError(f"{args.db} has no school with pupils in {args.year} (import the school-stage file): "
                       "nothing to plan")
    if args.region:
        rows = regions.within(rows, args.region)
        counties = regions.within(counties, args.region)
        if rows.empty:
            raise CliError(f"region {args.region} has no assessed schools in {args.db}")
    columns = list(GAP_COLUMNS)
    rows = rows.assign(would_pass=rows["adcode"].map(counties.set_index("adcode")["would_pass"]))
    columns.append("would_pass")
    if args.budget is not None:
        outcome = gap.budget_outcome(counties, args.budget)
        rows = rows.assign(funded=rows["adcode"].isin(set(outcome["funded"]["adcode"])))
        columns.append("funded")
        print(f"budget {args.budget:,.0f} yuan: fund {len(outcome['funded'])} counties that need money "
              f"({outcome['spent']:,.0f} yuan), {len(outcome['free'])} pass without any; "
              f"{outcome['now']} pass now, {outcome['after']} would pass of {outcome['total']}", file=sys.stderr)
    _print_frame(rows[columns], args.format)
    if args.apply_to:
        target = gap.apply_plan(args.db, args.apply_to, plan)
        print(f"scenario written to {target} (the {args.year} plan applied to every county)", file=sys.stderr)


def cmd_export(args: argparse.Namespace) -> None:
    from analytics.export import exports, output, pack, slides  # rendering libraries load only for an export

    _checked_region(args.region)
    criteria = load_criteria(args.criteria)
    if args.plan:
        plan = targets.find_plan(args.plan)
    else:
        folder = targets.read_plans()
        _warn_refused(folder)
        if not folder.plans:
            raise CliError(f"no usable plan in {targets.PLANS_DIR}: give --plan FILE")
        plan = next(iter(folder.plans.values()))
    con = db.connect(args.db)
    available = db.years(con)
    if args.year not in available:
        raise CliError(f"year {args.year} is not in {args.db}; available: {', '.join(map(str, available)) or 'none'}")
    started = time.time()
    a = balance.assess(con, None, criteria)
    if regions.within(a.counties, _checked_region(args.region)).empty:
        raise CliError(f"region {args.region} is not in {args.db}")
    gaps = balance.urban_rural_gaps(con, None, criteria)
    values = progress.metric_values(con, a, gaps)
    names = progress.region_names(a, args.lang)
    table = progress.progress(values, plan, args.year, names)
    rules = ""  # another criteria file: every exported file names it
    if getattr(args, "criteria", None):
        source = criteria.source
        rules = str(source.get("title_en" if args.lang == "en" else "title") or Path(args.criteria).stem)
    ctx = output.context_from(db.metadata(con), db.is_synthetic(con), args.lang, rules=rules)
    con.close()
    briefing = exports.Briefing(a, gaps, criteria, args.region, args.year, args.stage, ctx, plan, values, table, names)
    if args.format == "pptx":
        files = {f"{args.region}_{args.year}_slides.pptx": slides.deck(briefing)}
    else:
        files = pack.briefing_pack(briefing)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (args.out / name).write_bytes(data)
    size = sum(len(d) for d in files.values()) / 1e6
    print(f"wrote {len(files)} files ({size:.1f} MB) to {args.out} in {time.time() - started:.1f} s", file=sys.stderr)
    for name in files:
        print(args.out / name)


def cmd_boundaries(args: argparse.Namespace) -> None:
    from analytics.ingest import boundaries

    if args.action == "remove":
        print("removed the reviewed boundaries: maps are 示意图 again" if boundaries.remove_reviewed()
              else "no reviewed boundaries to remove")
        return
    known: set[str] = set()
    if Path(args.db).exists():
        con = db.connect(args.db)
        known = set(balance.assess(con, None).counties["adcode"])
        con.close()
    report = boundaries.import_reviewed(args.file, args.review_no, args.crs, known, args.source or "")
    print(f"imported {report['counties_in_file']} counties with {args.review_no}; the database's counties covered: "
          f"{report['covered']}/{report['counties_in_data']}")
    if report["missing"]:
        print(f"not in the file ({len(report['missing'])}): {', '.join(report['missing'][:20])}"
              + (" …" if len(report["missing"]) > 20 else ""))
    if report["extra"]:
        print(f"in the file but not the database ({len(report['extra'])}): {', '.join(report['extra'][:20])}"
              + (" …" if len(report["extra"]) > 20 else ""))
    print("restart the app to draw them; every map now prints the 审图号 instead of 示意图")


def cmd_template(args: argparse.Namespace) -> None:
    from analytics.ingest import templates

    for path in templates.write_templates(args.out):
        print(path)


def cmd_import(args: argparse.Namespace) -> None:
    from analytics.ingest import importer
    from analytics.present import display

    files = []
    for f in args.files:
        if not f.exists():
            raise CliError(f"file not found: {f}")
        files.append((f.name, f.read_bytes()))
    try:
        result = importer.import_isolated(args.db, files, mode=args.mode, new=args.new, source=args.source)
    except importer.ImportFailed as exc:
        column = "problem_en" if args.lang == "en" else "problem_zh"
        shown = exc.problems.head(args.show)
        for p in shown.itertuples(index=False):
            where = ", ".join(x for x in (p.file, p.sheet and f"sheet {p.sheet}", p.row != "" and f"row {p.row}",
                                          p.column and f"column {p.column}") if x)
            value = f" value {p.value!r}:" if p.value else ""
            print(f"{where}:{value} {getattr(p, column)}", file=sys.stderr)
        if args.errors_csv:
            args.errors_csv.write_bytes(display.problems_csv(exc.problems, args.lang))
        more = f" (first {len(shown)} shown)" if exc.total > len(shown) else ""
        raise CliError(f"{exc.total} problem(s){more}; nothing was imported, {args.db} is unchanged") from None
    print(result.message if not result.changed else
          f"{result.message}; {args.db} replaced" + (f", previous version kept as {result.backup}" if result.backup else ""))


def cmd_export_tables(args: argparse.Namespace) -> None:
    from analytics.ingest import templates

    con = db.connect(args.db)
    for path in templates.export_tables(con, args.out, args.format):
        print(path)
    con.close()


def _checked_region(adcode: str) -> str:
    """A --region argument, checked to be an adcode (six digits)."""
    if not regions.is_adcode(adcode):
        raise CliError(f"region must be a 6-digit adcode, got {adcode!r}")
    return adcode


def _db_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", type=Path, default=None, help="database file (default: $JUNHENG_DB or data/junheng.duckdb)")


def _criteria_and_format(p: argparse.ArgumentParser) -> None:
    p.add_argument("--criteria", type=Path, help="criteria file (default data/criteria.toml)")
    p.add_argument("--format", choices=["csv", "json", "table"], default="table")


def parser() -> argparse.ArgumentParser:
    """The command line: one sub-command per job (the analysis ones, then the data ones)."""
    p = argparse.ArgumentParser(prog="python -m analytics", description="Junheng (均衡) analytics")
    sub = p.add_subparsers(dest="command", required=True)
    _analysis_commands(sub)
    _data_commands(sub)
    return p


def _analysis_commands(sub) -> None:
    """build-demo, info, assess, progress, gap, export."""
    b = sub.add_parser("build-demo", help="generate the synthetic demo database")
    _db_option(b)
    b.add_argument("--scope", choices=sorted(demo.SCOPES), default="sichuan")
    b.add_argument("--seed", type=int, default=demo.DEFAULT_SEED)
    b.add_argument("--years", type=int, nargs="+", help="school years (default 2023 2024 2025 2026)")
    b.set_defaults(func=cmd_build_demo)

    i = sub.add_parser("info", help="what a database holds")
    _db_option(i)
    i.set_defaults(func=cmd_info)

    a = sub.add_parser("assess", help="优质均衡 assessment, one row per county and stage")
    _db_option(a)
    a.add_argument("--year", type=int, required=True)
    a.add_argument("--stage", choices=["primary", "junior", "all"], default="all")
    a.add_argument("--region", help="adcode of a province, city or county to keep")
    _criteria_and_format(a)
    a.set_defaults(func=cmd_assess)

    g = sub.add_parser("progress", help="progress towards a target plan, one row per region and target")
    _db_option(g)
    g.add_argument("--plan", help="plan name (see --list-plans) or a plan file")
    g.add_argument("--list-plans", action="store_true", help="print the plans' names and titles")
    g.add_argument("--region", help="adcode of a province, city or county: it and the regions inside it")
    g.add_argument("--year", type=int, help="judge as of this school year (default: the latest)")
    _criteria_and_format(g)
    g.set_defaults(func=cmd_progress)

    c = sub.add_parser("gap", help="what each county needs to pass the resource part, and its cost")
    _db_option(c)
    c.add_argument("--year", type=int, required=True)
    c.add_argument("--region", help="adcode of a province, city or county to keep")
    c.add_argument("--budget", type=float, help="total yuan: which counties to fund first (cheapest passing first)")
    c.add_argument("--apply-to", type=Path, help="write a scenario copy of the database with the plan applied")
    c.add_argument("--costs", type=Path, help="unit-costs file (default data/unit_costs.toml)")
    _criteria_and_format(c)
    c.set_defaults(func=cmd_gap)

    e = sub.add_parser("export", help="briefing pack of a region: sheet PDF, maps, charts, Excel tables")
    _db_option(e)
    e.add_argument("--region", required=True, help="adcode of a province, city or county")
    e.add_argument("--year", type=int, required=True)
    e.add_argument("--plan", help="target plan name or file (default: the first plan)")
    e.add_argument("--stage", choices=["primary", "junior", "all"], default="all")
    e.add_argument("--lang", choices=["zh", "en"], default="zh")
    e.add_argument("--criteria", type=Path, help="criteria file (default data/criteria.toml)")
    e.add_argument("--out", type=Path, required=True, help="folder to write the files to")
    e.add_argument("--format", choices=["pack", "pptx"], default="pack",
                   help="pack: every file (sheet, maps, charts, tables, slides); pptx: the 16:9 slide deck only")
    e.set_defaults(func=cmd_export)


def _data_commands(sub) -> None:
    """boundaries, template, import, export-tables, migrate."""
    bd = sub.add_parser("boundaries", help="use reviewed standard boundaries (审图号) instead of the built-in sketch")
    # import and remove as sub-commands: options may then stand before or after FILE
    actions = bd.add_subparsers(dest="action", required=True)
    bi = actions.add_parser("import", help="check a reviewed county layer and use it on every map")
    _db_option(bi)
    bi.add_argument("file", type=Path, help="GeoJSON or Shapefile: one (Multi)Polygon per county, with adcode")
    bi.add_argument("--review-no", required=True, help="the map's 审图号, e.g. GS(2024)1234号")
    bi.add_argument("--crs", choices=["wgs84", "gcj02"], default="wgs84", help="coordinates of the file")
    bi.add_argument("--source", help="how the source is named on maps (default: file name and 审图号)")
    br = actions.add_parser("remove", help="go back to the built-in boundaries (示意图)")
    _db_option(br)
    bd.set_defaults(func=cmd_boundaries)

    tp = sub.add_parser("template", help="import templates: CSV and XLSX per table with a data dictionary")
    tp.add_argument("--out", type=Path, required=True)
    tp.set_defaults(func=cmd_template)

    im = sub.add_parser("import", help="check files and import them into a new version of the database")
    _db_option(im)
    im.add_argument("files", type=Path, nargs="+", help="CSV (UTF-8 or GBK) or XLSX files")
    im.add_argument("--mode", choices=["replace", "append"], default="replace",
                    help="replace: a year in the files replaces that year of the counties they cover; "
                         "append: only years the database does not have")
    im.add_argument("--new", action="store_true", help="start from an empty database (required over demo data)")
    im.add_argument("--source", help="where the data comes from, shown on screens and exports")
    im.add_argument("--lang", choices=["zh", "en"], default="zh", help="language of the problem messages")
    im.add_argument("--errors-csv", type=Path, help="also write every problem to this CSV")
    im.add_argument("--show", type=int, default=50, help="problems to print (default 50)")
    im.set_defaults(func=cmd_import)

    et = sub.add_parser("export-tables", help="write the database in the template format")
    _db_option(et)
    et.add_argument("--out", type=Path, required=True)
    et.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    et.set_defaults(func=cmd_export_tables)
    mg = sub.add_parser("migrate", help="rewrite a database written by an earlier version in the current data model")
    _db_option(mg)
    mg.set_defaults(func=cmd_migrate)


def cmd_migrate(args: argparse.Namespace) -> None:
    from analytics.ingest import importer

    print(importer.migrate(args.db))


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if getattr(args, "db", "unset") is None:
        args.db = database_path()
    try:
        args.func(args)
    except JunhengError as exc:  # every error a user can act on: one line, exit 2
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    return 0
