r"""Multi-year GEP: current and constant prices, growth, GEP/GDP and a change decomposition.

:func:`series` takes accounts of different years (each valued at the prices of its
``price_year``, normally its own year) and a price base year :math:`b`, and keeps for every
cell (service × item × region × ecosystem type × scenario × year) the quantity, the area and
the value at current and at constant prices:

.. math::

    V^{\mathrm{cur}}_t = V_t \, L_t / L_{p(t)}, \qquad V^{\mathrm{const}}_t = V_t \, L_b / L_{p(t)}

with :math:`L` the chain-linked price level (:mod:`gepcalc.deflators`) and :math:`p(t)` the
price year of the account of year :math:`t`.  :class:`Series` gives

* :meth:`Series.table`: GEP per year at current and constant prices, nominal and real growth
  against the previous year of the series, and GEP/GDP when GDP is given;
* :meth:`Series.by`: the same per category or service;
* :meth:`Series.decompose`: the change of constant-price value between two years split
  exactly into extent, condition and price effects (Shapley / Sun three-factor formula);
* :meth:`Series.to_excel` and :meth:`Series.plot`.

The formulas and gepcalc's choices are in ``docs/prices_and_years.md``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pint
import xarray as xr

from gepcalc.account import Account
from gepcalc.deflators import TableLike, level, price_factor, price_years, used_levels
from gepcalc.errors import ConfigError, UnitError
from gepcalc.export import write_sheets
from gepcalc.units import VALUE_UNIT, factor, to_quantity

#: cell dimensions of an account's quantity and value
CELL_DIMS = ("service", "item", "region", "ecosystem", "scenario", "year")
#: groupings allowed in :meth:`Series.decompose` and :meth:`Series.by`
GROUPS = ("category", "service", "item", "region", "ecosystem", "scenario")

#: Excel headers (中文 / English) of the column stems used by the tables of this module
HEADERS = {
    "year": "年份 / year",
    "region": "区域 / region",
    "scenario": "情景 / scenario",
    "category": "类别 / category",
    "service": "指标 / indicator",
    "item": "分项 / item",
    "ecosystem": "生态系统类型 / ecosystem type",
    "name_zh": "指标名称 / name (中文)",
    "name_en": "指标名称 / name (English)",
    "gep_current": "现价GEP / GEP at current prices",
    "gep_constant": "不变价GEP / GEP at constant prices",
    "value_current": "现价价值量 / value at current prices",
    "value_constant": "不变价价值量 / value at constant prices",
    "growth_from": "比较年份 / compared with year",
    "nominal_growth": "名义增长率 / nominal growth",
    "real_growth": "实际增长率(不变价) / real growth (constant prices)",
    "gdp": "地区生产总值 / GDP",
    "gep_gdp_ratio": "GEP/GDP",
    "value_y0": "基期价值量 / value in first year",
    "value_y1": "报告期价值量 / value in second year",
    "change": "变化量 / change",
    "extent": "面积(范围)效应 / extent effect",
    "condition": "单位面积物质量(状况)效应 / condition effect",
    "price": "相对价格效应 / price effect",
    "level": "价格水平 / price level",
    "index": "价格指数(上年=100) / index (previous year = 100)",
}


@dataclass
class Series:
    """GEP of several years at current and constant prices (built by :func:`series`).

    Attributes
    ----------
    data : xarray.Dataset
        ``quantity`` [each service's unit], ``area`` [m²], ``value_current`` and
        ``value_constant`` [CNY/yr]; dims service, item, region, ecosystem, scenario, year.
    base_year : int
        Price base year of ``value_constant``.
    index, region : str
        Deflator series and its region (``cpi``/``national``).
    categories, names_zh, names_en : dict
        Category and names of each service.
    gdp : pandas.DataFrame
        Columns region (``""`` for the whole area), year, gdp [CNY]; empty when not given.
    sources : pandas.DataFrame
        Sources of the accounts and of the index values used.
    notes : list of str
    """

    data: xr.Dataset
    base_year: int
    index: str = "cpi"
    region: str = "national"
    categories: dict[str, str] = field(default_factory=dict)
    names_zh: dict[str, str] = field(default_factory=dict)
    names_en: dict[str, str] = field(default_factory=dict)
    gdp: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["region", "year", "gdp"]))
    sources: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: list[str] = field(default_factory=list)
    table_: TableLike = None

    def __repr__(self) -> str:
        years = self.years
        return (
            f"<gepcalc.Series {years[0]}-{years[-1]} ({len(years)} years), constant {self.base_year} prices "
            f"({self.index}/{self.region}), {self.data.sizes['service']} services, {self.data.sizes['region']} regions>"
        )

    @property
    def years(self) -> list[int]:
        """Years of the series, ascending."""
        return [int(y) for y in self.data["year"].values]

    # -- helpers ------------------------------------------------------------------------------
    def _f(self, unit: str) -> float:
        return factor(VALUE_UNIT, f"{unit} / yr")

    def _check_scenarios(self, by: Sequence[str]) -> None:
        if "scenario" not in by and self.data.sizes["scenario"] > 1:
            raise ConfigError(
                f"the series has scenarios {self.data['scenario'].values.tolist()}; adding them up makes no sense: "
                "add 'scenario' to by=..., or select one first (series.sel(scenario=...))"
            )

    def _grouped(self, da: xr.DataArray, by: Sequence[str]) -> xr.DataArray:
        """Sum ``da`` over every cell dim not in ``by`` (``category`` groups services)."""
        by = list(by)
        if "category" in by:
            cat = xr.DataArray([self.categories.get(s, "") for s in da["service"].values], dims="service")
            da = da.assign_coords(category=("service", cat.values)).groupby("category").sum()
        keep = [d for d in by if d in da.dims]
        return da.sum([d for d in da.dims if d not in keep], skipna=True)

    def sel(self, **indexers) -> Series:
        """A sub-series, e.g. ``s.sel(region=["A"])`` or ``s.sel(scenario="baseline")``."""
        data = self.data.sel(**{k: [v] if isinstance(v, str | int) else v for k, v in indexers.items()})
        out = Series(**{**self.__dict__, "data": data})
        if "region" in indexers and not self.gdp.empty:
            keep = data["region"].values.tolist()
            out.gdp = self.gdp[self.gdp["region"].isin(keep)].reset_index(drop=True)
        return out

    # -- views --------------------------------------------------------------------------------
    def table(self, unit: str = "亿元", by: Sequence[str] = ()) -> pd.DataFrame:
        r"""GEP per year at current and constant prices, growth and GEP/GDP.

        Columns: ``year``, the ``by`` columns (``region``, ``scenario``), ``gep_current [unit/yr]``,
        ``gep_constant [unit/yr]`` (at ``base_year`` prices), ``growth_from`` (previous year of the
        series), ``nominal_growth [%]`` and ``real_growth [%]``

        .. math::  g^{\mathrm{real}}_t = \left(V^{\mathrm{const}}_t / V^{\mathrm{const}}_{t'} - 1\right) \cdot 100\,\%

        (:math:`t'` the previous year of the series; the nominal growth uses current prices), and, when GDP
        was given, ``gdp [unit]`` and ``gep_gdp_ratio`` = GEP at current prices × 1 yr / GDP.

        Parameters
        ----------
        unit
            Money unit: ``CNY``, ``万元`` or ``亿元``.
        by
            ``()`` for the whole area, or any of ``"region"``, ``"scenario"``.
        """
        by = [d for d in by]
        bad = [d for d in by if d not in ("region", "scenario")]
        if bad:
            raise ConfigError(f"Series.table(by=...) takes region and/or scenario, not {bad}; see Series.by()")
        self._check_scenarios(by)
        f = self._f(unit)
        cur = self._grouped(self.data["value_current"], [*by, "year"]) * f
        const = self._grouped(self.data["value_constant"], [*by, "year"]) * f
        c_cur, c_const = f"gep_current [{unit}/yr]", f"gep_constant [{unit}/yr]"
        df = xr.Dataset({c_cur: cur, c_const: const}).to_dataframe().reset_index()
        df = df[["year", *by, c_cur, c_const]].sort_values([*by, "year"]).reset_index(drop=True)
        df = _with_growth(df, by, {"nominal_growth [%]": c_cur, "real_growth [%]": c_const})
        if not self.gdp.empty:
            df = self._with_gdp(df, by, unit, c_cur)
        return df

    def _with_gdp(self, df: pd.DataFrame, by: Sequence[str], unit: str, c_cur: str) -> pd.DataFrame:
        g = self.gdp
        if "region" in by:
            g = g[g["region"] != ""]
            key = ["region", "year"]
        else:
            total = g[g["region"] == ""]
            if total.empty:  # per-region GDP only: add up the regions of the series where every region has a value
                regions = set(self.data["region"].values.tolist())
                per = g[g["region"].isin(regions)].groupby("year")
                total = per["gdp"].sum().where(per["region"].nunique() == len(regions)).dropna().reset_index()
            g = total
            key = ["year"]
        col = f"gdp [{unit}]"
        g = g.assign(**{col: g["gdp"] * factor("CNY", unit)})[[*key, col]]
        out = df.merge(g, on=key, how="left")
        # GEP [unit/yr] × 1 yr / GDP [unit]
        out["gep_gdp_ratio"] = out[c_cur] * factor(f"{unit}/yr * yr", unit) / out[col]
        return out

    def by(self, dim: str = "category", unit: str = "亿元", *, extra: Sequence[str] = ()) -> pd.DataFrame:
        """Value per ``dim`` (``category``, ``service``, ``item``, ``region``, ``ecosystem``) and year.

        Columns: ``dim`` (and ``extra`` dims), names for services, ``year``, ``value_current [unit/yr]``,
        ``value_constant [unit/yr]``, ``growth_from``, ``nominal_growth [%]``, ``real_growth [%]``.
        """
        groups = [dim, *extra]
        bad = [d for d in groups if d not in GROUPS]
        if bad:
            raise ConfigError(f"Series.by() groups by {GROUPS}, not {bad}")
        self._check_scenarios(groups)
        f = self._f(unit)
        c_cur, c_const = f"value_current [{unit}/yr]", f"value_constant [{unit}/yr]"
        cur = self._grouped(self.data["value_current"], [*groups, "year"]) * f
        const = self._grouped(self.data["value_constant"], [*groups, "year"]) * f
        df = xr.Dataset({c_cur: cur, c_const: const}).to_dataframe().reset_index()
        df = df[[*groups, "year", c_cur, c_const]]
        if "service" in groups:
            exists = self.data["value_current"].notnull().any([d for d in CELL_DIMS if d not in ("service", "year")])
            ok = exists.to_dataframe(name="ok").reset_index()
            df = df.merge(ok, on=["service", "year"])
            df = df[df.pop("ok")]
            df.insert(groups.index("service") + 1, "name_zh", df["service"].map(self.names_zh))
            df.insert(groups.index("service") + 2, "name_en", df["service"].map(self.names_en))
        df = df.sort_values([*groups, "year"]).reset_index(drop=True)
        return _with_growth(df, groups, {"nominal_growth [%]": c_cur, "real_growth [%]": c_const})

    def decompose(self, y0: int, y1: int, by: Sequence[str] = ("service",), unit: str = "亿元") -> pd.DataFrame:
        r"""Split the change of constant-price value between ``y0`` and ``y1`` into three effects.

        Each cell (service × item × region × ecosystem type × scenario) has value
        :math:`V = a\,b\,c` with extent :math:`a = A` [m²], condition :math:`b = Q/A`
        [quantity per m²] and price :math:`c = V/Q` [CNY per quantity, at constant base-year
        prices, so a pure relative-price change].  The change :math:`\Delta V = V_1 - V_0` is split
        exactly (Shapley value of the three factors; Sun 1998):

        .. math::

            E_a &= \Delta a \left[\tfrac{b_0 c_0 + b_1 c_1}{3} + \tfrac{b_0 c_1 + b_1 c_0}{6}\right] \\
            E_b &= \Delta b \left[\tfrac{a_0 c_0 + a_1 c_1}{3} + \tfrac{a_0 c_1 + a_1 c_0}{6}\right] \\
            E_c &= \Delta c \left[\tfrac{a_0 b_0 + a_1 b_1}{3} + \tfrac{a_0 b_1 + a_1 b_0}{6}\right]

        and :math:`E_a + E_b + E_c = \Delta V`.  Degenerate cells (gepcalc's rules):

        * no area in either year (statistics lines): :math:`a \equiv 1`, so the extent effect is 0;
        * area appearing (disappearing): the cell's change is all extent effect (:math:`b, c` of the
          other year are carried over);
        * quantity appearing or vanishing on an area present in both years: the price of the other
          year is carried over, so the change is extent + condition;
        * a value without a quantity in a year (or a quantity without area next to a year with area):
          :math:`a \equiv b \equiv 1`, :math:`c = V`, the change is all price effect;
        * missing items (NaN) count as 0.

        Effects are summed over the cells of each group of ``by``.

        Parameters
        ----------
        y0, y1
            The two years (in the series).
        by
            Any of ``category, service, item, region, ecosystem, scenario``; ``()`` for the total.
        unit
            Money unit of the result (``CNY``, ``万元``, ``亿元``).

        Returns
        -------
        pandas.DataFrame
            One row per group plus a ``total`` row: ``value_y0``, ``value_y1``, ``change``, ``extent``,
            ``condition``, ``price`` [unit/yr].
        """
        y0, y1 = int(y0), int(y1)
        missing = [y for y in (y0, y1) if y not in self.years]
        if missing:
            raise ConfigError(f"year(s) {missing} are not in the series ({self.years})")
        by = list(by)
        bad = [d for d in by if d not in GROUPS]
        if bad:
            raise ConfigError(f"Series.decompose(by=...) groups by {GROUPS}, not {bad}")
        self._check_scenarios(by)
        ds = self.data
        cells = {}
        for name, var in (("A", "area"), ("Q", "quantity"), ("V", "value_constant")):
            for tag, y in (("0", y0), ("1", y1)):
                cells[name + tag] = ds[var].sel(year=y, drop=True)
        template = ds["value_constant"].sel(year=y0, drop=True)
        arrays = xr.broadcast(*cells.values(), template)
        np_cells = {
            k: np.asarray(a.transpose(*template.dims).values, dtype="float64")
            for k, a in zip(cells, arrays[:-1], strict=True)
        }
        effects = decompose_cells(**np_cells)
        f = self._f(unit)
        out = {}
        for name, arr in effects.items():
            da = xr.DataArray(arr, dims=template.dims, coords={d: template[d] for d in template.dims})
            out[name] = self._grouped(da, by) * f
        cols = {k: f"{k} [{unit}/yr]" for k in ("value_y0", "value_y1", "change", "extent", "condition", "price")}
        if by:
            df = xr.Dataset({cols[k]: v for k, v in out.items()}).to_dataframe().reset_index()
            df = df[[*by, *cols.values()]]
            if "service" in by:
                df.insert(by.index("service") + 1, "name_zh", df["service"].map(self.names_zh))
                df.insert(by.index("service") + 2, "name_en", df["service"].map(self.names_en))
            total = {c: df[c].sum() for c in cols.values()}
            total[by[0]] = "total"
            df = pd.concat([df, pd.DataFrame([total])], ignore_index=True)
        else:
            df = pd.DataFrame([{cols[k]: float(v) for k, v in out.items()}])
        df.insert(0, "years", f"{y0}-{y1}")
        return df

    # -- exports ------------------------------------------------------------------------------
    def deflator_table(self) -> pd.DataFrame:
        """Price level of each year of the series relative to the base year (base = 1)."""
        years = sorted({*self.years, self.base_year})
        lv = level(self.index, self.region, years, base=self.base_year, table=self.table_)
        return pd.DataFrame({"year": lv.index, "level": lv.to_numpy(), "series": f"{self.index}/{self.region}"})

    def to_excel(self, path: str | Path, unit: str = "亿元") -> Path:
        """Write a workbook: by year, by category, by service, decomposition (first→last year), deflator, sources.

        Headers are in Chinese and English (``HEADERS``); UTF-8 text throughout.
        """
        sheets: dict[str, pd.DataFrame] = {}
        by = ["scenario"] if self.data.sizes["scenario"] > 1 else []
        sheets["年度GEP by year"] = self.table(unit, by=by)
        if self.data.sizes["region"] > 1:
            sheets["分区域 by region"] = self.table(unit, by=["region", *by])
        sheets["分类别 by category"] = self.by("category", unit, extra=by)
        sheets["分指标 by service"] = self.by("service", unit, extra=by)
        if len(self.years) > 1:
            sheets["变化分解 decomposition"] = self.decompose(self.years[0], self.years[-1], ["service", *by], unit)
        sheets["平减指数 deflator"] = self.deflator_table()
        if not self.sources.empty:
            sheets["来源 sources"] = self.sources
        sheets["说明 notes"] = pd.DataFrame(
            {"说明 / note": [f"constant prices: {self.base_year} ({self.index}/{self.region})", *self.notes]}
        )
        return write_sheets(Path(path), {name: df.rename(columns=_bilingual) for name, df in sheets.items()})

    def plot(self, unit: str = "亿元", ax: Any = None):
        """Line chart of GEP at current and constant prices per year, bars of real growth.

        Needs matplotlib (optional dependency).  Returns the matplotlib Figure.
        """
        try:
            import matplotlib.pyplot as plt
        except ImportError:  # pragma: no cover - depends on the environment
            raise ImportError("Series.plot() needs matplotlib: pip install matplotlib") from None
        self._check_scenarios([])
        df = self.table(unit)
        if ax is None:
            fig, ax = plt.subplots(figsize=(8, 4.5))
        else:
            fig = ax.figure
        c_cur, c_const = f"gep_current [{unit}/yr]", f"gep_constant [{unit}/yr]"
        ax2 = ax.twinx()
        ax2.bar(df["year"], df["real_growth [%]"].fillna(0), color="0.85", label="real growth [%]", zorder=0)
        ax2.set_ylabel("real growth [%]")
        ax.set_zorder(ax2.get_zorder() + 1)
        ax.patch.set_visible(False)
        ax.plot(df["year"], df[c_cur], marker="o", label="GEP, current prices")
        ax.plot(df["year"], df[c_const], marker="s", label=f"GEP, constant {self.base_year} prices ({self.index})")
        ax.set_xlabel("year")
        ax.set_ylabel(f"GEP [{unit}/yr]")
        ax.set_xticks(df["year"])
        ax.legend(loc="upper left")
        return fig


def _bilingual(col: str) -> str:
    stem, _, rest = col.partition(" [")
    head = HEADERS.get(stem, stem)
    return f"{head} [{rest}" if rest else head


def _with_growth(df: pd.DataFrame, by: Sequence[str], cols: Mapping[str, str]) -> pd.DataFrame:
    """Add ``growth_from`` and growth [%] columns against the previous year of each group."""
    pct = factor("dimensionless", "percent")
    keys = [b for b in by]
    groups = df.groupby(keys, sort=False) if keys else [((), df)]
    parts = []
    for _, g in groups:
        g = g.sort_values("year").copy()
        g["growth_from"] = g["year"].shift(1).astype("Int64")
        for out, col in cols.items():
            prev = g[col].shift(1)
            with np.errstate(divide="ignore", invalid="ignore"):
                g[out] = (g[col] / prev.where(prev != 0) - 1) * pct
        parts.append(g)
    return pd.concat(parts).sort_values([*keys, "year"]).reset_index(drop=True)


def decompose_cells(
    A0: np.ndarray, A1: np.ndarray, Q0: np.ndarray, Q1: np.ndarray, V0: np.ndarray, V1: np.ndarray
) -> dict[str, np.ndarray]:
    r"""Cell-wise three-factor decomposition of :math:`V = A \cdot (Q/A) \cdot (V/Q)`.

    Parameters
    ----------
    A0, A1
        Area [m²] in the two years.
    Q0, Q1
        Quantity [service unit] in the two years.
    V0, V1
        Value [CNY/yr] at constant prices in the two years.

    Returns
    -------
    dict
        ``value_y0``, ``value_y1``, ``change``, ``extent``, ``condition``, ``price`` (same shape);
        ``extent + condition + price == change`` to rounding.  Degenerate cells follow the rules
        in :meth:`Series.decompose`.
    """
    A0, A1, Q0, Q1, V0, V1 = (np.nan_to_num(np.asarray(x, dtype="float64")) for x in (A0, A1, Q0, Q1, V0, V1))
    no_area = (A0 <= 0) & (A1 <= 0)
    a0 = np.where(no_area, 1.0, A0)
    a1 = np.where(no_area, 1.0, A1)
    # a value without quantity, or a quantity without area next to a year with area: pure price change
    pure = ((Q0 <= 0) & (V0 != 0)) | ((Q1 <= 0) & (V1 != 0)) | ((a0 <= 0) & (Q0 > 0)) | ((a1 <= 0) & (Q1 > 0))
    pure |= (Q0 <= 0) & (Q1 <= 0)
    a0 = np.where(pure, 1.0, a0)
    a1 = np.where(pure, 1.0, a1)
    with np.errstate(divide="ignore", invalid="ignore"):
        b0 = np.where(pure, 1.0, np.where(a0 > 0, Q0 / a0, 0.0))
        b1 = np.where(pure, 1.0, np.where(a1 > 0, Q1 / a1, 0.0))
        c0 = np.where(pure, V0, np.where(Q0 > 0, V0 / Q0, np.nan))
        c1 = np.where(pure, V1, np.where(Q1 > 0, V1 / Q1, np.nan))
    # an area appearing / disappearing: carry the other year's condition and price over (all extent)
    enter = (a0 <= 0) & (a1 > 0)
    leave = (a1 <= 0) & (a0 > 0)
    b0 = np.where(enter, b1, b0)
    c0 = np.where(enter, c1, c0)
    b1 = np.where(leave, b0, b1)
    c1 = np.where(leave, c0, c1)
    # a quantity appearing / vanishing on an area present in both years: carry the price over
    c0 = np.where(np.isnan(c0), c1, c0)
    c1 = np.where(np.isnan(c1), c0, c1)
    c0 = np.nan_to_num(c0)
    c1 = np.nan_to_num(c1)
    da, db, dc = a1 - a0, b1 - b0, c1 - c0
    extent = da * ((b0 * c0 + b1 * c1) / 3 + (b0 * c1 + b1 * c0) / 6)
    condition = db * ((a0 * c0 + a1 * c1) / 3 + (a0 * c1 + a1 * c0) / 6)
    price = dc * ((a0 * b0 + a1 * b1) / 3 + (a0 * b1 + a1 * b0) / 6)
    return {
        "value_y0": V0,
        "value_y1": V1,
        "change": V1 - V0,
        "extent": extent,
        "condition": condition,
        "price": price,
    }


def _gdp_frame(gdp: Any) -> pd.DataFrame:
    """GDP given as ``{year: "470.2 亿元"}`` or ``{region: {year: ...}}`` → columns region, year, gdp [CNY]."""
    cols = ["region", "year", "gdp"]
    if gdp is None:
        return pd.DataFrame(columns=cols)
    if not isinstance(gdp, Mapping):
        raise ConfigError("gdp must be a mapping {year: '470.2 亿元'} or {region: {year: '…'}}")
    rows = []
    for k, v in gdp.items():
        if isinstance(v, Mapping):
            rows += [(str(k), int(y), _cny(q, f"GDP of {k} in {y}")) for y, q in v.items()]
        else:
            rows.append(("", int(k), _cny(v, f"GDP in {k}")))
    return pd.DataFrame(rows, columns=cols)


def _cny(value: Any, where: str) -> float:
    """An annual GDP amount in CNY (a money amount, or a money flow per year)."""
    q = to_quantity(value, where=where)
    for unit, scale in (("CNY", "CNY"), ("CNY / yr", "CNY / yr * yr")):
        try:
            return float(q.to(unit).magnitude) * factor(scale, "CNY")
        except pint.DimensionalityError:
            continue
    raise UnitError(f"{where}: {q:~P} is not a money amount (CNY, 万元, 亿元) or an annual one (… / yr)")


def series(
    accounts: Iterable[Account] | Account,
    base_year: int,
    index: str = "cpi",
    region: str = "national",
    gdp: Mapping | None = None,
    *,
    table: TableLike = None,
) -> Series:
    r"""A multi-year GEP series at current and constant ``base_year`` prices.

    Parameters
    ----------
    accounts
        Accounts of different years (or one multi-year account).  An account's values
        [CNY/yr] are at the prices of its ``attrs["price_year"]``; when that is unset (-1) they are
        taken as current prices of its year, as they are when ``attrs["price_basis"] == "current"``.
        Its ``year`` coordinate must hold real years.
    base_year
        Price base year :math:`b` of the constant-price values.
    index, region, table
        Deflator series (see :func:`gepcalc.deflators.level`).
    gdp
        Optional GDP at current prices: ``{year: "470.2 亿元"}`` for the whole area, or
        ``{region: {year: …}}`` per region.  Amounts need units (CNY, 万元, 亿元; ``/yr`` allowed).

    Returns
    -------
    Series

    Raises
    ------
    ConfigError
        A year given twice, or an account without real years.
    MissingInputError
        A year the deflator series does not cover.
    """
    accounts = [accounts] if isinstance(accounts, Account) else list(accounts)
    if not accounts:
        raise ConfigError("series() needs at least one account")
    base_year = int(base_year)
    parts, notes, srcs, seen = [], [], [], {}
    categories, names_zh, names_en = {}, {}, {}
    for i, acct in enumerate(accounts):
        ds = acct.data
        years = [int(y) for y in ds["year"].values]
        if any(y < 0 for y in years):
            raise ConfigError(
                f"account #{i} ({ds.attrs.get('title', '')!r}) has no year (year coordinate -1); "
                "compute it with year=... or set its year coordinate"
            )
        for y in years:
            if y in seen:
                raise ConfigError(f"year {y} is in account #{seen[y]} and account #{i}; give each year once")
            seen[y] = i
        try:
            pyears = price_years(acct)
        except ConfigError:
            pyears = {y: y for y in years}
            notes.append(f"account #{i} has no price year; its values are taken as current prices of {years}")
        cur = [price_factor(pyears[y], y, index, region, table) for y in years]
        const = [price_factor(pyears[y], base_year, index, region, table) for y in years]
        fy = {"dims": "year", "coords": {"year": ds["year"].values}}
        part = xr.Dataset(
            {
                "quantity": ds["quantity"],
                "area": ds["area"],
                "value_current": ds["value"] * xr.DataArray(cur, **fy),
                "value_constant": ds["value"] * xr.DataArray(const, **fy),
            }
        )
        parts.append(part.reset_coords(drop=True))
        for coord, store in (("category", categories), ("name_zh", names_zh), ("name_en", names_en)):
            if coord in ds.coords:
                store.update(zip(ds["service"].values.tolist(), ds[coord].values.tolist(), strict=True))
        srcs.append(acct.sources)
        srcs.append(used_levels(index, region, [*pyears.values(), *years, base_year], table))
        notes += acct.notes
    data = xr.concat(parts, dim="year", join="outer", combine_attrs="drop")
    data = data.sortby("year")
    for v in ("quantity", "value_current", "value_constant"):
        data[v] = data[v].transpose(*CELL_DIMS)
    data["area"] = data["area"].fillna(0.0)
    data["value_current"].attrs["units"] = VALUE_UNIT
    data["value_constant"].attrs["units"] = VALUE_UNIT
    data["area"].attrs["units"] = "m**2"
    data.attrs.update(base_year=base_year, deflator=f"{index}/{region}", price_basis=f"constant {base_year} prices")
    sources = pd.concat([s for s in srcs if not s.empty], ignore_index=True) if any(not s.empty for s in srcs) else None
    if sources is not None:
        sources = sources.astype(str).drop_duplicates().reset_index(drop=True)
    return Series(
        data=data,
        base_year=base_year,
        index=index,
        region=region,
        categories=categories,
        names_zh=names_zh,
        names_en=names_en,
        gdp=_gdp_frame(gdp),
        sources=sources if sources is not None else pd.DataFrame(),
        notes=list(dict.fromkeys(notes)),
        table_=table,
    )


__all__ = ["HEADERS", "Series", "decompose_cells", "series"]
