"""Financing plan, loan schedules, the three cash-flow tables and the bank's indicators of a project.

What a credit officer reads first: how the investment is financed (资本金, loans, special
bonds, subsidies), the loans' schedules (drawdown, interest during construction, principal,
interest, balance), whether the project's own cash services its debt (DSCR, ICR by year) and
its rates of return (FIRR before and after tax, on capital; EIRR with the ΔGEP).

Tables (the structure of the financial-analysis statements of 《建设项目经济评价方法与参数》
(第三版, 国家发展改革委、建设部 2006); **the clause and table numbers of that book were not
verified**: no copy of the text could be read, only teaching and exam material quoting it, see
``docs/project.md``):

* 项目投资现金流量表 project investment cash flow (before financing): inflows = revenue +
  monetised ΔGEP + operating subsidies + residual value; outflows = construction investment +
  operating cost; adjusted income tax (调整所得税) = τ · max(0, EBIT before financing).
* 项目资本金现金流量表 capital cash flow: inflows as above; outflows = capital (资本金) paid in,
  principal repaid, interest paid, operating cost, income tax.
* 财务计划现金流量表 financial plan cash flow: operating, investing and financing activities,
  net cash flow and the cumulative surplus (累计盈余资金; < 0 flags a year the project cannot pay).

Indicators (formulas as quoted in teaching material of the method, clause not verified):

* DSCR_t = (EBITDA_t − tax_t) / (principal_t + interest_t)  (偿债备付率)
* ICR_t = EBIT_t / interest_t  (利息备付率)
* FIRR: the rate r with Σ_t F_t (1 + r)^−t = 0 (scipy.optimize.brentq on a bracket found by a
  scan; no sign change → :class:`NoIRRError`); FNPV = Σ_t F_t d_t at the benchmark rate.
* Interest during construction (建设期利息): (opening balance + drawdown/2) · rate, the
  mid-year drawdown convention of the method as quoted in exam material.

Everything is in CNY per year on the schedule's years; functions are pure (numpy/pandas).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from gepcalc.errors import ConfigError, GepcalcError
from gepcalc.project.schedule import Schedule, payback
from gepcalc.schema import DebtSection, EconomicSection, FinancingSection, SubsidySection, validate

#: keys of [financing] and its tables (the schema: :class:`gepcalc.schema.FinancingSection`)
FINANCING_KEYS = set(FinancingSection.model_fields)
DEBT_KEYS = set(DebtSection.model_fields)
SUBSIDY_KEYS = set(SubsidySection.model_fields)
ECONOMIC_KEYS = set(EconomicSection.model_fields)
REPAYMENTS = ("equal_instalment", "equal_principal", "bullet")
IDC_MODES = ("capitalised", "paid")
SUBSIDY_KINDS = ("investment", "operating")
TOL = 1e-6


class NoIRRError(GepcalcError, ValueError):
    """A cash flow without an internal rate of return (no sign change of its NPV, or several)."""


# -- the plan --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Debt:
    """A loan or special bond: yearly drawdown [CNY], rate [1/yr], grace and term [yr], repayment rule.

    ``grace`` and ``term`` count years from the first drawdown year (that year is year 1):
    principal is repaid in years ``grace + 1 … term``; ``idc`` says whether the interest of
    construction years is added to the balance (``capitalised``) or paid (from capital).
    """

    name: str
    kind: str  # "loan" or "bond"
    drawdown: pd.Series
    rate: float
    grace: int
    term: int
    repayment: str = "equal_instalment"
    idc: str = "capitalised"
    name_zh: str = ""


@dataclass(frozen=True)
class Subsidy:
    """Government money [CNY by year]: ``investment`` (funds construction) or ``operating`` (yearly income)."""

    name: str
    kind: str
    amounts: pd.Series
    name_zh: str = ""


@dataclass(frozen=True)
class Economic:
    """Economic analysis inputs: social discount rate [1/yr] and conversion (shadow-price) factors [1]."""

    social_discount_rate: float
    investment_factor: float = 1.0
    operating_cost_factor: float = 1.0
    revenue_factor: float = 1.0
    monetised_factor: float = 1.0
    non_market_factor: float = 1.0


@dataclass(frozen=True)
class Financing:
    """A parsed ``[financing]`` section (amounts in CNY by year over the schedule's years)."""

    capital: pd.Series
    debts: tuple[Debt, ...]
    subsidies: tuple[Subsidy, ...]
    benchmark_rate: float
    capital_benchmark: float
    tax_rate: float
    economic: Economic
    depreciation_years: int | None = None
    dscr_required: float = 1.0
    capital_share: float | None = None
    where: str = "[financing]"

    def scaled(self, k: float) -> Financing:
        """The same plan for an investment ×k: every amount that funds the investment ×k."""
        return replace(
            self,
            capital=self.capital * k,
            debts=tuple(replace(d, drawdown=d.drawdown * k) for d in self.debts),
            subsidies=tuple(replace(s, amounts=s.amounts * k) if s.kind == "investment" else s for s in self.subsidies),
        )


def _rate(value, where: str, *, negative: bool = False) -> float:
    from gepcalc.project.definition import parse_rate

    r = parse_rate(value, where)
    if not negative and r < 0:
        raise ConfigError(f"{where}: a rate must not be negative, got {value!r}")
    return r


def _whole(value, where: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(f"{where}: expected a whole number of years ≥ {low}, got {value!r}")
    return int(value)


def _amounts(spec: Mapping, key: str, investment: pd.Series, schedule: Schedule, unit: str, where: str):
    """Yearly amounts of a source: ``share`` of the investment (same years) or ``{year = amount}`` under ``key``."""
    from gepcalc.project.eod import parse_flow

    if "share" in spec and key in spec:
        raise ConfigError(f"{where}: give either `share` or `{key}`, not both")
    if "share" in spec:
        share = _rate(spec["share"], f"{where} share")
        if share > 1:
            raise ConfigError(f"{where} share: {share:g} is more than the whole investment (> 1)")
        return investment * share, share
    if key not in spec:
        raise ConfigError(f"{where}: needs `share` (of the investment) or `{key} = {{YEAR = amount, …}}`")
    raw = spec[key]
    if not isinstance(raw, Mapping) or any(k in raw for k in ("from", "to", "value", "growth")):
        raise ConfigError(f"{where} {key}: expected {{YEAR = amount, …}}, got {raw!r}")
    return parse_flow(raw, schedule, unit, f"{where} {key}"), None


def parse_financing(raw: Mapping, schedule: Schedule, investment: pd.Series, *, unit: str, where: str) -> Financing:
    """``[financing]`` → :class:`Financing`, validated against the schedule and the [eod] investment.

    Every source of funds is a ``share`` of the yearly construction investment or amounts by year.
    ``capital_share`` (资本金比例) may be left out: the capital is then what the other sources leave.
    The sources must fund the investment exactly, year by year.

    Raises
    ------
    ConfigError
        Unknown keys, shares that do not add up to 1, a negative rate, a grace period not shorter
        than the term, a drawdown after the grace period, a loan term past the horizon, or
        sources that do not match the investment in a year; each message names the file and key.
    """
    w = f"{where} [financing]"
    validate(FinancingSection, raw, w)  # keys and kinds of every table, all at once
    unit = str(raw.get("unit", unit))
    years = schedule.years
    last = int(years[-1])
    if float(investment.sum()) <= 0:
        raise ConfigError(f"{w}: a financing plan needs the construction investment of [eod] investment")
    shares: dict[str, float] = {}
    parts: dict[str, pd.Series] = {}
    debts = []
    for kind, section, default in (("loan", "loans", "equal_instalment"), ("bond", "bonds", "bullet")):
        for name, spec in dict(raw.get(section, {})).items():
            wd = f"{w} [financing.{section}.{name}]"
            amounts, share = _amounts(spec, "drawdown", investment, schedule, unit, wd)
            if share is not None:
                shares[f"{section}.{name}.share"] = share
            parts[f"{section}.{name}"] = amounts
            for key in ("rate", "term"):
                if key not in spec:
                    raise ConfigError(f"{wd}: needs `{key}`")
            rate = _rate(spec["rate"], f"{wd} rate")
            term = _whole(spec["term"], f"{wd} term", 1)
            grace = _whole(spec.get("grace", 0), f"{wd} grace", 0)
            repayment = str(spec.get("repayment", default))
            if repayment not in REPAYMENTS:
                raise ConfigError(f"{wd} repayment: {repayment!r} is not one of {REPAYMENTS}")
            idc = str(spec.get("idc", "capitalised"))
            if idc not in IDC_MODES:
                raise ConfigError(f"{wd} idc: {idc!r} is not one of {IDC_MODES}")
            drawn = amounts[amounts != 0]
            if (amounts < 0).any():
                raise ConfigError(f"{wd} drawdown: amounts must not be negative")
            if not len(drawn):
                raise ConfigError(f"{wd}: nothing is drawn")
            first = int(drawn.index[0])
            if grace >= term:
                raise ConfigError(f"{wd} grace: {grace} yr must be shorter than the term {term} yr")
            if first + term - 1 > last:
                raise ConfigError(
                    f"{wd} term: {term} yr from the first drawdown in {first} ends in {first + term - 1}, "
                    f"past the appraisal horizon {years[0]}–{last}; shorten the term or lengthen [schedule] horizon"
                )
            repay_from = first + term - 1 if repayment == "bullet" else first + grace
            late = [int(y) for y in drawn.index if int(y) >= repay_from]
            if late:
                raise ConfigError(
                    f"{wd} drawdown: year {late[0]} is not before repayment starts in {repay_from} "
                    f"(first drawdown {first}, grace {grace} yr); drawdowns must end before repayment starts"
                )
            debts.append(Debt(name, kind, amounts, rate, grace, term, repayment, idc, str(spec.get("name_zh", ""))))
    subsidies = []
    for name, spec in dict(raw.get("subsidies", {})).items():
        ws = f"{w} [financing.subsidies.{name}]"
        kind = str(spec.get("kind", "investment"))
        if kind not in SUBSIDY_KINDS:
            raise ConfigError(f"{ws} kind: {kind!r} is not one of {SUBSIDY_KINDS}")
        if kind == "operating" and "share" in spec:
            raise ConfigError(f"{ws}: an operating subsidy is given as `amounts`, not a share of the investment")
        amounts, share = _amounts(spec, "amounts", investment, schedule, unit, ws)
        if (amounts < 0).any():
            raise ConfigError(f"{ws} amounts: amounts must not be negative")
        if kind == "investment":
            if share is not None:
                shares[f"subsidies.{name}.share"] = share
            parts[f"subsidies.{name}"] = amounts
        subsidies.append(Subsidy(name, kind, amounts, str(spec.get("name_zh", ""))))
    others = sum(parts.values(), pd.Series(0.0, index=investment.index))
    if "capital" in raw and "capital_share" in raw:
        raise ConfigError(f"{w}: give either `capital_share` or `capital`, not both")
    cshare = None
    if "capital_share" in raw:
        cshare = _rate(raw["capital_share"], f"{w} capital_share")
        if cshare > 1:
            raise ConfigError(f"{w} capital_share: {cshare:g} is more than the whole investment (> 1)")
        capital = investment * cshare
        shares["capital_share"] = cshare
    elif "capital" in raw:
        capital, _ = _amounts({"capital": raw["capital"]}, "capital", investment, schedule, unit, w)
    else:
        capital = investment - others  # the rest
        if (capital < -TOL * max(1.0, float(investment.abs().max()))).any():
            y = int(capital.index[np.flatnonzero(capital.to_numpy() < 0)[0]])
            raise ConfigError(
                f"{w}: in {y} loans, bonds and subsidies ({others[y]:,.0f} CNY) exceed the investment "
                f"({investment[y]:,.0f} CNY); there is no room for capital"
            )
        capital = capital.clip(lower=0.0)
    if cshare is not None and len(shares) == len(parts) + 1:  # every source a share: they must add up to 1
        total = sum(shares.values())
        if abs(total - 1) > 1e-9:
            listing = " + ".join(f"{k} {v:g}" for k, v in shares.items())
            raise ConfigError(
                f"{w}: the shares of the investment add up to {total:g}, not 1 ({listing}); "
                "leave out capital_share to make capital the rest"
            )
    funded = capital + others
    gap = funded - investment
    scale = max(1.0, float(investment.abs().max()))
    if (gap.abs() > TOL * scale).any():
        y = int(gap.index[np.flatnonzero(gap.abs().to_numpy() > TOL * scale)[0]])
        names = ["capital", *parts]
        raise ConfigError(
            f"{w}: in {y} the sources of funds ({', '.join(names)}) give {funded[y]:,.2f} CNY but the "
            f"[eod] investment is {investment[y]:,.2f} CNY; they must match year by year"
        )
    bench = _rate(raw.get("benchmark_rate", schedule.discount_rate), f"{w} benchmark_rate")
    cbench = _rate(raw.get("capital_benchmark", bench), f"{w} capital_benchmark")
    tax = _rate(raw.get("income_tax", 0.0), f"{w} income_tax")
    if tax >= 1:
        raise ConfigError(f"{w} income_tax: {tax:g} must be below 1 (100 %)")
    dep = raw.get("depreciation_years")
    if dep is not None:
        dep = _whole(dep, f"{w} depreciation_years", 1)
    dscr_req = raw.get("dscr_required", 1.0)
    if isinstance(dscr_req, bool) or not isinstance(dscr_req, int | float) or dscr_req <= 0:
        raise ConfigError(f"{w} dscr_required: expected a number > 0 such as 1.2, got {dscr_req!r}")
    econ = dict(raw.get("economic", {}))
    factors = {}
    for k in ECONOMIC_KEYS - {"social_discount_rate", "note"}:
        v = econ.get(k, 1.0)
        if isinstance(v, bool) or not isinstance(v, int | float) or v < 0:
            raise ConfigError(f"{w} [financing.economic] {k}: expected a conversion factor ≥ 0, got {v!r}")
        factors[k] = float(v)
    sdr = _rate(
        econ.get("social_discount_rate", schedule.discount_rate), f"{w} [financing.economic] social_discount_rate"
    )
    return Financing(
        capital=capital,
        debts=tuple(debts),
        subsidies=tuple(subsidies),
        benchmark_rate=bench,
        capital_benchmark=cbench,
        tax_rate=tax,
        economic=Economic(sdr, **factors),
        depreciation_years=dep,
        dscr_required=float(dscr_req),
        capital_share=cshare,
        where=w,
    )


# -- loan schedule ---------------------------------------------------------------------------------


def loan_schedule(
    drawdown: pd.Series,
    rate: float,
    grace: int,
    term: int,
    repayment: str = "equal_instalment",
    *,
    construction: Sequence[int] = (),
    idc: str = "capitalised",
) -> pd.DataFrame:
    """Yearly schedule of one loan [CNY]: opening, drawdown, interest (capitalised / paid), principal, closing.

    Year 1 is the first year with a drawdown; principal is repaid in years ``grace + 1 … term``.

    .. math::

        I_t = (B_{t-1} + D_t / 2)\\, r                   \\quad\\text{(drawdowns at mid-year)}

        A = B_g\\, \\frac{r}{1 - (1 + r)^{-n}}              \\quad\\text{(equal instalment, 等额本息)}

        P_t = B_g / n                                        \\quad\\text{(equal principal, 等额本金)}

    with B_g the balance when repayment starts and n = term − grace; ``bullet`` repays B_g in the
    last year (到期一次还本).  Interest of ``construction`` years before repayment starts is added to
    the balance (``idc="capitalised"``) or paid from capital (``idc_paid``, also in ``interest_paid``);
    later interest is paid every year.  The mid-year drawdown
    rule is the interest-during-construction formula of 《建设项目经济评价方法与参数》(第三版) as
    quoted in exam material (e.g. zhongxunwx.com/question/232155.html); the clause was not verified.

    Parameters
    ----------
    drawdown
        Amount drawn per year [CNY] (index ``year``).
    rate
        Yearly interest rate [1/yr].
    grace, term
        Grace period and term [yr] counted from the first drawdown year.
    repayment
        ``equal_instalment``, ``equal_principal`` or ``bullet``.
    """
    years = drawdown.index.to_numpy(dtype=int)
    d = drawdown.to_numpy(dtype=float)
    drawn = np.flatnonzero(d != 0)
    n_y = len(years)
    names = ("opening", "drawdown", "interest", "capitalised", "idc_paid", "interest_paid", "principal")
    cols = {k: np.zeros(n_y) for k in names}
    cols["drawdown"] = d.copy()
    closing = np.zeros(n_y)
    if not len(drawn):
        cols["closing"] = closing
        return pd.DataFrame(cols, index=pd.Index(years, name="year"))
    first = int(years[drawn[0]])
    start, end = first + grace, first + term - 1
    n = term - grace
    bal = 0.0
    b_rep = None
    instalment = None
    cons = set(int(y) for y in construction)
    for i, y in enumerate(years):
        y = int(y)
        cols["opening"][i] = bal
        interest = (bal + d[i] / 2.0) * rate
        cols["interest"][i] = interest
        during = y in cons and y < (end if repayment == "bullet" else start)  # construction, before repayment
        if during and idc == "capitalised":
            cols["capitalised"][i] = interest
        else:
            cols["interest_paid"][i] = interest
            if during:
                cols["idc_paid"][i] = interest
        principal = 0.0
        if start <= y <= end:
            if b_rep is None:
                b_rep = bal
                if repayment == "equal_instalment":
                    instalment = b_rep / n if rate == 0 else b_rep * rate / (1.0 - (1.0 + rate) ** -n)
            if repayment == "equal_principal":
                principal = b_rep / n
            elif repayment == "equal_instalment":
                principal = instalment - interest
            elif y == end:
                principal = b_rep
            if y == end:
                principal = bal + d[i] + cols["capitalised"][i]  # close exactly (no rounding residue)
        cols["principal"][i] = principal
        bal = bal + d[i] + cols["capitalised"][i] - principal
        closing[i] = bal
    cols["closing"] = closing
    df = pd.DataFrame(cols, index=pd.Index(years, name="year"))
    df["debt_service"] = df["principal"] + df["interest_paid"]
    return df


# -- rates of return -------------------------------------------------------------------------------


def npv_at(flows: Sequence[float] | np.ndarray, rate: float, k: int = 1) -> float:
    """Σ_t F_t (1 + r)^−(t + k), t = 0, 1, … (k = 1: end-of-year flows) [flows' unit]."""
    f = np.asarray(flows, dtype=float)
    t = np.arange(len(f)) + k
    return float((f * (1.0 + rate) ** -t).sum())


#: rates scanned for a sign change of the NPV (−99 % … 1000 %)
_GRID = np.concatenate([np.linspace(-0.99, 1.0, 400), np.linspace(1.0, 10.0, 100)[1:]])


def irr(flows: Sequence[float] | np.ndarray) -> float:
    """Internal rate of return [1/yr]: the r with Σ_t F_t (1 + r)^−t = 0.

    The NPV is evaluated on rates from −99 % to 1000 %; the root is refined with
    ``scipy.optimize.brentq`` in the one bracket where the NPV changes sign.

    Raises
    ------
    NoIRRError
        The NPV does not change sign (all flows of one sign, or never paid back within the
        horizon), or changes sign more than once (several IRRs: use the FNPV).
    """
    f = np.asarray(flows, dtype=float)
    if not np.isfinite(f).all():
        raise NoIRRError("the cash flow has missing values")
    t = np.arange(len(f))
    vals = (f[None, :] * (1.0 + _GRID[:, None]) ** -t[None, :]).sum(axis=1)
    sign = np.sign(vals)
    nz = sign != 0  # a root exactly on the grid is bracketed by its neighbours
    idx = np.flatnonzero(np.diff(sign[nz]) != 0)
    grid = _GRID[nz]
    if not len(idx):
        total = f.sum()
        why = "all flows have one sign" if (f >= 0).all() or (f <= 0).all() else f"undiscounted sum {total:,.2f}"
        raise NoIRRError(f"no internal rate of return in −99 %…1000 %: the NPV never changes sign ({why})")
    if len(idx) > 1:
        roots = [brentq(lambda r: float((f * (1.0 + r) ** -t).sum()), grid[i], grid[i + 1]) for i in idx]
        raise NoIRRError(
            "several internal rates of return (" + ", ".join(f"{r:.4%}" for r in roots) + "): the cash flow "
            "changes sign more than once; judge the project by its FNPV"
        )
    i = int(idx[0])
    return float(brentq(lambda r: float((f * (1.0 + r) ** -t).sum()), grid[i], grid[i + 1], xtol=1e-12))


def _irr_or_none(flows) -> tuple[float | None, str]:
    try:
        return irr(flows), ""
    except NoIRRError as exc:
        return None, str(exc)


# -- the appraisal ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Flows:
    """Operating flows of a project [CNY per year, index ``year``].

    ``monetised_value`` is monetised ΔGEP priced at GEP prices (share of a service's value:
    moves with the ΔGEP prices), ``monetised_market`` at a market price; ``non_market`` the rest of
    the ΔGEP at GEP prices.
    """

    investment: pd.Series
    operating_cost: pd.Series
    revenue: pd.Series
    monetised_value: pd.Series
    monetised_market: pd.Series
    non_market: pd.Series

    @property
    def monetised(self) -> pd.Series:
        return self.monetised_value + self.monetised_market

    def shifted(self, years: int) -> Flows:
        """Everything but the investment ``years`` later (a construction delay), cut at the horizon."""
        return replace(
            self,
            operating_cost=self.operating_cost.shift(years, fill_value=0.0),
            revenue=self.revenue.shift(years, fill_value=0.0),
            monetised_value=self.monetised_value.shift(years, fill_value=0.0),
            monetised_market=self.monetised_market.shift(years, fill_value=0.0),
            non_market=self.non_market.shift(years, fill_value=0.0),
        )


@dataclass
class Appraisal:
    """Tables [CNY by year] and indicators of one appraisal (see :func:`appraise`)."""

    loans: dict[str, pd.DataFrame]
    income: pd.DataFrame
    investment_cf: pd.DataFrame
    capital_cf: pd.DataFrame
    plan_cf: pd.DataFrame
    coverage: pd.DataFrame
    economic: pd.DataFrame
    indicators: dict = field(default_factory=dict)


def _depreciation(assets: float, years: np.ndarray, first: int, n: int | None) -> tuple[np.ndarray, float]:
    """Straight-line depreciation from ``first`` over n years (default: to the horizon), and the book value left."""
    left_years = int(years[-1]) - first + 1
    n = n or max(left_years, 1)
    dep = np.where((years >= first) & (years < first + n), assets / n, 0.0)
    return dep, float(assets - dep.sum())


def appraise(flows: Flows, fin: Financing, schedule: Schedule) -> Appraisal:
    """Loan schedules, the three cash-flow tables, debt cover, economic flows and the indicators.

    Parameters
    ----------
    flows
        Investment, operating cost, revenue, monetised and non-market ΔGEP [CNY by year].
    fin
        The financing plan.
    schedule
        Years, construction years, discounting (timing) of the project.

    Returns
    -------
    Appraisal
        ``indicators``: FIRR before/after tax and on capital, FNPV at the benchmarks, static and
        dynamic payback, EIRR, ENPV, BCR, DSCR and ICR minima with their years, years below the
        required DSCR, the cumulative surplus minimum, the financed self-balance ratio, totals.
    """
    years = schedule.years
    idx = pd.Index(years, name="year")
    k = 1 if schedule.timing == "end" else 0
    cons = tuple(schedule.construction_years)
    z = np.zeros(len(years))
    inv = flows.investment.reindex(idx, fill_value=0.0).to_numpy(float)
    opx = flows.operating_cost.reindex(idx, fill_value=0.0).to_numpy(float)
    rev = flows.revenue.reindex(idx, fill_value=0.0).to_numpy(float)
    mon = flows.monetised.reindex(idx, fill_value=0.0).to_numpy(float)
    nonm = flows.non_market.reindex(idx, fill_value=0.0).to_numpy(float)
    sub_op = sum(
        (s.amounts.reindex(idx, fill_value=0.0).to_numpy(float) for s in fin.subsidies if s.kind == "operating"), z
    )
    sub_inv = sum(
        (s.amounts.reindex(idx, fill_value=0.0).to_numpy(float) for s in fin.subsidies if s.kind == "investment"), z
    )
    loans = {
        f"{d.kind}:{d.name}": loan_schedule(
            d.drawdown.reindex(idx, fill_value=0.0), d.rate, d.grace, d.term, d.repayment, construction=cons, idc=d.idc
        )
        for d in fin.debts
    }
    col = lambda c: sum((lt[c].to_numpy(float) for lt in loans.values()), z)  # noqa: E731
    draw, capit, paid, princ = col("drawdown"), col("capitalised"), col("interest_paid"), col("principal")
    idc_paid = col("idc_paid")  # construction interest paid, funded by extra capital
    interest_op = paid - idc_paid  # interest expensed in operating years
    capital = fin.capital.reindex(idx, fill_value=0.0).to_numpy(float) + idc_paid
    first_op = (max(cons) + 1) if cons else int(years[0])
    # depreciation: before financing on the investment alone; after financing incl. interest during construction
    dep_pre, book_pre = _depreciation(float(inv.sum()), years, first_op, fin.depreciation_years)
    dep, book = _depreciation(float(inv.sum() + (capit + idc_paid).sum()), years, first_op, fin.depreciation_years)
    resid_pre, resid = z.copy(), z.copy()
    resid_pre[-1], resid[-1] = max(book_pre, 0.0), max(book, 0.0)
    tau = fin.tax_rate
    sales = rev + mon + sub_op
    ebitda = sales - opx
    ebit = ebitda - dep
    pbt = ebit - interest_op
    tax = np.maximum(pbt, 0.0) * tau
    adj_tax = np.maximum(ebitda - dep_pre, 0.0) * tau

    def frame(d: dict) -> pd.DataFrame:
        return pd.DataFrame(d, index=idx)

    income = frame(
        {
            "revenue": rev,
            "monetised": mon,
            "operating_subsidy": sub_op,
            "operating_cost": opx,
            "ebitda": ebitda,
            "depreciation": dep,
            "ebit": ebit,
            "interest_expense": interest_op,
            "profit_before_tax": pbt,
            "income_tax": tax,
            "net_profit": pbt - tax,
        }
    )
    ic_in = rev + mon + sub_op + resid_pre
    ic_out = inv + opx
    net_bt = ic_in - ic_out
    net_at = net_bt - adj_tax
    investment_cf = frame(
        {
            "revenue": rev,
            "monetised": mon,
            "operating_subsidy": sub_op,
            "residual_value": resid_pre,
            "inflow": ic_in,
            "investment": inv,
            "operating_cost": opx,
            "outflow": ic_out,
            "net_before_tax": net_bt,
            "cumulative_before_tax": np.cumsum(net_bt),
            "adjusted_income_tax": adj_tax,
            "net_after_tax": net_at,
            "cumulative_after_tax": np.cumsum(net_at),
        }
    )
    cap_in = rev + mon + sub_op + resid
    cap_out = capital + princ + interest_op + opx + tax
    cap_net = cap_in - cap_out
    capital_cf = frame(
        {
            "revenue": rev,
            "monetised": mon,
            "operating_subsidy": sub_op,
            "residual_value": resid,
            "inflow": cap_in,
            "capital": capital,
            "principal": princ,
            "interest": interest_op,
            "operating_cost": opx,
            "income_tax": tax,
            "outflow": cap_out,
            "net": cap_net,
            "cumulative": np.cumsum(cap_net),
        }
    )
    op_net = sales - opx - tax
    fin_in = capital + draw + sub_inv
    fin_out = paid + princ
    plan_net = op_net - inv + fin_in - fin_out
    plan_cf = frame(
        {
            "operating_inflow": sales,
            "operating_cost": opx,
            "income_tax": tax,
            "net_operating": op_net,
            "investment": inv,
            "net_investing": -inv,
            "capital": capital,
            "loan_drawdown": draw,
            "investment_subsidy": sub_inv,
            "financing_inflow": fin_in,
            "interest_paid": paid,
            "principal": princ,
            "financing_outflow": fin_out,
            "net_financing": fin_in - fin_out,
            "net_cash_flow": plan_net,
            "cumulative_surplus": np.cumsum(plan_net),
        }
    )
    service = princ + interest_op
    avail = ebitda - tax
    with np.errstate(divide="ignore", invalid="ignore"):
        dscr = np.where(service > 0, avail / np.where(service > 0, service, 1.0), np.nan)
        icr = np.where(interest_op > 0, ebit / np.where(interest_op > 0, interest_op, 1.0), np.nan)
    coverage = frame(
        {
            "ebitda": ebitda,
            "income_tax": tax,
            "available_for_debt_service": avail,
            "principal": princ,
            "interest": interest_op,
            "debt_service": service,
            "dscr": dscr,
            "ebit": ebit,
            "icr": icr,
            "closing_balance": col("closing"),
        }
    )
    e = fin.economic
    ben = (
        e.revenue_factor * rev + e.monetised_factor * mon + e.non_market_factor * nonm + e.investment_factor * resid_pre
    )
    cost = e.investment_factor * inv + e.operating_cost_factor * opx
    economic = frame(
        {
            "revenue": e.revenue_factor * rev,
            "monetised": e.monetised_factor * mon,
            "non_market": e.non_market_factor * nonm,
            "residual_value": e.investment_factor * resid_pre,
            "benefit": ben,
            "investment": e.investment_factor * inv,
            "operating_cost": e.operating_cost_factor * opx,
            "cost": cost,
            "net_benefit": ben - cost,
        }
    )
    ind = _indicators(
        fin, schedule, k, net_bt, net_at, cap_net, ben, cost, dscr, icr, plan_cf, rev, mon, opx, tax, service, capital
    )
    ind.update(
        construction_investment=float(inv.sum()),
        interest_during_construction=float((capit + idc_paid).sum()),
        total_investment=float(inv.sum() + (capit + idc_paid).sum()),
        capital_total=float(capital.sum()),
        debt_total=float(draw.sum()),
        loans_total=float(sum(lt["drawdown"].sum() for n, lt in loans.items() if n.startswith("loan:"))),
        bonds_total=float(sum(lt["drawdown"].sum() for n, lt in loans.items() if n.startswith("bond:"))),
        investment_subsidies_total=float(sub_inv.sum()),
        operating_subsidies_total=float(sub_op.sum()),
    )
    return Appraisal(loans, income, investment_cf, capital_cf, plan_cf, coverage, economic, ind)


def _indicators(
    fin, schedule, k, net_bt, net_at, cap_net, ben, cost, dscr, icr, plan_cf, rev, mon, opx, tax, service, capital
):
    years = schedule.years
    out: dict = {}
    notes = []
    for key, flows in (("firr_before_tax", net_bt), ("firr_after_tax", net_at), ("firr_capital", cap_net)):
        out[key], why = _irr_or_none(flows)
        if why:
            notes.append(f"{key}: {why}")
    out["fnpv_before_tax"] = npv_at(net_bt, fin.benchmark_rate, k)
    out["fnpv_after_tax"] = npv_at(net_at, fin.benchmark_rate, k)
    out["fnpv_capital"] = npv_at(cap_net, fin.capital_benchmark, k)
    net = pd.Series(net_at, index=pd.Index(years, name="year"))
    out["payback_year"], out["payback_period"] = payback(net)
    disc = net * (1.0 + fin.benchmark_rate) ** -(np.arange(len(years)) + k)
    out["discounted_payback_year"], out["discounted_payback_period"] = payback(disc)
    r = fin.economic.social_discount_rate
    out["eirr"], why = _irr_or_none(ben - cost)
    if why:
        notes.append(f"eirr: {why}")
    out["enpv"] = npv_at(ben - cost, r, k)
    pv_cost = npv_at(cost, r, k)
    out["bcr"] = npv_at(ben, r, k) / pv_cost if pv_cost > 0 else float("nan")
    for name, arr in (("dscr", dscr), ("icr", icr)):
        ok = np.isfinite(arr)
        if ok.any():
            i = int(np.flatnonzero(ok)[np.argmin(arr[ok])])
            out[f"{name}_min"], out[f"{name}_min_year"] = float(arr[i]), int(years[i])
        else:
            out[f"{name}_min"], out[f"{name}_min_year"] = None, None
    out["dscr_required"] = fin.dscr_required
    out["dscr_below_required"] = [
        int(y) for y, v in zip(years, dscr, strict=True) if np.isfinite(v) and v < fin.dscr_required
    ]
    out["icr_below_1"] = [int(y) for y, v in zip(years, icr, strict=True) if np.isfinite(v) and v < 1.0]
    cum = plan_cf["cumulative_surplus"].to_numpy()
    i = int(np.argmin(cum))
    out["cumulative_surplus_min"], out["cumulative_surplus_min_year"] = float(cum[i]), int(years[i])
    out["deficit_years"] = [int(y) for y, v in zip(years, cum, strict=True) if v < -1e-6]
    d = schedule.discount_factors().to_numpy()
    pv_in = float(((rev + mon) * d).sum())
    inv_gov = float(
        sum(
            (s.amounts.reindex(pd.Index(years), fill_value=0.0).to_numpy() * d).sum()
            for s in fin.subsidies
            if s.kind == "investment"
        )
    )
    pv_out = float(((opx + tax + service + capital) * d).sum()) + inv_gov
    out["self_balance_financed"] = pv_in / pv_out if pv_out > 0 else float("nan")
    out["benchmark_rate"] = fin.benchmark_rate
    out["capital_benchmark"] = fin.capital_benchmark
    out["social_discount_rate"] = r
    out["notes"] = notes
    return out


# -- sensitivity and switching values ---------------------------------------------------------------

#: indicators of the sensitivity table
SENS_KEYS = ("firr_after_tax", "fnpv_after_tax", "firr_capital", "dscr_min", "self_balance_financed", "enpv", "eirr")


def variant(flows: Flows, fin: Financing, schedule: Schedule, *, investment=1.0, revenue=1.0, gep_price=1.0, delay=0):
    """Flows, plan and schedule with the investment ×k (plan scaled), revenues and monetised ΔGEP ×k,
    ΔGEP prices ×k (non-market ΔGEP and monetised ΔGEP valued at GEP prices) and a construction delay
    of ``delay`` years (construction extended; everything but the investment and the loans later)."""
    f = replace(
        flows,
        investment=flows.investment * investment,
        revenue=flows.revenue * revenue,
        monetised_value=flows.monetised_value * revenue * gep_price,
        monetised_market=flows.monetised_market * revenue,
        non_market=flows.non_market * gep_price,
    )
    p = fin.scaled(investment) if investment != 1 else fin
    s = schedule
    if delay:
        if not s.construction_years:
            raise ConfigError("a construction delay needs construction years in [schedule]")
        last = max(s.construction_years)
        extra = tuple(range(last + 1, last + 1 + int(delay)))
        s = replace(s, construction_years=tuple(s.construction_years) + extra)
        f = f.shifted(int(delay))
    return f, p, s


def sensitivity(flows: Flows, fin: Financing, schedule: Schedule, *, step: float = 0.1, delays=(1, 2)) -> pd.DataFrame:
    """One at a time: investment, revenue (and monetised ΔGEP), ΔGEP prices ±``step``; construction delays.

    Returns one row per case with the indicators of :data:`SENS_KEYS` (CNY, 1/yr, 1).
    """
    cases = [("base", "base 基准", 0.0, {})]
    for var, zh in (("investment", "建设投资"), ("revenue", "营业收入"), ("gep_price", "生态产品价格")):
        for sgn in (-1, 1):
            cases.append((var, f"{zh} {sgn * step:+.0%}", sgn * step, {var: 1 + sgn * step}))
    last = int(schedule.years[-1])
    for dly in delays:
        if schedule.construction_years and max(schedule.construction_years) + dly < last:
            cases.append(("delay", f"建设期延长 delay +{dly} yr", float(dly), {"delay": dly}))
    rows = []
    for var, label, change, kw in cases:
        a = appraise(*variant(flows, fin, schedule, **kw))
        rows.append({"variable": var, "case": label, "change": change, **{k: a.indicators[k] for k in SENS_KEYS}})
    return pd.DataFrame(rows)


def switching_values(flows: Flows, fin: Financing, schedule: Schedule) -> pd.DataFrame:
    """The change of each variable that brings FIRR (after tax) to the benchmark or the minimum DSCR to 1.0.

    FIRR = benchmark ⇔ FNPV(benchmark) = 0, solved with ``brentq`` on the relative change x of
    investment (x ∈ [−90 %, +1000 %]), revenue or ΔGEP prices (x ∈ [−100 %, +1000 %]); delays
    are whole years (the first delay that crosses).  Blank where the indicator does not cross
    within the range.
    """
    base = appraise(flows, fin, schedule).indicators
    targets = (
        ("firr_after_tax", "FIRR = benchmark 基准收益率", lambda a: a.indicators["fnpv_after_tax"]),
        ("dscr_min", "DSCR min = 1.0", lambda a: (a.indicators["dscr_min"] or np.inf) - 1.0),
    )
    rows = []
    for var, lo, hi in (("investment", -0.9, 10.0), ("revenue", -1.0, 10.0), ("gep_price", -1.0, 10.0)):
        for key, label, g in targets:
            if key == "dscr_min" and base["dscr_min"] is None:
                continue

            def h(x, var=var, g=g):
                return g(appraise(*variant(flows, fin, schedule, **{var: 1 + x})))

            h0 = h(0.0)
            x = None
            for a, b in ((lo, 0.0), (0.0, hi)):
                ha, hb = h(a), h(b)
                if np.isfinite(ha) and np.isfinite(hb) and ha * hb < 0:
                    x = float(brentq(h, a, b, xtol=1e-8))
                    break
            rows.append(
                {
                    "variable": var,
                    "indicator": label,
                    "base": base[key],
                    "switching change": x,
                    "note": ""
                    if x is not None
                    else ("met at every change tried" if h0 >= 0 else "not met even at base"),
                }
            )
    last = int(schedule.years[-1])
    if schedule.construction_years:
        for key, label, g in targets:
            if key == "dscr_min" and base["dscr_min"] is None:
                continue
            found = None
            if g(appraise(flows, fin, schedule)) >= 0:
                for dly in range(1, 6):
                    if max(schedule.construction_years) + dly >= last:
                        break
                    if g(appraise(*variant(flows, fin, schedule, delay=dly))) < 0:
                        found = dly
                        break
            rows.append(
                {
                    "variable": "delay",
                    "indicator": label,
                    "base": base[key],
                    "switching change": found,
                    "note": "years of delay" if found else "not crossed within 5 yr of delay (or not met at base)",
                }
            )
    return pd.DataFrame(rows, columns=["variable", "indicator", "base", "switching change", "note"])
