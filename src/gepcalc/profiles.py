"""Profiles: named, versioned choices of services and default tables.

A profile (``data/profiles/ID.toml``) fixes which services an account computes
and which table stands behind each logical table name, so that an account can
follow one standard (``mee-2020`` is the national guide).  The profile used is
recorded in every account.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from gepcalc._data import data_dir
from gepcalc.errors import ConfigError
from gepcalc.io import read_toml
from gepcalc.rules import check_rules


@dataclass(frozen=True)
class Profile:
    """Services, methods and default tables of one standard."""

    id: str
    title: str
    services: tuple[str, ...]
    landcover_classes: str = "landcover_igbp"
    tables: dict[str, str] = field(default_factory=dict)
    #: method of each service where not its default, e.g. ``{"water_conservation": "budyko"}``
    methods: dict[str, str] = field(default_factory=dict)
    #: items (pollutants, products) of each service where not its default
    items: dict[str, list[str]] = field(default_factory=dict)
    #: ecosystem types each service counts where not its table's ``included`` column, e.g.
    #: ``{"water_conservation": ["forest", "shrubland", "grassland", "wetland", "farmland"]}``
    ecosystems: dict[str, list[str]] = field(default_factory=dict)
    document: str = ""
    title_zh: str = ""
    version: str = ""
    path: Path | None = None
    #: lines from outside the region (``origin = outside``): ``"subtract"`` (GB/T 46869-2025) or ``"ignore"``
    outside: str = "ignore"
    #: double-counting rules (:mod:`gepcalc.rules`), applied when both services are in the account
    double_counting: tuple[dict, ...] = ()
    #: provisioning products at their full value (``"gross"``) or times the ecosystem's share (``"net"``)
    provisioning: str = "gross"
    #: what the profile says about itself and its sources (shown with ``gepcalc profiles``)
    notes: str = ""
    #: deflator series that brings every price to the account's price year (None: prices as in the tables)
    price_index: str | None = "cpi"
    #: regions whose price rows (``X@region``) are preferred, most specific first; ``national`` is always last
    price_region: tuple[str, ...] = ("national",)


def profiles_dir() -> Path:
    return data_dir("profiles")


def available_profiles() -> list[str]:
    """Ids of the built-in profiles."""
    return sorted(p.stem for p in profiles_dir().glob("*.toml"))


def load_profile(profile: str | Path) -> Profile:
    """Load a built-in profile by id, or a profile TOML file."""
    path = Path(profile)
    if not path.is_file():
        path = profiles_dir() / f"{profile}.toml"
        if not path.is_file():
            raise ConfigError(f"no profile {profile!r}; built-in profiles: {', '.join(available_profiles())}")
    raw = read_toml(path, "profile", ConfigError)
    for key in ("id", "title", "services"):
        if key not in raw:
            raise ConfigError(f"profile {path} lacks {key!r}")
    outside = raw.get("outside", "ignore")
    provisioning = raw.get("provisioning", "gross")
    if provisioning not in ("gross", "net"):
        raise ConfigError(f"profile {path}: provisioning = {provisioning!r}; expected 'gross' or 'net'")
    if outside not in ("subtract", "ignore"):
        raise ConfigError(f"profile {path}: outside = {outside!r}; expected 'subtract' or 'ignore'")
    price_index = raw.get("price_index", "cpi")
    if not (isinstance(price_index, str) and price_index):
        raise ConfigError(f"profile {path}: price_index = {price_index!r}; expected a deflator series id such as 'cpi'")
    price_index = None if price_index.strip().lower() == "none" else price_index  # "none": table prices as they are
    price_region = raw.get("price_region", "national")
    price_region = (price_region,) if isinstance(price_region, str) else tuple(price_region)
    if not price_region or not all(isinstance(r, str) and r for r in price_region):
        raise ConfigError(
            f"profile {path}: price_region = {raw.get('price_region')!r}; expected a region id "
            "('national', 'zhejiang') or a list of them, most specific first"
        )
    return Profile(
        id=raw["id"],
        title=raw["title"],
        services=tuple(raw["services"]),
        landcover_classes=raw.get("landcover_classes", "landcover_igbp"),
        tables=dict(raw.get("tables", {})),
        methods=dict(raw.get("methods", {})),
        items={k: list(v) for k, v in raw.get("items", {}).items()},
        ecosystems=_ecosystems(raw.get("ecosystems", {}), path),
        document=raw.get("document", ""),
        title_zh=raw.get("title_zh", ""),
        version=str(raw.get("version", "")),
        path=path,
        outside=outside,
        provisioning=provisioning,
        double_counting=tuple(check_rules(raw.get("double_counting", []), str(path))),
        notes=raw.get("notes", ""),
        price_index=price_index,
        price_region=price_region,
    )


def _ecosystems(raw, path: Path) -> dict[str, list[str]]:
    """The profile's ``[ecosystems]`` table: service id → list of ecosystem type ids (checked in the account)."""
    if not isinstance(raw, dict):
        raise ConfigError(f"profile {path}: [ecosystems] must be a table of service = [ecosystem types]")
    out = {}
    for sid, types in raw.items():
        if not (isinstance(types, list) and all(isinstance(t, str) for t in types)):
            raise ConfigError(
                f"profile {path}: [ecosystems] {sid} = {types!r}; expected a list of ecosystem type ids, "
                'e.g. ["forest", "shrubland", "grassland"]'
            )
        out[str(sid)] = list(types)
    return out
