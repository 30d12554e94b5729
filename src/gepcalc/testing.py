"""The conformance kit: checks every service plug-in must pass.

Like scikit-learn's ``check_estimator``: :func:`check_conformance` runs every
check on one service class and raises :class:`ConformanceError` listing all
failures; :func:`conformance_checks` yields the checks one by one for
``pytest.mark.parametrize``, so a third-party package tests its services with::

    from gepcalc.testing import conformance_checks

    @pytest.mark.parametrize("check", conformance_checks(MyService), ids=lambda c: c.name)
    def test_my_service(check):
        check()

The checks run on a small synthetic landscape (:func:`kit_landscape`: 30 m cells,
every ecosystem type, two regions) with inputs made from each parameter's
``example`` (rasters vary smoothly around it) unless ``inputs`` gives them:

* ``spec``: the spec is valid, every parameter has a default, an example or is optional,
  every reference names a document and a clause or year;
* ``units``: ``physical()`` on pint quantities returns the declared unit's dimension;
* ``lazy``: ``physical()`` on dask-backed inputs computes nothing and returns a dask array;
* ``chunks``: the account is the same for any chunk size;
* ``nodata``: a NaN in a raster input never becomes a finite number that differs from
  the value without it (NaN propagates, or the input does not matter there, or the
  service declares that it fills nodata and then gives finite values);
* ``zero_area``, ``area_scaling``: for extensive services, zero area gives zero and
  doubling the area doubles the quantity;
* ``regions_add_up``: without a per-region rule, two regions sum to the whole.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import dask
import geopandas as gpd
import numpy as np
import xarray as xr
from dask.callbacks import Callback
from shapely.geometry import box

from gepcalc.account import account, load_tables
from gepcalc.errors import GepcalcError
from gepcalc.landscape import Landscape, build_landscape, ecosystem_types
from gepcalc.profiles import load_profile
from gepcalc.resolve import arguments
from gepcalc.services.base import Param, Service, check_service
from gepcalc.units import Q_, ureg

__all__ = ["ConformanceError", "check_conformance", "conformance_checks", "kit_inputs", "kit_landscape"]

#: IGBP codes (255 = nodata); tiled 2 × 2, so that every ecosystem type occurs in both regions
_LAYOUT = np.array(
    [
        [1, 2, 5, 6, 10, 11],
        [12, 13, 0, 16, 15, 4],
        [1, 1, 8, 9, 11, 12],
        [0, 0, 7, 10, 14, 16],
        [3, 1, 6, 11, 12, 255],
        [2, 5, 0, 10, 13, 15],
    ],
    dtype="uint8",
)
CELL = 30.0  # m
CRS = "EPSG:32650"


class ConformanceError(GepcalcError, AssertionError):
    """A service failed one or more conformance checks."""


def kit_landscape(rows: int = 12) -> tuple[xr.DataArray, gpd.GeoDataFrame]:
    """The kit's land cover (IGBP codes, 30 m, ``rows`` × 12) and its two regions ``west``, ``east``.

    Every ecosystem type occurs in both regions; one pixel is nodata in each.
    """
    codes = np.tile(_LAYOUT, (rows // _LAYOUT.shape[0] + 1, 2))[:rows]
    ny, nx = codes.shape
    x0, y0 = 500_000.0, 3_300_000.0
    da = xr.DataArray(
        codes,
        dims=("y", "x"),
        coords={"y": y0 - CELL * (np.arange(ny) + 0.5), "x": x0 + CELL * (np.arange(nx) + 0.5)},
        name="kit_landcover",
    )
    da = da.rio.write_crs(CRS).rio.write_nodata(255)
    da.attrs["source"] = "conformance-kit land cover"
    half = x0 + CELL * nx / 2
    regions = gpd.GeoDataFrame(
        {"name": ["west", "east"]},
        geometry=[box(x0, y0 - CELL * ny, half, y0), box(half, y0 - CELL * ny, x0 + CELL * nx, y0)],
        crs=CRS,
    )
    return da, regions


def _field(landcover: xr.DataArray, seed: int) -> np.ndarray:
    """A smooth deterministic field around 1 (0.6 … 1.4) on the kit grid."""
    ny, nx = landcover.shape
    yy, xx = np.mgrid[0:ny, 0:nx]
    return 1.0 + 0.4 * np.sin(0.7 * xx + 1.3 * seed) * np.cos(0.5 * yy + 0.7 * seed)


def _example(p: Param):
    if p.example is None:
        return None
    return Q_(p.example) if isinstance(p.example, str) else p.example


def kit_inputs(cls: type[Service], landcover: xr.DataArray, items: tuple[str, ...]) -> dict[str, Any]:
    """Inputs from the parameters' examples: rasters where a raster is allowed, else scalars or per type."""
    out: dict[str, Any] = {}
    sid = cls.spec.id
    for n, p in enumerate((*cls.spec.params, *cls.spec.region_params, *cls.spec.value_params)):
        ex = _example(p)
        if ex is None:
            continue
        if p in cls.spec.region_params:
            one = {"all": f"{ex:~}"}
        elif "raster" in p.kinds and p in cls.spec.params:
            field = landcover.copy(data=ex.to(p.unit).magnitude * _field(landcover, n)).astype("float64")
            field.attrs = {"units": p.unit, "source": f"kit {p.name}"}
            field = field.rio.write_nodata(np.nan)
            one = field
        elif "scalar" in p.kinds:
            one = f"{ex:~}"
        else:
            one = {"unit": str(ex.units), "values": {}}  # filled per ecosystem below
        if isinstance(one, dict) and "values" in one:
            one["values"] = dict.fromkeys(ecosystem_types().keys, float(ex.magnitude))
        out[f"{sid}.{p.name}"] = dict.fromkeys(items, one) if p.per_item else one
    return out


@dataclass
class _Setup:
    cls: type[Service]
    inputs: dict
    landcover: xr.DataArray
    regions: gpd.GeoDataFrame
    items: tuple[str, ...]


def _setup(cls: type[Service], inputs: Mapping[str, Any] | None) -> _Setup:
    lc, regions = kit_landscape()
    items = cls.spec.item_ids() if cls.spec.items else ()
    given = {} if cls.spec.statistical else kit_inputs(cls, lc, items)
    given.update(inputs or {})
    return _Setup(cls, given, lc, regions, items)


def _account(s: _Setup, chunks, regions=True, **kw):

    return account(
        s.landcover,
        s.regions if regions else None,
        region_field="name" if regions else None,
        region_name=None if regions else "whole",
        services=[s.cls],
        inputs=s.inputs,
        chunks=chunks,
        **kw,
    )


def _physical_args(s: _Setup, chunks=4) -> tuple[Landscape, dict]:

    land = build_landscape(s.landcover, regions=s.regions, region_field="name", chunks=chunks)
    tables = load_tables([s.cls], load_profile("mee-2020"), {}, {}, {s.cls.spec.id: s.items})
    args = arguments(s.cls, "physical", inputs=s.inputs, tables=tables, land=land, items=s.items)
    return land, args


def _computed(x) -> np.ndarray:
    """Computed values with the grid dims last (extra dims such as ``item`` first)."""
    if isinstance(x, xr.DataArray):
        if {"y", "x"} <= set(x.dims):
            x = x.transpose(..., "y", "x")
        return np.asarray(x.compute().values, dtype="float64")
    return np.asarray(x, dtype="float64")


# -- the checks ---------------------------------------------------------------------------------


def check_spec(s: _Setup) -> None:
    check_service(s.cls)
    for p in (*s.cls.spec.params, *s.cls.spec.region_params, *s.cls.spec.value_params):
        if p.default is None and p.example is None and not p.optional and f"{s.cls.spec.id}.{p.name}" not in s.inputs:
            raise ConformanceError(f"parameter {p.name!r} has no default table, no example and is not optional")


def check_units(s: _Setup) -> None:
    """physical() on pint quantities (6 × 8 arrays) must return the declared pixel unit."""
    spec = s.cls.spec
    shape = (6, 8)
    grid = np.ones(shape)
    kwargs = {}
    for n, p in enumerate(spec.params):
        ex = _example(p)
        mag = ex.to(p.unit).magnitude if ex is not None else 1.0
        arr = Q_(mag * (1.0 + 0.3 * np.sin(np.arange(grid.size).reshape(shape) + n)), p.unit)
        if p.per_item:
            arr = Q_(np.broadcast_to(arr.magnitude, (len(s.items), *shape)).copy(), p.unit)
        kwargs[p.name] = arr
    area = Q_(np.full(shape, CELL * CELL), "m**2")
    out = s.cls.physical(area=area, **kwargs)
    unit = spec.pixel_unit or spec.quantity_unit
    if not hasattr(out, "units"):
        raise ConformanceError(f"physical() on pint quantities returned {type(out).__name__} without units")
    if out.dimensionality != ureg.Unit(unit).dimensionality:
        raise ConformanceError(f"physical() returns {out.units} ({out.dimensionality}); the spec declares {unit}")
    # Scale factors inside formulas (units.factor()) are plain numbers, so pint checks the dimension
    # here; the numbers themselves are checked by each service's hand-computed tests.


class _CountTasks(Callback):
    def __init__(self):
        super().__init__()
        self.n = 0

    def _start(self, dsk):
        self.n += 1


def check_lazy(s: _Setup) -> None:
    land, args = _physical_args(s)
    counter = _CountTasks()
    with counter:
        out = s.cls.physical(area=land.area, **args)
    if counter.n:
        raise ConformanceError(f"physical() computed {counter.n} dask graph(s) before the account asked")
    if isinstance(out, xr.DataArray) and out.chunks is None and out.ndim >= 2:
        raise ConformanceError("physical() returned a numpy-backed DataArray; it must stay dask-backed (lazy)")


def check_chunks(s: _Setup) -> None:
    a = _account(s, chunks=3).data["quantity"]
    b = _account(s, chunks=-1).data["quantity"]
    if not np.allclose(a.values, b.values, rtol=1e-10, atol=0, equal_nan=True):
        raise ConformanceError(f"3-pixel chunks give {a.sum().item()} but one chunk gives {b.sum().item()}")


def check_nodata(s: _Setup) -> None:
    land, args = _physical_args(s, chunks=-1)
    ref = _computed(s.cls.physical(area=land.area, **args))
    rasters = [p for p in s.cls.spec.params if isinstance(args[p.name], xr.DataArray) and "y" in args[p.name].dims]
    eco = land.ecosystem.values
    inner = np.zeros_like(eco, dtype=bool)
    inner[1:-1, 1:-1] = True  # away from the edge, where nodata would be outside the domain of a DEM
    pixels = [np.argwhere((eco == code) & inner)[0] for code in np.unique(eco[inner & (eco > 0)])]
    for p in rasters:
        for iy, ix in pixels:
            bad = args[p.name].compute().copy()
            bad[..., iy, ix] = np.nan
            out = _computed(s.cls.physical(area=land.area, **{**args, p.name: bad}))
            here, before = out[..., iy, ix], ref[..., iy, ix]
            if p.fills_nodata:
                if not np.isfinite(here).all():
                    raise ConformanceError(f"{p.name!r} is declared fills_nodata but a NaN in it gives NaN")
                continue
            silent = np.isfinite(here) & ~np.isclose(here, before, rtol=1e-12, atol=0)
            if silent.any():
                raise ConformanceError(
                    f"a NaN in input {p.name!r} became the finite value {here[silent][0]!r} "
                    f"(without it: {before[silent][0]!r}) at a {land.ecosystem_ids[eco[iy, ix] - 1]} pixel"
                )


def check_zero_area(s: _Setup) -> None:
    if not s.cls.spec.extensive:
        return
    land, args = _physical_args(s, chunks=-1)
    out = _computed(s.cls.physical(area=land.area * 0.0, **args))
    valid = (land.ecosystem.values > 0)[(np.newaxis,) * (out.ndim - 2)]
    if np.any(np.broadcast_to(valid, out.shape) & (out != 0)):
        raise ConformanceError("zero area gives a non-zero quantity")


def check_area_scaling(s: _Setup) -> None:
    if not s.cls.spec.extensive:
        return
    land, args = _physical_args(s, chunks=-1)
    one = _computed(s.cls.physical(area=land.area, **args))
    two = _computed(s.cls.physical(area=land.area * 2.0, **args))
    if not np.allclose(two, 2.0 * one, rtol=1e-12, atol=0, equal_nan=True):
        raise ConformanceError("doubling the area does not double the quantity")


def check_regions_add_up(s: _Setup) -> None:
    if s.cls.regional is not Service.regional:
        return  # a per-region rule (e.g. min(load, capacity)) is not additive by design
    parts = _account(s, chunks=4).data["quantity"].sum(["region", "ecosystem"])
    whole = _account(s, chunks=4, regions=False).data["quantity"].sum(["region", "ecosystem"])
    if not np.allclose(parts.values, whole.values, rtol=1e-10, equal_nan=True):
        raise ConformanceError(f"the two regions sum to {parts.values.ravel()}, the whole is {whole.values.ravel()}")


def check_statistics(s: _Setup) -> None:
    """A statistics service: its example table becomes lines whose values add up, region by region.

    Each region's quantity and value, summed over the ecosystem types it was allocated to,
    must equal the sum of its lines; the account's value must equal Σ quantity × price of the lines.
    """
    table = s.cls.example(list(s.regions["name"]))
    acct = account(s.landcover, s.regions, region_field="name", services=[s.cls], statistics={s.cls.spec.id: table})
    lines = acct.lines
    if not len(lines):
        raise ConformanceError("the example table gave no lines")
    got_q = acct.data["quantity"].sum(["ecosystem", "scenario", "year"]).sel(service=s.cls.spec.id)
    got_v = acct.data["value"].sum(["ecosystem", "scenario", "year"]).sel(service=s.cls.spec.id)
    for (region, item), g in lines.groupby(["region", "item"]):
        q, v = float(got_q.sel(region=region, item=item)), float(got_v.sel(region=region, item=item))
        if not np.isclose(q, g["quantity_accounted"].sum(), rtol=1e-12):
            raise ConformanceError(f"{region}/{item}: quantity {q} ≠ the lines' {g['quantity_accounted'].sum()}")
        if not np.isclose(v, g["value_accounted"].sum(), rtol=1e-12):
            raise ConformanceError(f"{region}/{item}: value {v} ≠ the lines' {g['value_accounted'].sum()}")


STATISTICS_CHECKS: tuple[Callable[[_Setup], None], ...] = (check_spec, check_statistics)

CHECKS: tuple[Callable[[_Setup], None], ...] = (
    check_spec,
    check_units,
    check_lazy,
    check_chunks,
    check_nodata,
    check_zero_area,
    check_area_scaling,
    check_regions_add_up,
)


class _Check:
    """One check bound to one service, callable without arguments (a pytest parameter)."""

    def __init__(self, fn, cls, inputs):
        self.fn, self.cls, self.inputs = fn, cls, inputs
        self.name = f"{cls.spec.key}-{fn.__name__.removeprefix('check_')}"

    def __call__(self) -> None:
        try:
            with dask.config.set(scheduler="synchronous"):
                self.fn(_setup(self.cls, self.inputs))
        except ConformanceError as exc:
            raise ConformanceError(f"{self.name}: {exc}") from None
        except Exception as exc:  # anything the service raises is a failure of this check, reported as such
            raise ConformanceError(f"{self.name}: {type(exc).__name__}: {exc}") from exc

    def __repr__(self) -> str:
        return self.name


def conformance_checks(cls: type[Service], inputs: Mapping[str, Any] | None = None) -> Iterator[_Check]:
    """Each check as a zero-argument callable with a ``name`` (for ``pytest.mark.parametrize``)."""
    for fn in STATISTICS_CHECKS if cls.spec.statistical else CHECKS:
        yield _Check(fn, cls, inputs)


def check_conformance(cls: type[Service], inputs: Mapping[str, Any] | None = None) -> None:
    """Run every check on ``cls``; raise :class:`ConformanceError` listing all failures."""
    failures = []
    for check in conformance_checks(cls, inputs):
        try:
            check()
        except ConformanceError as exc:
            failures.append(str(exc))
    if failures:
        raise ConformanceError(f"service {cls.spec.key!r} fails {len(failures)} check(s):\n  " + "\n  ".join(failures))
