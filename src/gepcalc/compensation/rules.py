"""Compensation rules: what a receiving region owes a supplying one, by pair and year.

Three named methods, each a pure function returning a tidy table with the columns
:data:`AMOUNT_COLUMNS` (amounts in CNY; money inputs go through pint, so
``"1 亿元"`` or ``"500 万元"`` are read in their unit).

``gep_flow``
    B pays A a declared share of the value of the services B receives from A
    (a row of a flow matrix valued at the account's prices), discounted to a base
    year if a rate is given:

    .. math:: T_{A\\to B,t} = s \\cdot V_{AB} \\cdot (1 + r)^{-(t - t_0)}

``water_quality_section``
    The cross-section index of the Xin'an River scheme (新安江流域上下游横向生态补偿),
    as the issue states it:

    .. math:: P = k_0 \\sum_i w_i \\frac{C_i}{S_i}

    with :math:`C_i` the year's mean concentration of pollutant i at the section
    (flow-weighted when the monitoring lines carry the discharge), :math:`S_i` its
    baseline concentration, :math:`k_0` the water-quality stability coefficient and
    :math:`w_i` optional weights (1 unless given). The payment follows tiers of P:
    the first tier whose upper bound ``p_max`` is ≥ P applies (bounds inclusive,
    "P ≤ 1"), and says who pays (the downstream region when the water is good, the
    upstream region when it is not) and how much. The parameters are **inputs
    without defaults**: the agreement's text (k₀, the baseline years and values, the
    tiers) could not be read in a source for gepcalc; the first round's amounts
    (2012–2014: Zhejiang pays Anhui 1 亿元 a year if the section meets the standard,
    Anhui pays Zhejiang 1 亿元 if not; 3 亿元 a year from the central budget) are
    reported by 贺海峰 (2012), see ``docs/compensation.md``.
``opportunity_cost``
    Development forgone by the upstream region, the lower bound of compensation in
    the Chinese literature (柳荻, 胡振通, 靳乐山 2018, 生态学报 38(2):380–392,
    ChinaXiv 201801.00485, section 3: opportunity cost the lower bound, the value of
    the services the upper bound):

    .. math:: OC = \\sum_g \\max(0,\\; I^{ref}_g - I_g)\\, N_g

    with :math:`I_g` the per-capita income of group g (urban disposable income, rural
    net income) in the upstream region, :math:`I^{ref}_g` that of the reference
    region and :math:`N_g` the upstream population of the group.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gepcalc.errors import ConfigError, LineError
from gepcalc.units import magnitude_in

__all__ = [
    "AMOUNT_COLUMNS",
    "Tier",
    "gep_flow",
    "opportunity_cost",
    "p_index",
    "parse_tiers",
    "read_section_lines",
    "section_means",
    "water_quality_section",
]

#: columns of every rule's amounts table
AMOUNT_COLUMNS = ["rule", "method", "year", "payer", "payee", "amount", "basis"]

#: the four pollutants monitored at the Xin'an River section (as the issue names them)
XINAN_POLLUTANTS = ("codmn", "nh3n", "tp", "tn")


def money(value: Any, where: str) -> float:
    """An amount [CNY] from ``"1 亿元"``, ``"500 万元"`` or a Quantity; a bare number is refused."""
    return magnitude_in(value, "CNY", where=where)


# ---------------------------------------------------------------------------------------------
# gep_flow


def gep_flow(
    values: pd.DataFrame,
    *,
    share: float,
    years: Sequence[int],
    rule: str = "gep_flow",
    discount_rate: float = 0.0,
    base_year: int | None = None,
    pairs: Sequence[tuple[str, str]] | None = None,
    price_basis: str = "",
    min_share: float = 0.0,
) -> pd.DataFrame:
    """Amounts [CNY] each receiver pays each supplier: share × value received, discounted.

    .. math:: T_{A\\to B,t} = s \\cdot V_{AB} \\cdot (1 + r)^{-(t - t_0)}

    Parameters
    ----------
    values
        Value received [CNY/yr], source (row) × receiver (column); columns that are not
        sources (the outlet) are skipped, as is the diagonal.
    share
        Share s of the value paid [-], 0…1.
    years
        Years t paid for (the same annual value each year).
    rule
        Name of the rule (recorded).
    discount_rate
        r [1/yr]; 0 = no discounting.
    base_year
        t₀ (default: the first year).
    pairs
        ``(payer, payee)`` pairs to keep (default: every pair with a positive value).
    price_basis
        The price basis of ``values`` (recorded in ``basis``).
    min_share
        Pairs whose value is below this share of the source's total routed value are left out
        (cells on a boundary that drain across it; 0 keeps every positive pair).

    Returns
    -------
    pandas.DataFrame
        :data:`AMOUNT_COLUMNS`.
    """
    if not 0.0 <= share <= 1.0:
        raise ConfigError(f"rule {rule!r} (gep_flow): share must be within 0…1, got {share}")
    if discount_rate <= -1.0:
        raise ConfigError(f"rule {rule!r} (gep_flow): discount rate {discount_rate} must be > −1")
    if not years:
        raise ConfigError(f"rule {rule!r} (gep_flow): no year given")
    t0 = int(base_year if base_year is not None else min(years))
    sources = set(values.index)
    wanted = None if pairs is None else {(str(p), str(q)) for p, q in pairs}
    if wanted is not None:
        unknown = sorted({x for pq in wanted for x in pq} - sources)
        if unknown:
            raise ConfigError(
                f"rule {rule!r} (gep_flow): regions {unknown} are not in the flow matrix {sorted(sources)}"
            )
    rows = []
    for source in values.index:
        for receiver in values.columns:
            if receiver == source or receiver not in sources:
                continue
            v = float(values.loc[source, receiver])
            if wanted is not None and (receiver, source) not in wanted:
                continue
            if wanted is None and (v <= 0.0 or v < min_share * float(values.loc[source].sum())):
                continue
            for t in years:
                f = (1.0 + discount_rate) ** -(int(t) - t0)
                basis = f"{share:g} × {v:,.2f} CNY/yr received from {source}"
                if discount_rate:
                    basis += f" × (1 + {discount_rate:g})^-({t} − {t0})"
                if price_basis:
                    basis += f"; {price_basis}"
                rows.append([rule, "gep_flow", int(t), receiver, source, share * v * f, basis])
    return pd.DataFrame(rows, columns=AMOUNT_COLUMNS)


# ---------------------------------------------------------------------------------------------
# water_quality_section


@dataclass(frozen=True)
class Tier:
    """A payment tier: applies when P ≤ ``p_max`` (and P > the previous tier's bound)."""

    p_max: float
    payer: str  # "upstream" or "downstream"
    amount: float  # CNY


def parse_tiers(raw: Sequence[Mapping[str, Any]], where: str) -> list[Tier]:
    """Tiers from config rows ``{p_max = 1.0, payer = "downstream", amount = "1 亿元"}``; the last may omit p_max (∞).

    Bounds must increase strictly; ``payer`` is ``upstream`` or ``downstream``; the
    amount carries its money unit.
    """
    if not raw:
        raise ConfigError(
            f"{where}: no payment tiers given (e.g. [[rules.tiers]] p_max = 1.0, payer = ..., amount = ...)"
        )
    tiers = []
    for i, t in enumerate(raw, start=1):
        here = f"{where}, tier {i}"
        unknown = set(t) - {"p_max", "payer", "amount", "source"}
        if unknown:
            raise ConfigError(f"{here}: unknown keys {sorted(unknown)} (p_max, payer, amount, source)")
        if "amount" not in t or "payer" not in t:
            raise ConfigError(f"{here}: needs 'payer' and 'amount'")
        p_max = float(t.get("p_max", math.inf))
        if math.isnan(p_max):
            raise ConfigError(f"{here}: p_max is NaN")
        if t["payer"] not in ("upstream", "downstream"):
            raise ConfigError(f"{here}: payer must be 'upstream' or 'downstream', got {t['payer']!r}")
        amount = money(t["amount"], here)
        if amount < 0:
            raise ConfigError(f"{here}: amount must not be negative, got {t['amount']!r}")
        tiers.append(Tier(p_max, t["payer"], amount))
    for a, b in itertools.pairwise(tiers):
        if not b.p_max > a.p_max:
            raise ConfigError(f"{where}: tier bounds must increase, got p_max {a.p_max} then {b.p_max}")
    if not math.isinf(tiers[-1].p_max):
        raise ConfigError(
            f"{where}: the last tier must have no p_max (it takes every P above {tiers[-1].p_max}); "
            "a P above every bound would have no rule"
        )
    return tiers


def p_index(
    concentration: Mapping[str, float],
    baseline: Mapping[str, float],
    k0: float,
    weights: Mapping[str, float] | None = None,
    *,
    where: str = "section",
) -> float:
    """Compensation index P [-] = k₀ Σᵢ wᵢ Cᵢ / Sᵢ over the pollutants of ``concentration``.

    Parameters
    ----------
    concentration
        Mean concentration Cᵢ [mg/L] by pollutant.
    baseline
        Baseline concentration Sᵢ [mg/L] by pollutant (every pollutant of ``concentration``).
    k0
        Water-quality stability coefficient k₀ [-].
    weights
        wᵢ [-] by pollutant (default 1).
    where
        Section (and year) for messages.

    Returns
    -------
    float
        P [-].
    """
    if not k0 > 0:
        raise ConfigError(f"{where}: k0 must be positive, got {k0}")
    total = 0.0
    for pollutant, c in concentration.items():
        if pollutant not in baseline:
            raise ConfigError(
                f"{where}: pollutant {pollutant!r} has no baseline concentration (baseline gives {sorted(baseline)})"
            )
        s = float(baseline[pollutant])
        if not s > 0:
            raise ConfigError(f"{where}: baseline concentration of {pollutant!r} must be positive, got {s}")
        if c < 0 or math.isnan(c):
            raise LineError(f"{where}: concentration of {pollutant!r} is {c}; it must be ≥ 0")
        w = 1.0 if weights is None else float(weights.get(pollutant, 1.0))
        total += w * c / s
    return k0 * total


def read_section_lines(source: str | pd.DataFrame, where: str = "") -> pd.DataFrame:
    """Monitoring lines: ``section, year, pollutant, concentration, unit`` [, ``discharge``, ``discharge_unit``].

    One line per sample (several a year are averaged, flow-weighted when
    ``discharge`` is given). Concentrations are converted to mg/L; a negative one, a
    missing column or value is refused with the file, row and column.
    """
    name = where or (str(source) if not isinstance(source, pd.DataFrame) else "section lines")
    if isinstance(source, pd.DataFrame):
        df = source.copy()
    else:
        try:
            df = pd.read_csv(source, encoding="utf-8-sig")
        except FileNotFoundError:
            raise LineError(f"monitoring lines {source} do not exist") from None
    need = ["section", "year", "pollutant", "concentration", "unit"]
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise LineError(f"{name}: columns {missing} missing (needs {need}, optional discharge, discharge_unit)")
    out = []
    for i, row in df.iterrows():
        here = f"{name}, row {int(i) + 2}"  # header is row 1
        for c in need:
            if pd.isna(row[c]) or str(row[c]).strip() == "":
                raise LineError(f"{here}, column {c!r}: empty")
        try:
            c = float(row["concentration"])
        except ValueError:
            raise LineError(f"{here}, column 'concentration': {row['concentration']!r} is not a number") from None
        if c < 0:
            raise LineError(f"{here}, column 'concentration': {c} is negative")
        mg_l = c * magnitude_in(f"1 {row['unit']}", "mg/L", where=f"{here}, column 'unit'")
        q = np.nan
        if "discharge" in df.columns and not pd.isna(row["discharge"]):
            unit = row.get("discharge_unit", "m**3/s")
            q = float(row["discharge"]) * magnitude_in(f"1 {unit}", "m**3/s", where=f"{here}, column 'discharge_unit'")
            if q < 0:
                raise LineError(f"{here}, column 'discharge': {row['discharge']} is negative")
        out.append([str(row["section"]), int(row["year"]), str(row["pollutant"]).strip().lower(), mg_l, q, here])
    return pd.DataFrame(out, columns=["section", "year", "pollutant", "concentration", "discharge", "line"])


def section_means(lines: pd.DataFrame) -> pd.DataFrame:
    """Year mean concentration [mg/L] by section and pollutant: flow-weighted where every sample has a discharge.

    .. math:: \\bar C = \\frac{\\sum_k C_k Q_k}{\\sum_k Q_k} \\quad\\text{else}\\quad \\frac{1}{n}\\sum_k C_k
    """
    rows = []
    for (section, year, pollutant), g in lines.groupby(["section", "year", "pollutant"], sort=True):
        q = g["discharge"].to_numpy()
        c = g["concentration"].to_numpy()
        if np.isfinite(q).all() and q.sum() > 0:
            mean, how = float((c * q).sum() / q.sum()), "flow-weighted"
        else:
            mean, how = float(c.mean()), "arithmetic"
        rows.append([section, int(year), pollutant, mean, len(g), how])
    return pd.DataFrame(rows, columns=["section", "year", "pollutant", "concentration", "samples", "mean"])


def water_quality_section(
    means: pd.DataFrame,
    *,
    section: str,
    upstream: str,
    downstream: str,
    k0: float,
    baseline: Mapping[str, float],
    tiers: Sequence[Tier],
    pollutants: Sequence[str] | None = None,
    weights: Mapping[str, float] | None = None,
    rule: str = "water_quality_section",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """P index per year at a section and the payment of its tier.

    Parameters
    ----------
    means
        From :func:`section_means` (section, year, pollutant, concentration [mg/L]).
    section
        The section's name in ``means``.
    upstream, downstream
        The regions above and below the section.
    k0
        Stability coefficient k₀ [-] (no default: the agreement's value is an input).
    baseline
        Baseline concentration Sᵢ [mg/L] by pollutant.
    tiers
        From :func:`parse_tiers`.
    pollutants
        Pollutants counted (default: those of the section's lines); each year must have all.
    weights
        wᵢ by pollutant (default 1).
    rule
        Name of the rule.

    Returns
    -------
    (amounts, index)
        :data:`AMOUNT_COLUMNS`, and per year the concentrations, P and the tier.
    """
    mine = means[means["section"] == section]
    if mine.empty:
        raise ConfigError(
            f"rule {rule!r}: section {section!r} has no monitoring lines (sections: {sorted(set(means['section']))})"
        )
    if not baseline:
        raise ConfigError(f"rule {rule!r}: section {section!r} has no baseline concentrations (baseline = {{...}})")
    chosen = list(pollutants) if pollutants else sorted(set(mine["pollutant"]))
    amounts, index = [], []
    for year, g in mine.groupby("year", sort=True):
        conc = dict(zip(g["pollutant"], g["concentration"], strict=True))
        lacking = [p for p in chosen if p not in conc]
        if lacking:
            raise ConfigError(f"rule {rule!r}: section {section!r}, {year}: no lines for {lacking}")
        used = {p: conc[p] for p in chosen}
        p = p_index(used, baseline, k0, weights, where=f"rule {rule!r}, section {section!r}, {year}")
        tier_no, tier = next((i, t) for i, t in enumerate(tiers, start=1) if p <= t.p_max)
        payer, payee = (downstream, upstream) if tier.payer == "downstream" else (upstream, downstream)
        bound = "∞" if math.isinf(tier.p_max) else f"{tier.p_max:g}"
        basis = f"P = {p:.4f} at {section} → tier {tier_no} (P ≤ {bound}): {tier.payer} pays"
        amounts.append([rule, "water_quality_section", int(year), payer, payee, tier.amount, basis])
        index.append(
            {
                "rule": rule,
                "section": section,
                "year": int(year),
                **{f"C_{k}": v for k, v in used.items()},
                "k0": k0,
                "P": p,
                "tier": tier_no,
                "payer": payer,
                "amount": tier.amount,
            }
        )
    return pd.DataFrame(amounts, columns=AMOUNT_COLUMNS), pd.DataFrame(index)


# ---------------------------------------------------------------------------------------------
# opportunity_cost


def opportunity_cost(
    *,
    region: str,
    payer: str,
    years: Sequence[int],
    income: Mapping[str, Any],
    reference_income: Mapping[str, Any],
    population: Mapping[str, Any],
    share: float = 1.0,
    rule: str = "opportunity_cost",
) -> pd.DataFrame:
    """Development forgone [CNY/yr]: Σ_g max(0, I_ref,g − I_g) · N_g, times ``share``, paid by ``payer`` to ``region``.

    Parameters
    ----------
    region
        The upstream (supplying) region, paid.
    payer
        The region that pays (the beneficiary).
    years
        Years paid for (the same incomes each year unless the mappings are per year, ``{2020: {...}}``).
    income, reference_income
        Per-capita income I_g [CNY/yr per person] by group (e.g. ``urban``, ``rural``), with units,
        of the region and of the reference region.
    population
        N_g [persons] by group.
    share
        Share of the opportunity cost paid [-].
    rule
        Name of the rule.

    Returns
    -------
    pandas.DataFrame
        :data:`AMOUNT_COLUMNS`.
    """
    if not 0.0 <= share <= 1.0:
        raise ConfigError(f"rule {rule!r} (opportunity_cost): share must be within 0…1, got {share}")

    def per_year(m: Mapping, year: int) -> Mapping:
        return m.get(year, m.get(str(year), m)) if any(str(k).isdigit() for k in m) else m

    rows = []
    for t in years:
        inc, ref, pop = per_year(income, t), per_year(reference_income, t), per_year(population, t)
        groups = list(pop)
        for g in groups:
            for what, m in (("income", inc), ("reference_income", ref)):
                if g not in m:
                    raise ConfigError(f"rule {rule!r} (opportunity_cost), {t}: {what} has no value for group {g!r}")
        total, parts = 0.0, []
        for g in groups:
            here = f"rule {rule!r}, {t}, group {g!r}"
            i = magnitude_in(inc[g], "CNY / yr", where=f"{here}, income")
            r = magnitude_in(ref[g], "CNY / yr", where=f"{here}, reference_income")
            n = float(pop[g])
            if n < 0:
                raise ConfigError(f"{here}: population {n} is negative")
            gap = max(0.0, r - i)
            total += gap * n
            parts.append(f"{g}: max(0, {r:,.0f} − {i:,.0f}) × {n:,.0f}")
        basis = f"{share:g} × (" + " + ".join(parts) + ")"
        rows.append([rule, "opportunity_cost", int(t), payer, region, share * total, basis])
    return pd.DataFrame(rows, columns=AMOUNT_COLUMNS)
