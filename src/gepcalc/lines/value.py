"""Valuing lines: each line's quantity in the indicator's unit, its price and value [CNY/yr].

:func:`value_lines` prices every line — the line's own price, else the ``products`` table for
statistics services, else (left NaN here) the service's own value rule, which
:func:`rule_values` applies once the lines are laid out.  It also holds the units an item is
accounted in and the comparison with reported values.  Reading and checking the lines is
:mod:`gepcalc.lines.read`; laying them onto item × region × ecosystem :mod:`gepcalc.lines.layout`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pint
import xarray as xr

from gepcalc.errors import LineError
from gepcalc.lines.read import PARAM_COLUMNS, UNALLOCATED, refuse_duplicates
from gepcalc.tables import CoefficientTable
from gepcalc.units import Q_, VALUE_UNIT, ureg

_YEAR = ureg.Unit("yr")


@dataclass
class LinesLand:
    """What value rules need of a landscape when lines are valued: region and ecosystem names."""

    region_names: list[str]
    ecosystem_ids: list[str]
    source: str
    mapping: None = None


@dataclass
class ValuedLines:
    """Lines with their quantity in the indicator's unit, price and value (see :func:`value_lines`)."""

    lines: pd.DataFrame  # one row per line: the provenance table of the account
    units: dict[tuple[str, str], str]  # (service, item) → quantity unit


def _per_year(q: pint.Quantity, unit: str) -> pint.Quantity:
    """``q`` in ``unit``; an annual amount given without ``/yr`` (``t`` for ``t/yr``) is read as per year."""
    try:
        return q.to(unit)
    except pint.DimensionalityError:
        return (q / Q_(1, _YEAR)).to(unit)


def item_unit(spec, item: str) -> str:
    """The unit a (non-statistical) service accounts ``item`` in: the item's own, else the service's.

    Items may carry their own unit (``Item.unit``: soil retention's ``siltation`` in m³/yr
    beside soil in t/yr; climate regulation's ``transpiration`` in kWh/yr); an item without
    one, or the single quantity ``""``, is in ``spec.quantity_unit``.
    """
    for i in spec.items:
        own = getattr(i, "unit", None) or getattr(i, "quantity_unit", None)
        if i.id == item and own:
            return str(own)
    return spec.quantity_unit


def quantity_unit(cls, item: str, line_unit: str, products: CoefficientTable | None) -> str:
    """The unit an item is accounted in: the item's or service's, the product catalogue's, or the line's own."""
    if not cls.spec.statistical:
        return item_unit(cls.spec, item)
    key = f"{cls.spec.id}.{item}"
    if products is not None and key in products.keys:
        return f"({products.data.at[key, 'unit']}) / yr"
    per_time = ureg.Unit(line_unit).dimensionality.get("[time]", 0) < 0
    return line_unit if per_time else f"({line_unit}) / yr"


#: words for the dimensions a line's quantity may have (an example unit of each)
_DIMENSIONS = (
    ("t", "a mass (t)"),
    ("m**3", "a volume (m³)"),
    ("ha", "an area (ha, hm², 公顷, 亩, km²)"),
    ("kWh", "an energy (kWh)"),
    ("CNY", "money (CNY, 万元)"),
    ("dimensionless", "a count (visits, ions)"),
)


def expected_dimension(unit: str) -> str:
    """Words for the dimension of ``unit``, per year or not (``t/yr`` → ``a mass (t)``)."""
    u = ureg.Unit(unit)
    for ref, words in _DIMENSIONS:
        dim = ureg.Unit(ref).dimensionality
        if u.dimensionality in (dim, (ureg.Unit(ref) / _YEAR).dimensionality):
            return words
    return f"a quantity of dimension {u.dimensionality}"


def value_lines(
    lines: pd.DataFrame,
    classes: Mapping[str, type],
    tables: Mapping[str, CoefficientTable],
    *,
    outside: str = "ignore",
    provisioning: str = "gross",
) -> ValuedLines:
    """Quantity in the indicator's unit, price and value of every line, with where each came from.

    Lines of statistics services take their price from the line, else from the
    ``products`` table; lines of other services with no price are valued later by
    the service's own value rule (``price`` left NaN here, ``priced_by = "service"``).

    Parameters
    ----------
    lines
        From :func:`read_lines`.
    classes
        Service classes by id (those of the account).
    tables
        The account's coefficient tables (``products`` among them).
    outside
        What to do with lines marked ``origin = outside``: ``"subtract"`` (GB/T 46869-2025:
        GEP minus eco-products from outside the region) or ``"ignore"`` (left out).
    provisioning
        ``"gross"``: products at their full value; ``"net"``: times the ecosystem's share
        (the line's ``share``, else the ``products`` table's ``ecosystem_share``).
    """
    products = tables.get("products")
    products = tables.get("products")
    refuse_duplicates(lines)
    rows = []
    units: dict[tuple[str, str], str] = {}
    for line in lines.to_dict("records"):
        where = f"{line['file']}, row {line['row']}"
        cls = classes.get(line["service"])
        if cls is None:
            raise LineError(
                f"{where}: service {line['service']!r} is not in this account; its services: {', '.join(classes)}"
            )
        _check_item(cls.spec, line["item"], where)
        params = _line_params(line, cls.spec, where)
        if pd.isna(line["quantity"]):
            rows.append(_value_only(line, cls, units, products, where, outside, provisioning))
        else:
            rows.append(_quantity_line(line, cls, params, units, products, where, outside, provisioning))
    df = pd.DataFrame(rows)
    if len(df):
        compare_reported(df)
    return ValuedLines(df, units)


def _check_item(spec, item: str, where: str) -> None:
    """The line's item is one of the service's items (or the total ``""`` of additive items, or none)."""
    known = [i.id for i in spec.items]
    # a service whose items add up (climate regulation, flood regulation) also takes its total (item "")
    if not spec.statistical and known and item not in known and not (item == "" and spec.additive_items):
        raise LineError(f"{where}: service {spec.id!r} has items {known}; got item {item!r}")
    if not spec.statistical and not known and item:
        raise LineError(f"{where}: service {spec.id!r} has no items; leave 'item' empty (got {item!r})")
    if spec.statistical and not item:
        raise LineError(f"{where}: a {spec.id!r} line needs an item (product), e.g. {known[:3] or ['grain']}")


def _quantity_line(
    line: Mapping, cls, params: dict, units: dict, products, where: str, outside: str, provisioning: str
) -> dict:
    """A line with a quantity: the quantity in the item's unit, how it is priced and its value [CNY/yr]."""
    spec, item = cls.spec, line["item"]
    unit = units.setdefault((spec.id, item), quantity_unit(cls, item, line["unit"], products))
    q_given = Q_(line["quantity"], line["unit"])
    out = dict(line)
    try:
        q = _per_year(q_given, unit)
    except pint.DimensionalityError:
        raise LineError(
            f"{where}: quantity {q_given:~P} of {spec.id!r}/{item or '-'} cannot be expressed in {unit} "
            f"(column 'unit' is {line['unit']!r}; {spec.id}/{item or '-'} is {expected_dimension(unit)})"
        ) from None
    out.update(quantity_in_unit=float(q.magnitude), account_unit=unit, priced_by="line", price_used="")
    value, how = _priced(line, spec, q, q_given, params, products, where)
    out.update(how)
    if provisioning == "net" and spec.category == "provisioning" and value is not None:
        share = _ecosystem_share(line, spec.id, item, products, where)
        value = value * share
        out["share_applied"] = share
    out["value_CNY"] = float(value.magnitude) if value is not None else np.nan
    out["counted"] = _counted(line, outside)
    return out


def _priced(
    line: Mapping, spec, q: pint.Quantity, q_given: pint.Quantity, params: dict, products, where: str
) -> tuple[pint.Quantity | None, dict]:
    """The value [CNY/yr] of a line's quantity ``q`` and the columns saying how it was priced.

    Money is its own value; a price that is money per the quantity prices it directly; a price
    of another dimension stands for the service's value-rule price; without a price, a statistics
    line takes the ``products`` table's and any other line is valued by its service (value None).
    """
    money = q.check("[currency] / [time]")
    price = Q_(line["price"], line["price_unit"]) if pd.notna(line["price"]) else None
    by_rule = price is not None and not money and not _prices_directly(q, price)
    if params and not (by_rule or (price is None and not spec.statistical)):
        raise LineError(
            f"{where}: column(s) {sorted(params)} are used only when the line is valued by the "
            f"{spec.id!r} value rule (no price, or a price per {_rule_price_unit(spec)}); this line's value "
            "does not use them"
        )
    if money:
        if pd.notna(line["price"]):
            raise LineError(f"{where}: the quantity is already money ({q_given:~P}); give no price")
        return q.to(VALUE_UNIT), {
            "price_used": "1",
            "price_source": line["price_source"] or "output value (产值) counted as value",
        }
    if by_rule:
        name = _rule_price(spec, price, q, where)
        given = {name: (line["price"], line["price_unit"]), **{k: (v, _param_unit(k)) for k, v in params.items()}}
        return None, {"priced_by": "service", "line_params": given}
    if price is not None:
        used = f"{line['price']} {line['price_unit']}"
        return _value(q, price, where), {"price_used": used, "price_source": line["price_source"] or ""}
    if spec.statistical:
        value, used, src = _catalogue_value(q, spec.id, line["item"], products, where)
        return value, {"price_used": used, "price_source": src, "priced_by": "products table"}
    return None, {"priced_by": "service", "line_params": {k: (v, _param_unit(k)) for k, v in params.items()}}


def _counted(line: Mapping, outside: str) -> str:
    """How a line counts in the account: ``counted``, or for a line from outside ``subtracted``/``not counted``."""
    if line["origin"] == "outside":
        return "subtracted" if outside == "subtract" else "not counted"
    return "counted"


def _annual_money(x: pint.Quantity) -> pint.Quantity:
    """Money per year; money without "per year" is the year's (an area × a cost per ha of the year)."""
    return x.to(VALUE_UNIT) if x.check("[currency] / [time]") else (x / Q_(1, _YEAR)).to(VALUE_UNIT)


def _prices_directly(q: pint.Quantity, price: pint.Quantity) -> bool:
    """Whether quantity × price is money (per year, or the year's money)."""
    x = q * price
    return bool(x.check("[currency] / [time]") or x.check("[currency]"))


def _value(q: pint.Quantity, price: pint.Quantity, where: str) -> pint.Quantity:
    """V = Q·P [CNY/yr]; a price per unit without "per year" (CNY/ha, 元/亩) prices the year's quantity."""
    try:
        return _annual_money(q * price)
    except pint.DimensionalityError:
        raise LineError(f"{where}: {q:~P} × price {price:~P} is not money per year (CNY/yr)") from None


def _param_unit(name: str) -> str:
    """The unit of a bare number in value-parameter column ``name`` (:data:`PARAM_COLUMNS`)."""
    return PARAM_COLUMNS[name][1]


def _line_params(line: Mapping, spec, where: str) -> dict[str, float]:
    """Value parameters the line gives for its service (:data:`PARAM_COLUMNS`), in their units."""
    given = {k: float(line[k]) for k in PARAM_COLUMNS if k in line and pd.notna(line[k])}
    names = {p.name for p in spec.value_params}
    foreign = sorted(set(given) - names)
    if foreign:
        raise LineError(
            f"{where}: column(s) {foreign} are not value parameters of {spec.id!r} "
            f"(its value parameters: {sorted(names) or 'none'}); leave them empty in this line"
        )
    for k, v in given.items():
        if v <= 0:
            raise LineError(f"{where}, column {k!r}: {v} must be positive [{_param_unit(k)}]")
    return given


def _price_params(spec) -> list:
    """Value parameters of a service that are money per something (its prices)."""
    return [p for p in spec.value_params if ureg.Unit(p.unit).dimensionality.get("[currency]", 0) == 1]


def _rule_price_unit(spec) -> str:
    """The units of the service's value-rule prices, for messages."""
    return ", ".join(p.unit for p in _price_params(spec)) or "-"


def _rule_price(spec, price: pint.Quantity, q: pint.Quantity, where: str) -> str:
    """The price parameter of the service's value rule that a line's price stands for (same dimension)."""
    fits = [
        p.name
        for p in _price_params(spec)
        if price.check(ureg.Unit(p.unit).dimensionality)
        or (price / Q_(1, _YEAR)).check(ureg.Unit(p.unit).dimensionality)
    ]
    if spec.statistical or len(fits) != 1:
        raise LineError(
            f"{where}: {q:~P} × price {price:~P} is not money per year (CNY/yr)"
            + (f", nor a price of {spec.id!r}'s value rule ({_rule_price_unit(spec)})" if not spec.statistical else "")
            + "; check column 'price_unit'"
        )
    return fits[0]


def _value_only(line: Mapping, cls, units: dict, products, where: str, outside: str, provisioning: str) -> dict:
    """A line that reports only its value: the value is the line's, the quantity is not given (NaN)."""
    spec, item = cls.spec, line["item"]
    if spec.statistical and not line["unit"] and not (products is not None and f"{spec.id}.{item}" in products.keys):
        raise LineError(
            f"{where}, column 'unit': {spec.id!r} item {item!r} is not in the products table; a line giving only "
            "its value still needs the unit its quantity would have (column unit)"
        )
    unit = units.setdefault((spec.id, item), quantity_unit(cls, item, line["unit"] or "CNY", products))
    if line["unit"]:
        try:
            _per_year(Q_(1.0, line["unit"]), unit)
        except pint.DimensionalityError:
            raise LineError(
                f"{where}: column 'unit' is {line['unit']!r}, but {spec.id}/{item or '-'} is {expected_dimension(unit)}"
            ) from None
    try:
        value = _annual_money(Q_(line["value"], line["value_unit"]))
    except pint.DimensionalityError:
        raise LineError(
            f"{where}, column 'value_unit': {line['value_unit']!r} is not money (CNY, 万元, 亿元)"
        ) from None
    out = dict(line)
    out.update(
        quantity_in_unit=np.nan,
        account_unit=unit,
        priced_by="reported value",
        price_used="",
        price_source=line["price_source"] or "the value as reported in the line (no quantity given)",
    )
    if provisioning == "net" and spec.category == "provisioning":
        share = _ecosystem_share(line, spec.id, item, products, where)
        value = value * share
        out["share_applied"] = share
    out["value_CNY"] = float(value.magnitude)
    out["counted"] = _counted(line, outside)
    return out


def _ecosystem_share(line: Mapping, sid: str, item: str, products: CoefficientTable | None, where: str) -> float:
    """The ecosystem's share of a product's value: the line's ``share``, else the products table's."""
    if pd.notna(line.get("share")):
        return float(line["share"])
    key = f"{sid}.{item}"
    if products is not None and key in products.keys and pd.notna(products.data.at[key, "ecosystem_share"]):
        return float(products.data.at[key, "ecosystem_share"])
    raise LineError(
        f"{where}: the profile values provisioning net of intermediate inputs and {sid!r}/{item!r} has no "
        "ecosystem share; give a 'share' column (0-1) in the line or an ecosystem_share in the products table"
    )


def _catalogue_value(q, sid: str, item: str, products: CoefficientTable | None, where: str):
    """Value [CNY/yr] of ``q`` at the ``products`` table's price of ``sid.item``, the price and its source."""
    key = f"{sid}.{item}"
    if products is None or key not in products.keys:
        raise LineError(
            f"{where}: {sid!r} item {item!r} is not in the products table; give its price "
            "(columns price, price_unit, price_source) in the line"
        )
    if pd.isna(products.data.at[key, "price"]):
        raise LineError(
            f"{where}: the products table ({products.origin}) has no price for {key!r}; give the local price "
            f"in the line (price, price_unit e.g. '{products.data.at[key, 'price_unit']}', price_source) "
            "or in your own products table"
        )
    price = products.quantity(key, "price")
    src = "; ".join(s.cite() for s in products.source_of(key))
    return _value(q, price, where), f"{price:~P}", f"products table, row {key}: {src}"


def compare_reported(df: pd.DataFrame) -> None:
    """Compare computed values with reported ones (``value`` column) and note the difference."""
    diffs = []
    for r in df.itertuples():
        if pd.isna(r.value) or pd.isna(r.value_CNY) or r.priced_by == "reported value":
            diffs.append(np.nan)
            continue
        reported = Q_(r.value, r.value_unit)
        reported = reported if reported.check("[currency] / [time]") else reported / Q_(1, _YEAR)
        rep = reported.to(VALUE_UNIT).magnitude
        diffs.append((r.value_CNY - rep) / rep if rep else np.nan)
    df["reported_value_CNY_difference"] = diffs


def refuse_value_only_in_rules(lines: pd.DataFrame, rules: Sequence[Mapping], services: Sequence[str]) -> None:
    """A ``subtract`` rule works on quantities: a line of either service reporting only its value stops it.

    Q'_A = max(Q_A − Q_B, 0) and V'_A = V_A·Q'_A/Q_A need Q_A and Q_B; a line without a
    quantity (a value as reported) cannot enter them, so the account asks for the quantity.
    """
    if not len(lines) or "priced_by" not in lines:
        return
    value_only = lines[(lines["priced_by"] == "reported value") & (lines["counted"] != "not counted")]
    for rule in rules:
        a, b = rule["service"], rule["minus"]
        if rule.get("rule", "subtract") != "subtract" or a not in services or b not in services:
            continue
        hit = value_only[value_only["service"].isin([a, b])]
        if len(hit):
            r = hit.iloc[0]
            raise LineError(
                f"{r['file']}, row {r['row']}, column 'quantity': the line of {r['service']!r} gives only a value, "
                f"and the profile subtracts {b!r} from {a!r} by quantity (rule {rule.get('id', a)!r}); "
                "give the line's quantity"
            )


def rule_values(cls, rest: pd.DataFrame, quantity: xr.DataArray, vargs: Mapping[str, Any]) -> list[float]:
    """Value [CNY/yr] of each line valued by its service's own value rule (NaN: a parameter has no value).

    The value rules are linear in the quantity, so a line's value is its quantity
    times the rule's value of one unit in the line's cell (item, region, ecosystem)::

        V_line = Q_line · value(1, params)

    with ``params`` the service's value parameters as the account resolved them
    (``vargs``: inputs or tables), replaced by those the line carries itself (its price
    standing for the rule's price parameter, :data:`PARAM_COLUMNS`).  E.g. sand
    fixation priced per m²: V = Q / (ρ·h) · P.

    Parameters
    ----------
    cls
        The service.
    rest
        Its lines valued by the rule (``priced_by == "service"``), with ``line_params``.
    quantity
        Their quantities laid out by :func:`line_arrays` (item × region × ecosystem).
    vargs
        The value parameters as resolved for the account (magnitudes in the declared units).
    """
    spec = cls.spec
    ones = xr.ones_like(quantity) if spec.items else xr.ones_like(quantity.sel(item="", drop=True))
    factor_ = cls.value_factor()

    def per_unit(args: Mapping[str, Any]) -> xr.DataArray:
        v = (cls.value(ones, **args) * factor_).broadcast_like(ones)
        return v if "item" in v.dims else v.expand_dims(item=[""])

    default = None
    out = []
    for r in rest.to_dict("records"):
        given = r.get("line_params") if isinstance(r.get("line_params"), Mapping) else {}
        if given:
            args = dict(vargs)
            for name, (magnitude, unit) in given.items():
                args[name] = float(_per_year(Q_(magnitude, unit), spec.param(name).unit).magnitude)
            pu = per_unit(args)
        else:
            default = per_unit(vargs) if default is None else default
            pu = default
        cell = pu.sel(item=r["item"], region=r["region"], ecosystem=r["ecosystem"] or UNALLOCATED)
        out.append(float(r["quantity_in_unit"]) * float(cell))
    return out
