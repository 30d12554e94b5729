"""Data and presentation apart (issue 12 point 6): machine columns with units in ``attrs``, headers made
only by the exports, and an account without a year shows it as missing (never −1)."""

import math

import numpy as np
import pandas as pd
import pytest

import gepcalc as gep
from conftest import SMALL_INPUTS, SMALL_OVERRIDES, SMALL_SERVICES
from gepcalc.account import TIDY_COLUMNS
from gepcalc.deflators import constant_prices, price_years
from gepcalc.errors import ConfigError
from gepcalc.export import labelled
from gepcalc.result import concat, known_year
from gepcalc.series import series


def _small(lc, **kw):
    args = dict(inputs=SMALL_INPUTS, services=SMALL_SERVICES, overrides=SMALL_OVERRIDES, region_name="county")
    return gep.account(lc, **(args | kw))


def test_views_have_machine_columns_and_units_in_attrs(small_lc):
    acct = _small(small_lc, year=2020, price_year=2020)
    by = acct.by("service", unit="万元")
    assert list(by.columns) == [
        "service",
        "name_zh",
        "name_en",
        "category",
        "quantity",
        "quantity_unit",
        "value",
        "share",
    ]
    assert by.attrs["units"] == {"value": "万元/yr"}
    assert acct.by("region", unit="CNY").attrs["units"] == {"value": "CNY/yr"}
    tot = acct.total(unit="亿元")
    assert list(tot.columns) == ["category", "name_zh", "name_en", "value", "share"]
    assert tot.attrs["units"] == {"value": "亿元/yr"}
    s = acct.summary(unit="万元")
    assert {"name_zh", "name_en", "value"} <= set(s.columns) and s.attrs["units"] == {"value": "万元/yr"}
    assert not any("[" in str(c) or c in ("指标", "indicator") for v in (by, tot, s) for c in v.columns)
    # the same numbers as gep(), in the unit asked for
    assert tot.set_index("category").at["GEP", "value"] == pytest.approx(acct.gep("亿元").magnitude, rel=1e-12)


def test_labelled_makes_the_headers_people_read(small_lc):
    acct = _small(small_lc, year=2020, price_year=2020)
    s = labelled(acct.summary(unit="万元"), indicator=True)
    assert {"指标", "indicator", "value [万元/yr]"} <= set(s.columns) and "value" not in s.columns
    assert list(labelled(acct.total(unit="CNY")).columns) == [
        "category",
        "name_zh",
        "name_en",
        "value [CNY/yr]",
        "share",
    ]
    # a frame without units keeps its columns
    assert list(labelled(pd.DataFrame({"value": [1.0]})).columns) == ["value"]


def test_excel_sheets_map_machine_columns_to_headers(small_lc, tmp_path):
    acct = _small(small_lc, year=2020, price_year=2020)
    book = pd.read_excel(acct.to_excel(tmp_path / "a.xlsx", value_unit="万元"), sheet_name=None)
    assert {"指标", "indicator", "value [万元/yr]", "share"} <= set(book["summary 汇总"].columns)
    assert "value [万元/yr]" in book["categories 类别"].columns and "name_zh" in book["categories 类别"].columns
    assert "value [万元/yr]" in book["regions 区域"].columns
    assert "value [万元/yr]" in book["ecosystems 生态系统"].columns
    assert "value" in book["account 核算表"].columns  # the tidy table: value with its value_unit column
    summary = book["summary 汇总"].set_index("service")
    view = acct.summary(unit="万元").set_index("service")
    assert summary.at["water_conservation", "value [万元/yr]"] == pytest.approx(view.at["water_conservation", "value"])


def test_an_account_without_a_year_shows_it_missing(small_lc, tmp_path):
    acct = _small(small_lc)  # no year, no price year
    assert acct.data.sizes["year"] == 1 and math.isnan(float(acct.data["year"].values[0]))
    assert acct.data.attrs["price_year"] is None
    assert known_year(acct.data["year"].values[0]) is None and known_year(-1) is None and known_year(2020) == 2020
    t = acct.table()
    assert t["year"].isna().all() and t["price_year"].isna().all()
    back = pd.read_csv(acct.to_csv(tmp_path / "a.csv"), encoding="utf-8-sig", keep_default_na=False, dtype=str)
    assert list(back.columns) == TIDY_COLUMNS
    assert (back["year"] == "").all() and (back["price_year"] == "").all()
    assert not (back == "-1").any().any()
    text = (tmp_path / "a.csv").read_text(encoding="utf-8-sig")
    assert ",-1," not in text and not text.rstrip().endswith("-1")
    sheet = pd.read_excel(acct.to_excel(tmp_path / "a.xlsx"), sheet_name="account 核算表")
    assert sheet["year"].isna().all()
    # the views and totals work as with a year
    assert acct.by("year", unit="CNY")["value"].sum() == pytest.approx(acct.gep("CNY").magnitude)


def test_concat_with_and_without_a_year(small_lc):
    a = _small(small_lc, scenario="a")
    b = _small(small_lc, scenario="b")
    both = concat([a, b])
    assert both.data.sizes["scenario"] == 2 and both.data.sizes["year"] == 1
    assert known_year(both.data["year"].values[0]) is None and both.data.attrs.get("price_basis") != "current"
    assert both.gep("CNY").magnitude == pytest.approx(2 * a.gep("CNY").magnitude)
    y20 = _small(small_lc, year=2020, price_year=2020)
    y21 = _small(small_lc, year=2021, price_year=2021)
    years = concat([y20, y21])
    assert [known_year(y) for y in years.data["year"].values] == [2020, 2021]
    assert years.data.attrs["price_basis"] == "current"
    assert np.issubdtype(years.data["year"].dtype, np.integer)


def test_deflators_and_series_with_and_without_a_year(small_lc):
    none = _small(small_lc)
    with pytest.raises(ConfigError, match="price_year"):
        price_years(none)
    with pytest.raises(ConfigError, match="has no year"):
        series([none], base_year=2020)
    # no year but a price year: deflating works, the year stays missing
    priced = _small(small_lc, price_year=2020)
    assert price_years(priced) == {None: 2020}
    out = constant_prices(priced, 2020)
    assert out.gep("CNY").magnitude == pytest.approx(priced.gep("CNY").magnitude)
    assert known_year(out.data["year"].values[0]) is None
    dated = _small(small_lc, year=2020, price_year=2020)
    assert price_years(dated) == {2020: 2020}
    s = series([dated], base_year=2020)
    assert s.years == [2020]


def test_the_dataset_carries_its_units_for_pint_xarray(small_lc):
    import pint_xarray  # noqa: F401  (registers the .pint accessor)

    from gepcalc.units import ureg

    acct = _small(small_lc, year=2020, price_year=2020)
    q = acct.data[["value", "area"]].pint.quantify(unit_registry=ureg)
    total = q["value"].sum().pint.to("亿元 / yr")
    assert float(total.pint.magnitude) == pytest.approx(acct.gep("亿元").magnitude, rel=1e-12)
    assert float(q["area"].sum().pint.to("ha").pint.magnitude) == pytest.approx(11.0)


def test_the_report_and_console_show_a_missing_year_as_missing(small_lc, tmp_path, capsys):
    from gepcalc.cli.accounts import show_account

    acct = _small(small_lc)
    page = acct.to_html(tmp_path / "a.html").read_text(encoding="utf-8")
    assert "核算年份 year — · 价格年份 price year —" in page and "year -1" not in page
    show_account(acct, "万元")
    out = capsys.readouterr().out
    assert "year — · price year —" in out and "-1" not in out
