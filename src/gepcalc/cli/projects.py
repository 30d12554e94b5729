"""Commands beyond one account's year: ``gepcalc project PROJECT.toml`` (project appraisal, EOD) and
``portfolio PORTFOLIO.toml`` (planned vs monitored ΔGEP), with their printed summaries
(:func:`show_project`, :func:`show_portfolio`).

Imports of :mod:`gepcalc.project` are inside the commands, under the "loading gepcalc" status line, so
that ``gepcalc --help`` stays fast (start-up time, not cycles).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from gepcalc.cli.common import app, command_line, console, fmt, loading, quiet, run_or_exit


def show_project(res, unit: str = "万元") -> None:
    """Print a project appraisal: ΔGEP by indicator and the key figures (NPV, self-balance, payback, Monte Carlo)."""
    s = res.by_service(unit)
    d = "delta_gep"
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
            escape(str(r["name_zh"])),
            escape(str(r["name_en"])),
            fmt(r["delta_quantity"]),
            escape(str(r["quantity_unit"])),
            f"{r['value_baseline']:,.2f}",
            f"{r['value_with_project']:,.2f}",
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
        k.add_row(escape(str(r["name_zh"])), escape(str(r["name_en"])), text, escape(str(r["unit"])))
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
    with loading():  # lazy: the numerical stack loads here, not for --help (start-up time)
        from gepcalc.progress import phase
        from gepcalc.project import project
        from gepcalc.runlog import write_log

    res = run_or_exit(lambda: project(config, progress=True, uncertainty=uncertainty))
    if not quiet():
        show_project(res, unit)
    out_dir = out or Path(res.project.output.get("dir") or "project-out")  # default: the current folder

    def write():
        paths = [res.to_excel(out_dir / "project.xlsx", unit)]
        if maps:
            paths += res.write_maps(out_dir / "maps")
        paths.append(res.to_html(out_dir / "project.html", unit))
        return paths

    with phase("writing files"):
        paths = run_or_exit(write)
        paths.append(
            write_log(
                out_dir,
                command=command_line(),
                config=config,
                profile=res.delta.attrs.get("profile"),
                outputs=paths,
            )
        )
    for p in paths:
        console.print(f"wrote {p}")


def show_portfolio(table) -> None:
    """Print a portfolio table: planned vs monitored ΔGEP per project and year, the gap and its share."""
    # lazy: gepcalc.project loads with the command, not for --help (start-up time)
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
    with loading():  # lazy: the numerical stack loads here, not for --help (start-up time)
        from gepcalc.project.portfolio import load_portfolio, portfolio, to_excel
        from gepcalc.runlog import write_log

    table = run_or_exit(lambda: portfolio(*load_portfolio(config, progress=True), unit=unit))
    if not quiet():
        show_portfolio(table)
    folder = out or Path("portfolio-out")  # default: the current working directory
    path = run_or_exit(lambda: to_excel(table, folder / "portfolio.xlsx"))
    console.print(f"wrote {path}")
    log = write_log(folder, command=command_line(), config=config, outputs=[path])
    if not quiet():
        console.print(f"wrote {log}")
