"""The command ``gepcalc compensation CONFIG.toml``: eco-compensation between regions (生态补偿),
printed amounts by payer and payee, ``compensation.xlsx`` and ``compensation.html``.

The computation is :mod:`gepcalc.compensation`; it is imported inside the command, under the
"loading gepcalc" status line, so that ``gepcalc --help`` stays fast (start-up time, not cycles).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from gepcalc.cli.common import app, console, loading, quiet, run_or_exit


@app.command("compensation")
def compensation_cmd(
    config: Annotated[Path, typer.Argument(help="compensation file (CONFIG.toml, see docs/compensation.md)")],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="output folder (default ./compensation-out in the current folder)"),
    ] = None,
) -> None:
    """Eco-compensation between regions (生态补偿): flow matrices, amounts by pair and year; writes .xlsx and .html."""
    with loading():  # lazy: the numerical stack loads here, not for --help (start-up time)
        from gepcalc.compensation.run import run_config
        from gepcalc.units import factor

    res = run_or_exit(lambda: run_config(config))
    if not quiet() and not res.amounts.empty:
        t = Table(title="补偿金额 amounts [万元] (payer 付款方 → payee 收款方)", title_justify="left")
        for col in ("year 年份", "payer 付款方", "payee 收款方", "amount 金额 [万元]"):
            t.add_column(col, justify="right" if col.startswith("amount") else "left")
        for row in res.totals().itertuples(index=False):
            wan = f"{row.amount * factor('CNY', '万元'):,.2f}"
            t.add_row(str(row.year), escape(str(row.payer)), escape(str(row.payee)), wan)
        console.print(t)
    folder = out or Path("compensation-out")
    for write, name in ((res.to_excel, "compensation.xlsx"), (res.to_html, "compensation.html")):
        console.print(f"wrote {run_or_exit(lambda w=write, n=name: w(folder / n))}")
