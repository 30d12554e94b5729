"""The command line, as a user runs it."""

import re

import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import SMALL_OVERRIDES
from gepcalc.account import TIDY_COLUMNS
from gepcalc.cli import app

runner = CliRunner()


def test_demo_prints_summary_and_writes_tables(tmp_path):
    res = runner.invoke(app, ["demo", "--out", str(tmp_path / "demo")])
    assert res.exit_code == 0, res.output
    for text in (
        "水源涵养",
        "Water conservation",
        "气候调节",
        "Climate regulation",
        "m³/a",
        "kWh/a",
        "调节服务",
        "Gross Ecosystem Product",
        "published",
    ):
        assert text in res.output
    csv = pd.read_csv(tmp_path / "demo" / "account.csv", encoding="utf-8-sig")
    assert list(csv.columns) == TIDY_COLUMNS and set(csv.region) == {"淳安县"}
    book = pd.read_excel(tmp_path / "demo" / "account.xlsx", sheet_name=None)
    assert "summary 汇总" in book


def write_config(tmp_path, small_lc, halves):
    cfg = tmp_path / "county.toml"
    over = SMALL_OVERRIDES["prices"]
    cfg.write_text(
        f'''
[account]
title = "Test county"
landcover = "{small_lc.name}"
regions = "{halves.name}"
region_field = "name"
year = 2021
price_year = 2021
services = ["water_conservation", "carbon_sequestration"]

[inputs]
precipitation = "1400 mm/yr"
evapotranspiration = {{ unit = "mm/yr", values = {{ forest = 800, grassland = 600 }} }}

[overrides.water_conservation.forest]
runoff_coefficient = 0.05
[overrides.water_conservation.grassland]
runoff_coefficient = 0.1
[overrides.carbon_sequestration.forest]
sequestration_rate = "2 t/ha/yr"
[overrides.carbon_sequestration.grassland]
sequestration_rate = "0.5 t/ha/yr"
[overrides.prices.water_storage_cost]
price = "{over["water_storage_cost"]["price"]}"
[overrides.prices.carbon_price]
price = "{over["carbon_price"]["price"]}"

[output]
dir = "out"
''',
        encoding="utf-8",
    )
    return cfg


def test_account_from_config(tmp_path, small_lc, halves):
    cfg = write_config(tmp_path, small_lc, halves)
    res = runner.invoke(app, ["account", str(cfg), "--unit", "CNY"])
    assert res.exit_code == 0, res.output
    df = pd.read_csv(tmp_path / "out" / "account.csv", encoding="utf-8-sig")
    wc = df[df.service == "water_conservation"]
    # forest 26,500 m³ (west), grassland 6,600 m³ (east) → × 6.11 CNY/m³
    assert wc.groupby("region")["quantity"].sum().to_dict() == pytest.approx({"west": 26_500.0, "east": 6_600.0})
    assert wc["value"].sum() == pytest.approx(33_100 * 6.11)
    assert set(df.year) == {2021} and set(df.price_year) == {2021}


def test_config_errors_name_the_file_and_key(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[account]\nyear = 2020\nlandcovr = "x.tif"\n', encoding="utf-8")
    res = runner.invoke(app, ["account", str(cfg)])
    assert res.exit_code == 2
    assert "unknown key(s) ['landcovr']" in res.output and "bad.toml" in res.output


def test_services_and_tables_listings():
    res = runner.invoke(app, ["services"])
    assert res.exit_code == 0
    for sid in ("carbon_sequestration", "oxygen_release", "water_conservation", "climate_regulation"):
        assert sid in res.output
    res = runner.invoke(app, ["tables"])
    assert res.exit_code == 0 and "landcover_gbt21010" in res.output and "prices" in res.output
    res = runner.invoke(app, ["tables", "prices"])
    assert res.exit_code == 0 and "water_storage_cost" in res.output and "secondary" in res.output


def test_tables_status_counts_rows_per_status():
    from gepcalc.tables import builtin_tables, load_table, status_counts

    res = runner.invoke(app, ["tables", "--status"])
    assert res.exit_code == 0, res.output
    counts = status_counts([load_table(n) for n in builtin_tables()])
    total = counts.loc["TOTAL"]
    # the TOTAL line of the printed table carries the same numbers as status_counts (no placeholder status)
    line = next(x for x in res.output.splitlines() if "TOTAL" in x)
    assert [int(x) for x in line.replace("│", " ").split()[1:]] == [int(v) for v in total]
    assert set(counts.columns) == {"primary", "account", "secondary", "judgement", "empty", "rows"}
    assert total["rows"] == sum(len(load_table(n).keys) for n in builtin_tables())


# -- issue 14: a fast, talkative CLI; outputs in the working directory; report-ready Excel -----------------


def test_version_and_help_load_no_numerical_stack():
    """`gepcalc --help` and `--version` import typer and rich only (the < 1 s of docs/benchmarks.md)."""
    import subprocess
    import sys

    from gepcalc import __version__

    code = (
        "import sys; from typer.testing import CliRunner; from gepcalc.cli import app; "
        "r = CliRunner().invoke(app, ['--help']); v = CliRunner().invoke(app, ['--version']); "
        "heavy = ('xarray', 'dask', 'rasterio', 'pint', 'pandas', 'geopandas', 'matplotlib', 'numba'); "
        "print(v.output.strip()); print(sorted(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    assert out == [f"gepcalc {__version__}", "[]"]


def test_square_brackets_are_text_not_markup():
    res = runner.invoke(app, ["account", "--help"])
    assert "(overrides the config's [output]" in " ".join(res.output.split())
    res = runner.invoke(app, ["tables", "carbon_sequestration"], env={"COLUMNS": "250"})
    assert res.exit_code == 0 and "rate [t / ha / yr]" in res.output  # the unit in the header survives


def test_account_writes_to_the_working_directory_with_a_log(tmp_path, small_lc, halves, monkeypatch):
    import hashlib

    cfg = write_config(tmp_path, small_lc, halves)
    cfg.write_text(cfg.read_text(encoding="utf-8").replace('[output]\ndir = "out"\n', ""), encoding="utf-8")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    res = runner.invoke(app, ["-q", "account", str(cfg), "--html"])
    assert res.exit_code == 0, res.output
    assert "Test county" not in res.output  # -q: no summary table, only the files written
    for f in ("account.csv", "account.xlsx", "account.html", "gepcalc.log"):
        assert (work / "gep-out" / f).is_file(), f
    assert not (tmp_path / "gep-out").exists()  # never beside the config
    log = (work / "gep-out" / "gepcalc.log").read_text(encoding="utf-8")
    assert f"command: gepcalc -q account {cfg} --html\n" in log
    # every input with its SHA-256: the config, the land cover and the regions it names
    for f in (cfg, small_lc, halves):
        assert f"{hashlib.sha256(f.read_bytes()).hexdigest()}" in log, f.name
    assert "gepcalc: " in log and "profile: mee-2020" in log


def test_verbose_prints_each_phase_time(tmp_path, small_lc, halves):
    cfg = write_config(tmp_path, small_lc, halves)
    res = runner.invoke(app, ["-v", "account", str(cfg)])
    assert res.exit_code == 0, res.output
    assert re.search(r"computing account: \d+\.\d s", res.output) and re.search(r"writing files: \d+\.\d s", res.output)


def test_one_bar_for_a_phase_of_several_computations():
    """The zonal sum computes band by band: all bands advance one bar (issue 14: four identical bars)."""
    import dask.array as da

    from gepcalc import progress

    a, b = da.ones(8, chunks=2).sum(), da.ones(6, chunks=3).sum()
    progress.configure(0, enabled=True)
    try:
        with progress.RichProgress("one") as one:
            a.compute()
        with progress.RichProgress("two") as two:
            b.compute()
        with progress.RichProgress("both") as both:
            a.compute()
            b.compute()
    finally:
        progress.configure(0, enabled=False)
    n_a, n_b = one._progress.tasks[0].total, two._progress.tasks[0].total
    assert len(both._progress.tasks) == 1  # one bar
    assert both._progress.tasks[0].total == n_a + n_b == both._progress.tasks[0].completed


def test_workbook_is_report_ready(tmp_path):
    """Number formats, 中文 and English names on every sheet, units per year as /yr, carbon as CO₂,
    package-relative source paths."""
    import openpyxl

    res = runner.invoke(app, ["-q", "demo", "--out", str(tmp_path / "demo")])
    assert res.exit_code == 0, res.output
    path = tmp_path / "demo" / "account.xlsx"
    book = pd.read_excel(path, sheet_name=None)
    wb = openpyxl.load_workbook(path)

    def fmt(sheet, header):
        ws = wb[sheet]
        col = [c.value for c in ws[1]].index(header) + 1
        return ws.cell(row=2, column=col).number_format

    assert fmt("summary 汇总", "value [万元/yr]") == "#,##0.00" and fmt("summary 汇总", "share") == "0.0%"
    assert fmt("account 核算表", "year") == "0" and fmt("account 核算表", "quantity") == "#,##0.00##"
    eco = book["ecosystems 生态系统"].set_index("ecosystem")
    assert eco.at["forest", "生态系统"] == "森林" and eco.at["water", "生态系统"] == "水体"
    acc = book["account 核算表"]
    assert {"指标", "indicator", "生态系统", "ecosystem type"} <= set(acc.columns)
    assert set(acc.loc[acc["service"] == "water_conservation", "指标"]) == {"水源涵养"}
    assert set(acc.loc[acc["item"] == "reservoir", "分项"]) == {"水库调蓄"}
    units = set(acc["quantity_unit"]) | set(acc["value_unit"]) | set(book["summary 汇总"]["quantity_unit"].dropna())
    assert not any(u.endswith("/a") for u in units), units
    assert set(acc.loc[acc["service"] == "carbon_sequestration", "quantity_unit"]) == {"t CO₂/yr"}
    assert set(book["summary 汇总"].set_index("service").loc[["hydropower"], "quantity_unit"]) == {"kWh/yr"}
    src = book["sources 参数来源"]
    files = set(src["file"].dropna())
    assert files and all(f.startswith("gepcalc:coefficients/") for f in files), files
    assert "指标" in src.columns
