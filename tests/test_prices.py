"""Prices of one place and one year: repricing by default, regional price rows, the carbon basis (by hand)."""

from __future__ import annotations

import dataclasses
import math

import pandas as pd
import pytest

import gepcalc as gep
from gepcalc.deflators import from_mapping, price_factor, regional, reprice
from gepcalc.errors import ConfigError, MissingInputError, UnitError
from gepcalc.profiles import load_profile
from gepcalc.tables import Source, load_table
from gepcalc.units import Q_, carbon_basis, unit_label

#: molar masses (IUPAC 2021): C 12.011, CO2 = 12.011 + 2 × 15.999 = 44.0095
C_PER_CO2 = 12.011 / 44.0095

#: a user's CPI (previous year = 100) for 2009-2020: the factor 2008 → 2020 prices is the product / 100^12
CPI = {
    2009: 99.3,
    2010: 103.3,
    2011: 105.4,
    2012: 102.6,
    2013: 102.6,
    2014: 102.0,
    2015: 101.4,
    2016: 102.0,
    2017: 101.6,
    2018: 102.1,
    2019: 102.9,
    2020: 102.5,
}
# 0.993 × 1.033 × 1.054 × 1.026 × 1.026 × 1.020 × 1.014 × 1.020 × 1.016 × 1.021 × 1.029 × 1.025
F_2008_2020 = (
    0.993 * 1.033 * 1.054 * 1.026 * 1.026 * 1.020 * 1.014 * 1.020 * 1.016 * 1.021 * 1.029 * 1.025
)  # = 1.313657


def prices(rows: dict[str, tuple[float, str, int, str]]) -> gep.CoefficientTable:
    """A prices table of the built-in shape: {item: (price, unit, price_year, region)}."""
    base = load_table("prices")
    data = pd.DataFrame(
        {
            "price": [r[0] for r in rows.values()],
            "price_low": [float("nan")] * len(rows),
            "price_high": [float("nan")] * len(rows),
            "unit": [r[1] for r in rows.values()],
            "price_year": pd.array([r[2] for r in rows.values()], dtype="Int64"),
            "region": [r[3] for r in rows.values()],
            "name_zh": "",
            "name_en": "",
            "source": "test",
            "note": "",
        },
        index=pd.Index(list(rows), name="item"),
    )
    return dataclasses.replace(base, data=data, sources={"test": Source("test", document="test", status="judgement")})


TWO_YEARS = prices(
    {
        "water_storage_cost": (6.11, "CNY / m**3", 2008, "national"),
        "electricity_price": (0.5, "CNY / kWh", 2020, "national"),
    }
)


def lines(service: str, quantity: str, unit: str) -> pd.DataFrame:
    return pd.DataFrame(
        {"region": ["r"], "service": [service], "quantity": [quantity], "unit": [unit], "source": ["test"]}
    )


WATER = lines("water_conservation", "1000000", "m**3")  # 1e6 m³, valued at water_storage_cost
COOLING = lines("climate_regulation", "1000", "kW*h")  # 1000 kWh, valued at electricity_price
CARBON = lines("carbon_sequestration", "1000", "t")  # 1000 t CO₂, valued at carbon_price


def value(acct, service: str) -> float:
    return float(acct.data["value"].sel(service=service).sum())


def used(acct, row: str) -> pd.Series:
    s = acct.sources
    return s[s["row"] == row].iloc[0]


# -- repricing by default -------------------------------------------------------------------------------


def test_prices_are_repriced_to_the_account_year_by_default():
    d = from_mapping(CPI, index="cpi")
    acct = gep.account(lines=[WATER, COOLING], year=2020, tables={"prices": TWO_YEARS}, deflators=d)
    assert F_2008_2020 == pytest.approx(1.313657, abs=1e-6)
    # 1e6 m³ × 6.11 CNY/m³ (2008 prices) × 1.313657 = 8,026,443 CNY at 2020 prices
    assert value(acct, "water_conservation") == pytest.approx(1e6 * 6.11 * F_2008_2020, rel=1e-12)
    # the 2020 electricity price is already at 2020 prices: 1000 kWh × 0.5 = 500 CNY
    assert value(acct, "climate_regulation") == pytest.approx(500.0, rel=1e-12)
    # the price year defaults to the account's year, and each price says how it was moved
    assert acct.data.attrs["price_year"] == 2020
    assert acct.data.attrs["price_basis"] == "2020 prices (cpi)"
    w = used(acct, "water_storage_cost")
    assert (w["price_year"], w["repriced_to"], w["price_index"]) == (2008, 2020, "cpi/national")
    assert w["price_factor"] == pytest.approx(F_2008_2020, rel=1e-12)
    assert "2008 prices × 1.3137 (cpi, national) → 2020 prices" in w["repriced"]
    e = used(acct, "electricity_price")
    assert e["price_year"] == 2020 and e["repriced"] == "" and math.isnan(e["price_factor"])
    assert any("brought to 2020 prices with cpi" in n for n in acct.notes)


def test_builtin_cpi_reprices_a_2014_price():
    # national CPI 2015-2020 (NBS, previous year = 100): 101.4, 102.0, 101.6, 102.1, 102.9, 102.5
    f = 1.014 * 1.020 * 1.016 * 1.021 * 1.029 * 1.025
    assert price_factor(2014, 2020) == pytest.approx(f, rel=1e-12)
    t = prices({"water_storage_cost": (7.0, "CNY / m**3", 2014, "national")})
    acct = gep.account(lines=WATER, year=2020, tables={"prices": t})
    assert value(acct, "water_conservation") == pytest.approx(1e6 * 7.0 * f, rel=1e-12)


def test_price_index_none_keeps_table_prices_and_says_so():
    acct = gep.account(lines=WATER, year=2020, tables={"prices": TWO_YEARS}, price_index=None)
    # 1e6 m³ × 6.11 CNY/m³, the table price as it is
    assert value(acct, "water_conservation") == pytest.approx(6.11e6, rel=1e-12)
    assert acct.data.attrs["price_basis"] == "table prices"
    note = next(n for n in acct.notes if "water_storage_cost" in n)
    assert "is of 2008, used as is for price year 2020" in note and "price_index=None" in note
    assert "no deflator applied" in note


def test_a_price_year_the_deflator_table_does_not_cover_is_an_error():
    d = from_mapping({y: v for y, v in CPI.items() if y >= 2012}, index="cpi")  # levels 2011-2020
    with pytest.raises(MissingInputError) as err:
        gep.account(lines=WATER, year=2020, tables={"prices": TWO_YEARS}, deflators=d)
    msg = str(err.value)
    assert "table 'prices'" in msg and "row 'water_storage_cost'" in msg and "price_year 2008" in msg
    assert "no level for year(s) [2008]" in msg and "it covers 2011-2020" in msg


def test_an_empty_deflator_needed_is_an_error_naming_the_year():
    d = from_mapping(CPI | {2015: float("nan")}, index="cpi")
    with pytest.raises(MissingInputError, match=r"row 'water_storage_cost'.*no value for year\(s\) \[2015\].*empty"):
        gep.account(lines=WATER, year=2020, tables={"prices": TWO_YEARS}, deflators=d)
    # 2016 → 2020 does not need 2015: 1.016 × 1.021 × 1.029 × 1.025
    assert price_factor(2016, 2020, "cpi", table=d) == pytest.approx(1.016 * 1.021 * 1.029 * 1.025)


def test_a_users_override_is_not_repriced_unless_it_gives_its_year():
    d = from_mapping(CPI, index="cpi")
    plain = gep.account(
        lines=WATER,
        year=2020,
        tables={"prices": TWO_YEARS},
        deflators=d,
        overrides={"prices": {"water_storage_cost": {"price": "7 CNY/m**3"}}},
    )
    assert value(plain, "water_conservation") == pytest.approx(7e6, rel=1e-12)  # 1e6 m³ × 7 CNY/m³
    dated = gep.account(
        lines=WATER,
        year=2020,
        tables={"prices": TWO_YEARS},
        deflators=d,
        overrides={"prices": {"water_storage_cost": {"price": "7 CNY/m**3", "price_year": 2008}}},
    )
    assert value(dated, "water_conservation") == pytest.approx(7e6 * F_2008_2020, rel=1e-12)


def test_reprice_of_a_table_by_hand():
    d = from_mapping(CPI, index="cpi")
    out, done = reprice(TWO_YEARS, 2020, "cpi", deflators=d)
    assert out.data.at["water_storage_cost", "price"] == pytest.approx(6.11 * F_2008_2020)
    assert out.data.at["water_storage_cost", "price_year"] == 2020
    assert list(done) == ["water_storage_cost"]  # the 2020 row needs nothing
    # back to 2010 prices: 6.11 × 0.993 × 1.033
    back, _ = reprice(TWO_YEARS, 2010, "cpi", deflators=d, keys=["water_storage_cost"])
    assert back.data.at["water_storage_cost", "price"] == pytest.approx(6.11 * 0.993 * 1.033)


def test_no_year_keeps_table_prices_with_a_note():
    acct = gep.account(lines=WATER, tables={"prices": TWO_YEARS})
    assert value(acct, "water_conservation") == pytest.approx(6.11e6, rel=1e-12)
    assert any("no year or price_year given" in n and "2008" in n for n in acct.notes)


# -- carbon basis ---------------------------------------------------------------------------------------


def test_carbon_units():
    # 1 CNY/tC = 12.011/44.0095 CNY/tCO2 = 0.272918 CNY/tCO2
    assert Q_(1, "CNY / tC").to("CNY / tCO2").magnitude == pytest.approx(C_PER_CO2, rel=1e-15)
    assert Q_(1, "tC").to("t").magnitude == pytest.approx(44.0095 / 12.011, rel=1e-15)
    assert (carbon_basis("CNY / tC"), carbon_basis("CNY/tCO2"), carbon_basis("CNY / t")) == ("C", "CO2", None)
    assert unit_label("tCO2 / yr") == "tCO₂/a"


def test_a_price_per_tc_is_converted_by_12_44_and_recorded():
    t = prices({"carbon_price": (100.0, "CNY / tC", 2020, "national")})
    acct = gep.account(lines=CARBON, year=2020, tables={"prices": t})
    # 1000 t CO₂ × 100 CNY/tC × 12.011/44.0095 = 27,291.83 CNY
    assert value(acct, "carbon_sequestration") == pytest.approx(1000 * 100 * 12.011 / 44.0095, rel=1e-12)
    assert value(acct, "carbon_sequestration") == pytest.approx(27_291.8347, rel=1e-9)
    c = used(acct, "carbon_price")
    assert c["unit_conversion"].startswith("CNY / tC → CNY / tCO2 × 0.272918") and "12/44" in c["unit_conversion"]
    assert acct.summary(unit="CNY").set_index("service").loc["carbon_sequestration", "quantity_unit"] == "tCO₂/a"


def test_a_carbon_price_per_plain_t_in_a_table_is_refused():
    t = prices({"carbon_price": (100.0, "CNY / t", 2020, "national")})
    with pytest.raises(UnitError, match=r"table 'prices'.*row 'carbon_price'.*'CNY / tC'.*'CNY / tCO2'"):
        gep.account(lines=CARBON, year=2020, tables={"prices": t})
    # a user's own price per t is per t CO₂ (the service's basis): 1000 t × 50 CNY/t
    acct = gep.account(
        lines=CARBON,
        year=2020,
        tables={"prices": t},
        overrides={"prices": {"carbon_price": {"price": "50 CNY/t"}}},
    )
    assert value(acct, "carbon_sequestration") == pytest.approx(50_000, rel=1e-12)


def test_tc_is_refused_for_a_carbon_rate():
    from gepcalc.resolve.carbon_basis import carbon_conversion as _carbon_conversion
    from gepcalc.services import get

    rate = get("carbon_sequestration").spec.param("sequestration_rate")
    with pytest.raises(UnitError, match="tC/tCO2"):
        _carbon_conversion(rate, "tC / ha / yr", "input 'sequestration_rate'")


# -- prices of one place --------------------------------------------------------------------------------

REGIONAL = prices(
    {
        "electricity_price": (0.5, "CNY / kWh", 2020, "national"),
        "electricity_price@zhejiang": (0.538, "CNY / kWh", 2020, "zhejiang"),
    }
)


def test_profiles_declare_their_price_region():
    for p in ("mee-2020", "ndrc-2022", "gbt-46869-2025"):
        assert (load_profile(p).price_index, load_profile(p).price_region) == ("cpi", ("national",))
    for p in ("zhejiang-2020", "zhejiang-2025"):
        assert (load_profile(p).price_index, load_profile(p).price_region) == ("cpi", ("zhejiang",))


def test_national_profile_uses_the_national_row_zhejiang_the_zhejiang_row():
    nat = gep.account(lines=COOLING, year=2020, tables={"prices": REGIONAL}, profile="mee-2020")
    zj = gep.account(lines=COOLING, year=2020, tables={"prices": REGIONAL}, profile="zhejiang-2020")
    assert value(nat, "climate_regulation") == pytest.approx(1000 * 0.5, rel=1e-12)  # 500 CNY
    assert value(zj, "climate_regulation") == pytest.approx(1000 * 0.538, rel=1e-12)  # 538 CNY
    assert used(nat, "electricity_price")["price_region"] == "national"
    assert used(zj, "electricity_price@zhejiang")["price_region"] == "zhejiang"  # the row actually read
    # account(price_region=...) chooses too; an override of the row a service names wins over the variant
    assert value(
        gep.account(lines=COOLING, year=2020, tables={"prices": REGIONAL}, price_region="zhejiang"),
        "climate_regulation",
    ) == pytest.approx(538.0)
    over = gep.account(
        lines=COOLING,
        year=2020,
        tables={"prices": REGIONAL},
        profile="zhejiang-2020",
        overrides={"prices": {"electricity_price": {"price": "0.6 CNY/kWh"}}},
    )
    assert value(over, "climate_regulation") == pytest.approx(600.0)


def test_zhejiang_falls_back_to_the_national_row():
    t = prices({"electricity_price": (0.5, "CNY / kWh", 2020, "national")})
    zj = gep.account(lines=COOLING, year=2020, tables={"prices": t}, profile="zhejiang-2020")
    assert value(zj, "climate_regulation") == pytest.approx(500.0)


def test_a_variant_must_name_its_region():
    bad = prices({"electricity_price@zhejiang": (0.538, "CNY / kWh", 2020, "national")})
    with pytest.raises(ConfigError, match=r"row 'electricity_price@zhejiang'.*region = R.*'national'"):
        regional(bad, "zhejiang")


# -- lines priced by the products table -----------------------------------------------------------------


def _products(price_year: int) -> gep.CoefficientTable:
    """The built-in products table with water_supply.domestic at 2.6 CNY/m³ of ``price_year`` (national)."""
    base = load_table("products")
    data = base.data.copy()
    data.loc["water_supply.domestic", ["price", "price_year"]] = [2.6, price_year]
    if "region" in data.columns:
        data.loc["water_supply.domestic", "region"] = "national"
    return dataclasses.replace(base, data=data)


DOMESTIC = pd.DataFrame(
    {
        "region": ["r"],
        "service": ["water_supply"],
        "item": ["domestic"],
        "quantity": ["1000"],
        "unit": ["m**3"],
        "source": ["test"],
    }
)


def test_a_line_priced_by_the_products_table_is_repriced_and_says_so():
    d = from_mapping(CPI, index="cpi")
    acct = gep.account(lines=DOMESTIC, year=2020, tables={"products": _products(2008)}, deflators=d)
    # 1000 m³ × 2.6 CNY/m³ (2008 prices) × 1.313657 = 3415.51 CNY at 2020 prices
    assert acct.gep().magnitude == pytest.approx(1000 * 2.6 * F_2008_2020, rel=1e-12)
    line = acct.lines.iloc[0]
    assert "products[water_supply.domestic]: 2008 prices × 1.3137 (cpi, national) → 2020 prices" == line["repriced"]
    # a products price year the deflator table does not cover stops the account, naming the row
    short = from_mapping({y: v for y, v in CPI.items() if y >= 2012}, index="cpi")
    with pytest.raises(MissingInputError, match=r"table 'products'.*row 'water_supply.domestic'.*\[2008\]"):
        gep.account(lines=DOMESTIC, year=2020, tables={"products": _products(2008)}, deflators=short)
