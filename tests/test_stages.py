"""The account as stages (gepcalc.stages): typed results, one plan shared by account and validate."""

from __future__ import annotations

import dataclasses

import pytest

import gepcalc as gep
from conftest import SMALL_INPUTS, SMALL_OVERRIDES, SMALL_SERVICES
from gepcalc.errors import ServiceError
from gepcalc.stages.parameters import Parameters
from gepcalc.stages.plan import Plan, plan, stop_at_first

PLAN_ARGS = {
    "profile": "mee-2020",
    "services": SMALL_SERVICES,
    "methods": None,
    "items": None,
    "lines": None,
    "statistics": None,
    "tables": None,
    "overrides": SMALL_OVERRIDES,
    "inputs": SMALL_INPUTS,
    "year": 2020,
    "price_year": None,
    "price_index": None,
    "price_region": None,
    "deflators": None,
}


def test_the_plan_is_a_frozen_typed_result():
    p = plan(**PLAN_ARGS, has_landcover=True, listing=False)
    assert isinstance(p, Plan)
    assert [c.spec.id for c in p.services] == SMALL_SERVICES == list(p.requested)
    assert p.raster_services == p.services and not p.by_lines and not p.not_computed
    assert p.price_year == 2020 and p.inputs == SMALL_INPUTS and p.inputs is not SMALL_INPUTS
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.services = ()


def test_the_plan_stops_at_the_first_problem_or_collects_them():
    bad = {**PLAN_ARGS, "services": [*SMALL_SERVICES, "nonexistent"]}
    with pytest.raises(ServiceError, match="nonexistent"):
        plan(**bad, has_landcover=True, listing=False, check=stop_at_first)
    seen = []

    def collect(stage, subject, fn):
        try:
            return fn()
        except ServiceError as exc:
            seen.append((stage, subject, type(exc).__name__))
            return None

    p = plan(**bad, has_landcover=True, listing=False, check=collect)
    assert seen == [("services", "nonexistent", "ServiceError")]
    assert [c.spec.id for c in p.services] == SMALL_SERVICES


def test_an_account_of_lines_only_plans_no_raster_service():
    p = plan(**{**PLAN_ARGS, "services": None}, has_landcover=False, listing=True)
    assert not p.raster_services and not p.services
    assert {r["service"] for r in p.not_computed} >= set(SMALL_SERVICES)


def test_parameters_return_their_sources_instead_of_appending(small_lc):
    acct = gep.account(small_lc, inputs=SMALL_INPUTS, services=SMALL_SERVICES, overrides=SMALL_OVERRIDES, year=2020)
    ctx = acct.context
    params = Parameters(ctx.inputs, ctx.tables, ctx.land, ctx.items)
    got = params.arguments(ctx.service("carbon_sequestration"), "physical")
    assert got.sources and all(o["service"] == "carbon_sequestration" for o in got.sources)
    assert set(got.values) == {p.name for p in ctx.service("carbon_sequestration").spec.params}
    # the context knows how the account was computed: recompute calls account() again
    assert callable(ctx.compute)
    assert acct.recompute().gep().magnitude == pytest.approx(acct.gep().magnitude)
