"""Benchmarks of the core account (issue 2): wall time and peak memory.

Run by hand from the repository root::

    python benchmarks/run_benchmarks.py                       # sizes 500 1000 2000 4000, 3 repeats
    python benchmarks/run_benchmarks.py --sizes 500 1000 --repeat 5 --out docs/benchmarks.md
    python benchmarks/run_benchmarks.py --profile-size 4000   # also time the steps of one account

What is measured
----------------
* ``demo``: :func:`gepcalc.demo.chunan_account` (the embedded 20 × 23 pixel Chun'an raster).
* ``N``: a full account (the profile's 4 default services, the demo's inputs) on a
  synthetic N × N pixel, 30 m, EPSG:32650 land-cover GeoTIFF (uint8 IGBP codes, tiled
  256 × 256, DEFLATE) with 4 quadrant regions in a GeoPackage.

Every measured run is a fresh Python subprocess, so its peak resident set size
(``ru_maxrss``) is that run's own.  The wall time is that of the ``account()`` call
only (the raster is generated beforehand, once per size, and is not timed).  The
median over ``--repeat`` runs is reported.

The results are written between the markers ``<!-- core-benchmarks:start -->`` and
``<!-- core-benchmarks:end -->`` of ``--out``; the rest of that file is kept.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

START = "<!-- core-benchmarks:start -->"
END = "<!-- core-benchmarks:end -->"

ROOT = Path(__file__).resolve().parents[1]

# Synthetic land cover: IGBP codes and a bias that sets their rough share
# (hilly subtropical county: mostly forest, a lake, valley cropland, some towns).
CLASSES = (0, 2, 5, 8, 10, 12, 13)  # water, evergreen broadleaf, mixed forest, woody savanna, grassland, cropland, urban
BIAS = (0.03, 0.15, 0.10, 0.08, -0.02, 0.02, -0.06)
NODATA = 255
PIXEL = 30.0  # m
X0, Y0 = 700_000.0, 3_300_000.0  # upper-left corner, EPSG:32650 (UTM 50N), near Chun'an
CRS = "EPSG:32650"
SEED = 20200


# -- synthetic data ---------------------------------------------------------------------------


def _interp_matrix(n: int, spacing: int):
    """(n, k) matrix of linear interpolation weights from k knots ``spacing`` pixels apart."""
    import numpy as np

    k = n // spacing + 2
    pos = np.arange(n) / spacing
    i0 = np.floor(pos).astype(int)
    w = pos - i0
    m = np.zeros((n, k), dtype="float32")
    m[np.arange(n), i0] = 1 - w
    m[np.arange(n), i0 + 1] = w
    return m


def synthetic_landcover(n: int, seed: int = SEED):
    """Deterministic N × N uint8 IGBP land cover made of smooth blobs.

    Each class gets a smooth random field (coarse knots 64 px ≈ 2 km apart plus
    finer knots 12 px apart), bilinearly upsampled; each pixel takes the class of
    the largest field (plus a per-class bias).  Patches are a few hundred metres
    to a few km across, so the file compresses like real land cover.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    best = np.full((n, n), -np.inf, dtype="float32")
    out = np.zeros((n, n), dtype="uint8")
    layers = [(64, 1.0), (12, 0.35)]
    mats = {s: _interp_matrix(n, s) for s, _ in layers}
    for code, bias in zip(CLASSES, BIAS, strict=True):
        field = np.full((n, n), bias, dtype="float32")
        for spacing, weight in layers:
            m = mats[spacing]
            knots = rng.random((m.shape[1], m.shape[1]), dtype="float32") * weight
            field += m @ knots @ m.T
        win = field > best
        best[win] = field[win]
        out[win] = code
    return out


def write_inputs(n: int, folder: Path) -> tuple[Path, Path, dict]:
    """Write the N × N land-cover GeoTIFF and the 4-quadrant GeoPackage; return paths and class shares."""
    import geopandas as gpd
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin
    from shapely.geometry import box

    tif = folder / f"landcover_{n}.tif"
    gpkg = folder / f"regions_{n}.gpkg"
    lc = synthetic_landcover(n)
    codes, counts = np.unique(lc, return_counts=True)
    shares = {int(c): float(k) / lc.size for c, k in zip(codes, counts, strict=True)}
    profile = {
        "driver": "GTiff",
        "dtype": "uint8",
        "width": n,
        "height": n,
        "count": 1,
        "crs": CRS,
        "transform": from_origin(X0, Y0, PIXEL, PIXEL),
        "nodata": NODATA,
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
        "compress": "deflate",
    }
    with rasterio.open(tif, "w", **profile) as dst:
        dst.write(lc, 1)
    del lc
    side = n * PIXEL
    xm, ym = X0 + side / 2, Y0 - side / 2
    x1, y1 = X0 + side, Y0 - side
    quads = {
        "NW": box(X0, ym, xm, Y0),
        "NE": box(xm, ym, x1, Y0),
        "SW": box(X0, y1, xm, ym),
        "SE": box(xm, y1, x1, ym),
    }
    gpd.GeoDataFrame({"name": list(quads)}, geometry=list(quads.values()), crs=CRS).to_file(gpkg, driver="GPKG")
    return tif, gpkg, shares


# -- child process ---------------------------------------------------------------------------


def _maxrss_mib() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r / 1024 if sys.platform != "darwin" else r / 2**20  # KiB on Linux, bytes on macOS


def _demo_inputs() -> dict:
    from gepcalc.config import load_config
    from gepcalc.demo import chunan_config

    kwargs, _ = load_config(chunan_config())
    return kwargs["inputs"]


def child(args) -> None:
    """One measured run in this (fresh) process; prints one JSON line."""
    import gepcalc  # noqa: F401  (imports are not timed)
    import gepcalc.demo

    base = _maxrss_mib()
    if args.case == "demo":
        t = time.perf_counter()
        acct = gepcalc.demo.chunan_account()
        wall = time.perf_counter() - t
        import rioxarray

        lc = rioxarray.open_rasterio(gepcalc.demo.chunan_dir() / "mcd12c1_2019_igbp_chunan.tif")
        pixels = int(lc.sizes["x"] * lc.sizes["y"])
    else:
        inputs = _demo_inputs()
        chunks = True if args.chunks in (None, "file", "True") else int(args.chunks)
        t = time.perf_counter()
        acct = gepcalc.account(
            args.raster,
            args.regions,
            region_field="name",
            landcover_classes="landcover_igbp",
            inputs=inputs,
            year=2020,
            price_year=2020,
            chunks=chunks,
        )
        wall = time.perf_counter() - t
        pixels = args.n * args.n
    out = {
        "case": args.case,
        "wall_s": wall,
        "peak_rss_mib": _maxrss_mib(),
        "base_rss_mib": base,
        "pixels": pixels,
        "gep_cny": float(acct.gep("CNY").magnitude),
        "value_by_service": {str(k): float(v) for k, v in acct.data["value"].sum(["region", "ecosystem", "scenario", "year"]).to_series().items()},
    }
    print("RESULT " + json.dumps(out))


def profile_child(args) -> None:
    """Time the steps of one account (not a clean memory measurement); prints one JSON line."""
    import dask
    import numpy as np

    import importlib

    import gepcalc

    acc_mod = importlib.import_module("gepcalc.account")  # the module (gepcalc.account is the function)
    from gepcalc.grid import rasterize_regions
    from gepcalc.io import open_raster, read_regions
    from gepcalc.landscape import build_landscape, count_classes

    steps = {}

    def timed(name, fn):
        t = time.perf_counter()
        r = fn()
        steps[name] = time.perf_counter() - t
        return r

    inputs = _demo_inputs()
    chunks = True if args.chunks in (None, "file", "True") else int(args.chunks)
    lc = open_raster(args.raster, name="land cover", chunks=chunks)
    timed("read raster only (sum of codes)", lambda: int(lc.astype("int64").sum().compute()))
    gdf = read_regions(args.regions, field="name")
    region = rasterize_regions(gdf, lc)
    timed("read + rasterise regions (sum)", lambda: int(region.sum().compute()))
    timed("count_classes (read + rasterise + np.unique per chunk)", lambda: count_classes(lc, region > 0))
    land = timed(
        "build_landscape (includes count_classes)",
        lambda: build_landscape(args.raster, regions=args.regions, region_field="name", chunks=chunks),
    )
    # The per-pixel service graphs, as account() builds them (private helpers: may change).
    from gepcalc import services as registry
    from gepcalc.profiles import load_profile
    from gepcalc.resolve import resolve

    prof = load_profile("mee-2020")
    classes_cls = [registry.get(s) for s in prof.services]
    loaded = acc_mod._load_tables(classes_cls, prof, {}, {})
    quantities = {}
    for cls in classes_cls:
        a = {p.name: resolve(p, cls.spec.id, inputs=inputs, tables=loaded, land=land).value for p in cls.spec.params}
        quantities[cls.spec.id] = acc_mod._on_grid(cls.physical(area=land.area, **a), land)
    timed(
        "service quantities only (sum of each, no groupby)",
        lambda: dask.compute(*[q.sum() for q in quantities.values()]),
    )
    timed("zonal sums (flox, one pass)", lambda: acc_mod._zonal_sums(quantities, land, False))
    timed(
        "full account()",
        lambda: gepcalc.account(
            args.raster, args.regions, region_field="name", inputs=inputs, year=2020, price_year=2020, chunks=chunks
        ),
    )
    nchunks = int(np.prod([len(c) for c in land.landcover.chunks]))
    print("RESULT " + json.dumps({"steps": steps, "chunks": nchunks, "peak_rss_mib": _maxrss_mib()}))


# -- parent ------------------------------------------------------------------------------------


def run_child(*extra: str, timeout: float = 1800) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", *extra]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"child {' '.join(extra)} failed:\n{proc.stdout}\n{proc.stderr}")
    line = next(ln for ln in reversed(proc.stdout.splitlines()) if ln.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :])


def machine_info() -> dict:
    import dask
    import flox
    import numpy
    import rasterio
    import xarray

    import gepcalc

    try:
        import psutil

        ram = psutil.virtual_memory().total
    except ImportError:  # psutil is in the `bench` extra
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    sched = dask.config.get("scheduler", None) or "threads (dask default for arrays)"
    return {
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "ram_gib": ram / 2**30,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "gepcalc": gepcalc.__version__,
        "numpy": numpy.__version__,
        "dask": dask.__version__,
        "xarray": xarray.__version__,
        "rasterio": rasterio.__version__,
        "gdal": rasterio.__gdal_version__,
        "flox": flox.__version__,
        "scheduler": f"{sched}, {os.cpu_count()} workers",
    }


def summarise(runs: list[dict]) -> dict:
    wall = statistics.median(r["wall_s"] for r in runs)
    rss = statistics.median(r["peak_rss_mib"] for r in runs)
    base = statistics.median(r["base_rss_mib"] for r in runs)
    px = runs[0]["pixels"]
    return {
        "repeat": len(runs),
        "wall_s": wall,
        "wall_min": min(r["wall_s"] for r in runs),
        "wall_max": max(r["wall_s"] for r in runs),
        "peak_rss_mib": rss,
        "peak_rss_max": max(r["peak_rss_mib"] for r in runs),
        "base_rss_mib": base,
        "pixels": px,
        "px_per_s": px / wall,
        "gep_cny": runs[0]["gep_cny"],
    }


def render(results: dict, info: dict, check: dict | None, prof: dict | None, args) -> str:
    rows = []
    for name, s in results.items():
        label = "demo (Chun'an, embedded)" if name == "demo" else f"{int(name):,} × {int(name):,}"
        f64 = s["pixels"] * 8 / 2**20
        rows.append(
            f"| {label} | {s['pixels']:,} | {s['repeat']} | {s['wall_s']:.2f} "
            f"({s['wall_min']:.2f}–{s['wall_max']:.2f}) | {s['px_per_s'] / 1e6:.2f} | "
            f"{s['peak_rss_mib']:.0f} | {s['peak_rss_mib'] - s['base_rss_mib']:.0f} | {f64:.1f} |"
        )
    table = "\n".join(
        [
            "| case | pixels | runs | account() wall time, s: median (min–max) | Mpixel/s | peak RSS, MiB "
            "| peak RSS over import baseline, MiB | one float64 raster, MiB |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
            *rows,
        ]
    )
    sizes = [k for k in results if k != "demo"]
    interp = []
    if sizes:
        big, small = results[sizes[-1]], results[sizes[0]]
        f64 = big["pixels"] * 8 / 2**20
        interp.append(
            f"Between the smallest ({int(sizes[0]):,}²) and the largest ({int(sizes[-1]):,}²) raster the pixel "
            f"count grows {big['pixels'] / small['pixels']:.0f}-fold, the wall time "
            f"{big['wall_s'] / small['wall_s']:.1f}-fold and the peak RSS "
            f"{big['peak_rss_mib'] / small['peak_rss_mib']:.2f}-fold "
            f"({small['peak_rss_mib']:.0f} → {big['peak_rss_mib']:.0f} MiB; "
            f"{small['peak_rss_mib'] - small['base_rss_mib']:.0f} → {big['peak_rss_mib'] - big['base_rss_mib']:.0f} MiB "
            "above the import baseline)."
        )
        n_services = 4
        interp.append(
            f"At {int(sizes[-1]):,}², a single float64 array over the grid is {f64:.0f} MiB, and the account "
            f"involves {n_services} service quantities plus the cell area (≥ {(n_services + 1) * f64:,.0f} MiB "
            f"if held in memory at once); the peak RSS growth above the baseline, "
            f"{big['peak_rss_mib'] - big['base_rss_mib']:.0f} MiB, is "
            + (
                "well below one such array, so memory is bounded by the chunk size and the number of "
                "threads, not by the raster size."
                if big["peak_rss_mib"] - big["base_rss_mib"] < f64
                else "not below one such array: memory grows with the raster (see the profile below)."
            )
        )
        if len(sizes) > 1:
            rates = [results[k]["px_per_s"] / 1e6 for k in sizes]
            interp.append(
                "Throughput is "
                + ", ".join(f"{r:.1f}" for r in rates)
                + " Mpixel/s for the sizes above; at the smallest size fixed costs (tables, pint, the "
                "dask graph) weigh more."
            )
    lines = [
        START,
        "## Core account (issue 2)",
        "",
        "Wall time and peak memory of `gepcalc.account()` (the 4 services of profile `mee-2020`: carbon "
        "sequestration, oxygen release, water conservation, climate regulation; the demo's inputs) on the "
        "embedded Chun'an demo and on synthetic county rasters.",
        "",
        "How to run (from the repository root; needs the `bench` extra for psutil, optional):",
        "",
        "```sh",
        "pip install -e '.[bench]'",
        "python benchmarks/run_benchmarks.py --sizes 500 1000 2000 4000 --repeat 3 --out docs/benchmarks.md",
        "python benchmarks/run_benchmarks.py --sizes 4000 --repeat 1 --profile-size 4000   # time the steps",
        "```",
        "",
        "Each N is an N × N pixel, 30 m land-cover GeoTIFF in EPSG:32650 (UTM 50N, upper-left corner "
        f"x = {X0:,.0f}, y = {Y0:,.0f} m, near Chun'an), uint8 IGBP codes as smooth random patches "
        f"(numpy seed {SEED}), tiled 256 × 256 and DEFLATE-compressed, with a GeoPackage of 4 regions "
        "(the quadrants, so region edges cut through chunks). The account uses the file's 256 × 256 "
        "blocks as chunks (`chunks=True`). Each run is a fresh Python process; wall time is that of the "
        "`account()` call alone (generating the raster is not timed); peak RSS is the process's "
        "`ru_maxrss`, including the ~"
        + (f"{statistics.median(s['base_rss_mib'] for s in results.values()):.0f}" if results else "?")
        + " MiB of the imported libraries. Medians over the runs shown.",
        "",
        f"Run of {time.strftime('%Y-%m-%d')}: {info['cpu']}, {info['cpu_count']} CPUs, "
        f"{info['ram_gib']:.1f} GiB RAM, {info['os']}; Python {info['python']}, gepcalc {info['gepcalc']}, "
        f"numpy {info['numpy']}, dask {info['dask']}, xarray {info['xarray']}, rasterio {info['rasterio']} "
        f"(GDAL {info['gdal']}), flox {info['flox']}; dask scheduler: {info['scheduler']}.",
        "",
        table,
        "",
    ]
    if args.shares:
        lines += [
            "Land-cover mix of the synthetic rasters (share of pixels, IGBP code): "
            + ", ".join(f"{c}: {v:.1%}" for c, v in sorted(args.shares.items()))
            + ".",
            "",
        ]
    lines += [" ".join(interp), ""] if interp else []
    if check:
        lines += [
            f"Chunk invariance: on the {check['n']:,}² raster, the total GEP with `chunks=256` and "
            f"`chunks=1024` differs by a relative {check['rel_diff_total']:.1e} "
            f"(largest per-service relative difference {check['rel_diff_services']:.1e}; "
            f"total {check['gep_256']:,.0f} CNY/yr).",
            "",
        ]
    if prof:
        lines += [
            f"Where the time goes ({prof['n']:,}² raster, {prof['chunks']} chunks; each step timed on its own, "
            "so later steps repeat the reading of earlier ones):",
            "",
            "| step | s |",
            "|---|---:|",
            *[f"| {k} | {v:.2f} |" for k, v in prof["steps"].items()],
            "",
        ]
    lines.append(END)
    return "\n".join(lines)


def write_section(out: Path, section: str) -> None:
    text = out.read_text(encoding="utf-8") if out.is_file() else "# Benchmarks\n\n"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        _, tail = rest.split(END, 1)
        text = head + section + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[500, 1000, 2000, 4000], help="raster sides N (pixels)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per case (median reported)")
    ap.add_argument(
        "--repeat-large",
        type=int,
        default=None,
        help="runs for sizes >= --large (default: --repeat)",
    )
    ap.add_argument("--large", type=int, default=4000, help="side from which --repeat-large applies")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md", help="markdown file to update")
    ap.add_argument("--check-size", type=int, default=1000, help="raster side for the chunk-invariance check (0: skip)")
    ap.add_argument("--profile-size", type=int, default=0, help="also time the steps on this raster side (0: skip)")
    ap.add_argument("--no-demo", action="store_true", help="skip the embedded demo")
    ap.add_argument("--workdir", type=Path, default=None, help="where to write the synthetic rasters (default: a temp dir)")
    # internal: one measured run
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--case", help=argparse.SUPPRESS)
    ap.add_argument("--raster", help=argparse.SUPPRESS)
    ap.add_argument("--regions", help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--chunks", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child:
        (profile_child if args.case == "profile" else child)(args)
        return 0

    info = machine_info()
    print(json.dumps(info, indent=1), flush=True)
    results: dict = {}
    t_all = time.perf_counter()
    if not args.no_demo:
        runs = [run_child("--case", "demo") for _ in range(args.repeat)]
        results["demo"] = summarise(runs)
        print(f"demo: {results['demo']}", flush=True)

    sizes = sorted(set(args.sizes))
    need = set(sizes) | ({args.check_size} if args.check_size else set()) | (
        {args.profile_size} if args.profile_size else set()
    )
    check = prof = None
    args.shares = {}
    with tempfile.TemporaryDirectory(prefix="gepcalc-bench-", dir=args.workdir) as tmp:
        files = {}
        for n in sorted(need):
            t = time.perf_counter()
            tif, gpkg, shares = write_inputs(n, Path(tmp))
            files[n] = (tif, gpkg)
            args.shares = args.shares or shares
            print(
                f"N={n}: wrote {tif.name} ({tif.stat().st_size / 2**10:,.0f} KiB) in {time.perf_counter() - t:.1f} s",
                flush=True,
            )
        for n in sizes:
            tif, gpkg = files[n]
            reps = args.repeat_large if (args.repeat_large and n >= args.large) else args.repeat
            runs = []
            for i in range(reps):
                r = run_child("--case", "synthetic", "--raster", str(tif), "--regions", str(gpkg), "--n", str(n))
                runs.append(r)
                print(f"N={n} run {i + 1}/{reps}: {r['wall_s']:.2f} s, {r['peak_rss_mib']:.0f} MiB", flush=True)
            results[str(n)] = summarise(runs)
        if args.check_size:
            n = args.check_size
            tif, gpkg = files[n]
            a = run_child("--case", "synthetic", "--raster", str(tif), "--regions", str(gpkg), "--n", str(n), "--chunks", "256")
            b = run_child("--case", "synthetic", "--raster", str(tif), "--regions", str(gpkg), "--n", str(n), "--chunks", "1024")
            rel = abs(a["gep_cny"] - b["gep_cny"]) / abs(a["gep_cny"])
            rel_s = max(
                abs(a["value_by_service"][s] - b["value_by_service"][s]) / max(abs(a["value_by_service"][s]), 1e-300)
                for s in a["value_by_service"]
            )
            check = {"n": n, "rel_diff_total": rel, "rel_diff_services": rel_s, "gep_256": a["gep_cny"], "gep_1024": b["gep_cny"]}
            print(f"chunk invariance N={n}: chunks=256 {a['gep_cny']!r}, chunks=1024 {b['gep_cny']!r}, max rel diff {rel:.3e} (services {rel_s:.3e})", flush=True)
        if args.profile_size:
            n = args.profile_size
            tif, gpkg = files[n]
            prof = run_child("--case", "profile", "--raster", str(tif), "--regions", str(gpkg), "--n", str(n))
            prof["n"] = n
            print(f"profile N={n}: {json.dumps(prof, indent=1)}", flush=True)

    section = render(results, info, check, prof, args)
    write_section(args.out, section)
    print(section)
    print(f"\nwrote {args.out} (total {time.perf_counter() - t_all:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
