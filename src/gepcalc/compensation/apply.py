"""Applying the configured compensation rules: each ``[[rules]]`` entry's keys are checked and its
inputs read (monitoring lines, tiers, baselines), then the matching formula of
:mod:`~gepcalc.compensation.rules` turns them into amounts by payer, payee and year (:func:`apply_rule`).

The formulas themselves are in :mod:`~gepcalc.compensation.rules`; the valued flows a ``gep_flow`` rule
pays for come from :mod:`~gepcalc.compensation.layers`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from gepcalc.compensation import rules as R
from gepcalc.compensation.layers import Layer
from gepcalc.errors import ConfigError

__all__ = ["RULE_KEYS", "apply_rule"]

#: the keys each rule method accepts (docs/compensation.md)
RULE_KEYS = {
    "gep_flow": {
        "name",
        "method",
        "services",
        "matrix",
        "share",
        "discount_rate",
        "base_year",
        "pairs",
        "min_share",
        "source",
    },
    "water_quality_section": {
        "name",
        "method",
        "section",
        "lines",
        "upstream",
        "downstream",
        "k0",
        "baseline",
        "pollutants",
        "weights",
        "tiers",
        "source",
    },
    "opportunity_cost": {
        "name",
        "method",
        "region",
        "payer",
        "income",
        "reference_income",
        "population",
        "share",
        "source",
    },
}


def _need(rule: Mapping[str, Any], key: str, where: str) -> Any:
    """``rule[key]``, or a ConfigError naming the rule and the missing key."""
    if key not in rule:
        raise ConfigError(f"{where}: {rule.get('method')} needs {key!r}")
    return rule[key]


def _gep_flow(rule: Mapping[str, Any], name: str, where: str, layers: dict[str, Layer], years, basis: str):
    """A share of the value that flows from each region to the others (first receiver or through) [CNY]."""
    if not layers:
        raise ConfigError(f"{where}: gep_flow needs flows (a DEM, a land cover and [[flows]])")
    chosen = rule.get("services") or list(layers)
    keys = [k for k in layers if k in chosen or layers[k].service in chosen]
    if not keys:
        raise ConfigError(f"{where}: services {chosen} are not among the flows {list(layers)}")
    matrix = rule.get("matrix", "first")
    if matrix not in ("first", "through"):
        raise ConfigError(f"{where}: matrix must be 'first' or 'through', got {matrix!r}")
    values = sum(getattr(layers[k], f"value_{matrix}") for k in keys)
    if not years:
        raise ConfigError(f"{where}: gep_flow needs the years paid for (year = or years = )")
    pairs = rule.get("pairs")
    return R.gep_flow(
        values,  # the outlet column counts in min_share; it pays nothing (not a source)
        share=float(_need(rule, "share", where)),
        years=years,
        rule=name,
        discount_rate=float(rule.get("discount_rate", 0.0)),
        base_year=rule.get("base_year"),
        pairs=[tuple(p) for p in pairs] if pairs else None,
        price_basis=f"{matrix} receiver; {'+'.join(keys)}; {basis}",
        min_share=float(rule.get("min_share", 0.0)),
    )


def _water_quality_section(rule: Mapping[str, Any], name: str, where: str, years, base: Path):
    """Amounts of a section agreement from its monitoring lines [CNY], and the section's P index per year."""
    lines_src = _need(rule, "lines", where)
    path = lines_src if isinstance(lines_src, pd.DataFrame) else base / str(lines_src)
    means = R.section_means(R.read_section_lines(path))
    tiers = R.parse_tiers(_need(rule, "tiers", where), where)
    baseline = rule.get("baseline")
    if not baseline:
        raise ConfigError(
            f"{where}: section {rule.get('section')!r} has no baseline concentrations (baseline = {{...}})"
        )
    base_mg = {
        str(k).lower(): R.magnitude_in(v, "mg/L", where=f"{where}, baseline {k}", default_unit="mg/L")
        for k, v in baseline.items()
    }
    if "k0" not in rule:
        raise ConfigError(
            f"{where}: k0 (the stability coefficient of the agreement) is required; gepcalc has no default"
        )
    amounts, index = R.water_quality_section(
        means,
        section=str(_need(rule, "section", where)),
        upstream=str(_need(rule, "upstream", where)),
        downstream=str(_need(rule, "downstream", where)),
        k0=float(rule["k0"]),
        baseline=base_mg,
        tiers=tiers,
        pollutants=[str(p).lower() for p in rule["pollutants"]] if rule.get("pollutants") else None,
        weights={str(k).lower(): float(v) for k, v in rule.get("weights", {}).items()} or None,
        rule=name,
    )
    if years:
        amounts = amounts[amounts["year"].isin(years)]
        index = index[index["year"].isin(years)]
    return amounts, index


def _opportunity_cost(rule: Mapping[str, Any], name: str, where: str, years):
    """The income a region forgoes against a reference income, per person and year [CNY]."""
    if not years:
        raise ConfigError(f"{where}: opportunity_cost needs the years paid for (year = or years = )")
    return R.opportunity_cost(
        region=str(_need(rule, "region", where)),
        payer=str(_need(rule, "payer", where)),
        years=years,
        income=_need(rule, "income", where),
        reference_income=_need(rule, "reference_income", where),
        population=_need(rule, "population", where),
        share=float(rule.get("share", 1.0)),
        rule=name,
    )


def apply_rule(
    rule: Mapping[str, Any], i: int, layers: dict[str, Layer], years: Sequence[int], basis: str, base: Path
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The amounts of one configured rule (and, for a water-quality section, its P index by year).

    Parameters
    ----------
    rule
        The ``[[rules]]`` entry: ``method`` and that method's keys (:data:`RULE_KEYS`).
    i
        Its position (from 1), for messages and the default name.
    layers
        The valued flows (:func:`gepcalc.compensation.layers.route_flows`), for ``gep_flow``.
    years
        The years paid for.
    basis
        The account's price basis, recorded with ``gep_flow`` amounts.
    base
        Folder that relative paths (monitoring lines) are read from.

    Returns
    -------
    tuple
        Amounts (columns :data:`gepcalc.compensation.rules.AMOUNT_COLUMNS`) [CNY], and the section's
        index table or None.
    """
    method = rule.get("method")
    name = str(rule.get("name", f"{method}-{i}"))
    where = f"rule {i} ({name})"
    if method not in RULE_KEYS:
        raise ConfigError(f"{where}: method must be one of {sorted(RULE_KEYS)}, got {method!r}")
    unknown = set(rule) - RULE_KEYS[method]
    if unknown:
        raise ConfigError(
            f"{where}: unknown keys {sorted(unknown)} for {method} (allowed: {sorted(RULE_KEYS[method])})"
        )
    if method == "gep_flow":
        return _gep_flow(rule, name, where, layers, years, basis), None
    if method == "water_quality_section":
        return _water_quality_section(rule, name, where, years, base)
    return _opportunity_cost(rule, name, where, years), None
