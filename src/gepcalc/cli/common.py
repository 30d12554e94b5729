"""The typer application and what every command shares: the console, -q/-v, the version option,
the "loading gepcalc" status line, error handling, writing a file with a clean message, and the
command line as typed (for ``gepcalc.log``).

No command is defined here: the commands are in :mod:`~gepcalc.cli.accounts`,
:mod:`~gepcalc.cli.listings`, :mod:`~gepcalc.cli.projects` and :mod:`~gepcalc.cli.compensation`.
This module loads typer and rich only (``gepcalc --version`` answers in about 0.1 s).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from gepcalc._version import __version__
from gepcalc.errors import GepcalcError

T = TypeVar("T")

app = typer.Typer(
    help="gepcalc — Gross Ecosystem Product (GEP, 生态系统生产总值) accounts. Outputs go to folders in the "
    "current working directory unless --out (or a config's [output]) says otherwise.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help texts are plain text: "[output]" is a TOML section, not markup
)
console = Console(width=None if Console().is_terminal else 200)  # piped: wide enough for unit-bearing headers
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
    # lazy: gepcalc.progress loads dask; --help and --version must not wait for it (start-up time)
    from gepcalc.progress import configure

    _VERBOSITY["level"] = -1 if quiet else (1 if verbose else 0)
    configure(_VERBOSITY["level"], enabled=True)
    # back to the library's default (silent) when the command ends: matters where the CLI runs in-process
    ctx.call_on_close(lambda: configure(0, enabled=False))


def quiet() -> bool:
    """Whether ``-q`` was given: print only errors and the files written."""
    return _VERBOSITY["level"] < 0


def loading():
    """Status line while a command imports the numerical stack (several seconds on a cold start)."""
    # lazy: gepcalc.progress loads dask; --help and --version must not wait for it (start-up time)
    from gepcalc.progress import phase

    return phase("loading gepcalc (xarray, dask, GDAL)")


def fmt(x: float) -> str:
    """A quantity for a table cell: 4 significant digits below 1000, else whole with thousands separators."""
    return f"{x:,.4g}" if abs(x) < 1000 else f"{x:,.0f}"


def run_or_exit(fn: Callable[[], T]) -> T:
    """``fn()``; a :class:`~gepcalc.errors.GepcalcError` is printed as one line and the command exits 2."""
    try:
        return fn()
    except GepcalcError as exc:
        console.print(f"[bold red]error:[/] {escape(str(exc))}")  # messages name [sections]: not markup
        raise typer.Exit(code=2) from None


def try_write(path: Path, write: Callable[[], Any]):
    """Run ``write``; an OSError (read-only folder, full disk) is printed naming the file, and None returned."""
    try:
        out = write()
    except OSError as exc:
        console.print(f"[bold red]error:[/] cannot write {escape(str(path))}: {escape(exc.strerror or str(exc))}")
        return None
    console.print(f"wrote {escape(str(out))}")
    return out


def command_line() -> list[str]:
    """The command as typed, rebuilt from the running command's parameters (also under CliRunner)."""
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


def main() -> None:  # pragma: no cover
    """Run the command line (``gepcalc``)."""
    app()
