"""Command line: ``gepcalc demo``, ``account CONFIG.toml``, ``validate CONFIG.toml``, ``project PROJECT.toml``,
``portfolio PORTFOLIO.toml``, ``compensation CONFIG.toml``, ``services``, ``profiles``, ``tables``.

Imports are lazy: this module loads typer and rich only, so ``gepcalc --help`` and ``gepcalc --version``
answer without loading xarray, dask, GDAL and pint (docs/benchmarks.md); each command imports what it
needs under a status line ("loading gepcalc"). Text from tables and messages is escaped before rich
prints it: units and tags in square brackets are not markup. Progress goes to standard error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from gepcalc import __version__
from gepcalc.errors import GepcalcError

app = typer.Typer(
    help="gepcalc — Gross Ecosystem Product (GEP, 生态系统生产总值) accounts. Outputs go to folders in the "
    "current working directory unless --out (or a config's [output]) says otherwise.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help texts are plain text: "[output]" is a TOML section, not markup
)
console = Console(width=None if Console().is_terminal else 150)
#: what -q/-v chose (-1 quiet, 0 normal, 1 verbose)
_VERBOSITY = {"level": 0}


def _version(value: bool) -> None:
    if value:
        print(f"gepcalc {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    ctx: typer.Context,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="print the version and exit")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="print only errors and the files written: no tables, bars or notes")
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="also print each phase's time")] = False,
) -> None:
    """gepcalc — Gross Ecosystem Product (GEP, 生态系统生产总值) accounts."""
    from gepcalc import progress

    _VERBOSITY["level"] = -1 if quiet else (1 if verbose else 0)
    progress.configure(_VERBOSITY["level"], enabled=True)
    # back to the library's default (silent) when the command ends: matters where the CLI runs in-process
    ctx.call_on_close(lambda: progress.configure(0, enabled=False))


def _loading():
    """Status line while a command imports the numerical stack (several seconds on a cold start)."""
    from gepcalc.progress import phase

    return phase("loading gepcalc (xarray, dask, GDAL)")


def _fmt(x: float) -> str:
    return f"{x:,.4g}" if abs(x) < 1000 else f"{x:,.0f}"


def show_account(acct, unit: str = "亿元") -> None:
    """Print an account's summary: indicators (中文/English), quantity, value, share; totals."""
    s = acct.summary(unit=unit)
    vcol = f"value [{unit}/yr]"
    t = Table(title=escape(acct.data.attrs.get("title") or "GEP account"), title_justify="left")
    for col, just in [
        ("指标", "left"),
        ("indicator", "left"),
        ("category", "left"),
        ("quantity", "right"),
        ("unit", "left"),
        (f"value {unit}/a", "right"),
        ("share", "right"),
    ]:
        t.add_column(col, justify=just)
    computed = s["status"] == "computed" if "status" in s else s[vcol].notna()
    for _, r in s[computed].iterrows():
        t.add_row(
            escape(r["指标"]),
            escape(r["indicator"]),
            r["category"],
            _fmt(r["quantity"]),
            escape(r["quantity_unit"]),
            f"{r[vcol]:,.2f}",
            f"{r['share']:.1%}",
        )
    for i, (_, r) in enumerate(s[~computed].iterrows()):  # the profile's indicators the account lacks: grey
        t.add_row(
            f"[dim]{escape(r['指标'])}",
            f"[dim]{escape(r['indicator'])}",
            f"[dim]{r['category']}",
            "",
            f"[dim]{escape(r['quantity_unit'])}",
            "[dim]not computed",
            "",
            end_section=i == int((~computed).sum()) - 1,
        )
    tot = acct.total(unit=unit)
    for _, r in tot.iterrows():
        t.add_row(
            f"[bold]{escape(r['name_zh'])}",
            f"[bold]{escape(r['name_en'])}",
            "",
            "",
            "",
            f"[bold]{r[vcol]:,.2f}",
            f"{r['share']:.1%}",
            end_section=r["category"] == "GEP" or _ == 0,
        )
    console.print(t)
    attrs = acct.data.attrs
    console.print(
        f"profile {attrs['profile']} · year {acct.data.year.values[0]} · price year {attrs['price_year']}"
        + (f" · land cover {attrs['landcover']}" if attrs.get("landcover") else " · from lines (no land cover)")
    )
    nc = getattr(acct, "not_computed", None)
    if nc is not None and len(nc):
        console.print(f"[bold]not computed 未核算[/] ({len(nc)}): what each needs")
        for r in nc.itertuples():
            what = r.service + (f".{r.item}" if r.item else "")
            console.print(f"  [dim]{escape(what)} ({escape(r.name_zh)}):[/] {escape(r.reason)}")
    for n in acct.notes:
        console.print(f"[yellow]note:[/] {escape(n)}")


def _write(acct, out_dir: Path | None, csv: Path | None = None, xlsx: Path | None = None) -> list[Path]:
    """Write the CSV and the workbook; a file that cannot be written is reported and the others still written.

    Returns the files that could not be written (each write is atomic: an earlier file is left intact).
    """
    if out_dir is not None:
        csv = csv or out_dir / "account.csv"
        xlsx = xlsx or out_dir / "account.xlsx"
    failed = []
    for path, fn in ((csv, acct.to_csv), (xlsx, acct.to_excel)):
        if path is not None and _try_write(path, lambda fn=fn, path=path: fn(path)) is None:
            failed.append(path)
    return failed


def _try_write(path: Path, write):
    """Run ``write``; an OSError (read-only folder, full disk) is printed naming the file, and None returned."""
    try:
        out = write()
    except OSError as exc:
        console.print(f"[bold red]error:[/] cannot write {escape(str(path))}: {escape(exc.strerror or str(exc))}")
        return None
    console.print(f"wrote {escape(str(out))}")
    return out


def _rescue(acct, failed: list[Path]) -> None:
    """Some outputs could not be written: save the account's CSV in the temporary folder, say where, exit 1."""
    import tempfile

    spare = Path(tempfile.mkdtemp(prefix="gepcalc-")) / "account.csv"
    try:
        acct.to_csv(spare)
        console.print(f"[bold]the computed account was saved to {escape(str(spare))}[/]")
    except OSError as exc:
        console.print(f"[bold red]error:[/] the account could not be saved anywhere: {escape(str(exc))}")
    console.print(f"[bold red]{len(failed)} output file(s) not written:[/] {escape(', '.join(map(str, failed)))}")
    raise typer.Exit(code=1)


def _run(fn):
    try:
        return fn()
    except GepcalcError as exc:
        console.print(f"[bold red]error:[/] {escape(str(exc))}")  # messages name [sections]: not markup
        raise typer.Exit(code=2) from None


def _quiet() -> bool:
    return _VERBOSITY["level"] < 0


def _finish(acct, out_dir: Path | None, csv: Path | None, xlsx: Path | None, *, config: Path, html: bool, map_args):
    """Write the tables (and the HTML report), then ``gepcalc.log`` beside them: command, version, inputs."""
    from gepcalc.progress import phase
    from gepcalc.runlog import write_log

    with phase("writing files"):
        failed = _write(acct, out_dir, csv, xlsx)
        if out_dir is not None:
            csv, xlsx = csv or out_dir / "account.csv", xlsx or out_dir / "account.xlsx"
        written = [p for p in (csv, xlsx) if p is not None and p not in failed]
        folder = out_dir if out_dir is not None else (csv or xlsx).parent
        if html:
            page = folder / "account.html"
            path = _try_write(page, lambda: _run(lambda: acct.to_html(page, **map_args)))
            written += [path] if path is not None else []
            failed += [page] if path is None else []
        log = _try_write(
            folder / "gepcalc.log",
            lambda: write_log(
                folder, command=_command_line(), config=config, profile=acct.data.attrs.get("profile"), outputs=written
            ),
        )
        failed += [folder / "gepcalc.log"] if log is None else []
    if failed:
        _rescue(acct, failed)


def _command_line() -> list[str]:
    """The command as typed, rebuilt from the running command's parameters (also under CliRunner)."""
    import importlib
    import sys

    ctx = None
    for module in ("typer._click.globals", "click"):  # typer ≥ 0.2x vendors click; older typer uses click
        try:
            ctx = importlib.import_module(module).get_current_context(silent=True)
        except (ImportError, AttributeError):
            continue
        if ctx is not None:
            break
    if ctx is None or ctx.parent is None:
        return ["gepcalc", *sys.argv[1:]]
    words = ["gepcalc"] + [
        f for f, on in (("-q", ctx.parent.params.get("quiet")), ("-v", ctx.parent.params.get("verbose"))) if on
    ]
    words.append(ctx.info_name)
    for p in ctx.command.params:
        value = ctx.params.get(p.name)
        if p.param_type_name == "argument":
            words.append(str(value))
        elif value is not None and value != p.default:
            words += [p.opts[0]] if isinstance(value, bool) and value else [p.opts[0], str(value)]
    return words


def _map_args(kwargs: dict) -> dict:
    """The land cover and regions of an account's arguments, for the value map of its HTML report."""
    keys = ("landcover", "regions", "region_field", "region_name", "landcover_classes")
    return {k: kwargs[k] for k in keys if kwargs.get(k) is not None}


@app.command()
def demo(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="folder for account.csv, account.xlsx (default ./gep-demo)")
    ] = Path("gep-demo"),
    unit: Annotated[str, typer.Option(help="money unit shown: CNY, 万元 or 亿元")] = "亿元",
    html: Annotated[bool, typer.Option("--html", help="also write account.html, the county report")] = False,
) -> None:
    """Compute the embedded Chun'an county (淳安县) 2020 demo account."""
    with _loading():
        from gepcalc.config import load_config
        from gepcalc.demo import chunan_account, chunan_config, published

    acct = _run(lambda: chunan_account(progress=True))
    if not _quiet():
        show_account(acct, unit)
    pub = published().get("figures", {})
    if "gep_total" in pub and not _quiet():
        g = pub["gep_total"]
        console.print(
            f"published: Chun'an GEP {g.get('value_yi', 0):,.0f}+ 亿元 ({g.get('year')}, "
            f"{pub.get('regulating_share', {}).get('value', '?')} % regulating; source status: "
            f"{published().get('sources', {}).get(g.get('source'), {}).get('status', 'not given')}) — "
            f"the demo computes {acct.data.sizes['service']} of the profile's "
            f"{acct.data.sizes['service'] + len(set(acct.not_computed['service']))} indicators from 0.05° MODIS "
            "land cover; see README"
        )
    kwargs, _ = load_config(chunan_config())
    _finish(acct, out, None, None, config=chunan_config(), html=html, map_args=_map_args(kwargs))


@app.command("account")
def account_cmd(
    config: Annotated[Path, typer.Argument(help="account configuration (TOML)")],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="output folder (overrides the config's [output]; default ./gep-out in the current folder)",
        ),
    ] = None,
    unit: Annotated[str, typer.Option(help="money unit shown: CNY, 万元 or 亿元")] = "亿元",
    html: Annotated[bool, typer.Option("--html", help="also write account.html, the county report")] = False,
    uncertainty: Annotated[
        int, typer.Option("--uncertainty", help="Monte Carlo draws over the declared coefficient ranges (0: none)")
    ] = 0,
    seed: Annotated[int, typer.Option("--seed", help="random seed of the draws (same seed, same numbers)")] = 0,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="address of a dask.distributed scheduler (tcp://host:8786) to compute on (docs/distributed.md)",
        ),
    ] = None,
) -> None:
    """Compute an account described by a TOML configuration file (writes CSV, Excel and gepcalc.log)."""
    with _loading():
        from gepcalc.account import account
        from gepcalc.config import load_config
        from gepcalc.errors import ConfigError
        from gepcalc.preflight import validate

    def go():
        kwargs, output = load_config(config)
        report = validate(**kwargs)  # every problem at once, before any computation
        if not report.ok:
            raise ConfigError(f"{config}: {report}")
        mc = {"uncertainty": uncertainty, "seed": seed} if uncertainty else {}
        if scheduler:  # the client becomes dask's default scheduler while the account runs
            from distributed import Client

            with Client(scheduler):
                return account(progress=True, **kwargs, **mc), output, kwargs
        return account(progress=True, **kwargs, **mc), output, kwargs

    acct, output, kwargs = _run(go)
    if not _quiet():
        show_account(acct, unit)
        if acct.uncertainty is not None:
            g = acct.uncertainty.gep(unit)
            console.print(
                f"GEP {g['point']:,.2f} {unit}/yr; {acct.uncertainty.n} draws (seed {acct.uncertainty.seed}): "
                f"mean {g['mean']:,.2f}, 90 % interval {g['p05']:,.2f} – {g['p95']:,.2f} {unit}/yr"
            )
    out_dir = out or (Path(output["dir"]) if "dir" in output else None)
    csv = Path(output["csv"]) if "csv" in output and out is None else None
    xlsx = Path(output["xlsx"]) if "xlsx" in output and out is None else None
    if out_dir is None and csv is None and xlsx is None:
        out_dir = Path("gep-out")  # the current working directory, never beside the config (issue 14)
    _finish(acct, out_dir, csv, xlsx, config=config, html=html, map_args=_map_args(kwargs))


@app.command("validate")
def validate_cmd(
    config: Annotated[Path, typer.Argument(help="account configuration (TOML)")],
) -> None:
    """Check an account configuration and its inputs without computing it: every problem at once (exit code 2)."""
    with _loading():
        from gepcalc.config import load_config
        from gepcalc.preflight import validate

    report = _run(lambda: validate(**load_config(config)[0]))
    for n in report.notes if not _quiet() else []:
        console.print(f"[yellow]note:[/] {escape(n)}")
    if report.ok:
        console.print(f"{escape(str(config))}: no problems found")
        return
    console.print(f"[bold red]{len(report.problems)} problem(s)[/] in {escape(str(config))}:")
    for p in report.problems:
        console.print(f"  [red]{escape(p.stage)}[/] {escape(p.subject)}: {escape(p.message)}")
    raise typer.Exit(code=2)


@app.command()
def services() -> None:
    """List the installed services and their methods: what each computes and which inputs it needs."""
    with _loading():
        from gepcalc.services import available, methods

    t = Table(title="gepcalc services (* = default method)")
    t.add_column("id", no_wrap=True)
    for col in ("指标", "indicator", "category", "method", "quantity", "items", "inputs without a default"):
        t.add_column(col, overflow="fold")
    for sid in sorted(available()):
        for i, (name, cls) in enumerate(methods(sid).items()):
            s = cls.spec
            needed = ", ".join(
                f"{p.name} \\[{p.unit}]"
                for p in (*s.params, *s.region_params, *s.value_params)
                if p.default is None and not p.optional
            )
            t.add_row(
                sid if i == 0 else "",
                s.name_zh if i == 0 else "",
                s.name_en if i == 0 else "",
                s.category if i == 0 else "",
                name + (" *" if i == 0 else ""),
                escape(f"{s.quantity_name} [{s.quantity_unit}]"),
                ", ".join(s.item_ids()),
                escape(getattr(cls, "inputs_hint", None) or "") or needed or "-",
            )
    console.print(t)


@app.command()
def profiles() -> None:
    """List the standards' profiles: indicators, outside-region rule and double-counting rules."""
    with _loading():
        from gepcalc.profiles import available_profiles, load_profile

    t = Table(title="gepcalc profiles: account(profile=...) or profile = ... in an account file")
    t.add_column("id", no_wrap=True)
    for col in ("standard", "indicators", "outside region", "double counting"):
        t.add_column(col, overflow="fold")
    for pid in available_profiles():
        p = load_profile(pid)
        rules = "; ".join(f"{r['service']} − {r['minus']} [{r.get('status', '')}]" for r in p.double_counting)
        t.add_row(pid, escape(f"{p.title_zh}\n{p.document}"), ", ".join(p.services), p.outside, escape(rules or "-"))
    console.print(t)


@app.command()
def tables(
    name: Annotated[str | None, typer.Argument(help="show one table's rows")] = None,
    status: Annotated[
        bool, typer.Option("--status", help="count the rows per source status (per table and in all)")
    ] = False,
    sources: Annotated[
        bool, typer.Option("--sources", help="print docs/sources.md: every row that is not primary, with its source")
    ] = False,
) -> None:
    """List the built-in coefficient tables with units and sources, or show one."""
    with _loading():
        from gepcalc.tables import builtin_tables, load_table, sources_report, status_counts, table_summary

    if status or sources:
        loaded = _run(lambda: [load_table(n) for n in ([name] if name else builtin_tables())])
        if sources:
            print(sources_report(loaded), end="")
            return
        df = status_counts(loaded)
        t = Table(title="rows per source status (a row counts under its weakest source; empty = no value)")
        t.add_column("table", no_wrap=True)
        for col in df.columns:
            t.add_column(col, justify="right")
        for tab_name, r in df.iterrows():
            bold = "[bold]" if tab_name == "TOTAL" else ""
            t.add_row(f"{bold}{tab_name}", *[f"{bold}{int(v)}" for v in r])
        console.print(t)
        return
    if name is None:
        df = _run(lambda: table_summary(load_table(n) for n in builtin_tables()))
        t = Table(title="gepcalc coefficient tables")
        t.add_column("table", no_wrap=True)
        for col in ("title_zh", "index", "rows", "columns", "non_primary_rows"):
            t.add_column(col, overflow="fold")
        for _, r in df.iterrows():
            t.add_row(
                r["table"],
                escape(str(r["title_zh"])),
                escape(str(r["index"])),
                str(r["rows"]),
                escape(str(r["columns"])),
                str(r["non_primary_rows"]),
            )
        console.print(t)
        return
    tab = _run(lambda: load_table(name))
    console.print(
        f"[bold]{escape(tab.name)}[/] — {escape(f'{tab.title} / {tab.title_zh}')}\n{escape(str(tab.description))}\n"
        f"file: {escape(str(tab.origin))}"
    )
    t = Table()
    cols = [c for c in tab.columns if c not in ("name_en", "description")]
    t.add_column(tab.index, no_wrap=True)
    for c in cols:
        unit = tab.columns[c].unit
        t.add_column(escape(f"{c} [{unit}]" if unit else c), overflow="fold")
    t.add_column("source", overflow="fold")
    t.add_column("status", no_wrap=True)
    for key, row in tab.data.iterrows():
        row_status = tab.row_status(key)
        colour = "green" if row_status == "primary" else ("red" if row_status == "empty" else "yellow")
        t.add_row(
            escape(str(key)),
            *[escape(str(row[c])) for c in cols],
            escape(str(row["source"])),
            f"[{colour}]{escape(str(row_status))}",
        )
    console.print(t)
    for sid, s in tab.sources.items():
        console.print(f"[{'green' if s.status == 'primary' else 'yellow'}]{escape(str(sid))}[/]: {escape(s.cite())}")


def show_project(res, unit: str = "万元") -> None:
    """Print a project appraisal: ΔGEP by indicator and the key figures (NPV, self-balance, payback, Monte Carlo)."""
    s = res.by_service(unit)
    d = f"ΔGEP [{unit}/yr]"
    t = Table(title=escape(f"{res.project.name}: ΔGEP at full effect (with project − baseline)"), title_justify="left")
    for col, just in [
        ("指标", "left"),
        ("indicator", "left"),
        ("Δquantity", "right"),
        ("unit", "left"),
        (f"baseline {unit}/a", "right"),
        (f"with project {unit}/a", "right"),
        (f"ΔGEP {unit}/a", "right"),
    ]:
        t.add_column(col, justify=just)
    for _, r in s.iterrows():
        t.add_row(
            escape(str(r["指标"])),
            escape(str(r["indicator"])),
            _fmt(r["Δquantity"]),
            escape(str(r["quantity_unit"])),
            f"{r[f'baseline [{unit}/yr]']:,.2f}",
            f"{r[f'with project [{unit}/yr]']:,.2f}",
            f"{r[d]:,.2f}",
        )
    t.add_row("[bold]合计", "[bold]total", "", "", "", "", f"[bold]{s[d].sum():,.2f}", end_section=True)
    console.print(t)
    k = Table(title="appraisal 评估", title_justify="left")
    for col in ("指标", "item", "value", "unit"):
        k.add_column(col, justify="right" if col == "value" else "left")
    for _, r in res.summary(unit).iterrows():
        v = r["value"]
        text = f"{v:,.2f}" if isinstance(v, float) and r["unit"] not in ("1", "") else str(v)
        if isinstance(v, float) and r["unit"] == "1":
            text = f"{v:.4g}"
        k.add_row(escape(str(r["指标"])), escape(str(r["item"])), text, escape(str(r["unit"])))
    console.print(k)
    for n in res.notes:
        console.print(f"[yellow]note:[/] {escape(n)}")


@app.command("project")
def project_cmd(
    config: Annotated[Path, typer.Argument(help="project definition (PROJECT.toml, see docs/project.md)")],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="output folder (overrides [output] dir; default ./project-out)"),
    ] = None,
    unit: Annotated[str, typer.Option(help="money unit of the report: CNY, 万元 or 亿元")] = "万元",
    maps: Annotated[bool, typer.Option(help="write the change maps (GeoTIFF per service and PNG)")] = True,
    uncertainty: Annotated[
        bool | None, typer.Option(help="run sensitivity and Monte Carlo (default: when [uncertainty] is present)")
    ] = None,
) -> None:
    """Appraise a project (project-level GEP, EOD): writes project.xlsx, project.html and change maps."""
    with _loading():
        from gepcalc.progress import phase
        from gepcalc.project import project
        from gepcalc.runlog import write_log

    res = _run(lambda: project(config, progress=True, uncertainty=uncertainty))
    if not _quiet():
        show_project(res, unit)
    out_dir = out or Path(res.project.output.get("dir") or "project-out")  # default: the current folder

    def write():
        paths = [res.to_excel(out_dir / "project.xlsx", unit)]
        if maps:
            paths += res.write_maps(out_dir / "maps")
        paths.append(res.to_html(out_dir / "project.html", unit))
        return paths

    with phase("writing files"):
        paths = _run(write)
        paths.append(
            write_log(
                out_dir,
                command=_command_line(),
                config=config,
                profile=res.delta.attrs.get("profile"),
                outputs=paths,
            )
        )
    for p in paths:
        console.print(f"wrote {p}")


def show_portfolio(table) -> None:
    """Print a portfolio table: planned vs monitored ΔGEP per project and year, the gap and its share."""
    from gepcalc.project.portfolio import bilingual

    df = bilingual(table)
    t = Table(title="portfolio 项目组合: planned vs monitored ΔGEP (gap = monitored − planned)", title_justify="left")
    for i, col in enumerate(df.columns):
        t.add_column(col, justify="left" if i == 0 else "right")
    last = None
    for name, year, *amounts, share in df.itertuples(index=False):
        if last is not None and name != last:
            t.add_section()
        cells = ["-" if v != v else f"{v:,.2f}" for v in amounts] + ["-" if share != share else f"{share:.1%}"]
        t.add_row(escape(str(name)) if name != last else "", str(year), *cells)
        last = name
    console.print(t)


@app.command("portfolio")
def portfolio_cmd(
    config: Annotated[Path, typer.Argument(help="portfolio file (PORTFOLIO.toml, see docs/project.md)")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="output folder (default ./portfolio-out in the current folder)")
    ] = None,
    unit: Annotated[str, typer.Option(help="money unit of the table: CNY, 万元 or 亿元")] = "万元",
) -> None:
    """Planned vs monitored ΔGEP of a portfolio of projects: prints the table, writes portfolio.xlsx."""
    with _loading():
        from gepcalc.project.portfolio import load_portfolio, portfolio, to_excel
        from gepcalc.runlog import write_log

    table = _run(lambda: portfolio(*load_portfolio(config, progress=True), unit=unit))
    if not _quiet():
        show_portfolio(table)
    folder = out or Path("portfolio-out")  # default: the current working directory
    path = _run(lambda: to_excel(table, folder / "portfolio.xlsx"))
    console.print(f"wrote {path}")
    log = write_log(folder, command=_command_line(), config=config, outputs=[path])
    if not _quiet():
        console.print(f"wrote {log}")


def main() -> None:  # pragma: no cover
    app()


@app.command("compensation")
def compensation_cmd(
    config: Annotated[Path, typer.Argument(help="compensation file (CONFIG.toml, see docs/compensation.md)")],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="output folder (default ./compensation-out in the current folder)"),
    ] = None,
) -> None:
    """Eco-compensation between regions (生态补偿): flow matrices, amounts by pair and year; writes .xlsx and .html."""
    with _loading():
        from gepcalc.compensation.run import run_config
        from gepcalc.units import factor

    res = _run(lambda: run_config(config))
    if not _quiet() and not res.amounts.empty:
        t = Table(title="补偿金额 amounts [万元] (payer 付款方 → payee 收款方)", title_justify="left")
        for col in ("year 年份", "payer 付款方", "payee 收款方", "amount 金额 [万元]"):
            t.add_column(col, justify="right" if col.startswith("amount") else "left")
        for row in res.totals().itertuples(index=False):
            wan = f"{row.amount * factor('CNY', '万元'):,.2f}"
            t.add_row(str(row.year), escape(str(row.payer)), escape(str(row.payee)), wan)
        console.print(t)
    folder = out or Path("compensation-out")
    for write, name in ((res.to_excel, "compensation.xlsx"), (res.to_html, "compensation.html")):
        console.print(f"wrote {_run(lambda w=write, n=name: w(folder / n))}")


if __name__ == "__main__":  # pragma: no cover
    app()
