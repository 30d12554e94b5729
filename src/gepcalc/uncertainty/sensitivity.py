"""Sensitivity of GEP to the ranged coefficients: one at a time, Sobol indices, tornado chart.

Each works on a built :class:`gepcalc.uncertainty.engine.Engine` (no raster work for linear
parameters); the Monte Carlo itself is :func:`gepcalc.uncertainty.monte_carlo`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gepcalc.errors import ConfigError
from gepcalc.io import atomic
from gepcalc.units import VALUE_UNIT, factor

if TYPE_CHECKING:
    from gepcalc.uncertainty.engine import Engine


def one_at_a_time(eng: Engine, unit: str = "亿元") -> pd.DataFrame:
    """GEP with each ranged coefficient at its low and at its high end, the others at their values.

    Returns one row per coefficient, sorted by swing: ``coefficient, value, low, high, unit``
    (the coefficient's value and range), ``gep_low, gep_high, swing`` [``unit``/yr, named in
    ``df.attrs["units"]``], ``services``.  :func:`gepcalc.export.labelled` with
    :data:`gepcalc.export.SENSITIVITY_HEADERS` makes the headers people read (``GEP low [亿元/yr]``).
    """
    f = factor(VALUE_UNIT, f"{unit} / yr")
    k = len(eng.keys)
    if not k:
        return pd.DataFrame(columns=["coefficient", "gep_low", "gep_high", "swing"])
    phi = np.ones((2 * k, k))
    for i, c in enumerate(eng.coefficients):
        phi[2 * i, i], phi[2 * i + 1, i] = c.low, c.high
    g = eng.gep(phi) * f
    rows = [
        {
            "coefficient": c.key,
            "value": c.value,
            "low": c.value * c.low,
            "high": c.value * c.high,
            "unit": c.unit,
            "gep_low": g[2 * i],
            "gep_high": g[2 * i + 1],
            "swing": abs(g[2 * i + 1] - g[2 * i]),
            "services": ", ".join(c.services),
        }
        for i, c in enumerate(eng.coefficients)
    ]
    df = pd.DataFrame(rows).sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)
    df.attrs["GEP"] = float(eng.gep(np.ones((1, k)))[0]) * f
    df.attrs["units"] = {c: f"{unit}/yr" for c in ("gep_low", "gep_high", "swing")}
    return df


def sobol(eng: Engine, n: int = 256, seed: int = 0) -> pd.DataFrame:
    """First-order and total Sobol indices of GEP (Saltelli sampling, SALib) over the declared ranges.

    Each coefficient's factor is uniform on [low/value, high/value] here (SALib's Saltelli design);
    ``n`` base samples give n (2k + 2) evaluations.  Needs SALib (``pip install gepcalc[uncertainty]``).
    """
    try:
        from SALib.analyze import sobol as sobol_analyze
        from SALib.sample import sobol as sobol_sample
    except ImportError as exc:  # pragma: no cover - SALib is in the test and uncertainty extras
        raise ConfigError("Sobol indices need SALib: pip install 'gepcalc[uncertainty]'") from exc
    k = len(eng.keys)
    if k < 1:
        return pd.DataFrame(columns=["coefficient", "S1", "S1_conf", "ST", "ST_conf"])
    lo = np.array([c.low for c in eng.coefficients])
    hi = np.array([c.high for c in eng.coefficients])
    hi = np.where(hi > lo, hi, lo + 1e-12)  # SALib needs an interval; a zero-width range gets index 0
    problem = {"num_vars": k, "names": eng.keys, "bounds": np.column_stack([lo, hi]).tolist()}
    x = sobol_sample.sample(problem, n, calc_second_order=False, seed=seed)
    y = eng.gep(x)
    res = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=seed)
    return (
        pd.DataFrame(
            {
                "coefficient": eng.keys,
                "S1": res["S1"],
                "S1_conf": res["S1_conf"],
                "ST": res["ST"],
                "ST_conf": res["ST_conf"],
            }
        )
        .sort_values("ST", ascending=False, kind="stable")
        .reset_index(drop=True)
    )


def tornado(table: pd.DataFrame, path=None, unit: str = "亿元"):
    """Tornado chart of :func:`one_at_a_time` (a matplotlib Figure; saved to ``path`` if given)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    lo_col, hi_col = "gep_low", "gep_high"
    ref = table.attrs.get("GEP", 0.0)
    t = table.iloc[::-1]
    fig, ax = plt.subplots(figsize=(7, 0.5 * max(len(t), 1) + 1.2))
    y = np.arange(len(t))
    ax.barh(y, t[lo_col] - ref, left=ref, color="#4477aa", label="coefficient at its low end")
    ax.barh(y, t[hi_col] - ref, left=ref, color="#ee6677", label="coefficient at its high end")
    ax.axvline(ref, color="k", lw=0.8)
    ax.set_yticks(y, t["coefficient"])
    ax.set_xlabel(f"GEP [{unit}/yr]")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    if path is not None:
        with atomic(path) as tmp:
            fig.savefig(tmp, dpi=150)
    return fig
