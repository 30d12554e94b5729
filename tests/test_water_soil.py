"""Water conservation (Budyko variants), soil retention and flood regulation, by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
import xarray as xr

import gepcalc as gep
from conftest import SMALL_OVERRIDES, write_raster
from gepcalc import hydrology
from gepcalc.errors import InputFileError
from gepcalc.services import get
from gepcalc.terrain import cell_size


def test_budyko_water_yield_vegetated_and_not():
    wc = get("water_conservation", "budyko")
    q = wc.physical(
        area=np.array([10_000.0, 10_000.0]),
        precipitation=np.array([1000.0, 1000.0]),
        reference_et=np.array([800.0, 800.0]),
        crop_coefficient=np.array([1.0, 0.3]),
        root_depth=np.array([1000.0, 500.0]),
        restricting_depth=np.array([2000.0, 2000.0]),
        pawc=np.array([0.1, 0.1]),
        vegetated=np.array([1.0, 0.0]),
        seasonality=5.0,
        included=np.array([1.0, 1.0]),
    )
    # vegetated: AWC = min(1000, 2000) × 0.1 = 100 mm; ω = 5 × 100/1000 + 1.25 = 1.75; PET/P = 0.8
    omega, r = 1.75, 0.8
    aet_p = min(r, 1 + r - (1 + r**omega) ** (1 / omega))  # = 0.45642
    assert aet_p == pytest.approx(0.45642, abs=1e-5)
    # non-vegetated: AET = min(Kc·ET0, P) = min(240, 1000) = 240 mm → Y = 760 mm
    # Y [mm] × 1 ha = Y × 10 m³
    np.testing.assert_allclose(q, [(1 - aet_p) * 1000 * 10, 760 * 10], rtol=1e-12)


def test_water_retention_correction_on_the_budyko_yield():
    y = np.array([500.0])
    # V = 500 → 249/500 = 0.498; TI = ln(100 cells / (500 mm × 2 %)) = ln(0.1) < 0 → clipped to 0
    # with 10_000 cells: TI = ln(10) = 2.302585 → 0.9 × 2.302585/3 = 0.690776; Ksat 150 → 0.5
    ti = hydrology.topographic_index(np.array([10_000.0]), np.array([500.0]), np.array([2.0]))
    assert ti[0] == pytest.approx(math.log(10))
    wr = hydrology.water_retention(y, np.array([500.0]), ti, np.array([150.0]))
    assert wr[0] == pytest.approx(0.498 * 0.9 * math.log(10) / 3 * 0.5 * 500)


def _plane(rows=12, cols=10, cell=30.0, slope=0.1):
    """An inclined plane falling to the south: z = slope × distance from the top row."""
    z = (rows - np.arange(rows))[:, None] * cell * slope + np.zeros((rows, cols))
    return z


def test_soil_retention_is_rkls_times_one_minus_cp():
    dem = _plane()
    area = np.full(dem.shape, 900.0)
    sr = get("soil_retention")
    q = sr.physical(
        area,
        dem,
        erosivity=2000.0,
        erodibility=0.03,
        cover_factor=0.01,
        practice_factor=1.0,
        included=np.ones(dem.shape),
        l_max=122.0,
    )
    ls = hydrology.ls_factor(dem, 30.0)
    # R·K·LS·(1 − C·P) [t/ha/yr] × 0.09 ha
    np.testing.assert_allclose(q, 2000 * 0.03 * ls * 0.99 * 0.09, rtol=1e-12)
    # 10 % slope (> 9 %): S = 16.8 sin(atan 0.1) − 0.5 = 1.17168; L grows down the slope
    assert np.all(np.diff(ls[1:-1, 5]) > 0)


def test_soil_retention_account_with_a_dem_hole_and_its_value(tmp_path):
    codes = np.full((8, 8), 2, dtype="uint8")  # evergreen broadleaf forest, 100 m cells
    lc = write_raster(tmp_path / "lc.tif", codes, nodata=255)
    z = _plane(8, 8, cell=100.0).astype("float32")
    z[4, 4] = -9999.0  # an interior nodata hole: routed through as a flat lake, not NaN
    dem = write_raster(tmp_path / "dem.tif", z, nodata=-9999.0)
    acct = gep.account(
        lc,
        services=["soil_retention"],
        inputs={
            "dem": {"raster": str(dem), "unit": "m"},
            "erosivity": "2000 MJ*mm/ha/hr/yr",
            "erodibility": "0.03 t*ha*hr/ha/MJ/mm",
            # no sourced default since issue 11 (empty cells): the former table values, given here
            "cover_factor": {"unit": "", "values": {"forest": 0.006}},
            "soil_bulk_density": "1.125 t/m**3",
            "dredging_cost": "12.6 CNY/m**3",
        },
    )
    q = float(acct.data["quantity"].sum())
    assert np.isfinite(q) and q > 0
    # value = Q × (λ/ρ × P_d + c_N × P_N + c_P × P_P) = Q × (0.24/1.125 × 12.6 + 0.0037 × 875 + 0.00108 × 2800)
    per_t = 0.24 / 1.125 * 12.6 + 0.0037 * 875 + 0.00108 * 2800
    assert float(acct.data["value"].sum()) == pytest.approx(q * per_t)


def test_routing_refuses_longitude_latitude_grids():
    da = xr.DataArray(np.zeros((3, 3)), dims=("y", "x"), coords={"y": [30.1, 30.0, 29.9], "x": [118.0, 118.1, 118.2]})
    da = da.rio.write_crs("EPSG:4326")
    with pytest.raises(InputFileError, match="longitude/latitude"):
        cell_size(da)


def test_flood_regulation_components(small_lc, halves):
    acct = gep.account(
        small_lc,
        halves,
        region_field="name",
        services=["flood_regulation"],
        inputs={
            "storm_rainfall": "300 mm/yr",
            "reservoir_capacity": {"west": "0 m**3", "east": "1e6 m**3"},
            # east has a reservoir: its water counts as a lake too only with a lake area of its own,
            # and the regression's zone is chosen, never defaulted (issue 11)
            "lake_area": {"west": "0 km**2", "east": "0.03 km**2"},
            "lake_zone": {"all": "青藏高原"},
            # given, not the table's (Gong et al. 2017 means 0.0325 and 0.0684): the arithmetic below uses these
            "storm_runoff_coefficient": {"unit": "", "values": {"forest": 0.0204, "grassland": 0.0745}},
        },
    )
    q = acct.data["quantity"].sel(service="flood_regulation")
    # vegetation: 300 mm × (1 − 0.0204) × 5 ha forest + 300 × (1 − 0.0745) × 1 ha grassland
    veg = 0.3 * (1 - 0.0204) * 50_000 + 0.3 * (1 - 0.0745) * 10_000
    assert float(q.sel(item="vegetation").sum()) == pytest.approx(veg)
    # lake: east has 3 ha = 0.03 km² of water: e^6.636 × 0.03^0.678 × 1e4 m³ = 707,1xx m³
    lake = math.exp(6.636) * 0.03**0.678 * 1e4
    assert float(q.sel(item="lake", region="east", ecosystem="water").sum()) == pytest.approx(lake)
    assert float(q.sel(item="lake", region="west").sum()) == 0.0  # no water in the west
    # reservoir: 0.35 × 1e6 m³ in the east; marsh: no wetland
    assert float(q.sel(item="reservoir").sum()) == pytest.approx(350_000.0)
    assert float(q.sel(item="marsh").sum()) == 0.0
    assert acct.gep("CNY").magnitude == pytest.approx((veg + lake + 350_000.0) * 6.11)


def test_account_with_all_regulating_services_on_the_small_raster(small_lc, halves, tmp_path):
    dem = write_raster(tmp_path / "dem.tif", _plane(3, 4, cell=100.0).astype("float32"))
    inputs = {
        "precipitation": "1400 mm/yr",
        "reference_et": "900 mm/yr",
        "restricting_depth": "1500 mm",
        "pawc": "0.15",
        "seasonality": "5",
        "dem": {"raster": str(dem), "unit": "m"},
        "erosivity": "3000 MJ*mm/ha/hr/yr",
        "erodibility": "0.03 t*ha*hr/ha/MJ/mm",
        "storm_rainfall": "300 mm/yr",
        "hot_days": "70 d/yr",
        "evaporation_water": "1100 mm/yr",
        "water_purification.capacity": {
            i: {"water": "20 t/km**2/yr", "wetland": "20 t/km**2/yr"} for i in ("cod", "nh3n", "tp")
        },
        "water_purification.emission_load": {i: {"all": "0.1 t/yr"} for i in ("cod", "nh3n", "tp")},
        "air_purification.emission_load": {i: {"all": "1000 t/yr"} for i in ("so2", "nox", "dust")},
        # no readable source for Kc or a grassland carbon rate (empty table cells): given here
        "crop_coefficient": {
            "unit": "",
            "values": {"forest": 1.0, "grassland": 0.85, "farmland": 0.8, "urban": 0.3, "water": 1.05},
        },
        "sequestration_rate": {"unit": "t/ha/yr", "values": {"forest": 3.62, "grassland": 0.1}},  # carbon and oxygen
        "air_purification.capacity": {"nox": {"forest": "0.6 t/km**2/yr"}},
        # no sourced C factor, bulk density or dredging cost (empty cells since issue 11): given here
        "cover_factor": {"unit": "", "values": {"forest": 0.006, "grassland": 0.06, "farmland": 0.23}},
        "soil_bulk_density": "1.125 t/m**3",
        "dredging_cost": "12.6 CNY/m**3",
        "lake_zone": {"all": "青藏高原"},
        "transpiration_heat": {"unit": "kJ/m**2/d", "values": {"forest": 2837, "grassland": 905}},
    }
    services = [
        "water_conservation",
        "soil_retention",
        "flood_regulation",
        "water_purification",
        "air_purification",
        "carbon_sequestration",
        "oxygen_release",
        "climate_regulation",
        "pest_control",
    ]
    acct = gep.account(
        small_lc,
        halves,
        region_field="name",
        services=services,
        methods={"water_conservation": "budyko"},
        inputs=inputs,
        overrides={"prices": SMALL_OVERRIDES["prices"]},  # carbon and electricity have no national default
    )
    summary = acct.summary(unit="CNY")
    assert set(summary["service"]) == set(services)
    assert (summary.groupby("service")["value"].sum() > 0).all()
    # water purification: 0.03 km² × 20 t/km² = 0.6 t capacity in the east, capped at 0.1 t per pollutant
    assert float(acct.data["quantity"].sel(service="water_purification").sum()) == pytest.approx(0.3)
