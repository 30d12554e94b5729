"""Price base years, deflators, multi-year series and the change decomposition, checked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from gepcalc.account import Account
from gepcalc.deflators import constant_prices, from_mapping, level, price_factor, price_years
from gepcalc.errors import ConfigError, MissingInputError, UnitError
from gepcalc.series import decompose_cells, series
from gepcalc.tables import load_table
from gepcalc.units import Q_

#: a made-up index, previous year = 100: prices +2 % in 2019, +5 % in 2020, -2 % in 2021
USER = {2019: 102.0, 2020: 105.0, 2021: 98.0}


def cny(text: str) -> float:
    """Magnitude in CNY/yr of e.g. '100 亿元/yr' (so tests never write powers of ten)."""
    return float(Q_(text).to("CNY/yr").magnitude)


def make_account(
    year: int,
    cells: dict[tuple[str, str], tuple[float, float]],
    areas: dict[str, float],
    *,
    price_year: int | None = None,
    categories: dict[str, str] | None = None,
) -> Account:
    """An account of one region 'R' built directly as a Dataset.

    ``cells``: {(service, ecosystem): (quantity, value [CNY/yr])}; ``areas``: {ecosystem: area [m²]}.
    """
    services = sorted({s for s, _ in cells})
    ecos = sorted(areas)
    q = np.full((len(services), 1, 1, len(ecos), 1, 1), np.nan)
    v = np.full_like(q, np.nan)
    for (s, e), (qq, vv) in cells.items():
        q[services.index(s), 0, 0, ecos.index(e), 0, 0] = qq
        v[services.index(s), 0, 0, ecos.index(e), 0, 0] = vv
    dims = ("service", "item", "region", "ecosystem", "scenario", "year")
    coords = {
        "service": services,
        "item": [""],
        "region": ["R"],
        "ecosystem": ecos,
        "scenario": ["base"],
        "year": [year],
    }
    area = np.array([[[[areas[e] for e in ecos]]]])  # scenario, year, region, ecosystem
    cats = categories or {}
    ds = xr.Dataset(
        {
            "quantity": (dims, q),
            "value": (dims, v),
            "area": (("scenario", "year", "region", "ecosystem"), area),
        },
        coords=coords,
    ).assign_coords(
        category=("service", [cats.get(s, "regulating") for s in services]),
        name_zh=("service", [f"指标{s}" for s in services]),
        name_en=("service", [f"indicator {s}" for s in services]),
        quantity_unit=("service", ["t / yr"] * len(services)),
    )
    ds.attrs.update(price_year=price_year if price_year is not None else year, profile="test")
    return Account(ds)


# -- the table and chain-linking ---------------------------------------------------------------------


def test_builtin_deflator_table_loads_with_sources():
    t = load_table("deflators")
    assert {"cpi", "ppi", "agri_ppi"} <= set(t.data["series"])
    assert set(t.data["region"]) == {"national", "zhejiang"}
    assert t.data.loc["cpi:national:2020", "value"] == pytest.approx(102.5)
    # every year 2010-2024 of the national series (CPI from 2000) and 2015-2024 for Zhejiang
    for s in ("cpi", "ppi", "agri_ppi"):
        assert sorted(t.data[(t.data["series"] == s) & (t.data["region"] == "national")]["year"]) == list(
            range(2000 if s == "cpi" else 2010, 2025)
        )
    assert sorted(t.data[t.data["region"] == "zhejiang"]["year"]) == list(range(2015, 2025))
    statuses = {s.status for s in t.sources.values()}
    assert statuses <= {"primary", "secondary", "judgement"}
    # values read in news reproductions of NBS releases are not the primary document: flagged too
    assert "cpi:national:2020" in t.non_primary().index and t.row_status("cpi:national:2020") == "secondary"
    # a value nobody could source is an empty cell (its note says which communique to fill it from)
    assert t.row_status("agri_ppi:national:2020") == "empty"


def test_chain_linking_previous_year_100():
    t = from_mapping(USER)
    # levels: 2018 = 1 (year before the first row); 2019 = 1.02; 2020 = 1.02 × 1.05 = 1.071;
    #         2021 = 1.071 × 0.98 = 1.04958
    lv = level("user", years=[2018, 2019, 2020, 2021], table=t)
    assert lv.tolist() == pytest.approx([1.0, 1.02, 1.071, 1.04958])
    # with base 2020: 1.02 / 1.071 = 0.952381
    assert level("user", years=[2019], base=2020, table=t).iloc[0] == pytest.approx(1.02 / 1.071)
    # 2019 prices -> 2021 prices: 1.05 × 0.98 = 1.029; and back: 1 / 1.029
    assert price_factor(2019, 2021, "user", table=t) == pytest.approx(1.029)
    assert price_factor(2021, 2019, "user", table=t) == pytest.approx(1 / 1.029)
    assert price_factor(2020, 2020, "user", table=t) == 1.0


def test_builtin_cpi_factor():
    # CPI 2021 100.9, 2022 102.0, 2023 100.2: 2020 -> 2023 prices = 1.009 × 1.020 × 1.002 = 1.03123836
    assert price_factor(2020, 2023) == pytest.approx(1.03123836)
    # Zhejiang 2023 100.3 (communique): 2022 -> 2023 = 1.003
    assert price_factor(2022, 2023, region="zhejiang") == pytest.approx(1.003)


def test_missing_year_and_series_are_named():
    with pytest.raises(MissingInputError, match=r"'cpi'.*'national'.*\[1995\]"):
        price_factor(1995, 2020)
    with pytest.raises(MissingInputError, match=r"'gdp_deflator'.*'national'"):
        price_factor(2015, 2020, index="gdp_deflator")
    gap = from_mapping({2019: 101.0, 2021: 102.0})
    with pytest.raises(MissingInputError, match=r"year\(s\) \[2020\]"):
        price_factor(2019, 2021, "user", table=gap)


# -- one account at constant prices -------------------------------------------------------------------


def test_constant_prices_of_one_account():
    acct = make_account(2021, {("s", "forest"): (50.0, 1029.0)}, {"forest": 10.0})
    out = constant_prices(acct, 2019, "user", table=from_mapping(USER))
    # 1029 CNY/yr at 2021 prices × L2019/L2021 = 1029 / 1.029 = 1000
    assert float(out.data["value"].sum()) == pytest.approx(1000.0)
    assert float(out.data["quantity"].sum()) == 50.0  # quantities unchanged
    assert out.data.attrs["price_basis"] == "constant 2019 prices (user)"
    assert out.data.attrs["price_year"] == 2019
    assert acct.data.attrs["price_year"] == 2021  # the input is untouched
    assert set(out.sources["row"]) == {"user:national:2020", "user:national:2021"}
    assert "1029" not in out.notes[-1] and "2021→2019" in out.notes[-1]


def test_price_year_unknown_is_refused():
    acct = make_account(2021, {("s", "forest"): (1.0, 1.0)}, {"forest": 1.0}, price_year=-1)
    with pytest.raises(ConfigError, match="price_year"):
        price_years(acct)
    acct.data.attrs["price_basis"] = "current"
    assert price_years(acct) == {2021: 2021}


# -- the three-year series ----------------------------------------------------------------------------


def three_years(price_years_: dict[int, int] | None = None) -> list[Account]:
    # GEP 100, 110, 121 亿元/yr at current prices of each year (nominal +10 % a year)
    values = {2019: "100 亿元/yr", 2020: "110 亿元/yr", 2021: "121 亿元/yr"}
    py = price_years_ or {}
    return [
        make_account(y, {("s", "forest"): (1.0, cny(v))}, {"forest": 1.0}, price_year=py.get(y, y))
        for y, v in values.items()
    ]


def test_series_current_constant_growth_and_gdp():
    s = series(
        three_years(),
        2019,
        "user",
        table=from_mapping(USER),
        gdp={2019: "1000 亿元", 2020: "1100 亿元", 2021: "12100 亿元"},
    )
    df = s.table("亿元")
    assert df["year"].tolist() == [2019, 2020, 2021]
    assert df["gep_current"].tolist() == pytest.approx([100, 110, 121])
    # constant 2019 prices: 110 / 1.05 = 104.7619; 121 / (1.05 × 0.98) = 121 / 1.029 = 117.5899
    assert df["gep_constant"].tolist() == pytest.approx([100, 104.76190, 117.58990], rel=1e-6)
    # nominal +10 %, +10 %; real: 104.7619 / 100 - 1 = 4.7619 %, 1.1 / 0.98 - 1 = 12.2449 %
    assert df["nominal_growth"].tolist()[1:] == pytest.approx([10.0, 10.0])
    assert df["real_growth"].tolist()[1:] == pytest.approx([4.761905, 12.244898], rel=1e-6)
    assert np.isnan(df["real_growth"].iloc[0])
    assert df["growth_from"].tolist()[1:] == [2019, 2020]
    # GEP/GDP at current prices: 100/1000, 110/1100, 121/12100
    assert df["gep_gdp_ratio"].tolist() == pytest.approx([0.1, 0.1, 0.01])
    assert df["gdp"].tolist() == pytest.approx([1000, 1100, 12100])
    # the same in 万元
    assert s.table("万元")["gep_current"].iloc[0] == pytest.approx(1_000_000)


def test_series_account_at_older_price_year():
    # the 2021 account is valued with 2019 prices (e.g. a price table of 2019): 121 亿元 at 2019 prices
    s = series(three_years({2021: 2019}), 2019, "user", table=from_mapping(USER))
    df = s.table()
    # current 2021 prices: 121 × 1.029 = 124.509; constant 2019 prices: 121 as given
    assert df["gep_current"].iloc[2] == pytest.approx(124.509)
    assert df["gep_constant"].iloc[2] == pytest.approx(121.0)


def test_series_by_category_and_service():
    accts = [
        make_account(
            y,
            {("a", "forest"): (1.0, cny(f"{va} 亿元/yr")), ("p", "forest"): (1.0, cny(f"{vp} 亿元/yr"))},
            {"forest": 1.0},
            categories={"p": "provisioning"},
        )
        for y, va, vp in ((2019, 60, 40), (2020, 63, 42))
    ]
    s = series(accts, 2019, "user", table=from_mapping(USER))
    cat = s.by("category")
    row = cat[(cat["category"] == "provisioning") & (cat["year"] == 2020)].iloc[0]
    # 42 / 1.05 = 40 at 2019 prices: real growth 0
    assert row["value_constant"] == pytest.approx(40.0)
    assert row["real_growth"] == pytest.approx(0.0, abs=1e-9)
    svc = s.by("service")
    assert set(svc["name_zh"]) == {"指标a", "指标p"}
    assert svc["value_current"].sum() == pytest.approx(60 + 40 + 63 + 42)


def test_gdp_needs_a_money_unit():
    with pytest.raises(UnitError):
        series(three_years(), 2019, "user", table=from_mapping(USER), gdp={2019: 1000})
    with pytest.raises(UnitError, match="not a money amount"):
        series(three_years(), 2019, "user", table=from_mapping(USER), gdp={2019: "1000 t"})


def test_same_year_twice_is_refused():
    a = three_years()
    with pytest.raises(ConfigError, match="year 2019"):
        series([a[0], a[0]], 2019, "user", table=from_mapping(USER))


# -- the change decomposition -------------------------------------------------------------------------

FLAT = {2020: 100.0, 2021: 100.0}  # no price change: constant = current values


def test_decomposition_hand_example():
    # forest: area 10 -> 12 m², quantity per area 5 -> 4 (Q 50 -> 48), price 2 -> 3 CNY per unit (V 100 -> 144)
    #   extent    = 2 × [(5·2 + 4·3)/3 + (5·3 + 4·2)/6] = 2 × (22/3 + 23/6) = 67/3 = 22.3333
    #   condition = -1 × [(10·2 + 12·3)/3 + (10·3 + 12·2)/6] = -(56/3 + 9) = -83/3 = -27.6667
    #   price     = 1 × [(10·5 + 12·4)/3 + (10·4 + 12·5)/6] = 98/3 + 50/3 = 148/3 = 49.3333
    #   sum = (67 - 83 + 148)/3 = 44 = 144 - 100
    # statistics line "stat" on the type "none" without area: Q 10 -> 12, V 20 -> 30 (price 2 -> 2.5)
    #   a ≡ 1: extent 0; condition = 2 × [(2 + 2.5)/3 + (2.5 + 2)/6] = 4.5; price = 0.5 × [22/3 + 22/6] = 5.5
    # water appears: area 0 -> 5, Q 0 -> 10, V 0 -> 30: all extent (30)
    y0 = make_account(
        2020,
        {("s", "forest"): (50.0, 100.0), ("stat", "none"): (10.0, 20.0), ("s", "water"): (0.0, 0.0)},
        {"forest": 10.0, "none": 0.0, "water": 0.0},
    )
    y1 = make_account(
        2021,
        {("s", "forest"): (48.0, 144.0), ("stat", "none"): (12.0, 30.0), ("s", "water"): (10.0, 30.0)},
        {"forest": 12.0, "none": 0.0, "water": 5.0},
    )
    s = series([y0, y1], 2020, "user", table=from_mapping(FLAT))
    d = s.decompose(2020, 2021, by=("service", "ecosystem"), unit="CNY")
    d = d.set_index(["service", "ecosystem"])
    cols = ["extent", "condition", "price", "change"]
    assert d.loc[("s", "forest"), cols].tolist() == pytest.approx([67 / 3, -83 / 3, 148 / 3, 44])
    assert d.loc[("stat", "none"), cols].tolist() == pytest.approx([0, 4.5, 5.5, 10])
    assert d.loc[("s", "water"), cols].tolist() == pytest.approx([30, 0, 0, 30])
    total = d.iloc[-1]  # the total row
    assert total["change"] == pytest.approx(44 + 10 + 30)
    # the effects add up exactly, per line and in total
    assert (d[cols[:3]].sum(axis=1) - d[cols[3]]).abs().max() < 1e-9
    # by service only: s = forest + water
    by_s = s.decompose(2020, 2021, unit="CNY").set_index("service")
    assert by_s.loc["s", "extent"] == pytest.approx(67 / 3 + 30)
    # no grouping: one row
    tot = s.decompose(2020, 2021, by=(), unit="CNY")
    assert tot["change"].iloc[0] == pytest.approx(84)


def test_decomposition_uses_constant_prices():
    # prices rise 5 % (index 105) and the line's value rises 5 %: at constant prices no change at all
    y0 = make_account(2019, {("s", "forest"): (50.0, 100.0)}, {"forest": 10.0})
    y1 = make_account(2020, {("s", "forest"): (50.0, 105.0)}, {"forest": 10.0})
    s = series([y0, y1], 2019, "user", table=from_mapping(USER))
    d = s.decompose(2019, 2020, by=(), unit="CNY")
    assert d[["change", "extent", "condition", "price"]].iloc[0].tolist() == (pytest.approx([0, 0, 0, 0], abs=1e-9))


def test_decompose_cells_degenerate_cases_add_up():
    rng = np.random.default_rng(0)
    n = 200
    A0, A1 = rng.choice([0.0, 1.0, 5.0], n), rng.choice([0.0, 2.0, 5.0], n)
    Q0, Q1 = rng.choice([0.0, 3.0, 7.0], n), rng.choice([0.0, 4.0, np.nan], n)
    V0, V1 = rng.choice([0.0, 9.0, 11.0], n), rng.choice([0.0, 8.0, np.nan], n)
    e = decompose_cells(A0, A1, Q0, Q1, V0, V1)
    assert np.isfinite(e["extent"]).all() and np.isfinite(e["price"]).all()
    np.testing.assert_allclose(e["extent"] + e["condition"] + e["price"], e["change"], atol=1e-9)


# -- exports ------------------------------------------------------------------------------------------


def test_to_excel_and_plot(tmp_path):
    s = series(three_years(), 2019, "user", table=from_mapping(USER), gdp={2019: "1000 亿元"})
    path = s.to_excel(tmp_path / "series.xlsx")
    sheets = pd.read_excel(path, sheet_name=None)
    first = sheets["年度GEP by year"]
    assert "现价GEP / GEP at current prices [亿元/yr]" in first.columns
    assert "实际增长率(不变价) / real growth (constant prices) [%]" in first.columns
    assert "变化分解 decomposition" in sheets and "平减指数 deflator" in sheets
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    fig = s.plot()
    assert len(fig.axes) == 2


# -- with real accounts on the small raster ------------------------------------------------------------


def test_series_of_real_accounts_by_region(small_lc, halves):
    import gepcalc as gep
    from conftest import SMALL_INPUTS, SMALL_OVERRIDES, SMALL_SERVICES

    def acct(year):
        return gep.account(
            small_lc,
            halves,
            region_field="name",
            inputs=SMALL_INPUTS,
            services=SMALL_SERVICES,
            overrides=SMALL_OVERRIDES,
            year=year,
            price_year=year,
            price_index=None,  # the table prices in both years (this test is about the series arithmetic)
        )

    a20, a21 = acct(2020), acct(2021)
    # same landscape and inputs: the 2021 account's values are the 2020 values (prices given, not deflated)
    s = series([a20, a21], 2020, "user", table=from_mapping(FLAT | {2021: 110.0}), gdp={"west": {2020: "1 亿元"}})
    v20 = float(a20.data["value"].sum())
    df = s.table("CNY")
    assert df["gep_constant"].tolist() == pytest.approx([v20, v20 / 1.1])
    # real growth: 1/1.1 - 1 = -9.0909 %
    assert df["real_growth"].iloc[1] == pytest.approx(-100 / 11)
    reg = s.table("CNY", by=["region"])
    assert set(reg["region"]) == {"west", "east"}
    west20 = reg[(reg["region"] == "west") & (reg["year"] == 2020)].iloc[0]
    # GEP/GDP of the west in 2020: its GEP [CNY/yr] × 1 yr / 1 亿元
    assert west20["gep_gdp_ratio"] == pytest.approx(west20["gep_current"] / float(Q_("1 亿元").to("CNY").m))
    assert np.isnan(reg[reg["region"] == "east"]["gep_gdp_ratio"]).all()
    # the decomposition: quantities and areas unchanged, so the whole change is a price effect
    d = s.decompose(2020, 2021, by=("region",), unit="CNY").set_index("region")
    assert d.loc["total", "price"] == pytest.approx(v20 / 1.1 - v20)
    assert d.loc["total", "extent"] == pytest.approx(0, abs=1e-6)
    assert d.loc["total", "condition"] == pytest.approx(0, abs=1e-6)
