"""A profile's double-counting rules, applied to an account's quantities and values.

Standards forbid counting one flow twice: water conservation and water supply,
soil retention and water purification, cultural and provisioning services.  A
profile states its rules (``[[double_counting]]`` in ``data/profiles/ID.toml``);
each is applied only when both indicators are in the account, and every
application is reported (the account's ``adjustments`` table and a note).

Rules:

``subtract``
    Per region, the quantity of ``service`` is reduced by the quantity of
    ``minus`` (its ``items``, converted to ``service``'s unit), not below zero:

    .. math:: Q'_A = \\max(Q_A - Q_B, 0), \\qquad V'_A = V_A \\, Q'_A / Q_A

    (values follow quantities; every value rule of gepcalc is linear in the quantity).
``drop``
    ``service`` is not counted (quantity and value 0) when ``minus`` is in the account.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import xarray as xr

from gepcalc.errors import ConfigError
from gepcalc.units import Q_, VALUE_UNIT, factor

RULES = ("subtract", "drop")


def _region_total(q: xr.DataArray, items=None) -> xr.DataArray:
    if "item" in q.dims and items:
        q = q.sel(item=[i for i in items if i in q["item"].values])
    return q.sum([d for d in q.dims if d != "region"])


def apply_rules(
    profile, quantities: Mapping[str, xr.DataArray], values: Mapping[str, xr.DataArray], units
) -> tuple[dict, dict, pd.DataFrame]:
    """Apply ``profile.double_counting`` where both services are present.

    Parameters
    ----------
    profile
        The account's :class:`~gepcalc.profiles.Profile`.
    quantities, values
        Per service: quantity [its unit] and value [CNY/yr] by (item,) region, ecosystem.
    units
        ``{(service, item): unit}`` of the quantities.

    Returns
    -------
    quantities, values, adjustments
        Adjusted copies, and one row per rule × region with before/after figures: ``rule, kind,
        service, because_of, region, quantity_before, quantity_after`` [the service's unit],
        ``value_before, value_after`` [CNY/yr], ``clause, status, reason``
        (``adjustments.attrs["notes"]``: one line per rule applied; ``attrs["units"]``: the unit of
        the value columns).
    """
    q, v = dict(quantities), dict(values)
    rows, notes = [], []
    for rule in profile.double_counting:
        a, b, kind = rule["service"], rule["minus"], rule.get("rule", "subtract")
        if a not in q or b not in q:
            continue
        before_q, before_v = _region_total(q[a]), _region_total(v[a])
        if kind == "drop":
            ratio = xr.zeros_like(before_q)
            taken = before_q
        else:
            b_items = rule.get("items") or (list(q[b]["item"].values) if "item" in q[b].dims else [""])
            ua = {units[(a, i)] for (s, i) in units if s == a}
            if len(ua) != 1:
                raise ConfigError(f"profile {profile.id}: rule on {a!r} needs one quantity unit, it has {sorted(ua)}")
            ua = ua.pop()
            qb = q[b] if "item" in q[b].dims else q[b].expand_dims(item=[""])
            parts = [qb.sel(item=i) * factor(units[(b, i)], ua) for i in b_items if i in qb["item"].values]
            taken = _region_total(sum(parts)) if parts else xr.zeros_like(before_q)
            after = np.maximum(before_q - taken, 0.0)
            ratio = xr.where(before_q > 0, after / before_q.where(before_q > 0), 1.0)
        q[a] = q[a] * ratio
        v[a] = v[a] * ratio
        for region in before_q["region"].values:
            rows.append(
                {
                    "rule": rule.get("id", f"{a}-{b}"),
                    "kind": kind,
                    "service": a,
                    "because_of": b,
                    "region": region,
                    "quantity_before": float(before_q.sel(region=region)),
                    "quantity_after": float(_region_total(q[a]).sel(region=region)),
                    "value_before": float(before_v.sel(region=region)),
                    "value_after": float(_region_total(v[a]).sel(region=region)),
                    "clause": rule.get("clause", ""),
                    "status": rule.get("status", "judgement"),
                    "reason": rule.get("reason", ""),
                }
            )
        change = Q_(float(before_v.sum() - _region_total(v[a]).sum()), VALUE_UNIT).to("亿元 / yr").magnitude
        how = f"minus {b}" if kind == "subtract" else f"dropped because of {b}"
        notes.append(
            f"double counting ({profile.id}, rule {rule.get('id', a)}): {a} {how}; value reduced by "
            f"{change:,.4g} 亿元/yr [{rule.get('status', 'judgement')}]"
        )
    df = pd.DataFrame(rows)
    df.attrs["notes"] = notes
    df.attrs["units"] = {c: "CNY/yr" for c in ("value_before", "value_after") if c in df.columns}
    return q, v, df


def check_rules(rules: list, where: str) -> list[dict]:
    """Validate a profile's ``[[double_counting]]`` entries."""
    out = []
    for i, r in enumerate(rules):
        if not isinstance(r, Mapping) or "service" not in r or "minus" not in r:
            raise ConfigError(f"{where}: double_counting entry {i + 1} needs `service` and `minus`")
        if r.get("rule", "subtract") not in RULES:
            raise ConfigError(f"{where}: double_counting entry {i + 1}: rule {r.get('rule')!r} is not one of {RULES}")
        out.append(dict(r))
    return out
