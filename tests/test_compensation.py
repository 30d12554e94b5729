"""Eco-compensation between regions: flow matrices by hand, the rules at their boundaries, bad inputs."""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from rasterio.transform import from_origin
from shapely.geometry import box

import gepcalc.compensation as C
from conftest import SMALL_CRS, requires_shared, write_raster
from gepcalc.compensation import rules as R
from gepcalc.errors import ConfigError, LineError, RegionError

ROOT = Path(__file__).resolve().parents[1]

# A plane tilted east, 3 rows × 6 columns, 10 m drop per 100 m cell: every cell's steepest
# descent is east (a diagonal drops 10/√2 per cell length), the east column drains off the grid.
PLANE = np.tile(60.0 - 10.0 * np.arange(6), (3, 1))
# regions A | B | C, two columns each
ABC = np.repeat([[1, 1, 2, 2, 3, 3]], 3, axis=0)
# supply per cell: A 10, B 20, C 5  → S_A = 6 × 10 = 60, S_B = 6 × 20 = 120, S_C = 6 × 5 = 30
SUPPLY = np.repeat([[10.0, 10.0, 20.0, 20.0, 5.0, 5.0]], 3, axis=0)


@pytest.mark.parametrize("routing", ["d8", "mfd"])
def test_three_region_cascade_by_hand(routing):
    g = C.flow_graph(PLANE, routing=routing)
    m = C.flow_matrices(g, ABC, ["A", "B", "C"], SUPPLY, unit="m**3/yr")
    # first receiver: all of A's water enters B first, all of B's enters C, C's leaves the grid
    expected_first = pd.DataFrame(
        [[0.0, 60.0, 0.0, 0.0], [0.0, 0.0, 120.0, 0.0], [0.0, 0.0, 0.0, 30.0]],
        index=["A", "B", "C"],
        columns=["A", "B", "C", "outlet"],
    )
    # D8 is exact; MFD splits among the east and the two east diagonals and sums back to 1e-15
    np.testing.assert_allclose(m.first.to_numpy(), expected_first.to_numpy(), rtol=1e-14, atol=1e-12)
    assert list(m.first.columns) == ["A", "B", "C", "outlet"]
    # cumulative: A's water passes through B and then C (C also benefits from A), and leaves
    expected_through = [[0.0, 60.0, 60.0, 60.0], [0.0, 0.0, 120.0, 120.0], [0.0, 0.0, 0.0, 30.0]]
    np.testing.assert_allclose(m.through.to_numpy(), expected_through, rtol=1e-14, atol=1e-12)
    # rows add up to each region's supply
    np.testing.assert_allclose(m.first.sum(axis=1).to_numpy(), [60.0, 120.0, 30.0], rtol=1e-14)
    assert m.supply.to_dict() == {"A": 60.0, "B": 120.0, "C": 30.0}


def test_region_with_no_downstream_neighbour():
    # A (rows 0–1, columns 0–2) drains into B (rows 0–1, columns 3–5); D (row 2) runs east on its own
    regions = np.array([[1, 1, 1, 2, 2, 2], [1, 1, 1, 2, 2, 2], [3, 3, 3, 3, 3, 3]])
    m = C.flow_matrices(C.flow_graph(PLANE), regions, ["A", "B", "D"], np.ones((3, 6)))
    # S_A = 6 cells × 1, S_B = 6, S_D = 6: D and B send everything off the grid, nobody receives from D
    assert m.first.loc["A"].to_dict() == {"A": 0.0, "B": 6.0, "D": 0.0, "outlet": 0.0}
    assert m.first.loc["B"].to_dict() == {"A": 0.0, "B": 0.0, "D": 0.0, "outlet": 6.0}
    assert m.first.loc["D"].to_dict() == {"A": 0.0, "B": 0.0, "D": 0.0, "outlet": 6.0}
    assert m.through.loc["D", ["A", "B"]].sum() == 0.0
    assert m.first[["D"]].sum().iloc[0] == 0.0


def test_cells_in_no_region_are_crossed_and_delivery_keeps_the_rest_at_home():
    regions = np.repeat([[1, 1, 0, 0, 2, 2]], 3, axis=0)  # A | nobody | C
    m = C.flow_matrices(C.flow_graph(PLANE), regions, ["A", "C"], SUPPLY, delivery=0.25)
    # S_A = 60: 0.25 × 60 = 15 routed across the empty columns into C, 0.75 × 60 = 45 stays in A
    assert m.first.loc["A"].to_dict() == {"A": 45.0, "C": 15.0, "outlet": 0.0}
    # S_C = 30: 7.5 leaves, 22.5 stays
    assert m.first.loc["C"].to_dict() == {"A": 0.0, "C": 22.5, "outlet": 7.5}


def test_a_path_that_re_enters_a_region_counts_once_in_through():
    regions = np.repeat([[1, 1, 2, 3, 2, 3]], 3, axis=0)  # A A B C B C: the river crosses B and C twice
    m = C.flow_matrices(C.flow_graph(PLANE), regions, ["A", "B", "C"], SUPPLY)
    # S_A = 60, S_B = 6 × 20 + 3 × 5 → cells of B: column 2 (20 each) and column 4 (5 each) = 60 + 15 = 75
    assert m.supply.to_dict() == {"A": 60.0, "B": 75.0, "C": 3 * 20.0 + 3 * 5.0}
    assert m.through.loc["A", ["B", "C", "outlet"]].tolist() == [60.0, 60.0, 60.0]  # not 120 for B
    # first receiver: B's column 2 goes to C (60), its column 4 to C too (15); C's column 3 goes to B (60)
    assert m.first.loc["B"].to_dict() == {"A": 0.0, "B": 0.0, "C": 75.0, "outlet": 0.0}
    assert m.first.loc["C"].to_dict() == {"A": 0.0, "B": 60.0, "C": 0.0, "outlet": 15.0}


def test_outlet_regions_are_sinks():
    m = C.flow_matrices(C.flow_graph(PLANE), ABC, ["A", "B", "C"], SUPPLY, outlets=["C"])
    # C (a lake, the sea) keeps what enters it: nothing of A or B leaves the grid through C
    assert m.through.loc["A"].to_dict() == {"A": 0.0, "B": 60.0, "C": 60.0, "outlet": 0.0}
    assert m.first.loc["B", "C"] == 120.0


def test_a_nodata_cell_is_an_outlet():
    dem = PLANE.copy()
    dem[:, 2] = -9999.0  # B's first column is nodata (a gap across the valley)
    m = C.flow_matrices(C.flow_graph(dem, nodata=-9999.0), ABC, ["A", "B", "C"], np.where(dem > -9999, SUPPLY, 0.0))
    # A's east column has no lower neighbour left but touches nodata: all of A (60) leaves there
    assert m.first.loc["A"].to_dict() == {"A": 0.0, "B": 0.0, "C": 0.0, "outlet": 60.0}
    # B keeps its second column: 3 cells × 20 = 60, all into C
    assert m.first.loc["B"].to_dict() == {"A": 0.0, "B": 0.0, "C": 60.0, "outlet": 0.0}
    # a cell of a region on nodata that carries supply is refused
    with pytest.raises(RegionError, match="on nodata of the DEM"):
        C.flow_matrices(C.flow_graph(dem, nodata=-9999.0), ABC, ["A", "B", "C"], SUPPLY)


@pytest.mark.parametrize("routing", ["d8", "mfd"])
def test_rows_add_up_to_supply_on_rough_terrain(routing):
    rng = np.random.default_rng(16)
    dem = rng.normal(0, 3, (60, 70)).cumsum(0).cumsum(1) + 5 * rng.random((60, 70))  # pits, flats after filling
    regions = np.zeros((60, 70), dtype=int)
    regions[:30, :35], regions[:30, 35:], regions[30:, :35], regions[30:, 40:] = 1, 2, 3, 4
    supply = rng.gamma(2.0, 50.0, (60, 70))
    m = C.flow_matrices(C.flow_graph(dem, routing=routing), regions, list("ABCD"), supply)
    expected = [supply[regions == k].sum() for k in (1, 2, 3, 4)]
    np.testing.assert_allclose(m.first.sum(axis=1).to_numpy(), expected, rtol=1e-12)
    # a region receives at most what was sent; through ≥ first receiver for every other region
    assert (m.through.drop(columns="outlet").to_numpy() <= np.array(expected)[:, None] * (1 + 1e-12)).all()
    firsts = m.first.drop(columns="outlet").to_numpy().copy()
    np.fill_diagonal(firsts, 0.0)
    assert (m.through.drop(columns="outlet").to_numpy() >= firsts * (1 - 1e-12)).all()


def test_region_grid_and_supply_must_fit_the_dem():
    g = C.flow_graph(PLANE)
    with pytest.raises(RegionError, match=r"shape \(3, 5\)"):
        C.flow_matrices(g, ABC[:, :5], ["A", "B", "C"], SUPPLY)
    with pytest.raises(RegionError, match="outlet regions \\['sea'\\]"):
        C.flow_matrices(g, ABC, ["A", "B", "C"], SUPPLY, outlets=["sea"])
    bad = SUPPLY.copy()
    bad[0, 3] = np.nan
    with pytest.raises(RegionError, match="region 'B'"):
        C.flow_matrices(g, ABC, ["A", "B", "C"], bad, what="water yield")


# -- rules ------------------------------------------------------------------------------------


def test_gep_flow_share_and_discounting_by_hand():
    values = pd.DataFrame([[0.0, 194_298.0], [0.0, 0.0]], index=["A", "B"], columns=["A", "B"])
    out = R.gep_flow(values, share=0.5, years=[2020, 2021], discount_rate=0.05)
    assert list(out["payer"]) == ["B", "B"] and list(out["payee"]) == ["A", "A"]
    # 0.5 × 194,298 = 97,149 in 2020; 97,149 / 1.05 = 92,522.857… in 2021
    assert out["amount"].tolist() == pytest.approx([97_149.0, 97_149.0 / 1.05], rel=1e-12)
    with pytest.raises(ConfigError, match="share must be within"):
        R.gep_flow(values, share=1.5, years=[2020])
    with pytest.raises(ConfigError, match=r"regions \['Z'\]"):
        R.gep_flow(values, share=0.5, years=[2020], pairs=[("Z", "A")])


TIERS = [
    {"p_max": 0.95, "payer": "downstream", "amount": "2 亿元"},
    {"p_max": 1.0, "payer": "downstream", "amount": "1 亿元"},
    {"payer": "upstream", "amount": "1 亿元"},
]
BASELINE = {"codmn": 2.0, "nh3n": 0.5, "tp": 0.04, "tn": 1.0}  # mg/L


def _lines(c: dict[str, float], year=2020, section="Jiekou") -> pd.DataFrame:
    return pd.DataFrame(
        [{"section": section, "year": year, "pollutant": p, "concentration": v, "unit": "mg/L"} for p, v in c.items()]
    )


@pytest.mark.parametrize(
    ("ratio", "tier", "payer", "amount"),
    [
        (0.95, 1, "Zhejiang", 2e8),  # P = 0.95 exactly: the first tier (bounds inclusive)
        (0.9500001, 2, "Zhejiang", 1e8),
        (1.0, 2, "Zhejiang", 1e8),  # P = 1 exactly: "P ≤ 1", downstream pays
        (1.0000001, 3, "Anhui", 1e8),  # just above: upstream pays
    ],
)
def test_p_index_tiers_at_their_boundaries(ratio, tier, payer, amount):
    # k0 = 0.5 and four pollutants each at ratio/2 of its baseline: P = 0.5 × 4 × ratio/2 = ratio
    conc = {p: s * ratio / 2 for p, s in BASELINE.items()}
    means = R.section_means(R.read_section_lines(_lines(conc)))
    amounts, index = R.water_quality_section(
        means,
        section="Jiekou",
        upstream="Anhui",
        downstream="Zhejiang",
        k0=0.5,
        baseline=BASELINE,
        tiers=R.parse_tiers(TIERS, "test"),
    )
    assert index["P"].iloc[0] == pytest.approx(ratio, rel=1e-12)
    assert index["tier"].iloc[0] == tier
    assert amounts["payer"].iloc[0] == payer
    assert amounts["amount"].iloc[0] == amount


def test_p_index_by_hand_and_flow_weighted_means():
    # two samples of TP: 0.02 mg/L at 100 m³/s and 0.06 mg/L at 300 m³/s → (2 + 18) / 400 = 0.05 mg/L
    lines = pd.DataFrame(
        [
            {"section": "S", "year": 2021, "pollutant": "TP", "concentration": 20, "unit": "ug/L", "discharge": 100},
            {"section": "S", "year": 2021, "pollutant": "TP", "concentration": 0.06, "unit": "mg/L", "discharge": 300},
        ]
    )
    means = R.section_means(R.read_section_lines(lines))
    assert means["concentration"].iloc[0] == pytest.approx(0.05, rel=1e-12)
    assert means["mean"].iloc[0] == "flow-weighted"
    # P = 0.85 × (0.05 / 0.04) = 1.0625
    assert R.p_index({"tp": 0.05}, {"tp": 0.04}, 0.85) == pytest.approx(1.0625, rel=1e-12)


def test_section_bad_inputs_name_the_culprit():
    tiers = R.parse_tiers(TIERS, "test")
    means = R.section_means(R.read_section_lines(_lines({"codmn": 1.0, "tp": 0.02})))
    with pytest.raises(ConfigError, match="section 'Jiekou' has no baseline"):
        R.water_quality_section(
            means, section="Jiekou", upstream="A", downstream="B", k0=0.85, baseline={}, tiers=tiers
        )
    with pytest.raises(ConfigError, match="pollutant 'tp' has no baseline"):
        R.water_quality_section(
            means, section="Jiekou", upstream="A", downstream="B", k0=0.85, baseline={"codmn": 2.0}, tiers=tiers
        )
    with pytest.raises(ConfigError, match="section 'Nowhere' has no monitoring lines"):
        R.water_quality_section(
            means, section="Nowhere", upstream="A", downstream="B", k0=0.85, baseline=BASELINE, tiers=tiers
        )
    with pytest.raises(LineError, match=r"row 3, column 'concentration': -0.1 is negative"):
        R.read_section_lines(_lines({"codmn": 1.0, "tp": -0.1}), where="sections.csv")
    with pytest.raises(ConfigError, match="tier bounds must increase"):
        R.parse_tiers(
            [
                {"p_max": 1.0, "payer": "downstream", "amount": "1 亿元"},
                {"p_max": 0.9, "payer": "upstream", "amount": "1 亿元"},
                {"payer": "upstream", "amount": "1 亿元"},
            ],
            "rule x",
        )
    with pytest.raises(ConfigError, match="last tier must have no p_max"):
        R.parse_tiers([{"p_max": 1.0, "payer": "downstream", "amount": "1 亿元"}], "rule x")
    with pytest.raises(ConfigError, match="payer must be 'upstream' or 'downstream'"):
        R.parse_tiers([{"payer": "Zhejiang", "amount": "1 亿元"}], "rule x")


def test_opportunity_cost_by_hand():
    out = R.opportunity_cost(
        region="Chun'an",
        payer="Hangzhou",
        years=[2020],
        income={"urban": "40000 CNY/yr", "rural": "20000 CNY/yr"},
        reference_income={"urban": "50000 CNY/yr", "rural": "25000 CNY/yr"},
        population={"urban": 100_000, "rural": 200_000},
    )
    # (50,000 − 40,000) × 100,000 + (25,000 − 20,000) × 200,000 = 1e9 + 1e9
    assert out["amount"].iloc[0] == pytest.approx(2e9, rel=1e-12)
    assert (out["payer"].iloc[0], out["payee"].iloc[0]) == ("Hangzhou", "Chun'an")
    richer = R.opportunity_cost(
        region="A",
        payer="B",
        years=[2020],
        income={"all": "30000 CNY/yr"},
        reference_income={"all": "20000 CNY/yr"},
        population={"all": 1000},
        share=0.5,
    )
    assert richer["amount"].iloc[0] == 0.0  # no income forgone: nothing owed


# -- from an account --------------------------------------------------------------------------

T100 = from_origin(700_000, 3_300_300, 100, 100)
ACCOUNT = dict(
    year=2020,
    price_year=2020,
    price_index=None,
    inputs={"precipitation": "1400 mm/yr", "evapotranspiration": {"unit": "mm/yr", "values": {"forest": 800}}},
    overrides={
        "water_conservation": {"forest": {"runoff_coefficient": 0.05}},
        "prices": {"water_storage_cost": {"price": "6.11 CNY/m**3"}},
    },
)


@pytest.fixture
def cascade(tmp_path):
    lc = write_raster(tmp_path / "lc.tif", np.full((3, 6), 2, dtype="uint8"), transform=T100, nodata=255)
    dem = write_raster(tmp_path / "dem.tif", PLANE.astype("float32"), transform=T100, nodata=-9999.0)
    x0, y1 = 700_000, 3_300_300
    gdf = gpd.GeoDataFrame(
        {"name": ["A", "B", "C"]},
        geometry=[box(x0 + 200 * i, y1 - 300, x0 + 200 * (i + 1), y1) for i in range(3)],
        crs=SMALL_CRS,
    )
    gdf.to_file(tmp_path / "abc.gpkg")
    return lc, dem, tmp_path / "abc.gpkg"


def test_compensation_from_an_account_by_hand(cascade, tmp_path):
    lc, dem, regions = cascade
    res = C.compensation(
        flows=[{"service": "water_conservation"}],
        rules=[{"method": "gep_flow", "name": "water", "share": 0.5, "matrix": "through", "discount_rate": 0.05}],
        years=[2020, 2021],
        dem=dem,
        landcover=lc,
        regions=regions,
        region_field="name",
        **ACCOUNT,
    )
    layer = res.layers["water_conservation"]
    # forest, 1 ha cells: (1400 × (1 − 0.05) − 800) mm = 530 mm → 5,300 m³/yr a cell, 6 cells a region
    assert layer.flows.supply.tolist() == pytest.approx([31_800.0] * 3, rel=1e-12)
    # valued at 6.11 CNY/m³: 31,800 × 6.11 = 194,298 CNY/yr, the account's value of each region
    assert layer.value.tolist() == pytest.approx([194_298.0] * 3, rel=1e-12)
    assert layer.value_first.loc["A", "B"] == pytest.approx(194_298.0, rel=1e-12)
    assert layer.value_first.sum(axis=1).tolist() == pytest.approx(layer.value.tolist(), rel=1e-9)
    # through: B pays A, C pays A and B: 0.5 × 194,298 = 97,149 in 2020, / 1.05 in 2021
    got = res.amounts.set_index(["year", "payer", "payee"])["amount"]
    assert got[(2020, "B", "A")] == pytest.approx(97_149.0, rel=1e-12)
    assert got[(2020, "C", "A")] == pytest.approx(97_149.0, rel=1e-12)
    assert got[(2021, "C", "B")] == pytest.approx(97_149.0 / 1.05, rel=1e-12)
    assert len(got) == 6
    xlsx = res.to_excel(tmp_path / "c.xlsx")
    sheets = pd.read_excel(xlsx, sheet_name=None)
    amounts = sheets["amounts 补偿金额"]
    assert "付款方 payer" in amounts.columns and "补偿金额 amount [万元]" in amounts.columns
    assert amounts["补偿金额 amount [万元]"].iloc[0] == pytest.approx(9.7149, rel=1e-12)  # 97,149 CNY = 9.7149 万元
    page = res.to_html(tmp_path / "c.html").read_text(encoding="utf-8")
    assert "<svg" in page and ">A</text>" in page and "生态补偿" in page and "<img" not in page


def test_regions_not_on_the_dem_are_named(cascade, tmp_path):
    lc, dem, _ = cascade
    x0, y1 = 700_000, 3_300_300
    gdf = gpd.GeoDataFrame(
        {"name": ["A", "Faraway"]},
        geometry=[box(x0, y1 - 300, x0 + 200, y1), box(x0 + 50_000, y1, x0 + 50_200, y1 + 300)],
        crs=SMALL_CRS,
    )
    gdf.to_file(tmp_path / "far.gpkg")
    with pytest.raises(RegionError, match=r"\['Faraway'\]"):
        C.compensation(
            flows=[{"service": "water_conservation"}],
            dem=dem,
            landcover=lc,
            regions=tmp_path / "far.gpkg",
            region_field="name",
            **ACCOUNT,
        )


def test_a_config_of_section_lines_needs_no_dem(tmp_path):
    _lines({p: s * 0.9 for p, s in BASELINE.items()}, year=2020).to_csv(tmp_path / "sections.csv", index=False)
    (tmp_path / "c.toml").write_text(
        """
title = "新安江 test"
years = [2020]
[[rules]]
name = "xinan"
method = "water_quality_section"
section = "Jiekou"
lines = "sections.csv"
upstream = "Huangshan"
downstream = "Hangzhou"
k0 = 0.5
baseline = {codmn = "2 mg/L", nh3n = "0.5 mg/L", tp = "0.04 mg/L", tn = "1 mg/L"}
[[rules.tiers]]
p_max = 1.0
payer = "downstream"
amount = "1 亿元"
[[rules.tiers]]
payer = "upstream"
amount = "1 亿元"
""",
        encoding="utf-8",
    )
    res = C.run_config(tmp_path / "c.toml")
    # P = 0.5 × 4 × 0.9 = 1.8 → upstream pays
    assert res.sections["P"].iloc[0] == pytest.approx(1.8, rel=1e-12)
    assert res.amounts[["payer", "payee", "amount"]].iloc[0].tolist() == ["Huangshan", "Hangzhou", 1e8]
    (tmp_path / "bad.toml").write_text(
        '[[rules]]\nmethod = "water_quality_section"\nsection = "Jiekou"\nlines = "sections.csv"\n'
        'upstream = "a"\ndownstream = "b"\nbaseline = {tp = 0.04}\n'
        '[[rules.tiers]]\npayer = "upstream"\namount = "1 亿元"\n'
    )
    with pytest.raises(ConfigError, match="k0"):
        C.run_config(tmp_path / "bad.toml")


# -- the Willamette example ---------------------------------------------------------------


@requires_shared
@pytest.mark.shared_data
def test_willamette_example_runs_and_rows_add_up(tmp_path):
    res = C.run_config(ROOT / "data" / "examples" / "compensation" / "willamette.toml")
    for layer in res.layers.values():
        np.testing.assert_allclose(layer.flows.first.sum(axis=1), layer.flows.supply, rtol=1e-9)
        np.testing.assert_allclose(layer.value_first.sum(axis=1), layer.value, rtol=1e-9)
    water = res.layers["water_conservation"]
    assert len(water.flows.supply) == 9
    # 420 mm/yr × 900 m² = 378 m³/yr a cell; pinned: 19,724 cells of sub-watershed 1 drain into 2 first
    assert water.flows.first.loc["1", "2"] == pytest.approx(7_455_672.0, rel=1e-9)
    got = res.amounts.set_index(["rule", "year", "payer", "payee"])["amount"]
    # 0.1 × 7,455,672 m³ × 6.11 CNY/m³ = 4,555,415.6 CNY in 2020, / 1.03 in 2021
    assert got[("water 10%", 2020, "2", "1")] == pytest.approx(0.1 * 7_455_672.0 * 6.11, rel=1e-9)
    assert got[("water 10%", 2021, "2", "1")] == pytest.approx(0.1 * 7_455_672.0 * 6.11 / 1.03, rel=1e-9)
    assert got[("forgone development of 1", 2020, "3", "1")] == pytest.approx(14_500_000.0, rel=1e-12)
    assert not res.amounts.empty
    assert math.isfinite(res.amounts["amount"].sum())


def test_the_package_is_callable_and_the_cli_command_writes_both_files(tmp_path):
    from typer.testing import CliRunner

    import gepcalc
    from gepcalc.cli import app

    assert callable(gepcalc.compensation) and gepcalc.compensation.flow_graph is C.flow_graph
    res = gepcalc.compensation(
        rules=[
            {
                "method": "opportunity_cost",
                "region": "A",
                "payer": "B",
                "income": {"all": "1 万元/yr"},
                "reference_income": {"all": "2 万元/yr"},
                "population": {"all": 10},
            }
        ],
        years=[2020],
    )
    assert res.amounts["amount"].iloc[0] == pytest.approx(100_000.0, rel=1e-12)  # (20,000 − 10,000) × 10
    _lines({p: s * 0.9 for p, s in BASELINE.items()}).to_csv(tmp_path / "sections.csv", index=False)
    (tmp_path / "c.toml").write_text(
        'years = [2020]\n[[rules]]\nmethod = "water_quality_section"\nsection = "Jiekou"\nlines = "sections.csv"\n'
        'upstream = "U"\ndownstream = "D"\nk0 = 0.25\n'
        "baseline = {codmn = 2.0, nh3n = 0.5, tp = 0.04, tn = 1.0}\n"
        '[[rules.tiers]]\np_max = 1.0\npayer = "downstream"\namount = "300 万元"\n'
        '[[rules.tiers]]\npayer = "upstream"\namount = "300 万元"\n',
        encoding="utf-8",
    )
    out = CliRunner().invoke(app, ["compensation", str(tmp_path / "c.toml"), "-o", str(tmp_path / "out")])
    assert out.exit_code == 0, out.output
    assert (tmp_path / "out" / "compensation.xlsx").exists() and (tmp_path / "out" / "compensation.html").exists()
    assert "300.00" in out.output  # P = 0.25 × 4 × 0.9 = 0.9 ≤ 1: D pays U 300 万元


# -- sediment and pollutants -------------------------------------------------------------------


def test_sediment_delivery_ratio_by_hand():
    from gepcalc.compensation.sdr import sediment_delivery_ratio

    # one row of 4 cells of 10 m sloping east; slope 10 % (s = 0.1) and C = 0.5 (w = 0.5) everywhere
    g = C.flow_graph(np.array([[40.0, 30.0, 20.0, 10.0]]))
    sdr = sediment_delivery_ratio(
        g, np.full((1, 4), 10.0), np.full((1, 4), 0.5), 10.0, k=2.0, ic0=0.5, sdr_max=0.8, stream_threshold=3.5
    )
    # upslope cells 1, 2, 3, 4: the 4th (> 3.5) is a channel, SDR 0.
    # D_up = w̄ s̄ √A = 0.5 × 0.1 × √(n × 100 m²) = 0.5 √n; D_dn = Σ 10 m / (0.5 × 0.1) = 200 m per step
    d_up = [0.5 * math.sqrt(1), 0.5 * math.sqrt(2), 0.5 * math.sqrt(3)]
    d_dn = [600.0, 400.0, 200.0]
    expected = [0.8 / (1 + math.exp((0.5 - math.log10(u / d)) / 2.0)) for u, d in zip(d_up, d_dn, strict=True)]
    np.testing.assert_allclose(sdr[0, :3], expected, rtol=1e-12)
    assert sdr[0, 3] == 0.0


SOIL = dict(
    year=2020,
    price_year=2020,
    price_index=None,
    inputs={
        "erosivity": "2000 MJ*mm/ha/hr/yr",
        "erodibility": "0.03 t*ha*hr/ha/MJ/mm",
        "cover_factor": {"unit": "", "values": {"forest": 0.006}},
        "soil_bulk_density": "1.125 t/m**3",
        "dredging_cost": "12.6 CNY/m**3",
    },
)


def test_sediment_flows_with_the_delivery_ratio_from_the_routing(cascade):
    from gepcalc.compensation.sdr import sediment_delivery_ratio
    from gepcalc.routing import terrain

    lc, dem, regions = cascade
    params = {"k": 2.0, "ic0": 0.5, "sdr_max": 0.8, "stream_threshold": 15}
    res = C.compensation(
        flows=[{"service": "soil_retention", "delivery": params}],
        dem=str(dem),
        landcover=lc,
        regions=regions,
        region_field="name",
        **SOIL,
    )
    layer = res.layers["soil_retention"]
    m = layer.flows
    # rows add up to the soil retained in each region, and the value rows to its value in the account
    np.testing.assert_allclose(m.first.sum(axis=1), m.supply, rtol=1e-12)
    np.testing.assert_allclose(layer.value_first.sum(axis=1), layer.value, rtol=1e-9)
    # the part carried downstream is Σ soil × SDR, the rest stays home: recompute the SDR independently
    sdr = sediment_delivery_ratio(
        C.flow_graph(PLANE), terrain(PLANE, 100.0).slope, np.full((3, 6), 0.006), 100.0, **params
    )
    # the share of A's soil carried to B is a soil-weighted mean of A's SDR: between its least and largest
    share = m.first.loc["A", "B"] / m.supply["A"]
    assert sdr[:, :2].min() <= share <= sdr[:, :2].max()
    assert 0.0 < share < 0.8
    assert m.first.loc["A", "A"] == pytest.approx((1 - share) * m.supply["A"], rel=1e-12)  # the rest stays in A
    assert m.first.loc["A", "C"] == 0.0 and m.first.loc["A", "outlet"] == 0.0  # A's sediment reaches B first
    # missing SDR parameters are named
    with pytest.raises(ConfigError, match=r"\['stream_threshold'\]"):
        C.compensation(
            flows=[{"service": "soil_retention", "delivery": {"k": 2.0, "ic0": 0.5, "sdr_max": 0.8}}],
            dem=str(dem),
            landcover=lc,
            regions=regions,
            region_field="name",
            **SOIL,
        )


def test_pollutant_flows_are_routed_per_item(cascade):
    lc, dem, regions = cascade
    res = C.compensation(
        flows=[{"service": "water_purification", "items": ["cod", "tp"]}],
        dem=dem,
        landcover=lc,
        regions=regions,
        region_field="name",
        year=2020,
        price_year=2020,
        price_index=None,
        methods={"water_purification": "capacity"},
        overrides={
            "water_purification": {
                "forest": {"capacity_cod": "10 t/km**2/yr", "capacity_tp": "0.5 t/km**2/yr", "included": True}
            },
            "prices": {"treatment_cost_cod": {"price": "1400 CNY/t"}, "treatment_cost_tp": {"price": "2800 CNY/t"}},
        },
        items={"water_purification": ["cod", "tp"]},
    )
    assert set(res.layers) == {"water_purification.cod", "water_purification.tp"}
    cod, tp = res.layers["water_purification.cod"], res.layers["water_purification.tp"]
    # 6 ha = 0.06 km² a region: COD 10 × 0.06 = 0.6 t/yr, TP 0.5 × 0.06 = 0.03 t/yr, all into the next region
    assert cod.flows.first.loc["A", "B"] == pytest.approx(0.6, rel=1e-12)
    assert tp.flows.first.loc["B", "C"] == pytest.approx(0.03, rel=1e-12)
    # valued per item: 0.6 t × 1400 CNY/t = 840 CNY/yr, 0.03 t × 2800 = 84 CNY/yr
    assert cod.value_first.loc["A", "B"] == pytest.approx(840.0, rel=1e-12)
    assert tp.value_first.loc["C", "outlet"] == pytest.approx(84.0, rel=1e-12)


def test_the_shipped_section_lines_by_hand():
    lines = ROOT / "data" / "examples" / "compensation" / "sections.csv"
    means = R.section_means(R.read_section_lines(lines)).set_index(["year", "pollutant"])["concentration"]
    # 2020: two samples at 12 and 4 m³/s → CODMn (1.6 × 12 + 2.0 × 4) / 16 = 1.7 mg/L, NH₃-N 0.11, TP 0.0225, TN 0.85
    assert means[(2020, "codmn")] == pytest.approx(1.7, rel=1e-12)
    assert means[(2020, "nh3n")] == pytest.approx(0.11, rel=1e-12)
    assert means[(2020, "tp")] == pytest.approx(0.0225, rel=1e-12)
    assert means[(2020, "tn")] == pytest.approx(0.85, rel=1e-12)
    p = R.p_index(
        {k: means[(2020, k)] for k in ("codmn", "nh3n", "tp", "tn")},
        {"codmn": 2.0, "nh3n": 0.15, "tp": 0.03, "tn": 1.0},
        0.85,
        {"codmn": 0.25, "nh3n": 0.25, "tp": 0.25, "tn": 0.25},
    )
    # 0.85 × 0.25 × (0.85 + 0.7333… + 0.75 + 0.85) = 0.676458…
    assert p == pytest.approx(0.85 * 0.25 * (1.7 / 2.0 + 0.11 / 0.15 + 0.0225 / 0.03 + 0.85 / 1.0), rel=1e-12)
    assert p == pytest.approx(0.676458, abs=1e-6)
