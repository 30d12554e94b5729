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
    Item,
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
    "carbon_sequestration.npp": "gepcalc.services.carbon_sequestration:CarbonSequestrationNPP",
    "carbon_sequestration.stock_change": "gepcalc.services.carbon_sequestration:CarbonSequestrationStockChange",
    "carbon_sequestration.dry_matter": "gepcalc.services.carbon_sequestration:CarbonSequestrationDryMatter",
    "oxygen_release": "gepcalc.services.oxygen_release:OxygenRelease",
    "oxygen_release.npp": "gepcalc.services.oxygen_release:OxygenReleaseNPP",
    "oxygen_release.stock_change": "gepcalc.services.oxygen_release:OxygenReleaseStockChange",
    "oxygen_release.dry_matter": "gepcalc.services.oxygen_release:OxygenReleaseDryMatter",
    "water_conservation": "gepcalc.services.water_conservation:WaterConservation",
    "water_conservation.budyko": "gepcalc.services.water_conservation:WaterConservationBudyko",
    "water_conservation.budyko_retention": "gepcalc.services.water_conservation:WaterConservationRetention",
    "soil_retention": "gepcalc.services.soil_retention:SoilRetention",
    "flood_regulation": "gepcalc.services.flood_regulation:FloodRegulation",
    "climate_regulation": "gepcalc.services.climate_regulation:ClimateRegulation",
    "climate_regulation.evapotranspiration": "gepcalc.services.climate_regulation:ClimateRegulationET",
    "water_purification": "gepcalc.services.water_purification:WaterPurification",
    "water_purification.capacity": "gepcalc.services.water_purification:WaterPurificationCapacity",
    "air_purification": "gepcalc.services.air_purification:AirPurification",
    "air_purification.capacity": "gepcalc.services.air_purification:AirPurificationCapacity",
    "negative_oxygen_ions": "gepcalc.services.negative_oxygen_ions:NegativeOxygenIons",
    "sand_fixation": "gepcalc.services.sand_fixation:SandFixation",
    "coastal_protection": "gepcalc.services.coastal_protection:CoastalProtection",
    "pest_control": "gepcalc.services.pest_control:PestControl",
    "agricultural_products": "gepcalc.services.statistics:AgriculturalProducts",
    "forestry_products": "gepcalc.services.statistics:ForestryProducts",
    "livestock_products": "gepcalc.services.statistics:LivestockProducts",
    "fishery_products": "gepcalc.services.statistics:FisheryProducts",
    "water_supply": "gepcalc.services.statistics:WaterSupply",
    "hydropower": "gepcalc.services.statistics:Hydropower",
    "other_products": "gepcalc.services.statistics:OtherProducts",
    "recreation": "gepcalc.services.cultural:Recreation",
    "recreation.tourism_revenue": "gepcalc.services.cultural:RecreationRevenue",
    "landscape_value": "gepcalc.services.cultural:LandscapeValue",
}
_registered: dict[str, type[Service]] = {}


def _load(target: str) -> type[Service]:
    from importlib import import_module

    module, _, attr = target.partition(":")
    return getattr(import_module(module), attr)


@cache
def _from_entry_points() -> dict[str, type[Service]]:
    """Classes by entry-point name: ``id`` for a service's default method, ``id.method`` for others."""
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
        if name not in (cls.spec.id, cls.spec.key):
            raise ServiceError(
                f"entry point {name!r} ({ep.value}) declares service {cls.spec.key!r}; "
                f"name it {cls.spec.id!r} (default method) or {cls.spec.key!r}"
            )
        found[name] = cls
    return found


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
    "register",
    "unregister",
]
