"""Hydrology kernels on tiny arrays, with the arithmetic written out.

The routing kernels are ports of pygeoprocessing 2.4 (what InVEST 3.20 runs); their
agreement with InVEST on real DEMs is checked outside the test suite (it needs GDAL
and InVEST), these tests pin the hand-computable cases.
"""

import math

import numpy as np
import pytest

from gepcalc import hydrology as h
from gepcalc import routing

SQ2 = math.sqrt(2.0)


def plane(rows: int, cols: int, drop: float = 1.0) -> np.ndarray:
    """A plane falling ``drop`` m per row towards the last row (south)."""
    return np.repeat(np.arange(rows, 0, -1, dtype=float)[:, None] * drop, cols, axis=1)


# --------------------------------------------------------------------------- Budyko


def test_budyko_vegetated_by_hand():
    # P = 1000 mm, ET0 = 1000 mm, Kc = 0.8 -> PET = 800 mm, PET/P = 0.8
    # AWC = min(root 1000, restricting 500) mm × PAWC 0.2 = 100 mm
    # ω = Z·AWC/P + 1.25 = 5 × 100/1000 + 1.25 = 1.75
    # AET/P = 1 + 0.8 − (1 + 0.8^1.75)^(1/1.75) = 1.8 − 1.676718^0.571429 = 1.8 − 1.343578 = 0.456422
    # (Fu's curve is below PET/P = 0.8, so min(PET/P, curve) = curve)
    # Y = (1 − 0.456422) × 1000 = 543.578 mm
    args = dict(precip=1000.0, et0=1000.0, kc=0.8, root_depth=1000.0, restricting_depth=500.0, pawc=0.2, z=5.0)
    frac = h.budyko_aet_fraction(vegetated=1, **args)
    assert frac == pytest.approx(0.4564222, rel=1e-6)
    assert h.budyko_water_yield(vegetated=1, **args) == pytest.approx(543.5778, rel=1e-6)


def test_budyko_omega_capped_at_five():
    # P = 100 mm, AWC = 100 mm, Z = 30: ω = 30 × 100/100 + 1.25 = 31.25 -> capped to 5
    # PET/P = 1.0 × 50 / 100 = 0.5; AET/P = 1.5 − (1 + 0.5^5)^(1/5) = 1.5 − 1.03125^0.2 = 1.5 − 1.006173 = 0.493827
    frac = h.budyko_aet_fraction(100.0, 50.0, 1.0, 1000.0, 1000.0, 0.1, 1, 30.0)
    assert frac == pytest.approx(1.5 - 1.03125**0.2, rel=1e-12)
    assert frac == pytest.approx(0.493827, rel=1e-5)


def test_budyko_not_vegetated_by_hand():
    # AET = min(Kc·ET0, P): (a) Kc·ET0 = 0.5 × 1000 = 500 < P = 1000 -> AET = 500, Y = 500 mm
    #                       (b) Kc·ET0 = 1.2 × 500 = 600 > P = 500 -> AET = P, Y = 0
    precip = np.array([1000.0, 500.0])
    et0 = np.array([1000.0, 500.0])
    kc = np.array([0.5, 1.2])
    y = h.budyko_water_yield(precip, et0, kc, 1.0, 300.0, 0.2, np.array([0, 0]), 5.0)
    np.testing.assert_allclose(y, [500.0, 0.0])


def test_budyko_zero_precipitation_yields_nothing():
    assert np.isnan(h.budyko_aet_fraction(0.0, 800.0, 1.0, 1000.0, 1000.0, 0.2, 1, 5.0))
    assert h.budyko_water_yield(0.0, 800.0, 1.0, 1000.0, 1000.0, 0.2, 1, 5.0) == 0.0


# --------------------------------------------------------------------------- water-retention correction


def test_water_retention_by_hand():
    # V = 500: 249/500 = 0.498;  TI = 2: 0.9 × 2/3 = 0.6;  Ksat = 150: 150/300 = 0.5
    # WR = 0.498 × 0.6 × 0.5 × 400 mm = 59.76 mm
    assert h.water_retention(400.0, 500.0, 2.0, 150.0) == pytest.approx(59.76)
    # every factor saturates at 1: V = 200 (249/200 > 1), TI = 5 (1.5 > 1), Ksat = 400 (> 300) -> WR = Y
    assert h.water_retention(400.0, 200.0, 5.0, 400.0) == pytest.approx(400.0)
    # negative TI: factor clipped to 0, or kept with clip_negative=False: 0.9 × (−1)/3 = −0.3 -> −120 mm
    assert h.water_retention(400.0, 200.0, -1.0, 400.0) == 0.0
    assert h.water_retention(400.0, 200.0, -1.0, 400.0, clip_negative=False) == pytest.approx(-120.0)


def test_topographic_index_by_hand():
    # 100 cells / (1000 mm × 5 %) = 0.02:  ln 0.02 = −3.912023;  log10 0.02 = −1.698970
    assert h.topographic_index(100.0, 1000.0, 5.0) == pytest.approx(-3.912023, rel=1e-6)
    assert h.topographic_index(100.0, 1000.0, 5.0, log_base=10) == pytest.approx(-1.698970, rel=1e-6)
    # 5000 cells / (500 mm × 2 %) = 5:  ln 5 = 1.609438
    assert h.topographic_index(5000.0, 500.0, 2.0) == pytest.approx(1.609438, rel=1e-6)


# --------------------------------------------------------------------------- RUSLE


def test_rusle_and_soil_retention_by_hand():
    # R = 3000 MJ mm/(ha h yr), K = 0.02 t ha h/(ha MJ mm), LS = 2, C = 0.1, P = 0.5
    # potential R·K·LS = 3000 × 0.02 × 2 = 120 t/ha/yr; actual × C·P = 120 × 0.05 = 6 t/ha/yr
    # retained = 120 × (1 − 0.05) = 114 t/ha/yr
    assert h.rusle(3000.0, 0.02, 2.0, 0.1, 0.5) == pytest.approx(6.0)
    assert h.soil_retention(3000.0, 0.02, 2.0, 0.1, 0.5) == pytest.approx(114.0)
    # bare soil (C = P = 1) retains nothing; arrays broadcast
    np.testing.assert_allclose(
        h.soil_retention(np.array([3000.0, 3000.0]), 0.02, 2.0, np.array([1.0, 0.0]), 1.0), [0, 120]
    )


# --------------------------------------------------------------------------- slope


def test_slope_of_a_plane_including_edges():
    # 1 m drop per 10 m row: Horn gives ((a+2b+c) − (g+2h+i)) / (8·10) = (4 + 4)/80 = 0.1 -> 10 %.
    # First row (a, b, c off the raster): pygeoprocessing falls back to d−g (weight 1), 2(e−h) (2), f−i (1):
    # (1 + 2 + 1)/(4 × 10) = 0.1 -> 10 % too; likewise on the last row and the side columns.
    np.testing.assert_allclose(routing.slope(plane(5, 4), 10.0), 10.0)


def test_slope_nodata_is_nan_and_falls_back():
    z = plane(3, 3)
    z[0, 1] = -9999.0  # b missing above the centre
    s = routing.slope(z, 10.0, nodata=-9999.0)
    assert np.isnan(s[0, 1])
    # centre: column pairs (a,g): a−g = 2, w 2; (b,h): b missing -> 2(e−h) = 2, w 2; (c,i): 2, w 2
    # dz/dy = 6 / (6 × 10) = 0.1 -> 10 %
    assert s[1, 1] == pytest.approx(10.0)


# --------------------------------------------------------------------------- routing


def test_d8_accumulation_grows_linearly_down_a_plane():
    # every cell drains straight south (drop 1 vs 1/√2 diagonally): row i collects i + 1 cells
    acc = routing.flow_accumulation(plane(5, 4), method="d8")
    np.testing.assert_array_equal(acc, np.repeat(np.arange(1.0, 6.0)[:, None], 4, axis=1))


def test_mfd_accumulation_on_a_plane_by_hand():
    acc = routing.flow_accumulation(plane(5, 5))
    # Interior cell: S weight 1, SW and SE 1/√2 each; sum 2.414214. 4-bit proportions:
    #   S int(0.5 + 15/2.414214) = int(6.71) = 6, diagonals int(0.5 + 15 × 0.292893) = int(4.89) = 4; sum 14.
    # West edge cell (no SW neighbour): S int(0.5 + 15/1.707107) = 9, SE int(0.5 + 15 × 0.414214) = 6; sum 15.
    # (1,2) gets 4/14 + 6/14 + 4/14 from three interior cells of row 0 -> 1 + 1 = 2
    assert acc[1, 2] == pytest.approx(2.0)
    # (1,1) gets 6/15 from (0,0), 6/14 from (0,1), 4/14 from (0,2) -> 1 + 0.4 + 10/14 = 2.1142857
    assert acc[1, 1] == pytest.approx(1 + 6 / 15 + 10 / 14)
    # (1,0) gets 9/15 from (0,0) and 4/14 from (0,1) -> 1 + 0.6 + 0.285714 = 1.8857143
    assert acc[1, 0] == pytest.approx(1 + 9 / 15 + 4 / 14)
    # water only moves one row down and never leaves by the sides: row i carries (i + 1) × 5 cells
    np.testing.assert_allclose(acc.sum(axis=1), 5 * np.arange(1, 6))


def test_pit_is_filled_and_drained():
    bowl = np.array([[5.0, 5, 5], [5, 1, 5], [5, 5, 5]])
    # the pit is raised to its pour point, 5 m: everything is one flat
    np.testing.assert_array_equal(routing.fill_depressions(bowl), np.full((3, 3), 5.0))
    acc = routing.flow_accumulation(bowl)
    # The rim cells drain off the raster; the centre flows to the 8 rim cells, weight 1 (cardinal) or 1/√2
    # (diagonal): int(0.5 + 15 × 1/6.828427) = int(2.70) = 2 and int(0.5 + 15 × 0.103553) = int(2.05) = 2,
    # sum 16. Centre: 1; each rim cell: 1 + 2/16 = 1.125.
    expected = np.full((3, 3), 1.125)
    expected[1, 1] = 1.0
    np.testing.assert_allclose(acc, expected)


def test_nodata_hole_is_routed_through_or_is_an_outlet():
    # plane of heights 6..1 (rows 0..5), 3 columns, hole at (2,1)
    z = plane(6, 3)
    z[2, 1] = -9999.0
    # The hole is land of unknown height, filled flat to its spill level like a lake: 3 m (row 3).
    filled = routing.fill_depressions(z, nodata=-9999.0)
    assert np.isnan(filled[2, 1])
    through = routing.flow_accumulation(z, nodata=-9999.0, method="d8")
    # D8 into the hole (height 3): (1,0) SE drop 2/√2 = 1.41 beats S drop 1; (1,2) SW likewise; (1,1) S;
    # (2,0) E and (2,2) W drop 1, E/W come before S in pygeoprocessing's order. The hole collects
    # (1,0)+(0,0) = 2, (1,1)+(0,1) = 2, (1,2)+(0,2) = 2, (2,0) = 1, (2,2) = 1 and itself: 9 cells,
    # and spills south: (3,1) = 10, (4,1) = 11, (5,1) = 12.
    assert np.isnan(through[2, 1])
    np.testing.assert_array_equal(through[3:, 1], [10.0, 11.0, 12.0])
    outlet = routing.flow_accumulation(z, nodata=-9999.0, method="d8", route_through_holes=False)
    # As in InVEST the hole is an outlet and takes nothing further: (1,1) turns to its first steepest
    # lower neighbour, (2,0) (SW, drop 1/√2); column 1 starts afresh below the hole: 1, 2, 3;
    # column 0: (2,0) = 1 + (1,0) 2 + (1,1) 2 = 5, then 6, 7, 8.
    np.testing.assert_array_equal(outlet[3:, 1], [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(outlet[:, 0], [1.0, 2.0, 5.0, 6.0, 7.0, 8.0])
    # MFD conserves the water: the last row drains all 18 cells (hole included) off the raster
    assert np.nansum(routing.flow_accumulation(z, nodata=-9999.0)[-1]) == pytest.approx(18.0)


def test_terrain_returns_nan_outside_data_and_keeps_input():
    z = plane(4, 4)
    z[:, 0] = np.nan
    before = z.copy()
    t = routing.terrain(z, 10.0)
    np.testing.assert_array_equal(z, before)
    for field in t:
        assert np.isnan(field[:, 0]).all() and np.isfinite(field[:, 1:]).all()
    assert routing.contributing_area(t.accumulation, 10.0)[0, 1] == pytest.approx(t.accumulation[0, 1] * 100.0)


# --------------------------------------------------------------------------- LS factor


def _ls_by_hand(s_pct: float, n_cells: float, d: float, l_max: float = 122.0) -> float:
    """InVEST 3.20 SDR LS, written out independently of the module."""
    theta = math.atan(s_pct / 100)
    sin_t = math.sin(theta)
    x = abs(sin_t) + abs(math.cos(theta))
    s_factor = 10.8 * sin_t + 0.03 if s_pct < 9 else 16.8 * sin_t - 0.5
    if s_pct > 9:
        beta = (sin_t / 0.0896) / (3 * sin_t**0.8 + 0.56)
        m = beta / (1 + beta)
    else:
        m = 0.2 if s_pct <= 1 else 0.3 if s_pct <= 3.5 else 0.4 if s_pct <= 5 else 0.5
    a = math.sqrt((n_cells - 1) * d * d)
    el = ((a + d * d) ** (m + 1) - a ** (m + 1)) / (d ** (m + 2) * x**m * 22.13**m)
    return min(el, l_max) * s_factor


def test_ls_on_a_plane_by_hand():
    # 10 % slope, D = 10 m. θ = atan 0.1: sin θ = 0.0995037, x = sin θ + cos θ = 1.0945409
    # β = (0.0995037/0.0896)/(3 × 0.0995037^0.8 + 0.56) = 1.110533/1.033619 = 1.074412; m = β/(1+β) = 0.517936
    # S = 16.8 × 0.0995037 − 0.5 = 1.171662
    # top row, N = 1: A = 0, L = 10^(2m+2)/(10^(m+2) (x·22.13)^m) = (10/24.2222)^0.517936 = 0.632414
    # LS = 0.632414 × 1.171662 = 0.740977
    ls = h.ls_factor(plane(5, 4), 10.0, method="d8")
    assert ls[0, 0] == pytest.approx(0.740977, rel=1e-5)
    # D8 row i has N = i + 1 cells: A = √(i × 100) m, e.g. row 2: A = 14.142 m
    for i in range(5):
        assert ls[i, 1] == pytest.approx(_ls_by_hand(10.0, i + 1, 10.0), rel=1e-6)


@pytest.mark.parametrize(
    ("s_pct", "m"),
    [(0.5, 0.2), (1.0, 0.2), (2.0, 0.3), (3.5, 0.3), (4.0, 0.4), (5.0, 0.4), (7.0, 0.5), (9.0, 0.5)],
)
def test_ls_slope_classes(s_pct, m):
    # N = 1 and D = 30 m: L = (30 / (x · 22.13))^m, so the class exponent shows directly
    theta = math.atan(s_pct / 100)
    x = math.sin(theta) + math.cos(theta)
    s_factor = 10.8 * math.sin(theta) + 0.03 if s_pct < 9 else 16.8 * math.sin(theta) - 0.5
    expected = (30 / (x * 22.13)) ** m * s_factor
    assert h.ls_from_terrain(s_pct, 1.0, 30.0) == pytest.approx(expected, rel=1e-6)


def test_ls_l_max_caps_l_only_and_nan_passes():
    # 20 % slope, N = 10 000 cells, D = 30 m: L is far above 0.5, so LS = 0.5 × S
    theta = math.atan(0.2)
    s_factor = 16.8 * math.sin(theta) - 0.5
    assert h.ls_from_terrain(20.0, 1e4, 30.0, l_max=0.5) == pytest.approx(0.5 * s_factor)
    assert h.ls_from_terrain(20.0, 1e4, 30.0) == pytest.approx(_ls_by_hand(20.0, 1e4, 30.0), rel=1e-6)
    assert np.isnan(h.ls_from_terrain(np.nan, 3.0, 30.0))


def test_ls_factor_follows_terrain():
    rng = np.random.default_rng(1)
    z = plane(20, 15, drop=2.0) + rng.uniform(0, 3, (20, 15))
    t = routing.terrain(z, 30.0)
    ls = h.ls_factor(z, 30.0)
    for r, c in [(3, 4), (10, 7), (19, 14)]:
        assert ls[r, c] == pytest.approx(_ls_by_hand(t.slope[r, c], t.accumulation[r, c], 30.0), rel=1e-6)


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="2-D"):
        routing.flow_accumulation(np.zeros(5))
    with pytest.raises(ValueError, match="no valid cell"):
        routing.flow_accumulation(np.full((3, 3), -1.0), nodata=-1.0)
    with pytest.raises(ValueError, match="method"):
        routing.flow_accumulation(plane(3, 3), method="dinf")
