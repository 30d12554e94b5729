r"""Monetary ecosystem asset account of SEEA EA: the net present value of each type's flows.

:math:`NPV = V \, a(r, T)` with the annuity factor :math:`a(r, T) = (1 - (1 + r)^{-T}) / r`
(:func:`annuity_factor`); with a closing account the change is split into conversions (extent)
and enhancement / degradation (flow per hectare) (:func:`asset_account`).  Extent, condition and
supply and use are the other modules of :mod:`gepcalc.seea`.
"""

from __future__ import annotations

import pandas as pd

from gepcalc.errors import ConfigError
from gepcalc.units import VALUE_UNIT, factor


def annuity_factor(rate: float, life: float) -> float:
    r"""Present value of 1 per year for ``life`` years at discount ``rate``: :math:`(1 - (1 + r)^{-T}) / r` [yr].

    Flows at the end of each year; :math:`a = T` when r = 0.
    """
    if life <= 0 or rate <= -1:
        raise ConfigError(f"asset account: asset life must be > 0 years and the discount rate > −1, got {life}, {rate}")
    return float(life) if rate == 0 else (1.0 - (1.0 + rate) ** -float(life)) / rate


def asset_account(
    opening,
    closing=None,
    *,
    discount_rate: float,
    asset_life: float,
    unit: str = "万元",
) -> pd.DataFrame:
    r"""Monetary ecosystem asset account by ecosystem type [``unit``]: NPV of the expected flows.

    :math:`NPV_e = V_e\,a(r, T)` with :math:`V_e` the type's GEP [CNY/yr] (held constant) and
    :func:`annuity_factor`.  With a closing account the change is split per type with the flow per
    hectare :math:`u = V / A`:

    * ecosystem conversions :math:`a\,(A_1 - A_0)\,u_0` (extent: additions where positive,
      reductions where negative);
    * ecosystem enhancement / degradation :math:`a\,A_1\,(u_1 - u_0)` (flow per hectare);

    so that opening + additions − reductions = closing.  A type absent in the opening year
    enters entirely as a conversion.  Revaluation (a change of price level) is not separated: both
    accounts are valued at their own price year (noted when they differ).
    """
    a = annuity_factor(discount_rate, asset_life)
    f = factor(VALUE_UNIT, f"{unit} / yr")

    def by_type(acct):
        """Value [unit/yr] and area [m²] of each ecosystem type of ``acct``."""
        v = acct.data["value"].sum([d for d in acct.data["value"].dims if d != "ecosystem"]).to_series() * f
        area = acct.data["area"].sum([d for d in acct.data["area"].dims if d != "ecosystem"]).to_series()
        return v, area

    v0, a0 = by_type(opening)
    if closing is None:
        types = [e for e in v0.index if v0[e] != 0 or a0.get(e, 0) > 0]
        df = pd.DataFrame([v0.reindex(types) * a], index=["asset value (NPV)"])
        df["total"] = df.sum(axis=1)
        df.index.name = f"asset account [{unit}]"
        return df.reset_index()
    v1, a1 = by_type(closing)
    types = [e for e in dict.fromkeys([*v0.index, *v1.index]) if v0.get(e, 0) or v1.get(e, 0)]
    v0, v1 = v0.reindex(types, fill_value=0.0), v1.reindex(types, fill_value=0.0)
    a0, a1 = a0.reindex(types, fill_value=0.0), a1.reindex(types, fill_value=0.0)
    u0 = (v0 / a0.where(a0 > 0)).fillna(0.0)
    u1 = (v1 / a1.where(a1 > 0)).fillna(0.0)
    conv = a * (a1 - a0) * u0
    conv = conv.where(a0 > 0, a * v1)  # a new type: all of it is a conversion
    enh = a * a1 * (u1 - u0)
    enh = enh.where(a0 > 0, 0.0)
    rows = {
        "opening value": a * v0,
        "additions: ecosystem enhancement": enh.clip(lower=0.0),
        "additions: ecosystem conversions": conv.clip(lower=0.0),
        "reductions: ecosystem degradation": (-enh).clip(lower=0.0),
        "reductions: ecosystem conversions": (-conv).clip(lower=0.0),
        "revaluations": pd.Series(0.0, index=types),
        "closing value": a * v1,
    }
    df = pd.DataFrame(rows).T[types]
    df["total"] = df.sum(axis=1)
    df.index.name = f"asset account [{unit}]"
    return df.reset_index()
