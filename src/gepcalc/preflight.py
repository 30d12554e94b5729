"""Check an account's configuration and inputs without computing it: every problem at once.

:func:`validate` takes the arguments of :func:`gepcalc.account` and runs the account's own first
stage, :func:`gepcalc.stages.plan.plan` (services and methods, lines and statistics, items, input
names, coefficient tables and overrides, prices and their years), with :meth:`Report.check` as its
check, so that each problem is recorded instead of raised; then the land cover and the regions (one
pass that counts the classes) and every parameter of every service (units, plausible ranges,
rasters on the grid, values per ecosystem type) — but no routing, no zonal sums and no valuation.
Where :func:`gepcalc.account` stops at the first problem, this collects them all; a step whose
prerequisite failed is skipped (its problems would only repeat the first).

``gepcalc validate CONFIG.toml`` prints them and exits with code 2 if there is any;
``gepcalc account`` runs the same checks first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gepcalc.errors import CoefficientTableError, ConfigError, GepcalcError
from gepcalc.landscape import Landscape, build_landscape
from gepcalc.pricing import FROM_PROFILE
from gepcalc.profiles import Profile
from gepcalc.resolve import resolve_param, resolve_regional
from gepcalc.resolve.pending import PendingChecks, deferred_checks, judge_one
from gepcalc.stages.land import mapping_of
from gepcalc.stages.plan import Plan, load_tables, plan


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
    p = plan(
        profile=profile,
        services=services,
        methods=methods,
        items=items,
        lines=lines,
        statistics=statistics,
        tables=tables,
        overrides=overrides,
        inputs=inputs,
        year=year,
        price_year=price_year,
        price_index=price_index,
        price_region=price_region,
        deflators=deflators,
        has_landcover=landcover is not None,
        listing=missing == "list",
        check=rep.check,
    )
    if p is None:
        return rep
    rep.notes += [*p.notes, *(f"not computed: {r['service']}: {r['reason']}" for r in p.not_computed)]
    land = _landscape(rep, p, landcover, regions, region_field, region_name, landcover_classes, chunks)
    loaded = p.tables
    if loaded is None:  # the overrides failed (already reported): check the inputs against the built-in tables
        loaded = Report().check(
            "tables",
            "",
            lambda: load_tables(list(p.services), p.profile, tables or {}, {}, p.items, regions=p.price_regions),
        )
    if land is None or loaded is None:
        return rep
    _check_parameters(rep, p.raster_services, p.items, p.inputs, loaded, land, missing)
    return rep


def _landscape(
    rep: Report, p: Plan, landcover, regions, region_field, region_name, landcover_classes, chunks
) -> Landscape | None:
    """The plan's landscape (one pass counting the land cover's classes), or None with a problem where it fails.

    Nothing is read for an account without raster services.
    """
    if landcover is None and p.raster_services:
        rep.problems.append(
            Problem(
                "land cover",
                "",
                "MissingInputError",
                f"services {[c.spec.id for c in p.raster_services]} are computed from a land-cover raster and none "
                "was given",
            )
        )
    if landcover is None or not p.raster_services:
        return None
    land = rep.check(
        "land cover",
        str(landcover if not hasattr(landcover, "name") else getattr(landcover, "name", "")),
        lambda: build_landscape(
            landcover,
            classes=mapping_of(landcover_classes, p.profile),
            regions=regions,
            region_field=region_field,
            region_name=region_name,
            chunks=chunks,
        ),
    )
    if land is not None:
        rep.notes += list(land.notes)
    return land


def _check_parameters(rep: Report, raster_cls, item_ids, inputs, loaded, land, missing: str) -> None:
    """Resolve every parameter of every raster service; gaps per ecosystem type and raster holes are notes.

    The input rasters' range checks are computed together, in one ``dask.compute`` (one pass over
    every raster), after all parameters are resolved; their problems and notes take the place
    they would have had, had each raster been checked as it was resolved.
    """
    first = len(rep.problems)
    places: list[tuple[int, int]] = []  # where each check's problem or note goes
    with deferred_checks() as pending:
        for cls in raster_cls:
            sid, its = cls.spec.id, item_ids.get(cls.spec.id, ())
            for which, params in (("physical", cls.spec.params), ("value", cls.spec.value_params)):
                for p in params:
                    if p.needed_by and its and not set(p.needed_by) & set(its):
                        continue
                    pending.subject = f"{sid}.{p.name}"
                    _check_param(rep, p, sid, which, its, inputs, loaded, land)
                    places += [(len(rep.problems), len(rep.notes))] * (len(pending) - len(places))
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
    _judge_rasters(rep, pending, places)
    if missing == "list":  # the account lists these services as not computed instead of stopping
        keep = rep.problems[:first]
        for pr in rep.problems[first:]:
            if pr.error in ("MissingInputError", "NodataError"):
                rep.notes.append(f"not computed: {pr.subject}: {pr.message}")
            else:
                keep.append(pr)
        rep.problems = keep


def _check_param(rep: Report, p, sid: str, which: str, its, inputs, loaded, land) -> None:
    """Resolve one parameter of a service: a problem where it fails, a note for types without a value."""
    r = rep.check(
        "parameters",
        f"{sid}.{p.name}",
        lambda: resolve_param(p, sid, inputs=inputs, tables=loaded, land=land, pixels=which == "physical", items=its),
    )
    if r is not None and r.missing:
        rep.notes.append(
            f"{sid}.{p.name} has no value for ecosystem type(s) {list(r.missing)} present in the land "
            "cover: the account stops (or lists the service as not computed) if the service counts them"
        )


def _judge_rasters(rep: Report, pending: PendingChecks, places: list[tuple[int, int]]) -> None:
    """Compute every pending raster check in one pass, judge each: a problem, or a note for its holes.

    Each goes where the raster's parameter was resolved (``places``: the problems' and notes'
    lengths then), so that the report reads as if each raster had been checked at once.
    """
    pending.compute()
    for e, (at_problem, at_note) in reversed(list(zip(pending.entries, places, strict=True))):
        try:
            judge_one(e)
        except GepcalcError as exc:
            rep.problems.insert(at_problem, Problem("parameters", e.subject, type(exc).__name__, str(exc)))
            continue
        o = e.records[0]
        if o.get("holes"):
            rep.notes.insert(
                at_note, f"{e.subject}: raster {o['value']} has no value on {o['holes']:,} accounted pixels"
            )
