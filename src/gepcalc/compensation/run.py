"""``gepcalc.compensation(...)``: flow matrices from an account, valued, and the rules' amounts.

Steps (see ``docs/compensation.md``):

1. An account of the flow services (:func:`gepcalc.account`, same inputs, tables,
   prices) on the land cover and regions; its values by region are the prices of
   the flows.
2. Each service's per-pixel quantity (its ``physical()`` on the account's
   landscape; a service with items, such as pollutants, per item) is carried down
   the DEM (:mod:`gepcalc.compensation.flows`), ``delivery`` × quantity routed and
   the rest kept in the source region.
3. Value matrix = physical matrix × the source region's unit value
   :math:`V_A / S_A` (the account's value of the service in A over the per-pixel
   supply of A), so each row of the first-receiver value matrix adds up to A's value
   in the account.
4. The rules (:mod:`gepcalc.compensation.rules`) turn matrices, monitoring lines
   and statistics into amounts by payer, payee and year.

This module holds the result and the entry points (:func:`compensation`, :func:`run_config`).
Steps 1–3 are :mod:`gepcalc.compensation.layers`, step 4's checks of each rule
:mod:`gepcalc.compensation.apply`, and reading the TOML :mod:`gepcalc.compensation.config`.

The water-quality rule needs no DEM: a configuration with only section lines and
no ``dem`` computes no flows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from gepcalc.compensation import rules as R
from gepcalc.compensation.apply import apply_rule
from gepcalc.compensation.config import load_config
from gepcalc.compensation.export import write_excel, write_html
from gepcalc.compensation.layers import Layer, RoutedFlows, route_flows
from gepcalc.errors import ConfigError

__all__ = ["CompensationResult", "compensation", "load_config"]


@dataclass
class CompensationResult:
    """Flow layers, amounts by pair and year, the sections' P index and notes."""

    title: str
    layers: dict[str, Layer]
    amounts: pd.DataFrame
    sections: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    price_basis: str = ""
    centroids: dict[str, tuple[float, float]] = field(default_factory=dict)

    def flows_table(self) -> pd.DataFrame:
        """Tidy: layer, unit, matrix, source, receiver, quantity, value [CNY/yr]."""
        rows = []
        for key, layer in self.layers.items():
            for matrix, q, v in (
                ("first", layer.flows.first, layer.value_first),
                ("through", layer.flows.through, layer.value_through),
            ):
                for s in q.index:
                    for r in q.columns:
                        if matrix == "through" and r == s:
                            continue
                        rows.append([key, layer.flows.unit, matrix, s, r, float(q.loc[s, r]), float(v.loc[s, r])])
        return pd.DataFrame(rows, columns=["layer", "unit", "matrix", "source", "receiver", "quantity", "value"])

    def totals(self) -> pd.DataFrame:
        """Amounts summed by payer, payee and year [CNY]."""
        if self.amounts.empty:
            return self.amounts
        return self.amounts.groupby(["year", "payer", "payee"], as_index=False)["amount"].sum()

    def to_excel(self, path: str | Path) -> Path:
        """Write the workbook (:func:`gepcalc.compensation.export.write_excel`)."""
        return write_excel(self, Path(path))

    def to_html(self, path: str | Path) -> Path:
        """Write the HTML page (:func:`gepcalc.compensation.export.write_html`)."""
        return write_html(self, Path(path))


def compensation(
    *,
    flows: Sequence[Mapping[str, Any]] = (),
    rules: Sequence[Mapping[str, Any]] = (),
    dem: Any = None,
    landcover: Any = None,
    regions: Any = None,
    region_field: str | None = None,
    routing: str = "d8",
    outlets: Sequence[str] = (),
    years: Sequence[int] | None = None,
    year: int | None = None,
    price_year: int | None = None,
    title: str = "",
    base: str | Path | None = None,
    **account_kwargs: Any,
) -> CompensationResult:
    """Eco-compensation between regions: flow matrices, valued, and the amounts of the rules.

    Parameters
    ----------
    flows
        Services to route, ``[{"service": "water_conservation"}, {"service": "soil_retention",
        "delivery": 0.25}, {"service": "water_purification", "items": ["tp"]}]``; ``delivery``
        [-] is the share of each pixel's quantity carried downstream (a number or a raster).
    rules
        Rules, each ``{"method": "gep_flow" | "water_quality_section" | "opportunity_cost", ...}``
        (keys in ``docs/compensation.md``).
    dem
        Elevation raster [m] on the land cover's grid (needed when ``flows`` is given).
    landcover, regions, region_field
        As for :func:`gepcalc.account`.
    routing
        ``"d8"`` (default) or ``"mfd"``.
    outlets
        Region names that are sinks (a sea, a lake).
    years
        Years the amounts are for (default: ``[year]``).
    year, price_year
        The account's year and price year.
    title
        Title of the outputs.
    base
        Folder that relative paths in ``rules`` (monitoring lines) are read from.
    account_kwargs
        Passed to :func:`gepcalc.account` (``inputs``, ``tables``, ``overrides``, ``methods``,
        ``profile``, ``landcover_classes``, ``chunks``).

    Returns
    -------
    CompensationResult
    """
    years = list(years) if years else ([year] if year is not None else [])
    routed = RoutedFlows({}, "", {}, [])
    if flows:
        if dem is None or landcover is None:
            raise ConfigError("flows need a DEM (dem=...) and a land cover (landcover=...) on the same grid")
        inputs = dict(account_kwargs.pop("inputs", None) or {})
        if "dem" not in inputs and isinstance(dem, str | Path):  # services that route (soil retention) use it too
            inputs["dem"] = {"raster": str(dem), "unit": "m"}
        account_kwargs["inputs"] = inputs
        routed = route_flows(
            flows,
            dem=dem,
            landcover=landcover,
            regions=regions,
            region_field=region_field,
            routing=routing,
            outlets=outlets,
            account_kwargs={"year": year, "price_year": price_year, **account_kwargs},
        )
    layers, basis = routed.layers, routed.price_basis
    amounts, sections = [], []
    for i, rule in enumerate(rules, start=1):
        a, s = apply_rule(rule, i, layers, years, basis, Path(base) if base else Path("."))
        amounts.append(a)
        if s is not None:
            sections.append(s)
    amounts_df = pd.concat(amounts, ignore_index=True) if amounts else pd.DataFrame(columns=R.AMOUNT_COLUMNS)
    sections_df = pd.concat(sections, ignore_index=True) if sections else pd.DataFrame()
    return CompensationResult(title, layers, amounts_df, sections_df, routed.notes, basis, routed.centroids)


def run_config(path: str | Path) -> CompensationResult:
    """:func:`compensation` with the keys of a config TOML."""
    return compensation(**load_config(path))
