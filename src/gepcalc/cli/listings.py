"""Commands that list what is installed: ``gepcalc services``, ``profiles`` and ``tables`` (the built-in
coefficient tables, one table's rows, rows per source status, the sources report).

They compute nothing.  Imports of gepcalc's registries and tables are inside the commands, under the
"loading gepcalc" status line, so that ``gepcalc --help`` stays fast (start-up time, not cycles).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from gepcalc.cli.common import app, console, loading, run_or_exit

if TYPE_CHECKING:
    import pandas as pd

    from gepcalc.tables import CoefficientTable


@app.command()
def services() -> None:
    """List the installed services and their methods: what each computes and which inputs it needs."""
    with loading():  # lazy: the service registry loads here, not for --help (start-up time)
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
    with loading():  # lazy: profiles load here, not for --help (start-up time)
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


def _status_table(df: pd.DataFrame) -> Table:
    """Rows per source status, per table and in all (``TOTAL`` in bold)."""
    t = Table(title="rows per source status (a row counts under its weakest source; empty = no value)")
    t.add_column("table", no_wrap=True)
    for col in df.columns:
        t.add_column(col, justify="right")
    for tab_name, r in df.iterrows():
        bold = "[bold]" if tab_name == "TOTAL" else ""
        t.add_row(f"{bold}{tab_name}", *[f"{bold}{int(v)}" for v in r])
    return t


def _tables_table(df: pd.DataFrame) -> Table:
    """The built-in tables: name, title, index, rows, columns, rows with a non-primary source."""
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
    return t


def _print_rows(tab: CoefficientTable) -> None:
    """One table: its title and file, its rows with units in the headers and each row's status, its sources."""
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
    with loading():  # lazy: the tables load here, not for --help (start-up time)
        from gepcalc.tables import builtin_tables, load_table, sources_report, status_counts, table_summary

    if status or sources:
        loaded = run_or_exit(lambda: [load_table(n) for n in ([name] if name else builtin_tables())])
        if sources:
            print(sources_report(loaded), end="")
            return
        console.print(_status_table(status_counts(loaded)))
        return
    if name is None:
        console.print(_tables_table(run_or_exit(lambda: table_summary(load_table(n) for n in builtin_tables()))))
        return
    _print_rows(run_or_exit(lambda: load_table(name)))
