"""The result of an account's Monte Carlo (``Account.uncertainty``) and the columns it adds to its views.

:class:`AccountUncertainty` holds the draws' change of value and summarises it (mean, P05, P95 of
any sum) for the account's views, workbook and notes; :func:`coefficient_table` lists what was
drawn and how.  Running the draws is :func:`gepcalc.uncertainty.monte_carlo`, evaluating them
:class:`gepcalc.uncertainty.engine.Engine`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd
import xarray as xr

from gepcalc.uncertainty.coefficients import linearity
from gepcalc.uncertainty.engine import Engine
from gepcalc.uncertainty.sensitivity import one_at_a_time, sobol, tornado
from gepcalc.units import VALUE_UNIT, factor

#: the interval reported: P05 and P95 (a 90 % interval)
QUANTILES = (0.05, 0.95)


@dataclass
class AccountUncertainty:
    """Draws of an account's values: the intervals every output shows (``Account.uncertainty``).

    Attributes
    ----------
    delta : xarray.DataArray
        Change of value [CNY/yr] from the point account per draw, dims ``draw, service, item, region,
        ecosystem`` (services without a drawn coefficient are left out: their change is 0).
    factors : pandas.DataFrame
        The factor φ of each drawn coefficient in each draw.
    coefficients : pandas.DataFrame
        The coefficients drawn: table, row, column, unit, value, low, high, services, how drawn, source.
    n, seed, distribution
        How the draws were made (the same seed gives the same draws, bit for bit).
    notes : list of str
        What was held at its value and why, and how each service was drawn.
    """

    delta: xr.DataArray
    point: xr.DataArray
    factors: pd.DataFrame
    coefficients: pd.DataFrame
    n: int
    seed: int
    distribution: str = "triangular"
    notes: list[str] = field(default_factory=list)
    engine: Engine | None = field(default=None, repr=False)

    def sensitivity(self, unit: str = "亿元") -> pd.DataFrame:
        """One-at-a-time sensitivity of GEP to each drawn coefficient (:func:`one_at_a_time`)."""
        return one_at_a_time(self.engine, unit)

    def sobol(self, n: int = 256, seed: int | None = None) -> pd.DataFrame:
        """Sobol indices of GEP (:func:`sobol`), seeded with the account's seed by default."""
        return sobol(self.engine, n, self.seed if seed is None else seed)

    def tornado(self, path=None, unit: str = "亿元"):
        """Tornado chart of :meth:`sensitivity` (:func:`tornado`)."""
        return tornado(self.sensitivity(unit), path, unit)

    def _point_and_change(self, dims: Sequence[str]) -> tuple[xr.DataArray, xr.DataArray]:
        """Point value and change per draw [CNY/yr], summed over all but ``dims``."""
        point = self.point
        delta = self.delta.reindex(service=point["service"], fill_value=0.0)
        delta = delta.assign_coords(category=("service", point["category"].values))
        keep = [d for d in dims if d != "category"]
        p, d = point, delta
        if "category" in dims:
            p = p.groupby("category").sum()
            d = d.groupby("category").sum()
            keep = ["category", *keep]
        p = p.sum([x for x in p.dims if x not in keep])
        d = d.sum([x for x in d.dims if x not in keep and x != "draw"])
        return p, d.transpose("draw", *keep)

    def draws(self, dims: Sequence[str]) -> xr.DataArray:
        """Value draws [CNY/yr] summed over all but ``dims`` (any of service, item, category, region, ecosystem)."""
        p, d = self._point_and_change(dims)
        return (p + d).transpose("draw", *[x for x in d.dims if x != "draw"])

    def interval(self, dims: Sequence[str], unit: str = "CNY") -> pd.DataFrame:
        """Mean, P05 and P95 of the value summed over all but ``dims``, in ``unit`` per year.

        Computed as point + statistic of the change, so that ranges of zero width give the point value exactly.
        """
        f = factor(VALUE_UNIT, f"{unit} / yr")
        p, d = self._point_and_change(dims)
        keep = [x for x in d.dims if x != "draw"]
        stats = xr.Dataset(
            {
                "mean": (p + d.mean("draw")) * f,
                "p05": (p + d.quantile(QUANTILES[0], "draw", method="linear").drop_vars("quantile")) * f,
                "p95": (p + d.quantile(QUANTILES[1], "draw", method="linear").drop_vars("quantile")) * f,
            }
        )
        if not keep:
            return pd.DataFrame({k: [float(stats[k])] for k in stats})
        return stats.to_dataframe().reset_index()[[*keep, "mean", "p05", "p95"]]

    def gep(self, unit: str = "亿元") -> dict[str, float]:
        """GEP's point value, mean, P05 and P95 [unit/yr]."""
        s = self.interval((), unit).iloc[0]
        f = factor(VALUE_UNIT, f"{unit} / yr")
        return {"point": float(self.point.sum()) * f, "mean": s["mean"], "p05": s["p05"], "p95": s["p95"]}

    def add_columns(self, df: pd.DataFrame, dims: Sequence[str], col: str, unit: str) -> pd.DataFrame:
        """``df`` (a view of :meth:`Account.by`) with ``value_mean``, ``value_p05``, ``value_p95`` after ``col``.

        The new columns are in ``unit`` per year, like ``col``; their names carry no unit (the
        view's ``attrs["units"]`` does, :func:`gepcalc.result.with_units`).
        """
        dims = list(dims)
        st = self.interval(dims, unit).rename(columns={k: f"value_{k}" for k in ("mean", "p05", "p95")})
        if not dims:
            for k in st.columns:
                df[k] = st[k].iloc[0]
        else:
            for d in dims:
                st[d] = st[d].astype(df[d].dtype) if d in df else st[d]
            df = df.merge(st, on=dims, how="left")
        return _after(df, col, list(st.columns[len(dims) :]))

    def sheets(self, unit: str = "亿元") -> dict[str, pd.DataFrame]:
        """Workbook sheets: the coefficients drawn (with how and their range's source) and the sensitivity."""
        return {
            "uncertainty 不确定性": self.coefficients,
            "sensitivity 敏感性": self.sensitivity(unit) if self.engine is not None else pd.DataFrame(),
        }

    def tidy(self, df: pd.DataFrame, f: float, columns: Sequence[str]) -> tuple[pd.DataFrame, list[str]]:
        """Rows of :meth:`Account.table` with ``value_p05``, ``value_p95`` (the table's unit: × ``f``)."""
        delta = self.delta.reindex(service=self.point["service"], fill_value=0.0)
        q = (self.point + delta.quantile(list(QUANTILES), "draw", method="linear")) * f
        st = pd.DataFrame(
            {
                "value_p05": q.sel(quantile=QUANTILES[0], drop=True).to_series(),
                "value_p95": q.sel(quantile=QUANTILES[1], drop=True).to_series(),
            }
        ).reset_index()
        df = df.merge(st, on=["service", "item", "region", "ecosystem"], how="left")
        cols = list(columns)
        i = cols.index("value") + 1
        return df, [*cols[:i], "value_p05", "value_p95", *cols[i:]]

    def notes_text(self) -> list[str]:
        """The lines this Monte Carlo adds to ``Account.notes``: draws, coefficients, and what was held."""
        head = (
            f"uncertainty: {self.n} draws (seed {self.seed}, {self.distribution} on declared ranges) of "
            f"{len(self.coefficients)} coefficient(s): "
            + (", ".join(self.coefficients["coefficient"]) if len(self.coefficients) else "none has a range")
            + "; intervals are P05–P95 (90 %)"
        )
        return [head, *(f"uncertainty: {n}" for n in self.notes)]


def _after(df: pd.DataFrame, col: str, new: list[str]) -> pd.DataFrame:
    """``df`` with the columns ``new`` moved right after ``col`` (at the end without it)."""
    cols = [c for c in df.columns if c not in new]
    i = cols.index(col) + 1 if col in cols else len(cols)
    return df[cols[:i] + new + cols[i:]]


def coefficient_table(eng: Engine) -> pd.DataFrame:
    """The coefficients drawn: where from, their range, the services using them and how each is drawn."""
    rows = []
    for c in eng.coefficients:
        how = sorted(
            {
                f"{u.service}: "
                + (
                    "value rule re-evaluated"
                    if u.stage == "value"
                    else "regional rule re-run"
                    if u.stage == "regional"
                    else (
                        f"{linearity(next(k for k in eng.raster if k.spec.id == u.service)).get(u.parameter)} "
                        "(zonal sums rescaled)"
                        if eng.mode.get(u.service) == "linear"
                        else "recomputed on the full grid per draw"
                    )
                )
                for u in eng.uses[c.key]
            }
        )
        rows.append(
            {
                "coefficient": c.key,
                "table": c.table,
                "row": str(c.row),
                "column": c.column,
                "unit": c.unit,
                "value": c.value,
                "low": c.value * c.low,
                "high": c.value * c.high,
                "services": ", ".join(c.services),
                "how drawn": "; ".join(how),
                "range source": c.range_note,
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "coefficient",
            "table",
            "row",
            "column",
            "unit",
            "value",
            "low",
            "high",
            "services",
            "how drawn",
            "range source",
        ],
    )
