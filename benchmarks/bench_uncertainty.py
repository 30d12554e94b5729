"""Benchmark: 1,000 Monte Carlo draws of the Chun'an demo account (issue 17).

Acceptance criterion: "1,000 draws of the Chun'an demo account under 10 s on 2 cores
(docs/benchmarks.md)".  A benchmark script, never a timed test.  From the repository root::

    python benchmarks/bench_uncertainty.py                 # 3 runs, writes docs/benchmarks.md
    python benchmarks/bench_uncertainty.py --repeat 1 --no-write

What is measured, in this process (pinned to ``--cores`` CPUs, dask's threaded scheduler sized to them):

* *account*: ``gepcalc.demo.chunan_account()`` — the point account (one raster pass);
* *account + 1,000 draws*: ``chunan_account(uncertainty=1000, seed=0)`` — the same plus the Monte
  Carlo (:mod:`gepcalc.uncertainty`: the engine's own zonal pass, then the draws without raster work);
* *draws alone*: the difference, the time ``uncertainty=1000`` adds;
* *sensitivity*: one-at-a-time and Sobol (SALib, 1,024 base samples) on the account's engine;
* *stress*: the same account with a range of ±20 % put on every numeric cell of its tables
  (``stress_tables``: **invented for timing only**, never for numbers), so that many coefficients
  are drawn — multiplicative, affine (one extra zonal pass each) and prices.

Medians (min–max) of ``--repeat`` runs after one warm-up run (imports, numba compilation, the
first read of the raster); peak = the process's ``VmHWM``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))

from _common import cpu_name, peak_rss_mib, write_section  # noqa: E402

#: the demo's tables given a ±20 % range on every numeric cell (stress case, timing only)
STRESSED = ("water_conservation", "carbon_sequestration", "pest_control", "climate_regulation", "constants", "prices")


def stress_tables(folder: Path) -> dict[str, Path]:
    """Copies of the demo's tables with X_low = 0.8 X and X_high = 1.2 X on every numeric cell (timing only)."""
    import pandas as pd

    from gepcalc.tables import load_table

    out = {}
    for name in STRESSED:
        t = load_table(name)
        src = Path(t.origin)
        df = pd.read_csv(src, dtype=str, keep_default_na=False)
        toml = src.with_suffix(".toml").read_text(encoding="utf-8")
        for col, c in t.columns.items():
            if c.type != "float" or col.endswith(("_low", "_high")) or col == "price_year":
                continue
            x = pd.to_numeric(df[col], errors="coerce")
            for end, f in (("low", 0.8), ("high", 1.2)):
                name_ = f"{col}_{end}"
                if name_ not in df:
                    df.insert(df.columns.get_loc(col) + 1, name_, "")
                    unit = f'unit_column = "{c.unit_column}"' if c.unit_column else f'unit = "{c.unit}"'
                    toml += f"\n[columns.{name_}]\n{unit}\n"
                df[name_] = [f"{v * f!r}" if pd.notna(v) and v > 0 else "" for v in x]
        (folder / f"{name}.toml").write_text(toml, encoding="utf-8")
        df.to_csv(folder / f"{name}.csv", index=False)
        out[name] = folder / f"{name}.csv"
    return out


START, END = "<!-- uncertainty-benchmark:start -->", "<!-- uncertainty-benchmark:end -->"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--no-write", action="store_true", help="print only; do not touch docs/benchmarks.md")
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[: args.cores])
    for var in ("OMP_NUM_THREADS", "NUMBA_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.cores)
    t = time.perf_counter()
    import dask

    import gepcalc
    from gepcalc.demo import chunan_account

    dask.config.set(scheduler="threads", num_workers=args.cores)
    import_s = time.perf_counter() - t

    chunan_account(uncertainty=10)  # warm-up: imports, numba, first read
    point, full, oat_s, sobol_s = [], [], [], []
    acct = None
    for _ in range(args.repeat):
        t = time.perf_counter()
        chunan_account()
        point.append(time.perf_counter() - t)
        t = time.perf_counter()
        acct = chunan_account(uncertainty=args.draws, seed=0)
        full.append(time.perf_counter() - t)
        t = time.perf_counter()
        acct.uncertainty.sensitivity()
        oat_s.append(time.perf_counter() - t)
        t = time.perf_counter()
        acct.uncertainty.sobol(n=1024, seed=0)
        sobol_s.append(time.perf_counter() - t)
    import tempfile

    stress_s, n_stress = [], 0
    with tempfile.TemporaryDirectory() as tmp:
        tables = stress_tables(Path(tmp))
        chunan_account(uncertainty=10, tables=tables)  # warm-up
        for _ in range(args.repeat):
            t = time.perf_counter()
            stressed = chunan_account(uncertainty=args.draws, seed=0, tables=tables)
            stress_s.append(time.perf_counter() - t)
        n_stress = len(stressed.uncertainty.coefficients)
        how = stressed.uncertainty.coefficients["how drawn"].str.cat(sep="; ")
        kinds = {k: how.count(k) for k in ("multiplicative", "affine", "value rule", "recomputed")}
    draws = [f - p for f, p in zip(full, point, strict=True)]
    g = acct.uncertainty.gep("亿元")

    def fmt(xs):
        return f"{statistics.median(xs):.2f} ({min(xs):.2f}–{max(xs):.2f})"

    ok = "✅" if statistics.median(full) < 10 else "❌"
    coeffs = ", ".join(f"`{c}`" for c in acct.uncertainty.coefficients["coefficient"]) or "none"
    import numpy
    import xarray

    section = f"""{START}
## Monte Carlo of a county account (issue 17)

Acceptance criterion: 1,000 draws of the Chun'an demo account under 10 s on 2 cores. Generated by
`benchmarks/bench_uncertainty.py`; do not edit between the markers by hand.

```sh
pip install -e '.[uncertainty,bench]'
python benchmarks/bench_uncertainty.py
```

Account: `gepcalc.demo.chunan_account()` (MODIS 0.05°, zhejiang-2020 profile, {acct.data.sizes["service"]} services
computed).
Coefficients with a declared range that the account uses: {coeffs} (the other coefficients have no
range in their tables and are held, as the notes say). Draws are seeded (seed 0) triangular factors;
{args.repeat} runs after a warm-up, medians (min–max).

Machine: {cpu_name()}, {args.cores} CPUs (pinned; dask threaded scheduler with {args.cores} workers);
Python {sys.version.split()[0]}, gepcalc {gepcalc.__version__}, numpy {numpy.__version__}, xarray
{xarray.__version__}. Run on {date.today().isoformat()}. Import {import_s:.1f} s (not counted).

| case | s |
|---|---:|
| account (point) | {fmt(point)} |
| account + {args.draws:,} draws | {fmt(full)} {ok} |
| the draws alone (difference) | {fmt(draws)} |
| one-at-a-time sensitivity | {fmt(oat_s)} |
| Sobol indices (SALib, 1,024 base samples) | {fmt(sobol_s)} |
| stress: account + {args.draws:,} draws of {n_stress} coefficients (±20 % invented for timing) | {fmt(stress_s)} |

Stress case: uses by how they were drawn: {", ".join(f"{k} {v}" for k, v in kinds.items())}.

Peak RSS {peak_rss_mib():,.0f} MiB (import baseline included). GEP {g["point"]:,.2f} 亿元/yr; over the
draws mean {g["mean"]:,.2f}, 90 % interval {g["p05"]:,.2f} – {g["p95"]:,.2f} 亿元/yr.
{END}"""
    print(section)
    if not args.no_write:
        write_section(ROOT / "docs" / "benchmarks.md", section, START, END)


if __name__ == "__main__":
    main()
