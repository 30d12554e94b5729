"""Regenerate the routing golden fixture from InVEST's own routing (pygeoprocessing 2.4, natcap.invest 3.20).

Run in a throwaway environment with natcap.invest 3.20 (``python benchmarks/compare_invest.py setup --venv
/tmp/invest-venv``), from the repository root::

    /tmp/invest-venv/bin/python tests/data/routing_golden/regenerate.py

It clips WINDOW from the Willamette DEM of InVEST's sample data (``../shared/data/willamette/dem.tif``,
see its PROVENANCE.md; a window with nodata along one side, connected to the edge, and no nodata hole).
That DEM is already hydrologically conditioned (no cell of it is raised by pit filling), so pits and a
flat are carved into the clip (``carve``: a 8 × 12 basin 15 m deep, a one-cell pit, a 10 × 10 flat at
its mean height), so that the fixture exercises filling as well. It writes the result as ``dem.tif`` and runs
``pygeoprocessing.routing.fill_pits``, ``flow_dir_mfd`` and ``flow_accumulation_mfd`` on it, as InVEST
SDR 3.20 does, keeping ``filled.tif`` and ``accumulation_mfd.tif`` (float32 / float64 GeoTIFFs, DEFLATE).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pygeoprocessing
import pygeoprocessing.routing
from osgeo import gdal

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parents[2].parent / "shared" / "data" / "willamette" / "dem.tif"
#: rows, columns of the clip (row offset, column offset, height, width): 96 × 96 cells of 30 m
WINDOW = (1560, 744, 96, 96)


def carve(z: np.ndarray, nodata: float) -> np.ndarray:
    """Pits and a flat carved into the (already pit-free) clip, away from its nodata."""
    z = z.copy()
    data = z != nodata
    z[20:28, 30:42] = np.where(data[20:28, 30:42], z[20:28, 30:42] - 15.0, nodata)
    z[50, 60] = z[50, 60] - 40.0 if data[50, 60] else z[50, 60]
    block = z[60:70, 10:20]
    if (block != nodata).all():
        z[60:70, 10:20] = float(np.round(block.mean()))
    return z


def main() -> None:
    r0, c0, h, w = WINDOW
    opts = ["COMPRESS=DEFLATE", "TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256"]
    src = gdal.Open(str(SOURCE))
    nodata = src.GetRasterBand(1).GetNoDataValue()
    clip = src.GetRasterBand(1).ReadAsArray(c0, r0, w, h).astype("float32")
    gt = list(src.GetGeoTransform())
    gt[0] += c0 * gt[1]
    gt[3] += r0 * gt[5]
    out = gdal.GetDriverByName("GTiff").Create(str(HERE / "dem.tif"), w, h, 1, gdal.GDT_Float32, options=opts)
    out.SetGeoTransform(gt)
    out.SetProjection(src.GetProjection())
    band = out.GetRasterBand(1)
    band.SetNoDataValue(nodata)
    band.WriteArray(carve(clip, nodata))
    band = out = None
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        pygeoprocessing.routing.fill_pits((str(HERE / "dem.tif"), 1), str(tmp / "filled.tif"))
        pygeoprocessing.routing.flow_dir_mfd((str(tmp / "filled.tif"), 1), str(tmp / "fdir.tif"))
        pygeoprocessing.routing.flow_accumulation_mfd((str(tmp / "fdir.tif"), 1), str(tmp / "acc.tif"))
        for name, out in (("filled.tif", "filled.tif"), ("acc.tif", "accumulation_mfd.tif")):
            gdal.Translate(str(HERE / out), str(tmp / name), creationOptions=opts)
    info = pygeoprocessing.get_raster_info(str(HERE / "dem.tif"))
    dem = gdal.Open(str(HERE / "dem.tif")).ReadAsArray()
    meta = {
        "source": "willamette/dem.tif (InVEST sample data, see ../shared/data/willamette/PROVENANCE.md)",
        "window_row_col_height_width": list(WINDOW),
        "nodata": info["nodata"][0],
        "nodata_cells": int(np.sum(dem == info["nodata"][0])) if info["nodata"][0] is not None else 0,
        "made_with": f"pygeoprocessing {pygeoprocessing.__version__}",
    }
    (HERE / "README.json").write_text(json.dumps(meta, indent=1) + "\n")
    shutil.rmtree(HERE / "__pycache__", ignore_errors=True)


if __name__ == "__main__":
    main()
