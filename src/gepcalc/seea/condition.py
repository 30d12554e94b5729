"""Ecosystem condition account of SEEA EA: condition variables by ecosystem type, opening and closing.

Variables come from ``condition=`` and from the account's own per-type inputs that are condition
variables (:data:`CONDITION_INPUTS`: NPP, vegetation cover, evapotranspiration …).  Extent, supply
and use and assets are the other modules of :mod:`gepcalc.seea`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

#: per-type inputs of an account that are ecosystem condition variables (SEEA EA condition typology)
CONDITION_INPUTS = {
    "npp": "functional state: net primary productivity",
    "npp_dry_matter": "functional state: net primary productivity (dry matter)",
    "evapotranspiration": "functional state: actual evapotranspiration",
    "vegetation_cover": "structural state: vegetation cover",
    "carbon_density": "structural state: carbon stock density",
    "ion_concentration": "physical state: negative air-ion concentration",
    "cover_factor": "structural state: RUSLE cover-management factor",
}


def _condition_inputs(acct) -> dict[str, dict]:
    """Per-type inputs of the account that are condition variables: ``{param: {type: (value, unit)}}``."""
    src = acct.sources
    out: dict[str, dict] = {}
    if not len(src) or "parameter" not in src:
        return out
    for r in src.itertuples():
        p = getattr(r, "parameter", "")
        if p not in CONDITION_INPUTS or getattr(r, "table", "") != "user input":
            continue
        text = str(getattr(r, "value", ""))
        if "=" not in text:
            continue
        eco, rest = text.split("=", 1)
        parts = rest.strip().split(" ", 1)
        try:
            out.setdefault(p, {})[eco.strip()] = (float(parts[0]), parts[1] if len(parts) > 1 else "")
        except ValueError:
            continue
    return out


def condition_account(opening, closing=None, condition: Mapping[str, Mapping] | None = None) -> pd.DataFrame:
    """Ecosystem condition account: one row per variable × ecosystem type.

    Columns: variable, class (SEEA EA condition typology), ecosystem, unit, opening, closing, change,
    reference level, source.  Variables come from ``condition={name: {"unit": …, "opening": {type:
    value}, "closing": {type: value}, "reference": {type: value} or value, "class": …, "source":
    …}}`` and from the per-type inputs of the accounts listed in :data:`CONDITION_INPUTS`.
    """
    rows = []
    for p, label in CONDITION_INPUTS.items():
        a = _condition_inputs(opening).get(p, {})
        b = _condition_inputs(closing).get(p, {}) if closing is not None else {}
        for eco in dict.fromkeys([*a, *b]):
            o, c = a.get(eco, (np.nan, "")), b.get(eco, (np.nan, ""))
            rows.append(
                {
                    "variable": p,
                    "class": label,
                    "ecosystem": eco,
                    "unit": o[1] or c[1],
                    "opening": o[0],
                    "closing": c[0] if closing is not None else np.nan,
                    "reference level": np.nan,
                    "source": "input of the account (Account.sources)",
                }
            )
    for name, spec in (condition or {}).items():
        ref = spec.get("reference")
        op, cl = spec.get("opening", {}) or {}, spec.get("closing", {}) or {}
        for eco in dict.fromkeys([*op, *cl]):
            rows.append(
                {
                    "variable": name,
                    "class": spec.get("class", ""),
                    "ecosystem": eco,
                    "unit": spec.get("unit", ""),
                    "opening": float(op.get(eco, np.nan)),
                    "closing": float(cl.get(eco, np.nan)),
                    "reference level": float(ref.get(eco, np.nan) if isinstance(ref, Mapping) else (ref or np.nan)),
                    "source": spec.get("source", "given (condition=...)"),
                }
            )
    df = pd.DataFrame(
        rows, columns=["variable", "class", "ecosystem", "unit", "opening", "closing", "reference level", "source"]
    )
    df.insert(6, "change", df["closing"] - df["opening"])
    return df
