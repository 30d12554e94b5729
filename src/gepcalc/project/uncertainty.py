"""Sensitivity (one coefficient at a time) and seeded Monte Carlo over coefficient ranges.

**Ranges** are declared in the coefficient tables (``docs/tables.md``, "Ranges"):
a numeric column ``X`` may have companion columns ``X_low`` and ``X_high`` in the
same unit; an empty cell means no declared range for that row.

**Perturbations are relative.**  A coefficient (table, row, column) is scaled by a
factor φ in both states at once, so a deliberate with-project change of the same
cell (e.g. a higher carbon price) is kept: φ = low/value … high/value for a declared
range, 1 ± X % otherwise.  A row whose value the user overrode loses its declared
range (it belonged to the table's value) unless the other state keeps the table's.

**Speed.**  Value parameters (prices) do not change physical quantities, so their
perturbations re-value the accounts' quantities (:func:`~gepcalc.project.delta.revalue`, with
the value parameters from each account's context, :mod:`gepcalc.context`) without touching a
raster.  Physical coefficients re-run the two accounts for the services that use them
(:meth:`gepcalc.Account.recompute`; one-at-a-time always; in Monte Carlo only with
``physical = true``, meant for a small number of draws on small data).

ΔGEP scales with the schedule, so NPV = ΔGEP_full · Σ_t f_t d_t for every draw.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from gepcalc.errors import ConfigError
from gepcalc.progress import track
from gepcalc.project.amounts import parse_rate
from gepcalc.project.delta import State, rerun, revalue, total_value
from gepcalc.project.finance.monte_carlo import FINANCE_MC_KEYS, finance_mc_stats, finance_monte_carlo
from gepcalc.schema import UncertaintySection, validate
from gepcalc.tables import CoefficientTable, load_table
from gepcalc.uncertainty.ranges import DISTRIBUTIONS, Coefficient, declared_ranges, draw_factors, table_key

__all__ = [
    "DISTRIBUTIONS",
    "FINANCE_MC_KEYS",
    "UNCERTAINTY_KEYS",
    "Coefficient",
    "MonteCarlo",
    "declared_ranges",
    "draw_factors",
    "evaluate",
    "finance_mc_stats",
    "finance_monte_carlo",
    "monte_carlo",
    "parse_uncertainty",
    "perturbed_tables",
    "sensitivity",
    "used_coefficients",
]

#: keys of ``[uncertainty]`` (the schema: :class:`gepcalc.schema.UncertaintySection`)
UNCERTAINTY_KEYS = set(UncertaintySection.model_fields)


def used_coefficients(base: State, with_: State) -> list[Coefficient]:
    """Every numeric table cell the two accounts used, with its declared range as relative factors."""
    found: dict[tuple, dict] = {}
    for st in (base, with_):
        src = st.account.sources
        if not len(src) or "row" not in src:
            continue
        for _, r in src.dropna(subset=["row"]).iterrows():
            t = st.tables.get(r["table"])
            if t is None or r.get("column") not in t.columns or t.columns[r["column"]].type in ("bool", "text"):
                continue
            row = table_key(t, r["row"])
            if row not in t.data.index:
                continue
            cls = st.service(r["service"])
            kind = "value" if any(p.name == r["parameter"] for p in cls.spec.value_params) else "physical"
            k = (t.name, row, r["column"])
            e = found.setdefault(k, {"kinds": set(), "services": set()})
            e["kinds"].add(kind)
            e["services"].add(r["service"])
    out = []
    for (tname, row, col), e in sorted(found.items(), key=lambda kv: tuple(map(str, kv[0]))):
        low = high = None
        note = ""
        candidates = [st for st in (base, with_) if tname in st.tables]
        ref = candidates[0].tables[tname]
        for st in candidates:
            t = st.tables[tname]
            if _overridden(t, row) and not _range_given(st, tname, row, col):
                continue
            rng = declared_ranges(t, rows=[row])
            hit = rng[(rng["row"] == row) & (rng["column"] == col)]
            if len(hit):
                h = hit.iloc[0]
                if h["value"] != 0:
                    low, high = h["low"] / h["value"], h["high"] / h["value"]
                else:
                    note = "declared range around a value of 0 cannot be applied relatively; ± % used"
            break
        else:
            note = "value overridden by the user in both states: the table's declared range is not used"
        val = float(ref.data.at[row, col])
        out.append(
            Coefficient(
                tname,
                row,
                col,
                "physical" if "physical" in e["kinds"] else "value",
                tuple(sorted(e["services"])),
                val,
                ref.unit(col, row),
                low,
                high,
                note,
            )
        )
    return out


def _range_given(state: State, table: str, row, column: str) -> bool:
    """Whether the state's overrides set the range of this cell too (then the range is the user's)."""
    cells = (state.context.overrides or {}).get(table, {})
    given = next((v for k, v in cells.items() if str(k) == str(row)), {})
    return f"{column}_low" in given and f"{column}_high" in given


def _overridden(table: CoefficientTable, row) -> bool:
    src = table.data.at[row, "source"] if "source" in table.data.columns else ""
    return "override" in str(src).split(";")


# -- evaluating perturbations -----------------------------------------------------------------------


def perturbed_tables(state: State, factors: Mapping[Coefficient, float]) -> dict[str, CoefficientTable]:
    """The state's tables with each coefficient's value multiplied by its factor φ."""
    by_table: dict[str, dict] = {}
    for c, phi in factors.items():
        t = state.tables.get(c.table)
        if t is None:
            continue
        by_table.setdefault(c.table, {}).setdefault(c.row, {})[c.column] = float(t.data.at[c.row, c.column]) * phi
    out = {}
    for name, cells in by_table.items():
        t = state.tables[name]
        sources = t.data["source"].copy()
        new = load_table(t, overrides=cells)
        new.data["source"] = sources  # a perturbation keeps the rows' own sources
        out[name] = new
    return out


def evaluate(base: State, with_: State, factors: Mapping[Coefficient, float], *, physical: bool = True) -> pd.Series:
    """ΔGEP [CNY/yr] per service at full effect with coefficients scaled by ``factors``.

    Value coefficients re-value the accounts' quantities; physical ones (when ``physical``)
    re-run both accounts for the services using them.
    """
    phys = [c for c in factors if c.kind == "physical"]
    if phys and not physical:
        factors = {c: f for c, f in factors.items() if c.kind != "physical"}
        phys = []
    affected = sorted({s for c in phys for s in c.services})
    totals = []
    for st in (base, with_):
        tables = perturbed_tables(st, factors)
        values = total_value(revalue(st, tables, services=[c.spec.id for c in st.classes if c.spec.id not in affected]))
        if affected:
            acct = rerun(st, services=[st.service(s) for s in affected], tables={**st.tables, **tables})
            v = acct.data["value"].sum([d for d in acct.data["value"].dims if d != "service"]).to_series()
            values = pd.concat([values, v])
        totals.append(values)
    ids = [c.spec.id for c in with_.classes]
    return (totals[1] - totals[0]).reindex(ids)


# -- one at a time ----------------------------------------------------------------------------------


def sensitivity(
    base: State,
    with_: State,
    annuity: float,
    *,
    step: float = 0.1,
    tables: Sequence[str] | None = None,
) -> pd.DataFrame:
    """One-at-a-time sensitivity of ΔGEP and NPV to every used coefficient.

    Each coefficient goes to its declared low/high (relative to its value), or to
    ×(1 ∓ ``step``) without a declared range, the others staying at their values.
    Coefficients of 0 without a declared range are left out (a relative change does nothing).

    Parameters
    ----------
    annuity
        Σ_t f_t d_t [yr] of the schedule (NPV = ΔGEP · annuity).
    step
        Relative change where no range is declared (0.1 = ±10 %).
    tables
        Only coefficients of these tables (default: all).

    Returns
    -------
    pandas.DataFrame
        One row per coefficient, sorted by swing: ``coefficient, kind, services, value, unit, low,
        high, range`` (the coefficient and its range), ``delta_gep_low, delta_gep_high`` [CNY/yr],
        ``npv_low, npv_high`` [CNY], ``swing`` [CNY/yr], ``note`` (the range's source); the units in
        ``df.attrs["units"]``, ΔGEP at the coefficients' values in ``df.attrs["reference_delta_gep"]``
        [CNY/yr].  :func:`gepcalc.export.labelled` with :data:`gepcalc.export.DELTA_SENSITIVITY_HEADERS`
        makes the headers people read (``ΔGEP low [CNY/yr]``).
    """
    coeffs = [
        c
        for c in used_coefficients(base, with_)
        if (tables is None or c.table in tables) and (c.low is not None or c.value != 0)
    ]
    ref = float(evaluate(base, with_, {}).sum())
    rows = []
    for c in track(coeffs, "sensitivity 敏感性"):  # a bar where the CLI shows progress
        lo, hi = (c.low, c.high) if c.low is not None else (1 - step, 1 + step)
        d_lo = float(evaluate(base, with_, {c: lo}).sum())
        d_hi = float(evaluate(base, with_, {c: hi}).sum())
        rows.append(
            {
                "coefficient": c.key,
                "kind": c.kind,
                "services": ", ".join(c.services),
                "value": c.value,
                "unit": c.unit,
                "low": c.value * lo,
                "high": c.value * hi,
                "range": "declared" if c.low is not None else f"±{step:.0%}",
                "delta_gep_low": d_lo,
                "delta_gep_high": d_hi,
                "npv_low": d_lo * annuity,
                "npv_high": d_hi * annuity,
                "swing": abs(d_hi - d_lo),
                "note": c.range_note,
            }
        )
    df = pd.DataFrame(rows)
    if len(df):
        df = df.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)
    df.attrs["reference_delta_gep"] = ref
    df.attrs["units"] = SENSITIVITY_UNITS
    return df


#: units of the money columns of :func:`sensitivity`
SENSITIVITY_UNITS = {
    "delta_gep_low": "CNY/yr",
    "delta_gep_high": "CNY/yr",
    "npv_low": "CNY",
    "npv_high": "CNY",
    "swing": "CNY/yr",
}


# -- Monte Carlo ----------------------------------------------------------------------------------


@dataclass
class MonteCarlo:
    """Draws of ΔGEP per service [CNY/yr] and NPV [CNY], with the coefficients and factors drawn.

    Attributes
    ----------
    draws : pandas.DataFrame
        One row per draw: ΔGEP per service, ``total`` [CNY/yr] and ``npv`` [CNY].
    factors : pandas.DataFrame
        The relative factor φ of each ranged coefficient in each draw.
    seed, distribution, physical
        How the draws were made.
    held : list of str
        Coefficients with a declared range that were held at their value (physical ones without ``physical``).
    """

    draws: pd.DataFrame
    factors: pd.DataFrame
    seed: int
    distribution: str
    physical: bool
    held: list[str] = field(default_factory=list)

    def stats(self, columns: Sequence[str] = ("total", "npv")) -> pd.DataFrame:
        """Mean, standard deviation, P5, P50, P95 of the given columns."""
        d = self.draws[list(columns)]
        return pd.DataFrame(
            {
                "mean": d.mean(),
                "std": d.std(ddof=1) if len(d) > 1 else 0.0,
                "P5": d.quantile(0.05),
                "P50": d.quantile(0.50),
                "P95": d.quantile(0.95),
            }
        )


def monte_carlo(
    base: State,
    with_: State,
    annuity: float,
    *,
    n: int = 500,
    seed: int = 0,
    distribution: str = "triangular",
    physical: bool = False,
    tables: Sequence[str] | None = None,
) -> MonteCarlo:
    """Monte Carlo of ΔGEP and NPV over the declared ranges of the used coefficients.

    Parameters
    ----------
    annuity
        Σ_t f_t d_t [yr] of the schedule.
    n, seed, distribution
        Number of draws, random seed (same seed → identical draws), distribution of the factors.
    physical
        Also draw physical coefficients (re-runs the accounts per draw: keep ``n`` small).
    tables
        Only coefficients of these tables (default: all).
    """
    if int(n) != n or n < 1:
        raise ConfigError(f"[uncertainty] draws must be a whole number ≥ 1, got {n!r}")
    coeffs = [c for c in used_coefficients(base, with_) if c.low is not None and (tables is None or c.table in tables)]
    held = [c.key for c in coeffs if c.kind == "physical" and not physical]
    drawn = [c for c in coeffs if physical or c.kind == "value"]
    fac = draw_factors(drawn, int(n), int(seed), distribution)
    rows = []
    for i in track(range(int(n)), "Monte Carlo 蒙特卡洛"):  # a bar where the CLI shows progress
        s = evaluate(base, with_, {c: float(fac.at[i, c.key]) for c in drawn}, physical=physical)
        rows.append(s)
    draws = pd.DataFrame(rows).reset_index(drop=True)
    draws.index.name = "draw"
    draws["total"] = draws.sum(axis=1)
    draws["npv"] = draws["total"] * annuity
    return MonteCarlo(draws, fac, int(seed), distribution, bool(physical), held)


def parse_uncertainty(raw: Mapping, where: str) -> dict:
    """``[uncertainty]`` → keyword arguments (validated)."""
    validate(UncertaintySection, raw, f"{where} [uncertainty]")  # unknown keys, kinds (also for a dict from Python)
    out = {
        "run": bool(raw.get("run", bool(raw))),
        "n": raw.get("draws", 500),
        "seed": raw.get("seed", 0),
        "distribution": raw.get("distribution", "triangular"),
        "physical": bool(raw.get("physical", False)),
        "step": raw.get("sensitivity", 0.1),
        "tables": raw.get("tables"),
    }
    if not isinstance(out["n"], int) or out["n"] < 1:
        raise ConfigError(f"{where}: [uncertainty] draws must be a whole number ≥ 1, got {out['n']!r}")
    if not isinstance(out["seed"], int):
        raise ConfigError(f"{where}: [uncertainty] seed must be an integer, got {out['seed']!r}")
    if out["distribution"] not in DISTRIBUTIONS:
        raise ConfigError(f"{where}: [uncertainty] distribution {out['distribution']!r} is not one of {DISTRIBUTIONS}")
    if isinstance(out["step"], str):
        out["step"] = parse_rate(out["step"].lstrip("±+"), f"{where} [uncertainty] sensitivity")
    if not 0 < float(out["step"]) < 1:
        raise ConfigError(f"{where}: [uncertainty] sensitivity must be a fraction in (0, 1), e.g. 0.1 or '10 %'")
    for key in ("investment", "revenue"):
        v = raw.get(key, out["step"])
        v = parse_rate(v.lstrip("±+") if isinstance(v, str) else v, f"{where} [uncertainty] {key}")
        if not 0 <= v < 1:
            raise ConfigError(f"{where}: [uncertainty] {key} must be a fraction in [0, 1), e.g. 0.15 or '15 %'")
        out[key] = v
    return out
