"""Plausible ranges of the inputs a user gives: declared once, checked on every kind of input.

A coefficient table declares its columns' ranges in its own metadata (``docs/tables.md``);
this module does the same for the *inputs* of the services (precipitation, evapotranspiration,
hot days, shares …), whichever form they come in — a scalar, a value per ecosystem type or a
raster.  Each parameter has

* a **hard** range: outside it the value is physically impossible (negative rainfall, a
  share above 1, more than 366 days in a year) and the account stops with an
  :class:`~gepcalc.errors.ImplausibleInputError` naming the parameter, the file, the
  number of pixels and the range;
* optionally a **usual** range: outside it the value is possible but rare enough that a unit
  or typing slip is likelier (annual rainfall above 8,000 mm); the account goes on and says
  so in its notes.

A dimensionless share given as ``6`` where the range is [0, 1] gets "did you mean 6 %?".
The ranges are in the unit the service declares for the parameter (``Param.unit``); the
docs page ``docs/plausibility.md`` lists them with their reasons.
"""

from __future__ import annotations

from dataclasses import dataclass

import dask
import dask.array
import numpy as np
import xarray as xr

from gepcalc import services
from gepcalc.errors import ImplausibleInputError

#: fill values that tools write for "no data" when they do not declare it in the file
SENTINELS = (-9999.0, -32768.0, -3.4028234663852886e38, -1.7976931348623157e308)


@dataclass(frozen=True)
class Range:
    """Hard bounds (``low``, ``high``) and optional usual bounds, in the parameter's unit.

    ``None`` means unbounded on that side.  ``why`` says where the bound comes from.
    ``zero_is_missing``: a raster that is 0 everywhere is refused (a failed export, not a
    climate: no place has no rainfall and no evapotranspiration over a whole year).
    """

    low: float | None
    high: float | None
    usual_low: float | None = None
    usual_high: float | None = None
    why: str = ""
    zero_is_missing: bool = False
    #: fewest rows and columns a raster needs (a DEM: 3 × 3 for slopes and flow directions)
    min_side: int = 1

    def text(self, unit: str) -> str:
        lo = "−∞" if self.low is None else f"{self.low:g}"
        hi = "∞" if self.high is None else f"{self.high:g}"
        return f"[{lo}, {hi}] {unit}".rstrip()


_SHARE = Range(0.0, 1.0, why="a share or fraction lies in [0, 1]")
_FLAG = Range(0.0, 1.0, why="a 0/1 flag (or an area share) lies in [0, 1]")
_NONNEG = Range(0.0, None, why="cannot be negative")
_PRICE = Range(0.0, None, why="a price or cost cannot be negative")
_RAIN = Range(
    0.0,
    27_000.0,
    None,
    8_000.0,
    why="the highest annual rainfall ever recorded is about 26,500 mm (Cherrapunji, 1860–61); "
    "China's wettest stations receive under 8,000 mm",
    zero_is_missing=True,
)
_EVAP = Range(
    0.0,
    5_000.0,
    None,
    3_000.0,
    why="open-water and pan evaporation stay below about 3,000–4,000 mm/yr even in the hottest deserts",
    zero_is_missing=True,
)

#: parameter name → range, in the unit of the services' ``Param`` of that name
RANGES: dict[str, Range] = {
    "precipitation": _RAIN,
    "storm_rainfall": Range(0.0, 27_000.0, why=_RAIN.why),
    "evapotranspiration": _EVAP,
    "reference_et": _EVAP,
    "evaporation_water": _EVAP,
    "transpiration": Range(0.0, 5_000.0, None, 2_000.0, why=_EVAP.why),
    "hot_days": Range(0.0, 366.0, why="days in a year"),
    "vegetation_cover": Range(0.0, 100.0, why="a cover in percent lies in [0, 100] %"),
    "dem": Range(
        -500.0, 9_000.0, why="land lies between the Dead Sea shore (−430 m) and Everest (8,849 m)", min_side=3
    ),
    "runoff_coefficient": _SHARE,
    "storm_runoff_coefficient": _SHARE,
    "cover_factor": _SHARE,
    "practice_factor": _SHARE,
    "erodible_fraction": _SHARE,
    "self_recovering_share": _SHARE,
    "reservoir_flood_share": _SHARE,
    "pawc": _SHARE,
    "roughness_factor": _NONNEG,  # RWEQ K′ is an exponential of roughness terms, not a share
    "soil_crust_factor": _SHARE,
    "nitrogen_content": _SHARE,
    "phosphorus_content": _SHARE,
    "potassium_content": _SHARE,
    "organic_matter_content": _SHARE,
    "siltation_ratio": _SHARE,
    "included": _FLAG,
    "vegetated": _FLAG,
    "vegetation": _FLAG,
    "marsh": _FLAG,
    "water_surface": _FLAG,
    "crop_coefficient": Range(0.0, 3.0, None, 1.5, why="crop coefficients Kc lie between 0 and about 1.3 (FAO-56)"),
    "seasonality": Range(0.0, None, 1.0, 30.0, why="Budyko's Z is 1–30 in InVEST's guidance"),
    "ksat": _NONNEG,
    "soil_depth": _NONNEG,
    "restricting_depth": _NONNEG,
    "root_depth": _NONNEG,
    "erosivity": Range(0.0, None, why="cannot be negative", zero_is_missing=True),
    "erodibility": _NONNEG,
    "npp": _NONNEG,
    "npp_dry_matter": _NONNEG,
    "soil_respiration": _NONNEG,
    "carbon_density": _NONNEG,
    "carbon_density_before": _NONNEG,
    "period": Range(0.0, None, why="a period is positive"),
    "seawall_design_life": Range(0.0, None, why="a design life is positive"),
    "emission_load": _NONNEG,
    "reservoir_capacity": _NONNEG,
    "lake_area": _NONNEG,
    "protected_coastline": _NONNEG,
    "weather_factor": _NONNEG,
    "capacity": _NONNEG,
    "ion_concentration": _NONNEG,
    "ion_lifetime": _NONNEG,
    "price": _PRICE,
    "dredging_cost": _PRICE,
    "nitrogen_price": _PRICE,
    "phosphorus_price": _PRICE,
    "potassium_price": _PRICE,
    "organic_matter_price": _PRICE,
}


def range_of(name: str) -> Range | None:
    """The declared range of parameter ``name`` (None: nothing declared)."""
    return RANGES.get(name)


def _percent_hint(r: Range, value: float) -> str:
    if r.high == 1.0 and 2.0 <= value <= 100.0:
        return f"; did you mean {value:g} %? write '{value:g} %' or {value / 100:g}"
    return ""


def check_values(name: str, values, unit: str, where: str) -> list[str]:
    """Check scalar or per-type values (already in ``unit``) against the range of ``name``.

    Returns notes for values outside the usual range; raises for values outside the hard one.

    Raises
    ------
    ImplausibleInputError
        A value outside the hard range, named with ``where`` and the range.
    """
    r = RANGES.get(name)
    if r is None:
        return []
    arr = np.atleast_1d(np.asarray(values, dtype="float64"))
    arr = arr[~np.isnan(arr)]
    for v in arr:
        if (r.low is not None and v < r.low) or (r.high is not None and v > r.high):
            raise ImplausibleInputError(
                f"{where}: {v:g} {unit} is outside the possible range {r.text(unit)} ({r.why}){_percent_hint(r, v)}"
            )
    return [
        f"{where}: {v:g} {unit} is unusual (usual range {Range(r.usual_low, r.usual_high).text(unit)}; {r.why}); "
        "check the unit and the value"
        for v in arr
        if (r.usual_low is not None and v < r.usual_low) or (r.usual_high is not None and v > r.usual_high)
    ]


def check_raster(
    name: str, da: xr.DataArray, unit: str, where: str, *, sentinels: bool, inside: xr.DataArray | None = None
) -> tuple[list[str], int]:
    """Check a raster (in ``unit``, nodata already NaN) against the range of ``name``, in one pass.

    :func:`raster_check` then :meth:`RasterCheck.run`: the statistics computed at once and judged.
    ``sentinels``: the file declares no nodata, so a pixel equal to a usual fill value
    (−9999, −32768, −3.4e38) is refused with how to declare it.  ``inside``: a boolean
    raster of the pixels that are accounted (land cover with data, inside a region); the
    pixels of ``da`` without a value there are counted.

    Returns
    -------
    notes, holes
        Notes for pixels outside the usual range; the number of accounted pixels where
        ``da`` has no value (0 without ``inside``).

    Raises
    ------
    ImplausibleInputError
        Too few pixels for the parameter, pixels outside the hard range (their count, the
        smallest or largest value), a sentinel fill value in a file without nodata, or an
        all-zero raster for a parameter where zero everywhere means a failed export.
    """
    return raster_check(name, da, unit, where, sentinels=sentinels, inside=inside).run()


def raster_check(
    name: str, da: xr.DataArray, unit: str, where: str, *, sentinels: bool, inside: xr.DataArray | None = None
) -> RasterCheck:
    """The check of :func:`check_raster`, not yet computed: what needs no pixel is checked at once.

    The statistics (:attr:`RasterCheck.stats`, a few numbers per block) are lazy, so that the
    account computes them in its one pass over the chunks, with the zonal sums (each raster is
    then decoded once), and judges them after it (:meth:`RasterCheck.judge`).

    Raises
    ------
    ImplausibleInputError
        The raster has fewer rows or columns than the parameter needs (``Range.min_side``).
    """
    r = RANGES.get(name)
    src = str(da.attrs.get("source", da.name))
    if r is not None and min(da.shape) < r.min_side:
        raise ImplausibleInputError(
            f"{where}: raster {src} has {da.shape[0]} × {da.shape[1]} pixels; {name} needs at least "
            f"{r.min_side} × {r.min_side} (slopes and flow directions look at a pixel's neighbours)"
        )
    return RasterCheck(name, unit, where, src, r, *_stats(da, r, inside, sentinels))


@dataclass(frozen=True)
class RasterCheck:
    """A raster's check against the range of its parameter: lazy statistics per block, then a judgement.

    Attributes
    ----------
    name, unit, where, source
        The parameter, its unit, what the messages start with and the raster's source.
    range : Range or None
        The parameter's declared range (None: only fill values and holes are checked).
    stats : dask.array.Array
        Shape (row blocks, column blocks, ``len(_STATS)``): the statistics of each block of the
        raster, one block per chunk (:func:`block_stats`).
    offsets : tuple of numpy.ndarray
        The first row and the first column [pixels] of each row and column of blocks.
    """

    name: str
    unit: str
    where: str
    source: str
    range: Range | None
    stats: dask.array.Array
    offsets: tuple[np.ndarray, np.ndarray]

    def blocks(self, rows: slice, cols: slice) -> dask.array.Array:
        """The statistics of the blocks that start inside the window (``rows``, ``cols``) [pixels].

        Windows that tile the raster select each block exactly once, whatever their size.
        """
        pick = [_starting_in(o, s) for o, s in zip(self.offsets, (rows, cols), strict=True)]
        return self.stats[pick[0], pick[1]]

    def run(self) -> tuple[list[str], int]:
        """Compute the statistics (their own pass over the raster) and judge them."""
        return self.judge(summed_stats(self.stats.compute()))

    def judge(self, got: dict[str, float]) -> tuple[list[str], int]:
        """Judge the statistics summed over every block (:func:`summed_stats`): see :func:`check_raster`."""
        r, where, src, unit = self.range, self.where, self.source, self.unit
        if got.get("sentinel", 0) > 0:
            raise ImplausibleInputError(
                f"{where}: raster {src} has {int(got['sentinel'])} pixels with a fill value "
                f"({', '.join(f'{s:g}' for s in SENTINELS[:3])}) but declares no nodata; declare it "
                "(e.g. `gdal_edit.py -a_nodata -9999 FILE`, or da.rio.write_nodata(-9999)) so those pixels are "
                "read as missing"
            )
        holes = int(got.get("holes", 0))
        if r is None or not got["valid"]:
            return [], holes
        lo, hi = got["min"], got["max"]
        for side, count, v in (("below", got.get("below", 0), lo), ("above", got.get("above", 0), hi)):
            if count:
                raise ImplausibleInputError(
                    f"{where}: raster {src} has {int(count)} of {int(got['valid'])} pixels {side} the possible "
                    f"range {r.text(unit)} ({r.why}); {'smallest' if side == 'below' else 'largest'} {v:g} {unit}"
                    f"{_percent_hint(r, v) if side == 'above' else ''}"
                )
        if r.zero_is_missing and not got["nonzero"]:
            raise ImplausibleInputError(
                f"{where}: raster {src} is 0 {unit} everywhere; a whole region without any {self.name} over a "
                "year is a failed export, not a climate: check the file (or its nodata and scale)"
            )
        notes = []
        for key, bound in (("usual_below", r.usual_low), ("usual_above", r.usual_high)):
            n = int(got.get(key, 0))
            if n:
                notes.append(
                    f"{where}: raster {src} has {n} of {int(got['valid'])} pixels "
                    f"{'below' if key == 'usual_below' else 'above'} the usual {bound:g} {unit} ({r.why}); "
                    f"values {lo:g}–{hi:g} {unit}: check the unit and the file"
                )
        return notes, holes


def _starting_in(offsets: np.ndarray, window: slice) -> slice:
    """The blocks whose first pixel (``offsets``, increasing) lies in ``window`` (a slice with step 1)."""
    lo = 0 if window.start is None else window.start
    hi = offsets[-1] + 1 if window.stop is None else window.stop
    return slice(int(np.searchsorted(offsets, lo)), int(np.searchsorted(offsets, hi)))


def summed_stats(per_block: np.ndarray | list[np.ndarray]) -> dict[str, float]:
    """The statistics of a whole raster from those of its blocks (arrays ending in ``len(_STATS)``, any shape).

    Counts are added; the minimum and maximum are the blocks' smallest and largest.
    """
    parts = per_block if isinstance(per_block, list) else [per_block]
    per = np.concatenate([np.asarray(p, dtype="float64").reshape(-1, len(_STATS)) for p in parts])
    out = dict(zip(_STATS, per.sum(axis=0), strict=True))
    out["min"], out["max"] = float(per[:, 0].min(initial=np.inf)), float(per[:, 1].max(initial=-np.inf))
    return {k: float(v) for k, v in out.items()}


def ranges_markdown() -> str:
    """The declared ranges as a Markdown table (``docs/plausibility.md`` is generated from it)."""
    units: dict[str, set[str]] = {}
    for cls in services.all_methods().values():
        spec = cls.spec
        for p in (*spec.params, *spec.value_params, *spec.region_params):
            units.setdefault(p.name, set()).add(p.unit)
    rows = [
        "| parameter | unit | possible (error outside) | usual (note outside) | why |",
        "|---|---|---|---|---|",
    ]
    for name in sorted(RANGES):
        r = RANGES[name]
        unit = " or ".join(sorted(units.get(name, {"(unit of the parameter)"})))
        usual = (
            Range(r.low if r.usual_low is None else r.usual_low, r.high if r.usual_high is None else r.usual_high)
            .text("")
            .strip()
            if r.usual_low is not None or r.usual_high is not None
            else ""
        )
        extra = "; 0 everywhere refused" if r.zero_is_missing else ""
        extra += f"; at least {r.min_side} × {r.min_side} pixels" if r.min_side > 1 else ""
        rows.append(f"| `{name}` | {unit} | {r.text('').strip()} | {usual} | {r.why}{extra} |")
    return "\n".join(rows) + "\n"


#: the statistics one pass over a raster collects per block (:func:`_stats`)
_STATS = ("min", "max", "valid", "sentinel", "holes", "below", "above", "usual_below", "usual_above", "nonzero")


def _block_stats(block: np.ndarray, inside: np.ndarray | None, bounds: tuple, sentinels: bool) -> np.ndarray:
    """The statistics of :data:`_STATS` for one block, shape (1, 1, len(_STATS)); NaN is no value.

    Without copying the valid values out: a comparison with NaN is false, and min / max skip NaN
    with ``fmin`` / ``fmax`` (the same numbers; 3.5 → 1.5 ms per 1024² block).  A count that the
    block's min and max already give (0 below a bound under the min, no NaN hole without NaN) is
    not counted: a plausible block costs three passes, not nine.
    """
    low, high, usual_low, usual_high = bounds
    missing = np.isnan(block)
    n = block.size - int(np.count_nonzero(missing))
    lo = np.fmin.reduce(block, axis=None) if n else np.inf
    hi = np.fmax.reduce(block, axis=None) if n else -np.inf

    def below(bound):  # a count is 0 without a pass when the block's min is not below the bound
        return np.count_nonzero(block < bound) if bound is not None and lo < bound else 0

    def above(bound):
        return np.count_nonzero(block > bound) if bound is not None and hi > bound else 0

    counts = {
        "min": lo,
        "max": hi,
        "valid": n,
        "sentinel": np.isin(block[~missing], SENTINELS).sum() if sentinels else 0,
        "holes": np.count_nonzero(missing & inside) if inside is not None and n < block.size else 0,
        "below": below(low),
        "above": above(high),
        "usual_below": below(usual_low),
        "usual_above": above(usual_high),
        # NaN != 0 is true; no zero is possible when the valid values are all of one sign
        "nonzero": n if lo > 0 or hi < 0 else np.count_nonzero(block != 0) - (block.size - n),
    }
    return np.array([counts[k] for k in _STATS], dtype="float64").reshape(1, 1, -1)


def _stats(
    da: xr.DataArray, r: Range | None, inside: xr.DataArray | None, sentinels: bool
) -> tuple[dask.array.Array, tuple[np.ndarray, np.ndarray]]:
    """The lazy statistics of :data:`_STATS` of every block of ``da`` (a streaming pass: a few numbers
    per block), and the first row and column [pixels] of each row and column of blocks.

    Hand-written with ``map_blocks`` rather than ten xarray reductions computed together: those
    kept whole intermediate arrays alive (measured +650 MiB at 4000² pixels).
    """
    bounds = (r.low, r.high, r.usual_low, r.usual_high) if r is not None else (None,) * 4
    data = da.data if isinstance(da.data, dask.array.Array) else dask.array.from_array(np.asarray(da.data))
    arrays = [data] if inside is None else [data, inside.data]

    def one(block, mask=None):
        return _block_stats(block, mask, bounds, sentinels)

    nb = data.numblocks
    per = dask.array.map_blocks(
        one, *arrays, chunks=((1,) * nb[0], (1,) * nb[1], (len(_STATS),)), new_axis=2, dtype="float64"
    )
    return per, tuple(np.cumsum((0, *c[:-1])) for c in data.chunks[:2])
