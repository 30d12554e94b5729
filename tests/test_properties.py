"""Property tests (hypothesis): what must not change an account, whatever the example.

Region order and region splits do not change totals; chunk sizes do not; units round-trip;
scaling every pixel's area scales every quantity by the same factor.  Few examples each
(the account is the expensive part), no deadline (shared CI machines are noisy).
"""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rasterio.transform import from_origin
from shapely.geometry import box

import gepcalc as gep
from conftest import SMALL_CODES, SMALL_CRS, SMALL_INPUTS, SMALL_OVERRIDES, SMALL_SERVICES, write_raster
from gepcalc.units import factor, parse_unit, ureg

X0, Y1 = 700_000, 3_300_400
SETTINGS = settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def lc(tmp_path_factory):
    return write_raster(tmp_path_factory.mktemp("prop") / "lc.tif", SMALL_CODES, nodata=255)


@pytest.fixture(scope="module")
def whole(lc):
    return account(lc)


def account(lc, **kw):
    kw.setdefault("region_name", "county")
    return gep.account(lc, inputs=SMALL_INPUTS, services=SMALL_SERVICES, overrides=SMALL_OVERRIDES, **kw)


def by_service(acct) -> dict[str, float]:
    v = acct.data["value"].sum([d for d in acct.data["value"].dims if d != "service"])
    return {str(s): float(x) for s, x in zip(v["service"].values, v.values, strict=True)}


@st.composite
def strips(draw):
    """The raster's 4 columns cut into 1–4 vertical strips, in a random order."""
    cuts = sorted(draw(st.sets(st.integers(1, 3), max_size=3)))
    edges = [0, *cuts, 4]
    parts = list(itertools.pairwise(edges))
    return draw(st.permutations(parts))


@SETTINGS
@given(parts=strips())
def test_region_order_and_splits_do_not_change_totals(tmp_path_factory, lc, whole, parts):
    names = [f"cols{a}-{b}" for a, b in parts]
    geoms = [box(X0 + 100 * a, Y1 - 300, X0 + 100 * b, Y1) for a, b in parts]
    path = tmp_path_factory.mktemp("regions") / "strips.gpkg"
    gpd.GeoDataFrame({"name": names}, geometry=geoms, crs=SMALL_CRS).to_file(path)
    acct = account(lc, regions=path)
    assert acct.gep().magnitude == pytest.approx(whole.gep().magnitude, rel=1e-12)
    assert by_service(acct) == pytest.approx(by_service(whole), rel=1e-12)
    # each strip's value does not depend on the order the strips are listed in
    again = account(lc, regions=path)
    for name in names:
        one = float(acct.data["value"].sel(region=name).sum())
        assert one == pytest.approx(float(again.data["value"].sel(region=name).sum()), rel=1e-12)


@SETTINGS
@given(chunk=st.integers(1, 5))
def test_chunk_size_does_not_change_the_account(lc, whole, chunk):
    acct = account(lc, chunks=chunk)
    assert by_service(acct) == pytest.approx(by_service(whole), rel=1e-12)


@SETTINGS
@given(cell=st.sampled_from([10.0, 50.0, 200.0, 1000.0]))
def test_scaling_every_area_scales_every_quantity(tmp_path_factory, whole, cell):
    """Cells of ``cell`` m instead of 100 m: every (extensive) quantity and value times (cell / 100)²."""
    path = write_raster(
        tmp_path_factory.mktemp("cells") / "lc.tif",
        SMALL_CODES,
        nodata=255,
        transform=from_origin(X0, Y1, cell, cell),
    )
    acct = account(path)
    k = (cell / 100.0) ** 2
    q0, q1 = whole.data["quantity"], acct.data["quantity"]
    np.testing.assert_allclose(q1.values, q0.values * k, rtol=1e-12)
    assert by_service(acct) == pytest.approx({s: v * k for s, v in by_service(whole).items()}, rel=1e-12)


UNITS = [
    ("mm/yr", "m/yr"),
    ("t/ha/yr", "kg/m**2/yr"),
    ("亿m**3", "m**3"),
    ("万元", "CNY"),
    ("kWh", "MJ"),
    ("t/km**2/yr", "g/m**2/d"),
    ("percent", "dimensionless"),
]


@settings(max_examples=50, deadline=None)
@given(pair=st.sampled_from(UNITS), x=st.floats(-1e12, 1e12, allow_nan=False, allow_infinity=False))
def test_units_round_trip(pair, x):
    a, b = pair
    there = factor(a, b)
    assert factor(b, a) * there == pytest.approx(1.0, rel=1e-12)
    ua, ub = parse_unit(a), parse_unit(b)
    back = ureg.Quantity(x, ua).to(ub).to(ua).magnitude
    assert back == pytest.approx(x, rel=1e-12, abs=1e-300)
