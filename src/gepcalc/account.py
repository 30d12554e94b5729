"""The GEP account: :func:`account` runs the stages of :mod:`gepcalc.stages` in a row.

The flow (``DESIGN.md`` draws it): inputs read and what to compute planned (profile, services,
lines, items, tables, prices → :class:`~gepcalc.stages.plan.Plan`) → the landscape (ecosystem
types, cell areas, regions) → each service's parameters resolved with their provenance and its
physical quantity per pixel (lazy) → one zonal sum by region × ecosystem type for all services at
once (flox, chunk by chunk) → per-region rules → values → services given by lines → the
profile's rules → :class:`Account`.  The land cover is read twice (a class count, then the one
pass that computes every service); memory is bounded by the chunk size, not the raster size
(``docs/benchmarks.md``).  Each stage returns what it found (sources, notes, what it could not
compute); they are put together once, at the end.

:class:`Account` (the dataset, its views and exports) and :func:`concat` live in
:mod:`gepcalc.result` and are importable from here as before, and so is :func:`load_tables`
(:mod:`gepcalc.stages.plan`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from gepcalc.allocator import limit_malloc_arenas
from gepcalc.areas import area_corrections
from gepcalc.errors import ConfigError
from gepcalc.io import Chunks, naming_unreadable
from gepcalc.pricing import FROM_PROFILE, FromProfile
from gepcalc.profiles import Profile
from gepcalc.result import COMPUTED, NO_ITEM, NOT_COMPUTED_COLUMNS, TIDY_COLUMNS, Account, concat
from gepcalc.services.base import Service
from gepcalc.stages.assemble import QuantityStages, account_context, assemble, profile_rules, settle_not_computed
from gepcalc.stages.by_lines import axes_of, line_services, value_the_lines
from gepcalc.stages.land import landscape_of
from gepcalc.stages.parameters import Parameters, counted_types
from gepcalc.stages.plan import load_tables, plan
from gepcalc.stages.quantities import pixel_quantities, regional_stage, value_stage, zonal_stage
from gepcalc.tables import CoefficientTable
from gepcalc.uncertainty import attach
from gepcalc.zonal import bounded_gdal_cache

__all__ = [
    "COMPUTED",
    "FROM_PROFILE",
    "NOT_COMPUTED_COLUMNS",
    "NO_ITEM",
    "TIDY_COLUMNS",
    "Account",
    "account",
    "concat",
    "load_tables",
]


@naming_unreadable
def account(
    landcover=None,
    regions=None,
    *,
    region_field: str | None = None,
    region_name: str | None = None,
    landcover_classes: str | Path | CoefficientTable | bool | None = None,
    inputs: Mapping[str, Any] | None = None,
    lines: str | Path | pd.DataFrame | Sequence[str | Path | pd.DataFrame] | None = None,
    statistics: Mapping[str, Any] | None = None,
    tables: Mapping[str, str | Path | CoefficientTable] | None = None,
    overrides: Mapping[str, Mapping[Any, Mapping[str, Any]]] | None = None,
    services: Sequence[str | type[Service]] | None = None,
    methods: Mapping[str, str] | None = None,
    items: Mapping[str, Sequence[str]] | None = None,
    ecosystems: Mapping[str, Sequence[str]] | None = None,
    profile: str | Path | Profile = "mee-2020",
    year: int | None = None,
    price_year: int | None = None,
    price_index: str | FromProfile | None = FROM_PROFILE,
    price_region: str | Sequence[str] | None = None,
    deflators: str | Path | CoefficientTable | None = None,
    scenario: str = "baseline",
    title: str = "",
    chunks: Chunks = True,
    progress: bool = False,
    missing: str = "error",
    areas: Mapping[str, Mapping[str, Any]] | None = None,
    uncertainty: int | None = None,
    seed: int | None = None,
) -> Account:
    """Compute a GEP account.

    Parameters
    ----------
    landcover
        Land-cover raster (path or DataArray with CRS) of integer class codes; None for an
        account made of lines only (every service given by ``lines``/``statistics``).
    regions
        Region polygons (file or GeoDataFrame); None = the whole raster.
    region_field
        Column with region names.
    region_name
        Name of the single region when ``regions`` is None.
    landcover_classes
        Land-cover → ecosystem mapping table (default: the profile's, ``landcover_igbp``);
        False: no mapping, every pixel is of one type ``"all"`` (parameters then come
        per land-cover code, e.g. from an InVEST biophysical table).
    inputs
        Service inputs by parameter name (``"precipitation": "1430 mm/yr"``), or
        ``"service.param"`` for one service only.  Values may be scalars with units,
        ``{"raster": path, "unit": ...}``, or ``{ecosystem: value, ...}``.
    lines
        Reported quantities (CSV/Excel/DataFrame, or a list): region, service, item, quantity,
        unit, source, optional price/price_unit/price_source, value (reported), ecosystem,
        origin (see :mod:`gepcalc.lines`).  A service with lines takes its quantity from them
        instead of rasters; statistics services (provisioning, cultural) always do.
    statistics
        A statistics service's own table by service id, e.g. ``{"recreation": "sites.csv"}``
        (turned into lines by the service: ``to_lines``).
    tables
        Replacement tables by name (a path, or a loaded table); a CSV without a
        TOML sidecar takes the replaced table's metadata.
    overrides
        Single values: ``{"prices": {"water_storage_cost": {"price": "7.06 CNY/m**3"}}}``.
    services
        Service ids to compute (default: the profile's list), or service classes
        (e.g. one being developed, not registered).
    methods
        Method per service where not the profile's or the service's default,
        e.g. ``{"carbon_sequestration": "npp"}`` (``gepcalc services`` lists them).
    items
        Items (pollutants, products) per service where not the default,
        e.g. ``{"water_purification": ["cod", "tn", "tp"]}``.
    ecosystems
        Ecosystem types each service counts where not the profile's ``[ecosystems]`` or the
        ``included`` column of the service's table, e.g. ``{"water_conservation": ["forest",
        "shrubland", "grassland", "wetland", "farmland"]}`` (recorded in the notes and sources).
    profile
        Profile name or file fixing services and default tables.
    year, price_year, scenario
        Accounting year, price base year (default: ``year``), scenario label (recorded in
        every output).
    price_index
        Deflator series (``"cpi"``, ``"ppi"``, ``"agri_ppi"`` of the ``deflators`` table) that
        brings every price of the tables from its row's ``price_year`` to ``price_year``
        prices: :math:`p_t = p_s L_t / L_s`, with the series of the row's region (national
        where the table has none for it).  Default: the profile's (``cpi``).  None (or
        ``"none"``) uses the prices as they are and says so in the notes.  A price the deflator
        table cannot bring to ``price_year`` stops the account (table, row, year, years covered).
        A user's override of a price is not repriced unless it gives its ``price_year``.
    price_region
        Region(s) whose price rows are preferred: row ``X@zhejiang`` is used for ``X`` when
        ``"zhejiang"``; ``national`` rows otherwise.  Default: the profile's.
    deflators
        The price-index table used by ``price_index`` (name, path or table of the shape of
        ``deflators``, e.g. :func:`gepcalc.deflators.from_mapping`); the built-in one when None.
    chunks
        Raster chunking; the result does not depend on it.
    progress
        Show a progress bar while computing.
    missing
        What an indicator of the account that cannot be computed does: ``"error"`` (default)
        stops the account with the error naming what is missing; ``"list"`` leaves it out of
        the numbers and lists it in :attr:`Account.not_computed` with what it needs (and in
        ``summary``, ``table``, the CSV and the workbook), so the whole profile is shown.  Listed
        are: a service an input of which is not given (resolved before the raster pass), a
        service (or one of its items) with missing values after the zonal sum (an empty table
        cell, nodata in an input raster), a service whose per-region rule lacks an input, a
        service without a price (an empty price cell), and a statistics service of the profile
        without lines.  The raster is still summed once; the other services are unchanged.
    areas
        True areas of ecosystem types where the raster's pixels miss part of them, as
        ``{region: {ecosystem type: "573 km**2"}}`` (or ``{"area": "573 km**2", "source": "…"}``),
        e.g. a lake that 0.05° pixels see as 403 km².  After the zonal sum and before the
        per-region rules, the ``area`` of that region × type and the quantity of every extensive
        service (``spec.extensive``) there are multiplied by

        .. math:: f = A_{given} / A_{raster}

        so per-region rules (the lake-storage regression) see the corrected area; the factor is
        recorded in the notes and in ``sources`` (parameter ``area``, table ``areas (account
        input)``).  This assumes the missing area has the mean intensity of the type's pixels in
        the region: exact for services proportional to area with inputs constant over the type
        (per-area rates, per-type coefficients), an approximation where inputs vary in space
        (a precipitation or NPP raster).  A type with no pixel in the region (nothing to scale),
        a region or type not in the account and a value that is not an area are refused.
        Services given by lines are not scaled (their quantities are reported).
    uncertainty, seed
        Number of Monte Carlo draws over the coefficients that declare a range (``X_low``/``X_high``)
        and their seed (None = 0): every view then shows the mean and the 90 % interval
        (``value_p05``, ``value_p95``), see :mod:`gepcalc.uncertainty` (``docs/uncertainty.md``).

    Returns
    -------
    Account
        With :attr:`Account.context`: what it was computed from, these arguments included.
    """
    called = dict(locals())  # the arguments, first thing: Account.context.kwargs (Account.recompute)
    listing = _listing(missing)
    p = plan(**{k: called[k] for k in _PLANNED}, has_landcover=landcover is not None, listing=listing)
    types = counted_types(p.profile, ecosystems or {}, p.chosen, p.inputs)
    read = value_the_lines(p)
    limit_malloc_arenas()  # chunks and tiles freed by threads do not pile up in their heaps (gepcalc.allocator)
    with bounded_gdal_cache():  # every raster read (input checks, zonal pass) in a bounded GDAL block cache
        land = landscape_of(landcover, p.profile, p.raster_services, **{k: called[k] for k in _LANDSCAPE})
        params = Parameters(types.inputs, p.tables, land, p.items)
        corrections = area_corrections(areas, land)
        # raster services: parameters and quantities per pixel -> one zonal sum -> per-region rules -> values
        pixels = pixel_quantities(p.raster_services, land, params, listing)
        sums = zonal_stage(pixels, p.raster_services, land, p.items, corrections, progress, listing)
        regional = regional_stage(sums, p.raster_services, land, params, pixels.gaps, listing)
        raster = value_stage(regional, p.raster_services, params, listing)
    # services given by lines, on the landscape's regions and types (or the lines' own)
    axes = axes_of(land, read.lines)
    by_lines = line_services(p, read, axes, sums.area, params, listing)
    stages = QuantityStages(pixels, sums, regional, raster, by_lines)
    computed = settle_not_computed(p, stages)
    rules = profile_rules(p.profile, computed.services, stages)
    acct = assemble(p, types, land, axes, stages, computed, rules, year=year, scenario=scenario, title=title)
    acct.context = account_context(
        p, types, land, stages, computed, rules, corrections=corrections, kwargs=called, compute=account
    )
    if uncertainty:  # Monte Carlo over the declared ranges (no raster work per draw where linear)
        attach(acct, uncertainty, seed)
    return acct


def _listing(missing: str) -> bool:
    """``account(missing=...)``: True for ``"list"`` (list what cannot be computed), False for ``"error"``."""
    if missing not in ("error", "list"):
        raise ConfigError(f"account(missing={missing!r}): expected 'error' (stop) or 'list' (list what is missing)")
    return missing == "list"


#: the arguments of :func:`account` that the landscape stage takes as they are
_LANDSCAPE = ("regions", "region_field", "region_name", "landcover_classes", "chunks")

#: the arguments of :func:`account` that :func:`gepcalc.stages.plan.plan` takes as they are
_PLANNED = (
    "profile",
    "services",
    "methods",
    "items",
    "lines",
    "statistics",
    "tables",
    "overrides",
    "inputs",
    "year",
    "price_year",
    "price_index",
    "price_region",
    "deflators",
)
