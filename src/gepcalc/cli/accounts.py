"""Commands that compute one account: ``gepcalc demo``, ``account CONFIG.toml``, ``validate CONFIG.toml``;
the printed summary of an account (:func:`show_account`) and how its files are written (CSV, workbook,
HTML report, ``gepcalc.log``; a file that cannot be written is reported and the account saved elsewhere).

Imports of the numerical stack are inside the commands, under the "loading gepcalc" status line, so
that ``gepcalc --help`` stays fast (start-up time, not cycles).  Projects, listings and compensation
are in the other modules of :mod:`gepcalc.cli`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from gepcalc.cli.common import app, command_line, console, fmt, loading, quiet, run_or_exit, try_write

if TYPE_CHECKING:
    from gepcalc.account import Account


def _summary_table(acct: Account, unit: str) -> Table:
    """The account's indicators (computed, then the profile's indicators not computed, in grey) and totals."""
    from gepcalc.export import labelled  # the numerical stack loads with the command (module docstring)

    s = labelled(acct.summary(unit=unit), indicator=True)
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
            fmt(r["quantity"]),
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
    for label, r in labelled(acct.total(unit=unit)).iterrows():
        t.add_row(
            f"[bold]{escape(r['name_zh'])}",
            f"[bold]{escape(r['name_en'])}",
            "",
            "",
            "",
            f"[bold]{r[vcol]:,.2f}",
            f"{r['share']:.1%}",
            end_section=r["category"] == "GEP" or label == 0,
        )
    return t


def show_account(acct, unit: str = "亿元") -> None:
    """Print an account's summary: indicators (中文/English), quantity, value, share; totals."""
    from gepcalc.result import known_year  # loads with the command (module docstring)

    console.print(_summary_table(acct, unit))
    attrs = acct.data.attrs
    year, price_year = known_year(acct.data.year.values[0]), known_year(attrs.get("price_year"))
    console.print(
        f"profile {attrs['profile']} · year {'—' if year is None else year} · "
        f"price year {'—' if price_year is None else price_year}"
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
        if path is not None and try_write(path, lambda fn=fn, path=path: fn(path)) is None:
            failed.append(path)
    return failed


def _rescue(acct, failed: list[Path]) -> None:
    """Some outputs could not be written: save the account's CSV in the temporary folder, say where, exit 1."""
    spare = Path(tempfile.mkdtemp(prefix="gepcalc-")) / "account.csv"
    try:
        acct.to_csv(spare)
        console.print(f"[bold]the computed account was saved to {escape(str(spare))}[/]")
    except OSError as exc:
        console.print(f"[bold red]error:[/] the account could not be saved anywhere: {escape(str(exc))}")
    console.print(f"[bold red]{len(failed)} output file(s) not written:[/] {escape(', '.join(map(str, failed)))}")
    raise typer.Exit(code=1)


def _finish(acct, out_dir: Path | None, csv: Path | None, xlsx: Path | None, *, config: Path, html: bool, map_args):
    """Write the tables (and the HTML report), then ``gepcalc.log`` beside them: command, version, inputs."""
    # lazy: gepcalc.progress and gepcalc.runlog load dask and xarray, not wanted for --help (start-up time)
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
            path = try_write(page, lambda: run_or_exit(lambda: acct.to_html(page, **map_args)))
            written += [path] if path is not None else []
            failed += [page] if path is None else []
        log = try_write(
            folder / "gepcalc.log",
            lambda: write_log(
                folder, command=command_line(), config=config, profile=acct.data.attrs.get("profile"), outputs=written
            ),
        )
        failed += [folder / "gepcalc.log"] if log is None else []
    if failed:
        _rescue(acct, failed)


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
    with loading():  # lazy: the numerical stack loads here, not for --help (start-up time)
        from gepcalc.config import load_config
        from gepcalc.demo import chunan_account, chunan_config, published

    acct = run_or_exit(lambda: chunan_account(progress=True))
    if not quiet():
        show_account(acct, unit)
    pub = published().get("figures", {})
    if "gep_total" in pub and not quiet():
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
    with loading():  # lazy: the numerical stack loads here, not for --help (start-up time)
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
            from distributed import Client  # lazy: an optional dependency, only with --scheduler

            with Client(scheduler):
                return account(progress=True, **kwargs, **mc), output, kwargs
        return account(progress=True, **kwargs, **mc), output, kwargs

    acct, output, kwargs = run_or_exit(go)
    if not quiet():
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
    with loading():  # lazy: the numerical stack loads here, not for --help (start-up time)
        from gepcalc.config import load_config
        from gepcalc.preflight import validate

    report = run_or_exit(lambda: validate(**load_config(config)[0]))
    for n in report.notes if not quiet() else []:
        console.print(f"[yellow]note:[/] {escape(n)}")
    if report.ok:
        console.print(f"{escape(str(config))}: no problems found")
        return
    console.print(f"[bold red]{len(report.problems)} problem(s)[/] in {escape(str(config))}:")
    for p in report.problems:
        console.print(f"  [red]{escape(p.stage)}[/] {escape(p.subject)}: {escape(p.message)}")
    raise typer.Exit(code=2)
