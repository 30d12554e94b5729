"""Deterministic inputs for the gepcalc / InVEST 3.20 comparison (benchmark only, never run in CI).

The Willamette sample data (``shared/data/willamette``) have a DEM, land use, carbon pools and
watersheds, but not the climate and soil rasters that InVEST's annual water yield and SDR
models need.  This module makes them, deterministically (fixed numpy seeds, pure
numpy/scipy/rasterio), on the exact grid of ``dem.tif``, plus InVEST biophysical tables
derived from ``biophysical_table.csv``; or a whole synthetic N × N landscape for the speed
benchmark.  From the repository root::

    python benchmarks/invest_inputs.py /tmp/invest-inputs/willamette                  # Willamette grid
    python benchmarks/invest_inputs.py /tmp/invest-inputs/synthetic4000 --size 4000   # synthetic 4000 x 4000

Each output directory gets a ``manifest.json`` naming every input (absolute paths; the
Willamette DEM, land use, carbon pools and watersheds are referenced where they are, never
copied).

Rasters written (float32, tiled 256 × 256, DEFLATE with floating-point predictor, nodata
-1 declared but never present: every field is defined on the whole grid, the DEM / land-use
nodata masks decide which pixels count):

=====================  ===================  ====================================================
file                   unit                 field
=====================  ===================  ====================================================
precip.tif             mm / yr              1000 + 900·e + 600·u₁, clipped to [1000, 2500]
et0.tif                mm / yr              1000 − 250·e − 150·u₂, clipped to [600, 1000]
depth_to_root.tif      mm                   500 + 2000·u₃·(1 − 0.4·e), clipped to [500, 2500]
pawc.tif               fraction             0.05 + 0.25·u₄
erosivity.tif          MJ mm/(ha h yr)      1500 + 2500·(0.7·(P − 1000)/1500 + 0.3·u₅), [1500, 4000]
erodibility.tif        t ha h/(ha MJ mm)    0.02 + 0.03·u₆
=====================  ===================  ====================================================

where ``e = clip(z_s / 1300 m, 0, 1)`` is the elevation of the DEM smoothed with a Gaussian of
σ = 10 px (nodata filled from the nearest valid pixel first) and ``u_i ∈ (0, 1)`` are
independent smooth random fields: white noise (seed ``SEED + i``) on a coarse lattice of knots
32 px (≈ 1 km) apart, Gaussian-filtered (σ = 2 knots), bilinearly interpolated to the grid,
standardised and mapped through the normal CDF.

Biophysical tables (rows = every ``lucode`` of ``biophysical_table.csv``):

* ``biophysical_awy.csv``: ``lucode, LULC_desc, LULC_veg, root_depth, Kc`` with
  ``Kc = etk / 1000`` and ``root_depth`` [mm] as given.  **LULC_veg rule**: 0 (not vegetated:
  AET from Kc·ET0 capped by P) when the class is water, built-up or bare, i.e. its description
  (case-insensitive) contains one of ``NON_VEG_KEYWORDS`` (residential, commercial, industrial,
  vacant, urban non-vegetated, rural structures, railroad, roads, non-vegetated, water,
  stream, channel, lentic, snow, barren, bare, topographic shadow, unknown); otherwise 1.
  "Urban tree overstory" contains none of them and is vegetated.  The codes this gives are
  :data:`NON_VEG_CODES` (checked on import of the table).
* ``biophysical_sdr.csv``: ``lucode, LULC_desc, usle_c, usle_p`` as given.

Synthetic landscape (``--size N``): an N × N, 30 m grid in EPSG:26910 with upper-left corner
(440,000 m, 5,000,000 m):

* ``dem.tif`` (float32 m, nodata -9999 never present), built in three steps:

  1. A fractal field from spectral synthesis: power ∝ (k² + k₀²)^(-β/2) with β = 4.4 and
     k₀ = 1 / 30 km (k in cycles per metre, so the roughness per pixel hardly depends on N);
     random phases and amplitudes from seed ``SEED``.
  2. Its 4 × 4 block means (120 m) are standardised, mapped through the normal CDF, raised to the
     power 1.6 (flat floors, steeper uplands), × 1400 m + 60 m, plus a tilt rising 200 m from
     west to east.  This coarse surface is drained by a priority flood from the grid edge
     (:func:`priority_flood`, 0.15 m per block, i.e. 0.125 %), so closed basins become gently
     sloping valley floors (about 30 % of the area) instead of 500 m deep pits.
  3. The coarse surface is interpolated bilinearly to the 30 m grid.  The fine-scale part of
     the fractal (field minus its interpolated block means) is added with 5 m standard
     deviation, scaled down to 3 % on flat ground (factor min(1, coarse slope / 15 %)).

  At N = 4000: relief 63-1,635 m, mean slope ≈ 13 % (Willamette dem.tif: 16 %).  About 8 % of
  the pixels lie in small closed depressions (99 % of them < 5 m deep) that the models fill.
* ``landuse.tif`` (uint8, nodata 255 never present): landuse_90 codes in coherent patches:
  each of the classes in :data:`SYN_CLASSES` gets a smooth random field plus an elevation
  preference; each pixel takes the class with the highest score.
* ``landuse_future.tif``: the same with a smooth random subset (about 15 %) of the forest
  harvested (→ 56, conifers 0-20 yrs) and of the farmland built on (→ 1, residential).
* ``watershed.gpkg``: one polygon (``ws_id`` = 0) covering the whole grid.
* the climate and soil rasters above, computed the same way from this DEM.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

SEED = 20251123
PIXEL = 30.0
SYN_CRS = "EPSG:26910"
SYN_X0, SYN_Y0 = 440_000.0, 5_000_000.0
FLOAT_NODATA = -1.0
DEM_NODATA = -9999.0
LULC_NODATA = 255
DEM_BETA = 4.4  # power-spectrum exponent of the synthetic terrain
DEM_ROLLOFF_M = 30_000.0  # wavelengths above ~30 km are damped
DEM_COARSE = 4  # the large-scale surface is built (and drained) on 4 x 4 pixel blocks (120 m)
DEM_RELIEF_M = 1400.0
DEM_FLOOD_EPS_M = 0.15  # gradient given to filled basins: 0.15 m per 120 m block (0.125 %)
DEM_DETAIL_M = 5.0  # standard deviation of the fine-scale roughness on steep slopes
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "willamette"

NON_VEG_KEYWORDS = (
    "residential",
    "commercial",
    "industrial",
    "vacant",
    "urban non-vegetated",
    "rural structures",
    "railroad",
    "roads",
    "non-vegetated",
    "water",
    "stream",
    "channel",
    "lentic",
    "snow",
    "barren",
    "bare",
    "topographic shadow",
    "unknown",
)
#: the codes of biophysical_table.csv that NON_VEG_KEYWORDS make LULC_veg = 0
NON_VEG_CODES = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 16, 18, 19, 20, 21, 24, 29, 32, 33, 39, 40, 42, 88, 102)

#: synthetic land use: (code, description, bias, elevation preference); score = field + bias + pref * e
SYN_CLASSES = (
    (33, "Permanent lentic water", -0.9, -3.0),
    (1, "Residential 0-4 DU/ac", -0.2, -2.5),
    (6, "Commercial", -0.9, -3.0),
    (21, "Light duty roads", -0.9, -1.0),
    (67, "Grass seed rotation", 0.4, -3.0),
    (71, "Grains", 0.0, -3.0),
    (83, "Hayfield", 0.0, -2.0),
    (85, "Pasture", 0.1, -1.5),
    (92, "Orchard", -0.4, -1.5),
    (87, "Natural shrub", -0.2, 0.5),
    (86, "Natural grassland", -0.5, 1.0),
    (53, "Forest Closed hardwood", -0.2, 0.5),
    (54, "Forest Closed mixed", 0.2, 1.0),
    (56, "Conifers 0-20 yrs", -0.1, 1.2),
    (57, "Forest closed conifer 21-40 yrs", -0.1, 1.4),
    (58, "Forest closed conifer 41-60 yrs", 0.0, 1.6),
    (60, "Forest closed conifer 81-200 yrs", -0.3, 2.2),
    (61, "Forest closed conifer older than 200 yrs", -0.8, 2.6),
)
_FOREST = (53, 54, 57, 58, 60, 61)
_FARM = (67, 71, 83, 85, 92)

RASTERS = {
    "precip": ("precip.tif", "mm/yr"),
    "et0": ("et0.tif", "mm/yr"),
    "depth_to_root": ("depth_to_root.tif", "mm"),
    "pawc": ("pawc.tif", "1"),
    "erosivity": ("erosivity.tif", "MJ mm/(ha h yr)"),
    "erodibility": ("erodibility.tif", "t ha h/(ha MJ mm)"),
}

PROFILE = dict(driver="GTiff", tiled=True, blockxsize=256, blockysize=256, compress="deflate", BIGTIFF="IF_SAFER")


# -- smooth random fields ---------------------------------------------------------------------


def _interp_matrix(n: int, spacing: int, k: int) -> np.ndarray:
    """(n, k) bilinear interpolation weights from ``k`` knots ``spacing`` pixels apart (knot 1 at pixel 0)."""
    pos = np.arange(n) / spacing + 1.0
    i0 = np.floor(pos).astype(int)
    w = (pos - i0).astype("float32")
    m = np.zeros((n, k), dtype="float32")
    m[np.arange(n), i0] = 1 - w
    m[np.arange(n), i0 + 1] = w
    return m


def smooth_field(shape: tuple[int, int], seed: int, spacing: int = 32, sigma_knots: float = 2.0) -> np.ndarray:
    """Smooth standard-normal-ish float32 field: filtered white noise on knots ``spacing`` px apart, interpolated."""
    from scipy.ndimage import gaussian_filter

    ny, nx = shape
    ky, kx = ny // spacing + 3, nx // spacing + 3
    rng = np.random.default_rng(seed)
    knots = gaussian_filter(rng.standard_normal((ky, kx)), sigma_knots, mode="wrap").astype("float32")
    f = _interp_matrix(ny, spacing, ky) @ knots @ _interp_matrix(nx, spacing, kx).T
    f -= f.mean(dtype="float64")
    f /= f.std(dtype="float64")
    return f


def uniform_field(shape, seed, **kw) -> np.ndarray:
    """Smooth field with values in (0, 1), roughly uniform (normal CDF of :func:`smooth_field`)."""
    from scipy.special import ndtr

    return ndtr(smooth_field(shape, seed, **kw)).astype("float32")


def elevation_index(dem: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """e = clip(z_s / 1300 m, 0, 1): the DEM, nodata filled from the nearest valid pixel, Gaussian σ = 10 px."""
    from scipy.ndimage import distance_transform_edt, gaussian_filter

    z = dem.astype("float32")
    if not valid.all():
        idx = distance_transform_edt(~valid, return_distances=False, return_indices=True)
        z = z[tuple(idx)]
    z = gaussian_filter(z, 10.0, mode="nearest")
    return np.clip(z / 1300.0, 0.0, 1.0)


def climate_soil_fields(dem: np.ndarray, valid: np.ndarray, seed: int = SEED) -> dict[str, np.ndarray]:
    """The six climate / soil rasters of the module docstring (float32 arrays on the DEM's grid)."""
    e = elevation_index(dem, valid)
    shape = dem.shape
    out = {}
    p = np.clip(1000 + 900 * e + 600 * uniform_field(shape, seed + 1), 1000, 2500).astype("float32")
    out["precip"] = p
    out["et0"] = np.clip(1000 - 250 * e - 150 * uniform_field(shape, seed + 2), 600, 1000).astype("float32")
    out["depth_to_root"] = np.clip(500 + 2000 * uniform_field(shape, seed + 3) * (1 - 0.4 * e), 500, 2500).astype(
        "float32"
    )
    out["pawc"] = (0.05 + 0.25 * uniform_field(shape, seed + 4)).astype("float32")
    r = 1500 + 2500 * (0.7 * (p - 1000) / 1500 + 0.3 * uniform_field(shape, seed + 5))
    out["erosivity"] = np.clip(r, 1500, 4000).astype("float32")
    out["erodibility"] = (0.02 + 0.03 * uniform_field(shape, seed + 6)).astype("float32")
    return out


# -- synthetic landscape ----------------------------------------------------------------------


def _fractal(n: int, seed: int, beta: float = DEM_BETA, rolloff_m: float = DEM_ROLLOFF_M) -> np.ndarray:
    """N × N standardised fractal field (float32): spectral synthesis, power ∝ (k² + k₀²)^(-β/2)."""
    rng = np.random.default_rng(seed)
    ky = np.fft.fftfreq(n, d=PIXEL)[:, None]
    kx = np.fft.rfftfreq(n, d=PIXEL)[None, :]
    amp = (kx * kx + ky * ky + rolloff_m**-2) ** (-beta / 4)
    amp[0, 0] = 0.0
    spec = (rng.standard_normal(amp.shape) + 1j * rng.standard_normal(amp.shape)) * amp
    del amp
    z = np.fft.irfft2(spec, s=(n, n))
    del spec
    z -= z.mean()
    z /= z.std()
    return z.astype("float32")


def priority_flood(z: np.ndarray, eps: float) -> np.ndarray:
    """Depression-free copy of ``z`` (float64): priority flood from the grid edge, 8-connected.

    Every cell ends up at least ``eps`` × step length (1 or √2 cells) above the cell it was
    reached from, so filled depressions become gently sloping floors that drain to their spill
    point.  Pure Python (heapq): about 2 s per million cells.
    """
    import heapq

    ny, nx = z.shape
    out = z.astype("float64").tolist()
    closed = np.zeros(z.shape, bool)
    closed[0, :] = closed[-1, :] = closed[:, 0] = closed[:, -1] = True
    heap = [(out[i][j], i, j) for i, j in zip(*np.nonzero(closed), strict=True)]
    closed = closed.tolist()
    heapq.heapify(heap)
    d2 = eps * 2**0.5
    steps = [(-1, -1, d2), (-1, 0, eps), (-1, 1, d2), (0, -1, eps), (0, 1, eps), (1, -1, d2), (1, 0, eps), (1, 1, d2)]
    while heap:
        h, i, j = heapq.heappop(heap)
        for di, dj, e in steps:
            a, b = i + di, j + dj
            if 0 <= a < ny and 0 <= b < nx and not closed[a][b]:
                closed[a][b] = True
                v = out[a][b]
                if v < h + e:
                    v = out[a][b] = h + e
                heapq.heappush(heap, (v, a, b))
    return np.asarray(out)


def synthetic_dem(n: int, seed: int = SEED) -> np.ndarray:
    """N × N terrain [m] (float32) with drained valleys, see the module docstring."""
    from scipy.ndimage import map_coordinates
    from scipy.special import ndtr

    f = DEM_COARSE
    zf = _fractal(n, seed)
    nc = -(-n // f)
    zc = np.pad(zf, ((0, nc * f - n), (0, nc * f - n)), mode="edge").reshape(nc, f, nc, f).mean(axis=(1, 3))
    ec = ndtr(zc / zc.std()) ** 1.6 * DEM_RELIEF_M + 60.0 + np.linspace(0.0, 200.0, nc)[None, :]
    fc = priority_flood(ec, DEM_FLOOD_EPS_M)
    gy, gx = np.gradient(fc, PIXEL * f)
    rough = np.clip(np.hypot(gx, gy) / 0.15, 0.03, 1.0)
    c = ((np.arange(n) + 0.5) / f - 0.5).astype("float32")
    yy, xx = np.meshgrid(c, c, indexing="ij")
    dem = map_coordinates(fc, [yy, xx], order=1, mode="nearest").astype("float32")
    detail = zf - map_coordinates(zc, [yy, xx], order=1, mode="nearest").astype("float32")
    detail *= DEM_DETAIL_M / detail.std(dtype="float64")
    detail *= map_coordinates(rough, [yy, xx], order=1, mode="nearest").astype("float32")
    del yy, xx, zf
    dem += detail
    return dem


def synthetic_landuse(dem: np.ndarray, seed: int = SEED) -> np.ndarray:
    """Land use (landuse_90 codes) in coherent patches, preferring elevations by class; uint8."""
    e = elevation_index(dem, np.ones(dem.shape, bool))
    best = np.full(dem.shape, -np.inf, dtype="float32")
    code = np.zeros(dem.shape, dtype="uint8")
    for i, (c, _desc, bias, pref) in enumerate(SYN_CLASSES):
        s = smooth_field(dem.shape, seed + 100 + i, spacing=24, sigma_knots=1.5)
        s += 0.5 * smooth_field(dem.shape, seed + 200 + i, spacing=6, sigma_knots=1.0)
        s += bias + pref * e
        m = s > best
        best[m] = s[m]
        code[m] = c
    return code


def synthetic_future(landuse: np.ndarray, seed: int = SEED) -> np.ndarray:
    """Scenario: ~15 % of forest harvested (→ 56) and of farmland built on (→ 1) in smooth patches."""
    f = smooth_field(landuse.shape, seed + 300, spacing=16, sigma_knots=1.0)
    change = f > 1.04  # ~15 % of a standard normal
    out = landuse.copy()
    out[change & np.isin(landuse, _FOREST)] = 56
    out[change & np.isin(landuse, _FARM)] = 1
    return out


# -- writing ----------------------------------------------------------------------------------


def write_raster(path: Path, arr: np.ndarray, transform, crs, nodata) -> Path:
    import rasterio

    prof = dict(PROFILE, height=arr.shape[0], width=arr.shape[1], count=1, dtype=arr.dtype.name)
    prof.update(crs=crs, transform=transform, nodata=nodata)
    if arr.dtype.kind == "f":
        prof["predictor"] = 3
    elif arr.dtype.itemsize > 1:
        prof["predictor"] = 2
    with rasterio.open(path, "w", **prof) as dst:
        dst.write(arr, 1)
    return path


def _is_non_veg(desc: str) -> bool:
    d = desc.lower()
    return any(k in d for k in NON_VEG_KEYWORDS)


def biophysical_tables(src_csv: Path, out_dir: Path) -> tuple[Path, Path]:
    """Write ``biophysical_awy.csv`` and ``biophysical_sdr.csv`` from ``biophysical_table.csv``."""
    import pandas as pd

    t = pd.read_csv(src_csv, encoding="utf-8-sig")
    veg = (~t["LULC_desc"].astype(str).map(_is_non_veg)).astype(int)
    non_veg = tuple(sorted(int(c) for c in t.loc[veg == 0, "lucode"]))
    if non_veg != NON_VEG_CODES:
        print(f"note: LULC_veg = 0 for codes {non_veg} (differs from NON_VEG_CODES)", file=sys.stderr)
    awy = pd.DataFrame(
        {
            "lucode": t["lucode"].astype(int),
            "LULC_desc": t["LULC_desc"],
            "LULC_veg": veg,
            "root_depth": t["root_depth"].astype(float),
            "Kc": t["etk"].astype(float) / 1000.0,
        }
    )
    sdr = t[["lucode", "LULC_desc", "usle_c", "usle_p"]].copy()
    p_awy, p_sdr = out_dir / "biophysical_awy.csv", out_dir / "biophysical_sdr.csv"
    awy.to_csv(p_awy, index=False)
    sdr.to_csv(p_sdr, index=False)
    return p_awy, p_sdr


def make_willamette(out_dir: str | Path, data: str | Path = DEFAULT_DATA, seed: int = SEED) -> dict:
    """Climate / soil rasters on dem.tif's grid + biophysical tables; returns (and writes) the manifest."""
    import rasterio

    out_dir, data = Path(out_dir), Path(data)
    out_dir.mkdir(parents=True, exist_ok=True)
    with rasterio.open(data / "dem.tif") as src:
        dem = src.read(1)
        valid = dem != src.nodata if src.nodata is not None else np.ones(dem.shape, bool)
        transform, crs = src.transform, src.crs
    fields = climate_soil_fields(dem, valid, seed)
    man = {
        "name": "willamette",
        "grid": {"width": dem.shape[1], "height": dem.shape[0], "pixel_m": PIXEL, "crs": crs.to_string()},
        "dem": str(data / "dem.tif"),
        "landuse": str(data / "landuse_90.tif"),
        "lulc_cur": str(data / "lulc_current.tif"),
        "lulc_fut": str(data / "lulc_future.tif"),
        "carbon_pools": str(data / "carbon_pools.csv"),
        "watersheds": str(data / "watersheds.gpkg"),
        "watersheds_field": "ws_id",
    }
    for key, (name, _unit) in RASTERS.items():
        man[key] = str(write_raster(out_dir / name, fields[key], transform, crs, FLOAT_NODATA).resolve())
    p_awy, p_sdr = biophysical_tables(data / "biophysical_table.csv", out_dir)
    man["biophysical_awy"], man["biophysical_sdr"] = str(p_awy.resolve()), str(p_sdr.resolve())
    man["units"] = {k: u for k, (_n, u) in RASTERS.items()}
    man["seed"] = seed
    (out_dir / "manifest.json").write_text(json.dumps(man, indent=2))
    return man


def make_synthetic(out_dir: str | Path, n: int, data: str | Path = DEFAULT_DATA, seed: int = SEED) -> dict:
    """Synthetic N × N landscape (DEM, land use now/future, climate, soil, one watershed); returns the manifest."""
    import geopandas as gpd
    from rasterio.crs import CRS
    from rasterio.transform import from_origin
    from shapely.geometry import box

    out_dir, data = Path(out_dir), Path(data)
    out_dir.mkdir(parents=True, exist_ok=True)
    transform = from_origin(SYN_X0, SYN_Y0, PIXEL, PIXEL)
    crs = CRS.from_string(SYN_CRS)
    dem = synthetic_dem(n, seed)
    man = {
        "name": f"synthetic{n}",
        "grid": {"width": n, "height": n, "pixel_m": PIXEL, "crs": SYN_CRS, "x0": SYN_X0, "y0": SYN_Y0},
    }
    man["dem"] = str(write_raster(out_dir / "dem.tif", dem, transform, crs, DEM_NODATA).resolve())
    lu = synthetic_landuse(dem, seed)
    man["landuse"] = str(write_raster(out_dir / "landuse.tif", lu, transform, crs, LULC_NODATA).resolve())
    man["lulc_cur"] = man["landuse"]
    fut = synthetic_future(lu, seed)
    man["lulc_fut"] = str(write_raster(out_dir / "landuse_future.tif", fut, transform, crs, LULC_NODATA).resolve())
    del lu, fut
    fields = climate_soil_fields(dem, np.ones(dem.shape, bool), seed)
    for key, (name, _unit) in RASTERS.items():
        man[key] = str(write_raster(out_dir / name, fields[key], transform, crs, FLOAT_NODATA).resolve())
    del fields
    ws = gpd.GeoDataFrame(
        {"ws_id": [0]}, geometry=[box(SYN_X0, SYN_Y0 - n * PIXEL, SYN_X0 + n * PIXEL, SYN_Y0)], crs=SYN_CRS
    )
    ws_path = out_dir / "watershed.gpkg"
    if ws_path.exists():
        ws_path.unlink()
    ws.to_file(ws_path, driver="GPKG", layer="watershed")
    man["watersheds"], man["watersheds_field"] = str(ws_path.resolve()), "ws_id"
    man["carbon_pools"] = str(Path(data, "carbon_pools.csv").resolve())
    p_awy, p_sdr = biophysical_tables(data / "biophysical_table.csv", out_dir)
    man["biophysical_awy"], man["biophysical_sdr"] = str(p_awy.resolve()), str(p_sdr.resolve())
    man["units"] = {k: u for k, (_n, u) in RASTERS.items()}
    man["seed"] = seed
    (out_dir / "manifest.json").write_text(json.dumps(man, indent=2))
    return man


def load_manifest(out_dir: str | Path) -> dict:
    return json.loads(Path(out_dir, "manifest.json").read_text())


def describe(man: dict) -> str:
    """One line per raster: min / mean / max over the grid (for a quick look)."""
    import rasterio

    lines = []
    for key in ("dem", *RASTERS):
        with rasterio.open(man[key]) as s:
            a = s.read(1, masked=True).astype("float64")
        lines.append(f"{key:14s} min {a.min():10.4g}  mean {a.mean():10.4g}  max {a.max():10.4g}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir", type=Path)
    ap.add_argument("--size", type=int, default=None, help="synthetic N x N landscape instead of the Willamette grid")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="Willamette data folder (default %(default)s)")
    ap.add_argument("--seed", type=int, default=SEED)
    a = ap.parse_args(argv)
    man = make_synthetic(a.outdir, a.size, a.data, a.seed) if a.size else make_willamette(a.outdir, a.data, a.seed)
    print(f"wrote {a.outdir}/manifest.json")
    print(describe(man))
    return 0


if __name__ == "__main__":
    sys.exit(main())
