"""Cultural services (文化服务) valued from visitor and property statistics.

* ``recreation`` (休闲旅游): the travel-cost method (``travel_cost``, default) or the
  tourism revenue attributable to natural landscapes (``tourism_revenue``), from a
  table of sites with their visitors and spending.
* ``landscape_value`` (景观价值): the property-price premium of floor area near
  natural landscapes (``property_premium``), one of the optional indicators of
  Zhejiang's DB33/T 2274.

Each service turns its table into lines (:mod:`gepcalc.lines`): one line per
site (or property group) with the quantity (visits, floor area) and a price per
unit computed from the table's columns, with the formula and the table as its
source.  Sources: the formulas are those of the MEE 2020 guide's cultural-service
chapter as summarised in the method reference; no clause of the standards was read
for them (docs/sources.md), so the time-value share and the premium rule are
labelled unconfirmed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gepcalc.errors import LineError
from gepcalc.lines import column_values
from gepcalc.services._refs import MEE_2020, OUYANG_2013
from gepcalc.services.base import Reference, ServiceSpec
from gepcalc.services.statistics import StatisticsService

DB33_2020 = Reference(
    "浙江省市场监督管理局. DB33/T 2274-2020 生态系统生产总值(GEP)核算技术规范 陆域生态系统 "
    "(Zhejiang GEP accounting specification; negative oxygen ions and landscape value optional)",
    year=2020,
)


def _site_lines(table: pd.DataFrame, price: np.ndarray, visits: np.ndarray, how: str, where: str) -> pd.DataFrame:
    """One line per site: visits [visit/yr] at ``price`` [CNY/visit], the formula as price source."""
    site = table["item"] if "item" in table else table.get("site", pd.Series([""] * len(table)))
    return pd.DataFrame(
        {
            "region": table["region"],
            "item": site.astype(str),
            "ecosystem": table.get("ecosystem", ""),
            "quantity": visits,
            "unit": "visit / yr",
            "source": table.get("source", ""),
            "price": price,
            "price_unit": "CNY / visit",
            "price_source": [f"{how} ({where}, row {r})" for r in table["row"]],
            "origin": table.get("origin", ""),
            "note": table.get("note", ""),
        }
    )


def _sites(table: pd.DataFrame, where: str) -> pd.DataFrame:
    table = table.rename(columns={"site": "item", "景点": "item"})
    if "region" not in table:
        raise_missing(where, "region")
    if "item" not in table:
        raise_missing(where, "site")
    return table


def _visits_and_spending(table: pd.DataFrame, where: str) -> tuple[np.ndarray, np.ndarray]:
    """Visits [visit/yr] and spending per visit [CNY/visit] of each site."""
    visits = column_values(table, "visitors", "visit", where, aliases=("visits", "游客人次", "游客量"))
    spend = column_values(table, "spending", "CNY / visit", where, aliases=("人均花费", "人均旅游花费"))
    return visits, spend


def raise_missing(where: str, column: str):

    raise LineError(f"{where}: the sites table needs a {column!r} column (one row per site)")


def _recreation_spec(method: str, *references: Reference) -> ServiceSpec:
    """The recreation indicator's spec; its methods differ only in how a visit is priced."""
    return ServiceSpec(
        id="recreation",
        name_zh="休闲旅游",
        name_en="Recreation and tourism",
        category="cultural",
        quantity_unit="visit / yr",
        quantity_name="visits",
        method=method,
        params=(),
        value_params=(),
        references=references,
        tables=("allocation", "constants"),
        statistical=True,
    )


class Recreation(StatisticsService):
    """Recreation and tourism by the travel-cost method.

    Per site (MEE 2020 guide, cultural services; Ouyang et al. 2013):

    .. math:: V = N \\, (C_s + s \\, w \\, t)

    with N the visits [visit/yr], C_s the travel spending per visit [CNY/visit]
    (transport, lodging, food, tickets), t the travel time per visit [h], w the wage
    rate [CNY/h] and s the share of the wage that values travel time (default 0.3,
    table ``constants`` row ``travel_time_value_share`` [unconfirmed]).

    Table columns: ``region, site, visitors [visit], spending [CNY/visit],
    travel_time [h], wage [CNY/h]``, optional ``time_share``, ``ecosystem``, ``source``.
    """

    spec = _recreation_spec(
        "travel_cost",
        Reference(MEE_2020.document, "文化服务: 旅行费用法 (travel cost: expenditure + time cost)", 2020),
        OUYANG_2013,
    )
    inputs_hint = "statistics table: region, site, visitors, spending, travel_time, wage [, time_share]"

    @classmethod
    def to_lines(cls, table: pd.DataFrame, *, where: str, tables) -> pd.DataFrame:
        table = _sites(table, where)
        share_default = tables["constants"].quantity("travel_time_value_share", "value")
        visits, spend = _visits_and_spending(table, where)
        hours = column_values(table, "travel_time", "h / visit", where, aliases=("旅行时间",))
        wage = column_values(table, "wage", "CNY / h", where, aliases=("工资率", "小时工资"))
        share = column_values(
            table,
            "time_share",
            "dimensionless",
            where,
            default=f"{share_default.magnitude}",
            default_from="constants table, row travel_time_value_share",
        )
        price = spend + share * wage * hours
        return _site_lines(table, price, visits, "travel cost: spending + time_share × wage × travel_time", where)

    @classmethod
    def example(cls, regions: list[str]) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "region": regions,
                "site": [f"site {i + 1}" for i in range(len(regions))],
                "visitors [万人次]": [f"{1.5 * (i + 1)}" for i in range(len(regions))],
                "spending [CNY/visit]": ["420"] * len(regions),
                "travel_time [h]": ["3"] * len(regions),
                "wage [CNY/h]": ["40"] * len(regions),
                # synthetic: the constants table's travel_time_value_share may be empty (no source read)
                "time_share": ["0.3"] * len(regions),
            }
        )


class RecreationRevenue(StatisticsService):
    """Recreation valued by the tourism revenue attributable to natural landscapes.

    .. math:: V = N \\, C_s \\, k

    with N visits [visit/yr], C_s spending per visit [CNY/visit] and k the share of
    the trip attributable to natural landscapes [1] (a column of the sites table, no default).
    """

    spec = _recreation_spec(
        "tourism_revenue", Reference(MEE_2020.document, "文化服务: 旅游收入法 (tourism revenue)", 2020)
    )
    inputs_hint = "statistics table: region, site, visitors, spending, nature_share"

    @classmethod
    def to_lines(cls, table: pd.DataFrame, *, where: str, tables) -> pd.DataFrame:
        table = _sites(table, where)
        visits, spend = _visits_and_spending(table, where)
        share = column_values(table, "nature_share", "dimensionless", where, aliases=("自然景观贡献率",))
        return _site_lines(table, spend * share, visits, "tourism revenue: spending × nature_share", where)

    @classmethod
    def example(cls, regions: list[str]) -> pd.DataFrame:
        ex = Recreation.example(regions).drop(columns=["travel_time [h]", "wage [CNY/h]"])
        return ex.assign(nature_share=["0.6"] * len(regions))


class LandscapeValue(StatisticsService):
    """Landscape value: the property-price premium of floor area near natural landscapes.

    .. math:: V = A \\, P \\, r

    with A the floor area that benefits from the landscape in the accounting year
    [m²/yr] (the user decides whether this is the year's transactions or the stock;
    Shenzhen's 2020 account reports a 109.75 亿元 premium inside its annual GEP), P the
    average property price [CNY/m²] and r the premium share attributable to the
    landscape [1].  Table columns: ``region, site, floor_area [m**2], unit_price
    [CNY/m**2], premium_share``; optional ``ecosystem``, ``source``.
    """

    spec = ServiceSpec(
        id="landscape_value",
        name_zh="景观价值",
        name_en="Landscape value (property premium)",
        category="cultural",
        quantity_unit="m**2 / yr",
        quantity_name="floor area benefiting from the landscape",
        method="property_premium",
        params=(),
        value_params=(),
        references=(Reference(DB33_2020.document, "景观价值 (optional indicator); formula not read", 2020),),
        tables=("allocation",),
        statistical=True,
    )
    inputs_hint = "statistics table: region, site, floor_area, unit_price, premium_share"

    @classmethod
    def to_lines(cls, table: pd.DataFrame, *, where: str, tables) -> pd.DataFrame:
        table = _sites(table, where)
        area = column_values(table, "floor_area", "m**2", where, aliases=("受益面积", "房产面积"))
        price = column_values(table, "unit_price", "CNY / m**2", where, aliases=("房价", "单位面积价格"))
        share = column_values(table, "premium_share", "dimensionless", where, aliases=("溢价率",))
        lines = _site_lines(table, price * share, area, "property premium: unit_price × premium_share", where)
        lines["unit"] = "m**2 / yr"
        lines["price_unit"] = "CNY / m**2"
        return lines

    @classmethod
    def example(cls, regions: list[str]) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "region": regions,
                "site": [f"lakeside {i + 1}" for i in range(len(regions))],
                "floor_area [万m**2]": [f"{2.0 * (i + 1)}" for i in range(len(regions))],
                "unit_price [CNY/m**2]": ["30000"] * len(regions),
                "premium_share": ["0.05"] * len(regions),
            }
        )
