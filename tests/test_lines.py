"""Lines that can carry a published account, and refusals of what is ambiguous (issue 11), by hand.

Every accepted form is checked against a value computed here; every refusal names the
file, the spreadsheet row (the header is row 1) and the column.
"""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import gepcalc as gep
from gepcalc.config import load_config
from gepcalc.errors import CoefficientTableError, ConfigError, LineError
from gepcalc.lines import read_lines, value_lines
from gepcalc.services.base import Item
from gepcalc.services.soil_retention import SoilRetention
from gepcalc.tables import load_table


def _csv(tmp_path: Path, rows: dict, name: str = "yearbook.csv") -> Path:
    path = tmp_path / name
    pd.DataFrame(rows).to_csv(path, index=False, encoding="utf-8-sig")
    return path


def _account(lines, **kw):
    """An account of lines only, prices used as they are (no price index: the arithmetic below is by hand)."""
    return gep.account(lines=lines, year=2020, price_year=2020, price_index=None, **kw)


def _value(acct, service: str) -> float:
    return float(acct.data["value"].sel(service=service).sum())


def test_account_lines_have_machine_columns_and_units_in_attrs(tmp_path):
    """Account.lines: gepcalc's value is ``value_accounted`` [CNY/yr] (unit in attrs); the workbook labels it."""
    path = _csv(
        tmp_path,
        {
            "区域": ["县"],
            "指标": ["water_conservation"],
            "数量": ["2"],
            "单位": ["亿m**3"],
            "价格": ["0.5"],
            "价格单位": ["CNY/m**3"],
            "来源": ["县GEP报告 表3"],
        },
    )
    acct = _account(path)
    assert acct.lines.attrs["units"] == {"value_accounted": "CNY/yr"}
    assert acct.lines["value_accounted"].iloc[0] == pytest.approx(2e8 * 0.5)  # 2 亿 m³ × 0.5 CNY/m³
    assert not [c for c in acct.lines.columns if "CNY" in c or "[" in c]
    book = acct.to_excel(tmp_path / "a.xlsx")
    header = pd.read_excel(book, sheet_name="lines 统计明细", nrows=0).columns
    assert "value_accounted [CNY/yr]" in header


# -- 1. a line that reports only its value ------------------------------------------------------------


def test_value_only_line_counts_its_reported_value(tmp_path):
    # hydropower reported as 12.3 亿元 with no quantity; a water-conservation line with quantity and price
    path = _csv(
        tmp_path,
        {
            "区域": ["县", "县"],
            "指标": ["hydropower", "water_conservation"],
            "项目": ["hydropower", ""],
            "数量": ["", "2"],
            "单位": ["", "亿m**3"],
            "价格": ["", "0.5"],
            "价格单位": ["", "CNY/m**3"],
            "价值": ["12.3", ""],
            "价值单位": ["亿元", ""],
            "来源": ["县统计公报 2020", "县GEP报告 表3"],
        },
    )
    acct = _account(path)
    hydro = 12.3e8  # 12.3 亿元 = 12.3 × 10⁸ CNY
    other = 2e8 * 0.5  # 2 亿 m³ × 0.5 CNY/m³
    assert _value(acct, "hydropower") == pytest.approx(hydro, rel=1e-12)
    assert acct.gep("CNY").magnitude == pytest.approx(hydro + other, rel=1e-12)
    line = acct.lines.set_index("service").loc["hydropower"]
    assert line["priced_by"] == "reported value" and math.isnan(line["quantity"])
    assert math.isnan(line["quantity_accounted"]) and line["value_accounted"] == pytest.approx(hydro)
    assert "as reported" in line["price_source"]
    assert math.isnan(line["difference_from_reported"])  # nothing to compare a value with itself
    # the tidy table shows it with its quantity not given (NaN) and its value; the totals add it
    tidy = acct.table().set_index("service")
    assert math.isnan(tidy.loc["hydropower", "quantity"]) and tidy.loc["hydropower", "value"] == pytest.approx(hydro)
    assert tidy["value"].sum() == pytest.approx(hydro + other)
    total = acct.total("亿元").set_index("category")["value"]
    assert total["GEP"] == pytest.approx(12.3 + 1.0)  # 1e8 CNY = 1 亿元
    summary = acct.by("service", "item", unit="亿元").set_index("service")
    assert math.isnan(summary.loc["hydropower", "quantity"])
    assert summary.loc["hydropower", "value"] == pytest.approx(12.3)
    assert summary.loc["water_conservation", "quantity"] == pytest.approx(2e8)


def test_value_only_line_of_a_regulating_indicator_beside_quantities():
    # water conservation reported only as 117.19 亿元 in region A; region B gives 1 亿 m³ (valued by the rule)
    lines = pd.DataFrame(
        {
            "region": ["A", "B"],
            "service": ["water_conservation"] * 2,
            "quantity": ["", "1"],
            "unit": ["", "亿m**3"],
            "value": ["117.19", ""],
            "value_unit": ["亿元", ""],
        }
    )
    acct = _account(lines, overrides={"prices": {"water_storage_cost": {"price": "6 CNY/m**3"}}})
    v = acct.data["value"].sel(service="water_conservation").sum(["item", "ecosystem", "scenario", "year"])
    assert float(v.sel(region="A")) == pytest.approx(117.19e8)
    assert float(v.sel(region="B")) == pytest.approx(1e8 * 6)  # 1 亿 m³ × 6 CNY/m³
    q = (
        acct.data["quantity"]
        .sel(service="water_conservation")
        .sum(["item", "ecosystem", "scenario", "year"], skipna=False)
    )
    assert np.isnan(float(q.sel(region="A"))) and float(q.sel(region="B")) == pytest.approx(1e8)
    # summed over the regions the quantity is not known (one region gave none), the value is
    by = acct.by("service", unit="CNY").set_index("service").loc["water_conservation"]
    assert math.isnan(by["quantity"]) and by["value"] == pytest.approx(117.19e8 + 6e8)


def test_value_only_line_refused_where_a_rule_needs_its_quantity(tmp_path):
    path = _csv(
        tmp_path,
        {
            "region": ["A", "A"],
            "service": ["water_conservation", "water_supply"],
            "item": ["", "domestic"],
            "quantity": ["", "3"],
            "unit": ["", "万m**3"],
            "price": ["", "2"],
            "price_unit": ["", "CNY/m**3"],
            "value": ["117.19", ""],
            "value_unit": ["亿元", ""],
        },
    )
    with pytest.raises(LineError, match=r"yearbook\.csv, row 2, column 'quantity'.*gives only a value"):
        _account(path, profile="ndrc-2022")


# -- 2. prices per area on area quantities -----------------------------------------------------------


@pytest.mark.parametrize(
    ("quantity", "unit", "price", "price_unit", "expected"),
    [
        ("1000", "hm2", "500", "元/hm²", 1000 * 500),  # 1000 ha × 500 CNY/ha
        ("1000", "公顷", "500", "元/hm2", 1000 * 500),
        ("1000", "ha", "500", "CNY/ha", 1000 * 500),
        ("1000", "ha", "50", "元/亩", 1000 * 15 * 50),  # 1 ha = 15 亩
        ("2", "km**2", "300", "元/公顷", 2 * 100 * 300),  # 1 km² = 100 ha
        ("1.5", "万亩", "40", "元/亩", 1.5e4 * 40),
    ],
)
def test_pest_control_priced_per_area(quantity, unit, price, price_unit, expected):
    lines = pd.DataFrame(
        {
            "region": ["A"],
            "service": ["pest_control"],
            "quantity": [quantity],
            "unit": [unit],
            "price": [price],
            "price_unit": [price_unit],
            "price_source": ["county forestry bureau"],
        }
    )
    acct = _account(lines)
    assert _value(acct, "pest_control") == pytest.approx(expected, rel=1e-12)
    assert acct.lines.iloc[0]["priced_by"] == "line"


# -- 3. sand fixation priced per m² ---------------------------------------------------------------------


def test_sand_fixation_priced_per_square_metre():
    # V = Q / (ρ h) × P: the area of land kept from being buried by Q tonnes of sand, at P per m²
    lines = pd.DataFrame(
        {
            "region": ["A", "B", "C"],
            "service": ["sand_fixation"] * 3,
            "quantity": ["1000", "3000", "500"],
            "unit": ["t", "t", "万t"],
            "price": ["20", "20", ""],
            "price_unit": ["CNY/m**2", "元/m**2", ""],
            "容重 [kg/m**3]": ["1500", "", "1200"],
            "覆沙厚度 [cm]": ["20", "", "5"],
        }
    )
    overrides = {
        "constants": {"sand_bulk_density": {"value": "1.6 t/m**3"}, "sand_cover_depth": {"value": "0.05 m"}},
        "prices": {"sand_control_cost": {"price": "4 CNY/m**2"}},
    }
    acct = _account(lines, overrides=overrides)
    v = acct.data["value"].sel(service="sand_fixation").sum(["item", "ecosystem", "scenario", "year"])
    assert float(v.sel(region="A")) == pytest.approx(1000 / (1.5 * 0.20) * 20, rel=1e-12)  # line's ρ, h, price
    assert float(v.sel(region="B")) == pytest.approx(3000 / (1.6 * 0.05) * 20, rel=1e-12)  # constants table
    assert float(v.sel(region="C")) == pytest.approx(500e4 / (1.2 * 0.05) * 4, rel=1e-12)  # prices table
    got = acct.lines.set_index("region")
    assert "sand_bulk_density = 1.5 t / m**3" in got.loc["A", "price"]
    assert "price = 20.0 CNY/m**2" in got.loc["A", "price_source"]
    assert "sand_bulk_density = 1.6" in got.loc["B", "price_source"]


def test_sand_parameters_in_a_line_of_another_service_are_refused(tmp_path):
    path = _csv(
        tmp_path,
        {"region": ["A"], "service": ["water_conservation"], "quantity": ["1"], "unit": ["m**3"], "容重": ["1.5"]},
    )
    with pytest.raises(LineError, match=r"yearbook\.csv, row 2: column\(s\) \['sand_bulk_density'\] are not value"):
        _account(path)


# -- 4. integer years in overrides -------------------------------------------------------------------


def test_override_takes_a_plain_price_year():
    overrides = {"prices": {"water_storage_cost": {"price": "7.06 CNY/m**3", "price_year": 2010}}}
    table = load_table("prices", overrides=overrides["prices"])
    assert table.data.at["water_storage_cost", "price_year"] == 2010
    assert (
        load_table("prices", overrides={"water_storage_cost": {"price_year": "2012"}}).data.at[
            "water_storage_cost", "price_year"
        ]
        == 2012
    )
    lines = pd.DataFrame({"region": ["A"], "service": ["water_conservation"], "quantity": ["1"], "unit": ["亿m**3"]})
    acct = _account(lines, overrides=overrides)
    assert _value(acct, "water_conservation") == pytest.approx(1e8 * 7.06, rel=1e-12)
    for bad in (2010.5, "2010 yr", True):
        with pytest.raises(CoefficientTableError) as info:
            load_table("prices", overrides={"water_storage_cost": {"price_year": bad}})
        assert "'price_year'" in str(info.value.exceptions[0]) and "whole number" in str(info.value.exceptions[0])


# -- items with their own units -----------------------------------------------------------------------


def _soil_with_items():
    items = (
        Item("siltation", "减少泥沙淤积", "siltation", unit="m**3 / yr"),
        Item("nitrogen", "氮", "nitrogen"),  # no unit of its own: the service's t/yr
    )
    return type("Soil", (SoilRetention,), {"spec": dataclasses.replace(SoilRetention.spec, items=items)})


def test_a_line_is_accounted_in_its_items_own_unit():
    cls = _soil_with_items()
    lines = read_lines(
        pd.DataFrame(
            {
                "region": ["A", "A"],
                "service": ["soil_retention"] * 2,
                "item": ["siltation", "nitrogen"],
                "quantity": ["2", "300"],
                "unit": ["万m**3", "kg"],
                "price": ["5", "4000"],
                "price_unit": ["CNY/m**3", "CNY/t"],
            }
        )
    )
    valued = value_lines(lines, {"soil_retention": cls}, {})
    got = valued.lines.set_index("item")
    assert got.loc["siltation", "quantity_in_unit"] == pytest.approx(2e4)  # 2 万 m³ in m³/yr
    assert got.loc["nitrogen", "quantity_in_unit"] == pytest.approx(0.3)  # 300 kg in t/yr
    assert got.loc["siltation", "value_CNY"] == pytest.approx(2e4 * 5)
    assert got.loc["nitrogen", "value_CNY"] == pytest.approx(0.3 * 4000)
    assert valued.units[("soil_retention", "siltation")] == "m**3 / yr"
    bad = lines.assign(unit=["t", "kg"])
    with pytest.raises(LineError, match=r"row 2: quantity 2.0 t .*cannot be expressed in m\*\*3 / yr.*a volume"):
        value_lines(bad, {"soil_retention": cls}, {})


def test_soil_retention_lines_in_their_items_units(tmp_path):
    # a published account's soil-retention items: siltation in m³, nitrogen in t, each priced in the line
    rows = {
        "region": ["A", "A"],
        "service": ["soil_retention"] * 2,
        "item": ["siltation", "nitrogen"],
        "quantity": ["2", "300"],
        "unit": ["万m**3", "kg"],
        "price": ["5", "4000"],
        "price_unit": ["CNY/m**3", "CNY/t"],
    }
    acct = _account(pd.DataFrame(rows))
    v = acct.data["value"].sel(service="soil_retention").sum(["region", "ecosystem", "scenario", "year"])
    assert float(v.sel(item="siltation")) == pytest.approx(2e4 * 5)  # 2 万 m³ × 5 CNY/m³
    assert float(v.sel(item="nitrogen")) == pytest.approx(0.3 * 4000)  # 300 kg = 0.3 t × 4000 CNY/t
    units = acct.data["item_unit"].sel(service="soil_retention")
    assert units.sel(item="siltation").item() == "m**3/a" and units.sel(item="nitrogen").item() == "t/a"
    path = _csv(tmp_path, {**rows, "unit": ["t", "kg"]})
    with pytest.raises(
        LineError, match=r"yearbook\.csv, row 2: quantity 2.0 t of 'soil_retention'/siltation.*a volume"
    ):
        _account(path)


# -- 5. refusals ---------------------------------------------------------------------------------------


def test_the_same_line_twice_is_refused(tmp_path):
    path = _csv(
        tmp_path,
        {
            "region": ["A", "B", "A"],
            "service": ["water_conservation"] * 3,
            "quantity": ["1", "2", "3"],
            "unit": ["m**3"] * 3,
        },
    )
    with pytest.raises(LineError, match=r"yearbook\.csv, rows 2 and 4: the same line twice.*column region") as info:
        _account(path)
    assert "'water_conservation'" in str(info.value)
    # different ecosystem types (or origins) make different lines: 1 + 3 m³ at 6 CNY/m³
    ok = pd.read_csv(path).assign(ecosystem=["forest", "forest", "grassland"]).astype(str)
    acct = _account(ok, overrides={"prices": {"water_storage_cost": {"price": "6 CNY/m**3"}}})
    assert _value(acct, "water_conservation") == pytest.approx((1 + 2 + 3) * 6)


@pytest.mark.parametrize(("cell", "suggested"), [("19,18", "19.18"), ("1,5", "1.5"), ("1,2345", "1.2345")])
def test_a_decimal_comma_is_refused(tmp_path, cell, suggested):
    path = _csv(tmp_path, {"区域": ["深圳市"], "指标": ["water_conservation"], "数量": [cell], "单位": ["亿m**3"]})
    with pytest.raises(LineError, match=rf"yearbook\.csv, row 2, column 'quantity': '{cell}'.*'{suggested}'"):
        _account(path)


def test_thousands_separators_are_read(tmp_path):
    path = _csv(
        tmp_path,
        {
            "region": ["A", "B"],
            "service": ["water_conservation"] * 2,
            "quantity": ["1,234", "12,345.5"],
            "unit": ["m**3"] * 2,
            "price": ["1,000", "2"],
            "price_unit": ["CNY/m**3"] * 2,
        },
    )
    acct = _account(path)
    assert _value(acct, "water_conservation") == pytest.approx(1234 * 1000 + 12345.5 * 2)


def test_a_decimal_comma_in_a_sites_table_is_refused(tmp_path):
    sites = _csv(
        tmp_path,
        {
            "region": ["A", "A"],
            "site": ["lake", "hill"],
            "visitors [万人次]": ["2", "2,5"],
            "spending [CNY/visit]": ["300", "1,200"],
            "travel_time [h]": ["4", "4"],
            "wage [CNY/h]": ["50", "50"],
        },
        name="sites.csv",
    )
    with pytest.raises(LineError, match=r"sites\.csv.*row 3, column 'visitors \[万人次\]': '2,5'.*'2\.5'"):
        gep.account(statistics={"recreation": sites}, year=2020, price_year=2020, price_index=None)


@pytest.mark.parametrize(
    ("service", "item", "unit", "expected"),
    [
        ("water_conservation", "", "kW*h", "a volume"),
        ("carbon_sequestration", "", "m**3", "a mass"),
        ("climate_regulation", "transpiration", "t", "an energy"),
        ("pest_control", "", "t", "an area"),
        ("hydropower", "hydropower", "m**3", "an energy"),
    ],
)
def test_a_unit_that_does_not_fit_its_indicator_is_refused(tmp_path, service, item, unit, expected):
    path = _csv(tmp_path, {"region": ["A"], "service": [service], "item": [item], "quantity": ["5"], "unit": [unit]})
    with pytest.raises(
        LineError, match=rf"yearbook\.csv, row 2: quantity .*column 'unit' is '{re.escape(unit)}'.*{expected}"
    ):
        _account(path)


def test_a_price_without_a_quantity_is_refused(tmp_path):
    path = _csv(
        tmp_path,
        {
            "region": ["A"],
            "service": ["hydropower"],
            "item": ["hydropower"],
            "quantity": [""],
            "price": ["0.3"],
            "price_unit": ["CNY/(kW*h)"],
            "value": ["1"],
            "value_unit": ["亿元"],
        },
    )
    with pytest.raises(LineError, match=r"yearbook\.csv: rows \[2\], column 'price': a price needs a quantity"):
        _account(path)


def test_a_price_that_prices_nothing_is_refused(tmp_path):
    # water conservation in m³ priced per m²: neither money with the quantity nor a price of its value rule
    path = _csv(
        tmp_path,
        {
            "region": ["A"],
            "service": ["water_conservation"],
            "quantity": ["5"],
            "unit": ["m**3"],
            "price": ["2"],
            "price_unit": ["CNY/m**2"],
        },
    )
    with pytest.raises(LineError, match=r"yearbook\.csv, row 2: .* is not money per year.*column 'price_unit'"):
        _account(path)


def test_an_account_file_overrides_a_price_with_its_year(tmp_path):
    _csv(tmp_path, {"region": ["A"], "service": ["water_conservation"], "quantity": ["2"], "unit": ["m**3"]})
    (tmp_path / "account.toml").write_text(
        '[account]\nlines = ["yearbook.csv"]\nyear = 2020\nprice_year = 2020\nprice_index = "none"\n\n'
        '[overrides.prices.water_storage_cost]\nprice = "7.06 CNY/m**3"\nprice_year = 2010\n',
        encoding="utf-8",
    )
    kwargs, _ = load_config(tmp_path / "account.toml")
    assert kwargs["overrides"] == {"prices": {"water_storage_cost": {"price": "7.06 CNY/m**3", "price_year": 2010}}}
    acct = gep.account(**kwargs)
    assert _value(acct, "water_conservation") == pytest.approx(2 * 7.06)
    (tmp_path / "bad.toml").write_text('[account]\nlines = ["yearbook.csv"]\n\n[overrides]\nprices = 7.06\n')
    with pytest.raises(ConfigError, match=r"bad\.toml: \[overrides\.prices\] must hold one table per row"):
        load_config(tmp_path / "bad.toml")
