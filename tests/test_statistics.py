"""Statistics-driven services, tabular accounts, profiles and price years (issue 5), by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import gepcalc as gep
from conftest import ROOT, SMALL_INPUTS, SMALL_OVERRIDES
from gepcalc.errors import LineError, MissingInputError, UnitError
from gepcalc.lines import UNALLOCATED

# -- a published account reproduced line by line: Shenzhen 2020 -----------------------------------
# Shenzhen's 2020 GEP release (Shenzhen municipal government, 2021; read in a repost): 涵养水源
# 19.18亿吨 → 117.19亿元, 调节气候 680.95亿 kWh → 488.24亿元. Water conservation is entered without a
# price (valued at the reservoir cost 6.11 CNY/m³ of the prices table), climate regulation with
# the implied electricity price 488.24 / 680.95 = 0.717 CNY/kWh.
SHENZHEN = pd.DataFrame(
    {
        "区域": ["深圳市", "深圳市"],
        "指标": ["water_conservation", "climate_regulation"],
        "数量": ["19.18", "680.95"],
        "单位": ["亿m**3", "亿kW*h"],
        "来源": ["深圳市2020年GEP核算结果: 涵养水源19.18亿吨"] * 1
        + ["深圳市2020年GEP核算结果: 调节气候680.95亿千瓦时"],
        "价格": ["", "0.717"],
        "价格单位": ["", "CNY/(kW*h)"],
        "价格来源": ["", "implied: 488.24亿元 / 680.95亿kWh"],
        "价值": ["117.19", "488.24"],
        "价值单位": ["亿元", "亿元"],
    }
)


def test_shenzhen_2020_reproduced_line_by_line():
    acct = gep.account(lines=SHENZHEN, year=2020, price_year=2020, price_index=None)  # the published prices
    v = acct.data["value"].sum(["item", "region", "ecosystem", "scenario", "year"])
    # 1.918e9 m³ × 6.11 CNY/m³ = 11,718,980,000 CNY = 117.19 亿元 (published 117.19)
    assert float(v.sel(service="water_conservation")) == pytest.approx(1.918e9 * 6.11, rel=1e-12)
    # 6.8095e10 kWh × 0.717 CNY/kWh = 48,824,115,000 CNY = 488.24 亿元 (published 488.24)
    assert float(v.sel(service="climate_regulation")) == pytest.approx(6.8095e10 * 0.717, rel=1e-12)
    assert acct.gep("亿元").magnitude == pytest.approx(117.1898 + 488.24115, rel=1e-9)
    lines = acct.lines.set_index("service")
    wc, cr = lines.loc["water_conservation"], lines.loc["climate_regulation"]
    # where each quantity and each price came from
    assert "19.18亿吨" in wc["quantity_source"] and "680.95亿千瓦时" in cr["quantity_source"]
    assert "LY/T 1721" in wc["price_source"] and wc["priced_by"] == "service"
    assert cr["price_source"].startswith("implied") and cr["priced_by"] == "line"
    # the reported values are met within rounding of the published figures
    assert abs(wc["difference_from_reported"]) < 1e-4 and abs(cr["difference_from_reported"]) < 1e-5
    assert acct.data["quantity"].sel(service="water_conservation").sum() == pytest.approx(1.918e9)
    assert set(acct.data["ecosystem"].values) == {UNALLOCATED}
    assert acct.data.attrs["profile"] == "mee-2020"
    assert set(acct.table()["profile"]) == {"mee-2020"}


# -- provisioning and cultural services on the small raster -------------------------------------------
# west: forest 5 ha, urban 1 ha; east: grassland 1 ha, farmland 1 ha, water 3 ha (conftest)


def _lines(**extra) -> pd.DataFrame:
    df = pd.DataFrame(
        {
            "region": ["east", "west", "east", "west", "east"],
            "service": [
                "agricultural_products",
                "agricultural_products",
                "water_supply",
                "forestry_products",
                "other_products",
            ],
            "item": ["grain", "tea", "domestic", "timber", "flowers"],
            "quantity": ["100", "2", "3", "50", "5"],
            "unit": ["t", "t", "万m**3", "m**3", "万元"],
            "source": ["county yearbook 2020, table 12-3"] * 5,
            "price": ["2400", "100000", "", "1000", ""],
            "price_unit": ["CNY/t", "CNY/t", "", "CNY/m**3", ""],
            "price_source": ["county price bureau 2020"] * 2 + [""] + ["forestry bureau"] + [""],
        }
    )
    return df.assign(**extra)


SITES = pd.DataFrame(
    {
        "region": ["east"],
        "site": ["lake park"],
        "visitors [万人次]": ["2"],
        "spending [CNY/visit]": ["300"],
        "travel_time [h]": ["4"],
        "wage [CNY/h]": ["50"],
        "time_share": ["0.3"],  # given: the constants table has no sourced travel_time_value_share
        "source": ["park ticket office 2020"],
    }
)
STAT_SERVICES = [
    "agricultural_products",
    "forestry_products",
    "water_supply",
    "other_products",
    "recreation",
    "carbon_sequestration",
]


def _stat_account(small_lc, halves, **kw):
    return gep.account(
        small_lc,
        halves,
        region_field="name",
        services=STAT_SERVICES,
        lines=_lines(),
        statistics={"recreation": SITES},
        inputs=SMALL_INPUTS,
        overrides=SMALL_OVERRIDES,
        year=2020,
        price_year=2020,
        **kw,
    )


def test_provisioning_and_recreation_by_hand(small_lc, halves):
    acct = _stat_account(small_lc, halves, price_index=None)  # arithmetic on the table prices
    val = acct.data["value"].sum(["scenario", "year"])

    def at(service, item, region, eco):
        return float(val.sel(service=service, item=item, region=region, ecosystem=eco))

    # grain: 100 t × 2400 CNY/t = 240,000 CNY, all on the east's only farmland
    assert at("agricultural_products", "grain", "east", "farmland") == pytest.approx(240_000)
    # tea: 2 t × 100,000 = 200,000 CNY; the west has no farmland: reported as unallocated, with a note
    assert at("agricultural_products", "tea", "west", UNALLOCATED) == pytest.approx(200_000)
    assert any("'west' has none of the ecosystem types" in n for n in acct.notes)
    # water: 3 万m³ = 30,000 m³ × 2.6 CNY/m³ (products table) = 78,000 CNY, on the east's water
    assert at("water_supply", "domestic", "east", "water") == pytest.approx(78_000)
    # timber: 50 m³ × 1000 CNY/m³ = 50,000 CNY, on the west's forest (5 ha, the only forest)
    assert at("forestry_products", "timber", "west", "forest") == pytest.approx(50_000)
    # output value: 5 万元 = 50,000 CNY counted as its own value, shared by area among the east's
    # types that yield other products: grassland 1 ha, farmland 1 ha, water 3 ha → 1/5, 1/5, 3/5
    assert [at("other_products", "flowers", "east", e) for e in ("grassland", "farmland", "water")] == pytest.approx(
        [10_000, 10_000, 30_000]
    )
    # recreation, travel cost: price = 300 + 0.3 × 50 CNY/h × 4 h = 360 CNY/visit; 20,000 visits → 7.2e6 CNY,
    # shared by area among the east's recreation types: grassland 1 ha (1/4), water 3 ha (3/4)
    assert at("recreation", "lake park", "east", "grassland") == pytest.approx(7.2e6 / 4)
    assert at("recreation", "lake park", "east", "water") == pytest.approx(7.2e6 * 3 / 4)
    # units per item: timber in m³/yr, grain in t/yr, visits per year
    units = acct.data["item_unit"]
    assert units.sel(service="forestry_products", item="timber") == "m**3/a"
    assert units.sel(service="agricultural_products", item="grain") == "t/a"
    summary = acct.summary(unit="CNY").set_index(["service", "item"])
    assert summary.loc[("forestry_products", "timber"), "quantity_unit"] == "m³/a"
    assert summary.loc[("recreation", "lake park"), "quantity"] == pytest.approx(20_000)
    # categories: provisioning = 240,000 + 200,000 + 78,000 + 50,000 + 50,000; cultural = 7.2e6
    cats = acct.total(unit="CNY").set_index("category")["value"]
    assert cats["provisioning"] == pytest.approx(618_000)
    assert cats["cultural"] == pytest.approx(7.2e6)
    # provenance of every line: the recreation price says how it was computed
    rec = acct.lines[acct.lines["service"] == "recreation"].iloc[0]
    assert "spending + time_share × wage × travel_time" in rec["price_source"]
    assert rec["quantity_source"] == "park ticket office 2020"
    water = acct.lines[acct.lines["service"] == "water_supply"].iloc[0]
    # the tariff is the Garze 2010 account's (Table 3), cited with its ChinaXiv id
    assert water["priced_by"] == "products table" and "201711.00120" in water["price_source"]


def test_tourism_revenue_and_landscape_value_by_hand():
    sites = SITES.drop(columns=["travel_time [h]", "wage [CNY/h]"]).assign(nature_share=["0.6"])
    homes = pd.DataFrame(
        {
            "region": ["east"],
            "site": ["lakeside"],
            "floor_area [万m**2]": ["2"],
            "unit_price [CNY/m**2]": ["30000"],
            "premium_share": ["0.05"],
            "ecosystem": ["water"],
        }
    )
    acct = gep.account(
        statistics={"recreation": sites, "landscape_value": homes},
        services=["recreation", "landscape_value"],
        methods={"recreation": "tourism_revenue"},
        profile="zhejiang-2020",
    )
    v = acct.data["value"].sum(["item", "region", "ecosystem", "scenario", "year"])
    # 20,000 visits × 300 CNY × 0.6 = 3.6e6 CNY
    assert float(v.sel(service="recreation")) == pytest.approx(3.6e6)
    # 20,000 m² × 30,000 CNY/m² × 0.05 = 3.0e7 CNY
    assert float(v.sel(service="landscape_value")) == pytest.approx(3.0e7)
    assert acct.data["method"].sel(service="recreation") == "tourism_revenue"


def test_services_given_by_lines_replace_rasters(small_lc, halves):
    """A regulating service with lines takes its quantity from them (per region), valued by its own rule."""
    lines = pd.DataFrame(
        {
            "region": ["east", "west"],
            "service": ["water_conservation"] * 2,
            "quantity": ["1000", "2000"],
            "unit": ["m**3", "m**3"],
            "source": ["bureau report"] * 2,
            "ecosystem": ["water", ""],
        }
    )
    acct = gep.account(
        small_lc,
        halves,
        region_field="name",
        services=["water_conservation", "carbon_sequestration"],
        lines=lines,
        inputs=SMALL_INPUTS,
        overrides=SMALL_OVERRIDES,
    )
    q = acct.data["quantity"].sel(service="water_conservation").sum(["item", "scenario", "year"])
    assert float(q.sel(region="east", ecosystem="water")) == 1000
    assert float(q.sel(region="west", ecosystem=UNALLOCATED)) == 2000
    # valued at the overridden reservoir cost of SMALL_OVERRIDES
    price = gep.Q_(SMALL_OVERRIDES["prices"]["water_storage_cost"]["price"]).to("CNY/m**3").magnitude
    v = acct.data["value"].sel(service="water_conservation").sum()
    assert float(v) == pytest.approx(3000 * price)
    assert acct.data["basis"].sel(service="water_conservation") == "lines"
    assert acct.data["basis"].sel(service="carbon_sequestration") == "raster"


# -- errors that name the file, the row and the column -------------------------------------------------


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"service": ["agricultural_prods"] * 5}, LineError, r"agricultural_prods.*gepcalc services"),
        ({"price": ["", "100000", "", "1000", ""]}, LineError, r"row 2: the products table .* no price for "),
        ({"price_unit": ["", "CNY/t", "", "CNY/m**3", ""]}, LineError, r"rows \[2\] give a price without price_unit"),
        ({"region": ["east", "north", "east", "west", "east"]}, LineError, r"row 3: region 'north'"),
        ({"quantity": ["100", "-2", "3", "50", "5"]}, LineError, r"rows \[3\] have negative quantities.*outside"),
        ({"quantity": ["100", "two", "3", "50", "5"]}, LineError, r"column 'quantity' must be a number; rows \[3\]"),
        ({"item": ["grain", "", "domestic", "timber", "flowers"]}, LineError, r"row 3: a 'agricultural_products' line"),
        ({"unit": ["t", "t", "万m**3", "ha", "万元"]}, LineError, r"row 5: quantity 50.0 ha .* cannot be expressed"),
        ({"unit": ["t", "t", "万m**3", "m**3", "万块"]}, UnitError, r"row 6, column 'unit'"),
    ],
)
def test_bad_lines_are_named(small_lc, halves, tmp_path, change, error, match):
    path = tmp_path / "yearbook.csv"
    _lines(**change).to_csv(path, index=False)
    with pytest.raises(error, match=match) as info:
        gep.account(small_lc, halves, region_field="name", services=STAT_SERVICES[:4], lines=path)
    assert "yearbook.csv" in str(info.value) or (error is LineError and "service" in match)


def test_a_named_statistics_service_without_lines_is_an_error(small_lc):
    with pytest.raises(MissingInputError, match=r"'hydropower' is valued from statistics.*lines="):
        gep.account(small_lc, services=["hydropower"])


# -- profiles ------------------------------------------------------------------------------------------


PROFILE_LINES = pd.DataFrame(
    {
        "region": ["county"] * 5,
        "service": ["water_conservation", "water_supply", "water_supply", "negative_oxygen_ions", "recreation"],
        "item": ["", "domestic", "transfer", "", "all sites"],
        "quantity": ["5", "2", "0.5", "1000", "10"],
        "unit": ["亿m**3", "亿m**3", "亿m**3", "exaion", "万visit"],
        "source": ["bulletin"] * 5,
        "price": ["", "", "2.6", "5.8185", "200"],  # ion cost given: the prices table has no sourced value
        "price_unit": ["", "", "CNY/m**3", "CNY/exaion", "CNY/visit"],
        "origin": ["", "", "outside", "", ""],
    }
)


def _by_service(profile: str) -> pd.Series:
    acct = gep.account(lines=PROFILE_LINES, profile=profile)
    return acct.by("service", unit="CNY").set_index("service")["value"], acct


def test_profile_switch_changes_exactly_the_right_indicators():
    mee, a_mee = _by_service("mee-2020")
    ndrc, a_ndrc = _by_service("ndrc-2022")
    gbt, a_gbt = _by_service("gbt-46869-2025")
    zj, a_zj = _by_service("zhejiang-2020")
    wsc = 6.11  # CNY/m³, reservoir cost (prices table)
    # mee-2020: 5e8 m³ × 6.11; supply 2e8 m³ × 2.6 (the outside line not counted); 1e5 visits × 200;
    # negative oxygen ions are not a mee-2020 indicator: left out with a note
    assert mee["water_conservation"] == pytest.approx(5e8 * wsc)
    assert mee["water_supply"] == pytest.approx(2e8 * 2.6)
    assert mee["recreation"] == pytest.approx(1e5 * 200)
    assert "negative_oxygen_ions" not in mee.index
    assert any("negative_oxygen_ions" in n and "does not count" in n for n in a_mee.notes)
    # ndrc-2022: water conservation minus water supply (5e8 − 2e8 m³); nothing else changes
    assert ndrc["water_conservation"] == pytest.approx(3e8 * wsc)
    changed = [s for s in mee.index if not math.isclose(mee[s], ndrc[s], rel_tol=1e-12)]
    assert changed == ["water_conservation"]
    adj = a_ndrc.adjustments.iloc[0]
    assert (adj["service"], adj["because_of"], adj["quantity_before"], adj["quantity_after"]) == (
        "water_conservation",
        "water_supply",
        pytest.approx(5e8),
        pytest.approx(3e8),
    )
    assert any("double counting (ndrc-2022" in n for n in a_ndrc.notes)
    # gbt-46869-2025: also subtracts the 0.5e8 m³ transferred from outside: supply (2 − 0.5)e8 × 2.6,
    # and so water conservation minus 1.5e8 m³
    assert gbt["water_supply"] == pytest.approx(1.5e8 * 2.6)
    assert gbt["water_conservation"] == pytest.approx(3.5e8 * wsc)
    assert sorted(s for s in ndrc.index if not math.isclose(ndrc[s], gbt[s], rel_tol=1e-12)) == [
        "water_conservation",
        "water_supply",
    ]
    assert any("from outside the region" in n and "subtracted" in n for n in a_gbt.notes)
    # zhejiang-2020 counts negative oxygen ions: 1000 exaions × the ion price of the prices table
    ion_price = 5.8185  # CNY/exaion, given in the line (the prices table has no sourced ion cost)
    assert zj["negative_oxygen_ions"] == pytest.approx(1000 * ion_price)
    assert [s for s in zj.index if s not in ndrc.index] == ["negative_oxygen_ions"]
    assert all(math.isclose(zj[s], ndrc[s], rel_tol=1e-12) for s in ndrc.index)
    for a, p in ((a_mee, "mee-2020"), (a_gbt, "gbt-46869-2025"), (a_zj, "zhejiang-2020")):
        assert a.data.attrs["profile"] == p and set(a.table()["profile"]) == {p}


# -- price years ---------------------------------------------------------------------------------------

# national CPI, previous year = 100, 2009-2020 (deflators table)
CPI_2009_2020 = [99.3, 103.3, 105.4, 102.6, 102.6, 102.0, 101.4, 102.0, 101.6, 102.1, 102.9, 102.5]


def test_prices_brought_to_the_price_year_with_cpi():
    one = SHENZHEN.iloc[[0]].drop(columns=["价值", "价值单位"])
    from gepcalc.deflators import from_mapping

    plain = gep.account(lines=one, price_year=2020, price_index=None)
    # the CPI of the test written out (the built-in table has no sourced CPI before 2011)
    table = from_mapping(dict(zip(range(2009, 2021), CPI_2009_2020, strict=True)), index="cpi")
    cpi = gep.account(lines=one, price_year=2020, price_index="cpi", deflators=table)
    # 6.11 CNY/m³ at 2008 prices × Π CPI 2009..2020 / 100 = 6.11 × 1.31368… at 2020 prices
    factor = float(np.prod(np.array(CPI_2009_2020) / 100))
    assert factor == pytest.approx(1.3137, abs=1e-4)
    assert plain.gep().magnitude == pytest.approx(1.918e9 * 6.11)
    assert cpi.gep().magnitude == pytest.approx(1.918e9 * 6.11 * factor, rel=1e-9)
    assert any("no deflator applied" in n for n in plain.notes)
    assert any("brought to 2020 prices with cpi" in n for n in cpi.notes)
    used = cpi.sources[cpi.sources["parameter"] == "price"].iloc[0]
    assert "2008 prices × 1.3137 (cpi, national)" in used["repriced"]
    assert cpi.data.attrs["price_basis"] == "2020 prices (cpi)"


def test_multi_year_series_at_constant_prices():
    """Two years of a tabular account: current, constant 2019 prices, real growth, GEP/GDP, by hand."""
    from gepcalc.series import series

    def year(y, q, p):
        lines = pd.DataFrame(
            {
                "region": ["county"],
                "service": ["water_supply"],
                "item": ["domestic"],
                "quantity": [str(q)],
                "unit": ["亿m**3"],
                "source": [f"bulletin {y}"],
                "price": [str(p)],
                "price_unit": ["CNY/m**3"],
            }
        )
        return gep.account(lines=lines, year=y, price_year=y)

    s = series([year(2019, 2.0, 2.5), year(2020, 2.1, 2.6)], base_year=2019, gdp={2019: "500 亿元", 2020: "520 亿元"})
    t = s.table(unit="亿元").set_index("year")
    # current: 2e8 m³ × 2.5 = 5.0 亿元; 2.1e8 m³ × 2.6 = 5.46 亿元; at constant 2019 prices 5.46 / 1.025 (CPI 2020)
    assert t["gep_current"].tolist() == pytest.approx([5.0, 5.46])
    assert t["gep_constant"].tolist() == pytest.approx([5.0, 5.46 / 1.025])
    # real growth (5.46 / 1.025) / 5.0 − 1 = 6.5366 %; nominal 9.2 %; GEP/GDP 5.46 / 520 = 0.0105
    assert t.loc[2020, "real_growth"] == pytest.approx((5.46 / 1.025 / 5.0 - 1) * 100)
    assert t.loc[2020, "nominal_growth"] == pytest.approx(9.2)
    assert t.loc[2020, "gep_gdp_ratio"] == pytest.approx(5.46 / 520)
    # the change 2019 → 2020 at constant prices: no area (statistics), so no extent effect; the rest splits
    # into condition (quantity) and price effects that add up to 5.46 / 1.025 − 5.0
    d = s.decompose(2019, 2020, by=("service",), unit="亿元").set_index("service")
    total = d.loc["water_supply"]
    effects = [c for c in d.columns if c.startswith(("extent", "condition", "price"))]
    assert sum(total[c] for c in effects) == pytest.approx(5.46 / 1.025 - 5.0)
    assert total[next(c for c in effects if c.startswith("extent"))] == pytest.approx(0.0)


def test_statistics_mapped_to_pixels(small_lc, halves):
    """Each region × type value spread over its pixels by area: the map adds up to the account."""
    from gepcalc.maps import value_map

    acct = _stat_account(small_lc, halves)
    m = value_map(acct, small_lc, halves, region_field="name", services=["recreation"]).compute()
    # recreation 7.2e6 CNY on the east's grassland (1 pixel: 1.8e6) and water (3 pixels: 1.8e6 each)
    assert float(m.sum()) == pytest.approx(7.2e6)
    assert sorted(np.unique(m.values[m.values > 0]).tolist()) == pytest.approx([1.8e6])
    assert int((m.values > 0).sum()) == 4
    everything = value_map(acct, small_lc, halves, region_field="name").compute()
    mapped = acct.data["value"].drop_sel(ecosystem=UNALLOCATED).sum()
    assert float(everything.sum()) == pytest.approx(float(mapped))  # the unallocated tea line has no pixels


# -- the command line --------------------------------------------------------------------------------


def test_cli_account_of_published_lines_and_profiles(tmp_path):
    from typer.testing import CliRunner

    from gepcalc.cli import app

    runner = CliRunner()
    example = ROOT / "data" / "demo" / "shenzhen2020" / "account.toml"
    res = runner.invoke(app, ["account", str(example), "--out", str(tmp_path / "sz")])
    assert res.exit_code == 0, res.output
    assert "605.43" in res.output and "from lines (no land cover)" in res.output  # 117.19 + 488.24 亿元
    book = pd.ExcelFile(tmp_path / "sz" / "account.xlsx")
    assert "lines 统计明细" in book.sheet_names
    lines = pd.read_excel(book, sheet_name="lines 统计明细")
    assert lines["quantity_source"].str.contains("涵养水源19.18亿吨").any()
    csv = pd.read_csv(tmp_path / "sz" / "account.csv", encoding="utf-8-sig")
    assert set(csv["profile"]) == {"mee-2020"} and csv["value"].sum() == pytest.approx(1.918e9 * 6.11 + 48_824_115_000)
    res = runner.invoke(app, ["profiles"])
    assert res.exit_code == 0
    for pid in ("mee-2020", "ndrc-2022", "gbt-46869-2025", "zhejiang-2020", "zhejiang-2025"):
        assert pid in res.output
    # a bad line: the error names the file and the row, exit code 2
    bad = tmp_path / "bad.csv"
    bad.write_text("region,service,quantity,unit\nX,water_conservation,abc,m**3\n", encoding="utf-8")
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[account]\nlines = ["bad.csv"]\n', encoding="utf-8")
    res = runner.invoke(app, ["account", str(cfg), "--out", str(tmp_path / "b")])
    assert res.exit_code == 2 and "bad.csv" in res.output and "rows [2]" in res.output


def test_net_provisioning_profile_applies_the_ecosystem_share(small_lc, halves, tmp_path):
    text = (ROOT / "data" / "profiles" / "mee-2020.toml").read_text(encoding="utf-8")
    net = tmp_path / "net.toml"
    net.write_text(text.replace('id = "mee-2020"', 'id = "net-test"').replace('"gross"', '"net"'), encoding="utf-8")
    kw = dict(region_field="name", services=["agricultural_products"], profile=net)
    one = _lines().iloc[[0]]
    acct = gep.account(small_lc, halves, lines=one.assign(share=["0.6"]), **kw)
    # grain: 100 t × 2400 CNY/t × ecosystem share 0.6 = 144,000 CNY
    assert acct.gep().magnitude == pytest.approx(144_000)
    assert acct.lines["ecosystem_share"].iloc[0] == pytest.approx(0.6)
    assert acct.data.attrs["profile"] == "net-test"
    with pytest.raises(LineError, match=r"net of intermediate inputs.*'agricultural_products'/'grain' has no"):
        gep.account(small_lc, halves, lines=one, **kw)


def test_travel_time_share_follows_the_accounts_tables():
    """The default time share comes from the account's constants table, so an override reaches it."""
    over = {"constants": {"travel_time_value_share": {"value": 0.5}}}
    sites = SITES.drop(columns="time_share")  # no per-site share: the table's (overridden) share applies
    acct = gep.account(statistics={"recreation": sites}, services=["recreation"], overrides=over)
    # 20,000 visits × (300 + 0.5 × 50 CNY/h × 4 h) = 20,000 × 400 = 8.0e6 CNY
    assert acct.gep().magnitude == pytest.approx(8.0e6)
