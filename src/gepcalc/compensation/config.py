"""Reading a compensation configuration (``gepcalc compensation CONFIG.toml``): its top-level keys are
checked and the paths in it made relative to its folder (:func:`load_config`).

The keys of each ``[[rules]]`` entry are checked where the rule is applied (:mod:`~gepcalc.compensation.apply`),
those of ``[[flows]]`` where the flows are routed (:mod:`~gepcalc.compensation.layers`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gepcalc.errors import ConfigError
from gepcalc.io import read_toml

__all__ = ["load_config"]

#: the keys a compensation TOML may have at its top level (docs/compensation.md)
TOP_KEYS = {
    "title",
    "year",
    "years",
    "price_year",
    "dem",
    "landcover",
    "regions",
    "region_field",
    "routing",
    "outlets",
    "landcover_classes",
    "profile",
    "price_index",
    "inputs",
    "tables",
    "overrides",
    "methods",
    "flows",
    "rules",
    "chunks",
}


def _relative_to(base: Path, v: Any) -> Any:
    """A relative path (or a raster spec's ``raster`` path) taken relative to ``base``; anything else as is."""
    if isinstance(v, str) and v and not Path(v).is_absolute():
        return str(base / v)
    if isinstance(v, Mapping) and "raster" in v:
        return {**v, "raster": _relative_to(base, v["raster"])}
    return v


def load_config(path: str | Path) -> dict:
    """Read a compensation TOML (keys in ``docs/compensation.md``); relative paths are to its folder.

    Parameters
    ----------
    path
        The TOML file.

    Returns
    -------
    dict
        Keyword arguments of :func:`gepcalc.compensation.compensation`, with ``base`` (the file's folder).
    """
    path = Path(path)
    raw = read_toml(path, "compensation config", ConfigError)
    unknown = set(raw) - TOP_KEYS
    if unknown:
        raise ConfigError(f"{path}: unknown keys {sorted(unknown)} (allowed: {sorted(TOP_KEYS)})")
    base = path.parent

    def rel(v):
        return _relative_to(base, v)

    out = dict(raw)
    for k in ("dem", "landcover", "regions"):
        if k in out:
            out[k] = rel(out[k])
    if isinstance(out.get("landcover_classes"), str):
        out["landcover_classes"] = rel(out["landcover_classes"])
    if "inputs" in out:
        out["inputs"] = {k: rel(v) if isinstance(v, Mapping) else v for k, v in out["inputs"].items()}
    if "tables" in out:
        out["tables"] = {k: rel(v) for k, v in out["tables"].items()}
    if "flows" in out:
        out["flows"] = [
            {**f, "delivery": rel(f["delivery"])} if isinstance(f.get("delivery"), Mapping) else f for f in out["flows"]
        ]
    out["base"] = str(base)
    return out
