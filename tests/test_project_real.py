"""Project-level GEP on real data: Willamette land cover current → future inside one sub-watershed."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from rasterio.features import rasterize

import gepcalc as gep
from conftest import SHARED, requires_shared
from gepcalc.tables import load_table

pytestmark = [requires_shared, pytest.mark.shared_data]
W = SHARED / "willamette"
POOLS = ["C_above", "C_below", "C_soil", "C_dead"]
SUBWS = 4  # the largest of the 9 sub-watersheds (39.8 km²)
PERIOD = 10.0  # yr between the two land covers (stock-change method)
PRICE = 50.0  # CNY/t CO2
CO2_PER_C = 44.0095 / 12.011


def density_table(tmp_path):
    """Total carbon density C_above + C_below + C_soil + C_dead [t C/ha] per LULC code, as a gepcalc table."""
    pools = pd.read_csv(W / "carbon_pools.csv")
    df = pd.DataFrame({"lucode": pools["lucode"], "carbon_density": pools[POOLS].sum(axis=1), "source": "invest"})
    df.to_csv(tmp_path / "density.csv", index=False)
    meta = {
        "name": "carbon_density",
        "index": "lucode",
        "index_kind": "landcover",
        "columns": {"carbon_density": {"unit": "t / ha", "min": 0}},
        "sources": {"invest": {"document": "InVEST sample data carbon_pools.csv (Willamette)", "year": 2024}},
    }
    return load_table(tmp_path / "density.csv", meta=meta)


def settings(tmp_path):
    # Stock-change method against a common reference density of 0 in both states:
    #   Q = 44/12 · Σ C(lulc)·A / period, so ΔQ = 44/12 · Σ (C_future − C_current)·A / period  (IPCC eq. 2.5)
    return {
        "landcover_classes": False,
        "services": ["carbon_sequestration"],
        "methods": {"carbon_sequestration": "stock_change"},
        "inputs": {
            "carbon_density": density_table(tmp_path),
            "carbon_density_before": "0 t/ha",
            "period": f"{PERIOD} yr",
        },
        "overrides": {"prices": {"carbon_price": {"price": f"{PRICE} CNY/t"}}},
        "price_year": 2020,
    }


def independent_delta_carbon(subws) -> float:
    """ΔGEP of carbon [CNY/yr] by numpy: pools per code, polygon mask (pixel centres), 0.09 ha per pixel."""
    pools = pd.read_csv(W / "carbon_pools.csv").set_index("lucode")
    lut = np.zeros(256)
    lut[pools.index.to_numpy()] = pools[POOLS].sum(axis=1).to_numpy()
    stock = []
    for name in ("lulc_current.tif", "lulc_future.tif"):
        with rasterio.open(W / name) as src:
            codes, nodata, transform, shape = src.read(1), src.nodata, src.transform, src.shape
            geom = subws.to_crs(src.crs).geometry
        inside = rasterize([(g, 1) for g in geom], out_shape=shape, transform=transform, fill=0).astype(bool)
        stock.append((np.where(codes == nodata, 0.0, lut[codes]) * 0.09)[inside].sum())  # t C
    return (stock[1] - stock[0]) * CO2_PER_C / PERIOD * PRICE


def test_willamette_current_to_future_in_one_subwatershed(tmp_path):
    subs = gpd.read_file(W / "subwatersheds.gpkg")
    one = subs[subs["subws_id"] == SUBWS]
    boundary = tmp_path / "subws.geojson"
    one.to_crs("EPSG:4326").to_file(boundary)  # lon/lat on purpose: the project reprojects it to UTM 10N
    s = settings(tmp_path)
    res = gep.project(
        {
            "project": {
                "name": f"subwatershed {SUBWS}",
                "boundary": str(boundary),
                **{k: s[k] for k in ("landcover_classes", "services", "methods", "price_year")},
            },
            "schedule": {"start_year": 2025, "horizon": 10, "discount_rate": "3 %"},
            "baseline": {"landcover": str(W / "lulc_current.tif"), "inputs": s["inputs"], "overrides": s["overrides"]},
            "with_project": {"landcover": str(W / "lulc_future.tif")},
        }
    )
    delta = res.gep_change("CNY").magnitude
    # 1. equals the difference of two plain accounts over all 9 sub-watersheds, restricted to this one
    accts = [
        gep.account(W / name, W / "subwatersheds.gpkg", region_field="subws_id", **s)
        for name in ("lulc_current.tif", "lulc_future.tif")
    ]
    vals = [float(a.data["value"].sel(region=str(SUBWS)).sum()) for a in accts]
    assert delta == pytest.approx(vals[1] - vals[0], rel=1e-9)
    # 2. equals an independent numpy computation of the carbon stock change valued at 50 CNY/t CO2
    expected = independent_delta_carbon(one)
    assert delta == pytest.approx(expected, rel=1e-9)
    assert delta < 0  # the future scenario loses carbon here
    assert delta == pytest.approx(-8.966521e6, rel=1e-6)  # pinned: −0.49 Mt C over 10 yr at 50 CNY/t CO2
    # 3. the per-pixel map adds up to the same ΔGEP, and is NaN outside the sub-watershed
    m = res.maps()["total"]
    assert float(m.sum()) == pytest.approx(delta, rel=1e-9)
    assert int(m.notnull().sum()) == int((res.baseline.land.region > 0).sum())
    # 4. no schedule given: full effect from the first year, NPV = ΔGEP · Σ 1.03^-t for t = 1…10
    assert res.npv("CNY").magnitude == pytest.approx(delta * sum(1.03**-t for t in range(1, 11)), rel=1e-12)
