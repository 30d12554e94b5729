"""Provisioning services (物质产品) valued from statistics: quantity × price per product.

These services do not compute anything on rasters.  Their physical quantities are
the region's production from yearbooks and bureau reports (grain in t, timber in
m³, water use in m³, hydropower in kWh), entered as *lines* (see
:mod:`gepcalc.lines`): region, item (product), quantity with unit, source, and
optionally a price with its unit and source.  A line without a price takes the
product's default price from the ``products`` table; where that has no value
(most products: there is no national price list), the account stops and asks for
the local price.

The value of a line is

.. math:: V = Q \\cdot P \\quad [\\mathrm{CNY\\,yr^{-1}}]

(MEE 2020 guide and NDRC 2022 specification, material products: market value of
the products).  A line may also give the output value (产值) directly, as a
quantity in CNY: it is then counted as its own value.  Lines that name no
ecosystem type are shared among the region's producing types in proportion to
area (table ``allocation``) so that the values can be reported by type and mapped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import pandas as pd

from gepcalc.errors import ServiceError
from gepcalc.services._refs import MEE_2020, NDRC_2022
from gepcalc.services.base import Item, Reference, Service, ServiceSpec
from gepcalc.tables import CoefficientTable, load_table

#: the product catalogue every built-in statistics service draws its items from
PRODUCTS_TABLE = "products"


class StatisticsService(Service):
    """Base class of services whose quantities come from statistics lines, not rasters.

    Subclasses declare ``spec`` with ``statistical=True`` and may override
    :meth:`to_lines` to turn a service-specific table (visitor surveys, property
    prices) into quantity lines with prices.
    """

    spec: ClassVar[ServiceSpec]
    #: what the user supplies, shown by ``gepcalc services``
    inputs_hint: ClassVar[str] = "lines: region, item, quantity, unit, source [, price, price_unit, price_source]"

    @staticmethod
    def physical(area):  # pragma: no cover - the account never calls it for statistical services
        raise ServiceError("statistics services take their quantities from lines, not from rasters")

    @classmethod
    def to_lines(cls, table: pd.DataFrame, *, where: str, tables: Mapping[str, CoefficientTable]) -> pd.DataFrame:
        """Turn the service's statistics table into lines (default: it already is one).

        Parameters
        ----------
        table
            Rows read from the user's file, columns as in :data:`gepcalc.lines.LINE_COLUMNS`
            (already renamed from Chinese headers), plus ``row`` (the row in the file).
        where
            The file name, for messages.
        tables
            The account's coefficient tables (those named in ``spec.tables``, with the user's
            replacements and overrides), for defaults the table does not give.
        """
        return table

    @classmethod
    def example(cls, regions: list[str]) -> pd.DataFrame:
        """A small statistics table for the conformance kit: one priced line per region and item."""
        products = load_table(PRODUCTS_TABLE).data
        items = [i.id for i in cls.spec.items][:2] or ["example"]
        units = {
            i: products.at[f"{cls.spec.id}.{i}", "unit"] if f"{cls.spec.id}.{i}" in products.index else "CNY"
            for i in items
        }
        rows = [
            {
                "region": r,
                "item": item,
                "quantity": str(10.0 * (k + 1) + j),
                "unit": units[item],
                "source": "conformance kit",
                "price": "" if units[item] == "CNY" else "3.5",
                "price_unit": "" if units[item] == "CNY" else f"CNY / ({units[item]})",
            }
            for k, r in enumerate(regions)
            for j, item in enumerate(items)
        ]
        return pd.DataFrame(rows)


def catalogue_items(service_id: str) -> tuple[Item, ...]:
    """The products of one service in the built-in ``products`` table, as items."""
    t = load_table(PRODUCTS_TABLE).data
    rows = t[t["service"] == service_id]
    return tuple(Item(r["item"], r["name_zh"], r["name_en"]) for _, r in rows.iterrows())


def _product_service(
    class_name: str, sid: str, zh: str, en: str, unit: str, what: str, doc: str
) -> type[StatisticsService]:
    """A provisioning service whose items are the catalogue's products of ``sid``."""
    spec = ServiceSpec(
        id=sid,
        name_zh=zh,
        name_en=en,
        category="provisioning",
        quantity_unit=unit,
        quantity_name=what,
        method="market_value",
        params=(),
        value_params=(),
        references=(
            Reference(MEE_2020.document, "物质产品价值: 产品产量 × 市场价格", 2020),
            Reference(NDRC_2022.document, "物质产品 (material products): quantity × price or output value", 2022),
        ),
        description=doc,
        tables=(PRODUCTS_TABLE, "allocation"),
        items=catalogue_items(sid),
        statistical=True,
    )
    return type(class_name, (StatisticsService,), {"spec": spec, "__doc__": doc, "__module__": __name__})


AgriculturalProducts = _product_service(
    "AgriculturalProducts",
    "agricultural_products",
    "农业产品",
    "Agricultural products",
    "t / yr",
    "crop production",
    "Crops (grain, oil crops, vegetables, fruit, tea, herbs): yearbook production × price.",
)
ForestryProducts = _product_service(
    "ForestryProducts",
    "forestry_products",
    "林业产品",
    "Forestry products",
    "t / yr",
    "forest product harvest",
    "Timber, bamboo, forest nuts and fruit, oil-tea seed: yearbook harvest × price.",
)
LivestockProducts = _product_service(
    "LivestockProducts",
    "livestock_products",
    "畜牧业产品",
    "Livestock products",
    "t / yr",
    "livestock production",
    "Meat, eggs, milk, honey: yearbook production × price.",
)
FisheryProducts = _product_service(
    "FisheryProducts",
    "fishery_products",
    "渔业产品",
    "Fishery products",
    "t / yr",
    "freshwater fish production",
    "Freshwater aquaculture and capture: yearbook production × price.",
)
WaterSupply = _product_service(
    "WaterSupply",
    "water_supply",
    "水资源",
    "Water supply",
    "m**3 / yr",
    "water used",
    "Domestic, industrial, agricultural and ecological water use (water resources bulletin) × tariff.",
)
Hydropower = _product_service(
    "Hydropower",
    "hydropower",
    "生态能源(水电)",
    "Hydropower",
    "kW * h / yr",
    "hydropower generated",
    "Hydropower generation × on-grid price.",
)
OtherProducts = _product_service(
    "OtherProducts",
    "other_products",
    "其他物质产品",
    "Other ecosystem products",
    "CNY / yr",
    "output value",
    "Other products (flowers, seedlings, wild products), usually entered as output value (产值) in CNY.",
)
