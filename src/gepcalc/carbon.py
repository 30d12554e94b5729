"""Carbon stock of a landscape from per-class carbon pools (the InVEST carbon-model table).

Not a GEP flow itself, but the basis of the stock-change method of carbon
sequestration and the quantity peers (InVEST carbon) compute, so accounts can be
checked against them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from flox.xarray import xarray_reduce

from gepcalc.io import Chunks, read_csv
from gepcalc.landscape import Landscape, build_landscape, check_classes, map_codes
from gepcalc.tables import CoefficientTable, load_table
from gepcalc.units import T_PER_HA_M2

POOLS = ("C_above", "C_below", "C_soil", "C_dead")

#: metadata of InVEST's carbon pool table (lucode, C_above, C_below, C_soil, C_dead in Mg C/ha),
#: used for such a CSV when it has no TOML sidecar
INVEST_POOLS_META = {
    "name": "carbon_pools",
    "title": "Carbon pools per land-cover class (InVEST carbon model table)",
    "title_zh": "各地类碳库密度",
    "index": "lucode",
    "index_kind": "landcover",
    "columns": {
        **{p: {"unit": "t / ha", "min": 0, "max": 2000, "description": f"carbon density of pool {p}"} for p in POOLS},
        "LULC_Name": {"type": "text"},
    },
    "sources": {
        "invest": {
            "document": "Natural Capital Project, InVEST User's Guide: Carbon Storage and Sequestration (table format)",
            "year": 2024,
            "status": "user",
        }
    },
}


def stock_density(c_above, c_below, c_soil, c_dead):
    """Total carbon density [t C ha⁻¹] = C_above + C_below + C_soil + C_dead (InVEST carbon, eq. 1)."""
    return c_above + c_below + c_soil + c_dead


def _pools_table(pools: str | Path | CoefficientTable) -> CoefficientTable:
    if isinstance(pools, CoefficientTable):
        return pools
    path = Path(pools)
    if path.with_suffix(".toml").is_file():
        return load_table(path)
    head = read_csv(path, "carbon pools table", nrows=0).columns
    meta = {**INVEST_POOLS_META, "default_source": "invest"}
    meta["columns"] = {k: v for k, v in INVEST_POOLS_META["columns"].items() if k in head}
    return load_table(path, meta=meta)


def carbon_stock(
    landcover,
    pools: str | Path | CoefficientTable,
    *,
    regions=None,
    region_field: str | None = None,
    region_name: str | None = None,
    chunks: Chunks = True,
) -> pd.Series:
    """Carbon stock [t C] per region: Σ_pixels (C_above + C_below + C_soil + C_dead) × cell area.

    Parameters
    ----------
    landcover
        Land-cover raster whose codes index ``pools``.
    pools
        Carbon pool table [t C/ha] per land-cover code (InVEST format, or a table with TOML).
    regions, region_field
        Optional region polygons; default: the whole raster.

    Returns
    -------
    pandas.Series
        Stock per region in t C (``attrs["units"] = "t"``).
    """
    land: Landscape = build_landscape(
        landcover, classes=None, regions=regions, region_field=region_field, region_name=region_name, chunks=chunks
    )
    table = _pools_table(pools)
    check_classes(land.class_counts, table, raster=land.source, nodata=land.landcover.attrs.get("nodata"))
    # the pools are summed per code first, so each pixel needs one look-up instead of four
    per_code = stock_density(*(table.values_in(p, "t / ha") for p in POOLS))
    keys = np.asarray(per_code.index, dtype="int64")
    order = np.argsort(keys)
    density = map_codes(land.landcover, keys[order], per_code.to_numpy(dtype="float64")[order], fill=np.nan)
    stock = (density * land.area * T_PER_HA_M2).where(land.ecosystem > 0, 0.0).rename("stock")
    out = xarray_reduce(
        stock,
        land.region.rename("region"),
        func="sum",
        skipna=False,
        expected_groups=np.arange(1, len(land.region_names) + 1),
    ).compute()
    # pool values are validated numbers and nodata pixels are 0, so a NaN here only marks an empty region
    out = out.fillna(0.0)
    s = pd.Series(out.values, index=pd.Index(land.region_names, name="region"), name="carbon_stock")
    s.attrs["units"] = "t"
    return s


def stock_change(baseline, scenario, pools, **kw) -> pd.Series:
    """Scenario − baseline carbon stock [t C] per region (same grid, same pools)."""
    kw.setdefault("region_name", "landscape")
    out = carbon_stock(scenario, pools, **kw) - carbon_stock(baseline, pools, **kw)
    out.name = "carbon_stock_change"
    out.attrs["units"] = "t"
    return out
