"""Command line: ``gepcalc demo``, ``account CONFIG.toml``, ``validate CONFIG.toml``, ``project PROJECT.toml``,
``portfolio PORTFOLIO.toml``, ``compensation CONFIG.toml``, ``services``, ``profiles``, ``tables``.

Imports are lazy: this package loads typer and rich only, so ``gepcalc --help`` and ``gepcalc --version``
answer without loading xarray, dask, GDAL and pint (docs/benchmarks.md); each command imports what it
needs under a status line ("loading gepcalc"). Text from tables and messages is escaped before rich
prints it: units and tags in square brackets are not markup. Progress goes to standard error.

Modules (``gepcalc.cli:app`` is the entry point):

* :mod:`~gepcalc.cli.common`: the typer ``app``, console, -q/-v, errors, writing files, the command line;
* :mod:`~gepcalc.cli.accounts`: ``demo``, ``account``, ``validate`` and the printed account;
* :mod:`~gepcalc.cli.listings`: ``services``, ``profiles``, ``tables``;
* :mod:`~gepcalc.cli.projects`: ``project``, ``portfolio``;
* :mod:`~gepcalc.cli.compensation`: ``compensation``.

The command modules are imported here in the order of ``gepcalc --help``; importing them registers
their commands on ``app``.
"""

# the command modules in the order of `gepcalc --help`, not sorted
from gepcalc.cli.common import app, console, main  # noqa: I001
from gepcalc.cli.accounts import account_cmd, demo, show_account, validate_cmd
from gepcalc.cli.listings import profiles, services, tables
from gepcalc.cli.projects import portfolio_cmd, project_cmd, show_portfolio, show_project
from gepcalc.cli.compensation import compensation_cmd

__all__ = [
    "account_cmd",
    "app",
    "compensation_cmd",
    "console",
    "demo",
    "main",
    "portfolio_cmd",
    "profiles",
    "project_cmd",
    "services",
    "show_account",
    "show_portfolio",
    "show_project",
    "tables",
    "validate_cmd",
]
