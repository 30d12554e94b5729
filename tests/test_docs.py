"""The docs site: generated pages up to date, every Python block of docs/*.md runs, Sphinx builds with -W.

* ``docs/indicators/*.md`` and ``docs/profiles.md`` are generated from the service specs, the
  coefficient tables and the profiles by ``scripts/build_docs.py``: they must equal what it gives now
  (as ``docs/sources.md`` must equal ``sources_report()``).
* Every ````python`` block of ``docs/*.md`` runs as written, page by page in one namespace, in a
  temporary folder where ``data/`` is the repository's (so the shipped demo data are found at the
  paths the docs print and nothing is written into the tree).
* ``sphinx-build -W -b html docs <tmp>`` succeeds (warnings are errors), executing the notebooks.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
NOTEBOOKS = ROOT / "notebooks"
_FENCE = re.compile(r"^```python[^\n]*\n(.*?)^```\s*$", re.S | re.M)


def _build_docs():
    spec = importlib.util.spec_from_file_location("build_docs", ROOT / "scripts" / "build_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build_docs = _build_docs()


def python_blocks(path: Path) -> list[str]:
    """The ````python`` blocks of a markdown file, in order."""
    return [m.group(1) for m in _FENCE.finditer(path.read_text(encoding="utf-8"))]


PAGES = sorted(p.name for p in DOCS.glob("*.md") if python_blocks(p))


def test_generated_pages_are_up_to_date():
    assert build_docs.stale() == [], "regenerate: python scripts/build_docs.py"


def test_one_page_per_indicator_and_method():
    from gepcalc import services

    ids = sorted(services.available())
    assert sorted(p.stem for p in (DOCS / "indicators").glob("*.md") if p.stem != "index") == ids
    for sid in ids:
        text = (DOCS / "indicators" / f"{sid}.md").read_text(encoding="utf-8")
        for method in services.methods(sid):
            assert f"## Method `{method}`" in text, f"{sid}: method {method} has no section"


def test_indicator_page_shows_the_tables_values_units_and_statuses():
    text = (DOCS / "indicators" / "water_conservation.md").read_text(encoding="utf-8")
    # water_conservation.csv: forest runoff coefficient 0.0325 (mean of Gong et al. 2017's five closed forest
    # sub-types, (4.65 + 4.52 + 3.52 + 2.70 + 0.88) / 5 = 3.254 %), counted, cited as gong2017;subtype_mean
    assert "| forest | 0.0325 | true | judgement | gong2017, subtype_mean |" in text
    # prices.csv: the national reservoir construction cost, 6.11 CNY/m³ at 2008 prices (LY/T 1721-2008 via Jiang 2017)
    assert (
        "| `price` | `water_storage_cost` | 6.11 | `CNY / m**3` | 2008 | national | secondary | baiyangdian2017_lyt |"
        in text
    )
    assert "| `precipitation` | P | `mm / yr` | annual precipitation |" in text
    assert "Q_{wr} = \\sum_i (P - R_i - ET_i) \\cdot A_i" in text  # the docstring's formula, not retyped
    carbon = (DOCS / "indicators" / "carbon_sequestration.md").read_text(encoding="utf-8")
    # shrubland has no sourced rate: an empty cell, counted as `empty`
    assert re.search(r"\| shrubland \| \*empty\* \|.*\| empty \| not_found \|", carbon)


def test_a_changed_table_value_changes_the_page(tmp_path, monkeypatch):
    from gepcalc.tables import load_table

    table = load_table("water_conservation").override({"forest": {"runoff_coefficient": 0.05}}, source="test")
    monkeypatch.setitem(build_docs._TABLES, "water_conservation", table)
    text = build_docs.indicator_page("water_conservation")
    assert "| forest | 0.05 | true | user | override |" in text


@pytest.mark.parametrize("page", PAGES)
def test_python_blocks_of_the_docs_run_as_written(page, tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    (tmp_path / "data").symlink_to(ROOT / "data", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "__docs__"}
    for i, block in enumerate(python_blocks(DOCS / page), 1):
        try:
            exec(compile(block, f"{page}, python block {i}", "exec"), namespace)
        except Exception as exc:
            raise AssertionError(f"docs/{page}, python block {i} fails as written:\n{block}") from exc


def test_notebooks_are_stored_executed():
    for nb_path in sorted(NOTEBOOKS.glob("*.ipynb")):
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert code, nb_path.name
        for cell in code:
            assert cell.get("execution_count") is not None, f"{nb_path.name}: a cell is not executed"
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            assert not errors, f"{nb_path.name}: a stored output is an error"
    charts = json.loads((NOTEBOOKS / "chunan_demo.ipynb").read_text(encoding="utf-8"))["cells"]
    assert any("image/png" in o.get("data", {}) for c in charts for o in c.get("outputs", [])), "chart stored"


def test_the_docs_build_with_warnings_as_errors(tmp_path):
    pytest.importorskip("sphinx")
    pytest.importorskip("myst_nb")
    out = tmp_path / "html"
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}  # the notebooks' charts are inline images
    env["GEPCALC_DOCS_EXECUTE"] = "force"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-q",
            "-b",
            "html",
            "-d",
            str(tmp_path / "doctrees"),
            str(DOCS),
            str(out),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert proc.returncode == 0, f"sphinx-build failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-8000:]}"
    page = (out / "indicators" / "water_conservation.html").read_text(encoding="utf-8")
    assert "0.0325" in page and "water_storage_cost" in page
    assert (out / "api" / "accounts.html").read_text(encoding="utf-8").count("gepcalc.account.account") >= 1
    # the Chun'an notebook was executed in the build: its GEP total (亿元) is on the page
    chunan = (out / "notebooks" / "chunan_demo.html").read_text(encoding="utf-8")
    assert "5316.43" in chunan or "5,316.43" in chunan
    assert chunan.count("<img") >= 1, "the chart of the Chun'an notebook is on its page"


def test_the_chunan_section_of_regulating_methods_matches_the_demo():
    """docs/regulating_methods.md §13 works the demo's numbers out by hand; the demo must give them."""
    import gepcalc as gep

    text = (DOCS / "regulating_methods.md").read_text(encoding="utf-8")
    acct = gep.demo.chunan_account()
    by = acct.by("service", "item", unit="亿元").set_index(["service", "item"])["value"]
    cpi08, cpi10 = 1.313657, 1.280656  # national CPI 2008 → 2020 and 2010 → 2020 (deflators table)
    forest, wetland, water = 3999.106e6, 26.825e6, 573e6  # m² counted in the county
    c_to_co2, co2_to_o2 = 44.0095 / 12.011, 31.998 / 44.0095
    res = 6.11 * cpi08  # reservoir construction cost at 2020 prices [CNY/m³]
    carbon_t = (3.62 * forest + 1.06 * wetland) / 1e4  # t C/yr (rate per ha × area in ha)
    expected = {  # [亿元/yr] and the figure §13 prints
        ("water_conservation", ""): (
            ((1430 - 1430 * 0.0325 - 800) * forest + (1430 - 900) * wetland) / 1000 * res / 1e8,
            "188.44",
        ),
        ("flood_regulation", "reservoir"): (0.35 * 216.26e8 * res / 1e8, "607.53"),
        ("flood_regulation", "marsh"): (0.3 * wetland * res / 1e8, "0.65"),
        ("carbon_sequestration", ""): (carbon_t * c_to_co2 * (1200 * cpi08 / c_to_co2) / 1e8, "22.87"),
        ("oxygen_release", ""): (carbon_t * c_to_co2 * co2_to_o2 * 1000 * cpi08 / 1e8, "50.76"),
        ("climate_regulation", "evaporation"): (
            1.3551 * (water + wetland) * (1000 * 2450 / 3600 + 125) * 0.53 * cpi10 / 1e8,
            "4,444.26",
        ),
    }
    for key, (value, printed) in expected.items():
        assert by[key] == pytest.approx(value, rel=2e-4), key
        assert float(printed.replace(",", "")) == pytest.approx(value, abs=0.006), key
        assert f"{printed} 亿元/yr" in text, f"§13 prints {key} as {printed} 亿元/yr"
