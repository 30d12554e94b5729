"""The first stage of an account: what it will compute, decided before any raster work.

:func:`plan` reads the profile, chooses the services (and their methods and items), reads the
lines and statistics tables, leaves out what cannot be computed (a statistics service without
lines, raster services without a land cover), checks the input names, loads the coefficient
tables (the profile's or the user's, overridden, seen from the price region) and brings their
prices to the price year.  Its result, :class:`Plan`, is what the later stages start from.

:func:`gepcalc.preflight.validate` runs the same :func:`plan` with a ``check`` that collects
every problem instead of stopping at the first.  The landscape, the lines' values and every
quantity are later stages (:mod:`gepcalc.stages`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, Protocol, TypeVar

import pandas as pd

import gepcalc.services as registry
from gepcalc.errors import CoefficientTableError, LineError, MissingInputError
from gepcalc.lines import as_frame, canonical_columns, read_frame, read_lines
from gepcalc.pricing import default_rows, price_index_of, price_regions_of, reprice_tables
from gepcalc.profiles import Profile, load_profile
from gepcalc.repricing import regional
from gepcalc.resolve import check_input_names
from gepcalc.services.base import Service, check_service
from gepcalc.stages.missing import not_computed_row
from gepcalc.tables import CoefficientTable, load_table

T = TypeVar("T")


class Check(Protocol):
    """How a stage runs one of its checks: ``check(stage, subject, fn)`` returns ``fn()``.

    The account's (:func:`stop_at_first`) lets the error stop it; :meth:`gepcalc.preflight.Report.check`
    records the error as a problem and returns None, so that the stage goes on with what is left.
    """

    def __call__(self, stage: str, subject: str, fn: Callable[[], T]) -> T | None: ...


def stop_at_first(stage: str, subject: str, fn: Callable[[], T]) -> T:
    """The account's :class:`Check`: run ``fn``; its error stops the account."""
    return fn()


@dataclass(frozen=True)
class Plan:
    """What an account computes, from what (the result of :func:`plan`).

    Attributes
    ----------
    profile : Profile
        The profile (services, methods, items, tables, rules, price index).
    requested : tuple of str
        Ids of the services asked for (profile or ``services=``), in order; what cannot be
        computed is listed in this order.
    chosen : tuple of Service classes
        The services chosen, method chosen, less statistics services without lines (and before an
        account without land cover leaves out its raster services).
    services : tuple of Service classes
        The services computed: from rasters and from lines.
    raster_services : tuple of Service classes
        Those of :attr:`services` computed from the land cover.
    by_lines : frozenset of str
        Ids of the services given by lines or statistics tables.
    lines : pandas.DataFrame or None
        The ``lines=`` read and checked (None where they could not be read: ``validate`` only).
    statistics : dict or None
        The statistics tables read, by service id, not yet turned into lines.
    items : dict of str to tuple of str
        The items (pollutants, components) of each raster service.
    inputs : dict
        The user's inputs by parameter name (a copy).
    tables : dict of str to CoefficientTable or None
        The coefficient tables, overridden, seen from the price region, prices at the price year.
    repriced, unrepriced : dict
        ``{(table, row): Repriced}`` and ``{(table, row): why not}`` (:func:`gepcalc.pricing.reprice_tables`).
    chosen_rows : dict
        ``{(table, X): "X@R"}``: the regional rows that replaced national ones.
    price_year : int or None
        The price base year (``year`` where not given).
    price_index : str or None
        The deflator series prices are brought to :attr:`price_year` with; None: as in the tables.
    price_regions : list of str
        The regions whose price rows are preferred.
    notes : tuple of str
        What the user should know from this stage (lines left out, inputs no service reads).
    not_computed : tuple of dict
        Rows of :attr:`gepcalc.Account.not_computed` (``account(missing="list")``) for services
        left out here.
    """

    profile: Profile
    requested: tuple[str, ...]
    chosen: tuple[type[Service], ...]
    services: tuple[type[Service], ...]
    raster_services: tuple[type[Service], ...]
    by_lines: frozenset[str]
    lines: pd.DataFrame | None
    statistics: dict[str, list[pd.DataFrame]] | None
    items: dict[str, tuple[str, ...]]
    inputs: dict[str, Any]
    tables: dict[str, CoefficientTable] | None
    repriced: dict
    unrepriced: dict
    chosen_rows: dict
    price_year: int | None
    price_index: str | None
    price_regions: list[str]
    notes: tuple[str, ...]
    not_computed: tuple[dict, ...]


def plan(
    *,
    profile: str | Path | Profile,
    services: Sequence[str | type[Service]] | None,
    methods: Mapping[str, str] | None,
    items: Mapping[str, Sequence[str]] | None,
    lines: Any,
    statistics: Mapping[str, Any] | None,
    tables: Mapping[str, Any] | None,
    overrides: Mapping[str, Mapping[Any, Mapping[str, Any]]] | None,
    inputs: Mapping[str, Any] | None,
    year: int | None,
    price_year: int | None,
    price_index: Any,
    price_region: str | Sequence[str] | None,
    deflators: Any,
    has_landcover: bool,
    listing: bool,
    check: Check = stop_at_first,
) -> Plan | None:
    """Decide what the account computes (see module docstring); arguments as for :func:`gepcalc.account`.

    ``has_landcover``: a land cover was given; ``listing``: ``account(missing="list")``.
    Returns None only where ``check`` swallowed the profile's error (``validate``).
    """
    prof = check("profile", str(profile), lambda: profile if isinstance(profile, Profile) else load_profile(profile))
    if prof is None:
        return None
    chosen = choose_services(prof, services, methods, check)
    explicit = services is not None
    kept = read_lines_for(chosen, lines, statistics, explicit=explicit, profile=prof, listing=listing, check=check)
    by_lines = frozenset((set(kept.lines["service"]) if kept.lines is not None else set()) | set(kept.statistics or {}))
    left = None if has_landcover or explicit else without_landcover(kept.services, by_lines, prof, listing)
    classes = left.services if left is not None else kept.services
    raster = [c for c in classes if c.spec.id not in by_lines]
    picked = choose_items(prof, raster, items, check)
    inputs = dict(inputs or {})
    names = check("inputs", "input names", lambda: check_input_names(inputs, classes, registry.all_methods()))
    prices = plan_prices(
        prof, classes, picked, inputs, tables, overrides, year, price_year, price_index, price_region, deflators, check
    )
    return Plan(
        profile=prof,
        requested=tuple(c.spec.id for c in chosen),
        chosen=tuple(kept.services),
        services=tuple(classes),
        raster_services=tuple(raster),
        by_lines=by_lines,
        lines=kept.lines,
        statistics=kept.statistics,
        items=picked,
        inputs=inputs,
        **prices._asdict(),
        notes=(*kept.notes, *(left.notes if left else ()), *(names or ())),
        not_computed=(*kept.not_computed, *(left.not_computed if left else ())),
    )


def choose_services(prof: Profile, services, methods, check: Check = stop_at_first) -> list[type[Service]]:
    """The service classes asked for (``services=`` or the profile's), method chosen.

    Unknown ids and methods fail here, before any raster work; a class given directly is checked
    (:func:`gepcalc.services.base.check_service`).
    """
    chosen_methods = {**prof.methods, **(methods or {})}
    out = []
    for s in services or prof.services:
        cls = check(
            "services",
            str(getattr(s, "__name__", s)),
            lambda s=s: check_service(s) if isinstance(s, type) else registry.get(s, chosen_methods.get(s)),
        )
        if cls is not None:
            out.append(cls)
    return out


def read_lines_for(
    chosen: list[type[Service]],
    lines: Any,
    statistics: Mapping[str, Any] | None,
    *,
    explicit: bool,
    profile: Profile,
    listing: bool,
    check: Check = stop_at_first,
) -> ServicesKept:
    """Read the ``lines=`` and the statistics tables, and keep the services they leave (:func:`services_with_lines`).

    Where the lines or the tables cannot be read (``validate`` only) they are None and every
    service is kept.
    """
    given = check("lines", "lines", lambda: read_given_lines(lines))
    stats = check("statistics", "statistics", lambda: read_statistics_tables(statistics))
    if given is None or stats is None:
        return ServicesKept(chosen, given, stats, (), ())
    got = check(
        "lines",
        "services given by lines",
        lambda: services_with_lines(chosen, given, stats, explicit=explicit, profile=profile, listing=listing),
    )
    return got or ServicesKept(chosen, given, stats, (), ())


def choose_items(
    prof: Profile,
    raster: Sequence[type[Service]],
    items: Mapping[str, Sequence[str]] | None,
    check: Check = stop_at_first,
) -> dict[str, tuple[str, ...]]:
    """The items of each raster service: ``items=``, else the profile's ``[items]``, else the service's default."""
    chosen = {**prof.items, **(items or {})}
    return {
        c.spec.id: ids
        for c in raster
        if (ids := check("items", c.spec.id, lambda c=c: c.spec.item_ids(chosen.get(c.spec.id)))) is not None
    }


class Prices(NamedTuple):
    """The tables and prices of a :class:`Plan` (:func:`plan_prices`); fields as :class:`Plan`'s."""

    tables: dict[str, CoefficientTable] | None
    repriced: dict
    unrepriced: dict
    chosen_rows: dict
    price_year: int | None
    price_index: str | None
    price_regions: list[str]


def plan_prices(
    prof: Profile,
    classes: Sequence[type[Service]],
    item_ids: Mapping[str, tuple[str, ...]],
    inputs: Mapping[str, Any],
    tables: Mapping[str, Any] | None,
    overrides: Mapping[str, Mapping[Any, Mapping[str, Any]]] | None,
    year: int | None,
    price_year: int | None,
    price_index: Any,
    price_region: str | Sequence[str] | None,
    deflators: Any,
    check: Check = stop_at_first,
) -> Prices:
    """Load the account's tables (:func:`load_tables`) and bring their prices to the price year.

    The price year is ``year`` where not given; the price index and regions are the profile's
    where not given (:func:`gepcalc.pricing.price_index_of`, :func:`~gepcalc.pricing.price_regions_of`).
    """
    py = price_year if price_year is not None else year
    regions = check("prices", "price_region", lambda: price_regions_of(price_region, prof)) or []
    chosen: dict = {}
    loaded = check(
        "tables",
        "coefficient tables",
        lambda: load_tables(classes, prof, tables or {}, overrides or {}, item_ids, regions=regions, chosen=chosen),
    )

    def reprice() -> tuple:
        index = price_index_of(price_index, prof)
        return index, *reprice_tables(
            loaded, py, index, overrides or {}, default_rows(classes, item_ids, inputs), deflators
        )

    got = check("prices", f"prices of {py}", reprice) if loaded is not None else None
    index, repriced, unrepriced = got or (None, {}, {})
    return Prices(loaded, repriced, unrepriced, chosen, py, index, regions)


def read_given_lines(lines) -> pd.DataFrame:
    """The ``lines=`` of the account, read and checked (an empty frame when none)."""
    frames = as_frame(lines)
    if not frames:
        return read_lines(pd.DataFrame({"region": [], "service": [], "quantity": [], "unit": []}))
    return pd.concat(frames, ignore_index=True)


def read_statistics_tables(statistics) -> dict[str, list[pd.DataFrame]]:
    """Each statistics service's own tables, read (English column names) but not yet turned into lines."""
    out = {}
    for sid, src in (statistics or {}).items():
        if not registry.get(sid).spec.statistical:
            raise MissingInputError(
                f"statistics={{{sid!r}: ...}}: {sid!r} is computed from rasters; give its reported "
                "quantities as lines (lines=...) instead"
            )
        out[sid] = []
        for one in [src] if isinstance(src, str | Path | pd.DataFrame) else src:
            df, where = read_frame(one)
            df = canonical_columns(df, where)
            df.attrs["source"] = where
            out[sid].append(df)
    return out


class ServicesKept(NamedTuple):
    """The services an account computes once the lines are known (:func:`services_with_lines`)."""

    services: list[type[Service]]
    """The services kept, in order."""
    lines: pd.DataFrame | None
    """The lines, less those of services the profile does not count."""
    statistics: dict[str, list[pd.DataFrame]] | None
    """The statistics tables, likewise."""
    notes: tuple[str, ...]
    """What was left out, and why."""
    not_computed: tuple[dict, ...]
    """Rows of :attr:`gepcalc.Account.not_computed` (with ``listing``) for services left out."""


def services_with_lines(
    classes: list[type[Service]],
    generic: pd.DataFrame,
    stats: dict,
    *,
    explicit: bool,
    profile: Profile,
    listing: bool,
) -> ServicesKept:
    """Check the lines name services of the account; leave out statistics services without lines.

    A statistics service in the profile's list but without lines is left out with a note
    (the account then lacks it, and says so), or, with ``listing`` (``missing="list"``), with a
    row of :attr:`gepcalc.Account.not_computed`; one the user asked for by name (``explicit``)
    is an error unless ``listing``.  Lines of a registered service the profile does not count
    are left out with a note.
    """
    ids = [c.spec.id for c in classes]
    named = set(generic["service"]) | set(stats)
    unknown = sorted(named - set(ids))
    typos = [u for u in unknown if u not in registry.available()]
    if unknown and (explicit or typos):
        rows = generic[generic["service"].isin(unknown)][["file", "row"]].head(3).to_dict("records")
        raise LineError(
            f"lines name service(s) {unknown} (e.g. {rows or 'statistics=...'}) that are not in this account "
            f"({'services given' if explicit else 'profile ' + profile.id}: {', '.join(ids)}); "
            "add them to services=..., or check the spelling (`gepcalc services` lists the ids)"
        )
    notes = []
    if unknown:  # indicators the profile does not count (e.g. negative oxygen ions outside Zhejiang's)
        generic = generic[~generic["service"].isin(unknown)].reset_index(drop=True)
        stats = {k: v for k, v in stats.items() if k not in unknown}
        notes.append(
            f"lines of {unknown} left out: profile {profile.id} does not count these indicators "
            "(give services=... to count them anyway)"
        )
    keep, skipped, rows = [], [], []
    for cls in classes:
        if not (cls.spec.statistical and cls.spec.id not in named):
            keep.append(cls)
        elif listing:
            rows.append(not_computed_row(cls, _needs_lines(cls.spec.id)))
        elif explicit:
            raise MissingInputError(
                f"service {cls.spec.id!r} is valued from statistics and no lines were given for it: give "
                f"lines=... (region, service, item, quantity, unit, source) or statistics={{'{cls.spec.id}': "
                "'file.csv'}"
            )
        else:
            skipped.append(f"{cls.spec.id} ({cls.spec.name_zh})")
    if skipped:
        notes.append(f"not computed, no statistics lines given: {', '.join(skipped)} (profile {profile.id})")
    return ServicesKept(keep, generic, stats, tuple(notes), tuple(rows))


def _needs_lines(sid: str) -> str:
    """What a statistics service without lines needs (a reason of :attr:`gepcalc.Account.not_computed`)."""
    return (
        f"needs statistics lines: give lines=... (region, service={sid!r}, item, quantity, "
        f"unit, source) or statistics={{'{sid}': 'file.csv'}}"
    )


def without_landcover(
    classes: Sequence[type[Service]], by_lines: frozenset[str], profile: Profile, listing: bool
) -> ServicesKept:
    """An account of lines only (no land cover, the profile's services): the raster services left out.

    They are noted, or, with ``listing``, listed with what they need.
    """
    raster = [c for c in classes if c.spec.id not in by_lines]
    kept = [c for c in classes if c.spec.id in by_lines]
    if not raster:
        return ServicesKept(kept, None, None, (), ())
    if listing:
        why = "needs a land-cover raster (landcover=...) or its quantities as lines (lines=...)"
        return ServicesKept(kept, None, None, (), tuple(not_computed_row(c, why) for c in raster))
    note = f"not computed, no land cover and no lines: {', '.join(c.spec.id for c in raster)} (profile {profile.id})"
    return ServicesKept(kept, None, None, (note,), ())


def load_tables(
    classes_cls: list[type[Service]],
    prof: Profile,
    user_tables,
    overrides,
    item_ids,
    *,
    regions: Sequence[str] = ("national",),
    chosen: dict | None = None,
) -> dict[str, CoefficientTable]:
    """The tables of the account: the profile's or the user's, overridden, and seen from ``regions``.

    In an item table with regional rows, row ``X`` takes the values of ``X@R`` for the first
    ``R`` of ``regions`` that has one (:func:`gepcalc.repricing.regional`); a row the user
    overrode stays as given.  ``chosen`` (when given) receives ``{(table, X): "X@R"}``.
    """
    needed = {
        p.default.table
        for cls in classes_cls
        for p in (*cls.spec.params, *cls.spec.value_params, *cls.spec.region_params)
        if p.default
    } | {t for cls in classes_cls for t in cls.spec.tables}
    needed |= set(user_tables) | set(overrides)
    out = {}
    for name in sorted(needed):
        default = prof.tables.get(name, name)
        given = user_tables.get(name)
        if given is None:
            table = load_table(default)
        elif isinstance(given, CoefficientTable):
            table = given
        else:
            path = Path(given)
            meta = None if path.with_suffix(".toml").is_file() else load_table(default)
            table = load_table(path, meta=meta)
        out[name] = load_table(table, overrides=overrides.get(name))
        if out[name].index_kind == "item":
            out[name], picked = regional(out[name], regions, keep=(overrides.get(name) or {}).keys())
            if chosen is not None:
                chosen.update({(name, x): v for x, v in picked.items()})
    _check_item_defaults(classes_cls, out, item_ids)
    return out


def _check_item_defaults(classes_cls, tables: Mapping[str, CoefficientTable], item_ids) -> None:
    """A per-item default must exist for every chosen item (column or row), before any raster work."""
    for cls in classes_cls:
        if cls.spec.id not in item_ids:  # given by lines: items come from the lines
            continue
        for p in (*cls.spec.params, *cls.spec.value_params, *cls.spec.region_params):
            if not (p.per_item and p.default):
                continue
            t = tables[p.default.table]
            for item in item_ids[cls.spec.id]:
                col, row = p.default.column.format(item=item), p.default.row and p.default.row.format(item=item)
                if col not in t.columns or (row is not None and row not in t.keys):
                    raise CoefficientTableError(
                        f"table {t.name!r} ({t.origin})",
                        [
                            KeyError(
                                f"service {cls.spec.id!r}, item {item!r} needs column {col!r}"
                                + (f" row {row!r}" if row else "")
                                + " for its default of parameter "
                                f"{p.name!r}; add it or give the input per item"
                            )
                        ],
                    )
