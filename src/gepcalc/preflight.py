"""Check an account's configuration and inputs without computing it: every problem at once.

:func:`validate` takes the arguments of :func:`gepcalc.account` and runs the account's own
checks stage by stage — services and methods, lines and statistics, input names, coefficient
tables and overrides, prices and their years, the land cover and the regions (one pass that
counts the classes), and every parameter of every service (units, plausible ranges, rasters on
the grid, values per ecosystem type) — but no routing, no zonal sums and no valuation.  Where
:func:`gepcalc.account` stops at the first problem, this collects them all; a stage whose
prerequisite failed is skipped (its problems would only repeat the first).

``gepcalc validate CONFIG.toml`` prints them and exits with code 2 if there is any;
``gepcalc account`` runs the same checks first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gepcalc import services as registry
from gepcalc.account import FROM_PROFILE, _generic_lines, _statistics_tables, _with_lines, load_tables
from gepcalc.errors import CoefficientTableError, ConfigError, GepcalcError
from gepcalc.landscape import build_landscape
from gepcalc.pricing import default_rows, price_index_of, price_regions_of, reprice_tables
from gepcalc.profiles import Profile, load_profile
from gepcalc.resolve import check_input_names, resolve_param, resolve_regional
from gepcalc.services.base import check_service


@dataclass
class Problem:
    """One problem: the stage that found it, what it concerns and the message (the error's class too)."""

    stage: str
    subject: str
    error: str
    message: str

    def __str__(self) -> str:
        return f"[{self.stage}] {self.subject}: {self.message}" if self.subject else f"[{self.stage}] {self.message}"


@dataclass
class Report:
    """The outcome of :func:`validate`: problems (errors) and notes (what an account would say)."""

    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        if self.ok:
            return "no problems found" + "".join(f"\nnote: {n}" for n in self.notes)
        return f"{len(self.problems)} problem(s):\n" + "\n".join(f"- {p}" for p in self.problems)

    def raise_if_any(self) -> None:
        """Raise a :class:`ConfigError` listing every problem (the first problem's text leads)."""
        if self.problems:
            raise ConfigError(str(self))

    def check(self, stage: str, subject: str, fn: Callable[[], Any]) -> Any:
        """Run ``fn``; a gepcalc error becomes a problem (each part of an error group its own), returns None."""
        try:
            return fn()
        except CoefficientTableError as group:
            for exc in group.exceptions:
                self.problems.append(Problem(stage, f"{subject}: {group.message}", type(exc).__name__, str(exc)))
        except GepcalcError as exc:
            self.problems.append(Problem(stage, subject, type(exc).__name__, str(exc)))
        return None


def validate(
    landcover=None,
    regions=None,
    *,
    region_field: str | None = None,
    region_name: str | None = None,
    landcover_classes=None,
    inputs: Mapping[str, Any] | None = None,
    lines=None,
    statistics=None,
    tables=None,
    overrides=None,
    services=None,
    methods=None,
    items=None,
    profile: str | Profile = "mee-2020",
    year: int | None = None,
    price_year: int | None = None,
    price_index=FROM_PROFILE,
    price_region=None,
    deflators=None,
    chunks=True,
    missing: str = "error",
    **ignored: Any,
) -> Report:
    """Every problem of an account's configuration and inputs, found before any raster work but one.

    Parameters
    ----------
    landcover, regions
        As for :func:`gepcalc.account`, and so are the keyword arguments (``inputs``, ``tables``,
        ``overrides``, ``services``, ``profile``, ``year`` …) except ``missing``.
    missing
        As for :func:`gepcalc.account`: with ``"list"`` a service that lacks an input is a note (the
        account would list it as not computed), not a problem.
    **ignored
        The account's other arguments (``progress``, ``areas``, ``title`` …): accepted so that
        the same keyword arguments can be passed to both, not checked here.

    Returns
    -------
    Report
        ``report.ok``; ``report.problems`` (stage, subject, error class, message); ``str(report)``.
        The land cover is read once to count its classes (codes without a row in the mapping are
        problems); input rasters are read once to check their values' range.
    """
    rep = Report()
    prof = rep.check(
        "profile", str(profile), lambda: profile if isinstance(profile, Profile) else load_profile(profile)
    )
    if prof is None:
        return rep
    chosen_methods = {**prof.methods, **(methods or {})}
    chosen_items = {**prof.items, **(items or {})}
    classes = []
    for s in services or prof.services:
        cls = rep.check(
            "services",
            str(getattr(s, "__name__", s)),
            lambda s=s: check_service(s) if isinstance(s, type) else registry.get(s, chosen_methods.get(s)),
        )
        if cls is not None:
            classes.append(cls)
    generic = rep.check("lines", "lines", lambda: _generic_lines(lines))
    stats = rep.check("statistics", "statistics", lambda: _statistics_tables(statistics))
    if generic is not None and stats is not None:
        got = rep.check(
            "lines",
            "services given by lines",
            lambda: _with_lines(
                classes, generic, stats, explicit=services is not None, profile=prof, notes=rep.notes, listed=[]
            ),
        )
        if got is not None:
            classes, generic, stats = got
    line_ids = (set(generic["service"]) if generic is not None else set()) | set(stats or {})
    raster_cls = [c for c in classes if c.spec.id not in line_ids]
    item_ids = {
        c.spec.id: ids
        for c in raster_cls
        if (ids := rep.check("items", c.spec.id, lambda c=c: c.spec.item_ids(chosen_items.get(c.spec.id)))) is not None
    }
    inputs = dict(inputs or {})
    rep.notes += (
        rep.check("inputs", "input names", lambda: check_input_names(inputs, classes, registry.all_methods())) or []
    )

    price_regions = rep.check("prices", "price_region", lambda: price_regions_of(price_region, prof)) or []
    loaded = rep.check(
        "tables",
        "coefficient tables",
        lambda: load_tables(classes, prof, tables or {}, overrides or {}, item_ids, regions=price_regions, chosen={}),
    )
    if loaded is not None:
        rep.check(
            "prices",
            f"prices of {price_year if price_year is not None else year}",
            lambda: reprice_tables(
                loaded,
                price_year if price_year is not None else year,
                price_index_of(price_index, prof),
                overrides or {},
                default_rows(classes, item_ids, inputs),
                deflators,
            ),
        )
    land = None
    if landcover is None and services is None and raster_cls:  # an account of lines only (as account() does)
        rep.notes.append(
            f"not computed, no land cover and no lines: {', '.join(c.spec.id for c in raster_cls)} (profile {prof.id})"
        )
    elif landcover is None and raster_cls:
        rep.problems.append(
            Problem(
                "land cover",
                "",
                "MissingInputError",
                f"services {[c.spec.id for c in raster_cls]} are computed from a land-cover raster and none was given",
            )
        )
    elif landcover is not None and raster_cls:
        land = rep.check(
            "land cover",
            str(landcover if not hasattr(landcover, "name") else getattr(landcover, "name", "")),
            lambda: build_landscape(
                landcover,
                classes=None if landcover_classes is False else (landcover_classes or prof.landcover_classes),
                regions=regions,
                region_field=region_field,
                region_name=region_name,
                chunks=chunks,
            ),
        )
        if land is not None:
            rep.notes += list(land.notes)
    if loaded is None:  # the overrides failed (already reported): check the inputs against the built-in tables
        loaded = Report().check(
            "tables",
            "",
            lambda: load_tables(classes, prof, tables or {}, {}, item_ids, regions=price_regions, chosen={}),
        )
    if land is None or loaded is None:
        return rep
    _check_parameters(rep, raster_cls, item_ids, inputs, loaded, land, missing)
    return rep


def _check_parameters(rep: Report, raster_cls, item_ids, inputs, loaded, land, missing: str) -> None:
    """Resolve every parameter of every raster service; gaps per ecosystem type and raster holes are notes."""
    first = len(rep.problems)
    for cls in raster_cls:
        sid, its = cls.spec.id, item_ids.get(cls.spec.id, ())
        for which, params in (("physical", cls.spec.params), ("value", cls.spec.value_params)):
            for p in params:
                if p.needed_by and its and not set(p.needed_by) & set(its):
                    continue
                r = rep.check(
                    "parameters",
                    f"{sid}.{p.name}",
                    lambda p=p, which=which, sid=sid, its=its: resolve_param(
                        p, sid, inputs=inputs, tables=loaded, land=land, pixels=which == "physical", items=its
                    ),
                )
                if r is not None and r.missing:
                    rep.notes.append(
                        f"{sid}.{p.name} has no value for ecosystem type(s) {list(r.missing)} present in the land "
                        "cover: the account stops (or lists the service as not computed) if the service counts them"
                    )
                if r is not None:
                    rep.notes += [
                        f"{sid}.{p.name}: raster {o['value']} has no value on {o['holes']:,} accounted pixels"
                        for o in r.origin
                        if o.get("holes")
                    ]
        for p in cls.spec.region_params:
            if p.needed_by and its and not set(p.needed_by) & set(its):
                continue
            rep.check(
                "parameters",
                f"{sid}.{p.name}",
                lambda p=p, sid=sid, its=its: resolve_regional(
                    p, sid, inputs=inputs, tables=loaded, land=land, items=its
                ),
            )
    if missing == "list":  # the account lists these services as not computed instead of stopping
        keep = rep.problems[:first]
        for pr in rep.problems[first:]:
            if pr.error in ("MissingInputError", "NodataError"):
                rep.notes.append(f"not computed: {pr.subject}: {pr.message}")
            else:
                keep.append(pr)
        rep.problems = keep
