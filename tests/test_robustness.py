"""Nothing silent, nothing lost (issue 15): implausible inputs, rasters read as their files mean,
nothing the user typed ignored, lines and tables in any encoding, regions, atomic outputs, raw errors named."""

from __future__ import annotations

import copy
import os
import re
import signal
import subprocess
import sys
import textwrap
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from shapely.geometry import Polygon, box

import gepcalc as gep
from conftest import (
    SMALL_CODES,
    SMALL_CRS,
    SMALL_INPUTS,
    SMALL_OVERRIDES,
    sha256,
    small_account,
    write_raster,
)
from gepcalc.config import load_config
from gepcalc.errors import (
    CoefficientTableError,
    ConfigError,
    ImplausibleInputError,
    InputFileError,
    NodataError,
    RegionError,
    UnitError,
)
from gepcalc.io import atomic, read_csv
from gepcalc.tables import coefficients_dir

X0, Y1 = 700_000, 3_300_400  # the small raster's top-left corner (100 m cells, 3 × 4)


run = small_account


def raster_input(path, unit="mm/yr"):
    return {"raster": str(path), "unit": unit}


# -- 1. plausible ranges -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, given, expected",
    [
        ("precipitation", "-1400 mm/yr", r"'precipitation'.*-1400 mm / yr is outside the possible range \[0, 27000\]"),
        ("hot_days", "400 d/yr", r"'hot_days'.*400 d / yr is outside the possible range \[0, 366\] d / yr"),
        ("water_conservation.runoff_coefficient", 6, r"did you mean 6 %\? write '6 %' or 0.06"),
    ],
)
def test_impossible_scalar_is_refused_with_its_range(small_lc, name, given, expected):
    with pytest.raises(ImplausibleInputError, match=expected):
        run(small_lc, inputs={**SMALL_INPUTS, name: given})


def test_impossible_per_type_value_names_the_type(small_lc):
    et = {"unit": "mm/yr", "values": {"forest": 800, "grassland": -5}}
    with pytest.raises(ImplausibleInputError, match=r"'evapotranspiration'.*\[grassland\]: -5 mm / yr"):
        run(small_lc, inputs={**SMALL_INPUTS, "evapotranspiration": et})


def test_impossible_raster_pixels_are_counted_and_the_file_named(small_lc, tmp_path):
    p = np.full(SMALL_CODES.shape, 1400.0, "float32")
    p[0, :3] = -20.0
    path = write_raster(tmp_path / "rain.tif", p, nodata=-9999.0)
    with pytest.raises(ImplausibleInputError) as e:
        run(small_lc, inputs={**SMALL_INPUTS, "precipitation": raster_input(path)})
    assert str(path) in str(e.value) and "3 of 12 pixels below the possible range [0, 27000]" in str(e.value)
    assert "smallest -20 mm / yr" in str(e.value)


def test_all_zero_rainfall_raster_is_a_failed_export(small_lc, tmp_path):
    path = write_raster(tmp_path / "zero.tif", np.zeros(SMALL_CODES.shape, "float32"))
    with pytest.raises(ImplausibleInputError, match=r"zero.tif is 0 mm / yr everywhere"):
        run(small_lc, inputs={**SMALL_INPUTS, "precipitation": raster_input(path)})


def test_unusual_value_runs_with_a_note(small_lc):
    acct = run(small_lc, inputs={**SMALL_INPUTS, "precipitation": "9000 mm/yr"})
    assert any("9000 mm / yr is unusual" in n and "'precipitation'" in n for n in acct.notes)


# -- 2. rasters read as their files mean ----------------------------------------------------------------------


def test_scale_and_offset_of_the_file_are_applied(small_lc, tmp_path):
    """Stored 14000 with scale 0.1 and offset 0 is 1400 mm/yr: the account equals the scalar 1400 mm/yr one."""
    base = run(small_lc).gep().magnitude
    stored = write_raster(tmp_path / "scaled.tif", np.full(SMALL_CODES.shape, 14000, "int16"))
    with rasterio.open(stored, "r+") as ds:
        ds.scales, ds.offsets = (0.1,), (0.0,)
    acct = run(small_lc, inputs={**SMALL_INPUTS, "precipitation": raster_input(stored)})
    assert acct.gep().magnitude == pytest.approx(base, rel=1e-12)
    # stored 1300 with offset +100 (scale 1) is 1400 too
    shifted = write_raster(tmp_path / "offset.tif", np.full(SMALL_CODES.shape, 1300, "int16"))
    with rasterio.open(shifted, "r+") as ds:
        ds.offsets = (100.0,)
    acct = run(small_lc, inputs={**SMALL_INPUTS, "precipitation": raster_input(shifted)})
    assert acct.gep().magnitude == pytest.approx(base, rel=1e-12)
    assert acct.sources["scaled"].dropna().tolist() == ["stored × 1 + 100"]


def test_undeclared_fill_value_is_refused_with_how_to_declare_it(small_lc, tmp_path):
    p = np.full(SMALL_CODES.shape, 1400.0, "float32")
    p[1, 1] = -9999.0
    path = write_raster(tmp_path / "nofill.tif", p)  # no nodata in the file
    with pytest.raises(ImplausibleInputError) as e:
        run(small_lc, inputs={**SMALL_INPUTS, "precipitation": raster_input(path)})
    assert "1 pixels with a fill value" in str(e.value) and "gdal_edit.py -a_nodata -9999" in str(e.value)


def test_nodata_gap_names_the_raster(small_lc, tmp_path):
    p = np.full(SMALL_CODES.shape, 1400.0, "float32")
    p[0, 0] = -1.0  # declared nodata on a forest pixel
    path = write_raster(tmp_path / "gappy.tif", p, nodata=-1.0)
    with pytest.raises(NodataError, match=r"input raster 'precipitation' \(.*gappy.tif\) has no value on 1 pixels"):
        run(small_lc, inputs={**SMALL_INPUTS, "precipitation": raster_input(path)})


def test_truncated_folder_and_tiny_rasters_are_named(small_lc, tmp_path):
    codes = np.tile(SMALL_CODES, (100, 100))
    whole = write_raster(tmp_path / "big.tif", codes, nodata=255, tiled=True, blockxsize=64, blockysize=64)
    data = whole.read_bytes()
    cut = tmp_path / "cut.tif"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputFileError, match=r"cut.tif.*truncated or corrupt"):
        run(cut).gep()
    folder = tmp_path / "lc_folder.tif"
    folder.mkdir()
    with pytest.raises(InputFileError, match="is a folder, not a raster file"):
        run(folder)
    one = write_raster(tmp_path / "one.tif", np.array([[2]], "uint8"))
    dem = write_raster(tmp_path / "dem.tif", np.array([[100.0]], "float32"))
    inputs = {"dem": raster_input(dem, "m"), "erosivity": "3000 MJ*mm/ha/hr/yr", "erodibility": "0.03 t*hr/MJ/mm"}
    with pytest.raises(ImplausibleInputError, match=r"has 1 × 1 pixels; dem needs at least 3 × 3"):
        gep.account(one, region_name="c", services=["soil_retention"], inputs=inputs, overrides={})


def test_unknown_output_unit_is_a_unit_error(small_lc):
    with pytest.raises(UnitError, match="美元"):
        run(small_lc).total(unit="亿美元")


# -- 3. nothing the user typed is ignored ------------------------------------------------------------------


def test_misspelt_input_names_are_refused_with_the_closest(small_lc):
    with pytest.raises(ConfigError, match=r"'precipitaton' \(did you mean 'precipitation'\?\)"):
        run(small_lc, inputs={**SMALL_INPUTS, "precipitaton": "1400 mm/yr"})
    with pytest.raises(ConfigError, match=r"did you mean 'water_conservation.runoff_coefficient'"):
        run(small_lc, inputs={**SMALL_INPUTS, "water_conservation.runoff_coeficient": 0.3})


def test_input_only_other_services_read_is_noted(small_lc):
    acct = run(small_lc, inputs={**SMALL_INPUTS, "storm_rainfall": "300 mm/yr"})
    assert "inputs 'storm_rainfall' are not read by any service of this account" in acct.notes


def test_override_of_a_row_that_does_not_exist(small_lc):
    overrides = copy.deepcopy(SMALL_OVERRIDES)
    overrides["water_conservation"]["forrest"] = {"runoff_coefficient": 0.2}
    with pytest.raises(CoefficientTableError) as e:
        run(small_lc, overrides=overrides)
    assert "has no row 'forrest'; did you mean 'forest'?" in str(e.value.exceptions[0])
    # a new row only with its '+' mark
    prices = coefficients_dir().joinpath("prices.csv")
    table = gep.tables.load_table(prices).override({"+my_price": {"unit": "CNY/t", "price": 3.0, "price_year": 2020}})
    assert table.data.at["my_price", "price"] == 3.0


def test_unknown_config_key_suggests_the_closest(tmp_path, small_lc):
    cfg = tmp_path / "a.toml"
    cfg.write_text(f'[account]\nlandcover = "{small_lc}"\n\n[outptu]\ndir = "x"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"unknown key\(s\) \['outptu'\].*did you mean 'outptu' → 'output'"):
        load_config(cfg)
    cfg.write_text(f'[account]\nlandcover = "{small_lc}"\n\n[output]\ndri = "x"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"unknown key\(s\) \['dri'\] in \[output\]"):
        load_config(cfg)


# -- 4. lines and tables ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_csv_in_the_encodings_excel_writes(tmp_path, encoding):
    text = "service,region,quantity,unit,source\nwater_supply,淳安县,19.18,亿m**3,统计年鉴 2020\n"
    path = tmp_path / "lines.csv"
    path.write_bytes(text.encode(encoding))
    df = read_csv(path, "lines file", dtype=str)
    assert df.loc[0, "region"] == "淳安县" and df.loc[0, "quantity"] == "19.18" and df.columns[0] == "service"


def test_csv_in_another_encoding_is_a_clear_error(tmp_path):
    path = tmp_path / "lines.csv"
    path.write_bytes("service,region\nwater_supply,淳安县\n".encode("utf-16"))
    with pytest.raises(InputFileError, match=r"neither UTF-8 nor GBK/GB18030.*CSV UTF-8"):
        read_csv(path, "lines file")


def test_gbk_table_reads_like_its_utf8_original(tmp_path):
    src = coefficients_dir() / "carbon_sequestration"
    (tmp_path / "carbon_sequestration.toml").write_bytes(src.with_suffix(".toml").read_bytes())
    (tmp_path / "carbon_sequestration.csv").write_bytes(
        src.with_suffix(".csv").read_text(encoding="utf-8").encode("gb18030")
    )
    got = gep.tables.load_table(tmp_path / "carbon_sequestration.csv")
    ref = gep.tables.load_table(src.with_suffix(".csv"))
    assert got.data.drop(columns="note").equals(ref.data.drop(columns="note"))


def test_table_problems_are_reported_not_crashed(tmp_path):
    src = coefficients_dir() / "carbon_sequestration"
    (tmp_path / "carbon_sequestration.toml").write_bytes(src.with_suffix(".toml").read_bytes())
    lines = src.with_suffix(".csv").read_text(encoding="utf-8").splitlines()
    csv = tmp_path / "carbon_sequestration.csv"
    csv.write_text("\n".join([*lines, lines[1]]) + "\n", encoding="utf-8")  # the forest row twice
    with pytest.raises(CoefficientTableError) as e:
        gep.tables.load_table(csv)
    assert str(csv) in str(e.value) and "key 'forest' appears more than once" in str(e.value.exceptions[0])
    df = read_csv(src.with_suffix(".csv"), "table", dtype=str, keep_default_na=False)
    df.drop(columns=["sequestration_rate"]).to_csv(csv, index=False)  # a declared column left out
    with pytest.raises(CoefficientTableError) as e:
        gep.tables.load_table(csv)
    assert any("declared column 'sequestration_rate' is missing from the file" in str(x) for x in e.value.exceptions)


# -- 5. regions ---------------------------------------------------------------------------------------------------


def regions_file(tmp_path, names, geoms):
    path = tmp_path / "regions.gpkg"
    gpd.GeoDataFrame({"name": names}, geometry=geoms, crs=SMALL_CRS).to_file(path)
    return path


def test_nameless_region_is_refused(small_lc, tmp_path):
    path = regions_file(
        tmp_path, ["west", None], [box(X0, Y1 - 300, X0 + 200, Y1), box(X0 + 200, Y1 - 300, X0 + 400, Y1)]
    )
    with pytest.raises(RegionError, match=r"rows \[1\] \(0-based\) have no name in column 'name'"):
        run(small_lc, regions=path)


def test_region_half_off_the_raster_is_noted_with_its_share(small_lc, tmp_path):
    # east: columns 2–3 (200 m) plus 200 m east of the raster's edge: half of its area is outside
    path = regions_file(
        tmp_path, ["west", "east"], [box(X0, Y1 - 300, X0 + 200, Y1), box(X0 + 200, Y1 - 300, X0 + 600, Y1)]
    )
    acct = run(small_lc, regions=path)
    assert any("region 'east': 50.0% of its area lies outside the land-cover raster" in n for n in acct.notes)
    assert not any("region 'west'" in n for n in acct.notes)


def test_invalid_geometry_is_repaired_with_a_note(small_lc, tmp_path):
    bowtie = Polygon([(X0, Y1), (X0 + 400, Y1 - 300), (X0 + 400, Y1), (X0, Y1 - 300)])
    path = regions_file(tmp_path, ["bowtie"], [bowtie])
    acct = run(small_lc, regions=path)
    assert any("invalid geometry of 'bowtie' (Self-intersection" in n and "repaired" in n for n in acct.notes)


def test_land_cover_that_is_nodata_everywhere(tmp_path):
    lc = write_raster(tmp_path / "empty.tif", np.full(SMALL_CODES.shape, 255, "uint8"), nodata=255)
    with pytest.raises(NodataError, match=r"empty.tif is nodata \(255\) on all 12 pixels inside the regions"):
        run(lc)


# -- 6. atomic outputs ---------------------------------------------------------------------------------------------


def test_a_failed_write_leaves_the_earlier_file(tmp_path):
    path = tmp_path / "account.csv"
    path.write_text("the earlier good file", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic(path) as tmp:
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError("disk full")
    assert path.read_text(encoding="utf-8") == "the earlier good file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["account.csv"]  # no leftover


def test_a_killed_writer_leaves_the_earlier_file(tmp_path):
    """A child process is SIGKILLed in the middle of writing: the earlier file is intact under its name."""
    path = tmp_path / "account.xlsx"
    path.write_bytes(b"earlier workbook")
    before = sha256(path)
    ready = tmp_path / "ready"
    code = textwrap.dedent(
        f"""
        import time
        from pathlib import Path
        from gepcalc.io import atomic
        with atomic(Path({str(path)!r})) as tmp:
            tmp.write_bytes(b"partial")
            Path({str(ready)!r}).touch()
            time.sleep(60)
        """
    )
    child = subprocess.Popen([sys.executable, "-c", code])
    deadline = time.monotonic() + 60
    while not ready.exists() and time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.05)
    assert ready.exists(), "the child never started writing"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert sha256(path) == before
    leftovers = [p.name for p in tmp_path.iterdir() if p.name not in ("account.xlsx", "ready")]
    assert all(n.startswith(".account.xlsx.") and n.endswith(".part.xlsx") for n in leftovers)


def test_account_outputs_are_written_atomically(small_lc, tmp_path, monkeypatch):
    acct = run(small_lc)
    xlsx = acct.to_excel(tmp_path / "account.xlsx")
    good = sha256(xlsx)
    import openpyxl.workbook.workbook as wb

    def broken_save(self, filename):
        filename.write(b"PK half a workbook")  # pandas hands openpyxl the open file
        raise KeyboardInterrupt  # Ctrl-C while saving

    monkeypatch.setattr(wb.Workbook, "save", broken_save)
    with pytest.raises(KeyboardInterrupt):
        acct.to_excel(tmp_path / "account.xlsx")
    assert sha256(xlsx) == good and sorted(p.name for p in tmp_path.iterdir()) == ["account.xlsx", "lc.tif"]


def test_a_rate_that_looks_like_a_percentage():
    from gepcalc.project.definition import parse_rate

    with pytest.raises(
        ConfigError, match=r"discount_rate: 6 is a rate of 600%; did you mean 6 %\? write '6 %' or 0.06"
    ):
        parse_rate(6, "PROJECT.toml [schedule] discount_rate")
    assert parse_rate("6 %", "x") == pytest.approx(0.06) and parse_rate(0.06, "x") == 0.06


def test_the_ranges_page_is_up_to_date():
    from conftest import ROOT
    from gepcalc.plausible import ranges_markdown

    page = (ROOT / "docs" / "plausibility.md").read_text(encoding="utf-8")
    assert page.endswith(ranges_markdown()), "regenerate docs/plausibility.md's table from ranges_markdown()"


def test_atomic_files_get_the_permissions_of_a_plain_write(tmp_path):
    plain = tmp_path / "plain.csv"
    plain.write_text("x", encoding="utf-8")
    with atomic(tmp_path / "atomic.csv") as tmp:
        tmp.write_text("x", encoding="utf-8")
    assert (tmp_path / "atomic.csv").stat().st_mode == plain.stat().st_mode  # not mkstemp's 0600


def test_cli_write_failure_is_a_clean_message_and_the_account_is_kept(tmp_path, small_lc, halves, monkeypatch):
    from typer.testing import CliRunner

    from gepcalc.account import Account
    from gepcalc.cli import app
    from test_cli import write_config

    cfg = write_config(tmp_path, small_lc, halves)
    real = Account.to_excel

    def full_disk(self, path, *a, **k):
        if "gepcalc-" in str(path):  # the rescue copy goes elsewhere
            return real(self, path, *a, **k)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Account, "to_excel", full_disk)
    res = CliRunner().invoke(app, ["account", str(cfg)])
    assert res.exit_code == 1, res.output
    out = " ".join(res.output.split())
    assert "cannot write" in out and "account.xlsx" in out and "No space left on device" in out
    assert "wrote" in out and (tmp_path / "out" / "account.csv").is_file()  # the other outputs are still written
    saved = re.search(r"the computed account was saved to (\S+account\.csv)", out)
    assert saved and pd.read_csv(saved.group(1), encoding="utf-8-sig")["value"].sum() > 0
    assert "Traceback" not in res.output
