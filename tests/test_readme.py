"""Every ```python and ```bash block of README.md, and every shell block of docs/*.md, runs as written
on the shipped demo data (issue 14; the docs' Python blocks run in tests/test_docs.py).

Each block runs in a fresh temporary folder whose ``data`` links to the repository's ``data/`` (the
README's commands are written from the repository root), so what a block writes stays out of the
source tree. Python blocks run in this interpreter; bash blocks with the virtual environment's
``bin`` first on PATH (``gepcalc`` is the installed command). Blocks that install gepcalc or run the
whole test suite are what CI itself does (``.ci/run``) and are skipped here, with that reason.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

README = ROOT / "README.md"
FENCE = re.compile(r"^```(python|bash)[^\n]*\n(.*?)^```", re.S | re.M)
#: what a block that is not run here does instead
SKIP = (
    (re.compile(r"pip install"), "installs gepcalc into a new virtual environment: what .ci/run does"),
    (re.compile(r"-m pytest"), "runs the whole test suite: what .ci/run does"),
)


def blocks() -> list:
    text = README.read_text(encoding="utf-8")
    out = []
    for m in FENCE.finditer(text):
        lang, code = m.group(1), m.group(2)
        line = text.count("\n", 0, m.start()) + 1
        reason = next((why for pat, why in SKIP if pat.search(code)), None)
        marks = [pytest.mark.skip(reason=f"README.md line {line}: {reason}")] if reason else []
        out.append(pytest.param(lang, code, line, id=f"{lang}-line{line}", marks=marks))
    return out


def test_the_readme_has_blocks_and_none_is_hidden():
    """Every fenced block is python or bash (so every one is collected above), and each kind occurs."""
    text = README.read_text(encoding="utf-8")
    fences = re.findall(r"^```(\w*)", text, re.M)
    opening = fences[::2]
    assert set(opening) <= {"python", "bash"}, opening
    assert len(blocks()) == len(opening) >= 4


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    (tmp_path / "data").symlink_to(ROOT / "data", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(("lang", "code", "line"), blocks())
def test_readme_block_runs_as_written(lang, code, line, workdir):
    before = {p.name for p in ROOT.iterdir()}
    if lang == "python":
        exec(compile(code, f"README.md:{line}", "exec"), {"__name__": "__readme__"})
    else:
        env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
        r = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", code], cwd=workdir, env=env, capture_output=True, text=True, timeout=300
        )
        assert r.returncode == 0, f"README.md line {line}:\n{r.stdout}\n{r.stderr}"
        if "gepcalc demo" in code:
            _wrote_where_it_says(r.stdout, workdir)
    # nothing written into the repository (the outputs go to the working directory)
    assert {p.name for p in ROOT.iterdir()} == before


def _wrote_where_it_says(stdout: str, workdir: Path) -> None:
    """The CLI block: the version first, the demo's files and run logs in the working directory."""
    assert stdout.splitlines()[0].startswith("gepcalc ")  # --version
    for f in ("gep-demo/account.csv", "gep-demo/account.xlsx", "gep-demo/account.html", "gep-demo/gepcalc.log"):
        assert (workdir / f).is_file(), f
    assert (workdir / "gep-out" / "account.xlsx").is_file()  # the Shenzhen account, in the default folder
    log = (workdir / "gep-out" / "gepcalc.log").read_text(encoding="utf-8")
    assert "command: gepcalc -q account data/demo/shenzhen2020/account.toml" in log
    assert "profile: mee-2020" in log and "data/demo/shenzhen2020/lines.csv" in log


DOC_FENCE = re.compile(r"^```(bash|sh|console)[^\n]*\n(.*?)^```", re.S | re.M)
#: shell blocks of the docs that are not run here, and why
DOC_SKIP = (
    *SKIP,
    (re.compile(r"benchmarks/|bench_\w+\.py"), "a benchmark, run by hand (docs/benchmarks.md: never timed in tests)"),
    (re.compile(r"dask (scheduler|worker)|dask-scheduler|kubectl|sbatch"), "starts a cluster (docs/distributed.md)"),
)


def doc_blocks() -> list:
    """The shell blocks of docs/*.md (their Python blocks run in tests/test_docs.py)."""
    out = []
    for page in sorted((ROOT / "docs").glob("*.md")):
        text = page.read_text(encoding="utf-8")
        for m in DOC_FENCE.finditer(text):
            code, line = m.group(2), text.count("\n", 0, m.start()) + 1
            reason = next((why for pat, why in DOC_SKIP if pat.search(code)), None)
            marks = [pytest.mark.skip(reason=f"docs/{page.name} line {line}: {reason}")] if reason else []
            out.append(pytest.param(page.name, code, line, id=f"{page.stem}-line{line}", marks=marks))
    return out


@pytest.mark.parametrize(("page", "code", "line"), doc_blocks())
def test_docs_shell_block_runs_as_written(page, code, line, workdir):
    before = {p.name for p in ROOT.iterdir()}
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    r = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", code], cwd=workdir, env=env, capture_output=True, text=True, timeout=300
    )
    assert r.returncode == 0, f"docs/{page} line {line}:\n{r.stdout}\n{r.stderr}"
    assert {p.name for p in ROOT.iterdir()} == before
