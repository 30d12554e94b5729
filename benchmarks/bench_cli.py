"""Start-up time of the command line (issue 14): `gepcalc --help`, `--version`, and the first output of a run.

Each command runs ``--repeat`` times in a fresh process after one warm-up (file cache warm); prints the
median and the range as a Markdown table for docs/benchmarks.md.

    python benchmarks/bench_cli.py --repeat 10
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import cpu_name


def _time(cmd: list[str], cwd: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=10)
    args = ap.parse_args()
    exe = shutil.which("gepcalc", path=str(Path(sys.executable).parent)) or "gepcalc"
    cases = {
        "`gepcalc --help`": [exe, "--help"],
        "`gepcalc --version`": [exe, "--version"],
        "`python -c 'import gepcalc'`": [sys.executable, "-c", "import gepcalc"],
        "`python -c 'import gepcalc.account'` (the numerical stack)": [sys.executable, "-c", "import gepcalc.account"],
        "`gepcalc -q demo` (whole run, for scale)": [exe, "-q", "demo", "--out", "gep-demo"],
    }
    from gepcalc import __version__

    with tempfile.TemporaryDirectory() as tmp:
        rows = []
        for name, cmd in cases.items():
            _time(cmd, Path(tmp))  # warm-up
            ts = [_time(cmd, Path(tmp)) for _ in range(args.repeat)]
            rows.append((name, statistics.median(ts), min(ts), max(ts)))
    py = sys.version.split()[0]
    print(f"{cpu_name()}; Python {py}, gepcalc {__version__}; {args.repeat} runs after a warm-up.\n")
    print("| command | median s | min–max s |\n|---|---:|---:|")
    for name, med, lo, hi in rows:
        print(f"| {name} | {med:.2f} | {lo:.2f}–{hi:.2f} |")


if __name__ == "__main__":
    main()
