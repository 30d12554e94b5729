"""Account configuration files (TOML) for scripted accounts: ``gepcalc account CONFIG.toml``.

Example::

    [account]
    title = "Chun'an 2020"
    landcover = "landcover.tif"          # paths are relative to this file
    landcover_classes = "landcover_igbp" # or a mapping table file
    regions = "townships.gpkg"           # optional; or by administrative code (needs gepcalc[cn]):
                                         # { adcode = 330127 } or { adcode = 33, level = "county" }
    region_field = "name"
    year = 2020
    price_year = 2020
    scenario = "baseline"
    profile = "mee-2020"
    inputs = "inputs.toml"                # optional file of inputs, merged under [inputs]
    lines = ["yearbook.csv"]              # optional: reported quantities (statistics, published figures)
    price_index = "cpi"                   # optional: bring table prices to price_year with this index

    [inputs]
    precipitation = "1430 mm/yr"
    evapotranspiration = { unit = "mm/yr", values = { forest = 800, grassland = 600 } }
    hot_days = { raster = "hot_days.tif", unit = "d/yr" }

    [statistics]                          # statistics services' own tables (paths or lists of paths)
    recreation = "sites.csv"

    [tables]
    prices = "my_prices.csv"              # replaces the built-in table

    [overrides.prices.water_storage_cost]
    price = "7.06 CNY/m**3"               # a value with its unit, converted to the row's
    price_year = 2010                     # int and text columns take plain values

    [output]
    dir = "out"                           # writes account.csv and account.xlsx
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gepcalc.errors import ConfigError, RegionError
from gepcalc.io import read_toml
from gepcalc.regions import china
from gepcalc.schema import AccountFile, AccountSection, InputsFile, validate

#: keys of [account] and sections of the file (the schema: :class:`gepcalc.schema.AccountFile`)
ACCOUNT_KEYS = set(AccountSection.model_fields)
SECTIONS = set(AccountFile.model_fields)
_INPUT_META = {"source", "note", "name_zh", "name_en"}


def parse_inputs(raw: Mapping[str, Any], base: Path, *, where: str) -> dict[str, Any]:
    """Inputs from TOML into what :func:`gepcalc.account` takes (their shape checked by :mod:`gepcalc.schema`).

    ``{value, unit}`` → ``"value unit"`` (with ``region``: ``{region: "value unit"}``, an input
    given per region); ``{raster, unit}`` → raster (path made
    absolute); ``{unit, values = {forest = …}}`` → per-ecosystem values.
    """
    out: dict[str, Any] = {}
    for name, spec in raw.items():
        if isinstance(spec, str | int | float):
            out[name] = spec
            continue
        if not isinstance(spec, Mapping):
            raise ConfigError(f"{where}: input {name!r} must be a value or a table")
        spec = {k: v for k, v in spec.items() if k not in _INPUT_META}
        if "raster" in spec:
            out[name] = {"raster": str((base / spec["raster"]).resolve()), "unit": spec.get("unit")}
        elif "value" in spec:
            value = f"{spec['value']} {spec['unit']}"
            # a region input (reservoir capacity, emission load) of one region: region = "淳安县" (or "all")
            out[name] = {str(spec["region"]): value} if "region" in spec else value
        elif "values" in spec:
            out[name] = {"unit": spec.get("unit"), "values": dict(spec["values"])}
        else:
            raise ConfigError(f"{where}: input {name!r} needs `value`, `raster` or `values` (with `unit`)")
    return out


def parse_overrides(raw: Mapping[str, Any], *, where: str) -> dict[str, dict[Any, dict[str, Any]]]:
    """The ``[overrides]`` section: ``{table: {row: {column: value}}}`` (new dicts).

    Values are handed to :meth:`gepcalc.tables.CoefficientTable.override` as they are: a
    quantity string with its unit for a float column (``"7.06 CNY/m**3"``), a plain value for
    an int or text column (``price_year = 2010``). The shape is checked by the schema
    (:class:`gepcalc.schema.AccountFile`: ``[overrides.<table>.<row>]`` tables).
    """
    return {table: {row: dict(cols) for row, cols in rows.items()} for table, rows in raw.items()}


def _regions_by_adcode(spec: Mapping[str, Any], *, where: str):
    """``regions = { adcode = 33, level = "county" }``: the boundaries from :func:`gepcalc.regions.china`."""
    bad = set(spec) - {"adcode", "level"}
    if "adcode" not in spec or bad:
        raise ConfigError(
            f"{where}: [account] regions = {{...}} takes `adcode` (required) and `level` (optional), "
            f'e.g. {{ adcode = 33, level = "county" }}; got keys {sorted(spec)}'
        )
    try:
        return china(spec["adcode"], level=spec.get("level"))
    except RegionError as exc:
        raise ConfigError(f"{where}: [account] regions: {exc}") from None


def load_config(path: str | Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Read an account config; return (keyword arguments of :func:`gepcalc.account`, output options)."""
    path = Path(path).resolve()
    raw = read_toml(path, "account config", ConfigError)
    base = path.parent
    validate(AccountFile, raw, str(path))  # every unknown key, missing key and wrong kind at once
    acc = dict(raw.get("account", {}))

    def rel(p):
        return str((base / p).resolve())

    def rel_all(v):
        return [rel(x) for x in v] if isinstance(v, list) else rel(v)

    kwargs: dict[str, Any] = {k: v for k, v in acc.items() if k != "inputs"}
    if "landcover" in acc:
        kwargs["landcover"] = rel(acc["landcover"])
    if "lines" in acc:
        kwargs["lines"] = rel_all(acc["lines"])
    if "statistics" in raw:
        kwargs["statistics"] = {k: rel_all(v) for k, v in raw["statistics"].items()}
    if "regions" in acc:
        if isinstance(acc["regions"], Mapping):
            kwargs["regions"] = _regions_by_adcode(acc["regions"], where=str(path))
            kwargs.setdefault("region_field", "name")
        else:
            kwargs["regions"] = rel(acc["regions"])
    lcc = acc.get("landcover_classes")
    if lcc and (base / lcc).suffix in (".csv", ".toml"):
        kwargs["landcover_classes"] = rel(lcc)
    prof = acc.get("profile")
    if prof and (base / prof).suffix == ".toml":
        kwargs["profile"] = rel(prof)
    inputs: dict[str, Any] = {}
    if "inputs" in acc:
        ipath = base / acc["inputs"]
        iraw = read_toml(ipath, "inputs file", ConfigError)
        validate(InputsFile, iraw, str(ipath))
        inputs.update(parse_inputs(iraw.get("inputs", {}), ipath.parent, where=str(ipath)))
    inputs.update(parse_inputs(raw.get("inputs", {}), base, where=str(path)))
    kwargs["inputs"] = inputs
    tables = raw.get("tables", {})
    kwargs["tables"] = {k: (rel(v) if Path(v).suffix in (".csv", ".toml") else v) for k, v in tables.items()}
    kwargs["overrides"] = parse_overrides(raw.get("overrides", {}), where=str(path))
    output = dict(raw.get("output", {}))
    for k in ("dir", "csv", "xlsx"):
        if k in output:
            output[k] = rel(output[k])
    return kwargs, output
