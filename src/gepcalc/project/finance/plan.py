"""The financing plan of a project: its dataclasses and the parser of ``[financing]`` with its checks.

Holds :class:`Financing` (capital, loans and bonds as :class:`Debt`, :class:`Subsidy`, the
benchmark rates, the income tax and the :class:`Economic` conversion factors) and
:func:`parse_financing`, which validates the plan against the schedule and the ``[eod]``
investment.  It does not compute anything from the plan: loan schedules are in
:mod:`~gepcalc.project.finance.loans`, the cash-flow tables in :mod:`~gepcalc.project.finance.tables`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from gepcalc.errors import ConfigError
from gepcalc.project.amounts import parse_flow, parse_rate
from gepcalc.project.schedule import Schedule
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


# -- small parsers ---------------------------------------------------------------------------------


def _rate(value, where: str, *, negative: bool = False) -> float:
    """A rate [1] (see :func:`~gepcalc.project.amounts.parse_rate`), not negative unless ``negative``."""
    r = parse_rate(value, where)
    if not negative and r < 0:
        raise ConfigError(f"{where}: a rate must not be negative, got {value!r}")
    return r


def _whole(value, where: str, low: int) -> int:
    """A whole number of years ≥ ``low``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(f"{where}: expected a whole number of years ≥ {low}, got {value!r}")
    return int(value)


def _amounts(spec: Mapping, key: str, investment: pd.Series, schedule: Schedule, unit: str, where: str):
    """Yearly amounts of a source: ``share`` of the investment (same years) or ``{year = amount}`` under ``key``."""
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


# -- loans, bonds, subsidies -----------------------------------------------------------------------


def _debt_terms(spec: Mapping, default: str, wd: str) -> tuple[float, int, int, str, str]:
    """Rate [1/yr], term and grace [yr], repayment rule and IDC mode of one loan or bond."""
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
    return rate, term, grace, repayment, idc


def _check_drawdown(amounts: pd.Series, grace: int, term: int, repayment: str, years, wd: str) -> None:
    """Drawdowns ≥ 0, something drawn, grace < term, the term within the horizon, drawn before repayment starts."""
    last = int(years[-1])
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


def parse_debt(
    name: str, spec: Mapping, kind: str, investment: pd.Series, schedule: Schedule, unit: str, where: str
) -> tuple[Debt, float | None]:
    """``[financing.loans.NAME]`` (``kind="loan"``) or ``[financing.bonds.NAME]`` → (:class:`Debt`, share or None).

    Loans default to equal instalments, bonds to a bullet repayment; ``where`` names the
    ``[financing]`` section in messages (file and section).
    """
    section, default = ("loans", "equal_instalment") if kind == "loan" else ("bonds", "bullet")
    wd = f"{where} [financing.{section}.{name}]"
    amounts, share = _amounts(spec, "drawdown", investment, schedule, unit, wd)
    rate, term, grace, repayment, idc = _debt_terms(spec, default, wd)
    _check_drawdown(amounts, grace, term, repayment, schedule.years, wd)
    debt = Debt(name, kind, amounts, rate, grace, term, repayment, idc, str(spec.get("name_zh", "")))
    return debt, share


def parse_subsidy(
    name: str, spec: Mapping, investment: pd.Series, schedule: Schedule, unit: str, where: str
) -> tuple[Subsidy, float | None]:
    """``[financing.subsidies.NAME]`` → (:class:`Subsidy`, share of the investment or None)."""
    ws = f"{where} [financing.subsidies.{name}]"
    kind = str(spec.get("kind", "investment"))
    if kind not in SUBSIDY_KINDS:
        raise ConfigError(f"{ws} kind: {kind!r} is not one of {SUBSIDY_KINDS}")
    if kind == "operating" and "share" in spec:
        raise ConfigError(f"{ws}: an operating subsidy is given as `amounts`, not a share of the investment")
    amounts, share = _amounts(spec, "amounts", investment, schedule, unit, ws)
    if (amounts < 0).any():
        raise ConfigError(f"{ws} amounts: amounts must not be negative")
    return Subsidy(name, kind, amounts, str(spec.get("name_zh", ""))), share


# -- capital and the balance of sources ----------------------------------------------------------


def _capital(
    raw: Mapping, investment: pd.Series, others: pd.Series, schedule: Schedule, unit: str, w: str
) -> tuple[pd.Series, float | None]:
    """Capital (资本金) by year [CNY]: ``capital_share``, ``capital`` by year, or what the other sources leave."""
    if "capital" in raw and "capital_share" in raw:
        raise ConfigError(f"{w}: give either `capital_share` or `capital`, not both")
    if "capital_share" in raw:
        cshare = _rate(raw["capital_share"], f"{w} capital_share")
        if cshare > 1:
            raise ConfigError(f"{w} capital_share: {cshare:g} is more than the whole investment (> 1)")
        return investment * cshare, cshare
    if "capital" in raw:
        capital, _ = _amounts({"capital": raw["capital"]}, "capital", investment, schedule, unit, w)
        return capital, None
    capital = investment - others  # the rest
    if (capital < -TOL * max(1.0, float(investment.abs().max()))).any():
        y = int(capital.index[np.flatnonzero(capital.to_numpy() < 0)[0]])
        raise ConfigError(
            f"{w}: in {y} loans, bonds and subsidies ({others[y]:,.0f} CNY) exceed the investment "
            f"({investment[y]:,.0f} CNY); there is no room for capital"
        )
    return capital.clip(lower=0.0), None


def _check_shares(shares: Mapping[str, float], n_parts: int, w: str) -> None:
    """When every source (capital included) is a share of the investment, the shares add up to 1."""
    if len(shares) != n_parts + 1:
        return
    total = sum(shares.values())
    if abs(total - 1) > 1e-9:
        listing = " + ".join(f"{k} {v:g}" for k, v in shares.items())
        raise ConfigError(
            f"{w}: the shares of the investment add up to {total:g}, not 1 ({listing}); "
            "leave out capital_share to make capital the rest"
        )


def _check_funded(capital: pd.Series, others: pd.Series, investment: pd.Series, names: list[str], w: str) -> None:
    """The sources of funds match the investment year by year (within :data:`TOL` of its largest year)."""
    funded = capital + others
    gap = funded - investment
    scale = max(1.0, float(investment.abs().max()))
    if (gap.abs() > TOL * scale).any():
        y = int(gap.index[np.flatnonzero(gap.abs().to_numpy() > TOL * scale)[0]])
        raise ConfigError(
            f"{w}: in {y} the sources of funds ({', '.join(names)}) give {funded[y]:,.2f} CNY but the "
            f"[eod] investment is {investment[y]:,.2f} CNY; they must match year by year"
        )


# -- rates, tax and economic factors ----------------------------------------------------------------


def _terms(raw: Mapping, schedule: Schedule, w: str) -> dict:
    """Benchmark rates [1/yr], income tax rate [1], depreciation years and the required DSCR [1]."""
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
    return {
        "benchmark_rate": bench,
        "capital_benchmark": cbench,
        "tax_rate": tax,
        "depreciation_years": dep,
        "dscr_required": float(dscr_req),
    }


def _economic(raw: Mapping, schedule: Schedule, w: str) -> Economic:
    """``[financing.economic]`` → :class:`Economic` (factors default to 1, the rate to the schedule's)."""
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
    return Economic(sdr, **factors)


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
    if float(investment.sum()) <= 0:
        raise ConfigError(f"{w}: a financing plan needs the construction investment of [eod] investment")
    shares: dict[str, float] = {}  # every source given as a share of the investment
    parts: dict[str, pd.Series] = {}  # every source of the investment but capital [CNY by year]
    debts = []
    for kind, section in (("loan", "loans"), ("bond", "bonds")):
        for name, spec in dict(raw.get(section, {})).items():
            debt, share = parse_debt(name, spec, kind, investment, schedule, unit, w)
            if share is not None:
                shares[f"{section}.{name}.share"] = share
            parts[f"{section}.{name}"] = debt.drawdown
            debts.append(debt)
    subsidies = []
    for name, spec in dict(raw.get("subsidies", {})).items():
        sub, share = parse_subsidy(name, spec, investment, schedule, unit, w)
        if sub.kind == "investment":
            if share is not None:
                shares[f"subsidies.{name}.share"] = share
            parts[f"subsidies.{name}"] = sub.amounts
        subsidies.append(sub)
    others = sum(parts.values(), pd.Series(0.0, index=investment.index))
    capital, cshare = _capital(raw, investment, others, schedule, unit, w)
    if cshare is not None:
        shares["capital_share"] = cshare
        _check_shares(shares, len(parts), w)
    _check_funded(capital, others, investment, ["capital", *parts], w)
    terms = _terms(raw, schedule, w)
    economic = _economic(raw, schedule, w)
    return Financing(
        capital=capital,
        debts=tuple(debts),
        subsidies=tuple(subsidies),
        economic=economic,
        capital_share=cshare,
        where=w,
        **terms,
    )
