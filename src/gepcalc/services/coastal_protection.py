"""Coastal protection (海岸带防护): coastline protected by natural coastal ecosystems."""

from __future__ import annotations

import xarray as xr

from gepcalc.errors import NodataError
from gepcalc.services._refs import MEE_2020, NDRC_2022
from gepcalc.services.base import Param, Service, ServiceSpec, TableRef, counted


class CoastalProtection(Service):
    """Coastal protection: length of coastline protected, valued at the annualised sea-wall cost.

    Physical quantity [m] (MEE 2020 guide and NDRC 2022 spec, 海岸带防护, as reported):

    .. math:: Q = L_r, \\qquad V = Q \\cdot \\frac{C_w}{T_w}

    with L_r the length of natural coastline of region r protected by mangroves,
    salt marshes, reefs, seagrass or natural coast (a per-region input, from a
    coastline survey), shared among the protective ecosystem types in proportion
    to their area in the region; C_w the cost of building a sea wall per metre
    [CNY m⁻¹] and T_w its design life [yr]. Annualising the one-off construction
    cost over the design life is gepcalc's choice, so that the value is a yearly
    flow like the other indicators.
    """

    spec = ServiceSpec(
        id="coastal_protection",
        name_zh="海岸带防护",
        name_en="Coastal protection",
        category="regulating",
        quantity_unit="m",
        quantity_name="coastline protected",
        method="seawall_cost",
        pixel_unit="m**2",
        extensive=True,
        params=(
            Param(
                "included",
                "dimensionless",
                "1 for ecosystem types that protect the coast",
                TableRef("coastal_protection", "included"),
                kinds=("per_ecosystem",),
            ),
        ),
        region_params=(
            Param(
                "protected_coastline",
                "m",
                "length of coastline protected by natural coastal ecosystems",
                kinds=("per_region",),
                example="12 km",
                symbol="L_r",
            ),
        ),
        value_params=(
            Param(
                "price",
                "CNY / m",
                "sea-wall construction cost per metre",
                TableRef("prices", "price", row="seawall_cost"),
                kinds=("scalar",),
                symbol="C_w",
                example="20000 CNY/m",
            ),
            Param("seawall_design_life", "yr", "design life of a sea wall", kinds=("scalar",), example="50 yr"),
        ),
        references=(MEE_2020, NDRC_2022),
        tables=("coastal_protection", "prices"),
    )

    @staticmethod
    def physical(area, included):
        """Area of protective coastal types [m²] (the key that shares each region's coastline)."""
        return counted(included, area)

    @staticmethod
    def regional(quantity, area, protected_coastline):
        """Each region's protected coastline [m], shared among its protective types by area."""
        total = quantity.sum("ecosystem")
        orphan = (total <= 0) & (protected_coastline > 0)
        if bool(orphan.any()):
            names = [str(r) for r in orphan["region"].values[orphan.values]]
            raise NodataError(
                f"service 'coastal_protection': region(s) {names} have protected coastline but no area of a "
                "protective ecosystem type (table coastal_protection, column included) to assign it to"
            )
        return xr.where(total > 0, protected_coastline * quantity / total.where(total > 0), 0.0)

    @staticmethod
    def value(quantity, price, seawall_design_life):
        """Value [CNY/yr] = protected length × sea-wall cost per metre / design life."""
        return quantity * price / seawall_design_life
