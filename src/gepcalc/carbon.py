"""Carbon stock of a landscape from per-class carbon pools (the InVEST carbon-model table).

Not a GEP flow itself, but the basis of the stock-change method of carbon
sequestration and the quantity peers (InVEST carbon) compute, so accounts can be
checked against them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from gepcalc.io import Chunks, read_csv
from gepcalc.landscape import Landscape, build_landscape, check_classes
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
    nodata = land.landcover.attrs.get("nodata")
    check_classes(land.class_counts, table, raster=land.source, nodata=nodata)
    # the stock is Σ_code area(region, code) × density(code): the landscape's class areas, no pass per pixel
    per_code = stock_density(*(table.values_in(p, "t / ha") for p in POOLS))
    density = dict(zip((int(k) for k in per_code.index), per_code.to_numpy(dtype="float64"), strict=True))
    area = land.class_area
    codes = area.index.get_level_values("code")
    valid = np.ones(len(area), dtype=bool) if nodata is None else np.asarray(codes != nodata)
    area = area[valid]
    stock = area.to_numpy() * T_PER_HA_M2 * np.array([density[int(c)] for c in codes[valid]], dtype="float64")
    out = pd.Series(stock, index=area.index).groupby(level="region").sum()
    # empty regions, and regions of nodata pixels only, hold no stock
    out = out.reindex(np.arange(1, len(land.region_names) + 1), fill_value=0.0)
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
