"""The command line, as a user runs it."""

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
rate = "2 t/ha/yr"
[overrides.carbon_sequestration.grassland]
rate = "0.5 t/ha/yr"
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
