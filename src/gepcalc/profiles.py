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
    return Profile(
        id=raw["id"],
        title=raw["title"],
        services=tuple(raw["services"]),
        landcover_classes=raw.get("landcover_classes", "landcover_igbp"),
        tables=dict(raw.get("tables", {})),
        methods=dict(raw.get("methods", {})),
        items={k: list(v) for k, v in raw.get("items", {}).items()},
        document=raw.get("document", ""),
        title_zh=raw.get("title_zh", ""),
        version=str(raw.get("version", "")),
        path=path,
        outside=outside,
        provisioning=provisioning,
        double_counting=tuple(check_rules(raw.get("double_counting", []), str(path))),
        notes=raw.get("notes", ""),
    )
