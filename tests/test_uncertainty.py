"""Monte Carlo and sensitivity of a county account (gepcalc.uncertainty), by hand on the small raster.

Forest in the small raster: codes 2, 2, 5, 8, 2 = 5 cells of 1 ha = 50 000 m² (tests/conftest.py).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import gepcalc
from conftest import SMALL_INPUTS
from gepcalc import uncertainty as unc
from gepcalc.tables import load_table

SERVICES = ["carbon_sequestration", "oxygen_release", "water_conservation"]
FOREST_M2 = 5 * 10_000.0


def ranged_water_table(tmp_path, low: float, high: float):
    """The water_conservation table with a declared range on forest's runoff coefficient (0.05)."""
    t = load_table("water_conservation")
    df = t.data.reset_index()
    df.loc[df["ecosystem"] == "forest", "runoff_coefficient"] = 0.05
    df.loc[df["ecosystem"] == "grassland", "runoff_coefficient"] = 0.1
    df.insert(2, "runoff_coefficient_low", np.nan)
    df.insert(3, "runoff_coefficient_high", np.nan)
    df.loc[df["ecosystem"] == "forest", ["runoff_coefficient_low", "runoff_coefficient_high"]] = [low, high]
    folder = tmp_path / f"w{low}_{high}"
    folder.mkdir(exist_ok=True)
    df.to_csv(folder / "water_conservation.csv", index=False)
    toml = Path(t.origin).with_suffix(".toml").read_text(encoding="utf-8")
    for end in ("low", "high"):
        toml += f'\n[columns.runoff_coefficient_{end}]\nunit = "dimensionless"\nmin = 0\nmax = 1\n'
    (folder / "water_conservation.toml").write_text(toml, encoding="utf-8")
    return folder / "water_conservation.csv"


def small(small_lc, tmp_path, *, rate=(2.0, 2.0), runoff=(0.05, 0.05), oxygen=(1000, 1000), **kw):
    overrides = {
        "carbon_sequestration": {
            "forest": {
                "sequestration_rate": "2 t/ha/yr",
                "sequestration_rate_low": f"{rate[0]} t/ha/yr",
                "sequestration_rate_high": f"{rate[1]} t/ha/yr",
            },
            "grassland": {"sequestration_rate": "0.5 t/ha/yr"},
        },
        "prices": {
            "carbon_price": {"price": "50 CNY/tCO2", "price_year": 2020},
            "oxygen_price": {
                "price": "1000 CNY/t",
                "price_low": f"{oxygen[0]} CNY/t",
                "price_high": f"{oxygen[1]} CNY/t",
                "price_year": 2020,
            },
            "water_storage_cost": {"price": "6 CNY/m**3", "price_year": 2020},
        },
    }
    return gepcalc.account(
        small_lc,
        services=SERVICES,
        inputs=SMALL_INPUTS,
        overrides=overrides,
        tables={"water_conservation": ranged_water_table(tmp_path, *runoff)},
        year=2020,
        price_year=2020,
        **kw,
    )


def test_zero_width_ranges_give_the_point_account_exactly(small_lc, tmp_path):
    point = small(small_lc, tmp_path)
    mc = small(small_lc, tmp_path, uncertainty=50, seed=3)
    assert len(mc.uncertainty.coefficients) == 3  # rate (multiplicative), runoff (affine), oxygen price (value)
    t = mc.table()
    assert np.array_equal(t["value"].to_numpy(), point.table()["value"].to_numpy())
    assert np.array_equal(t["value_p05"].to_numpy(), t["value"].to_numpy())
    assert np.array_equal(t["value_p95"].to_numpy(), t["value"].to_numpy())
    g = mc.uncertainty.gep("CNY")
    assert g["p05"] == g["p95"] == g["mean"] == point.gep("CNY").magnitude
    s = mc.summary(unit="CNY")
    assert np.array_equal(s["value_p05"].to_numpy(), s["value"].to_numpy())


def test_draws_by_hand_multiplicative_affine_and_price(small_lc, tmp_path):
    acct = small(small_lc, tmp_path, rate=(1.6, 2.6), runoff=(0.04, 0.08), oxygen=(800, 1500), uncertainty=20, seed=7)
    u = acct.uncertainty
    phi = u.factors
    rate = phi["carbon_sequestration[forest].sequestration_rate"].to_numpy()
    alpha = phi["water_conservation[forest].runoff_coefficient"].to_numpy()
    price = phi["prices[oxygen_price].price"].to_numpy()
    pv = acct.data["value"].isel(scenario=0, year=0).sel(region=acct.data["region"].values[0], ecosystem="forest")
    pq = acct.data["quantity"].isel(scenario=0, year=0).sel(region=acct.data["region"].values[0], ecosystem="forest")
    d = u.delta.sel(region=acct.data["region"].values[0], ecosystem="forest")
    # carbon: Q = 2 t C/ha × 5 ha × 44.0095/12.011, value × 50 CNY/t CO2; a draw scales the rate
    q_c = 2 * 5 * 44.0095 / 12.011
    assert float(pq.sel(service="carbon_sequestration", item="")) == pytest.approx(q_c, rel=1e-12)
    v_c = q_c * 50
    np.testing.assert_allclose(d.sel(service="carbon_sequestration", item="").values, v_c * (rate - 1), rtol=1e-12)
    # oxygen: Q = carbon Q × 31.998/44.0095, price 1000 CNY/t; both the rate and the price are drawn
    v_o = q_c * 31.998 / 44.0095 * 1000
    np.testing.assert_allclose(d.sel(service="oxygen_release", item="").values, v_o * (rate * price - 1), rtol=1e-12)
    # water: Q = (P − αP − ET) A: ΔQ = −(φ − 1) α P A = −(φ − 1) × 0.05 × 1.4 m × 50 000 m² = −3500 (φ − 1) m³
    v_w = float(pv.sel(service="water_conservation", item=""))
    q_w = (1.4 - 0.05 * 1.4 - 0.8) * FOREST_M2
    assert float(pq.sel(service="water_conservation", item="")) == pytest.approx(q_w, rel=1e-12)
    assert v_w == pytest.approx(q_w * 6, rel=1e-12)
    np.testing.assert_allclose(
        d.sel(service="water_conservation", item="").values, -3500 * (alpha - 1) * 6, rtol=1e-9, atol=1e-6
    )
    # GEP draws = point + the three changes
    # the oxygen price moves the oxygen of the other types too (their rate has no range)
    v_o_other = float(acct.data["value"].sel(service="oxygen_release").sum()) - v_o
    total = (
        acct.gep("CNY").magnitude
        + v_c * (rate - 1)
        + v_o * (rate * price - 1)
        + v_o_other * (price - 1)
        - 3500 * (alpha - 1) * 6
    )
    np.testing.assert_allclose(u.draws(()).values, total, rtol=1e-12)
    lo, hi = np.quantile(total, [0.05, 0.95])
    assert u.gep("CNY")["p05"] == pytest.approx(lo, rel=1e-12)
    assert u.gep("CNY")["p95"] == pytest.approx(hi, rel=1e-12)


def test_seeded_runs_are_reproducible_bit_for_bit(small_lc, tmp_path):
    kw = dict(rate=(1.6, 2.6), runoff=(0.04, 0.08), oxygen=(800, 1500), uncertainty=30)
    a = small(small_lc, tmp_path, seed=11, **kw)
    b = small(small_lc, tmp_path, seed=11, **kw)
    c = small(small_lc, tmp_path, seed=12, **kw)
    assert np.array_equal(a.uncertainty.delta.values, b.uncertainty.delta.values)
    assert a.table().equals(b.table())
    assert not np.array_equal(a.uncertainty.delta.values, c.uncertainty.delta.values)


def test_interval_widens_when_a_range_widens(small_lc, tmp_path):
    narrow = small(small_lc, tmp_path, rate=(1.9, 2.1), uncertainty=200, seed=1).uncertainty.gep("CNY")
    wide = small(small_lc, tmp_path, rate=(1.5, 2.5), uncertainty=200, seed=1).uncertainty.gep("CNY")
    assert wide["p95"] - wide["p05"] > narrow["p95"] - narrow["p05"] > 0
    # same seed, triangular with mode 1: the wide factors are the narrow ones' deviations × 5 (0.5/0.1)
    assert wide["p95"] - wide["p05"] == pytest.approx(5 * (narrow["p95"] - narrow["p05"]), rel=1e-9)


def test_recomputing_on_the_grid_agrees_with_the_linear_shortcut(small_lc, tmp_path, monkeypatch):
    kw = dict(rate=(1.6, 2.6), runoff=(0.04, 0.08), uncertainty=8, seed=5)
    fast = small(small_lc, tmp_path, **kw)
    for key in (
        "carbon_sequestration.per_area_rate",
        "oxygen_release.per_area_rate",
        "water_conservation.water_balance",
    ):
        monkeypatch.setitem(unc.LINEARITY, key, {})
    slow = small(small_lc, tmp_path, **kw)
    assert "recomputed on the full grid per draw" in slow.uncertainty.coefficients["how drawn"].iloc[0]
    np.testing.assert_allclose(slow.uncertainty.delta.values, fast.uncertainty.delta.values, rtol=1e-9, atol=1e-6)
    monkeypatch.setattr(unc, "BATCH_VALUES", 24)  # 12 pixels a chunk: batches of 2 draws
    batches = small(small_lc, tmp_path, **kw)
    np.testing.assert_allclose(batches.uncertainty.delta.values, fast.uncertainty.delta.values, rtol=1e-9, atol=1e-6)


def test_rows_without_a_range_are_held_and_said_so(small_lc, tmp_path):
    acct = small(small_lc, tmp_path, rate=(1.6, 2.6), uncertainty=5)
    text = "\n".join(acct.notes)
    assert "uncertainty: 5 draws (seed 0" in text
    assert "table 'prices': no declared range for carbon_price.price" in text
    assert "grassland.sequestration_rate" in text  # a row of the ranged table without a range of its own
    # an override without its own range loses the table's range (docs/tables.md)
    plain = gepcalc.account(
        small_lc,
        services=["carbon_sequestration"],
        inputs=SMALL_INPUTS,
        overrides={
            "carbon_sequestration": {
                "forest": {"sequestration_rate": "2 t/ha/yr"},
                "grassland": {"sequestration_rate": "0.5 t/ha/yr"},
            },
            "prices": {"carbon_price": {"price": "50 CNY/tCO2", "price_year": 2020}},
        },
        year=2020,
        uncertainty=5,
    )
    assert len(plain.uncertainty.coefficients) == 0
    assert "overridden by the user" in "\n".join(plain.notes)
    assert plain.uncertainty.gep()["p05"] == plain.uncertainty.gep()["p95"]


def test_every_view_and_the_workbook_carry_the_interval(small_lc, tmp_path):
    acct = small(small_lc, tmp_path, rate=(1.6, 2.6), uncertainty=40, seed=2)
    tot = acct.total("CNY")
    assert list(tot.columns[3:7]) == [
        "value",
        "value_mean",
        "value_p05",
        "value_p95",
    ]
    gep_row = tot[tot["category"] == "GEP"].iloc[0]
    assert gep_row["value_p05"] == pytest.approx(acct.uncertainty.gep("CNY")["p05"], rel=1e-12)
    by_service = acct.by("service", unit="CNY").set_index("service")
    # a service without a drawn coefficient has a zero-width interval; carbon's is rate's range × its value
    assert by_service.loc["water_conservation", "value_p05"] == by_service.loc["water_conservation", "value"]
    assert by_service.loc["carbon_sequestration", "value_p05"] < by_service.loc["carbon_sequestration", "value"]
    region = acct.by("region", unit="CNY").iloc[0]  # one region: its interval is GEP's
    assert region["value_p05"] == pytest.approx(acct.uncertainty.gep("CNY")["p05"], rel=1e-12)
    path = acct.to_excel(tmp_path / "mc.xlsx", value_unit="CNY")
    sheet = pd.read_excel(path, sheet_name="account 核算表")
    assert {"value_p05", "value_p95"} <= set(sheet.columns)
    np.testing.assert_allclose(sheet["value_p95"].to_numpy(), acct.table("CNY")["value_p95"].to_numpy())
    extra = acct.uncertainty.sheets("CNY")  # for the workbook: what was drawn, and the one-at-a-time table
    assert list(extra["uncertainty 不确定性"]["coefficient"]) == list(acct.uncertainty.factors.columns)
    assert extra["sensitivity 敏感性"]["gep_low"].iloc[0] < acct.gep("CNY").magnitude


def test_one_at_a_time_sobol_and_tornado_by_hand(small_lc, tmp_path):
    acct = small(small_lc, tmp_path, rate=(1.6, 2.6), runoff=(0.04, 0.08), uncertainty=4)
    u = acct.uncertainty
    g0 = acct.gep("CNY").magnitude
    q_c = 2 * 5 * 44.0095 / 12.011
    per_rate = q_c * 50 + q_c * 31.998 / 44.0095 * 1000  # carbon + oxygen value per unit of φ_rate
    oat = u.sensitivity("CNY").set_index("coefficient")
    r = oat.loc["carbon_sequestration[forest].sequestration_rate"]
    assert r["gep_low"] == pytest.approx(g0 + per_rate * (1.6 / 2 - 1), rel=1e-12)
    assert r["gep_high"] == pytest.approx(g0 + per_rate * (2.6 / 2 - 1), rel=1e-12)
    w = oat.loc["water_conservation[forest].runoff_coefficient"]
    assert w["gep_low"] == pytest.approx(g0 - 3500 * 6 * (0.04 / 0.05 - 1), rel=1e-9)
    # swings: runoff 21 000 × 0.8 = 16 800 CNY/yr > rate 0.5 × per_rate ≈ 14 236 CNY/yr
    assert list(oat.index[:2]) == [
        "water_conservation[forest].runoff_coefficient",
        "carbon_sequestration[forest].sequestration_rate",
    ]
    assert oat.loc["prices[oxygen_price].price", "swing"] == 0  # a range of zero width (1000–1000)
    # Sobol: GEP = g0 + a (φ1 − 1) + b (φ2 − 1), φ uniform: S1_i = a_i² w_i² / Σ a_j² w_j² (w = range width)
    a = per_rate * (2.6 - 1.6) / 2  # width of φ_rate
    b = 3500 * 6 * (0.08 - 0.04) / 0.05
    sob = u.sobol(n=1024, seed=1).set_index("coefficient")
    expect = a**2 / (a**2 + b**2)
    assert sob.loc["carbon_sequestration[forest].sequestration_rate", "S1"] == pytest.approx(expect, abs=0.03)
    assert sob.loc["carbon_sequestration[forest].sequestration_rate", "ST"] == pytest.approx(expect, abs=0.03)
    assert sob.loc["water_conservation[forest].runoff_coefficient", "S1"] == pytest.approx(1 - expect, abs=0.03)
    fig = u.tornado(tmp_path / "tornado.png", unit="CNY")
    assert (tmp_path / "tornado.png").stat().st_size > 1000
    bars = fig.axes[0].patches
    lows = sorted(p.get_width() for p in bars[:3])  # the low ends, one bar per coefficient (oxygen price: 0)
    assert lows == pytest.approx(sorted([0.0, per_rate * (1.6 / 2 - 1), -3500 * 6 * (0.04 / 0.05 - 1)]), rel=1e-9)


def ranged_row(tmp_path, name: str, row: str, column: str, low: float, high: float) -> Path:
    """A copy of built-in table ``name`` with a declared range on one cell (unit as its column's)."""
    t = load_table(name)
    df = pd.read_csv(t.origin, dtype=str, keep_default_na=False)
    toml = Path(t.origin).with_suffix(".toml").read_text(encoding="utf-8")
    c = t.columns[column]
    for end, v in (("low", low), ("high", high)):
        if f"{column}_{end}" not in df:
            df.insert(df.columns.get_loc(column) + 1, f"{column}_{end}", "")
            unit = f'unit_column = "{c.unit_column}"' if c.unit_column else f'unit = "{c.unit}"'
            toml += f"\n[columns.{column}_{end}]\n{unit}\n"
        df.loc[df[df.columns[0]] == row, f"{column}_{end}"] = repr(v)
    folder = tmp_path / f"{name}_{row}"
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.toml").write_text(toml, encoding="utf-8")
    df.to_csv(folder / f"{name}.csv", index=False)
    return folder / f"{name}.csv"


def test_a_region_parameter_is_drawn_through_the_per_region_rule(tmp_path):
    # Chun'an demo: flood storage of the reservoir = share × capacity (regional()); share 0.35 drawn in 0.3–0.4
    constants = ranged_row(tmp_path, "constants", "reservoir_flood_share", "value", 0.3, 0.4)
    acct = gepcalc.demo.chunan_account(uncertainty=50, seed=9, tables={"constants": constants})
    u = acct.uncertainty
    assert list(u.coefficients["coefficient"]) == [
        "carbon_sequestration[forest].sequestration_rate",
        "constants[reservoir_flood_share].value",
    ]
    assert "flood_regulation: regional rule re-run" in u.coefficients["how drawn"].iloc[1]
    phi = u.factors["constants[reservoir_flood_share].value"].to_numpy()
    v_res = float(acct.data["value"].sel(service="flood_regulation", item="reservoir").sum())
    d = u.delta.sel(service="flood_regulation", item="reservoir").sum(["region", "ecosystem"]).values
    np.testing.assert_allclose(d, v_res * (phi - 1), rtol=1e-12)  # value ∝ share: V (φ − 1)
    assert float(u.delta.sel(service="flood_regulation", item="marsh").sum()) == 0


def test_the_workbook_and_the_html_report_show_the_interval(small_lc, tmp_path):
    from gepcalc.report import number

    acct = small(small_lc, tmp_path, rate=(1.6, 2.6), uncertainty=40, seed=2)
    book = pd.read_excel(acct.to_excel(tmp_path / "mc.xlsx", value_unit="CNY"), sheet_name=None)
    assert {"uncertainty 不确定性", "sensitivity 敏感性"} <= set(book)
    assert list(book["uncertainty 不确定性"]["coefficient"]) == list(acct.uncertainty.factors.columns)
    page = acct.to_html(tmp_path / "mc.html", unit="CNY").read_text(encoding="utf-8")
    g = acct.uncertainty.gep("CNY")
    assert f"90 %: {number(g['p05'])}–{number(g['p95'])}" in page  # on the GEP card
    assert "不确定性 Uncertainty (90 % interval)" in page and "抽样的系数 Coefficients drawn" in page


def test_sensitivity_has_machine_columns_and_the_workbook_its_headers(small_lc, tmp_path):
    # issue 12 point 6: gep_low, gep_high, swing with units in attrs; the workbook sheet keeps "GEP low [CNY/yr]"
    acct = small(small_lc, tmp_path, rate=(1.6, 2.6), runoff=(0.04, 0.08), uncertainty=4)
    oat = acct.uncertainty.sensitivity("CNY")
    assert {"gep_low", "gep_high", "swing"} <= set(oat.columns) and not any("[" in c for c in oat.columns)
    assert oat.attrs["units"] == {"gep_low": "CNY/yr", "gep_high": "CNY/yr", "swing": "CNY/yr"}
    sheet = pd.read_excel(acct.to_excel(tmp_path / "s.xlsx", value_unit="CNY"), sheet_name="sensitivity 敏感性")
    assert {"GEP low [CNY/yr]", "GEP high [CNY/yr]", "swing [CNY/yr]"} <= set(sheet.columns)


def test_the_package_batch_setting_reaches_the_engine(monkeypatch):
    """``gepcalc.uncertainty.BATCH_VALUES`` (patched by tests) is what :func:`monte_carlo` hands the engine."""
    from gepcalc import uncertainty as unc

    seen = {}

    class Stop(Exception):
        pass

    def engine(acct, batch_values=None):
        seen["batch_values"] = batch_values
        raise Stop

    monkeypatch.setattr(unc, "Engine", engine)
    monkeypatch.setattr(unc, "BATCH_VALUES", 24)
    with pytest.raises(Stop):
        unc.monte_carlo(object(), 3)
    assert seen["batch_values"] == 24
