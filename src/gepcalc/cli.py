"""Command line: ``gepcalc demo``, ``account CONFIG.toml``, ``project PROJECT.toml``, ``portfolio PORTFOLIO.toml``,
``services``, ``tables``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from gepcalc.errors import GepcalcError

app = typer.Typer(
    help="gepcalc — Gross Ecosystem Product (GEP, 生态系统生产总值) accounts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(width=None if Console().is_terminal else 150)


def _fmt(x: float) -> str:
    return f"{x:,.4g}" if abs(x) < 1000 else f"{x:,.0f}"


def show_account(acct, unit: str = "亿元") -> None:
    """Print an account's summary: indicators (中文/English), quantity, value, share; totals."""
    s = acct.summary(unit=unit)
    vcol = f"value [{unit}/yr]"
    t = Table(title=acct.data.attrs.get("title") or "GEP account", title_justify="left")
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
            r["指标"],
            r["indicator"],
            r["category"],
            _fmt(r["quantity"]),
            r["quantity_unit"],
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
            f"[bold]{r['name_zh']}",
            f"[bold]{r['name_en']}",
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


def _write(acct, out_dir: Path | None, csv: Path | None = None, xlsx: Path | None = None) -> None:
    if out_dir is not None:
        csv = csv or out_dir / "account.csv"
        xlsx = xlsx or out_dir / "account.xlsx"
    for path, fn in ((csv, acct.to_csv), (xlsx, acct.to_excel)):
        if path is not None:
            fn(path)
            console.print(f"wrote {path}")


def _run(fn):
    try:
        return fn()
    except GepcalcError as exc:
        console.print(f"[bold red]error:[/] {escape(str(exc))}")  # messages name [sections]: not markup
        raise typer.Exit(code=2) from None


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="folder for account.csv and account.xlsx")] = Path(
        "gep-demo"
    ),
    unit: Annotated[str, typer.Option(help="money unit shown: CNY, 万元 or 亿元")] = "亿元",
) -> None:
    """Compute the embedded Chun'an county (淳安县) 2020 demo account."""
    from gepcalc.demo import chunan_account, published

    acct = _run(lambda: chunan_account(progress=True))
    show_account(acct, unit)
    pub = published().get("figures", {})
    if "gep_total" in pub:
        g = pub["gep_total"]
        console.print(
            f"published: Chun'an GEP {g.get('value_yi', 0):,.0f}+ 亿元 ({g.get('year')}, "
            f"{pub.get('regulating_share', {}).get('value', '?')} % regulating; source status: "
            f"{published().get('sources', {}).get(g.get('source'), {}).get('status', 'not given')}) — "
            f"the demo computes {acct.data.sizes['service']} of the profile's "
            f"{acct.data.sizes['service'] + len(set(acct.not_computed['service']))} indicators from 0.05° MODIS "
            "land cover; see README"
        )
    _write(acct, out)


@app.command("account")
def account_cmd(
    config: Annotated[Path, typer.Argument(help="account configuration (TOML)")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="output folder (overrides [output])")] = None,
    unit: Annotated[str, typer.Option(help="money unit shown: CNY, 万元 or 亿元")] = "亿元",
) -> None:
    """Compute an account described by a TOML configuration file."""
    from gepcalc.account import account
    from gepcalc.config import load_config

    def go():
        kwargs, output = load_config(config)
        return account(progress=True, **kwargs), output

    acct, output = _run(go)
    show_account(acct, unit)
    out_dir = out or (Path(output["dir"]) if "dir" in output else None)
    csv = Path(output["csv"]) if "csv" in output and out is None else None
    xlsx = Path(output["xlsx"]) if "xlsx" in output and out is None else None
    if out_dir is None and csv is None and xlsx is None:
        out_dir = config.parent / "gep-out"
    _write(acct, out_dir, csv, xlsx)


@app.command()
def services() -> None:
    """List the installed services and their methods: what each computes and which inputs it needs."""
    from gepcalc.services import available, methods

    t = Table(title="gepcalc services (* = default method)")
    t.add_column("id", no_wrap=True)
    for col in ("指标", "indicator", "category", "method", "quantity", "items", "inputs without a default"):
        t.add_column(col, overflow="fold")
    for sid in sorted(available()):
        for i, (name, cls) in enumerate(methods(sid).items()):
            s = cls.spec
            needed = ", ".join(
                f"{p.name} [{p.unit}]"
                for p in (*s.params, *s.region_params, *s.value_params)
                if p.default is None and not p.optional
            )
            t.add_row(
                sid if i == 0 else "",
                s.name_zh if i == 0 else "",
                s.name_en if i == 0 else "",
                s.category if i == 0 else "",
                name + (" *" if i == 0 else ""),
                f"{s.quantity_name} [{s.quantity_unit}]",
                ", ".join(s.item_ids()),
                getattr(cls, "inputs_hint", None) or needed or "-",
            )
    console.print(t)


@app.command()
def profiles() -> None:
    """List the standards' profiles: indicators, outside-region rule and double-counting rules."""
    from gepcalc.profiles import available_profiles, load_profile

    t = Table(title="gepcalc profiles: account(profile=...) or profile = ... in an account file")
    t.add_column("id", no_wrap=True)
    for col in ("standard", "indicators", "outside region", "double counting"):
        t.add_column(col, overflow="fold")
    for pid in available_profiles():
        p = load_profile(pid)
        rules = "; ".join(f"{r['service']} − {r['minus']} [{r.get('status', '')}]" for r in p.double_counting)
        t.add_row(pid, f"{p.title_zh}\n{p.document}", ", ".join(p.services), p.outside, rules or "-")
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
            t.add_row(r["table"], r["title_zh"], r["index"], str(r["rows"]), r["columns"], str(r["non_primary_rows"]))
        console.print(t)
        return
    tab = _run(lambda: load_table(name))
    console.print(f"[bold]{tab.name}[/] — {tab.title} / {tab.title_zh}\n{tab.description}\nfile: {tab.origin}")
    t = Table()
    cols = [c for c in tab.columns if c not in ("name_en", "description")]
    t.add_column(tab.index, no_wrap=True)
    for c in cols:
        unit = tab.columns[c].unit
        t.add_column(f"{c} [{unit}]" if unit else c, overflow="fold")
    t.add_column("source", overflow="fold")
    t.add_column("status", no_wrap=True)
    for key, row in tab.data.iterrows():
        row_status = tab.row_status(key)
        colour = "green" if row_status == "primary" else ("red" if row_status == "empty" else "yellow")
        t.add_row(str(key), *[str(row[c]) for c in cols], str(row["source"]), f"[{colour}]{row_status}")
    console.print(t)
    for sid, s in tab.sources.items():
        console.print(f"[{'green' if s.status == 'primary' else 'yellow'}]{sid}[/]: {s.cite()}")


def show_project(res, unit: str = "万元") -> None:
    """Print a project appraisal: ΔGEP by indicator and the key figures (NPV, self-balance, payback, Monte Carlo)."""
    s = res.by_service(unit)
    d = f"ΔGEP [{unit}/yr]"
    t = Table(title=f"{res.project.name}: ΔGEP at full effect (with project − baseline)", title_justify="left")
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
            r["指标"],
            r["indicator"],
            _fmt(r["Δquantity"]),
            r["quantity_unit"],
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
        k.add_row(r["指标"], r["item"], text, r["unit"])
    console.print(k)
    from rich.markup import escape

    for n in res.notes:
        console.print(f"[yellow]note:[/] {escape(n)}")


@app.command("project")
def project_cmd(
    config: Annotated[Path, typer.Argument(help="project definition (PROJECT.toml, see docs/project.md)")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="output folder (overrides [output] dir)")] = None,
    unit: Annotated[str, typer.Option(help="money unit of the report: CNY, 万元 or 亿元")] = "万元",
    maps: Annotated[bool, typer.Option(help="write the change maps (GeoTIFF per service and PNG)")] = True,
    uncertainty: Annotated[
        bool | None, typer.Option(help="run sensitivity and Monte Carlo (default: when [uncertainty] is present)")
    ] = None,
) -> None:
    """Appraise a project (project-level GEP, EOD): writes project.xlsx, project.html and change maps."""
    from gepcalc.project import project

    res = _run(lambda: project(config, progress=True, uncertainty=uncertainty))
    show_project(res, unit)
    out_dir = out or Path(res.project.output.get("dir") or (config.parent / "project-out"))

    def write():
        paths = [res.to_excel(out_dir / "project.xlsx", unit)]
        if maps:
            paths += res.write_maps(out_dir / "maps")
        paths.append(res.to_html(out_dir / "project.html", unit))
        return paths

    for p in _run(write):
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
    out: Annotated[Path | None, typer.Option("--out", "-o", help="output folder (default portfolio-out)")] = None,
    unit: Annotated[str, typer.Option(help="money unit of the table: CNY, 万元 or 亿元")] = "万元",
) -> None:
    """Planned vs monitored ΔGEP of a portfolio of projects: prints the table, writes portfolio.xlsx."""
    from gepcalc.project.portfolio import load_portfolio, portfolio, to_excel

    table = _run(lambda: portfolio(*load_portfolio(config, progress=True), unit=unit))
    show_portfolio(table)
    path = _run(lambda: to_excel(table, (out or config.parent / "portfolio-out") / "portfolio.xlsx"))
    console.print(f"wrote {path}")


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
