"""The :class:`Series` of a multi-year GEP: tables by year and group, growth, GEP/GDP, Excel, plot.

A :class:`Series` holds the cells of several years at current and constant prices and lays them
out (:meth:`Series.table`, :meth:`Series.by`, :meth:`Series.decompose`, :meth:`Series.to_excel`).
It is built by :func:`gepcalc.series.series` (:mod:`gepcalc.series.build`); the
extent/condition/price arithmetic is :mod:`gepcalc.series.decomposition`.

The tables have machine column names (``gep_current``, ``real_growth``, ``value_constant`` …) with
the unit of each quantity column in ``df.attrs["units"]`` (e.g. ``{"gep_current": "亿元/yr",
"real_growth": "%"}``); the workbook's bilingual, unit-bearing headers (:data:`HEADERS`) are made in
:meth:`Series.to_excel` only, through :func:`gepcalc.export.labelled`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from gepcalc.errors import ConfigError
from gepcalc.export import labelled, write_sheets
from gepcalc.price_index import TableLike, level
from gepcalc.series.decomposition import cell_effects, effects_table
from gepcalc.units import VALUE_UNIT, factor

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
        """Factor from CNY/yr to ``unit``/yr."""
        return factor(VALUE_UNIT, f"{unit} / yr")

    def _check_scenarios(self, by: Sequence[str]) -> None:
        """Refuse to add scenarios up: ``by`` must hold ``scenario`` when the series has several."""
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

        Columns: ``year``, the ``by`` columns (``region``, ``scenario``), ``gep_current`` [unit/yr],
        ``gep_constant`` [unit/yr] (at ``base_year`` prices), ``growth_from`` (previous year of the
        series), ``nominal_growth`` [%] and ``real_growth`` [%]

        .. math::  g^{\mathrm{real}}_t = \left(V^{\mathrm{const}}_t / V^{\mathrm{const}}_{t'} - 1\right) \cdot 100\,\%

        (:math:`t'` the previous year of the series; the nominal growth uses current prices), and, when GDP
        was given, ``gdp`` [unit] and ``gep_gdp_ratio`` = GEP at current prices × 1 yr / GDP.  The
        units are in ``df.attrs["units"]``.

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
        c_cur, c_const = "gep_current", "gep_constant"
        df = xr.Dataset({c_cur: cur, c_const: const}).to_dataframe().reset_index()
        df = df[["year", *by, c_cur, c_const]].sort_values([*by, "year"]).reset_index(drop=True)
        df = _with_growth(df, by, {"nominal_growth": c_cur, "real_growth": c_const})
        if not self.gdp.empty:
            df = self._with_gdp(df, by, unit, c_cur)
        return _with_units(df, {c_cur: f"{unit}/yr", c_const: f"{unit}/yr", "gdp": unit})

    def _with_gdp(self, df: pd.DataFrame, by: Sequence[str], unit: str, c_cur: str) -> pd.DataFrame:
        """``df`` with ``gdp`` [unit] and ``gep_gdp_ratio`` (GDP of the whole area summed from regions if needed)."""
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
        col = "gdp"
        g = g.assign(**{col: g["gdp"] * factor("CNY", unit)})[[*key, col]]
        out = df.merge(g, on=key, how="left")
        # GEP [unit/yr] × 1 yr / GDP [unit]
        out["gep_gdp_ratio"] = out[c_cur] * factor(f"{unit}/yr * yr", unit) / out[col]
        return out

    def by(self, dim: str = "category", unit: str = "亿元", *, extra: Sequence[str] = ()) -> pd.DataFrame:
        """Value per ``dim`` (``category``, ``service``, ``item``, ``region``, ``ecosystem``) and year.

        Columns: ``dim`` (and ``extra`` dims), names for services, ``year``, ``value_current`` [unit/yr],
        ``value_constant`` [unit/yr], ``growth_from``, ``nominal_growth`` [%], ``real_growth`` [%]; the
        units in ``df.attrs["units"]``.
        """
        groups = [dim, *extra]
        bad = [d for d in groups if d not in GROUPS]
        if bad:
            raise ConfigError(f"Series.by() groups by {GROUPS}, not {bad}")
        self._check_scenarios(groups)
        f = self._f(unit)
        c_cur, c_const = "value_current", "value_constant"
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
        df = _with_growth(df, groups, {"nominal_growth": c_cur, "real_growth": c_const})
        return _with_units(df, {c_cur: f"{unit}/yr", c_const: f"{unit}/yr"})

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
            ``condition``, ``price`` [unit/yr] (units in ``df.attrs["units"]``).
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
        f = self._f(unit)
        grouped = {k: self._grouped(da, by) * f for k, da in cell_effects(self.data, y0, y1).items()}
        return effects_table(grouped, by, unit, f"{y0}-{y1}", self.names_zh, self.names_en)

    # -- exports ------------------------------------------------------------------------------
    def deflator_table(self) -> pd.DataFrame:
        """Price level of each year of the series relative to the base year (base = 1)."""
        years = sorted({*self.years, self.base_year})
        lv = level(self.index, self.region, years, base=self.base_year, table=self.table_)
        return pd.DataFrame({"year": lv.index, "level": lv.to_numpy(), "series": f"{self.index}/{self.region}"})

    def to_excel(self, path: str | Path, unit: str = "亿元") -> Path:
        """Write a workbook: by year, by category, by service, decomposition (first→last year), deflator, sources.

        Headers are in Chinese and English (``HEADERS``) with the units of ``df.attrs["units"]``
        (:func:`gepcalc.export.labelled`); UTF-8 text throughout.
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
        return write_sheets(Path(path), {name: labelled(df).rename(columns=_bilingual) for name, df in sheets.items()})

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
        c_cur, c_const = "gep_current", "gep_constant"
        ax2 = ax.twinx()
        ax2.bar(df["year"], df["real_growth"].fillna(0), color="0.85", label="real growth [%]", zorder=0)
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
    """A column ``stem [unit]`` with its stem in Chinese and English (:data:`HEADERS`)."""
    stem, _, rest = col.partition(" [")
    head = HEADERS.get(stem, stem)
    return f"{head} [{rest}" if rest else head


def _with_units(df: pd.DataFrame, money: Mapping[str, str]) -> pd.DataFrame:
    """``df`` with ``attrs["units"]``: ``money`` (column → unit) for its columns, ``%`` for the growth columns."""
    units = {c: u for c, u in money.items() if c in df.columns}
    units |= {c: "%" for c in ("nominal_growth", "real_growth") if c in df.columns}
    df.attrs["units"] = units
    return df


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
