"""Bad input gets a clear error naming the culprit; input files are never modified."""

import shutil

import numpy as np
import pandas as pd
import pytest
import rasterio
from rasterio.transform import from_origin

import gepcalc as gep
from conftest import (
    SHARED,
    SMALL_CODES,
    SMALL_INPUTS,
    SMALL_OVERRIDES,
    requires_shared,
    sha256,
    small_account,
    write_raster,
)
from gepcalc.carbon import carbon_stock
from gepcalc.errors import (
    CoefficientTableError,
    GepcalcError,
    GridMismatchError,
    InputFileError,
    MissingCRSError,
    MissingInputError,
    NodataError,
    RegionError,
    UnmappedClassError,
)

run = small_account


def test_error_family_inherits_builtins():
    assert issubclass(UnmappedClassError, KeyError) and issubclass(UnmappedClassError, GepcalcError)
    assert issubclass(GridMismatchError, ValueError) and issubclass(InputFileError, OSError)
    assert issubclass(CoefficientTableError, ExceptionGroup)


@requires_shared
def test_code_missing_from_pool_table_names_code_count_table_and_file(tmp_path):
    lulc = SHARED / "willamette" / "lulc_current.tif"
    pools = pd.read_csv(SHARED / "willamette" / "carbon_pools.csv")
    with rasterio.open(lulc) as src:
        codes = src.read(1)
    dropped = 57  # "Forest closed conifer 21-40 yrs", present in the raster
    n = int(np.count_nonzero(codes == dropped))
    assert n > 0
    copy = tmp_path / "carbon_pools.csv"
    pools[pools.lucode != dropped].to_csv(copy, index=False)
    before = sha256(lulc)
    with pytest.raises(UnmappedClassError) as e:
        carbon_stock(lulc, copy)
    msg = str(e.value)
    assert f"{dropped} ({n:,} pixels)" in msg
    assert "carbon_pools" in msg and str(copy) in msg and str(lulc) in msg
    assert sha256(lulc) == before


def test_landcover_code_missing_from_mapping(tmp_path):
    codes = SMALL_CODES.copy()
    codes[0, 0] = codes[0, 1] = 42  # not an IGBP class
    lc = write_raster(tmp_path / "odd.tif", codes, nodata=255)
    with pytest.raises(UnmappedClassError) as e:
        run(lc)
    msg = str(e.value)
    assert "42 (2 pixels)" in msg and "landcover_igbp" in msg and str(lc) in msg


def test_rasters_on_different_grids(small_lc, tmp_path):
    shifted = write_raster(
        tmp_path / "p_shifted.tif",
        np.full(SMALL_CODES.shape, 1400.0, "float32"),
        transform=from_origin(700_050, 3_300_400, 100, 100),
    )
    with pytest.raises(GridMismatchError) as e:
        run(small_lc, inputs={**SMALL_INPUTS, "precipitation": {"raster": str(shifted), "unit": "mm/yr"}})
    assert str(shifted) in str(e.value) and str(small_lc) in str(e.value) and "transform" in str(e.value)

    other_crs = write_raster(tmp_path / "p_crs.tif", np.full(SMALL_CODES.shape, 1400.0, "float32"), crs="EPSG:32651")
    with pytest.raises(GridMismatchError, match="CRS EPSG:32651"):
        run(small_lc, inputs={**SMALL_INPUTS, "precipitation": {"raster": str(other_crs), "unit": "mm/yr"}})

    small = write_raster(tmp_path / "p_small.tif", np.full((2, 2), 1400.0, "float32"))
    with pytest.raises(GridMismatchError, match=r"shape \(2, 2\)"):
        run(small_lc, inputs={**SMALL_INPUTS, "precipitation": {"raster": str(small), "unit": "mm/yr"}})


def test_raster_without_crs(tmp_path):
    lc = write_raster(tmp_path / "nocrs.tif", SMALL_CODES, crs=None, nodata=255)
    with pytest.raises(MissingCRSError) as e:
        run(lc)
    assert str(lc) in str(e.value) and "no coordinate reference system" in str(e.value)


def test_nodata_in_an_input_raster(small_lc, tmp_path):
    p = np.full(SMALL_CODES.shape, 1400.0, dtype="float32")
    p[0, 0] = -9999.0  # a forest pixel
    rp = write_raster(tmp_path / "p.tif", p, nodata=-9999.0)
    with pytest.raises(NodataError) as e:
        run(small_lc, inputs={**SMALL_INPUTS, "precipitation": {"raster": str(rp), "unit": "mm/yr"}})
    assert "water_conservation" in str(e.value) and "county/forest" in str(e.value)


def test_raster_input_without_unit(small_lc, tmp_path):
    rp = write_raster(tmp_path / "p.tif", np.full(SMALL_CODES.shape, 1400.0, "float32"))
    with pytest.raises(gep.errors.UnitError, match="has no unit"):
        run(small_lc, inputs={**SMALL_INPUTS, "precipitation": {"raster": str(rp)}})


def test_missing_input_says_how_to_supply_it(small_lc):
    inputs = {k: v for k, v in SMALL_INPUTS.items() if k != "precipitation"}
    with pytest.raises(MissingInputError) as e:
        run(small_lc, inputs=inputs)
    msg = str(e.value)
    assert "'water_conservation' needs input 'precipitation'" in msg and "mm / yr" in msg and "raster" in msg


def test_missing_per_ecosystem_value_is_named(small_lc):
    inputs = {**SMALL_INPUTS, "evapotranspiration": {"unit": "mm/yr", "values": {"forest": 800}}}
    with pytest.raises(NodataError, match="'evapotranspiration' has no value for ecosystem type 'grassland'"):
        run(small_lc, inputs=inputs)


def test_input_in_wrong_unit(small_lc):
    with pytest.raises(gep.errors.UnitError, match="precipitation"):
        run(small_lc, inputs={**SMALL_INPUTS, "precipitation": "1400 kg"})


def test_table_with_wrong_units_or_out_of_range(small_lc, tmp_path):
    from gepcalc.tables import coefficients_dir

    bad = tmp_path / "carbon_sequestration.csv"
    text = (coefficients_dir() / "carbon_sequestration.csv").read_text(encoding="utf-8")
    bad.write_text(
        text.replace("ecosystem,sequestration_rate,", "ecosystem,sequestration_rate [kg],", 1), encoding="utf-8"
    )
    shutil.copy(coefficients_dir() / "carbon_sequestration.toml", tmp_path / "carbon_sequestration.toml")
    with pytest.raises(CoefficientTableError) as e:
        run(small_lc, tables={"carbon_sequestration": bad}, overrides={})
    assert "column 'sequestration_rate' header [kg]" in str(e.value) and str(bad) in str(e.value)

    with pytest.raises(CoefficientTableError) as e:
        run(
            small_lc,
            overrides={**SMALL_OVERRIDES, "carbon_sequestration": {"forest": {"sequestration_rate": "250 t/ha/yr"}}},
        )
    assert "row 'forest', column 'sequestration_rate': 250 t / ha / yr is outside the allowed range" in str(e.value)


def test_regions_problems(small_lc, tmp_path):
    import geopandas as gpd
    from shapely.geometry import box

    far = gpd.GeoDataFrame({"name": ["elsewhere"]}, geometry=[box(0, 0, 10, 10)], crs="EPSG:32650")
    with pytest.raises(RegionError, match="cover no pixel"):
        gep.account(small_lc, far, inputs=SMALL_INPUTS, overrides=SMALL_OVERRIDES)
    x0, y1 = 700_000, 3_300_400
    overlapping = gpd.GeoDataFrame(
        {"name": ["a", "b"]},
        geometry=[box(x0, y1 - 300, x0 + 300, y1), box(x0 + 100, y1 - 300, x0 + 400, y1)],
        crs="EPSG:32650",
    )
    with pytest.raises(RegionError, match="'a' and 'b' overlap"):
        gep.account(small_lc, overlapping, inputs=SMALL_INPUTS, overrides=SMALL_OVERRIDES)
    with pytest.raises(RegionError, match="no column 'county'"):
        gep.account(small_lc, overlapping, region_field="county", inputs=SMALL_INPUTS)


def test_missing_file_and_multiband(tmp_path):
    with pytest.raises(InputFileError, match="does not exist"):
        run(tmp_path / "nope.tif")
    path = write_raster(tmp_path / "two.tif", np.zeros((2, 2, 2), "uint8"))
    with pytest.raises(InputFileError, match="has 2 bands"):
        run(path)
