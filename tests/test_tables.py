"""Coefficient tables: built-ins load, problems are collected, units converted or refused."""

import shutil

import pandas as pd
import pytest

from gepcalc.errors import CoefficientTableError, InputFileError
from gepcalc.tables import builtin_tables, coefficients_dir, load_table

CARBON_META = {
    "name": "rates",
    "index": "ecosystem",
    "index_kind": "ecosystem",
    "columns": {"rate": {"unit": "t / ha / yr", "min": 0, "max": 20}},
    "sources": {"s1": {"document": "Test document", "clause": "Table 1", "year": 2020, "status": "primary"}},
}


def write_csv(path, text):
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", builtin_tables())
def test_every_builtin_table_loads_with_sources(name):
    t = load_table(name)
    assert len(t.data) > 0
    for key in t.keys:  # every row names a defined source with a year
        sources = t.source_of(key)
        assert sources and all(s.document and (s.year or s.status == "user") for s in sources)
    for col in t.columns.values():
        if col.type == "float":
            assert col.unit or col.unit_column


def test_required_builtin_tables_are_there():
    for name in (
        "ecosystem_types",
        "landcover_igbp",
        "landcover_clcd",
        "landcover_gbt21010",
        "prices",
        "constants",
        "carbon_sequestration",
        "water_conservation",
        "climate_regulation",
    ):
        assert name in builtin_tables()
    eco = load_table("ecosystem_types")
    assert list(eco.keys) == [
        "forest",
        "shrubland",
        "grassland",
        "wetland",
        "farmland",
        "urban",
        "water",
        "bare",
        "glacier",
    ]
    for m in ("landcover_igbp", "landcover_clcd", "landcover_gbt21010"):
        assert set(load_table(m).data["ecosystem"]) <= set(eco.keys)
    # GB/T 21010: 0301 乔木林地 is forest, 1101 河流水面 water
    g = load_table("landcover_gbt21010")
    assert g.data.at[301, "ecosystem"] == "forest" and g.data.at[1101, "ecosystem"] == "water"


def test_unconfirmed_values_are_labelled():
    prices = load_table("prices")
    flagged = prices.unconfirmed()
    assert "water_storage_cost" in flagged.index  # 6.11 CNY/m³ seen only in secondary material
    assert "unconfirmed" in flagged.at["water_storage_cost", "status"]


def test_all_problems_reported_at_once(tmp_path):
    csv = write_csv(
        tmp_path / "rates.csv", "ecosystem,rate,extra,source\nforest,abc,1,s1\ngrassland,45,1,nosuch\nforest,1,1,\n"
    )
    with pytest.raises(CoefficientTableError) as e:
        load_table(csv, meta=CARBON_META)
    msgs = [str(x) for x in e.value.exceptions]
    text = "\n".join(msgs)
    assert "'abc' is not a number (expected t / ha / yr)" in text  # row forest
    assert "45 t / ha / yr is outside the allowed range [0, 20]" in text
    assert "source 'nosuch' is not defined" in text
    assert "column 'extra' is not declared" in text
    assert "key 'forest' appears more than once" in text
    assert len(msgs) >= 5
    assert str(csv) in str(e.value)
    assert isinstance(e.value, ExceptionGroup) and isinstance(e.value, ValueError) is False


def test_header_unit_is_converted(tmp_path):
    # 200 t/km²/yr = 2 t/ha/yr (1 km² = 100 ha)
    csv = write_csv(tmp_path / "rates.csv", "ecosystem,rate [t/km**2/yr],source\nforest,200,s1\n")
    t = load_table(csv, meta=CARBON_META)
    assert t.data.at["forest", "rate"] == pytest.approx(2.0)
    assert t.quantity("forest", "rate").to("t/ha/yr").magnitude == pytest.approx(2.0)


def test_header_unit_of_wrong_dimension_is_refused(tmp_path):
    csv = write_csv(tmp_path / "rates.csv", "ecosystem,rate [kg/yr],source\nforest,200,s1\n")
    with pytest.raises(CoefficientTableError) as e:
        load_table(csv, meta=CARBON_META)
    text = str(e.value)
    assert "column 'rate' header [kg/yr]" in text and "the metadata declares t / ha / yr" in text


def test_declared_unit_of_wrong_dimension_is_caught_when_used(tmp_path):
    meta = {**CARBON_META, "columns": {"rate": {"unit": "t / yr"}}}  # per-area rate declared as t/yr
    t = load_table(write_csv(tmp_path / "rates.csv", "ecosystem,rate,source\nforest,2,s1\n"), meta=meta)
    from gepcalc.errors import UnitError

    with pytest.raises(UnitError, match="cannot be expressed in t / ha / yr"):
        t.values_in("rate", "t / ha / yr")


def test_override_returns_a_copy_and_converts(tmp_path):
    prices = load_table("prices")
    before = prices.data.copy()
    new = prices.override({"water_storage_cost": {"price": "0.000706 万元/m**3"}})
    assert new.quantity("water_storage_cost", "price").to("CNY/m**3").magnitude == pytest.approx(7.06)
    assert new.source_of("water_storage_cost")[0].status == "user"
    pd.testing.assert_frame_equal(prices.data, before)  # the original is untouched
    with pytest.raises(CoefficientTableError) as e:
        prices.override({"water_storage_cost": {"price": "7 kg"}})
    assert "cannot be expressed in CNY / m**3" in str(e.value)


def test_csv_without_metadata_is_explained(tmp_path):
    shutil.copy(coefficients_dir() / "prices.csv", tmp_path / "prices.csv")
    with pytest.raises(InputFileError, match=r"no metadata file prices\.toml"):
        load_table(tmp_path / "prices.csv")
    t = load_table(tmp_path / "prices.csv", meta=load_table("prices"))  # borrows the built-in metadata
    assert t.path == tmp_path / "prices.csv"
    with pytest.raises(InputFileError, match="not one of the built-in tables"):
        load_table("no_such_table")
