"""Baseline and with-project accounts on one boundary, and their difference ΔGEP.

Both states are computed by :func:`gepcalc.account` with ``regions=`` the project
boundary, on the same price year, profile and tables (the with-project state
adds its own changes).  The project-level value change is (Huzhou DB3305/T 271-2023
ch. 7; ``/work/shared/reference/gep-method.md`` §1)

.. math:: \\Delta V = \\sum_i (Q_{i,with} - Q_{i,baseline}) \\cdot P_i   \\quad [CNY/yr]

computed per service, item, region (boundary part) and ecosystem type as
``with.value − baseline.value``.  A :class:`State` is a state's account; what the account
was computed from (landscape, loaded tables, service classes, arguments) is its
``account.context`` (:class:`gepcalc.context.AccountContext`), so values can be recomputed
for other prices without touching the rasters (:func:`revalue`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import xarray as xr
from shapely.geometry import box

from gepcalc.account import NO_ITEM, Account, account
from gepcalc.context import AccountContext, service_values
from gepcalc.errors import GridMismatchError, RegionError
from gepcalc.io import open_raster, read_regions
from gepcalc.landscape import Landscape
from gepcalc.project.definition import Project, Scenario
from gepcalc.services.base import CATEGORY_NAMES, Service
from gepcalc.tables import CoefficientTable
from gepcalc.units import VALUE_UNIT, factor, unit_label

SCENARIOS = ("baseline", "with_project")


@dataclass
class State:
    """One computed state: its account, which carries what it was computed from (``account.context``).

    Attributes
    ----------
    label : str
        ``"baseline"`` or ``"with_project"``.
    account : Account
        The state's account on the boundary [CNY/yr], with its
        :class:`~gepcalc.context.AccountContext`.
    notes : list of str
        What the state adds to the project's notes.

    The properties ``context``, ``kwargs``, ``land``, ``tables``, ``classes``, ``items``,
    ``from_lines`` and ``inputs`` read the account's context.
    """

    label: str
    account: Account
    notes: list[str] = field(default_factory=list)

    @property
    def context(self) -> AccountContext:
        """What the state's account was computed from."""
        return self.account.context

    @property
    def kwargs(self) -> dict:
        """The arguments :func:`gepcalc.account` was called with (to re-run it with changes)."""
        return {k: v for k, v in self.context.kwargs.items() if k != "progress"}

    @property
    def land(self) -> Landscape:
        """The state's landscape (lazy), for maps and value parameters."""
        return self.context.land

    @property
    def tables(self) -> dict[str, CoefficientTable]:
        """The coefficient tables the account used, with the state's overrides applied."""
        return dict(self.context.tables)

    @property
    def classes(self) -> list[type[Service]]:
        """The service classes (method chosen)."""
        return list(self.context.classes)

    @property
    def items(self) -> dict[str, tuple[str, ...]]:
        """Items per service id."""
        return dict(self.context.items)

    @property
    def from_lines(self) -> set[str]:
        """Services whose quantities came from lines (statistics); their values are not re-derived."""
        return set(self.context.from_lines)

    @property
    def inputs(self) -> dict:
        return dict(self.context.inputs)

    def service(self, sid: str) -> type[Service]:
        return self.context.service(sid)


# -- inputs checks ----------------------------------------------------------------------------


def grid_of(da: xr.DataArray) -> str:
    """Shape, CRS and transform of a raster, for messages."""
    t = tuple(round(v, 9) for v in tuple(da.rio.transform())[:6])
    return f"shape {da.shape} (rows, columns), CRS {da.rio.crs}, transform {t}"


def check_grids(baseline_lc: Any, with_lc: Any, chunks=True) -> xr.DataArray:
    """Refuse baseline and with-project land covers on different grids, naming both files and grids.

    Returns the baseline land cover (lazy).
    """
    a = open_raster(baseline_lc, name="baseline land cover", chunks=chunks)
    b = open_raster(with_lc, name="with-project land cover", chunks=chunks)
    same = (
        a.rio.crs == b.rio.crs
        and a.shape == b.shape
        and np.allclose(
            tuple(a.rio.transform())[:6],
            tuple(b.rio.transform())[:6],
            rtol=0,
            atol=1e-9 * max(1.0, abs(a.rio.resolution()[0])),
        )
    )
    if not same:
        raise GridMismatchError(
            "the baseline and with-project land covers must be on the same grid: "
            f"baseline {a.attrs['source']}: {grid_of(a)}; with-project {b.attrs['source']}: {grid_of(b)}. "
            "Resample the with-project raster onto the baseline's grid (e.g. rio.reproject_match)."
        )
    return a


def project_boundary(project: Project, landcover: xr.DataArray) -> tuple[gpd.GeoDataFrame, list[str]]:
    """The boundary as regions in the raster's CRS; one region named after the project unless a field is given.

    Raises
    ------
    RegionError
        The boundary lies outside the raster (naming both, with their bounds in the raster's CRS).
    """
    gdf = read_regions(project.boundary, field=project.boundary_field, layer=project.boundary_layer)
    label = gdf.attrs.get("source", "boundary")
    crs = landcover.rio.crs
    gdf = gdf.to_crs(crs) if gdf.crs != crs else gdf
    if not project.boundary_field:
        geom = gdf.geometry.union_all() if hasattr(gdf.geometry, "union_all") else gdf.geometry.unary_union
        gdf = gpd.GeoDataFrame({"region": [project.name]}, geometry=[geom], crs=crs)
    gdf.attrs["source"] = label
    x0, y0, x1, y1 = landcover.rio.bounds()
    raster_box = box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
    shape = gdf.geometry.union_all() if hasattr(gdf.geometry, "union_all") else gdf.geometry.unary_union
    b = tuple(round(v, 6) for v in gdf.total_bounds)
    rb = tuple(round(v, 6) for v in raster_box.bounds)
    if not shape.intersects(raster_box) or shape.intersection(raster_box).area == 0:
        raise RegionError(
            f"project boundary {label} (bounds {b} in {crs}) lies outside the land-cover raster "
            f"{landcover.attrs.get('source')} (bounds {rb}); check the file, its CRS and the layer"
        )
    notes = []
    outside = 1.0 - shape.intersection(raster_box).area / shape.area if shape.area else 0.0
    if outside > 1e-6:
        notes.append(
            f"{outside:.1%} of the project boundary {label} lies outside the land-cover raster "
            f"{landcover.attrs.get('source')}; only the part inside is appraised"
        )
    return gdf, notes


# -- the two states ------------------------------------------------------------------------------


def run_state(
    project: Project, scenario: Scenario, label: str, boundary: gpd.GeoDataFrame, *, progress: bool = False
) -> State:
    """Compute one state's account on the boundary and keep what it was computed from."""
    common = dict(project.account)
    kwargs = dict(
        landcover=scenario.landcover,
        regions=boundary,
        region_field="region",
        inputs=dict(scenario.inputs),
        tables=dict(scenario.tables),
        overrides=scenario.overrides,
        scenario=label,
        title=f"{project.name} — {label}",
        **common,
    )
    return State(label, account(progress=progress, **kwargs))


def rerun(state: State, *, services: Sequence[type[Service]], tables: Mapping[str, CoefficientTable]) -> Account:
    """The state's account again for some services, with other (already overridden) tables."""
    return state.account.recompute(
        services=list(services),
        tables={**state.kwargs["tables"], **tables},
        overrides={},  # the given tables already carry the state's overrides
        progress=False,
    )


# -- values from quantities -------------------------------------------------------------------


def revalue(
    state: State,
    tables: Mapping[str, CoefficientTable] | None = None,
    services: Sequence[str] | None = None,
    quantities: Mapping[str, xr.DataArray] | None = None,
) -> dict[str, xr.DataArray]:
    """Value [CNY/yr] by region × ecosystem of each service from the account's quantities and ``tables``.

    value = ``cls.value(Q, **value_params)`` × unit factor (:func:`gepcalc.context.service_values`),
    with the value parameters from the account's context with ``tables`` replacing some of its
    tables.  With the state's own tables this reproduces the account's values exactly; with
    perturbed prices it gives the values for those prices without recomputing any raster.
    """
    ctx = state.context
    tables = {**ctx.tables, **(tables or {})}
    out = {}
    for cls in ctx.classes:
        sid = cls.spec.id
        if services is not None and sid not in services:
            continue
        if sid in ctx.from_lines:  # priced line by line: the account's values stand
            out[sid] = state.account.data["value"].sel(service=sid).isel(scenario=0, year=0, drop=True).sum("item")
            continue
        q = quantities.get(sid) if quantities else None
        v = service_values(state.account, cls, tables, quantity=q)
        out[sid] = v.sum("item") if "item" in getattr(v, "dims", ()) else v
    return out


def total_value(values: Mapping[str, xr.DataArray]) -> pd.Series:
    """Σ over regions and ecosystem types per service [CNY/yr]."""
    return pd.Series({s: float(np.asarray(v).sum()) for s, v in values.items()}, name="value")


# -- the difference ---------------------------------------------------------------------------


def difference(base: Account, with_: Account) -> xr.Dataset:
    """with − baseline of ``quantity``, ``value`` [CNY/yr] and ``area`` [m²] by service, item, region, ecosystem.

    The scenario and year dimensions are dropped; the service and item coordinates
    (names, units, category) are kept.
    """
    a = base.data.isel(scenario=0, year=0, drop=True)
    b = with_.data.isel(scenario=0, year=0, drop=True)
    for name in ("service", "item", "region", "ecosystem"):
        if list(a[name].values) != list(b[name].values):
            raise RegionError(
                f"baseline and with-project accounts differ in {name}: {list(a[name].values)} vs {list(b[name].values)}"
            )
    out = xr.Dataset(
        {
            "quantity": b["quantity"] - a["quantity"],
            "value": b["value"] - a["value"],
            "area": b["area"] - a["area"],
            "value_baseline": a["value"],
            "value_with_project": b["value"],
            "quantity_baseline": a["quantity"],
            "quantity_with_project": b["quantity"],
            "area_baseline": a["area"],
        }
    )
    out["value"].attrs["units"] = VALUE_UNIT
    out.attrs.update(price_year=a.attrs.get("price_year"), profile=a.attrs.get("profile"))
    return out


def money(unit: str) -> float:
    """Factor from CNY/yr to ``unit``/yr (CNY, 万元, 亿元)."""
    return factor(VALUE_UNIT, f"{unit} / yr")


#: units of the ΔGEP tables' value columns, ``{unit}`` the money unit (see :func:`by_service`, :func:`by`)
DELTA_UNITS = {"value_baseline": "{unit}/yr", "value_with_project": "{unit}/yr", "delta_gep": "{unit}/yr"}


def with_delta_units(df: pd.DataFrame, unit: str, **more: str) -> pd.DataFrame:
    """``df`` with ``attrs["units"]`` naming the unit of each of its ΔGEP columns (``{unit}/yr``) and of ``more``."""
    units = {c: u.format(unit=unit) for c, u in DELTA_UNITS.items() if c in df.columns}
    df.attrs["units"] = units | {c: u for c, u in more.items() if c in df.columns}
    return df


def by_service(delta: xr.Dataset, unit: str = "万元") -> pd.DataFrame:
    """One row per service and item: names, Δquantity with unit, baseline, with-project and Δ value.

    Columns ``service, item, name_zh, name_en, category, delta_quantity, quantity_unit,
    value_baseline, value_with_project, delta_gep``; the values are in ``unit``/yr, named in
    ``df.attrs["units"]`` (:func:`gepcalc.export.labelled` makes the headers people read:
    ``指标``, ``ΔGEP [万元/yr]`` …).
    """
    f = money(unit)
    rows = []
    for s in delta["service"].values:
        d = delta.sel(service=s)
        for it in d["item"].values:
            q = d["quantity"].sel(item=it)
            if not bool(q.notnull().any()):
                continue
            zh, en = str(d["name_zh"].values), str(d["name_en"].values)
            if it != NO_ITEM:
                zh += f" · {d['item_zh'].sel(item=it).values}"
                en += f" · {d['item_en'].sel(item=it).values}"
            rows.append(
                {
                    "service": str(s),
                    "item": str(it),
                    "name_zh": zh,
                    "name_en": en,
                    "category": str(d["category"].values),
                    "delta_quantity": float(q.sum()),
                    "quantity_unit": unit_label(str(d["quantity_unit"].values)),
                    "value_baseline": float(d["value_baseline"].sel(item=it).sum()) * f,
                    "value_with_project": float(d["value_with_project"].sel(item=it).sum()) * f,
                    "delta_gep": float(d["value"].sel(item=it).sum()) * f,
                }
            )
    return with_delta_units(pd.DataFrame(rows), unit)


def by(delta: xr.Dataset, dim: str, unit: str = "万元") -> pd.DataFrame:
    """ΔGEP (and the two states) summed over all but ``dim``: category, ecosystem or region.

    Columns ``{dim}``, for category and ecosystem also ``name_zh, name_en``, then
    ``value_baseline, value_with_project, delta_gep`` [``unit``/yr]; by ecosystem also
    ``area_baseline, delta_area`` [ha].  Units in ``df.attrs["units"]``.
    """
    f = money(unit)
    cols = {"value_baseline": "value_baseline", "value_with_project": "value_with_project", "value": "delta_gep"}
    parts = []
    for var, name in cols.items():
        v = delta[var]
        if dim == "category":
            v = v.groupby("category").sum()
        s = v.sum([d for d in v.dims if d != dim]) * f
        parts.append(s.to_series().rename(name))
    df = pd.concat(parts, axis=1).reset_index()
    if dim == "category":
        df.insert(1, "name_zh", [CATEGORY_NAMES[c][0] for c in df["category"]])
        df.insert(2, "name_en", [CATEGORY_NAMES[c][1] for c in df["category"]])
    if dim == "ecosystem":
        zh = dict(zip(delta["ecosystem"].values, delta["ecosystem_zh"].values, strict=True))
        en = dict(zip(delta["ecosystem"].values, delta["ecosystem_en"].values, strict=True))
        df.insert(1, "name_zh", df["ecosystem"].map(zh))
        df.insert(2, "name_en", df["ecosystem"].map(en))
        area = (delta["area_baseline"].sum("region").to_series(), delta["area"].sum("region").to_series())
        df["area_baseline"] = df["ecosystem"].map(area[0]) * factor("m**2", "ha")
        df["delta_area"] = df["ecosystem"].map(area[1]) * factor("m**2", "ha")
        df = df[(df["area_baseline"] != 0) | (df["delta_area"] != 0)].reset_index(drop=True)
    return with_delta_units(df, unit, area_baseline="ha", delta_area="ha")


def service_totals(delta: xr.Dataset) -> pd.Series:
    """ΔGEP [CNY/yr] per service at full effect."""
    v = delta["value"].sum([d for d in delta["value"].dims if d != "service"])
    return v.to_series()


def quantity_totals(delta: xr.Dataset) -> pd.Series:
    """Δquantity per service in its own unit (NaN for services with several items)."""
    q = delta["quantity"]
    exists = q.notnull().any(["region", "ecosystem"]).sum("item")
    tot = q.sum([d for d in q.dims if d != "service"])
    return tot.where(exists == 1).to_series()
