"""Account.context (gepcalc.context): what an account was computed from, revalue and recompute, by hand.

The small 3 × 4 raster of conftest, 1 ha cells: forest = codes 2, 2, 5, 8, 2 = 5 ha = 50 000 m²,
grassland = 1 ha.  Water conservation (water balance), P = 1400 mm/yr, runoff coefficient α and ET per type:
forest    Q = (1.4 − 0.05 × 1.4 − 0.8) m × 50 000 m² = 0.53 m × 50 000 m² = 26 500 m³/yr,
grassland Q = (1.4 − 0.1 × 1.4 − 0.6) m × 10 000 m² = 0.66 m × 10 000 m² =  6 600 m³/yr,
priced at 6.11 CNY/m³ (SMALL_OVERRIDES): 161 915 and 40 326 CNY/yr.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

import gepcalc
from conftest import SMALL_CODES, SMALL_CRS, SMALL_INPUTS, SMALL_OVERRIDES, SMALL_SERVICES, write_raster
from gepcalc import uncertainty as unc
from gepcalc.context import AccountContext
from gepcalc.errors import ConfigError
from gepcalc.tables import load_table

WATER_M3 = {"forest": (1.4 - 0.05 * 1.4 - 0.8) * 50_000, "grassland": (1.4 - 0.1 * 1.4 - 0.6) * 10_000}


def small(small_lc, **kw):
    return gepcalc.account(
        small_lc,
        services=SMALL_SERVICES,
        inputs=SMALL_INPUTS,
        overrides=SMALL_OVERRIDES,
        year=2020,
        price_year=2020,
        **kw,
    )


def water(acct, what: str = "value"):
    return acct.data[what].sel(service="water_conservation", item="").isel(scenario=0, year=0, region=0)


def test_context_fields(small_lc):
    acct = small(small_lc)
    ctx = acct.context
    assert isinstance(ctx, AccountContext)
    assert [c.spec.id for c in ctx.classes] == SMALL_SERVICES
    assert ctx.items["climate_regulation"] == ("transpiration", "evaporation")
    assert ctx.items_of("water_conservation") == ()
    assert ctx.from_lines == frozenset()
    assert ctx.profile.id == "mee-2020"
    assert dict(ctx.inputs) == SMALL_INPUTS
    assert ctx.kwargs["year"] == 2020 and ctx.kwargs["landcover"] == small_lc
    assert ctx.kwargs["overrides"] is SMALL_OVERRIDES
    # the landscape: 5 forest cells and 1 grassland cell of 1 ha
    eco = np.asarray(ctx.land.ecosystem.values)
    ids = list(ctx.land.ecosystem_ids)
    assert int((eco == ids.index("forest") + 1).sum()) == 5
    assert int((eco == ids.index("grassland") + 1).sum()) == 1
    # the tables as used: the override of the water price, the value parameters resolved from them
    assert ctx.tables["prices"].data.at["water_storage_cost", "price"] == pytest.approx(6.11)
    assert ctx.value_arguments("water_conservation") == {"price": pytest.approx(6.11)}
    assert ctx.value_arguments("oxygen_release") == {"price": pytest.approx(1000.0)}
    assert ctx.physical_arguments("water_conservation")["precipitation"] == pytest.approx(1400.0)
    # the account's numbers, by hand
    for e, q in WATER_M3.items():
        assert float(water(acct, "quantity").sel(ecosystem=e)) == pytest.approx(q, rel=1e-12)
        assert float(water(acct).sel(ecosystem=e)) == pytest.approx(q * 6.11, rel=1e-12)
    with pytest.raises(ConfigError, match="'soil_retention' is not in this account"):
        ctx.service("soil_retention")


def test_revalue_with_a_doubled_price_doubles_that_service_exactly(small_lc):
    acct = small(small_lc)
    twice = acct.revalue(overrides={"prices": {"water_storage_cost": {"price": "12.22 CNY/m**3"}}})
    v0, v1 = acct.data["value"], twice.data["value"]
    # 12.22 = 2 × 6.11: every value of the service doubles, bit for bit (×2 is exact in floating point)
    np.testing.assert_array_equal(v1.sel(service="water_conservation"), 2 * v0.sel(service="water_conservation"))
    for e, q in WATER_M3.items():
        assert float(water(twice).sel(ecosystem=e)) == pytest.approx(q * 12.22, rel=1e-12)
    # quantities and the other services unchanged
    np.testing.assert_array_equal(twice.data["quantity"], acct.data["quantity"])
    others = [s for s in SMALL_SERVICES if s != "water_conservation"]
    np.testing.assert_array_equal(v1.sel(service=others), v0.sel(service=others))
    # GEP grows by the water value at 6.11 CNY/m³: (26 500 + 6 600) × 6.11 = 202 241 CNY/yr
    assert twice.gep("CNY").magnitude - acct.gep("CNY").magnitude == pytest.approx(33_100 * 6.11, rel=1e-12)
    # sources: the new price replaces the old one, the other prices keep their rows; the notes say so
    water_price = twice.sources[
        (twice.sources["service"] == "water_conservation") & (twice.sources["table"] == "prices")
    ]
    assert water_price["value"].tolist() == ["12.22 CNY/m³"]
    assert len(twice.sources) == len(acct.sources)
    assert any(n.startswith("revalued (Account.revalue)") for n in twice.notes)
    assert acct.context.tables["prices"].data.at["water_storage_cost", "price"] == pytest.approx(6.11)  # untouched


def test_revalue_of_a_service_with_items(small_lc):
    # climate regulation: items transpiration and evaporation, both priced at 0.5 CNY/kWh; 1.0 doubles both
    acct = small(small_lc)
    twice = acct.revalue(overrides={"prices": {"electricity_price": {"price": "1.0 CNY/kWh"}}})
    v0 = acct.data["value"].sel(service="climate_regulation", item=["transpiration", "evaporation"])
    v1 = twice.data["value"].sel(service="climate_regulation", item=["transpiration", "evaporation"])
    assert float(v0.sum()) > 0
    np.testing.assert_array_equal(v1, 2 * v0)
    assert bool(twice.data["value"].sel(service="climate_regulation", item="").isnull().all())  # no such item


def test_revalue_with_a_table_and_without_change(small_lc):
    acct = small(small_lc)
    np.testing.assert_array_equal(acct.revalue().data["value"], acct.data["value"])  # the account's own prices
    prices = load_table(acct.context.tables["prices"], overrides={"oxygen_price": {"price": "2000 CNY/t"}})
    twice = acct.revalue(prices={"prices": prices})
    np.testing.assert_array_equal(
        twice.data["value"].sel(service="oxygen_release"), 2 * acct.data["value"].sel(service="oxygen_release")
    )
    with pytest.raises(ConfigError, match="table 'pricez' was not used by this account"):
        acct.revalue(overrides={"pricez": {"oxygen_price": {"price": "2000 CNY/t"}}})


def test_recompute_with_another_year_and_after_revalue(small_lc):
    acct = small(small_lc)
    later = acct.recompute(year=2021)
    assert later.data["year"].values.tolist() == [2021]
    assert later.data.attrs["price_year"] == 2020  # given explicitly to the first account: kept
    np.testing.assert_array_equal(later.data["value"].values, acct.data["value"].values)
    assert later.context.kwargs["year"] == 2021
    # a revalued account recomputes with its new price: 26 500 m³ × 12.22 CNY/m³ on the forest
    twice = acct.revalue(overrides={"prices": {"water_storage_cost": {"price": "12.22 CNY/m**3"}}})
    again = twice.recompute()
    np.testing.assert_allclose(again.data["value"], twice.data["value"], rtol=1e-12)
    assert float(water(again).sel(ecosystem="forest")) == pytest.approx(WATER_M3["forest"] * 12.22, rel=1e-12)


def test_accounts_not_computed_have_no_context(small_lc):
    a = small(small_lc)
    both = gepcalc.concat([a, a.recompute(year=2021)])
    assert both.context is None and a.sel(region=a.data["region"].values[:1]).context is None
    with pytest.raises(ConfigError, match="no context"):
        both.revalue()
    with pytest.raises(ConfigError, match="no context"):
        both.recompute(year=2022)
    with pytest.raises(ConfigError, match="no context"):
        unc.monte_carlo(both, 5)


def test_monte_carlo_from_the_context_equals_the_attached_one(small_lc):
    ranged = {**SMALL_OVERRIDES["prices"], "oxygen_price": {"price": "1000 CNY/t", "price_low": "800 CNY/t"}}
    ranged["oxygen_price"]["price_high"] = "1500 CNY/t"
    kw = dict(overrides={**SMALL_OVERRIDES, "prices": ranged})
    attached = gepcalc.account(
        small_lc, services=SMALL_SERVICES, inputs=SMALL_INPUTS, year=2020, price_year=2020, uncertainty=40, seed=5, **kw
    )
    point = gepcalc.account(small_lc, services=SMALL_SERVICES, inputs=SMALL_INPUTS, year=2020, price_year=2020, **kw)
    u = unc.monte_carlo(point, 40, seed=5)
    np.testing.assert_array_equal(u.draws(()).values, attached.uncertainty.draws(()).values)
    # only the oxygen price is drawn: GEP of a draw = GEP + V_oxygen × (φ − 1)
    phi = u.factors["prices[oxygen_price].price"].to_numpy()
    v_o = float(point.data["value"].sel(service="oxygen_release").sum())
    np.testing.assert_allclose(u.draws(()).values, point.gep("CNY").magnitude + v_o * (phi - 1), rtol=1e-12)
    # a revalued account does not redraw: no uncertainty, and the draws' notes are gone with it
    again = attached.revalue()
    assert again.uncertainty is None and again.notes[:-1] == point.notes
    np.testing.assert_array_equal(again.data["value"], point.data["value"])


@pytest.fixture
def project_files(tmp_path, small_lc):
    codes = SMALL_CODES.copy()
    codes[0, 2], codes[1, 2] = 2, 5  # grassland and cropland of the east half become forest
    with_lc = write_raster(tmp_path / "lc_with.tif", codes, nodata=255)
    x0, y1 = 700_000, 3_300_400
    east = gpd.GeoDataFrame({"name": ["east"]}, geometry=[box(x0 + 200, y1 - 300, x0 + 400, y1)], crs=SMALL_CRS)
    east.to_file(tmp_path / "east.geojson")
    return small_lc, with_lc, tmp_path / "east.geojson"


def test_project_states_read_the_context(project_files):
    base_lc, with_lc, boundary = project_files
    res = gepcalc.project(
        {
            "project": {
                "name": "east",
                "boundary": str(boundary),
                "services": ["carbon_sequestration"],
                "year": 2020,
                "price_year": 2020,
            },
            "schedule": {"start_year": 2025, "horizon": 6, "construction": [2025], "ramp_up": 3, "discount_rate": 0.05},
            "baseline": {
                "landcover": str(base_lc),
                "overrides": {
                    "carbon_sequestration": {
                        "forest": {"sequestration_rate": "2 t/ha/yr"},
                        "grassland": {"sequestration_rate": "0.5 t/ha/yr"},
                    },
                    "prices": {"carbon_price": {"price": "50 CNY/t"}},
                },
            },
            "with_project": {"landcover": str(with_lc)},
        }
    )
    # ΔGEP = [(2 − 0.5) + (2 − 0)] t C/ha/yr × 1 ha × 44.0095/12.011 × 50 CNY/t CO₂
    dv = 3.5 * 44.0095 / 12.011 * 50
    assert res.gep_change("CNY").magnitude == pytest.approx(dv, rel=1e-12)
    st = res.with_project
    assert st.land is st.account.context.land and st.kwargs["scenario"] == "with_project"
    assert [c.spec.id for c in st.classes] == ["carbon_sequestration"]
    # the with-project account at twice the carbon price, minus the baseline at twice: 2 ΔGEP
    dbl = {"prices": {"carbon_price": {"price": "100 CNY/t"}}}
    diff = st.account.revalue(overrides=dbl).gep("CNY") - res.baseline.account.revalue(overrides=dbl).gep("CNY")
    assert diff.magnitude == pytest.approx(2 * dv, rel=1e-12)
