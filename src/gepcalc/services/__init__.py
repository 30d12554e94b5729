"""Service plug-ins: one module per GEP indicator, found through entry points.

Built-in services are declared in gepcalc's ``pyproject.toml`` under the entry-
point group ``gepcalc.services`` (so gepcalc must be installed, ``pip install -e .``
in a source tree); a third-party package adds its own the same way, or a notebook
calls :func:`register`.  ``available()`` merges both, checks each service once
(:func:`~gepcalc.services.base.check_service`) and caches the entry points;
:func:`refresh` reads them again.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points

from gepcalc.errors import ServiceError
from gepcalc.services.base import (
    CATEGORIES,
    CATEGORY_NAMES,
    Item,
    Param,
    Reference,
    Service,
    ServiceSpec,
    TableRef,
    check_service,
)

GROUP = "gepcalc.services"

_registered: dict[str, type[Service]] = {}


@cache
def _from_entry_points() -> dict[str, type[Service]]:
    """Classes by entry-point name: ``id`` for a service's default method, ``id.method`` for others."""
    found = {}
    for ep in entry_points(group=GROUP):
        name = ep.name
        try:
            cls = ep.load()
        except Exception as exc:
            raise ServiceError(f"service plug-in {name!r} ({ep.value}) failed to load: {exc}") from exc
        check_service(cls)
        if name not in (cls.spec.id, cls.spec.key):
            raise ServiceError(
                f"entry point {name!r} ({ep.value}) declares service {cls.spec.key!r}; "
                f"name it {cls.spec.id!r} (default method) or {cls.spec.key!r}"
            )
        found[name] = cls
    return found


def refresh() -> None:
    """Read the entry points again (after installing or removing a plug-in package in this process)."""
    _from_entry_points.cache_clear()


def _all() -> dict[str, type[Service]]:
    return {**_from_entry_points(), **_registered}


def available() -> dict[str, type[Service]]:
    """All services by id, each with its default method (entry points, then run-time registrations)."""
    return {name: cls for name, cls in _all().items() if "." not in name}


def methods(service_id: str) -> dict[str, type[Service]]:
    """Every method of a service: ``{method: class}``, the default first."""
    default = get(service_id)
    out = {default.spec.method: default}
    out.update({cls.spec.method: cls for name, cls in _all().items() if name.startswith(f"{service_id}.")})
    return out


def all_methods() -> dict[str, type[Service]]:
    """Every registered service class by ``id.method`` (what the conformance kit runs over)."""
    return {cls.spec.key: cls for cls in _all().values()}


def register(cls: type[Service], *, replace: bool = False, default: bool = True) -> type[Service]:
    """Register a service class at run time (usable as a class decorator).

    ``default=False`` adds it as another method of an existing service id.
    """
    check_service(cls)
    name = cls.spec.id if default else cls.spec.key
    if name in _all() and not replace:
        raise ServiceError(f"a service {name!r} is already registered; pass replace=True")
    _registered[name] = cls
    return cls


def unregister(name: str) -> None:
    """Remove a service (``id``) or method (``id.method``) registered at run time."""
    _registered.pop(name, None)


def get(service_id: str, method: str | None = None) -> type[Service]:
    """The service class with this id, with its default method unless ``method`` names another."""
    services = available()
    if service_id not in services:
        raise ServiceError(f"no service {service_id!r}; installed: {', '.join(sorted(services))}")
    cls = services[service_id]
    if method is None or method == cls.spec.method:
        return cls
    alt = _all().get(f"{service_id}.{method}")
    if alt is None:
        known = sorted({cls.spec.method} | {n.split(".", 1)[1] for n in _all() if n.startswith(f"{service_id}.")})
        raise ServiceError(f"service {service_id!r} has no method {method!r}; methods: {', '.join(known)}")
    return alt


__all__ = [
    "CATEGORIES",
    "CATEGORY_NAMES",
    "GROUP",
    "Item",
    "Param",
    "Reference",
    "Service",
    "ServiceSpec",
    "TableRef",
    "all_methods",
    "available",
    "check_service",
    "get",
    "methods",
    "refresh",
    "register",
    "unregister",
]
