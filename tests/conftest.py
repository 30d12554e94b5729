"""Shared fixtures: tiny rasters written to tmp, and the real data in ../shared/data."""

from __future__ import annotations

import hashlib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin
from shapely.geometry import box

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"

requires_shared = pytest.mark.skipif(
    not SHARED.is_dir(),
    reason=f"real-data tests need {SHARED} (the project's shared data, present in CI); not found here",
)

# 3 × 4 IGBP codes, 100 m cells (1 ha each) in UTM 50N; 255 = nodata
#   2 evergreen broadleaf, 5 mixed, 8 woody savanna -> forest; 10 grassland; 12 cropland; 13 urban; 0 water
SMALL_CODES = np.array(
    [
        [2, 2, 10, 0],
        [5, 8, 12, 0],
        [2, 13, 255, 0],
    ],
    dtype="uint8",
)
SMALL_CRS = "EPSG:32650"
SMALL_TRANSFORM = from_origin(700_000, 3_300_400, 100, 100)


def write_raster(
    path: Path, data: np.ndarray, *, crs=SMALL_CRS, transform=SMALL_TRANSFORM, nodata=None, **creation
) -> Path:
    """Write a GeoTIFF; ``data`` is (rows, cols) or (bands, rows, cols); ``creation`` e.g. tiled=True."""
    bands = data[None] if data.ndim == 2 else data
    profile = dict(
        driver="GTiff",
        height=bands.shape[1],
        width=bands.shape[2],
        count=bands.shape[0],
        dtype=data.dtype,
        transform=transform,
        nodata=nodata,
        **creation,
    )
    if crs is not None:
        profile["crs"] = crs
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(bands)
    return path


@pytest.fixture
def small_lc(tmp_path) -> Path:
    return write_raster(tmp_path / "lc.tif", SMALL_CODES, nodata=255)


@pytest.fixture
def halves(tmp_path) -> Path:
    """Two regions: west (columns 0–1) and east (columns 2–3) of the small raster."""
    x0, y1 = 700_000, 3_300_400
    gdf = gpd.GeoDataFrame(
        {"name": ["west", "east"]},
        geometry=[box(x0, y1 - 300, x0 + 200, y1), box(x0 + 200, y1 - 300, x0 + 400, y1)],
        crs=SMALL_CRS,
    )
    path = tmp_path / "halves.gpkg"
    gdf.to_file(path)
    return path


#: the services the small hand-computed account uses (the profile lists more)
SMALL_SERVICES = ["carbon_sequestration", "oxygen_release", "water_conservation", "climate_regulation"]

#: inputs and overrides that make the small account easy to compute by hand
SMALL_INPUTS = {
    "precipitation": "1400 mm/yr",
    "evapotranspiration": {"unit": "mm/yr", "values": {"forest": 800, "grassland": 600}},
    "hot_days": "74 d/yr",
    "evaporation_water": "1355 mm/yr",
}
SMALL_OVERRIDES = {
    "carbon_sequestration": {
        "forest": {"sequestration_rate": "2 t/ha/yr"},
        "grassland": {"sequestration_rate": "0.5 t/ha/yr"},
    },
    "water_conservation": {"forest": {"runoff_coefficient": 0.05}, "grassland": {"runoff_coefficient": 0.1}},
    "climate_regulation": {
        "forest": {"transpiration_heat": "2837 kJ/m**2/d"},
        "grassland": {"transpiration_heat": "905 kJ/m**2/d"},
    },
    "constants": {
        "ac_energy_efficiency_ratio": {"value": 3.0},
        "latent_heat_vaporization": {"value": 2450},
        "water_density": {"value": 1000},
        "humidifier_energy": {"value": 120},
    },
    "prices": {
        # carbon_price and electricity_price have no sourced national default (empty cells, no price year):
        # the test gives the value and its price year
        "carbon_price": {"price": "50 CNY/t", "price_year": 2020},
        "oxygen_price": {"price": "1000 CNY/t"},
        "water_storage_cost": {"price": "6.11 CNY/m**3"},
        "electricity_price": {"price": "0.5 CNY/kWh", "price_year": 2020},
    },
}


def small_account(lc, **kw):
    """The small hand-computed account of ``lc`` (one region, "county"); keywords override its inputs."""
    import gepcalc as gep

    kw.setdefault("inputs", SMALL_INPUTS)
    kw.setdefault("services", SMALL_SERVICES)
    kw.setdefault("overrides", SMALL_OVERRIDES)
    kw.setdefault("region_name", "county")
    return gep.account(lc, **kw)


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


# --------------------------------------------------------------------------- DEMs of the routing tests


def same(a, b) -> bool:
    """Equal bit for bit, NaN equal to NaN."""
    return bool(np.array_equal(a, b, equal_nan=True))


def synthetic_dem(n: int, seed: int) -> np.ndarray:
    """An ``n`` × ``n`` DEM [m] with many flats, a pit and a plateau across tile borders, and nodata (-9999)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:n, 0:n]
    z = (n - yy) * 0.5 + 3.0 * np.sin(xx / 4.0) + np.round(rng.random((n, n)) * 3.0)  # rounding: many flats
    z[n // 3 : n // 3 + 6, n // 2 - 3 : n // 2 + 4] -= 30.0  # a pit of 6 × 7 cells, across tile borders
    z[5:9, 5:25] = 10.0  # a plateau across tile borders
    z[n // 2, 3] = z[n // 2 + 1, 4] = -9999.0  # an interior nodata hole (routed through)
    z[-3:, -5:] = -9999.0  # nodata on the edge (an outlet)
    return z


def lake_floor() -> np.ndarray:
    """A 70 × 70 bowl with a 30 × 30 flat floor, filled to a lake: one flat across 16 tiles of 8."""
    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[0:70, 0:70]
    z = np.hypot(yy - 35.0, xx - 35.0) * 0.2 + rng.random((70, 70)) * 0.1
    z[20:50, 20:50] = 0.0
    return z


@pytest.fixture(scope="module")
def pool():
    """Two threads for the tiled routing's passes (shared by a test module)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as p:
        yield p
