"""EOD appraisal: cash flow, monetised GEP gains, fund self-balance ratio and payback.

EOD projects (生态环境导向的开发, MEE/NDRC/PBoC/NFRA 《生态环境导向的开发(EOD)项目实施导则(试行)》,
2024) bundle public-interest ecological treatment with related industries whose
revenue "feeds back" (反哺) the treatment costs, and must reach a **fund
self-balance** (资金自平衡).  The guideline (read in reproductions) asks for the
balance but gives no formula; gepcalc's definition is

.. math:: R_{sb} = \\frac{\\sum_t (R_t + M_t)\\, d_t}{\\sum_t (I_t + O_t)\\, d_t}

with R_t industry revenues, M_t the part of the ΔGEP that becomes cash
(carbon credits, water rights, tourism revenue, land value …), I_t investment,
O_t operating costs [CNY] and d_t the schedule's discount factors; R_sb ≥ 1 means
self-balanced.  Everything else of the ΔGEP stays non-market (ecological benefit).

Monetised GEP: ``M_t = s · f_t · ΔGEP_service`` (share *s* of the service's value
change), or ``M_t = s · f_t · ΔQ_service · p_market`` when a market price is given.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gepcalc.errors import ConfigError
from gepcalc.project.amounts import FLOW_META, parse_flow, parse_money, parse_rate
from gepcalc.project.schedule import Schedule, npv, payback
from gepcalc.schema import EODSection, MonetisedSection, validate
from gepcalc.units import magnitude_in

__all__ = [
    "EOD",
    "EOD_KEYS",
    "FLOW_META",
    "MONETISED_KEYS",
    "Monetised",
    "cash_flow",
    "ecological_benefit",
    "indicators",
    "monetised_flows",
    "parse_eod",
    "parse_flow",
    "parse_money",
]

#: keys of [eod] and of [eod.monetised.NAME] (the schema: :class:`gepcalc.schema.EODSection`)
EOD_KEYS = set(EODSection.model_fields)
MONETISED_KEYS = set(MonetisedSection.model_fields)


@dataclass(frozen=True)
class Monetised:
    """A part of one service's ΔGEP that becomes cash."""

    name: str
    service: str
    share: float
    price: float | None = None  # CNY per unit of the service's quantity (× yr)
    price_text: str = ""
    name_zh: str = ""


@dataclass(frozen=True)
class EOD:
    """Yearly investment, operating cost and revenues [CNY], and the monetised parts of the ΔGEP."""

    investment: pd.Series
    operating_cost: pd.Series
    revenue: dict[str, pd.Series] = field(default_factory=dict)
    monetised: tuple[Monetised, ...] = ()
    names_zh: dict[str, str] = field(default_factory=dict)


def parse_eod(raw: Mapping, schedule: Schedule, services: list[str], quantity_units: Mapping[str, str], where: str):
    """``[eod]`` → :class:`EOD` (None when the section is empty)."""
    if not raw:
        return None
    validate(EODSection, raw, f"{where} [eod]")
    unit = str(raw.get("unit", "万元"))
    inv = parse_flow(raw.get("investment"), schedule, unit, f"{where} [eod] investment")
    opx = parse_flow(raw.get("operating_cost"), schedule, unit, f"{where} [eod] operating_cost")
    names_zh = {}
    revenue = {}
    for name, spec in dict(raw.get("revenue", {})).items():
        revenue[name] = parse_flow(spec, schedule, unit, f"{where} [eod.revenue.{name}]")
        if isinstance(spec, Mapping) and "name_zh" in spec:
            names_zh[name] = str(spec["name_zh"])
    mons = []
    shares: dict[str, float] = {}
    for name, spec in dict(raw.get("monetised", {})).items():
        w = f"{where} [eod.monetised.{name}]"
        sid = spec.get("service")
        if sid not in services:
            raise ConfigError(f"{w}: service {sid!r} is not in the project's accounts ({', '.join(services)})")
        share = parse_rate(spec.get("share", 1.0), f"{w} share")
        if not 0 <= share <= 1:
            raise ConfigError(f"{w}: share {share:g} must be within [0, 1]")
        shares[sid] = shares.get(sid, 0.0) + share
        if shares[sid] > 1 + 1e-12:
            raise ConfigError(f"{w}: the shares of service {sid!r} monetised add up to {shares[sid]:g} > 1")
        price = None
        if "price" in spec:
            qunit = quantity_units[sid]
            price = magnitude_in(spec["price"], f"CNY / ({qunit}) / yr", where=f"{w} price")
        if "name_zh" in spec:
            names_zh[name] = str(spec["name_zh"])
        mons.append(Monetised(name, sid, share, price, str(spec.get("price", "")), str(spec.get("name_zh", ""))))
    return EOD(inv, opx, revenue, tuple(mons), names_zh)


def monetised_flows(
    eod: EOD, effect: pd.Series, delta_value: pd.Series, delta_quantity: pd.Series
) -> dict[str, pd.Series]:
    """M_t [CNY] of each monetised part (see the module docstring).

    Parameters
    ----------
    effect
        Effect fraction f_t per year.
    delta_value
        Full-effect ΔGEP per service [CNY/yr].
    delta_quantity
        Full-effect Δquantity per service in its unit per year (NaN for services with several items).
    """
    out = {}
    for m in eod.monetised:
        if m.price is None:
            full = m.share * float(delta_value[m.service])
        else:
            dq = float(delta_quantity[m.service])
            if np.isnan(dq):
                raise ConfigError(
                    f"[eod.monetised.{m.name}]: service {m.service!r} has several items; a market price "
                    "per unit cannot be applied to their sum: give a share of its value instead"
                )
            full = m.share * dq * m.price
        out[m.name] = effect * full
    return out


def cash_flow(eod: EOD, schedule: Schedule, delta_value: pd.Series, delta_quantity: pd.Series) -> pd.DataFrame:
    """The cash-flow table [CNY] per year (columns in English; see :func:`cash_flow_labels`)."""
    f = schedule.effect()
    d = schedule.discount_factors()
    mon = monetised_flows(eod, f, delta_value, delta_quantity)
    df = pd.DataFrame(index=f.index)
    df["investment"] = eod.investment
    df["operating_cost"] = eod.operating_cost
    df["outflow"] = df["investment"] + df["operating_cost"]
    for k, s in eod.revenue.items():
        df[f"revenue:{k}"] = s
    for k, s in mon.items():
        df[f"monetised:{k}"] = s
    rev = [c for c in df if c.startswith(("revenue:", "monetised:"))]
    df["inflow"] = df[rev].sum(axis=1) if rev else 0.0
    df["net"] = df["inflow"] - df["outflow"]
    df["cumulative_net"] = df["net"].cumsum()
    df["discount_factor"] = d
    df["discounted_net"] = df["net"] * d
    df["cumulative_discounted_net"] = df["discounted_net"].cumsum()
    return df


def ecological_benefit(schedule: Schedule, delta_value: pd.Series, eod: EOD | None) -> pd.DataFrame:
    """ΔGEP per year [CNY]: total, the part (at GEP prices) that is monetised, and the non-market rest."""
    f = schedule.effect()
    shares = pd.Series(0.0, index=delta_value.index)
    for m in eod.monetised if eod else ():
        shares[m.service] += m.share
    df = pd.DataFrame(index=f.index)
    for s, v in delta_value.items():
        df[s] = f * float(v)
    df["total"] = f * float(delta_value.sum())
    df["market_part"] = f * float((delta_value * shares).sum())
    df["non_market"] = df["total"] - df["market_part"]
    df["discount_factor"] = schedule.discount_factors()
    df["discounted_total"] = df["total"] * df["discount_factor"]
    df["cumulative"] = df["total"].cumsum()
    return df


def indicators(cash: pd.DataFrame, benefit: pd.DataFrame) -> dict[str, float | int | None]:
    """Appraisal figures [CNY, yr, 1]: PVs, self-balance ratio, financial NPV, payback, NPV incl. non-market ΔGEP."""
    d = cash["discount_factor"]
    pv_in = npv(cash["inflow"], d)
    pv_out = npv(cash["outflow"], d)
    year, period = payback(cash["net"])
    dyear, dperiod = payback(cash["discounted_net"])
    pv_nonmarket = npv(benefit["non_market"], benefit["discount_factor"])
    return {
        "pv_inflow": pv_in,
        "pv_outflow": pv_out,
        "pv_revenue": npv(cash[[c for c in cash if c.startswith("revenue:")]].sum(axis=1), d),
        "pv_monetised": npv(cash[[c for c in cash if c.startswith("monetised:")]].sum(axis=1), d),
        "self_balance_ratio": pv_in / pv_out if pv_out > 0 else float("nan"),
        "financial_npv": pv_in - pv_out,
        "payback_year": year,
        "payback_period": period,
        "discounted_payback_year": dyear,
        "discounted_payback_period": dperiod,
        "pv_non_market": pv_nonmarket,
        "npv_with_non_market": pv_in - pv_out + pv_nonmarket,
    }
