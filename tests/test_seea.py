"""SEEA EA tables (gepcalc.seea), by hand on the small raster.

Opening land cover: tests/conftest.py SMALL_CODES (1 ha cells): forest 5, grassland 1, farmland 1,
urban 1, water 3 (one nodata cell).  Closing: the grassland cell becomes forest (10 → 2), one forest
cell farmland (5 → 12), one water cell wetland (0 → 11).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import gepcalc
from conftest import SMALL_CODES, SMALL_INPUTS, write_raster
from gepcalc import seea
from gepcalc.errors import ConfigError

OVERRIDES = {
    "carbon_sequestration": {
        "forest": {"sequestration_rate": "2 t/ha/yr"},
        "grassland": {"sequestration_rate": "0.5 t/ha/yr"},
    },
    "water_conservation": {"forest": {"runoff_coefficient": 0.05}, "grassland": {"runoff_coefficient": 0.1}},
    "prices": {
        "carbon_price": {"price": "50 CNY/tCO2", "price_year": 2020},
        "water_storage_cost": {"price": "6 CNY/m**3", "price_year": 2020},
    },
}
CO2 = 44.0095 / 12.011
#: the closing year has wetland: its evapotranspiration too
INPUTS = {
    **SMALL_INPUTS,
    "evapotranspiration": {"unit": "mm/yr", "values": {"forest": 800, "grassland": 600, "wetland": 900}},
}


@pytest.fixture
def pair(tmp_path):
    closing = SMALL_CODES.copy()
    closing[0, 2] = 2
    closing[1, 0] = 12
    closing[0, 3] = 11
    a = write_raster(tmp_path / "lc2019.tif", SMALL_CODES, nodata=255)
    b = write_raster(tmp_path / "lc2020.tif", closing, nodata=255)
    return a, b


def acct(lc, year=2020, services=("carbon_sequestration",)):
    return gepcalc.account(
        lc,
        services=list(services),
        inputs=INPUTS,
        overrides=OVERRIDES,
        year=year,
        price_year=2020,
        region_name="small",
    )


def test_change_matrix_and_extent_account_add_up(pair):
    m = seea.change_matrix(*pair)
    expect = {
        ("forest", "forest"): 4,
        ("forest", "farmland"): 1,
        ("grassland", "forest"): 1,
        ("water", "water"): 2,
        ("water", "wetland"): 1,
        ("farmland", "farmland"): 1,
        ("urban", "urban"): 1,
    }
    for (o, c), ha in expect.items():
        assert m.loc[o, c] == pytest.approx(ha, rel=1e-12)
    assert m.to_numpy().sum() == pytest.approx(11, rel=1e-12)  # 12 cells, one nodata
    assert m.attrs["nodata_area"] == pytest.approx(1.0)
    ext = seea.extent_account(pd.Series(dtype=float), None, m).set_index("extent [ha]")
    by_hand = {  # opening, additions, reductions, closing
        "forest": (5, 1, 1, 5),
        "grassland": (1, 0, 1, 0),
        "farmland": (1, 1, 0, 2),
        "water": (3, 0, 1, 2),
        "wetland": (0, 1, 0, 1),
        "urban": (1, 0, 0, 1),
    }
    for eco, (o, add, red, c) in by_hand.items():
        col = ext[eco]
        assert (col["opening extent"], col["additions to extent"], col["reductions in extent"]) == pytest.approx(
            (o, add, red)
        )
        assert col["closing extent"] == pytest.approx(c)
        assert col["opening extent"] + col["additions to extent"] - col["reductions in extent"] == pytest.approx(
            col["closing extent"], abs=1e-12
        )
    assert ext.loc["opening extent", "total"] == pytest.approx(11)
    assert ext.loc["closing extent", "total"] == pytest.approx(11)
    # and the extent equals the two land covers' areas as the accounts see them
    a0, a1 = acct(pair[0], 2019), acct(pair[1])
    for a, row in ((a0, "opening extent"), (a1, "closing extent")):
        area = a.data["area"].sum(["region", "scenario", "year"]).to_series() / 10_000
        for eco in by_hand:
            assert ext.loc[row, eco] == pytest.approx(area.get(eco, 0.0), abs=1e-9)


def test_supply_equals_use_and_use_shares_by_hand(pair):
    a = acct(pair[0], services=("carbon_sequestration", "water_conservation"))
    t = a.to_seea(unit="CNY", use={"carbon_sequestration": {"households": 0.25, "government": 0.75}})
    for kind in ("physical", "monetary"):
        sup, use = t[f"supply {kind}"], t[f"use {kind}"]
        np.testing.assert_allclose(use["total"].to_numpy(), sup["total"].to_numpy(), rtol=1e-12)
        assert use["total"].sum() == pytest.approx(sup["total"].sum(), rel=1e-12)
    sup = t["supply monetary"].set_index("service")
    use = t["use monetary"].set_index("service")
    # carbon: forest 5 ha × 2 t C/ha + grassland 1 ha × 0.5 t C/ha, × 44.0095/12.011 t CO2, × 50 CNY/t CO2
    v_c = (5 * 2 + 1 * 0.5) * CO2 * 50
    assert sup.loc["carbon_sequestration", "forest"] == pytest.approx(5 * 2 * CO2 * 50, rel=1e-12)
    assert sup.loc["carbon_sequestration", "total"] == pytest.approx(v_c, rel=1e-12)
    assert use.loc["carbon_sequestration", "households"] == pytest.approx(0.25 * v_c, rel=1e-12)
    assert use.loc["carbon_sequestration", "government"] == pytest.approx(0.75 * v_c, rel=1e-12)
    # water conservation by its default (government): (1.4 − 0.05 × 1.4 − 0.8) m × 5 ha + (1.4 − 0.14 − 0.6) m × 1 ha
    q_w = (1.4 - 0.07 - 0.8) * 50_000 + (1.4 - 0.14 - 0.6) * 10_000
    phys = t["use physical"].set_index("service")
    assert phys.loc["water_conservation", "government"] == pytest.approx(q_w, rel=1e-12)
    assert phys.loc["water_conservation", "households"] == 0
    assert sup.loc["carbon_sequestration", "SEEA EA service"] == "global climate regulation services"
    with pytest.raises(ConfigError, match="add up to 1"):
        a.to_seea(use={"carbon_sequestration": {"households": 0.5}})
    with pytest.raises(ConfigError, match="unknown economic unit"):
        a.to_seea(use={"carbon_sequestration": {"farmers": 1.0}})


def test_asset_value_of_a_constant_flow_is_the_annuity(pair):
    a = acct(pair[0])
    r, life = 0.05, 20
    annuity = (1 - 1.05**-20) / 0.05  # 12.4622…
    assert seea.annuity_factor(r, life) == pytest.approx(12.462210342, rel=1e-9)
    assert seea.annuity_factor(0.0, life) == 20
    t = a.to_seea(a, discount_rate=r, asset_life=life, unit="CNY")
    asset = t["asset account"].set_index("asset account [CNY]")
    v_forest = 5 * 2 * CO2 * 50
    assert asset.loc["opening value", "forest"] == pytest.approx(v_forest * annuity, rel=1e-12)
    assert asset.loc["closing value", "total"] == pytest.approx(asset.loc["opening value", "total"], rel=1e-12)
    assert asset.loc["additions: ecosystem conversions", "total"] == 0
    assert t.parameters["discount_rate"] == 0.05 and t.parameters["asset_life"] == "20 yr"


def test_asset_change_is_explained_by_conversions_and_enhancement(pair):
    a0, a1 = acct(pair[0], 2019), acct(pair[1])
    t = a0.to_seea(a1, landcover=pair, discount_rate=0.03, asset_life=30, unit="CNY")
    asset = t["asset account"].set_index("asset account [CNY]")
    ann = (1 - 1.03**-30) / 0.03
    add = asset.loc["additions: ecosystem enhancement"] + asset.loc["additions: ecosystem conversions"]
    red = asset.loc["reductions: ecosystem degradation"] + asset.loc["reductions: ecosystem conversions"]
    np.testing.assert_allclose(
        (asset.loc["opening value"] + add - red).to_numpy(), asset.loc["closing value"].to_numpy(), rtol=1e-12
    )
    # grassland (1 ha × 0.5 t C/ha) is converted away; wetland (1 ha at the table's 1.06 t C/ha) is new
    assert asset.loc["reductions: ecosystem conversions", "grassland"] == pytest.approx(0.5 * CO2 * 50 * ann)
    v_wet = float(a1.data["value"].sel(ecosystem="wetland").sum())
    assert asset.loc["additions: ecosystem conversions", "wetland"] == pytest.approx(v_wet * ann, rel=1e-12)
    assert asset.loc["additions: ecosystem conversions", "forest"] == 0  # 5 ha in both years
    assert "change matrix (ha)" in t.tables


def test_condition_account_and_workbook_one_sheet_per_table(pair, tmp_path):
    a0, a1 = acct(pair[0], 2019, ("water_conservation",)), acct(pair[1], 2020, ("water_conservation",))
    t = a0.to_seea(
        a1,
        matrix=seea.change_matrix(*pair),
        condition={
            "npp": {
                "unit": "g C/m**2/yr",
                "class": "functional state",
                "opening": {"forest": 800},
                "closing": {"forest": 760},
                "reference": {"forest": 900},
                "source": "test",
            }
        },
        discount_rate=0.03,
        asset_life=30,
        path=tmp_path / "seea.xlsx",
    )
    cond = t["condition account"].set_index(["variable", "ecosystem"])
    assert cond.loc[("npp", "forest"), "change"] == -40
    assert cond.loc[("npp", "forest"), "reference level"] == 900
    # the account's per-type actual evapotranspiration input (tests/conftest.py SMALL_INPUTS)
    assert cond.loc[("evapotranspiration", "forest"), "opening"] == 800
    assert cond.loc[("evapotranspiration", "grassland"), "closing"] == 600
    sheets = pd.ExcelFile(tmp_path / "seea.xlsx").sheet_names
    assert sheets == [*list(t.tables)[:31], "about"]
    assert {
        "extent account",
        "change matrix (ha)",
        "condition account",
        "supply physical 2019",
        "use monetary 2020",
        "asset account",
    } <= set(sheets)


def test_the_package_calls_seea_like_the_account_method(pair):
    a = acct(pair[0])
    by_module = gepcalc.seea(a, discount_rate=0.05, asset_life=20, unit="CNY")
    by_method = a.to_seea(discount_rate=0.05, asset_life=20, unit="CNY")
    assert list(by_module.tables) == list(by_method.tables)
    pd.testing.assert_frame_equal(by_module["asset account"], by_method["asset account"])
    assert "asset account left out" in " ".join(a.to_seea().notes)


def test_accounts_without_a_year_name_their_tables_opening_and_closing(pair):
    # issue 12 point 6: an account without a year (NaN coordinate) or price year (None) is missing, not −1
    kw = dict(services=["carbon_sequestration"], inputs=INPUTS, overrides=OVERRIDES, region_name="small")
    a0 = gepcalc.account(pair[0], **kw)
    a1 = gepcalc.account(pair[1], price_year=2020, **kw)
    assert a0.data.attrs.get("price_year") is None and np.isnan(a0.data["year"].values[0])
    t = a0.to_seea(a1, discount_rate=0.03, asset_life=30, unit="CNY")
    assert {"supply physical opening", "use monetary opening", "supply monetary closing"} <= set(t.tables)
    assert "asset account: opening at — prices, closing at 2020 prices" in " ".join(t.notes)
    one = a0.to_seea(unit="CNY")
    assert one["supply monetary"].set_index("service").loc["carbon_sequestration", "total"] > 0
