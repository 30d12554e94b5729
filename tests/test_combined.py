"""Raster services combined with lines and statistics in one account (issue 14, point 2).

Two or more raster services plus ``lines=`` or ``statistics=`` used to fail in ``xr.concat`` with
"'spatial_ref' not present in all datasets" (rioxarray's scalar coordinate on raster results, none on
lines). The raster part of a combined account must equal the raster-only account, and the lines add
exactly their own values.
"""

from __future__ import annotations

import pandas as pd
import pytest

import gepcalc as gep
from conftest import SMALL_INPUTS, SMALL_OVERRIDES, SMALL_SERVICES
from gepcalc.services import available
from gepcalc.testing import kit_inputs, kit_landscape
from test_account import expected
from test_conformance import _EMPTY_CELLS  # values for the tables' empty cells (no readable source)
from test_statistics import SITES

#: two yearbook lines with their own prices: grain 100 t × 2400 CNY/t = 240,000 CNY (east),
#: tea 2 t × 100,000 CNY/t = 200,000 CNY (west)
LINES = pd.DataFrame(
    {
        "region": ["east", "west"],
        "service": ["agricultural_products", "agricultural_products"],
        "item": ["grain", "tea"],
        "quantity": ["100", "2"],
        "unit": ["t", "t"],
        "source": ["county yearbook 2020, table 12-3"] * 2,
        "price": ["2400", "100000"],
        "price_unit": ["CNY/t", "CNY/t"],
        "price_source": ["county price bureau 2020"] * 2,
    }
)
GRAIN_AND_TEA = 100 * 2400 + 2 * 100_000  # CNY/yr
#: recreation, travel cost: (300 + 0.3 × 50 CNY/h × 4 h) = 360 CNY/visit × 20,000 visits
RECREATION = (300 + 0.3 * 50 * 4) * 20_000  # CNY/yr = 7.2e6
STATS = ["agricultural_products", "recreation"]


def _by_service(acct) -> pd.Series:
    return acct.by("service", unit="CNY").set_index("service")["value"]


@pytest.mark.parametrize(
    "raster",
    [SMALL_SERVICES[:1], SMALL_SERVICES[:2], SMALL_SERVICES],
    ids=["one raster service", "two raster services", "four raster services"],
)
@pytest.mark.parametrize("given", ["lines", "statistics", "both"])
def test_raster_services_with_lines_and_statistics_by_hand(small_lc, halves, raster, given):
    kw = {
        "lines": LINES if given in ("lines", "both") else None,
        "statistics": {"recreation": SITES} if given in ("statistics", "both") else None,
    }
    stats = [s for s, on in zip(STATS, (kw["lines"] is not None, kw["statistics"] is not None), strict=True) if on]
    acct = gep.account(
        small_lc,
        halves,
        region_field="name",
        services=[*raster, *stats],
        inputs=SMALL_INPUTS,
        overrides=SMALL_OVERRIDES,
        year=2020,
        price_year=2020,
        price_index=None,  # the line prices and the tests' overrides as given
        **kw,
    )
    by = _by_service(acct)
    # the raster services: the hand-computed small account (test_account.expected), unchanged by the lines
    for sid in raster:
        assert by[sid] == pytest.approx(expected()[sid][1], rel=1e-12), sid
    want = sum(expected()[s][1] for s in raster)
    if "agricultural_products" in stats:
        assert by["agricultural_products"] == pytest.approx(GRAIN_AND_TEA, rel=1e-12)
        want += GRAIN_AND_TEA
    if "recreation" in stats:
        assert by["recreation"] == pytest.approx(RECREATION, rel=1e-12)
        want += RECREATION
    assert acct.gep("CNY").magnitude == pytest.approx(want, rel=1e-12)
    assert list(acct.data["basis"].values) == ["raster"] * len(raster) + ["lines"] * len(stats)


def test_all_raster_services_with_lines_and_statistics():
    """Every registered regulating service (default method) on the conformance kit's land cover, plus
    a line and a recreation site: the same raster numbers as without them, and the lines' own values."""
    lc, regions = kit_landscape()
    raster = sorted(s for s, cls in available().items() if cls.spec.category == "regulating")
    assert len(raster) == 12
    inputs = {}
    for sid in raster:
        cls = available()[sid]
        inputs |= kit_inputs(cls, lc, cls.spec.item_ids() if cls.spec.items else ()) | _EMPTY_CELLS.get(sid, {})
    # one chunk: the numbers do not depend on chunking (the conformance kit checks it), the time does
    common = dict(region_field="name", inputs=inputs, year=2020, price_year=2020, price_index=None, chunks=-1)
    alone = gep.account(lc, regions, services=raster, **common)
    acct = gep.account(lc, regions, services=[*raster, *STATS], lines=LINES, statistics={"recreation": SITES}, **common)
    assert sorted(acct.data["service"].values[:12]) == raster  # all twelve computed, none left out
    by, ref = _by_service(acct), _by_service(alone)
    for sid in raster:
        assert by[sid] == pytest.approx(ref[sid], rel=1e-12), sid
    assert by["agricultural_products"] == pytest.approx(GRAIN_AND_TEA, rel=1e-12)
    assert by["recreation"] == pytest.approx(RECREATION, rel=1e-12)
    assert acct.gep("CNY").magnitude == pytest.approx(
        alone.gep("CNY").magnitude + GRAIN_AND_TEA + RECREATION, rel=1e-12
    )
