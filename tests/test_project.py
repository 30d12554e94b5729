"""Project-level GEP on the small 3 × 4 raster of conftest: numbers by hand, zeros, errors, uncertainty, reports."""

import shutil

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import rasterio
from rasterio.transform import from_origin
from shapely.geometry import box
from typer.testing import CliRunner

import gepcalc as gep
from conftest import ROOT, SMALL_CODES, SMALL_CRS, SMALL_INPUTS, SMALL_OVERRIDES, SMALL_SERVICES, write_raster
from gepcalc.cli import app
from gepcalc.errors import ConfigError, GridMismatchError, RegionError
from gepcalc.project.delta import revalue, total_value

CO2_PER_C = 44.0095 / 12.011
X0, Y1 = 700_000, 3_300_400

# With project: grassland (row 0, col 2; IGBP 10) and cropland (row 1, col 2; IGBP 12) become forest
# (2 and 5) inside the east half (columns 2–3); the west pixel (0, 0) is built on (2 → 13) but lies
# outside the boundary and must not count.
WITH_CODES = SMALL_CODES.copy()
WITH_CODES[0, 2], WITH_CODES[1, 2], WITH_CODES[0, 0] = 2, 5, 13

RATES = {"forest": {"sequestration_rate": "2 t/ha/yr"}, "grassland": {"sequestration_rate": "0.5 t/ha/yr"}}
# ΔQ = [(2 − 0.5) + (2 − 0)] t C/ha/yr × 1 ha × 44.0095/12.011 = 3.5 × 3.664100 = 12.824349 t CO₂/yr
DQ = 3.5 * CO2_PER_C
# ΔGEP = 12.824349 t/yr × 50 CNY/t = 641.2174 CNY/yr
DV = DQ * 50.0
# Σ_t f_t d_t of the schedule below (2025–2030, construction 2025, linear ramp over 3 years, 5 %, end of year)
ANNUITY = 3.230678929737302


@pytest.fixture
def files(tmp_path, small_lc):
    with_lc = write_raster(tmp_path / "lc_with.tif", WITH_CODES, nodata=255)
    east = gpd.GeoDataFrame({"name": ["east"]}, geometry=[box(X0 + 200, Y1 - 300, X0 + 400, Y1)], crs=SMALL_CRS)
    boundary = tmp_path / "east.geojson"
    east.to_crs("EPSG:4326").to_file(boundary)  # in lon/lat: reprojected to the raster's UTM grid by the project
    return {"baseline": small_lc, "with": with_lc, "boundary": boundary, "tmp": tmp_path}


def spec(files, *, prices=None, rates=None, eod=None, services=("carbon_sequestration",), same=False, **extra):
    d = {
        "project": {
            "name": "east",
            "boundary": str(files["boundary"]),
            "services": list(services),
            "year": 2020,
            "price_year": 2020,
        },
        "schedule": {"start_year": 2025, "horizon": 6, "construction": [2025], "ramp_up": 3, "discount_rate": 0.05},
        "baseline": {
            "landcover": str(files["baseline"]),
            "overrides": {
                "carbon_sequestration": rates or RATES,
                "prices": prices or {"carbon_price": {"price": "50 CNY/t"}},
            },
        },
        "with_project": {"landcover": str(files["baseline" if same else "with"])},
    }
    if eod:
        d["eod"] = eod
    d.update(extra)
    return d


def test_hand_computed_delta_npv_annual_and_maps(files):
    res = gep.project(spec(files))  # the module is callable
    assert res.gep_change("CNY").magnitude == pytest.approx(DV, rel=1e-12)
    row = res.by_service("CNY").set_index("service").loc["carbon_sequestration"]
    assert row["delta_quantity"] == pytest.approx(DQ, rel=1e-12)
    assert row["quantity_unit"] == "tCO₂/a"  # carbon quantities are labelled per t CO₂ (units.txt: tCO2)
    assert row["delta_gep"] == pytest.approx(DV, rel=1e-12)
    # by ecosystem type: forest gains 2 ha × 2 t C/ha/yr, grassland loses 1 ha × 0.5, farmland is not counted
    eco = res.by("ecosystem", "CNY").set_index("ecosystem")
    assert eco.at["forest", "delta_gep"] == pytest.approx(4 * CO2_PER_C * 50)
    assert eco.at["grassland", "delta_gep"] == pytest.approx(-0.5 * CO2_PER_C * 50)
    assert eco.at["forest", "delta_area"] == pytest.approx(2.0)
    assert res.by("category", "CNY").set_index("category").at["regulating", "delta_gep"] == pytest.approx(DV)
    # yearly: f = [0, 1/3, 2/3, 1, 1, 1]; NPV = 641.2174 × 3.230679 = 2071.557 CNY
    ann = res.annual("CNY").set_index("year")
    assert ann["total"].to_numpy() == pytest.approx(DV * np.array([0, 1 / 3, 2 / 3, 1, 1, 1]))
    assert ann.at[2027, "carbon_sequestration"] == pytest.approx(DV * 2 / 3)
    assert ann["cumulative"].iloc[-1] == pytest.approx(DV * 4)
    assert res.npv("CNY").magnitude == pytest.approx(DV * ANNUITY, rel=1e-12)
    assert ann["cumulative_discounted"].iloc[-1] == pytest.approx(DV * ANNUITY, rel=1e-12)
    assert res.cumulative("万元").magnitude == pytest.approx(DV * 4 / 1e4)
    # maps: the per-pixel value of the two converted pixels, NaN outside the boundary, summing to ΔGEP
    assert res.map_methods() == {"carbon_sequestration": "per pixel"}
    m = res.maps()["total"].values
    assert m[0, 2] == pytest.approx(1.5 * CO2_PER_C * 50)
    assert m[1, 2] == pytest.approx(2.0 * CO2_PER_C * 50)
    assert np.isnan(m[:, :2]).all() and np.nansum(m) == pytest.approx(DV, rel=1e-12)
    paths = res.write_maps(files["tmp"] / "maps")
    with rasterio.open(files["tmp"] / "maps" / "delta_gep_total.tif") as src:
        assert src.crs.to_string() == SMALL_CRS and src.shape == (3, 4)
        assert np.nansum(src.read(1)) == pytest.approx(DV, rel=1e-6)  # float32
    assert any(p.suffix == ".png" for p in paths)


def test_identical_baseline_and_with_project_give_exactly_zero(files):
    d = spec(files, services=SMALL_SERVICES, same=True)
    d["baseline"]["inputs"] = SMALL_INPUTS
    d["baseline"]["overrides"] = SMALL_OVERRIDES
    res = gep.project(d)
    assert set(res.delta["service"].values) == set(SMALL_SERVICES)
    assert res.baseline.account.gep("CNY").magnitude > 0  # not zero because nothing was computed
    assert (res.delta["value"].fillna(0.0).values == 0.0).all()
    assert (res.delta["quantity"].fillna(0.0).values == 0.0).all()
    assert (res.by_service("CNY")["delta_gep"] == 0.0).all()
    ann = res.annual("CNY")
    assert (ann[[*SMALL_SERVICES, "total", "cumulative", "cumulative_discounted"]].to_numpy() == 0.0).all()
    assert res.npv().magnitude == 0.0
    for name, m in res.maps().items():
        v = m.values
        assert (v[~np.isnan(v)] == 0.0).all(), name
        assert np.isnan(v[:, :2]).all()


def test_boundary_outside_the_raster_is_refused(files):
    far = gpd.GeoDataFrame({"name": ["far"]}, geometry=[box(800_000, 3_400_000, 801_000, 3_401_000)], crs=SMALL_CRS)
    path = files["tmp"] / "far.gpkg"
    far.to_file(path)
    d = spec(files)
    d["project"]["boundary"] = str(path)
    with pytest.raises(RegionError, match="lies outside the land-cover raster") as err:
        gep.project(d)
    assert "far.gpkg" in str(err.value) and "lc.tif" in str(err.value) and "EPSG:32650" in str(err.value)


def test_mismatched_grids_name_both_files(files):
    shifted = write_raster(
        files["tmp"] / "shifted.tif", WITH_CODES, nodata=255, transform=from_origin(X0 + 50, Y1, 100, 100)
    )
    d = spec(files)
    d["with_project"]["landcover"] = str(shifted)
    with pytest.raises(GridMismatchError, match="same grid") as err:
        gep.project(d)
    msg = str(err.value)
    assert "lc.tif" in msg and "shifted.tif" in msg and msg.count("transform") >= 2 and msg.count("shape") >= 2
    bigger = write_raster(files["tmp"] / "bigger.tif", np.zeros((4, 4), "uint8"), nodata=255)
    d["with_project"]["landcover"] = str(bigger)
    with pytest.raises(GridMismatchError, match=r"shape \(4, 4\)"):
        gep.project(d)


def test_bad_project_definitions(files):
    d = spec(files)
    d["schedule"]["construction"] = [2040]
    with pytest.raises(ConfigError, match=r"\[schedule\]: construction year 2040 is outside .*2025–2030"):
        gep.project(d)
    d = spec(files)
    d["baseline"]["landcover_file"] = "x"
    with pytest.raises(ConfigError, match=r"unknown key\(s\) \['landcover_file'\]"):
        gep.project(d)
    d = spec(files)
    del d["project"]["boundary"]
    with pytest.raises(ConfigError, match="needs `boundary"):
        gep.project(d)


def test_revaluing_reproduces_the_accounts(files):
    res = gep.project(
        spec(files, services=SMALL_SERVICES, prices=SMALL_OVERRIDES["prices"])
        | {"baseline": {"landcover": str(files["baseline"]), "inputs": SMALL_INPUTS, "overrides": SMALL_OVERRIDES}}
    )
    for st in (res.baseline, res.with_project):
        v = total_value(revalue(st))
        a = st.account.data["value"].sum(["item", "region", "ecosystem", "scenario", "year"]).to_series()
        assert (v.reindex(a.index) == a).all()


SYMMETRIC = {"carbon_price": {"price": "50 CNY/t", "price_low": "40 CNY/t", "price_high": "60 CNY/t"}}


def test_monte_carlo_is_reproducible_and_centred(files):
    res = gep.project(spec(files, prices=SYMMETRIC))
    a = res.run_monte_carlo(n=250, seed=7).draws
    b = res.run_monte_carlo(n=250, seed=7).draws
    pd.testing.assert_frame_equal(a, b)  # same seed → identical draws
    c = res.run_monte_carlo(n=250, seed=8).draws
    assert not np.allclose(a["total"], c["total"])  # another seed → other draws
    # only the price varies (40–60 CNY/t, triangular with mode 50): ΔGEP = ΔQ × p is linear in p,
    # so every draw is DV × φ and the mean is DV within sampling error (sd of φ = 0.2/√6 = 0.0816)
    fac = res.mc.factors.iloc[:, 0]
    assert res.mc.factors.columns.tolist() == ["prices[carbon_price].price"]
    np.testing.assert_allclose(c["total"], DV * fac, rtol=1e-12)
    assert fac.between(0.8, 1.2).all()
    se = DV * (0.2 / np.sqrt(6)) / np.sqrt(250)
    assert abs(c["total"].mean() - DV) < 4 * se
    np.testing.assert_allclose(c["npv"], c["total"] * ANNUITY, rtol=1e-12)
    st = res.mc.stats()
    assert st.at["total", "P5"] < DV < st.at["total", "P95"]


def test_monte_carlo_with_physical_coefficients_reruns_the_accounts(files):
    rates = {
        "forest": {
            "sequestration_rate": "2 t/ha/yr",
            "sequestration_rate_low": "1.5 t/ha/yr",
            "sequestration_rate_high": "2.5 t/ha/yr",
        },
        **{k: v for k, v in RATES.items() if k != "forest"},
    }
    res = gep.project(spec(files, prices=SYMMETRIC, rates=rates))
    held = res.run_monte_carlo(n=3, seed=1)
    assert held.held == ["carbon_sequestration[forest].sequestration_rate"]
    mc = res.run_monte_carlo(n=3, seed=1, physical=True)
    assert mc.held == [] and set(mc.factors) == {
        "prices[carbon_price].price",
        "carbon_sequestration[forest].sequestration_rate",
    }
    for i in range(3):
        p = 50 * mc.factors.at[i, "prices[carbon_price].price"]
        r = 2 * mc.factors.at[i, "carbon_sequestration[forest].sequestration_rate"]
        # ΔQ = [(r − 0.5) + r] × 1 ha × 44/12
        assert mc.draws.at[i, "total"] == pytest.approx((2 * r - 0.5) * CO2_PER_C * p, rel=1e-9)


def test_one_at_a_time_sensitivity_by_hand(files):
    res = gep.project(spec(files, prices=SYMMETRIC))
    s = res.run_sensitivity(step=0.1).set_index("coefficient")
    price = s.loc["prices[carbon_price].price"]
    assert price["range"] == "declared"
    assert (price["delta_gep_low"], price["delta_gep_high"]) == (
        pytest.approx(DV * 0.8),
        pytest.approx(DV * 1.2),
    )
    # the forest rate was overridden (its table range no longer applies): ±10 %
    # 2.2: [(2.2 − 0.5) + 2.2] × 3.6641 × 50 = 714.53;  1.8: [(1.8 − 0.5) + 1.8] × 3.6641 × 50 = 567.94
    forest = s.loc["carbon_sequestration[forest].sequestration_rate"]
    assert forest["range"] == "±10%" and forest["kind"] == "physical"
    assert forest["delta_gep_low"] == pytest.approx(3.1 * CO2_PER_C * 50)
    assert forest["delta_gep_high"] == pytest.approx(3.9 * CO2_PER_C * 50)
    assert forest["npv_high"] == pytest.approx(3.9 * CO2_PER_C * 50 * ANNUITY)
    grass = s.loc["carbon_sequestration[grassland].sequestration_rate"]
    assert grass["delta_gep_low"] == pytest.approx(3.55 * CO2_PER_C * 50)  # lower loss of grassland
    assert "carbon_sequestration[farmland].sequestration_rate" not in s.index  # 0 without a range: left out
    assert s.index[0] == "prices[carbon_price].price"  # sorted by swing: 256.5 > 146.6 > 18.3


EOD = {
    "unit": "CNY",
    "investment": {"2025": 2000},
    "operating_cost": {"from": 2026, "value": 100},
    "revenue": {"tourism": {"from": 2027, "value": 300, "name_zh": "旅游收入"}},
    "monetised": {
        "carbon_credits": {"service": "carbon_sequestration", "share": 1.0, "price": "60 CNY/t", "name_zh": "碳汇交易"}
    },
}


def test_eod_tables_and_reports(files):
    res = gep.project(spec(files, eod=EOD, uncertainty={"draws": 30, "seed": 3}, prices=SYMMETRIC))
    assert res.mc is not None and res.sensitivity_table is not None  # run because [uncertainty] is present
    cash = res.cash_flow("CNY").set_index("year")
    # carbon credits: 12.8243 t/yr × 60 CNY/t = 769.46 CNY/yr at full effect, × f_t
    assert cash["monetised:carbon_credits"].to_numpy() == pytest.approx(DQ * 60 * np.array([0, 1 / 3, 2 / 3, 1, 1, 1]))
    assert cash["outflow"].to_numpy() == pytest.approx([2000, 100, 100, 100, 100, 100])
    d = 1.05 ** -np.arange(1, 7)
    inflow = np.array([0, 0, 300, 300, 300, 300]) + DQ * 60 * np.array([0, 1 / 3, 2 / 3, 1, 1, 1])
    ind = res.indicators()
    assert ind["self_balance_ratio"] == pytest.approx(
        (inflow * d).sum() / (np.array([2000, 100, 100, 100, 100, 100]) * d).sum()
    )
    # the ΔGEP at GEP prices is all "market" (share 1), none non-market
    ben = res.ecological_benefit("CNY")
    assert ben["market_part"].sum() == pytest.approx(DV * 4) and ben["non_market"].abs().sum() == pytest.approx(0)
    xlsx = res.to_excel(files["tmp"] / "out" / "project.xlsx")
    wb = openpyxl.load_workbook(xlsx)
    for sheet in (
        "summary 摘要",
        "by service 分指标",
        "annual 逐年生态效益",
        "cash flow 现金流量表",
        "sensitivity 敏感性",
        "Monte Carlo 蒙特卡洛",
        "sources 参数来源",
    ):
        assert sheet in wb.sheetnames
    heads = [c.value for c in wb["cash flow 现金流量表"][1]]
    assert "年份 year" in heads and "建设投资 investment [万元]" in heads
    assert "生态产品变现 monetised: 碳汇交易 carbon_credits [万元]" in heads
    summ = pd.read_excel(xlsx, sheet_name="summary 摘要").set_index("item")
    assert float(summ.at["fund self-balance ratio", "value"]) == pytest.approx(ind["self_balance_ratio"])
    assert float(summ.at["NPV of ΔGEP", "value"]) == pytest.approx(DV * ANNUITY / 1e4)
    html = res.to_html(files["tmp"] / "out" / "project.html").read_text(encoding="utf-8")
    # ΔGEP, yearly, cash, cumulative, tornado, MC as SVG charts and the map (issue 14: text drawn by the browser)
    assert html.count('<figure class="chart"><svg') >= 6 and "data:image/png;base64," not in html.split("变化图")[0]
    assert "资金自平衡率" in html and "http" not in html.split("<body>")[1].split("gepcalc")[0]


def test_portfolio_planned_vs_monitored(files):
    res = gep.project(spec(files))
    monitored_full = gep.project.monitored_delta(res, landcover=str(files["with"]))
    assert monitored_full.to("CNY/yr").magnitude == pytest.approx(DV)
    half = gep.project(
        spec(
            files,
            rates={"forest": {"sequestration_rate": "1 t/ha/yr"}, "grassland": {"sequestration_rate": "0.5 t/ha/yr"}},
        )
    )
    table = gep.project.portfolio(
        {"east": res, "east-low": half},
        {"east": {2027: monitored_full, 2028: "300 CNY/yr"}, "east-low": {2030: 1.0}},
        unit="CNY",
    ).set_index(["project", "year"])
    assert len(table) == 12
    row = table.loc[("east", 2027)]
    assert row["planned"] == pytest.approx(DV * 2 / 3)
    assert row["gap"] == pytest.approx(DV / 3)  # full effect already reached
    assert table.loc[("east", 2028), "gap"] == pytest.approx(300 - DV)
    assert np.isnan(table.loc[("east", 2029), "monitored"])
    # second project: ΔQ = [(1 − 0.5) + 1] × 3.6641 t/yr; 1.0 CNY/yr monitored in 2030
    assert table.loc[("east-low", 2030), "planned"] == pytest.approx(1.5 * CO2_PER_C * 50)
    with pytest.raises(ConfigError, match="outside its appraisal horizon"):
        gep.project.portfolio({"east": res}, {"east": {2050: 1.0}})


def test_cli_project_writes_excel_html_and_maps(tmp_path):
    demo = tmp_path / "demo"
    shutil.copytree(ROOT / "data" / "demo" / "chunan", demo / "chunan")
    shutil.copytree(ROOT / "data" / "demo" / "project", demo / "project")
    toml = demo / "project" / "PROJECT.toml"
    text = toml.read_text(encoding="utf-8").replace("draws = 200", "draws = 20")
    toml.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["project", str(toml), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "fund self-balance ratio" in r.output and "ΔGEP" in r.output
    for f in ("project.xlsx", "project.html", "maps/delta_gep_total.tif", "maps/delta_gep_total.png"):
        assert (out / f).is_file(), f
    wb = openpyxl.load_workbook(out / "project.xlsx")
    assert "cash flow 现金流量表" in wb.sheetnames
    bad = demo / "project" / "bad.toml"
    bad.write_text(text.replace("horizon = 20", "horizon = 1"), encoding="utf-8")
    r = CliRunner().invoke(app, ["project", str(bad)])
    assert r.exit_code == 2 and "construction year 2026 is outside" in r.output


# The project of spec(files) as a PROJECT.toml in the fixtures' folder; paths relative to it.
PROJECT_TOML = """
[project]
name = "east"
boundary = "east.geojson"
services = ["carbon_sequestration"]
year = 2020
price_year = 2020

[schedule]
start_year = 2025
horizon = 6
construction = [2025]
ramp_up = 3
discount_rate = 0.05

[baseline]
landcover = "lc.tif"
[baseline.overrides.carbon_sequestration.forest]
sequestration_rate = "2 t/ha/yr"
[baseline.overrides.carbon_sequestration.grassland]
sequestration_rate = "0.5 t/ha/yr"
[baseline.overrides.prices.carbon_price]
price = "50 CNY/t"

[with_project]
landcover = "lc_with.tif"
"""


def write_portfolio(files, text):
    (files["tmp"] / "PROJECT.toml").write_text(PROJECT_TOML, encoding="utf-8")
    path = files["tmp"] / "portfolio" / "PORTFOLIO.toml"  # one folder down: paths resolve against this file
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


PORTFOLIO = """
[[projects]]
name = "east"
project = "../PROJECT.toml"
[projects.monitored]
2027 = "0.05 万元"
2028 = { landcover = "../lc_with.tif" }
"""


def test_load_portfolio_amounts_and_monitored_data(files):
    from gepcalc.project.portfolio import load_portfolio

    projects, monitored = load_portfolio(write_portfolio(files, PORTFOLIO))
    assert list(projects) == ["east"] and projects["east"].mc is None  # appraised without uncertainty
    assert projects["east"].gep_change("CNY").magnitude == pytest.approx(DV, rel=1e-12)
    # monitored land cover = the with-project land cover → monitored ΔGEP = ΔGEP at full effect
    assert monitored["east"][2027] == "0.05 万元"
    assert monitored["east"][2028].to("CNY/yr").magnitude == pytest.approx(DV, rel=1e-12)
    table = gep.project.portfolio(projects, monitored, unit="CNY").set_index("year")
    # f = [0, 1/3, 2/3, 1, 1, 1]: 2028 is the first year at full effect, so the gap is 0
    assert table.at[2028, "planned"] == pytest.approx(DV, rel=1e-12)
    assert table.at[2028, "monitored"] == pytest.approx(DV, rel=1e-12)
    assert table.at[2028, "gap"] == pytest.approx(0.0, abs=1e-9)
    # 0.05 万元 = 0.05 × 10 000 = 500 CNY/yr against 2/3 × 641.2174 = 427.4783 planned: gap 72.5217
    assert table.at[2027, "monitored"] == pytest.approx(500.0)
    assert table.at[2027, "gap"] == pytest.approx(500.0 - DV * 2 / 3)
    assert table.at[2027, "gap_share"] == pytest.approx((500.0 - DV * 2 / 3) / (DV * 2 / 3))
    assert np.isnan(table.at[2029, "monitored"])
    wan = gep.project.portfolio(projects, monitored).set_index("year")  # 万元 by default
    assert wan.at[2027, "monitored"] == pytest.approx(0.05)
    assert wan.at[2028, "planned"] == pytest.approx(DV / 1e4)


def test_load_portfolio_errors_name_the_file(files):
    from gepcalc.project.portfolio import load_portfolio

    path = write_portfolio(files, '[[projects]]\nname = "east"\n')
    with pytest.raises(ConfigError) as exc:
        load_portfolio(path)
    assert str(path) in str(exc.value) and "entry 1 has no `project`" in str(exc.value)
    path = write_portfolio(files, PORTFOLIO.replace("{ landcover", "{ landcovr"))
    with pytest.raises(ConfigError, match=r"monitored year '2028': unknown key\(s\) \['landcovr'\]"):
        load_portfolio(path)


def test_cli_portfolio_writes_workbook(files):
    path = write_portfolio(files, PORTFOLIO)
    out = files["tmp"] / "out"
    r = CliRunner().invoke(app, ["portfolio", str(path), "--out", str(out), "--unit", "CNY"])
    assert r.exit_code == 0, r.output
    assert "planned ΔGEP" in r.output and "monitored ΔGEP" in r.output
    sheet = pd.read_excel(out / "portfolio.xlsx", sheet_name="portfolio 项目组合").set_index("年份 year")
    assert list(sheet.columns[:2]) == ["项目 project", "计划增量 planned ΔGEP [CNY/yr]"]
    assert sheet.at[2027, "监测增量 monitored ΔGEP [CNY/yr]"] == pytest.approx(500.0)
    assert sheet.at[2027, "差额 gap [CNY/yr]"] == pytest.approx(500.0 - DV * 2 / 3)
    r = CliRunner().invoke(app, ["portfolio", str(write_portfolio(files, '[[projects]]\nname = "east"\n'))])
    assert r.exit_code == 2
    assert "error:" in r.output and "[[projects]] entry 1 has no `project`" in " ".join(r.output.split())
    assert not (path.parent / "portfolio-out").exists()


def test_delta_tables_have_machine_columns_units_in_attrs_and_labelled_files(files):
    # issue 12 point 6: the ΔGEP tables return machine columns; the workbook and HTML keep the headers people read
    from gepcalc.export import PROJECT_SUMMARY_HEADERS, delta_headers, labelled

    res = gep.project(spec(files))
    s = res.by_service("万元")
    assert list(s.columns) == [
        "service",
        "item",
        "name_zh",
        "name_en",
        "category",
        "delta_quantity",
        "quantity_unit",
        "value_baseline",
        "value_with_project",
        "delta_gep",
    ]
    assert s.attrs["units"] == {"value_baseline": "万元/yr", "value_with_project": "万元/yr", "delta_gep": "万元/yr"}
    eco = res.by("ecosystem", "CNY")
    assert list(eco.columns[:3]) == ["ecosystem", "name_zh", "name_en"]
    assert eco.attrs["units"]["delta_area"] == "ha" and eco.attrs["units"]["delta_gep"] == "CNY/yr"
    assert list(res.by("category", "CNY").columns[:3]) == ["category", "name_zh", "name_en"]
    assert list(res.summary("万元").columns) == ["name_zh", "name_en", "value", "unit"]
    for df in (s, eco, res.by("region", "CNY"), res.summary("万元")):
        assert not any("[" in str(c) or c in ("指标", "类别", "生态系统", "Δquantity") for c in df.columns)
    heads = list(labelled(s, headers=delta_headers("service")).columns)
    assert heads[2:6] == ["指标", "indicator", "category", "Δquantity"]
    assert heads[-3:] == ["baseline [万元/yr]", "with project [万元/yr]", "ΔGEP [万元/yr]"]
    assert "baseline area [ha]" in labelled(eco, headers=delta_headers("ecosystem")).columns
    assert list(labelled(res.summary(), headers=PROJECT_SUMMARY_HEADERS).columns) == ["指标", "item", "value", "unit"]
    xlsx = res.to_excel(files["tmp"] / "out" / "delta.xlsx")
    book = pd.read_excel(xlsx, sheet_name=None)
    assert "ΔGEP [万元/yr]" in book["by service 分指标"].columns and "指标" in book["by service 分指标"].columns
    assert {"类别", "category_en", "ΔGEP [万元/yr]"} <= set(book["by category 分类别"].columns)
    assert {"生态系统", "Δarea [ha]"} <= set(book["by ecosystem 分生态系统"].columns)
    assert list(book["summary 摘要"].columns) == ["指标", "item", "value", "unit"]


def test_sensitivity_has_machine_columns_and_the_workbook_its_headers(files):
    res = gep.project(spec(files, prices=SYMMETRIC))
    s = res.run_sensitivity(step=0.1)
    assert {"delta_gep_low", "delta_gep_high", "npv_low", "npv_high", "swing"} <= set(s.columns)
    assert s.attrs["units"]["npv_low"] == "CNY" and s.attrs["units"]["swing"] == "CNY/yr"
    assert s.attrs["reference_delta_gep"] == pytest.approx(DV)
    xlsx = res.to_excel(files["tmp"] / "out" / "sens.xlsx")
    sheet = pd.read_excel(xlsx, sheet_name="sensitivity 敏感性")
    assert {"ΔGEP low [万元/yr]", "NPV high [万元]", "swing [万元/yr]"} <= set(sheet.columns)


def test_portfolio_has_machine_columns_and_units_in_attrs(files):
    from gepcalc.project.portfolio import bilingual

    res = gep.project(spec(files))
    table = gep.project.portfolio({"east": res}, {"east": {2027: 1.0}}, unit="CNY")
    assert list(table.columns) == ["project", "year", "planned", "monitored", "gap", "gap_share"]
    assert table.attrs["units"] == {"planned": "CNY/yr", "monitored": "CNY/yr", "gap": "CNY/yr"}
    assert list(bilingual(table).columns)[2:] == [
        "计划增量 planned ΔGEP [CNY/yr]",
        "监测增量 monitored ΔGEP [CNY/yr]",
        "差额 gap [CNY/yr]",
        "差额比例 gap share",
    ]
