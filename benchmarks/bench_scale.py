"""Scaling of an account with the raster's size: bounded bands and tiled routing (issue 18).

A benchmark run by hand, never in CI. From the repository root (on a shared machine, ``nice``)::

    nice -n 19 python benchmarks/bench_scale.py --sizes 4000 8000 --out docs/benchmarks.md

Inputs are the synthetic landscapes of ``bench_regulating.py`` (same generator, same cache). Each
case runs in a fresh child process pinned to ``--cores`` CPUs; wall time and peak RSS (``VmHWM``)
are measured in the child:

* ``all``: all twelve regulating services (``bench_regulating``'s "all 12" account), as configured
  (``terrain.TILE``: the out-of-core tiled routing for DEMs over 1024 cells a side, by default);
* ``all-whole``: the same with the whole-grid routing kernels (``terrain.TILE = None``);
* ``no-routing``: the eleven services without soil retention, water conservation by the Budyko
  method (no flow routing at all): what grows with the raster outside the routing;
* ``routing-tiled``: ``terrain.routed(dem, "ls")`` summed, tiled routing (``tiles.DEFAULT_TILE``);
* ``routing-whole``: the same with the whole-grid kernels (``terrain.TILE = None``);
* ``routing-cluster``: the tiled routing on a ``distributed.LocalCluster`` of ``--cores`` worker
  processes of one thread, its tiles spread over them (their peak RSS is reported too).

With ``--baseline-src DIR`` every case also runs with the gepcalc source tree in ``DIR`` (labelled
"before"), in the same session, so that both sides see the same machine load.

The table goes between ``<!-- bench-scale:start -->`` and ``<!-- bench-scale:end -->`` of ``--out``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import cpu_name, peak_rss_mib, write_section  # noqa: E402

START = "<!-- bench-scale:start -->"
END = "<!-- bench-scale:end -->"
CASES = ("routing-whole", "routing-tiled", "routing-cluster", "all", "all-whole", "no-routing")


def child(args) -> None:
    import bench_regulating as br

    br._pin(args.cores)
    import warnings

    import dask

    import gepcalc
    from gepcalc import terrain

    warnings.filterwarnings("ignore", message="Dataset has no geotransform")
    man = json.loads(Path(args.manifest).read_text())
    dask.config.set(scheduler="threads", num_workers=args.cores)
    out = {"case": args.case, "n": man["n"], "base_rss_mib": peak_rss_mib()}
    t = time.perf_counter()
    if args.case == "routing-cluster":
        out.update(_routing_on_cluster(man, args.cores))
    elif args.case.startswith("routing"):
        from gepcalc import tiles
        from gepcalc.io import open_raster, raster_from_input

        terrain.TILE = None if args.case == "routing-whole" else tiles.DEFAULT_TILE
        lc = open_raster(man["landcover"], name="land cover")
        dem = raster_from_input(man["rasters"]["dem"], name="dem", like=lc)
        out["ls_sum"] = float(terrain.routed(dem, "ls").sum().compute())
    else:
        if args.case == "all-whole":
            terrain.TILE = None
        acct = gepcalc.account(
            man["landcover"],
            man["regions"],
            region_field="name",
            inputs=br.inputs_from(man),
            services=list(br.CASES["no_terrain" if args.case == "no-routing" else "all"]),
            methods={"water_conservation": "budyko"},
            year=2020,
            price_year=2020,
        )
        out["gep_yi"] = float(acct.gep("亿元").magnitude)
    out.update(wall_s=time.perf_counter() - t, peak_rss_mib=peak_rss_mib())
    print("RESULT " + json.dumps(out))


def _routing_on_cluster(man: dict, cores: int) -> dict:
    """LS summed on a LocalCluster of ``cores`` one-thread workers, the routing's tiles spread over them."""
    import distributed
    from dask.delayed import Delayed

    from gepcalc import terrain
    from gepcalc.io import open_raster, raster_from_input

    lc = open_raster(man["landcover"], name="land cover")
    dem = raster_from_input(man["rasters"]["dem"], name="dem", like=lc)
    with (
        distributed.LocalCluster(n_workers=cores, threads_per_worker=1, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        ls = terrain.routed(dem, "ls")
        graph = ls.data.__dask_graph__()
        held = client.compute([Delayed(k, graph) for k in terrain.routing_keys(ls.data)])  # as an account does
        total = float(ls.sum().compute())
        terrain.release(client, held)
        workers = client.run(peak_rss_mib)
    return {"ls_sum": total, "worker_peak_rss_mib": max(workers.values())}


def run(case: str, manifest: Path, cores: int, src: Path | None = None, gdal_cache_mb: int | None = None) -> dict:
    """One case in a fresh child; ``src``: another gepcalc source tree (``src/``) to import instead;
    ``gdal_cache_mb``: GDAL's block cache [MB] for the whole child (``GDAL_CACHEMAX``), None: GDAL's default."""
    import bench_regulating as br

    cmd = [sys.executable, __file__, "--child", case, "--manifest", str(manifest), "--cores", str(cores)]
    env = br._child_env(cores) | ({"PYTHONPATH": str(src)} if src else {})
    if gdal_cache_mb is not None:
        env["GDAL_CACHEMAX"] = str(int(gdal_cache_mb))
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=3600)
    if proc.returncode != 0:
        raise RuntimeError(f"{case} failed:\n{proc.stderr[-4000:]}")
    line = next(ln for ln in reversed(proc.stdout.splitlines()) if ln.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :])


def render(results: list[dict], cores: int) -> str:
    """The markdown table of ``results`` between the section's markers."""
    rows = [
        START,
        f"`benchmarks/bench_scale.py`, {dt.date.today().isoformat()}, {cpu_name()}, {cores} cores shared with "
        "other jobs (times are upper bounds), one fresh process per case.",
        "",
        "| pixels | case | wall [s] | Mpx/s | peak RSS [MiB] | bytes/pixel above start |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in results:
        px = r["n"] ** 2
        per = (r["peak_rss_mib"] - r["base_rss_mib"]) * 2**20 / px
        rows.append(
            f"| {r['n']}² | {r['case']} | {r['wall_s']:.1f} | {px / 1e6 / r['wall_s']:.2f} | "
            f"{r['peak_rss_mib']:,.0f} | {per:.1f} |"
        )
    rows.append(END)
    return "\n".join(rows)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--child", choices=CASES)
    ap.add_argument("--manifest", type=Path)
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--sizes", type=int, nargs="+", default=[4000, 8000])
    ap.add_argument("--cases", nargs="+", choices=CASES, default=list(CASES))
    ap.add_argument("--cache", type=Path, default=Path("/tmp/gepcalc-bench-regulating"))
    ap.add_argument("--out", type=Path, default=None, help="markdown file to put the table in")
    ap.add_argument("--json", type=Path, default=HERE / "results" / "bench_scale.json")
    ap.add_argument(
        "--baseline-src",
        type=Path,
        default=None,
        help="also run each case with this gepcalc source tree (e.g. `git archive HEAD src | tar -x -C /tmp/head`)",
    )
    ap.add_argument(
        "--gdal-cachemax",
        type=int,
        default=None,
        help="GDAL block cache [MB] for the whole run of each case (GDAL_CACHEMAX); default: GDAL's (5 %% of RAM)",
    )
    args = ap.parse_args(argv)
    if args.child:
        args.case = args.child
        child(args)
        return 0
    import bench_regulating as br

    results = []
    for n in args.sizes:
        man = br.ensure_inputs(n, args.cache, args.cores)
        manifest = args.cache / str(n) / "manifest.json"
        del man
        for case in args.cases:
            for label, src in (("before", args.baseline_src), ("", None)):
                if label and src is None:
                    continue
                if label and case in ("routing-tiled", "all-whole"):
                    continue  # no tiled routing before
                r = run(case, manifest, args.cores, src, args.gdal_cachemax)
                r["case"] = f"{case} ({label})" if label else case
                if args.gdal_cachemax is not None:
                    r["case"] += f", GDAL_CACHEMAX={args.gdal_cachemax}"
                print(json.dumps(r), flush=True)
                results.append(r)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"cpu": cpu_name(), "cores": args.cores, "results": results}, indent=1))
    table = render(results, args.cores)
    print(table)
    if args.out:
        write_section(args.out, table, START, END)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
