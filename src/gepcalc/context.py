r"""What an account was computed from: :class:`AccountContext` (``Account.context``).

:func:`gepcalc.account` keeps, beside the numbers, the landscape it built, the coefficient
tables it loaded (the profile's or the user's, overridden, repriced to the price year and seen
from the price region), the service classes (method chosen), the items of each service, the
inputs, the services given by lines, the profile, the area corrections and the keyword
arguments it was called with.  Whoever needs the account's own parameters again — projects
(:mod:`gepcalc.project`), their maps and sensitivity, the county Monte Carlo
(:mod:`gepcalc.uncertainty`), the compensation flows — reads them here instead of resolving
them a second time from the user's arguments:

* :meth:`AccountContext.value_arguments` / :meth:`AccountContext.physical_arguments`: a
  service's resolved parameters (``value()`` / ``physical()``), from the context's tables or
  from replacements of some of them;
* :meth:`gepcalc.Account.revalue`: the same quantities at other prices, no raster work.
  Value is linear in the quantity (``value(Q, P)``, e.g. :math:`V = Q \cdot P`), and the
  profile's double-counting rules scale quantity and value by one ratio, so

  .. math:: V'_{s,i,r,e} = \mathrm{value}_s(Q_{s,i,r,e}, P') \cdot f_s  \quad [CNY/yr]

  with :math:`Q` the account's (adjusted) quantity and :math:`f_s` the service's unit factor;
* :meth:`gepcalc.Account.recompute`: ``account(**kwargs | changes)``, e.g. another year.

An account made by :func:`gepcalc.concat` or :meth:`gepcalc.Account.sel` has no context
(``None``): it was not computed from one set of inputs.  An account of lines only has a
context with ``land = None``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import xarray as xr

from gepcalc.errors import ConfigError
from gepcalc.landscape import Landscape
from gepcalc.profiles import Profile
from gepcalc.resolve import arguments
from gepcalc.services.base import Service
from gepcalc.tables import CoefficientTable, load_table

if TYPE_CHECKING:  # the Account class is only named here: gepcalc.result imports this module
    from gepcalc.result import Account

#: item coordinate of a service without items (as in :mod:`gepcalc.account`)
NO_ITEM = ""


@dataclass(frozen=True, eq=False)
class AccountContext:
    """What one account was computed from (``Account.context``); read it, do not change it.

    Attributes
    ----------
    land : Landscape or None
        The landscape (land cover, ecosystem types, regions, cell areas [m²]; lazy); None for an
        account of lines only.
    tables : dict of str to CoefficientTable
        Every coefficient table the account used, as used: the user's replacements and
        overrides applied, prices brought to the account's price year and price region.
    classes : tuple of Service classes
        The services of the account, method chosen, in the account's order.
    items : dict of str to tuple of str
        Items (pollutants, products, components) per service id; ``()`` for a single quantity.
    inputs : dict
        The user's inputs by parameter name (``account(inputs=...)``).
    from_lines : frozenset of str
        Services whose quantities came from lines (statistics, reported quantities): their values
        were priced line by line and are not re-derived from tables.
    profile : Profile
        The profile (services, tables, double-counting rules).
    overrides : dict
        The user's single-value overrides ``{table: {row: {column: value}}}``.
    corrections : tuple
        The area corrections (``account(areas=...)``, :func:`gepcalc.areas.area_corrections`).
    kwargs : dict
        Every argument :func:`gepcalc.account` was called with (for :meth:`recompute`).
    compute : callable or None
        The function that computed the account from ``kwargs`` (:func:`gepcalc.account`), called
        again by :meth:`recompute`; None where the context was made by hand.
    """

    land: Landscape | None
    tables: Mapping[str, CoefficientTable]
    classes: tuple[type[Service], ...]
    items: Mapping[str, tuple[str, ...]]
    inputs: Mapping[str, Any]
    from_lines: frozenset[str]
    profile: Profile
    overrides: Mapping[str, Any]
    corrections: tuple
    kwargs: Mapping[str, Any]
    compute: Callable[..., Any] | None = None  # gepcalc.account (returns an Account)

    def recompute(self, **changes) -> Account:
        """The account again from :attr:`kwargs`, ``changes`` replacing some (:meth:`gepcalc.Account.recompute`).

        Raises
        ------
        ConfigError
            The context does not say which function computed the account (``compute`` is None).
        """
        if self.compute is None:
            raise ConfigError("this context does not say how its account was computed (compute=None)")
        return self.compute(**{**self.kwargs, **changes})

    # -- looking things up ---------------------------------------------------------------------
    def service(self, sid: str) -> type[Service]:
        """The class of service ``sid`` (method chosen); a service not in the account is an error."""
        for cls in self.classes:
            if cls.spec.id == sid:
                return cls
        raise ConfigError(
            f"service {sid!r} is not in this account; its services are {[c.spec.id for c in self.classes]}"
        )

    def items_of(self, service: str | type[Service]) -> tuple[str, ...]:
        """The items of a service in this account (``()`` for a single quantity)."""
        sid = service if isinstance(service, str) else service.spec.id
        return tuple(self.items.get(sid, ()))

    def with_tables(
        self,
        tables: Mapping[str, str | Path | CoefficientTable] | None = None,
        overrides: Mapping[str, Mapping[Any, Mapping[str, Any]]] | None = None,
    ) -> dict[str, CoefficientTable]:
        """The context's tables with some replaced (``tables``) and single values overridden (``overrides``).

        A replacement is a loaded table or a path (a CSV without a TOML sidecar takes the replaced
        table's metadata, as in ``account(tables=...)``).  Replacements and overrides are taken
        as they are, at the account's price year: they are not repriced and no regional row
        (``X@zhejiang``) is chosen for them.  A table the account did not use is an error
        naming the tables it used.
        """
        out = dict(self.tables)
        given_tables = {**{k: None for k in (overrides or {})}, **(tables or {})}
        for name, given in given_tables.items():
            if name not in out:
                raise ConfigError(f"table {name!r} was not used by this account; its tables are {sorted(self.tables)}")
            table = out[name]
            if isinstance(given, CoefficientTable):
                table = given
            elif given is not None:
                path = Path(given)
                table = load_table(path, meta=None if path.with_suffix(".toml").is_file() else table)
            cells = (overrides or {}).get(name)
            out[name] = load_table(table, overrides=cells) if cells else table
        return out

    # -- resolved parameters ---------------------------------------------------------------------
    def arguments(
        self,
        service: str | type[Service],
        which: str,
        *,
        tables: Mapping[str, CoefficientTable] | None = None,
        origins: list[dict] | None = None,
    ) -> dict[str, Any]:
        """A service's resolved arguments for ``which`` = ``physical``, ``regional`` or ``value``.

        Resolved as the account resolved them (:func:`gepcalc.resolve.arguments`: the context's
        inputs, landscape and items), from ``tables`` (default: the context's own; e.g.
        :meth:`with_tables`).  Origins of the values are appended to ``origins`` when given.
        """
        cls = self.service(service) if isinstance(service, str) else service
        return arguments(
            cls,
            which,
            inputs=self.inputs,
            tables=self.tables if tables is None else tables,
            land=self.land,
            items=self.items_of(cls),
            origins=origins,
        )

    def value_arguments(
        self,
        service: str | type[Service],
        tables: Mapping[str, CoefficientTable] | None = None,
        origins: list[dict] | None = None,
    ) -> dict[str, Any]:
        """The parameters of a service's ``value()`` (prices [CNY per unit], contents), see :meth:`arguments`."""
        return self.arguments(service, "value", tables=tables, origins=origins)

    def physical_arguments(
        self,
        service: str | type[Service],
        tables: Mapping[str, CoefficientTable] | None = None,
        origins: list[dict] | None = None,
    ) -> dict[str, Any]:
        """The parameters of a service's ``physical()`` (per pixel where they vary), see :meth:`arguments`."""
        return self.arguments(service, "physical", tables=tables, origins=origins)


# -- values from the account's quantities ------------------------------------------------------------


def quantity_of(acct: Account, cls: type[Service], items: Sequence[str]) -> xr.DataArray:
    """A service's quantity by (item ×) region × ecosystem from an account, as ``value()`` takes it.

    The account's first scenario and year; the quantity after the profile's double-counting rules.
    """
    q = acct.data["quantity"].sel(service=cls.spec.id).isel(scenario=0, year=0, drop=True)
    q = q.reset_coords(drop=True)
    if cls.spec.items:
        return q.sel(item=list(items))
    return q.sel(item=NO_ITEM, drop=True)


def service_values(
    acct: Account,
    cls: type[Service],
    tables: Mapping[str, CoefficientTable] | None = None,
    quantity: xr.DataArray | None = None,
    origins: list[dict] | None = None,
) -> xr.DataArray:
    r"""Value [CNY/yr] of one service by (item ×) region × ecosystem from the account's quantities.

    .. math:: V = \mathrm{value}(Q, P) \cdot f

    with the value parameters :math:`P` from ``tables`` (default: the context's) and
    :math:`f` = ``cls.value_factor()``.  ``quantity`` replaces the account's :math:`Q`.
    """
    ctx = _context(acct)
    q = quantity if quantity is not None else quantity_of(acct, cls, ctx.items_of(cls))
    return cls.value(q, **ctx.value_arguments(cls, tables, origins)) * cls.value_factor()


def revalued(
    acct: Account,
    prices: Mapping[str, str | Path | CoefficientTable] | None = None,
    overrides: Mapping[str, Mapping[Any, Mapping[str, Any]]] | None = None,
) -> Account:
    """The account with the same quantities at other prices (:meth:`gepcalc.Account.revalue`)."""
    ctx = _context(acct)
    tables = ctx.with_tables(prices, overrides)
    changed = set(prices or {}) | set(overrides or {})
    value = acct.data["value"].copy()
    origins: list[dict] = []
    done = []
    present = set(acct.data["service"].values)
    for cls in ctx.classes:
        sid = cls.spec.id
        if sid not in present or sid in ctx.from_lines:  # priced line by line: the account's values stand
            continue
        old = value.sel(service=sid).isel(scenario=0, year=0, drop=True).reset_coords(drop=True)
        v = service_values(acct, cls, tables, origins=origins)
        if "item" not in v.dims:
            v = v.expand_dims(item=[NO_ITEM])
        v = v.reset_coords(drop=True).reindex_like(old)
        new = v.fillna(old).where(old.notnull())  # items the service lacks stay NaN
        target = value.sel(service=sid)
        stacked = new.expand_dims(scenario=target["scenario"].values, year=target["year"].values)
        value.loc[{"service": sid}] = stacked.transpose(*target.dims).values
        done.append(sid)
    data = acct.data.copy()
    data["value"] = value
    sources = acct.sources
    if changed and origins and len(sources) and {"service", "parameter", "table", "value"} <= set(sources.columns):
        sources = _replace_sources(sources, pd.DataFrame(origins), changed)
    what = ", ".join(sorted(changed)) or "the account's own tables"
    kept = sorted(ctx.from_lines & present)
    drawn = set(acct.uncertainty.notes_text()) if getattr(acct, "uncertainty", None) is not None else set()
    notes = [
        *(n for n in acct.notes if n not in drawn),  # the Monte Carlo is not redrawn
        f"revalued (Account.revalue): value parameters of {', '.join(done) or 'no service'} re-resolved from "
        f"{what}; quantities unchanged" + (f"; {', '.join(kept)} keep their line values" if kept else ""),
    ]
    kwargs = dict(ctx.kwargs)
    if prices:
        kwargs["tables"] = {**(kwargs.get("tables") or {}), **prices}
    if overrides:
        merged = {t: {r: dict(c) for r, c in rows.items()} for t, rows in (kwargs.get("overrides") or {}).items()}
        for t, rows in overrides.items():
            for r, cols in rows.items():
                merged.setdefault(t, {}).setdefault(r, {}).update(cols)
        kwargs["overrides"] = merged
    out = type(acct)(
        data,
        sources,
        notes,
        lines=acct.lines,
        adjustments=acct.adjustments,
        not_computed=acct.not_computed,
    )
    out.context = dataclasses.replace(ctx, tables=tables, overrides=kwargs.get("overrides") or {}, kwargs=kwargs)
    return out


def _replace_sources(sources: pd.DataFrame, new: pd.DataFrame, changed: set[str]) -> pd.DataFrame:
    """``sources`` with the rows of the values that changed (tables ``changed``) replaced by ``new``'s rows."""
    keys = [k for k in ("service", "parameter", "table", "row", "column") if k in sources and k in new]

    def key(df: pd.DataFrame) -> list[tuple[str, ...]]:
        return [tuple(str(x) for x in r) for r in df[keys].itertuples(index=False)]

    new = new[new["table"].isin(changed)]
    before = dict(zip(key(sources), sources["value"].astype(str), strict=True))
    new = new[[before.get(k) != str(v) for k, v in zip(key(new), new["value"], strict=True)]]
    gone = set(key(new))
    return pd.concat([sources[[k not in gone for k in key(sources)]], new], ignore_index=True)


def _context(acct: Account) -> AccountContext:
    ctx = getattr(acct, "context", None)
    if ctx is None:
        raise ConfigError(
            "this account has no context (made by gepcalc.concat or Account.sel, not computed from one set of "
            "inputs): revalue or recompute the accounts it was made of"
        )
    return ctx
