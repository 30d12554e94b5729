"""The shape of the code (issue 12): one-way layers, no cycles, no private cross-module imports, small units.

The layers and the no-cycle rule are import-linter contracts (``[tool.importlinter]`` in
``pyproject.toml``, run here through import-linter's own API, so the README's test command
enforces them); the rest are read from the source with :mod:`ast`.  The limits are the ones
DESIGN.md gives: a module of at most 500 lines, a function of at most 60 lines of code (its
docstring not counted).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "gepcalc"
MODULE_LINES = 500
FUNCTION_LINES = 60


def _modules() -> list[tuple[str, Path, ast.Module]]:
    out = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC.parent).with_suffix("")
        name = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
        out.append((name, path, ast.parse(path.read_text(encoding="utf-8"), str(path))))
    return out


def _code_lines(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines of a function without its docstring."""
    lines = fn.end_lineno - fn.lineno + 1
    first = fn.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        lines -= first.end_lineno - first.lineno + 1
    return lines


def test_import_contracts_are_kept():
    """One-way layers (DESIGN.md, *Layers*) and no cycles between siblings: the contracts in pyproject.toml."""
    lint = Path(sys.executable).with_name("lint-imports")
    if not lint.exists():
        pytest.skip("import-linter is in the test extra: pip install -e '.[test]'")
    run = subprocess.run(
        [str(lint), "--config", str(ROOT / "pyproject.toml"), "--no-cache"], cwd=ROOT, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]


def test_modules_are_small():
    long = {
        str(p.relative_to(ROOT)): n for _, p, _ in _modules() if (n := len(p.read_text().splitlines())) > MODULE_LINES
    }
    assert not long, f"modules over {MODULE_LINES} lines (split them by responsibility): {long}"


def test_functions_are_short():
    long = {
        f"{p.relative_to(ROOT)}:{node.name}": n
        for _, p, tree in _modules()
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and (n := _code_lines(node)) > FUNCTION_LINES
    }
    assert not long, f"functions over {FUNCTION_LINES} lines of code: {long}"


def test_no_private_names_across_modules():
    """``from gepcalc.x import _y`` outside ``gepcalc.x``: make ``_y`` public, or keep it where it is used."""
    found = []
    for name, path, tree in _modules():
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.startswith("gepcalc")
                and node.level == 0
            ):
                private = [a.name for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
                if private and node.module != name:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.module} {private}")
    assert not found, "private names imported across modules:\n" + "\n".join(found)


def _is_submodule(name: str) -> bool:
    return (SRC / f"{name}.py").exists() or (SRC / name / "__init__.py").exists()


def test_modules_do_not_import_the_package_root():
    """A module taking a name from ``gepcalc`` itself (not a submodule) imports everything: a cycle."""
    found = []
    for name, path, tree in _modules():
        if name == "gepcalc":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import) and any(a.name == "gepcalc" for a in node.names):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
            if isinstance(node, ast.ImportFrom) and node.module == "gepcalc" and node.level == 0:
                names = [a.name for a in node.names if not _is_submodule(a.name)]  # `from gepcalc import units` is fine
                if names:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: from gepcalc import {names}")
    assert not found, "modules importing the package root:\n" + "\n".join(found)
