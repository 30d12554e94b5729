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

import numpy as np
import pandas as pd

from gepcalc.errors import CoefficientTableError, ConfigError, TableProblem
from gepcalc.progress import track
from gepcalc.project.delta import State, rerun, revalue, total_value
from gepcalc.tables import CoefficientTable, load_table

DISTRIBUTIONS = ("triangular", "uniform", "pert")
UNCERTAINTY_KEYS = {
    "seed",
    "draws",
    "distribution",
    "physical",
    "sensitivity",
    "tables",
    "run",
    "investment",
    "revenue",
}


# -- declared ranges ---------------------------------------------------------------------------------


def declared_ranges(table: CoefficientTable, rows: Sequence | None = None) -> pd.DataFrame:
    """Rows with a declared range: ``row, column, value, low, high`` in the column's (row's) unit.

    ``rows`` limits the check to these rows (default: all).

    Raises
    ------
    CoefficientTableError
        A range that does not contain the value (or low > high), naming the table, row and column.
    """
    found, problems = [], []
    keys = table.keys if rows is None else [r for r in rows if r in table.data.index]
    for col in table.columns:
        lo, hi = f"{col}_low", f"{col}_high"
        if lo not in table.columns or hi not in table.columns:
            continue
        for key in keys:
            v, a, b = (table.data.at[key, c] for c in (col, lo, hi))
            if pd.isna(a) and pd.isna(b):
                continue
            if pd.isna(a) or pd.isna(b) or pd.isna(v):
                problems.append(TableProblem(f"row {key!r}: {lo} and {hi} must both be given (and {col})"))
                continue
            if not float(a) <= float(v) <= float(b):
                problems.append(
                    TableProblem(f"row {key!r}: range [{a:g}, {b:g}] of column {col!r} does not contain its {v:g}")
                )
                continue
            found.append({"row": key, "column": col, "value": float(v), "low": float(a), "high": float(b)})
    if problems:
        raise CoefficientTableError(f"coefficient table {table.name!r} ({table.origin}) has bad ranges", problems)
    return pd.DataFrame(found, columns=["row", "column", "value", "low", "high"])


@dataclass(frozen=True)
class Coefficient:
    """One table cell used by the accounts: its kind (value or physical), services and relative range."""

    table: str
    row: object
    column: str
    kind: str  # "value" or "physical"
    services: tuple[str, ...]
    value: float  # in the table's unit, baseline state
    unit: str
    low: float | None = None  # relative factors φ_low, φ_high, from a declared range
    high: float | None = None
    range_note: str = ""

    @property
    def key(self) -> str:
        return f"{self.table}[{self.row}].{self.column}"


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
            row = _key(t, r["row"])
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


def _key(table: CoefficientTable, row):
    if table.index_kind == "landcover":
        try:
            return int(row)
        except (TypeError, ValueError):
            return row
    return row


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
        One row per coefficient, sorted by swing: coefficient, kind, services, value, unit, low/high
        values, ΔGEP [CNY/yr] at low and high, NPV [CNY] at low and high, swing, range source.
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
                "ΔGEP low [CNY/yr]": d_lo,
                "ΔGEP high [CNY/yr]": d_hi,
                "NPV low [CNY]": d_lo * annuity,
                "NPV high [CNY]": d_hi * annuity,
                "swing [CNY/yr]": abs(d_hi - d_lo),
                "note": c.range_note,
            }
        )
    df = pd.DataFrame(rows)
    if len(df):
        df = df.sort_values("swing [CNY/yr]", ascending=False, kind="stable").reset_index(drop=True)
    df.attrs["reference ΔGEP [CNY/yr]"] = ref
    return df


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


def draw_factors(coeffs: Sequence[Coefficient], n: int, seed: int, distribution: str = "triangular") -> pd.DataFrame:
    """n × len(coeffs) relative factors φ, one column per coefficient (reproducible with ``seed``).

    ``triangular``: low, mode 1 (the table's value), high; ``uniform``: low…high;
    ``pert``: Beta-PERT with mode 1 (λ = 4).
    """
    if distribution not in DISTRIBUTIONS:
        raise ConfigError(f"[uncertainty] distribution {distribution!r} is not one of {DISTRIBUTIONS}")
    rng = np.random.default_rng(seed)
    cols = {}
    for c in coeffs:
        lo, hi = float(c.low), float(c.high)
        if hi == lo:
            cols[c.key] = np.full(n, lo)
        elif distribution == "uniform":
            cols[c.key] = rng.uniform(lo, hi, n)
        elif distribution == "triangular":
            cols[c.key] = rng.triangular(lo, min(max(1.0, lo), hi), hi, n)
        else:
            mode = min(max(1.0, lo), hi)
            a = 1 + 4 * (mode - lo) / (hi - lo)
            b = 1 + 4 * (hi - mode) / (hi - lo)
            cols[c.key] = lo + rng.beta(a, b, n) * (hi - lo)
    return pd.DataFrame(cols, index=pd.RangeIndex(n, name="draw"))


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
    unknown = sorted(set(raw) - UNCERTAINTY_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {unknown} in [uncertainty]; expected {sorted(UNCERTAINTY_KEYS)}")
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
        from gepcalc.project.definition import parse_rate

        out["step"] = parse_rate(out["step"].lstrip("±+"), f"{where} [uncertainty] sensitivity")
    if not 0 < float(out["step"]) < 1:
        raise ConfigError(f"{where}: [uncertainty] sensitivity must be a fraction in (0, 1), e.g. 0.1 or '10 %'")
    from gepcalc.project.definition import parse_rate

    for key in ("investment", "revenue"):
        v = raw.get(key, out["step"])
        v = parse_rate(v.lstrip("±+") if isinstance(v, str) else v, f"{where} [uncertainty] {key}")
        if not 0 <= v < 1:
            raise ConfigError(f"{where}: [uncertainty] {key} must be a fraction in [0, 1), e.g. 0.15 or '15 %'")
        out[key] = v
    return out


# -- the financial indicators -------------------------------------------------------------------------

#: indicators drawn in :func:`finance_monte_carlo`
FINANCE_MC_KEYS = ("firr_after_tax", "fnpv_after_tax", "firr_capital", "dscr_min", "self_balance_financed", "enpv")


def finance_monte_carlo(
    result,
    mc: MonteCarlo,
    *,
    seed: int = 0,
    distribution: str = "triangular",
    investment: float = 0.1,
    revenue: float = 0.1,
) -> pd.DataFrame:
    """The financial indicators for every Monte Carlo draw of the ΔGEP prices, with investment and revenue drawn.

    Each draw takes the ΔGEP per service of draw *i* of ``mc`` (prices drawn within their declared
    ranges), so monetised ΔGEP valued at GEP prices and the non-market ΔGEP move with it; the
    investment (with its financing plan) and the revenues (with the monetised ΔGEP) are scaled by
    factors drawn between 1 ∓ ``investment`` and 1 ∓ ``revenue`` (mode 1), independently, from
    ``numpy.random.default_rng([seed, 19])`` (same seed → same draws).

    Returns
    -------
    pandas.DataFrame
        One row per draw: the two factors, ΔGEP total [CNY/yr] and :data:`FINANCE_MC_KEYS`
        (FIRR [1/yr], FNPV [CNY], DSCR min [1], self-balance [1], ENPV [CNY]).
    """
    from gepcalc.project import finance as fm

    services = [c for c in mc.draws.columns if c not in ("total", "npv")]
    n = len(mc.draws)
    rng = np.random.default_rng([int(seed), 19])
    facs = {}
    for key, a in (("investment", investment), ("revenue", revenue)):
        if a == 0:
            facs[key] = np.ones(n)
        elif distribution == "uniform":
            facs[key] = rng.uniform(1 - a, 1 + a, n)
        elif distribution == "triangular":
            facs[key] = rng.triangular(1 - a, 1.0, 1 + a, n)
        else:
            facs[key] = 1 - a + rng.beta(3.0, 3.0, n) * 2 * a  # PERT with the mode in the middle (λ = 4)
    rows = []
    for i in range(n):
        dv = mc.draws.iloc[i][services].astype(float)
        flows = result.finance_flows(dv)
        f, p, s = fm.variant(
            flows, result.financing, result.schedule, investment=facs["investment"][i], revenue=facs["revenue"][i]
        )
        ind = fm.appraise(f, p, s).indicators
        rows.append(
            {
                "investment factor": facs["investment"][i],
                "revenue factor": facs["revenue"][i],
                "ΔGEP [CNY/yr]": float(dv.sum()),
                **{k: ind[k] for k in FINANCE_MC_KEYS},
            }
        )
    out = pd.DataFrame(rows, index=pd.RangeIndex(n, name="draw"))
    return out.astype({k: float for k in ("firr_after_tax", "firr_capital", "dscr_min")})


def finance_mc_stats(draws: pd.DataFrame, dscr_required: float = 1.0) -> pd.DataFrame:
    """Mean, P5, P50, P95 of the drawn indicators and the share of draws below a threshold.

    Thresholds: FNPV and ENPV 0 (FNPV < 0 ⇔ FIRR below the benchmark), DSCR min the required DSCR,
    self-balance 1.

    FIRR columns skip draws without an IRR (their count is in ``n``).
    """
    keys = [k for k in FINANCE_MC_KEYS if k in draws]
    d = draws[keys]
    st = pd.DataFrame(
        {
            "n": d.notna().sum(),
            "mean": d.mean(),
            "P5": d.quantile(0.05),
            "P50": d.quantile(0.50),
            "P95": d.quantile(0.95),
        }
    )
    st["threshold"] = np.nan
    st["P(below)"] = np.nan
    for key, limit in (
        ("fnpv_after_tax", 0.0),
        ("enpv", 0.0),
        ("dscr_min", dscr_required),
        ("self_balance_financed", 1.0),
    ):
        if draws[key].notna().any():
            st.loc[key, "threshold"] = limit
            st.loc[key, "P(below)"] = float((draws[key] < limit).mean())
    return st
