"""Service plug-ins: one module per GEP indicator, found through entry points.

Built-in services are declared in gepcalc's ``pyproject.toml`` under the entry-
point group ``gepcalc.services``; a third-party package adds its own the same
way, or a notebook calls :func:`register`.  ``available()`` merges both, checks
each service once (:func:`~gepcalc.services.base.check_service`) and caches them.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points

from gepcalc.errors import ServiceError
from gepcalc.services.base import (
    CATEGORIES,
    CATEGORY_NAMES,
    Param,
    Reference,
    Service,
    ServiceSpec,
    TableRef,
    check_service,
)

GROUP = "gepcalc.services"

# Used when gepcalc runs from a source tree without being installed (no entry points).
_BUILTIN = {
    "carbon_sequestration": "gepcalc.services.carbon_sequestration:CarbonSequestration",
    "oxygen_release": "gepcalc.services.oxygen_release:OxygenRelease",
    "water_conservation": "gepcalc.services.water_conservation:WaterConservation",
    "climate_regulation": "gepcalc.services.climate_regulation:ClimateRegulation",
}
_registered: dict[str, type[Service]] = {}


def _load(target: str) -> type[Service]:
    from importlib import import_module

    module, _, attr = target.partition(":")
    return getattr(import_module(module), attr)


@cache
def _from_entry_points() -> dict[str, type[Service]]:
    found = {}
    eps = {ep.name: ep for ep in entry_points(group=GROUP)}
    for name, target in _BUILTIN.items():
        if name not in eps:
            found[name] = _load(target)
    for name, ep in eps.items():
        try:
            cls = ep.load()
        except Exception as exc:
            raise ServiceError(f"service plug-in {name!r} ({ep.value}) failed to load: {exc}") from exc
        check_service(cls)
        if cls.spec.id != name:
            raise ServiceError(f"entry point {name!r} ({ep.value}) declares service id {cls.spec.id!r}")
        found[name] = cls
    return found


def available() -> dict[str, type[Service]]:
    """All services by id: entry points first, then those registered at run time."""
    return {**_from_entry_points(), **_registered}


def register(cls: type[Service], *, replace: bool = False) -> type[Service]:
    """Register a service class at run time (usable as a class decorator)."""
    check_service(cls)
    sid = cls.spec.id
    if sid in available() and not replace:
        raise ServiceError(f"a service with id {sid!r} is already registered; pass replace=True")
    _registered[sid] = cls
    return cls


def unregister(service_id: str) -> None:
    """Remove a service registered at run time."""
    _registered.pop(service_id, None)


def get(service_id: str) -> type[Service]:
    """The service class with this id."""
    services = available()
    if service_id not in services:
        raise ServiceError(f"no service {service_id!r}; installed: {', '.join(sorted(services))}")
    return services[service_id]


__all__ = [
    "CATEGORIES",
    "CATEGORY_NAMES",
    "GROUP",
    "Param",
    "Reference",
    "Service",
    "ServiceSpec",
    "TableRef",
    "available",
    "check_service",
    "get",
    "register",
    "unregister",
]
