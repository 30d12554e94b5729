#!/usr/bin/env python
"""Published GEP accounts reproduced line by line, and gepcalc's own prices beside them.

Run from the repository root::

    python scripts/validation.py            # writes docs/validation.md
    python scripts/validation.py --print    # also prints each table

Each account lives in ``data/examples/published/<name>/``: ``lines.csv`` holds the
paper's physical quantities, units and prices (one line per published item, with the
paper and table in ``source``), ``published.toml`` the citation, the published values of
the indicators, subtotals and total as printed (with their table), the published items
gepcalc has no indicator for (``[excluded]``) and, per indicator, the reason why gepcalc's
own prices give another value (``[reasons]``).

For every account :func:`compare` computes

(a) **reproduction**: ``gepcalc.account(lines=...)`` with the paper's quantities and
    prices, V = Q · P per line (MEE 2020 guide, NDRC 2022 spec: value = physical
    quantity × unit price), compared with the published values;
(b) **gepcalc's defaults**: the same quantities valued by gepcalc's own rule and default
    price for the account's profile (the lines without their price columns),
    V = Q · P_default.  A line that carries only a value (no quantity), or a quantity in
    money (产值), keeps it: gepcalc has nothing to price.

Quantities are always the published ones; nothing is recomputed from rasters here.

Tolerance of (a).  A published value is met when ``|a − published| ≤ tol · published``
with ``tol = max(1 %, rounding)``: the paper prints its quantities, prices and values to a
few digits, and the rounding bound is half a unit of the last printed digit of the
published value, relative to it, plus for each line the same relative bound of its
printed quantity and price (|δV/V| ≤ |δQ/Q| + |δP/P|), weighted by the lines' values.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np
import pandas as pd

import gepcalc as gep
from gepcalc.lines import PARAM_COLUMNS, read_lines
from gepcalc.units import Q_

ROOT = Path(__file__).resolve().parents[1]
PUBLISHED = ROOT / "data" / "examples" / "published"
DOC = ROOT / "docs" / "validation.md"
#: difference of (b) from the published value above which published.toml must give a reason [%]
REASON_THRESHOLD = 5.0
#: the smallest tolerance of (a), whatever the rounding [fraction]
MIN_TOLERANCE = 0.01
COLUMNS = [
    "account",
    "level",
    "key",
    "service",
    "item",
    "name_zh",
    "table",
    "quantity",
    "quantity_unit",
    "value_unit",
    "published",
    "reproduced_a",
    "diff_a_pct",
    "tolerance_pct",
    "within_tolerance",
    "default_b",
    "diff_b_pct",
    "default_price",
    "reason",
]
_PRICE_COLUMNS = ["price", "price_unit", "price_source", *PARAM_COLUMNS]


def half_ulp(printed: str | float | None) -> float:
    """Relative rounding bound of a printed number: half a unit of its last digit over its value.

    ``"0.01"`` → 0.005 / 0.01 = 0.5; ``"2269.71"`` → 0.005 / 2269.71; ``""`` or None → 0.
    """
    if printed is None or (isinstance(printed, float) and np.isnan(printed)):
        return 0.0
    try:
        d = Decimal(str(printed).strip().replace(",", ""))
    except InvalidOperation:
        return 0.0
    if d == 0:
        return 0.0
    exponent = d.as_tuple().exponent
    exponent = exponent if isinstance(exponent, int) else 0
    return float(Decimal(5) * Decimal(10) ** (exponent - 1) / abs(d))


def load(account_dir: str | Path) -> dict:
    """``published.toml`` of an account, with ``dir`` (its folder) and ``lines_path`` added."""
    folder = Path(account_dir)
    with open(folder / "published.toml", "rb") as fh:
        pub = tomllib.load(fh)
    pub["dir"] = folder
    pub["lines_path"] = (folder / pub["account"]["lines"]).resolve()
    return pub


def _money(value: str | float, unit: str, to: str) -> float:
    """A printed value [``unit``] in ``to`` (both money: 亿元, 万元, CNY)."""
    return float(Q_(float(value), unit).to(to).magnitude)


def _account(lines: pd.DataFrame, pub: dict, **kw):
    acc = pub["account"]
    return gep.account(lines=lines, year=acc["year"], price_year=acc["price_year"], profile=acc.get("profile"), **kw)


def _raw_lines(pub: dict) -> pd.DataFrame:
    raw = pd.read_csv(pub["lines_path"], dtype=str, keep_default_na=False, encoding="utf-8-sig")
    raw.attrs["source"] = str(pub["lines_path"])
    return raw


def _default_price_note(acct, service: str) -> str:
    """The default prices gepcalc used for a service: table row, value, price year, status."""
    parts = []
    if "service" in acct.sources:
        for r in acct.sources[acct.sources["service"] == service].itertuples():
            if r.parameter in ("price", "included") or "price" in str(r.parameter) or "cost" in str(r.parameter):
                year = f", {int(r.price_year)}" if pd.notna(r.price_year) and str(r.price_year) != "" else ""
                parts.append(f"{r.table}.{r.row} = {r.value}{year} ({r.status})")
    for r in acct.lines[acct.lines["service"] == service].itertuples():
        if r.priced_by == "products table":
            parts.append(f"products.{r.service}.{r.item} = {r.price}")
        elif r.priced_by in ("reported value", "line"):
            parts.append("the line's own value (money or value only): nothing to price")
    return "; ".join(dict.fromkeys(parts))


def _defaults(raw: pd.DataFrame, canon: pd.DataFrame, pub: dict) -> tuple[dict, dict, dict]:
    """(b): value [CNY/yr] of each line with gepcalc's default prices, the prices used, and errors.

    Each service's lines are valued in an account of their own, without their price
    columns, so that a service without a default price (the account stops and names the
    parameter) leaves only its own lines without (b).
    """
    values: dict[int, float] = {}
    notes: dict[str, str] = {}
    errors: dict[str, str] = {}
    for service in dict.fromkeys(canon["service"]):
        rows = list(canon.index[canon["service"] == service])
        sub = raw.loc[rows].copy()
        for col in raw.columns:
            if _canonical_name(col) in _PRICE_COLUMNS:
                sub[col] = ""
        sub.attrs["source"] = f"{pub['lines_path']} ({service}, without prices)"
        repriced = ""
        try:
            acct = _account(sub, pub)
        except Exception as exc:
            try:  # the profile's deflator may not reach a default price's year: table prices as they are
                acct = _account(sub, pub, price_index=None)
                repriced = (
                    f" [table prices as they are, not brought to {pub['account']['price_year']}: {_why_not(exc)}]"
                )
            except Exception as exc2:
                errors[service] = f"no (b): {_short(exc2)}"
                continue
        valued = acct.lines
        if len(valued) != len(rows):
            raise RuntimeError(f"{pub['lines_path']}: {service}: {len(valued)} valued lines for {len(rows)} lines")
        for i, v in zip(rows, valued["value_accounted"], strict=True):
            values[i] = float(v)
        own = acct.lines["priced_by"].isin(["reported value", "line"]).all()
        notes[service] = _default_price_note(acct, service) + ("" if own else repriced)
    return values, notes, errors


def _why_not(exc: Exception) -> str:
    """Why the profile's deflator could not reprice (short)."""
    m = re.search(r"price index '([^']+)'.*?has no level for year\(s\) \[([^\]]*)\]", str(exc))
    return f"the {m[1]} series has no level for {m[2]}" if m else _short(exc)


def _short(exc: Exception) -> str:
    """The first clause of an error, without this machine's paths."""
    text = str(exc).split(";")[0]
    text = re.sub(r"\s*\((?:table '[^']*', )?/[^()]*\)", "", text)
    text = text.replace(str(ROOT) + "/", "")
    return f"{type(exc).__name__}: {text[:200]}"


def _canonical_name(col: str) -> str:
    from gepcalc.lines import LINE_COLUMNS

    name = str(col).split("[")[0].strip()
    for key, aliases in LINE_COLUMNS.items():
        if name == key or name in aliases:
            return key
    for key, (aliases, _) in PARAM_COLUMNS.items():
        if name == key or name in aliases:
            return key
    return name


def compare(account_dir: str | Path) -> pd.DataFrame:
    """Published values of one account beside (a) the reproduction and (b) gepcalc's defaults.

    Parameters
    ----------
    account_dir
        A folder of ``data/examples/published/`` (``published.toml`` + its lines).

    Returns
    -------
    pandas.DataFrame
        One row per line (``level = "line"``), published indicator, subtotal, total and
        published item gepcalc does not count (``"excluded"``), with the columns of
        :data:`COLUMNS`: ``published``, ``reproduced_a`` and ``default_b`` in the account's
        ``value_unit`` (亿元 or 万元 per year, as the paper prints them), ``diff_a_pct`` and
        ``diff_b_pct`` [%] against the published value, ``tolerance_pct`` [%] and
        ``within_tolerance`` for (a), ``default_price`` (gepcalc's default price rows used, or why
        (b) could not be computed) and ``reason`` (published.toml ``[reasons]``, for (b)).
    """
    pub = load(account_dir)
    name = Path(account_dir).name
    unit = pub["account"]["value_unit"]
    raw = _raw_lines(pub)
    canon = read_lines(raw)
    acct = _account(raw, pub, price_index=None)  # (a): the paper's own prices, as printed
    lines = acct.lines
    b_values, b_notes, b_errors = _defaults(raw, canon, pub)
    reasons = pub.get("reasons", {})
    rows = []

    # -- lines ------------------------------------------------------------------------------
    line_a, line_rounding = {}, {}
    several_regions = canon["region"].nunique() > 1  # then a line's key names its region
    for i, (r, c) in enumerate(zip(raw.to_dict("records"), canon.to_dict("records"), strict=True)):
        valued = lines.iloc[i]
        a = float(valued["value_accounted"])
        line_a[i] = a
        rq = half_ulp(_cell(r, "quantity"))
        rp = half_ulp(_cell(r, "price"))
        line_rounding[i] = rq + rp
        published = _money(c["value"], c["value_unit"], "CNY") if pd.notna(c["value"]) else np.nan
        b = b_values.get(i, np.nan)
        tol = max(MIN_TOLERANCE, rq + rp + half_ulp(_cell(r, "value")))
        rows.append(
            _row(
                name,
                "line",
                (f"{c['region']}: " if several_regions else "")
                + (f"{c['service']}/{c['item']}" if c["item"] else c["service"])
                + (f" [{c['ecosystem']}]" if c["ecosystem"] else ""),
                c["service"],
                c["item"],
                c.get("name_zh", ""),
                c["source"],
                _cell(r, "quantity"),
                _cell(r, "unit"),
                unit,
                published,
                a,
                b,
                tol,
                b_errors.get(c["service"], b_notes.get(c["service"], "")),
                "",
            )
        )

    excluded = pub.get("excluded", {})

    def group(services: list[str], extra: list[str]) -> tuple[float, float, float]:
        idx = [i for i, c in enumerate(canon.to_dict("records")) if c["service"] in services]
        a = sum(line_a[i] for i in idx)
        weight = sum(abs(line_a[i]) for i in idx)
        rounding = sum(abs(line_a[i]) * line_rounding[i] for i in idx) / weight if weight else 0.0
        ex = sum(_money(excluded[k]["value"], unit, "CNY") for k in extra)
        a += ex
        bsum = ex + sum(b_values.get(i, np.nan) for i in idx)
        return a, bsum, rounding

    def add_group(level: str, key: str, entry: dict, services: list[str]) -> None:
        extra = list(entry.get("excluded", []))
        a, b, rounding = group(services, extra)
        published = _money(entry["value"], unit, "CNY")
        tol = max(MIN_TOLERANCE, half_ulp(entry["value"]) + rounding)
        if len(services) == 1:
            note = b_errors.get(services[0], b_notes.get(services[0], ""))
        else:
            missing = [s for s in services if s in b_errors]
            note = f"no (b) for {', '.join(missing)} (see the indicators)" if missing else ""
        rows.append(
            _row(
                name,
                level,
                key,
                ",".join(services),
                "",
                entry.get("name_zh", ""),
                entry.get("table", ""),
                entry.get("quantity", ""),
                entry.get("quantity_unit", ""),
                unit,
                published,
                a,
                b,
                tol,
                note,
                reasons.get(key, ""),
            )
        )

    for key, entry in pub.get("indicators", {}).items():
        add_group("indicator", key, entry, list(entry.get("services", [key])))
    for key, entry in pub.get("subtotals", {}).items():
        add_group("subtotal", key, entry, list(entry["services"]))
    if "total" in pub:
        entry = dict(pub["total"])
        entry.setdefault("excluded", list(excluded))
        add_group("total", "total", entry, list(dict.fromkeys(canon["service"])))
    for key, entry in excluded.items():
        value = _money(entry["value"], unit, "CNY")
        rows.append(
            _row(
                name,
                "excluded",
                key,
                entry.get("service", ""),
                "",
                entry.get("name_zh", ""),
                entry.get("table", ""),
                entry.get("quantity", ""),
                entry.get("quantity_unit", ""),
                unit,
                value,
                np.nan,
                np.nan,
                np.nan,
                entry.get("why", ""),
                "",
            )
        )
    out = pd.DataFrame(rows, columns=COLUMNS)
    return out


def _cell(record: dict, key: str) -> str:
    for col, v in record.items():
        if _canonical_name(col) == key:
            return str(v).strip()
    return ""


def _row(account, level, key, service, item, name_zh, table, quantity, qunit, unit, published, a, b, tol, note, reason):
    """One row of :func:`compare` (money in ``unit``; published, a and b given in CNY/yr)."""
    f = float(Q_(1.0, "CNY").to(unit).magnitude)
    pub_u = published * f if pd.notna(published) else np.nan
    a_u = a * f if pd.notna(a) else np.nan
    b_u = b * f if pd.notna(b) else np.nan
    diff_a = (a - published) / published * 100 if pd.notna(published) and published and pd.notna(a) else np.nan
    diff_b = (b - published) / published * 100 if pd.notna(published) and published and pd.notna(b) else np.nan
    within = bool(abs(diff_a) <= tol * 100) if pd.notna(diff_a) and pd.notna(tol) else None
    return [
        account,
        level,
        key,
        service,
        item,
        name_zh,
        table,
        quantity,
        qunit,
        unit,
        pub_u,
        a_u,
        diff_a,
        tol * 100 if pd.notna(tol) else np.nan,
        within,
        b_u,
        diff_b,
        note,
        reason,
    ]


def accounts() -> list[Path]:
    """The account folders of ``data/examples/published/`` (those with a published.toml)."""
    return sorted(p.parent for p in PUBLISHED.glob("*/published.toml"))


# -- the document -----------------------------------------------------------------------------


def _fmt(x, digits: int = 4) -> str:
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return ""
    if isinstance(x, float):
        return f"{x:,.{digits}f}".rstrip("0").rstrip(".") if abs(x) < 1e6 else f"{x:,.2f}"
    return str(x)


def _pct(x) -> str:
    return "" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{x:+.2f}"


def _md_cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def document(frames: dict[str, pd.DataFrame]) -> str:
    """docs/validation.md from the comparison of every account."""
    out = [
        "# Validation: published accounts reproduced",
        "",
        "Generated by `python scripts/validation.py` from `data/examples/published/*/` — do not edit by hand.",
        "",
        "For every published account: the value the paper prints, **(a)** gepcalc with the paper's own",
        "quantities and prices (`gepcalc.account(lines=...)`, V = Q·P per line), and **(b)** gepcalc with the",
        "same quantities and its **own default prices** for the profile (the lines without their price",
        "columns). Quantities are the published ones (never recomputed from rasters). (a) must meet the",
        "published value within max(1 %, the paper's rounding) (`tests/test_published.py`); for every",
        f"difference of (b) above {REASON_THRESHOLD:g} % the account's `published.toml` gives the reason",
        "(price vintage, formula variant, types counted, price basis). (b) is empty where gepcalc has no",
        "default price (the account then stops and names the parameter) or where the line carries only a value.",
        "",
    ]
    summary = []
    for name, df in frames.items():
        pub = load(PUBLISHED / name)
        tot = df[df["level"] == "total"]
        summary.append(
            (
                name,
                pub["citation"].get("short", name),
                int((df["level"] == "line").sum()),
                int((df["level"] == "indicator").sum()),
                _fmt(tot["published"].iloc[0], 2) if len(tot) else "",
                _fmt(tot["reproduced_a"].iloc[0], 2) if len(tot) else "",
                df["value_unit"].iloc[0],
            )
        )
    out += [
        "| account | paper | lines | indicators | published total | (a) total | unit |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    out += [f"| {a} | {_md_cell(b)} | {c} | {d} | {e} | {f} | {g} |" for a, b, c, d, e, f, g in summary]
    out.append("")
    for name, df in frames.items():
        pub = load(PUBLISHED / name)
        cit = pub["citation"]
        acc = pub["account"]
        unit = df["value_unit"].iloc[0]
        out += [
            f"## {name}: {cit.get('region', acc.get('region', ''))} {acc['year']}",
            "",
            f"{cit['authors']} ({cit['year']}). {cit['title']}. *{cit['journal']}* {cit['volume_pages']}. "
            f"doi:{cit['doi']}. ChinaXiv {cit.get('chinaxiv', '—')}. Price year {acc['price_year']}; "
            f"profile `{acc.get('profile', 'mee-2020')}`; values in {unit}/yr.",
            "",
        ]
        if cit.get("read"):
            out += [f"Read: {cit['read']}", ""]
        table = df[df["level"].isin(["indicator", "subtotal", "total"])]
        out += [
            f"| level | indicator | table | published quantity | published [{unit}] | (a) [{unit}] | (a) Δ % "
            f"| tol % | (b) [{unit}] | (b) Δ % | gepcalc default price / why no (b) | reason for (b) |",
            "|---|---|---|---|---:|---:|---:|---:|---:|---:|---|---|",
        ]
        for r in table.itertuples():
            q = f"{r.quantity} {r.quantity_unit}".strip() if r.quantity else ""
            reason = r.reason
            if pd.notna(r.diff_b_pct) and abs(r.diff_b_pct) > REASON_THRESHOLD and not reason:
                reason = "**(no reason given in published.toml)**"
            out.append(
                f"| {r.level} | {_md_cell(r.key)} {_md_cell(r.name_zh)} | {_md_cell(r.table)} | {_md_cell(q)} "
                f"| {_fmt(r.published)} | {_fmt(r.reproduced_a)} | {_pct(r.diff_a_pct)} | {r.tolerance_pct:.2f} "
                f"| {_fmt(r.default_b)} | {_pct(r.diff_b_pct)} | {_md_cell(r.default_price)} | {_md_cell(reason)} |"
            )
        ex = df[df["level"] == "excluded"]
        if len(ex):
            out += [
                "",
                "Published items gepcalc does not count (their printed value is added to (a) and (b) where "
                "the paper's subtotals and total include them):",
                "",
            ]
            out += [
                f"* `{r.key}` {r.name_zh}: {_fmt(r.published)} {unit} ({r.table}) — {r.default_price}"
                for r in ex.itertuples()
            ]
        notes = pub.get("notes", [])
        if notes:
            out += ["", *[f"* {n}" for n in notes]]
        lines = df[df["level"] == "line"]
        out += [
            "",
            "<details><summary>Line by line</summary>",
            "",
            f"| line | quantity | published [{unit}] | (a) [{unit}] | (a) Δ % | tol % | (b) [{unit}] | (b) Δ % |",
            "|---|---|---:|---:|---:|---:|---:|---:|",
        ]
        for r in lines.itertuples():
            out.append(
                f"| {_md_cell(r.key)} | {_md_cell(r.quantity)} {_md_cell(r.quantity_unit)} | {_fmt(r.published)} "
                f"| {_fmt(r.reproduced_a)} | {_pct(r.diff_a_pct)} | {r.tolerance_pct:.2f} | {_fmt(r.default_b)} "
                f"| {_pct(r.diff_b_pct)} |"
            )
        out += ["", "</details>", ""]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--print", action="store_true", help="print each account's table")
    parser.add_argument("--out", type=Path, default=DOC, help="where to write the document")
    args = parser.parse_args(argv)
    frames = {}
    for folder in accounts():
        df = compare(folder)
        frames[folder.name] = df
        if args.print:
            with pd.option_context("display.width", 250, "display.max_columns", 30, "display.max_colwidth", 40):
                print(df[df["level"] != "line"].drop(columns=["default_price", "reason"]))
    args.out.write_text(document(frames), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
