"""Compare gepcalc with InVEST 3.20 (natcap.invest): carbon, annual water yield, SDR (USLE / avoided erosion).

A benchmark run by hand, never in CI.  From the repository root::

    python benchmarks/compare_invest.py setup                       # build .invest-venv (once, ~5-10 min)
    python benchmarks/compare_invest.py inputs --out /tmp/invest-inputs   # willamette + synthetic4000 inputs
    python benchmarks/compare_invest.py invest --inputs /tmp/invest-inputs --workspace /tmp/invest-runs
    python benchmarks/compare_invest.py compare --inputs /tmp/invest-inputs --workspace /tmp/invest-runs --repeat 3
    # rerun only the gepcalc side against earlier InVEST results:
    python benchmarks/compare_invest.py compare --reuse-invest /tmp/invest-runs/invest_results.json

``setup`` makes a separate virtual environment (default ``.invest-venv`` in the repository
root; keep it git-ignored) with natcap.invest 3.20.* built from source against Debian's GDAL.
InVEST is then run in that environment through a small driver script
(``natcap.invest.<model>.execute(args)``), one fresh child process per run, whose wall time
and peak memory (sum of the RSS of the child's process tree, polled with psutil every
0.1 s) are measured here.  Totals are read back from InVEST's own outputs.

The gepcalc side (:func:`run_gepcalc`) runs in this interpreter's environment, also one
fresh subprocess per run.  Carbon is wired in; water yield and RUSLE are left to the main
session (they raise :class:`NotImplementedError`).  Each ``gepcalc_<model>(inputs)`` takes the
inputs manifest (a dict of absolute paths, see ``invest_inputs.py``) and returns a dict of
totals with the keys that :data:`COMPARED` lists for its model (``wyield_m3``; ``usle_t`` and
``avoided_erosion_t``), over the same pixels as InVEST (see ``invest_totals``).

``compare`` writes a markdown table between ``<!-- invest-comparison:start -->`` and
``<!-- invest-comparison:end -->`` of ``docs/benchmarks.md`` (appended at the end when absent;
the rest of the file is kept) and the raw results to ``benchmarks/results/invest_comparison.json``.

The real data are read from ``--data`` (default ``<repo>/../shared/data/willamette``, i.e.
``/work/shared/data/willamette``); inputs InVEST needs that the Willamette data lack are made by
``benchmarks/invest_inputs.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
DEFAULT_VENV = ROOT / ".invest-venv"
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "willamette"
INVEST_SPEC = "natcap.invest==3.20.*"
START = "<!-- invest-comparison:start -->"
END = "<!-- invest-comparison:end -->"
MODELS = ("carbon", "water_yield", "sdr")

sys.path.insert(0, str(HERE))
import invest_inputs  # noqa: E402
from _common import cpu_name, write_section  # noqa: E402

# ============================================================================================
# (a) setup: the InVEST virtual environment
# ============================================================================================


def _say(msg: str) -> None:
    print(f"[setup] {msg}", flush=True)


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    print("  $ " + " ".join(str(c) for c in cmd), flush=True)
    return subprocess.run([str(c) for c in cmd], check=True, **kw)


def venv_python(venv: Path) -> Path:
    return Path(venv) / "bin" / "python"


def invest_version(venv: Path) -> str | None:
    """natcap.invest's version in ``venv``, or None when it does not import."""
    py = venv_python(venv)
    if not py.exists():
        return None
    r = subprocess.run(
        [
            str(py),
            "-c",
            "import natcap.invest, pygeoprocessing; from osgeo import gdal_array; print(natcap.invest.__version__)",
        ],
        capture_output=True,
        text=True,
    )
    return r.stdout.strip() if r.returncode == 0 else None


def _dpkg_installed(pkg: str) -> bool:
    r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True, text=True)
    return r.returncode == 0 and "install ok installed" in r.stdout


def setup(venv: Path = DEFAULT_VENV, python: str = "python3.11", force: bool = False) -> Path:
    """Create ``venv`` with natcap.invest 3.20.* (idempotent: each step is skipped when already done).

    1. Debian packages ``gdal-bin`` and ``libgdal-dev`` (``apt-get install -y``; needs root).
    2. ``python -m venv``.
    3. Build tools pinned for the source builds: ``numpy<2.3``, ``Cython<3.2``, setuptools,
       setuptools_scm, wheel, babel.
    4. GDAL's Python bindings of the system libgdal's version (``gdal-config --version``),
       built against that numpy so that ``osgeo.gdal_array`` exists.
    5. pygeoprocessing and natcap.invest from source with ``--no-build-isolation``.
    """
    venv = Path(venv)
    if not force:
        v = invest_version(venv)
        if v and v.startswith("3.20"):
            _say(f"{venv}: natcap.invest {v} already installed; nothing to do (use --force to rebuild)")
            return venv
    # 1. system GDAL
    missing = [p for p in ("gdal-bin", "libgdal-dev") if not _dpkg_installed(p)]
    if missing:
        _say(f"installing Debian packages {missing}")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        _run(["apt-get", "update"], env=env)
        _run(["apt-get", "install", "-y", "--no-install-recommends", *missing], env=env)
    else:
        _say("gdal-bin and libgdal-dev already installed")
    gdal_version = subprocess.run(
        ["gdal-config", "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    _say(f"system libgdal {gdal_version}")
    # 2. venv
    py = venv_python(venv)
    if not py.exists():
        _say(f"creating virtual environment {venv} with {python}")
        _run([python, "-m", "venv", venv])
    else:
        _say(f"virtual environment {venv} exists")
    pip = [py, "-m", "pip", "install", "--no-input"]
    # the builds call tools of the venv (natcap.invest's build runs ``pybabel``): put its bin/ first on PATH
    benv = {**os.environ, "PATH": f"{venv.resolve() / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}
    # 3. build tools
    _say("build tools (numpy<2.3, Cython<3.2, setuptools, setuptools_scm, wheel, babel)")
    _run(
        [*pip, "-U", "pip", "setuptools>=64", "wheel", "setuptools_scm>=8", "numpy<2.3", "Cython<3.2", "babel"],
        env=benv,
    )
    # 4. GDAL bindings matching libgdal
    r = subprocess.run(
        [str(py), "-c", "from osgeo import gdal, gdal_array; print(gdal.__version__)"], capture_output=True, text=True
    )
    if r.returncode == 0 and r.stdout.strip() == gdal_version:
        _say(f"GDAL Python bindings {gdal_version} already installed")
    else:
        _say(f"GDAL Python bindings =={gdal_version} (source build against numpy)")
        _run(
            [*pip, "--no-build-isolation", "--no-cache-dir", "--force-reinstall", "--no-deps", f"GDAL=={gdal_version}"],
            env=benv,
        )
    # 5. pygeoprocessing, then natcap.invest (its build needs pygeoprocessing's headers)
    _say("pygeoprocessing (source build, --no-build-isolation)")
    pins = ["numpy<2.3", f"GDAL=={gdal_version}"]
    _run([*pip, "--no-build-isolation", "--no-binary", "pygeoprocessing", "pygeoprocessing", *pins], env=benv)
    _say(f"{INVEST_SPEC} (source build, --no-build-isolation)")
    _run([*pip, "--no-build-isolation", "--no-binary", "natcap.invest", INVEST_SPEC, *pins], env=benv)
    v = invest_version(venv)
    if not v:
        raise RuntimeError(f"natcap.invest does not import in {venv}")
    _say(f"done: natcap.invest {v} in {venv}")
    return venv


# ============================================================================================
# (b) InVEST runs: one fresh child process in the InVEST venv per run
# ============================================================================================

#: InVEST module and model parameters per model (fixed for the comparison)
INVEST_MODULE = {
    "carbon": "natcap.invest.carbon",
    "water_yield": "natcap.invest.annual_water_yield",
    "sdr": "natcap.invest.sdr",
}
SDR_PARAMS = {
    "threshold_flow_accumulation": 1000,
    "k_param": 2,
    "sdr_max": 0.8,
    "ic_0_param": 0.5,
    "l_max": 122,  # InVEST's sample-data value; the brief fixes no value and the model requires one
    "flow_dir_algorithm": "MFD",  # InVEST's default in its UI and sample data
}
AWY_PARAMS = {"seasonality_constant": 5}

DRIVER = textwrap.dedent(
    '''
    """Run one InVEST model: python driver.py ARGS_JSON RESULT_JSON (written by compare_invest.py)."""
    import importlib, json, logging, resource, sys, time

    spec = json.load(open(sys.argv[1]))
    logging.basicConfig(
        filename=spec["log"], level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )
    t0 = time.perf_counter()
    module = importlib.import_module(spec["module"])
    import natcap.invest
    t1 = time.perf_counter()
    module.execute(spec["args"])
    t2 = time.perf_counter()
    json.dump(
        {
            "import_s": t1 - t0,
            "call_s": t2 - t1,
            "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "children_maxrss_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
            "invest_version": natcap.invest.__version__,
        },
        open(sys.argv[2], "w"),
    )
    '''
)


def measure(cmd: list[str], *, log: Path | None = None, env: dict | None = None, poll_s: float = 0.1) -> dict:
    """Run ``cmd``; wall time and peak RSS of its whole process tree (psutil, polled every ``poll_s``)."""
    import psutil

    out = open(log, "ab") if log else subprocess.DEVNULL
    t0 = time.perf_counter()
    proc = subprocess.Popen([str(c) for c in cmd], stdout=out, stderr=subprocess.STDOUT, env=env)
    peak = 0
    stop = threading.Event()

    def poll():
        nonlocal peak
        try:
            root = psutil.Process(proc.pid)
        except psutil.NoSuchProcess:
            return
        while not stop.is_set():
            try:
                procs = [root, *root.children(recursive=True)]
                rss = 0
                for p in procs:
                    try:
                        rss += p.memory_info().rss
                    except psutil.Error:
                        pass
                peak = max(peak, rss)
            except psutil.Error:
                pass
            stop.wait(poll_s)

    th = threading.Thread(target=poll, daemon=True)
    th.start()
    rc = proc.wait()
    wall = time.perf_counter() - t0
    stop.set()
    th.join()
    if log:
        out.close()
    return {"returncode": rc, "process_wall_s": wall, "tree_peak_rss_mib": peak / 2**20}


def invest_args(model: str, inputs: dict, workspace: Path) -> dict:
    """The explicit ``args`` of ``natcap.invest.<model>.execute`` for a manifest of inputs."""
    common = {"workspace_dir": str(workspace), "results_suffix": "", "n_workers": -1}
    if model == "carbon":
        return {
            **common,
            "lulc_bas_path": inputs["lulc_cur"],
            "calc_sequestration": True,
            "lulc_alt_path": inputs["lulc_fut"],
            "carbon_pools_path": inputs["carbon_pools"],
            "do_valuation": False,
        }
    if model == "water_yield":
        return {
            **common,
            "lulc_path": inputs["landuse"],
            "depth_to_root_rest_layer_path": inputs["depth_to_root"],
            "precipitation_path": inputs["precip"],
            "pawc_path": inputs["pawc"],
            "eto_path": inputs["et0"],
            "watersheds_path": inputs["watersheds"],
            "sub_watersheds_path": "",
            "biophysical_table_path": inputs["biophysical_awy"],
            "demand_table_path": "",
            "valuation_table_path": "",
            **AWY_PARAMS,
        }
    if model == "sdr":
        return {
            **common,
            "dem_path": inputs["dem"],
            "erosivity_path": inputs["erosivity"],
            "erodibility_path": inputs["erodibility"],
            "lulc_path": inputs["landuse"],
            "watersheds_path": inputs["watersheds"],
            "biophysical_table_path": inputs["biophysical_sdr"],
            "drainage_path": "",
            **SDR_PARAMS,
        }
    raise ValueError(f"unknown model {model!r}")


def _raster_sum(path: Path) -> tuple[float, int]:
    """Sum (float64) and count of the valid pixels of a raster, block by block."""
    import numpy as np
    import rasterio

    total, count = 0.0, 0
    with rasterio.open(path) as src:
        nd = src.nodata
        for _, win in src.block_windows(1):
            a = src.read(1, window=win)
            m = np.isfinite(a) if nd is None else (a != nd) & np.isfinite(a)
            total += float(a[m].sum(dtype="float64"))
            count += int(m.sum())
    return total, count


def _sum_in_polygons(raster: Path, vector: Path) -> tuple[float, int]:
    """Σ (float64) and count of the valid pixels whose centre is in each polygon, added over the polygons."""
    import geopandas as gpd
    import numpy as np
    import rasterio
    from rasterio.features import geometry_mask

    polys = gpd.read_file(vector)
    total, count = 0.0, 0
    with rasterio.open(raster) as src:
        a = src.read(1)
        valid = np.isfinite(a) if src.nodata is None else (a != src.nodata) & np.isfinite(a)
        polys = polys.to_crs(src.crs) if polys.crs and src.crs and polys.crs != src.crs else polys
        for geom in polys.geometry:
            inside = ~geometry_mask([geom], out_shape=a.shape, transform=src.transform, all_touched=False)
            m = inside & valid
            total += float(a[m].sum(dtype="float64"))
            count += int(m.sum())
    return total, count


def _pixel_area_m2(path: Path) -> float:
    import rasterio

    with rasterio.open(path) as src:
        return abs(src.transform.a * src.transform.e)


def invest_totals(model: str, workspace: Path) -> dict:
    """Totals read back from InVEST's outputs in ``workspace`` (t, m³)."""
    import pandas as pd

    ws = Path(workspace)
    if model == "carbon":
        t = pd.read_csv(ws / "raster_values_summary.csv")
        by_file = dict(zip(t["Filename"], t["Total"], strict=False))
        out = {
            "c_storage_bas_t": float(by_file["c_storage_bas.tif"]),
            "c_storage_alt_t": float(by_file["c_storage_alt.tif"]),
            "c_change_t": float(by_file["c_change_bas_alt.tif"]),
        }
        s, n = _raster_sum(ws / "c_storage_bas.tif")
        out["check_c_storage_bas_raster_t"] = s * _pixel_area_m2(ws / "c_storage_bas.tif") / 1e4
        out["pixels"] = n
        return out
    if model == "water_yield":
        import pickle

        wy = ws / "output" / "per_pixel" / "wyield.tif"
        area = _pixel_area_m2(wy)
        with open(ws / "intermediate" / "_tmp_zonal_stats" / "ws_id_wyield_mn.pickle", "rb") as f:
            stats = pickle.load(f)
        zsum = sum(float(v["sum"]) for v in stats.values() if v["count"])
        zcount = sum(int(v["count"]) for v in stats.values())
        t = pd.read_csv(ws / "output" / "watershed_results_wyield.csv")
        s64, n64 = _sum_in_polygons(wy, ws / "output" / "watershed_results_wyield.shp")
        out = {
            # Σ over the pixels whose centre lies in a watershed (each polygon on its own, as InVEST's
            # zonal statistics do) of wyield [mm] × pixel area / 1000, summed in float64
            "wyield_m3": s64 * area / 1000.0,
            # the same from InVEST's zonal-statistics pickle (its float32 block sums)
            "wyield_zonal_m3": zsum * area / 1000.0,
            # InVEST's own field: mean wyield [mm] × polygon area / 1000, summed over the watersheds
            "wyield_vol_field_m3": float(t["wyield_vol"].sum()),
            "pixels_in_watersheds": n64,
            "pixels_in_watersheds_zonal": zcount,
        }
        s, n = _raster_sum(wy)
        out["wyield_raster_m3"] = s * area / 1000.0  # whole raster (AWY does not mask to the watersheds)
        out["pixels"] = n
        return out
    if model == "sdr":
        import geopandas as gpd

        area_ha = _pixel_area_m2(ws / "usle.tif") / 1e4
        out = {}
        for key, name in (("usle_t", "usle.tif"), ("avoided_erosion_t", "avoided_erosion.tif"), ("rkls_t", "rkls.tif")):
            s, n = _raster_sum(ws / name)
            out[key] = s * area_ha
        out["pixels"] = n
        t = gpd.read_file(ws / "watershed_results_sdr.shp")
        out["usle_tot_field_t"] = float(t["usle_tot"].sum())
        out["avoid_eros_field_t"] = float(t["avoid_eros"].sum())
        out["sed_export_field_t"] = float(t["sed_export"].sum())
        return out
    raise ValueError(model)


def run_invest(model: str, inputs: dict, workspace: Path, venv: Path = DEFAULT_VENV, keep: bool = True) -> dict:
    """Run ``natcap.invest.<model>.execute`` once in a fresh child process of ``venv`` in ``workspace``.

    The workspace is emptied first (InVEST's taskgraph would otherwise skip finished tasks).
    Returns wall times (whole process; ``execute()`` alone), peak memory (polled RSS of the
    process tree; the child's own ``ru_maxrss``) and the totals read back from the outputs.
    """
    workspace = Path(workspace)
    if workspace.exists():
        shutil.rmtree(workspace)
    workspace.mkdir(parents=True)
    ctl = workspace.parent / f"{workspace.name}.ctl"
    ctl.mkdir(exist_ok=True)
    driver = ctl / "driver.py"
    driver.write_text(DRIVER)
    args = invest_args(model, inputs, workspace)
    spec = {"module": INVEST_MODULE[model], "args": args, "log": str(ctl / "invest.log")}
    (ctl / "args.json").write_text(json.dumps(spec, indent=2))
    result_json = ctl / "result.json"
    result_json.unlink(missing_ok=True)
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PATH": f"{Path(venv) / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    m = measure([venv_python(venv), driver, ctl / "args.json", result_json], log=ctl / "stdout.log", env=env)
    if m["returncode"] != 0 or not result_json.exists():
        tail = (ctl / "stdout.log").read_text(errors="replace")[-3000:]
        raise RuntimeError(f"InVEST {model} failed (rc {m['returncode']}); see {ctl}:\n{tail}")
    child = json.loads(result_json.read_text())
    res = {
        "model": model,
        "side": "invest",
        "call_s": child["call_s"],
        "import_s": child["import_s"],
        "process_wall_s": m["process_wall_s"],
        "tree_peak_rss_mib": m["tree_peak_rss_mib"],
        "maxrss_mib": child["maxrss_mib"],
        "peak_rss_mib": max(m["tree_peak_rss_mib"], child["maxrss_mib"], child["children_maxrss_mib"]),
        "version": child["invest_version"],
        "workspace": str(workspace),
        "totals": invest_totals(model, workspace),
    }
    if not keep:
        shutil.rmtree(workspace)
    return res


# ============================================================================================
# (c) gepcalc side: one fresh child process (this interpreter) per run
# ============================================================================================


def gepcalc_carbon(inputs: dict) -> dict:
    """Carbon stock now / future and change [t C] with :func:`gepcalc.carbon.carbon_stock`."""
    from gepcalc.carbon import carbon_stock

    pools = inputs["carbon_pools"]
    bas = float(carbon_stock(inputs["lulc_cur"], pools, region_name="landscape").sum())
    alt = float(carbon_stock(inputs["lulc_fut"], pools, region_name="landscape").sum())
    return {"c_storage_bas_t": bas, "c_storage_alt_t": alt, "c_change_t": alt - bas}


#: units of the generated rasters, spelled for gepcalc's registry (the manifest's are for people)
UNITS = {
    "precip": "mm/yr",
    "et0": "mm/yr",
    "depth_to_root": "mm",
    "pawc": "dimensionless",
    "erosivity": "MJ * mm / ha / hr / yr",
    "erodibility": "t * ha * hr / ha / MJ / mm",
}


def _landcover_table(csv: str, columns: dict[str, tuple[str, str]], folder: Path):
    """A gepcalc coefficient table indexed by land-use code from an InVEST biophysical CSV.

    ``columns`` maps gepcalc parameter name → (InVEST column or a constant, unit).
    """
    import pandas as pd

    from gepcalc.tables import load_table

    bio = pd.read_csv(csv)
    out = pd.DataFrame({"lucode": bio["lucode"].astype(int)})
    for name, (col, _) in columns.items():
        out[name] = bio[col] if col in bio.columns else float(col)
    out["source"] = "invest"
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / "invest_biophysical"
    out.to_csv(stem.with_suffix(".csv"), index=False)
    cols = "".join(f'\n[columns.{n}]\nunit = "{u}"\n' for n, (_, u) in columns.items())
    stem.with_suffix(".toml").write_text(
        'name = "invest_biophysical"\ntitle = "InVEST biophysical table of the benchmark"\n'
        'index = "lucode"\nindex_kind = "landcover"\n'
        + cols
        + f'\n[sources.invest]\ndocument = "benchmark input {csv}"\nyear = 2025\nstatus = "user"\n'
    )
    return load_table(stem.with_suffix(".csv"))


def _account(inputs: dict, service: str, method: str | None, params: dict, table, masked_dem: bool = False):
    """One gepcalc account of one service on the benchmark grid, regions = InVEST's watersheds."""
    import gepcalc

    given = {
        k: {"raster": inputs[v], "unit": UNITS[v]} if isinstance(v, str) and v in inputs else v
        for k, v in params.items()
    }
    given.update({name: table for name in table.columns if name not in ("source", "note")})
    if masked_dem:  # route only inside the watersheds, as InVEST masks the DEM to them
        given["dem"] = _dem_in_watersheds(inputs)
    acct = gepcalc.account(
        inputs["landuse"],
        inputs["watersheds"],
        region_field=inputs.get("watersheds_field", "ws_id"),
        landcover_classes=False,  # InVEST's parameters come per land-use code, not per ecosystem type
        services=[service],
        methods={service: method} if method else None,
        inputs=given,
    )
    return float(acct.data["quantity"].sum())


def _dem_in_watersheds(inputs: dict):
    """The DEM as a DataArray [m], NaN outside the watersheds (pixel centres), like InVEST's masked DEM."""
    import geopandas as gpd

    from gepcalc.grid import rasterize_regions
    from gepcalc.io import open_raster, read_regions

    dem = open_raster(inputs["dem"], name="DEM")
    regions = read_regions(gpd.read_file(inputs["watersheds"]), field=inputs.get("watersheds_field", "ws_id"))
    inside = rasterize_regions(regions, dem) > 0
    nodata = dem.attrs.get("nodata")
    out = dem.astype("float64").where(inside & (dem != nodata))
    out.attrs.update(dem.attrs, units="m")
    return out.rio.write_nodata(float("nan"))


def gepcalc_water_yield(inputs: dict) -> dict:
    """Annual water yield [m³/yr] over the watersheds: gepcalc's ``water_conservation`` method ``budyko``."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        table = _landcover_table(
            inputs["biophysical_awy"],
            {
                "crop_coefficient": ("Kc", "dimensionless"),
                "root_depth": ("root_depth", "mm"),
                "vegetated": ("LULC_veg", "dimensionless"),
                "included": ("1", "dimensionless"),
            },
            Path(tmp),
        )
        params = {
            "precipitation": "precip",
            "reference_et": "et0",
            "restricting_depth": "depth_to_root",
            "pawc": "pawc",
            "seasonality": str(AWY_PARAMS["seasonality_constant"]),
        }
        return {"wyield_m3": _account(inputs, "water_conservation", "budyko", params, table)}


def gepcalc_sdr(inputs: dict) -> dict:
    """Avoided erosion R·K·LS·(1 − C·P) [t/yr]: gepcalc's ``soil_retention`` (RUSLE, InVEST's LS)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        table = _landcover_table(
            inputs["biophysical_sdr"],
            {
                "cover_factor": ("usle_c", "dimensionless"),
                "practice_factor": ("usle_p", "dimensionless"),
                "included": ("1", "dimensionless"),
            },
            Path(tmp),
        )
        params = {
            "erosivity": "erosivity",
            "erodibility": "erodibility",
            "l_max": f"{SDR_PARAMS['l_max']}",
            # only the quantity is compared; the value rule still needs these (no national default since
            # issue 11): the Garze 2010 account's bulk density and dredging cost (prices table, constants)
            "soil_bulk_density": "0.93 t/m**3",
            "dredging_cost": "15.58 CNY/m**3",
        }
        return {"avoided_erosion_t": _account(inputs, "soil_retention", None, params, table, masked_dem=True)}


GEPCALC = {"carbon": gepcalc_carbon, "water_yield": gepcalc_water_yield, "sdr": gepcalc_sdr}

#: totals compared per model: (key, label, unit)
COMPARED = {
    "carbon": [
        ("c_storage_bas_t", "carbon stock, current", "t C"),
        ("c_storage_alt_t", "carbon stock, future", "t C"),
        ("c_change_t", "carbon stock change", "t C"),
    ],
    "water_yield": [("wyield_m3", "water yield over the watersheds", "m³/yr")],
    "sdr": [("usle_t", "USLE soil loss (usle.tif)", "t/yr"), ("avoided_erosion_t", "avoided erosion", "t/yr")],
}


def _gepcalc_child(model: str, manifest: str, out_json: str) -> int:
    """Entry point of the gepcalc child process: call, time, report ``ru_maxrss``."""
    import resource

    inputs = json.loads(Path(manifest).read_text())
    t0 = time.perf_counter()
    import gepcalc

    # ``import gepcalc`` is lazy: import the modules an account runs on here, so that, as for InVEST
    # (whose driver imports ``natcap.invest.<model>`` before timing ``execute``), the call is timed
    # without its imports
    import gepcalc.account
    import gepcalc.tables

    try:  # dask's first compute imports distributed, to look for an active client (0.18 s): an import too
        import distributed  # noqa: F401
    except ImportError:  # pragma: no cover - distributed is optional
        pass
    # the service plug-ins (gepcalc's counterpart of natcap.invest.<model>; entry points, 0.08 s) and
    # geopandas' vector reader, which it imports at its first read (InVEST's model imports osgeo.ogr)
    import pyogrio  # noqa: F401

    import gepcalc.services

    gepcalc.services.available()

    t1 = time.perf_counter()
    try:
        totals = GEPCALC[model](inputs)
        err = None
    except NotImplementedError as e:
        totals, err = None, f"NotImplementedError: {e}"
    t2 = time.perf_counter()
    Path(out_json).write_text(
        json.dumps(
            {
                "import_s": t1 - t0,
                "call_s": t2 - t1,
                "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "totals": totals,
                "error": err,
                "version": gepcalc.__version__,
            }
        )
    )
    return 0


def run_gepcalc(model: str, inputs: dict | str | Path, *, log: Path | None = None) -> dict:
    """Run the gepcalc side of ``model`` once in a fresh child process; like :func:`run_invest`.

    ``inputs`` is a manifest (dict) or the folder / path of its ``manifest.json``.  A model not
    wired in yet gives ``{"error": "NotImplementedError: ..."}`` and no totals.
    """
    if isinstance(inputs, dict):
        tmpdir = Path(tempfile.mkdtemp(prefix="gepcalc-cmp-"))
        manifest = tmpdir / "manifest.json"
        manifest.write_text(json.dumps(inputs))
    else:
        tmpdir = None
        manifest = Path(inputs)
        if manifest.is_dir():
            manifest = manifest / "manifest.json"
    if log:
        Path(log).parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gepcalc-cmp-") as td:
        out_json = Path(td) / "result.json"
        m = measure([sys.executable, Path(__file__).resolve(), "_gepcalc-child", model, manifest, out_json], log=log)
        if m["returncode"] != 0 or not out_json.exists():
            raise RuntimeError(f"gepcalc {model} failed (rc {m['returncode']}); see {log}")
        child = json.loads(out_json.read_text())
    if tmpdir:
        shutil.rmtree(tmpdir)
    return {
        "model": model,
        "side": "gepcalc",
        "call_s": child["call_s"],
        "import_s": child["import_s"],
        "process_wall_s": m["process_wall_s"],
        "tree_peak_rss_mib": m["tree_peak_rss_mib"],
        "maxrss_mib": child["maxrss_mib"],
        "peak_rss_mib": max(m["tree_peak_rss_mib"], child["maxrss_mib"]),
        "version": child["version"],
        "totals": child["totals"],
        "error": child["error"],
    }


# ============================================================================================
# (d) inputs, runs, report
# ============================================================================================


def ensure_inputs(inputs_root: Path, size: int, data: Path) -> dict[str, dict]:
    """Manifests of the two datasets (``willamette``, ``synthetic{size}``), generating what is missing."""
    out = {}
    for name, make in (
        ("willamette", lambda d: invest_inputs.make_willamette(d, data)),
        (f"synthetic{size}", lambda d: invest_inputs.make_synthetic(d, size, data)),
    ):
        d = Path(inputs_root) / name
        if not (d / "manifest.json").exists():
            print(f"[inputs] generating {d}", flush=True)
            make(d)
        out[name] = invest_inputs.load_manifest(d)
    return out


def _summary(runs: list[dict]) -> dict:
    ok = [r for r in runs if not r.get("error")]
    if not ok:
        return {"n": 0, "error": runs[0].get("error") if runs else "no run"}

    def med(k):
        return statistics.median(r[k] for r in ok)

    return {
        "n": len(ok),
        "call_s_median": med("call_s"),
        "call_s_min": min(r["call_s"] for r in ok),
        "call_s_max": max(r["call_s"] for r in ok),
        "process_wall_s_median": med("process_wall_s"),
        "peak_rss_mib_median": med("peak_rss_mib"),
        "peak_rss_mib_max": max(r["peak_rss_mib"] for r in ok),
        "totals": ok[-1]["totals"],
    }


def run_side(side: str, datasets: dict, models, repeat: dict, workspace: Path, venv: Path) -> dict:
    """``{dataset: {model: {"runs": [...], "summary": {...}}}}`` for one side."""
    res: dict = {}
    for name, man in datasets.items():
        for model in models:
            runs = []
            for i in range(repeat[name]):
                print(f"[{side}] {name} {model} run {i + 1}/{repeat[name]} ...", flush=True)
                if side == "invest":
                    r = run_invest(model, man, Path(workspace) / name / model / f"run{i + 1}", venv)
                else:
                    r = run_gepcalc(model, man, log=Path(workspace) / name / f"gepcalc_{model}.log")
                runs.append(r)
                if r.get("error"):
                    print(f"    {r['error']}", flush=True)
                    break
                tot = {k: v for k, v in r["totals"].items() if not k.startswith("pixels")}
                print(
                    f"    {r['call_s']:.1f} s (process {r['process_wall_s']:.1f} s), {r['peak_rss_mib']:.0f} MiB, {tot}"
                )
            res.setdefault(name, {})[model] = {"runs": runs, "summary": _summary(runs)}
    return res


def machine() -> dict:
    import numpy

    try:
        import psutil

        mem = f"{psutil.virtual_memory().total / 2**30:.1f} GiB RAM"
    except ImportError:
        mem = ""
    cpu = cpu_name()
    return {
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "memory": mem,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "numpy": numpy.__version__,
    }


def _fmt(x: float | None, rel: bool = False) -> str:
    if x is None:
        return "–"
    if rel:
        return f"{x:+.2e}"
    if abs(x) >= 1e4:
        return f"{x:,.0f}"
    return f"{x:.4g}"


def _mib(x: float | None) -> str:
    return "–" if x is None else f"{x:,.0f}"


def _secs(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f}" if x < 10 else f"{x:.1f}"


def markdown(results: dict, cmdline: str) -> str:
    """The report between the markers."""
    meta = results["meta"]
    inv, gep = results["invest"], results.get("gepcalc", {})
    lines = [
        "## gepcalc vs InVEST 3.20",
        "",
        "Totals, wall time and peak memory of gepcalc and InVEST "
        f"{meta.get('invest_version', '3.20')} (natcap.invest) for carbon storage (InVEST `carbon`), annual water "
        "yield (`annual_water_yield`) and SDR's USLE soil loss and avoided erosion (`sdr`). Generated by "
        "`benchmarks/compare_invest.py`; do not edit between the markers by hand.",
        "",
        "```sh",
        "python benchmarks/compare_invest.py setup          # once: .invest-venv with natcap.invest 3.20 (~10 min)",
        cmdline,
        "```",
        "",
        "* **willamette**: InVEST's Willamette sample data (`shared/data/willamette`): carbon on "
        "`lulc_current.tif` / `lulc_future.tif` (1325 × 1889) with `carbon_pools.csv`; water yield and SDR on "
        "`dem.tif` / `landuse_90.tif` (1081 × 1669, 30 m) with `watersheds.gpkg` and climate / soil rasters "
        "made by `benchmarks/invest_inputs.py` (deterministic smooth fields, see its docstring).",
        f"* **{meta['synthetic']}**: a synthetic {meta['size']:,} × {meta['size']:,} pixel, 30 m landscape in "
        "EPSG:26910 from `benchmarks/invest_inputs.py --size` (fractal terrain, landuse_90 codes in patches, "
        "one watershed covering the grid).",
        f"* Parameters: SDR threshold_flow_accumulation {SDR_PARAMS['threshold_flow_accumulation']}, "
        f"k {SDR_PARAMS['k_param']}, sdr_max {SDR_PARAMS['sdr_max']}, IC0 {SDR_PARAMS['ic_0_param']}, "
        f"l_max {SDR_PARAMS['l_max']}, {SDR_PARAMS['flow_dir_algorithm']} flow directions; water yield Z = "
        f"{AWY_PARAMS['seasonality_constant']}. InVEST runs single-process (`n_workers=-1`).",
        "* Each run is a fresh process. *wall s* is the model call alone (`execute(args)` / the gepcalc "
        "function), without interpreter start and imports; the median over the runs is shown. *peak MiB* "
        "is the largest resident set size of the run's process tree (psutil, polled every 0.1 s, and the "
        "process's own `ru_maxrss`), imports included. Relative difference = (gepcalc − InVEST) / InVEST.",
        f"* Machine: {meta['machine']['cpu']}, {meta['machine']['cpus']} CPUs, {meta['machine']['memory']}, "
        f"{meta['machine']['os']}; Python {meta['machine']['python']}. Run on {meta['date']}"
        + (
            f"; InVEST side taken from `{meta['invest_from']['file']}` (run {meta['invest_from']['date']})."
            if meta.get("invest_from")
            else "."
        ),
        "",
        "| dataset | model | quantity | InVEST | gepcalc | rel. diff | runs (InVEST / gepcalc) "
        "| InVEST wall s | gepcalc wall s | InVEST / gepcalc | InVEST peak MiB | gepcalc peak MiB |",
        "|---|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for ds in inv:
        for model in inv[ds]:
            si = inv[ds][model]["summary"]
            sg = gep.get(ds, {}).get(model, {}).get("summary", {"n": 0, "error": "not run"})
            for key, label, unit in COMPARED[model]:
                vi = si.get("totals", {}).get(key) if si.get("n") else None
                vg = (sg.get("totals") or {}).get(key) if sg.get("n") else None
                rel = (vg - vi) / vi if (vi not in (None, 0) and vg is not None) else None
                ratio = si["call_s_median"] / sg["call_s_median"] if si.get("n") and sg.get("n") else None
                if sg.get("n"):
                    g_cell = _fmt(vg)
                else:
                    g_cell = "not wired in" if "NotImplemented" in str(sg.get("error")) else "–"
                lines.append(
                    f"| {ds} | {model} | {label} [{unit}] | {_fmt(vi)} | "
                    f"{g_cell}"
                    f" | {_fmt(rel, rel=True)} | {si.get('n', 0)} / {sg.get('n', 0)} "
                    f"| {_secs(si.get('call_s_median'))} | {_secs(sg.get('call_s_median'))} "
                    f"| {'–' if ratio is None else f'{ratio:.1f}×'} "
                    f"| {_mib(si.get('peak_rss_mib_max'))} | {_mib(sg.get('peak_rss_mib_max'))} |"
                )
    lines += [
        "",
        "InVEST totals are read from its outputs: carbon from `raster_values_summary.csv` (Σ c_storage × pixel "
        "area); water yield as Σ of `wyield.tif` [mm] over the pixels inside the watersheds (InVEST's own zonal "
        "statistics' pixel-centre rule, summed in float64) × pixel area / 1000 (InVEST's `wyield_vol` field is "
        "mean × polygon area instead); SDR as Σ "
        "`usle.tif` and `avoided_erosion.tif` [t/ha] × pixel area in ha (equal to Σ `usle_tot` / `avoid_eros` "
        "of `watershed_results_sdr.shp`; stream pixels are nodata in both).",
    ]
    return "\n".join(lines)


def _meta(size: int, repeat: dict) -> dict:
    return {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "size": size,
        "synthetic": f"synthetic{size}",
        "repeat": repeat,
        "machine": machine(),
        "sdr_params": SDR_PARAMS,
        "awy_params": AWY_PARAMS,
    }


# ============================================================================================
# main
# ============================================================================================


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("setup", help="create the InVEST virtual environment")
    s.add_argument("--venv", type=Path, default=DEFAULT_VENV)
    s.add_argument("--python", default="python3.11")
    s.add_argument("--force", action="store_true")

    def common(p):
        p.add_argument("--inputs", type=Path, default=Path("/tmp/invest-inputs"), help="inputs root (%(default)s)")
        p.add_argument("--workspace", type=Path, default=Path("/tmp/invest-runs"), help="run workspaces (%(default)s)")
        p.add_argument("--data", type=Path, default=DEFAULT_DATA, help="Willamette data (%(default)s)")
        p.add_argument("--size", type=int, default=4000, help="synthetic grid size N (%(default)s)")
        p.add_argument("--venv", type=Path, default=DEFAULT_VENV)
        p.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
        p.add_argument(
            "--datasets", nargs="+", choices=("willamette", "synthetic"), default=["willamette", "synthetic"]
        )
        p.add_argument("--repeat", type=int, default=3, help="runs per model on willamette (%(default)s)")
        p.add_argument("--repeat-large", type=int, default=None, help="runs on the synthetic grid (default: --repeat)")

    i = sub.add_parser("inputs", help="generate the willamette and synthetic inputs")
    i.add_argument("--out", type=Path, default=Path("/tmp/invest-inputs"))
    i.add_argument("--data", type=Path, default=DEFAULT_DATA)
    i.add_argument("--size", type=int, default=4000)
    r = sub.add_parser("invest", help="run the InVEST side only; write its results JSON")
    common(r)
    r.add_argument("--out", type=Path, default=Path("/tmp/invest-runs/invest_results.json"))
    c = sub.add_parser("compare", help="run both sides, write docs/benchmarks.md and benchmarks/results/*.json")
    common(c)
    c.add_argument("--reuse-invest", type=Path, default=None, help="take the InVEST side from this results JSON")
    c.add_argument("--md", type=Path, default=ROOT / "docs" / "benchmarks.md")
    c.add_argument("--json", type=Path, default=HERE / "results" / "invest_comparison.json")
    g = sub.add_parser("_gepcalc-child", help=argparse.SUPPRESS)
    g.add_argument("model")
    g.add_argument("manifest")
    g.add_argument("out_json")
    a = ap.parse_args(argv)

    if a.cmd == "setup":
        setup(a.venv, a.python, a.force)
        return 0
    if a.cmd == "_gepcalc-child":
        return _gepcalc_child(a.model, a.manifest, a.out_json)
    if a.cmd == "inputs":
        ensure_inputs(a.out, a.size, a.data)
        return 0

    datasets = ensure_inputs(a.inputs, a.size, a.data)
    syn = f"synthetic{a.size}"
    datasets = {k: v for k, v in datasets.items() if ("synthetic" if k == syn else k) in a.datasets}
    repeat = {"willamette": a.repeat, syn: a.repeat_large or a.repeat}
    cmdline = "python benchmarks/compare_invest.py " + " ".join(argv if argv is not None else sys.argv[1:])
    results = {"meta": {**_meta(a.size, repeat), "command": cmdline}}

    if a.cmd == "invest" or not getattr(a, "reuse_invest", None):
        if not invest_version(a.venv):
            print(f"natcap.invest does not import in {a.venv}: run `compare_invest.py setup` first", file=sys.stderr)
            return 2
        results["meta"]["invest_version"] = invest_version(a.venv)
        results["invest"] = run_side("invest", datasets, a.models, repeat, a.workspace, a.venv)
    else:
        old = json.loads(a.reuse_invest.read_text())
        results["invest"] = old["invest"]
        results["meta"]["invest_version"] = old["meta"].get("invest_version")
        results["meta"]["invest_from"] = {"file": str(a.reuse_invest), "date": old["meta"].get("date")}
    if a.cmd == "invest":
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text(json.dumps(results, indent=2))
        print(f"wrote {a.out}")
        return 0

    results["gepcalc"] = run_side("gepcalc", datasets, a.models, repeat, a.workspace, a.venv)
    a.json.parent.mkdir(parents=True, exist_ok=True)
    a.json.write_text(json.dumps(results, indent=2))
    write_section(a.md, f"{START}\n{markdown(results, cmdline)}\n{END}", START, END)
    print(f"wrote {a.json} and the section of {a.md}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
