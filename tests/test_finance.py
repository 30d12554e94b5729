"""Financing plan, loan schedules, the three cash-flow tables, FIRR/EIRR, DSCR and switching values, by hand."""

import numpy as np
import openpyxl
import pandas as pd
import pytest

import gepcalc as gep
from gepcalc.errors import ConfigError
from gepcalc.project import finance as fm
from gepcalc.project.definition import load_project
from gepcalc.project.schedule import Schedule
from gepcalc.project.uncertainty import finance_monte_carlo
from test_project import EOD, files, spec  # noqa: F401  (files is a fixture)


def years(*values, start=2025):
    return pd.Series([float(v) for v in values], index=pd.Index(range(start, start + len(values)), name="year"))


# -- loan schedules ----------------------------------------------------------------------------------


def test_equal_principal_with_grace_by_hand():
    # 1000 drawn in 2025 (construction), 10 %, grace 2 yr, term 5 yr: principal repaid 2027–2029.
    # 2025: interest (0 + 1000/2)·0.1 = 50, capitalised → balance 1050
    # 2026: interest 1050·0.1 = 105, paid; no principal
    # 2027–2029: principal 1050/3 = 350; interest 105, 70, 35; balance 700, 350, 0
    t = fm.loan_schedule(years(1000, 0, 0, 0, 0), 0.10, 2, 5, "equal_principal", construction=[2025])
    assert t["capitalised"].to_numpy() == pytest.approx([50, 0, 0, 0, 0])
    assert t["interest_paid"].to_numpy() == pytest.approx([0, 105, 105, 70, 35])
    assert t["principal"].to_numpy() == pytest.approx([0, 0, 350, 350, 350])
    assert t["closing"].to_numpy() == pytest.approx([1050, 1050, 700, 350, 0])
    assert t["debt_service"].to_numpy() == pytest.approx([0, 105, 455, 420, 385])


def test_equal_instalment_with_grace_by_hand():
    # same loan, equal instalments over n = 3 yr on B = 1050:
    # A = 1050·0.1 / (1 − 1.1^−3) = 105 / 0.2486852 = 422.220544
    # 2027: interest 105,       principal 317.220544, balance 732.779456
    # 2028: interest 73.277946, principal 348.942598, balance 383.836858
    # 2029: interest 38.383686, principal 383.836858, balance 0
    t = fm.loan_schedule(years(1000, 0, 0, 0, 0), 0.10, 2, 5, "equal_instalment", construction=[2025])
    a = 1050 * 0.1 / (1 - 1.1**-3)
    assert a == pytest.approx(422.220544, abs=1e-6)
    assert t["debt_service"].to_numpy()[2:] == pytest.approx([a, a, a])
    assert t["interest_paid"].to_numpy() == pytest.approx([0, 105, 105, 73.277946, 38.383686], abs=1e-6)
    assert t["principal"].to_numpy() == pytest.approx([0, 0, 317.220544, 348.942598, 383.836858], abs=1e-6)
    assert t["closing"].iloc[-1] == pytest.approx(0, abs=1e-9)
    # interest paid instead of capitalised: 50 paid in 2025, the balance stays 1000
    p = fm.loan_schedule(years(1000, 0, 0, 0, 0), 0.10, 2, 5, "equal_principal", construction=[2025], idc="paid")
    assert p["interest_paid"].to_numpy() == pytest.approx([50, 100, 100, 66.666667, 33.333333])
    assert p["idc_paid"].to_numpy() == pytest.approx([50, 0, 0, 0, 0])  # paid from capital, not debt service
    # bullet: interest yearly, the whole balance in the last year of the term
    b = fm.loan_schedule(years(1000, 0, 0, 0, 0), 0.10, 0, 5, "bullet", construction=[2025])
    assert b["principal"].to_numpy() == pytest.approx([0, 0, 0, 0, 1050])


def test_interest_during_construction_published_example():
    # zhongxunwx.com/question/232155.html (exam example of the mid-year drawdown rule): 10 000 万元 borrowed,
    # 50 % in each of two construction years at 6 %: year 1: 5000/2·6 % = 150; year 2: (5000 + 150 + 5000/2)·6 % = 459;
    # interest during construction 150 + 459 = 609 万元
    t = fm.loan_schedule(years(5000, 5000, 0, 0), 0.06, 2, 4, "equal_principal", construction=[2025, 2026])
    assert t["capitalised"].to_numpy()[:2] == pytest.approx([150, 459])
    assert t["capitalised"].sum() == pytest.approx(609)


# -- IRR -----------------------------------------------------------------------------------------------


def test_irr_of_cash_flows_with_a_known_rate():
    # −1000 now, 1331 in three years: 1000·1.1³ = 1331 → 10 %
    assert fm.irr([-1000, 0, 0, 1331]) == pytest.approx(0.10, abs=1e-10)
    # a bond bought at par: −100, coupons 8, 8, and 108 → 8 %
    assert fm.irr([-100, 8, 8, 108]) == pytest.approx(0.08, abs=1e-10)
    # a loss: −100, 50, 40 → r with 50/(1+r) + 40/(1+r)² = 100: (1+r) = (50 + √(2500 + 16000))/200 = 0.930049
    assert fm.irr([-100, 50, 40]) == pytest.approx((50 + np.sqrt(18500)) / 200 - 1, abs=1e-10)
    # never paid back, yet an IRR exists and is negative: −100 + 10x + 10x² = 0 with x = 1/(1+r):
    # x = (−10 + √4100)/20 = 2.701562 → r = 1/x − 1 = −62.98 %
    assert fm.irr([-100, 10, 10]) == pytest.approx(20 / (np.sqrt(4100) - 10) - 1, abs=1e-10)
    with pytest.raises(fm.NoIRRError, match=r"never changes sign .*all flows have one sign"):
        fm.irr([100, 10, 10])
    # −100, 230, −132: (1+r)² − 2.3(1+r) + 1.32 = 0 → 1+r = 1.1 or 1.2
    with pytest.raises(fm.NoIRRError, match=r"several internal rates of return \(10.0000%, 20.0000%\)"):
        fm.irr([-100, 230, -132])


# -- the appraisal of a three-year example ---------------------------------------------------------------

SCHED = Schedule(2025, 4, construction_years=(2025,), discount_rate=0.05)


def plan(**extra):
    raw = {
        "unit": "CNY",
        "capital_share": 0.5,
        "income_tax": "25 %",
        "depreciation_years": 10,
        "benchmark_rate": 0.08,
        "loans": {"bank": {"share": 0.5, "rate": "10 %", "grace": 1, "term": 4, "repayment": "equal_principal"}},
        **extra,
    }
    return fm.parse_financing(raw, SCHED, years(1000, 0, 0, 0), unit="CNY", where="P.toml")


def flows(revenue=400.0):
    z = years(0, 0, 0, 0)
    return fm.Flows(
        investment=years(1000, 0, 0, 0),
        operating_cost=years(0, 100, 100, 100),
        revenue=years(0, revenue, revenue, revenue),
        monetised_value=z,
        monetised_market=z,
        non_market=years(0, 50, 50, 50),
    )


def test_dscr_icr_and_cash_flow_tables_by_hand():
    # investment 1000 in 2025: capital 500, loan 500 at 10 %, grace 1, term 4, equal principal.
    # interest during construction 500/2·0.1 = 25 (capitalised) → balance 525, repaid 2026–2028: 175 a year;
    # interest 52.5, 35, 17.5.  EBITDA = 400 − 100 = 300.  Fixed assets 1000 + 25 = 1025 over 10 yr: 102.5 a year,
    # EBIT = 197.5.  Income tax 25 % of (EBIT − interest): 2026 (197.5 − 52.5)·0.25 = 36.25; 2027 40.625; 2028 45.
    # DSCR = (EBITDA − tax)/(principal + interest):
    #   2026: 263.75/227.5 = 1.159341; 2027: 259.375/210 = 1.235119; 2028: 255/192.5 = 1.324675
    # ICR = EBIT/interest: 197.5/52.5 = 3.761905; 197.5/35 = 5.642857; 197.5/17.5 = 11.285714
    a = fm.appraise(flows(), plan(), SCHED)
    c = a.coverage
    assert c["dscr"].to_numpy()[1:] == pytest.approx([263.75 / 227.5, 259.375 / 210, 255 / 192.5])
    assert np.isnan(c["dscr"].iloc[0])  # no debt service in the construction year
    assert c["icr"].to_numpy()[1:] == pytest.approx([197.5 / 52.5, 197.5 / 35, 197.5 / 17.5])
    ind = a.indicators
    assert (ind["dscr_min"], ind["dscr_min_year"]) == (pytest.approx(1.159341, abs=1e-6), 2026)
    assert ind["dscr_below_required"] == [] and ind["interest_during_construction"] == pytest.approx(25)
    # capital cash flow: 2025 −500; 2026 400 − 175 − 52.5 − 100 − 36.25 = 36.25; 2027 400 − 175 − 35 − 100 − 40.625
    # = 49.375; 2028 400 + residual 717.5 (1025 − 3·102.5) − 175 − 17.5 − 100 − 45 = 780
    assert a.capital_cf["net"].to_numpy() == pytest.approx([-500, 36.25, 49.375, 780])
    assert ind["firr_capital"] == pytest.approx(fm.irr([-500, 36.25, 49.375, 780]))
    # project investment cash flow (before financing): depreciation 1000/10 = 100, residual 700;
    # before tax [−1000, 300, 300, 1000]; adjusted income tax 25 % of (300 − 100) = 50 a year
    assert a.investment_cf["net_before_tax"].to_numpy() == pytest.approx([-1000, 300, 300, 1000])
    assert a.investment_cf["net_after_tax"].to_numpy() == pytest.approx([-1000, 250, 250, 950])
    assert ind["firr_after_tax"] == pytest.approx(fm.irr([-1000, 250, 250, 950]))
    assert ind["fnpv_after_tax"] == pytest.approx(-1000 / 1.08 + 250 / 1.08**2 + 250 / 1.08**3 + 950 / 1.08**4)
    # financial plan: 2025 capital 500 + loan 500 − investment 1000 = 0; 2026 263.75 − 227.5 = 36.25 …
    assert a.plan_cf["net_cash_flow"].to_numpy() == pytest.approx([0, 36.25, 49.375, 62.5])
    assert ind["deficit_years"] == []
    # self-balance after financing at 5 %: revenues / (operating cost + tax + debt service + capital)
    d = 1.05 ** -np.arange(1, 5)
    out = np.array([500, 100 + 36.25 + 227.5, 100 + 40.625 + 210, 100 + 45 + 192.5])
    assert ind["self_balance_financed"] == pytest.approx((np.array([0, 400, 400, 400]) * d).sum() / (out * d).sum())
    # economic analysis (conversion factors 1, social discount rate = the schedule's 5 %): revenue + non-market ΔGEP
    # + residual 700 − investment − operating cost = [−1000, 350, 350, 1050]
    assert a.economic["net_benefit"].to_numpy() == pytest.approx([-1000, 350, 350, 1050])
    assert ind["enpv"] == pytest.approx((np.array([-1000, 350, 350, 1050]) * d).sum())
    # interest during construction paid instead: 25 paid in 2025 by extra capital (525), the loan stays 500,
    # principal 500/3 = 166.67 a year, 2026 interest 50: DSCR 2026 = (300 − 0.25·(197.5 − 50 … with assets
    # 1025 as before: EBIT 197.5, tax (197.5 − 50)·0.25 = 36.875) / (166.6667 + 50) = 263.125/216.6667 = 1.214423
    loan = {"share": 0.5, "rate": "10 %", "grace": 1, "term": 4, "repayment": "equal_principal", "idc": "paid"}
    paid = fm.appraise(flows(), plan(loans={"bank": loan}), SCHED)
    assert paid.capital_cf["capital"].iloc[0] == pytest.approx(525)
    assert paid.plan_cf["net_cash_flow"].iloc[0] == pytest.approx(0)
    assert paid.coverage["dscr"].iloc[1] == pytest.approx(263.125 / (500 / 3 + 50))


def test_a_project_that_cannot_service_its_debt_is_flagged():
    # revenue 200: EBITDA 100 < debt service; no taxable profit (100 − 102.5 − interest < 0)
    # DSCR = 100/227.5 = 0.43956, 100/210 = 0.47619, 100/192.5 = 0.519481
    a = fm.appraise(flows(revenue=200), plan(), SCHED)
    assert a.indicators["dscr_below_required"] == [2026, 2027, 2028]
    assert a.indicators["dscr_min"] == pytest.approx(100 / 227.5)


def test_switching_values_and_sensitivity_by_hand():
    # revenue change x that brings the minimum DSCR (2026) to 1:
    # EBITDA − 0.25·(EBITDA − 102.5 − 52.5) = 227.5 → EBITDA = 251.6667 → 400(1 + x) = 351.6667 → x = −12.0833 %
    sw = fm.switching_values(flows(), plan(), SCHED).set_index(["variable", "indicator"])
    assert sw.at[("revenue", "DSCR min = 1.0"), "switching change"] == pytest.approx(-0.120833, abs=1e-5)
    # FIRR = benchmark ⇔ FNPV at 8 % = 0 after the change
    x = sw.at[("investment", "FIRR = benchmark 基准收益率"), "switching change"]
    f, p, s = fm.variant(flows(), plan(), SCHED, investment=1 + x)
    assert fm.appraise(f, p, s).indicators["firr_after_tax"] == pytest.approx(0.08, abs=1e-6)
    # a one-year delay: revenue and operating cost start in 2027, the loan is repaid from 2026 all the same
    sens = fm.sensitivity(flows(), plan(), SCHED, step=0.1, delays=(1,)).set_index("variable")
    assert sens.loc["delay", "dscr_min"] == pytest.approx(0.0)
    assert sens.loc["base", "dscr_min"] == pytest.approx(263.75 / 227.5)


# -- bad plans ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change, match",
    [
        ({"capital_share": 0.3}, r"add up to 0.8, not 1 \(loans.bank.share 0.5 \+ capital_share 0.3\)"),
        ({"loans": {"bank": {"share": 0.5, "rate": 0.1, "grace": 1, "term": 5}}}, r"loans.bank\] term: 5 yr .* past"),
        ({"loans": {"bank": {"share": 0.5, "rate": "-1 %", "term": 3, "grace": 1}}}, r"loans.bank\] rate: .*negative"),
        ({"loans": {"bank": {"share": 0.5, "rate": 0.1, "term": 3, "grace": 1, "tenor": 3}}}, r"unknown key.*tenor"),
        ({"loan": {}}, r"unknown key\(s\) \['loan'\]"),
        (
            {"loans": {"bank": {"share": 0.5, "rate": 0.1, "term": 3, "grace": 3}}},
            r"bank\] grace: 3 yr must be shorter",
        ),
        (
            {"loans": {"bank": {"drawdown": {"2026": 500}, "rate": 0.1, "term": 2, "grace": 1}}},
            r"in 2025 the sources of funds \(capital, loans.bank\) give 500.00 CNY but the \[eod\] investment is 1,000",
        ),
        (
            {"loans": {"bank": {"drawdown": {"2025": 500}, "rate": 0.1, "term": 3}}},
            r"drawdown: year 2025 is not before",
        ),
        ({"income_tax": "-5 %"}, r"income_tax: a rate must not be negative"),
    ],
)
def test_bad_financing_plans_name_the_key(change, match):
    raw = {
        "unit": "CNY",
        "capital_share": 0.5,
        "loans": {"bank": {"share": 0.5, "rate": "10 %", "grace": 1, "term": 4}},
    }
    raw.update(change)
    with pytest.raises(ConfigError, match=match) as err:
        fm.parse_financing(raw, SCHED, years(1000, 0, 0, 0), unit="CNY", where="P.toml")
    assert "P.toml [financing]" in str(err.value)


def test_financing_without_capital_share_takes_the_rest_and_needs_an_investment(tmp_path):
    fin = fm.parse_financing(
        {"loans": {"bank": {"share": 0.6, "rate": 0.05, "grace": 1, "term": 3}}, "subsidies": {"gov": {"share": 0.1}}},
        SCHED,
        years(1000, 0, 0, 0),
        unit="CNY",
        where="P.toml",
    )
    assert fin.capital.to_numpy() == pytest.approx([300, 0, 0, 0])  # 1000 − 600 − 100
    d = {
        "project": {"boundary": "b.geojson"},
        "schedule": {"start_year": 2025, "horizon": 4},
        "baseline": {"landcover": "lc.tif"},
        "financing": {"capital_share": 1.0},
    }
    with pytest.raises(ConfigError, match=r"\[financing\] needs the construction investment"):
        load_project(d, base=tmp_path)
    d["eod"] = {"unit": "万元", "investment": {"2025": 10}}
    d["financing"] = {"capital_share": 0.4, "loans": {"b": {"share": 0.6, "rate": 0.05, "grace": 1, "term": 9}}}
    with pytest.raises(ConfigError, match=r"\[financing.loans.b\] term: 9 yr from the first drawdown in 2025 ends"):
        load_project(d, base=tmp_path)


# -- through gepcalc.project: workbook, HTML, Monte Carlo -----------------------------------------------------

FIN = {
    "unit": "CNY",
    "capital_share": 0.4,
    "income_tax": 0.25,
    "loans": {"bank": {"name_zh": "银行贷款", "share": 0.6, "rate": "5 %", "grace": 2, "term": 6}},
}


def test_project_with_financing_writes_the_bank_summary(files):  # noqa: F811
    unc = {"draws": 8, "seed": 3, "revenue": "20 %", "tables": ["prices"]}  # prices only: no account re-runs
    res = gep.project(spec(files, eod=EOD, financing=FIN, uncertainty=unc))
    fi = res.finance_indicators()
    # 1200 drawn in 2025 at 5 %: interest during construction 600·0.05 = 30
    assert fi["interest_during_construction"] == pytest.approx(30)
    loans = res.loan_schedules("CNY")
    assert loans["closing"].iloc[-1] == pytest.approx(0, abs=1e-9)
    assert res.finance_mc is not None and len(res.finance_mc) == 8
    again = finance_monte_carlo(res, res.mc, seed=3, investment=0.1, revenue=0.2)
    pd.testing.assert_frame_equal(res.finance_mc, again)  # same seed, same draws
    assert res.finance_mc["revenue_factor"].between(0.8, 1.2).all()
    xlsx = res.to_excel(files["tmp"] / "out" / "p.xlsx")
    wb = openpyxl.load_workbook(xlsx)
    assert wb.sheetnames[0] == "bank summary 银行摘要"
    for sheet in ("loans 借款还本付息", "investment CF 项目投资现金流量", "capital CF 资本金现金流量"):
        assert sheet in wb.sheetnames
    bank = pd.read_excel(xlsx, sheet_name="bank summary 银行摘要").set_index("item")
    assert bank.at["DSCR required", "value"] == "1.00"
    assert bank.at["FIRR after tax", "评价 assessment"] == "达标 meets"
    # carbon credits are 72 % of the inflows' present value: a risk the summary names
    assert any("monetised ΔGEP" in v for v in bank.loc[["risk"], "value"])
    html = res.to_html(files["tmp"] / "out" / "p.html").read_text(encoding="utf-8")
    assert "银行授信摘要" in html and "财务计划现金流量表" in html


def test_finance_monte_carlo_has_machine_columns_and_units_in_attrs(files):  # noqa: F811
    unc = {"draws": 4, "seed": 3, "revenue": "20 %", "tables": ["prices"]}
    res = gep.project(spec(files, eod=EOD, financing=FIN, uncertainty=unc))
    assert {"investment_factor", "revenue_factor", "delta_gep"} <= set(res.finance_mc.columns)
    assert res.finance_mc.attrs["units"] == {"delta_gep": "CNY/yr", "fnpv_after_tax": "CNY", "enpv": "CNY"}


def test_bank_summary_rows_are_a_table():
    """Each indicator row names an indicator key, a known format and a reference (key, number or none)."""
    from gepcalc.project.report.bank import FORMAT_UNITS, INDICATOR_ROWS

    for zh, _en, key, kind, ref in INDICATOR_ROWS:
        assert kind in FORMAT_UNITS, (zh, kind)
        assert isinstance(key, tuple) == (kind == "years"), (zh, key)
        assert ref is None or isinstance(ref, str | float), (zh, ref)
