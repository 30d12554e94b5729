"""Coefficient tables: built-ins load, problems are collected, units converted or refused."""

import shutil
from pathlib import Path

import pandas as pd
import pytest

from gepcalc.errors import CoefficientTableError, InputFileError, TableProblem
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


def test_non_primary_values_are_labelled():
    prices = load_table("prices")
    flagged = prices.non_primary()
    # 6.11 CNY/m³: LY/T 1721-2008 as quoted by the Baiyangdian paper, not read in the standard
    assert "water_storage_cost" in flagged.index
    assert flagged.at["water_storage_cost", "status"] == "baiyangdian2017_lyt: secondary"
    assert prices.row_status("water_storage_cost") == "secondary"
    assert prices.row_status("seawall_cost") == "empty"


# -- status vocabulary ------------------------------------------------------------------

STATUS_META = {
    "name": "pair",
    "index": "item",
    "index_kind": "item",
    "columns": {
        "value": {"unit": "CNY / t", "min": 0},
        "value_low": {"unit": "CNY / t", "min": 0},
        "value_high": {"unit": "CNY / t", "min": 0},
        "year": {"type": "int"},
    },
    "sources": {
        "std": {"document": "Standard", "clause": "Table A.1", "year": 2008, "status": "primary"},
        "paper": {"document": "Paper", "clause": "Table 3", "year": 2017, "status": "account", "note": "Table 3"},
        "quote": {"document": "Paper 2", "year": 2018, "status": "secondary", "note": "§1.3.2 quoting the standard"},
        "why": {"document": "gepcalc", "year": 2025, "status": "judgement", "note": "44/12 stoichiometry"},
    },
}
STATUS_CSV = (
    "item,value,value_low,value_high,year,source\n"
    "a,1,,,2008,std\n"  # primary
    "b,2,,,2010,std;paper\n"  # primary + account -> account (weakest)
    "c,3,2,4,2010,paper;quote\n"  # account + secondary -> secondary
    "d,4,,,2025,why;std\n"  # judgement
    "e,,,,2020,quote\n"  # empty value (a year is not a value) -> empty
    "f,5,,,2017,paper\n"  # account
)


def test_row_status_is_the_weakest_source_and_empty_rows_count_apart(tmp_path):
    from gepcalc.tables import status_counts

    t = load_table(write_csv(tmp_path / "pair.csv", STATUS_CSV), meta=STATUS_META)
    assert [t.row_status(k) for k in t.keys] == ["primary", "account", "secondary", "judgement", "empty", "account"]
    other = load_table(
        write_csv(tmp_path / "other.csv", "item,value,value_low,value_high,year,source\nz,7,,,2008,std\n"),
        meta={**STATUS_META, "name": "other"},
    )
    counts = status_counts([t, other])
    assert counts.loc["pair"].to_dict() == {
        "primary": 1,
        "account": 2,
        "secondary": 1,
        "judgement": 1,
        "empty": 1,
        "rows": 6,
    }
    assert counts.loc["other"].to_dict() == {
        "primary": 1,
        "account": 0,
        "secondary": 0,
        "judgement": 0,
        "empty": 0,
        "rows": 1,
    }
    assert counts.loc["TOTAL"].to_dict() == {
        "primary": 2,
        "account": 2,
        "secondary": 1,
        "judgement": 1,
        "empty": 1,
        "rows": 7,
    }


def test_status_counts_command(tmp_path):
    from typer.testing import CliRunner

    from gepcalc.cli import app

    csv = write_csv(tmp_path / "pair.csv", STATUS_CSV)
    (tmp_path / "pair.toml").write_text(
        'name = "pair"\nindex = "item"\nindex_kind = "item"\n'
        '[columns.value]\nunit = "CNY / t"\n[columns.value_low]\nunit = "CNY / t"\n'
        '[columns.value_high]\nunit = "CNY / t"\n[columns.year]\ntype = "int"\n'
        '[sources.std]\ndocument = "Standard"\nyear = 2008\n'
        '[sources.paper]\ndocument = "Paper"\nyear = 2017\nstatus = "account"\nnote = "Table 3"\n'
        '[sources.quote]\ndocument = "Paper 2"\nyear = 2018\nstatus = "secondary"\nnote = "§1.3.2"\n'
        '[sources.why]\ndocument = "gepcalc"\nyear = 2025\nstatus = "judgement"\nnote = "44/12"\n',
        encoding="utf-8",
    )
    res = CliRunner().invoke(app, ["tables", str(csv), "--status"])
    assert res.exit_code == 0, res.output
    cells = [line.replace("│", " ").split() for line in res.output.splitlines()]
    assert ["pair", "1", "2", "1", "1", "1", "6"] in cells
    assert ["TOTAL", "1", "2", "1", "1", "1", "6"] in cells
    report = CliRunner().invoke(app, ["tables", str(csv), "--sources"])
    assert report.exit_code == 0 and "| b | account | std, paper |" in report.output


@pytest.mark.parametrize("status", ["account", "secondary", "judgement"])
def test_non_primary_source_needs_a_note(tmp_path, status):
    meta = {**STATUS_META, "sources": {"s": {"document": "Paper", "year": 2017, "status": status}}}
    csv = write_csv(tmp_path / "pair.csv", "item,value,value_low,value_high,year,source\na,1,,,2017,s\n")
    with pytest.raises(CoefficientTableError) as e:
        load_table(csv, meta=meta)
    assert f"table 'pair', source 's': status '{status}' needs a note" in str(e.value.exceptions[0])


@pytest.mark.parametrize("word", ["unconfirmed", "derived", "recalled", "placeholder"])
def test_words_that_are_not_statuses_are_refused(tmp_path, word):
    csv = write_csv(tmp_path / "pair.csv", "item,value,value_low,value_high,year,source\na,1,,,2017,s\n")
    meta = {**STATUS_META, "sources": {"s": {"document": "Paper", "year": 2017, "status": word}}}
    with pytest.raises(CoefficientTableError) as e:
        load_table(csv, meta=meta)
    assert f"status '{word}' is not one of" in str(e.value.exceptions[0])


def test_sources_report_lists_every_non_primary_row(tmp_path):
    from gepcalc.tables import sources_report

    t = load_table(write_csv(tmp_path / "pair.csv", STATUS_CSV), meta=STATUS_META)
    text = sources_report([t])
    rows = [
        line.split(" | ")[0].lstrip("| ") for line in text.splitlines() if line.startswith("| ") and "---" not in line
    ]
    assert rows == ["row", "b", "c", "d", "e", "f"]  # a (primary) is not listed
    assert "* `quote`: Paper 2 (2018) [secondary] — §1.3.2 quoting the standard" in text
    assert "`std`" not in text  # primary sources are not cited


# -- evidence rules of the price, constant, deflator and product tables --------------------

EVIDENCE_TABLES = ("prices", "constants", "deflators", "products")


@pytest.mark.parametrize("name", EVIDENCE_TABLES)
def test_no_recalled_or_placeholder_values(name):
    t = load_table(name)
    words = ("recalled", "placeholder", "no document read")
    for sid, s in t.sources.items():
        assert not any(w in (s.note + s.document).lower() for w in words), sid
        if s.status not in ("primary", "user"):
            assert s.note.strip(), sid
    for key, note in t.data["note"].items():
        assert not any(w in str(note).lower() for w in words), key


def test_prices_have_year_region_and_carbon_basis():
    t = load_table("prices")
    valued = t.data[t.data["price"].notna()]
    assert valued["price_year"].notna().all() and (t.data["region"] != "").all()
    carbon = [k for k in t.keys if k.startswith("carbon_price")]
    assert carbon and all(t.unit("price", k) in ("CNY / tC", "CNY / tCO2") for k in carbon)
    for k in ("water_storage_cost", "carbon_price", "oxygen_price", "electricity_price", "dredging_cost"):
        assert t.data.at[k, "region"] == "national"
    assert (t.data.loc[[k for k in t.keys if k.startswith("treatment_cost_")], "region"] == "national").all()
    # LY/T 1721-2008 via the Shandong paper: 1200 CNY per t C = 1200 × 12.011/44.0095 CNY per t CO2
    assert t.quantity("carbon_price", "price").to("CNY / tCO2").magnitude == pytest.approx(1200 * 12.011 / 44.0095)
    # Gaotianyan 2014: the LY/T prices × the same CPI factor (379.87 / (1200 × 12/44) ≈ 1160.70 / 1000)
    assert 379.87 / (1200 * 12 / 44) == pytest.approx(1160.70 / 1000, abs=2e-4)


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


def test_docs_sources_is_the_report_of_the_builtin_tables():
    """docs/sources.md is generated (`gepcalc tables --sources > docs/sources.md`): it must match the tables."""
    from gepcalc.tables import sources_report

    doc = Path(__file__).resolve().parents[1] / "docs" / "sources.md"
    assert doc.read_text(encoding="utf-8") == sources_report(), "regenerate: gepcalc tables --sources > docs/sources.md"


def test_no_builtin_row_cites_a_recollection_or_a_placeholder():
    """Issue 11: 'recalled' and 'placeholder' are not sources; a value nobody can source is an empty cell."""
    from gepcalc.tables import builtin_tables

    for name in builtin_tables():
        t = load_table(name)
        for sid, s in t.sources.items():
            text = f"{s.document} {s.clause} {s.note}".lower()
            assert "placeholder" not in text and "recalled" not in text, (name, sid)


def test_header_unit_splits_name_and_unit():
    from gepcalc.tables import HEADER_UNIT
    from gepcalc.tables.read import split_header_units

    m = HEADER_UNIT.match("rate [t/km**2/yr]")
    assert (m["name"], m["unit"]) == ("rate", "t/km**2/yr")
    raw, units = split_header_units(pd.DataFrame(columns=["ecosystem", "rate [t/ha/yr]"]))
    assert list(raw.columns) == ["ecosystem", "rate"]
    assert units == {"rate": "t/ha/yr"}


def test_metadata_readers_return_their_problems():
    from gepcalc.tables.metadata import read_columns, read_sources

    columns, problems = read_columns({"columns": {"rate": {"type": "float"}, "kind": {"type": "word"}}})
    assert set(columns) == {"rate", "kind"}
    assert [str(p) for p in problems] == [
        "column 'rate': a numeric column needs a unit (or unit_column)",
        "column 'kind': type 'word' is not one of ('float', 'int', 'bool', 'text')",
    ]
    sources, problems = read_sources({"sources": {"s1": {"document": "Doc", "status": "secondary"}}}, "t")
    assert list(sources) == ["s1"]
    assert all(isinstance(p, TableProblem) for p in problems)
    assert any("needs a note saying paper and section" in str(p) for p in problems)
    assert any("has no year" in str(p) for p in problems)
