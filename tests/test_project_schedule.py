"""Project schedule, discounting, NPV, payback and the EOD cash flow, all computed by hand."""

import pandas as pd
import pytest

from gepcalc.errors import ConfigError
from gepcalc.project import eod as eodm
from gepcalc.project.definition import parse_schedule
from gepcalc.project.schedule import Schedule, cumulative_ramp, discount_factors, linear_ramp, npv, payback

# The schedule of these tests: 2025–2030 (horizon 6), construction in 2025, a linear ramp-up over
# 3 years, r = 5 %, end-of-year flows (d_t = 1.05^-(t − 2024)):
#   f   = [0, 1/3, 2/3, 1, 1, 1]
#   d   = [0.952381, 0.907029, 0.863838, 0.822702, 0.783526, 0.746215]
#   Σ f·d = 0.907029/3 + 0.863838·2/3 + 0.822702 + 0.783526 + 0.746215 = 3.230679 yr
SCHED = Schedule(start_year=2025, horizon=6, construction_years=(2025,), ramp_up=linear_ramp(3), discount_rate=0.05)


def test_linear_ramp_up_and_effect_fractions():
    assert linear_ramp(3) == pytest.approx((1 / 3, 2 / 3, 1.0))
    f = SCHED.effect()
    assert list(f.index) == [2025, 2026, 2027, 2028, 2029, 2030]
    assert f.to_numpy() == pytest.approx([0, 1 / 3, 2 / 3, 1, 1, 1])
    # an explicit list given as yearly increments is the same as its cumulative sums
    assert cumulative_ramp([0.2, 0.3, 0.5], cumulative=False) == pytest.approx((0.2, 0.5, 1.0))
    # two construction years, ramp given as a list whose last value holds afterwards
    s = Schedule(2025, 6, construction_years=(2025, 2026), ramp_up=(0.5, 0.8))
    assert s.effect().to_numpy() == pytest.approx([0, 0, 0.5, 0.8, 0.8, 0.8])
    assert s.table()["phase"].tolist()[:3] == ["construction 建设期", "construction 建设期", "ramp-up 达效期"]


def test_discount_factors_and_hand_computed_npv():
    d = SCHED.discount_factors()
    assert d[2025] == pytest.approx(1 / 1.05)  # end of the first year
    assert d[2030] == pytest.approx(1.05**-6)
    assert SCHED.annuity() == pytest.approx(3.230678929737302, rel=1e-12)
    # ΔGEP at full effect 300 万元/yr → yearly ΔGEP [0, 100, 200, 300, 300, 300] 万元:
    # NPV = 100/1.05² + 200/1.05³ + 300/1.05⁴ + 300/1.05⁵ + 300/1.05⁶
    #     = 90.70295 + 172.76752 + 246.81074 + 235.05785 + 223.86462 = 969.20368 万元
    flows = SCHED.effect() * 300.0
    assert flows.to_numpy() == pytest.approx([0, 100, 200, 300, 300, 300])
    assert npv(flows, d) == pytest.approx(969.2036789211907, rel=1e-12)
    assert 300.0 * SCHED.annuity() == pytest.approx(969.2036789211907, rel=1e-12)
    # flows at the start of the year: one year less of discounting, × 1.05
    start = discount_factors(SCHED.years, 0.05, 2025, "start")
    assert npv(flows, start) == pytest.approx(969.2036789211907 * 1.05, rel=1e-12)
    # r = 0: NPV = plain sum = 0 + 100 + 200 + 300 + 300 + 300 = 1200
    assert npv(flows, discount_factors(SCHED.years, 0.0, 2025)) == pytest.approx(1200.0)


def test_payback_static_and_discounted():
    # net cash flow [−1000, 200, 250, 300, 300, 300]; cumulative [−1000, −800, −550, −250, 50, 350]:
    # crosses 0 in year 5 (2029): P = (5 − 1) + 250/300 = 4.8333 yr
    net = pd.Series([-1000.0, 200, 250, 300, 300, 300], index=pd.Index(range(2025, 2031), name="year"))
    year, period = payback(net)
    assert year == 2029
    assert period == pytest.approx(4 + 250 / 300)
    # never paid back
    assert payback(net.iloc[:3]) == (None, None)


def test_eod_cash_flow_self_balance_and_payback_by_hand():
    # investment 1000 万元 in 2025; operating cost 50 万元/yr and industry revenue 200 万元/yr from 2026;
    # half of the carbon ΔGEP (300 万元/yr at full effect) becomes cash: M_t = 0.5·f_t·300 = [0, 50, 100, 150, 150, 150]
    raw = {
        "unit": "万元",
        "investment": {"2025": 1000},
        "operating_cost": {"from": 2026, "value": 50},
        "revenue": {"industry": {"from": 2026, "value": "200 万元"}},
        "monetised": {"carbon_credits": {"service": "carbon_sequestration", "share": 0.5}},
    }
    e = eodm.parse_eod(raw, SCHED, ["carbon_sequestration"], {"carbon_sequestration": "t / yr"}, "test")
    wan = 1e4  # CNY per 万元
    dv = pd.Series({"carbon_sequestration": 300 * wan})
    dq = pd.Series({"carbon_sequestration": 1000.0})
    cash = eodm.cash_flow(e, SCHED, dv, dq) / wan
    assert cash["monetised:carbon_credits"].to_numpy() == pytest.approx([0, 50, 100, 150, 150, 150])
    assert cash["inflow"].to_numpy() == pytest.approx([0, 250, 300, 350, 350, 350])
    assert cash["outflow"].to_numpy() == pytest.approx([1000, 50, 50, 50, 50, 50])
    # PV in  = 250·0.907029 + 300·0.863838 + 350·(0.822702 + 0.783526 + 0.746215) = 1309.26406 万元
    # PV out = 1000·0.952381 + 50·(0.907029 + 0.863838 + 0.822702 + 0.783526 + 0.746215) = 1158.54651 万元
    # self-balance ratio = 1309.26406 / 1158.54651 = 1.130092
    ben = eodm.ecological_benefit(SCHED, dv, e)
    ind = eodm.indicators(eodm.cash_flow(e, SCHED, dv, dq), ben)
    assert ind["pv_inflow"] / wan == pytest.approx(1309.2640624378942, rel=1e-12)
    assert ind["pv_outflow"] / wan == pytest.approx(1158.546508125277, rel=1e-12)
    assert ind["self_balance_ratio"] == pytest.approx(1.1300919326549121, rel=1e-12)
    assert (ind["payback_year"], ind["payback_period"]) == (2029, pytest.approx(4 + 250 / 300))
    # discounted cumulative net [−952.38, −770.98, −555.02, −308.20, −73.15, 150.72]: 5 + 73.147/223.865
    assert ind["discounted_payback_year"] == 2030
    assert ind["discounted_payback_period"] == pytest.approx(5 + 73.14706467837107 / 223.86461899098825, rel=1e-9)
    # the other half of the ΔGEP stays non-market
    assert (ben["non_market"] / wan).to_numpy() == pytest.approx([0, 50, 100, 150, 150, 150])
    # a market price instead of a share of the value: 0.5 × 1000 t/yr × 60 CNY/t = 30,000 CNY/yr at full effect
    raw["monetised"]["carbon_credits"]["price"] = "60 CNY/t"
    e = eodm.parse_eod(raw, SCHED, ["carbon_sequestration"], {"carbon_sequestration": "t / yr"}, "test")
    cash = eodm.cash_flow(e, SCHED, dv, dq)
    assert cash["monetised:carbon_credits"].iloc[-1] == pytest.approx(0.5 * 1000 * 60)


@pytest.mark.parametrize(
    "raw, match",
    [
        ({"start_year": 2025, "horizon": 10, "ramp_up": [0.5, 1.2]}, r"fraction 1.2 .* outside \[0, 1\]"),
        ({"start_year": 2025, "horizon": 10, "ramp_up": [-0.1, 1.0]}, r"fraction -0.1 .* outside \[0, 1\]"),
        ({"start_year": 2025, "horizon": 10, "ramp_up": [0.6, 0.4, 1.0]}, r"must not decrease.*0.4 < 0.6"),
        ({"start_year": 2025, "horizon": 10, "ramp_up": [0.6, 0.6], "cumulative": False}, r"add up to 1.2 > 1"),
        ({"start_year": 2025, "horizon": 10, "construction": [2024]}, r"construction year 2024 is outside.*2025–2034"),
        ({"start_year": 2025, "horizon": 5, "construction": [2025, 2030]}, r"construction year 2030 is outside"),
        ({"start_year": 2025, "horizon": 10, "discount_rate": -1}, r"discount_rate -1.* greater than -1"),
        ({"start_year": 2025, "horizon": 10, "discount_rate": "-150 %"}, r"greater than -1"),
        ({"start_year": 2025, "horizon": 0}, r"horizon must be a whole number of years ≥ 1"),
        ({"start_year": 2025, "horizon": 10, "ramp_up": 0.5}, r"linear ramp over that many years"),
        ({"start_year": 2025}, r"needs `horizon`"),
        ({"start_year": 2025, "horizon": 10, "ramp": 3}, r"unknown key\(s\) \['ramp'\]"),
    ],
)
def test_bad_schedules_are_refused_with_the_key(raw, match):
    with pytest.raises(ConfigError, match=match) as err:
        parse_schedule(raw, "PROJECT.toml [schedule]")
    assert "PROJECT.toml [schedule]" in str(err.value)


def test_rates_in_percent():
    s = parse_schedule({"start_year": 2025, "horizon": 3, "discount_rate": "8 %"}, "x")
    assert s.discount_rate == pytest.approx(0.08)


def test_eod_years_outside_the_horizon_and_bad_shares():
    with pytest.raises(ConfigError, match=r"investment.*year 2040 is outside the appraisal horizon 2025–2030"):
        eodm.parse_eod({"investment": {"2040": 5}}, SCHED, [], {}, "P.toml")
    mon = {
        "a": {"service": "carbon_sequestration", "share": 0.7},
        "b": {"service": "carbon_sequestration", "share": 0.5},
    }
    with pytest.raises(ConfigError, match=r"add up to 1.2 > 1"):
        eodm.parse_eod({"monetised": mon}, SCHED, ["carbon_sequestration"], {"carbon_sequestration": "t / yr"}, "P")
    with pytest.raises(ConfigError, match=r"service 'tourism' is not in the project's accounts"):
        eodm.parse_eod({"monetised": {"x": {"service": "tourism"}}}, SCHED, ["carbon_sequestration"], {}, "P")
