"""Climate regulation (气候调节): cooling and humidifying by transpiration and evaporation."""

from __future__ import annotations

from dataclasses import replace

from gepcalc.services._refs import MEE_2020, NDRC_2022, OUYANG_2013
from gepcalc.services.base import Param, Service, ServiceSpec, TableRef, counted
from gepcalc.units import factor

_KJ_TO_KWH = factor("kJ", "kWh")
_MM_M2_TO_M3 = factor("mm * m**2", "m**3")


def _const(item: str) -> TableRef:
    return TableRef("constants", "value", row=item)


class ClimateRegulation(Service):
    """Climate regulation: energy an air conditioner and a humidifier would use for the same effect.

    Physical quantity [kWh yr⁻¹] (MEE 2020 guide, climate regulation; NDRC 2022
    spec, 气候调节; Ouyang et al. 2013):

    .. math::

        E_{pt} = \\sum_i \\frac{EPP_i \\cdot S_i \\cdot D}{3600\\, r}, \\qquad
        E_{we} = \\frac{E_w \\rho_w q}{3600} + y E_w, \\qquad E = E_{pt} + E_{we}

    * EPP_i: heat absorbed by the transpiration of vegetation type i [kJ m⁻² d⁻¹]
    * S_i: area of type i [m²]; D: days with daily mean temperature > 26 °C [d yr⁻¹]
    * r: energy-efficiency ratio of an air conditioner [-]
    * E_w = evaporation depth × water area: water evaporated [m³ yr⁻¹]
    * ρ_w: water density [kg m⁻³]; q: latent heat of vaporisation [kJ kg⁻¹]
    * y: humidifier electricity per m³ of water evaporated [kWh m⁻³]

    3600 is the kJ → kWh conversion (taken from pint here). Value = E × electricity price.
    Pass an evapotranspiration-derived heat raster as ``transpiration_heat`` or an
    evaporation raster as ``evaporation_water`` where available.
    """

    spec = ServiceSpec(
        id="climate_regulation",
        name_zh="气候调节",
        name_en="Climate regulation",
        category="regulating",
        quantity_unit="kWh / yr",
        quantity_name="electricity equivalent of cooling and humidifying",
        method="transpiration_evaporation",
        params=(
            Param(
                "transpiration_heat",
                "kJ / m**2 / d",
                "heat absorbed by vegetation transpiration",
                TableRef("climate_regulation", "transpiration_heat"),
                symbol="EPP",
            ),
            Param(
                "included",
                "dimensionless",
                "1 where the standard counts vegetation cooling for this type",
                TableRef("climate_regulation", "included"),
                kinds=("per_ecosystem",),
            ),
            Param(
                "water_surface",
                "dimensionless",
                "1 for open-water surfaces that evaporate",
                TableRef("climate_regulation", "water_surface"),
                kinds=("per_ecosystem",),
            ),
            Param("hot_days", "d / yr", "days with daily mean temperature above 26 °C", symbol="D", example="70 d/yr"),
            Param(
                "evaporation_water", "mm / yr", "water-surface evaporation depth", symbol="E_w", example="1100 mm/yr"
            ),
            Param(
                "ac_energy_efficiency_ratio",
                "dimensionless",
                "air-conditioner energy-efficiency ratio",
                _const("ac_energy_efficiency_ratio"),
                kinds=("scalar",),
                symbol="r",
            ),
            Param(
                "latent_heat_vaporization",
                "kJ / kg",
                "latent heat of vaporisation of water",
                _const("latent_heat_vaporization"),
                kinds=("scalar",),
                symbol="q",
            ),
            Param(
                "water_density",
                "kg / m**3",
                "density of water",
                _const("water_density"),
                kinds=("scalar",),
                symbol="ρ_w",
            ),
            Param(
                "humidifier_energy",
                "kWh / m**3",
                "humidifier electricity per m³ evaporated",
                _const("humidifier_energy"),
                kinds=("scalar",),
                symbol="y",
            ),
        ),
        value_params=(
            Param(
                "price",
                "CNY / kWh",
                "electricity price",
                TableRef("prices", "price", row="electricity_price"),
                kinds=("scalar", "per_ecosystem"),
            ),
        ),
        references=(MEE_2020, NDRC_2022, OUYANG_2013),
        tables=("climate_regulation", "constants", "prices"),
    )

    @staticmethod
    def physical(
        area,
        transpiration_heat,
        included,
        water_surface,
        hot_days,
        evaporation_water,
        ac_energy_efficiency_ratio,
        latent_heat_vaporization,
        water_density,
        humidifier_energy,
    ):
        """Electricity equivalent [kWh/yr] of vegetation cooling plus water-surface evaporation."""
        e_pt = counted(included, transpiration_heat * area * hot_days * _KJ_TO_KWH / ac_energy_efficiency_ratio)
        e_w = counted(water_surface, evaporation_water * area * _MM_M2_TO_M3)  # m³/yr
        e_we = e_w * water_density * latent_heat_vaporization * _KJ_TO_KWH + humidifier_energy * e_w
        return e_pt + e_we


def _param(name: str) -> Param:
    return ClimateRegulation.spec.param(name)


class ClimateRegulationET(ClimateRegulation):
    r"""Climate regulation with vegetation cooling from a transpiration (or ET) raster.

    Physical quantity [kWh yr⁻¹]: the EPP term is replaced by the latent heat of the
    water the vegetation transpires (the physics behind EPP), the water-surface term
    is as in :class:`ClimateRegulation`:

    .. math::

        E_{pt} = \sum_{pixels} \frac{T_v \cdot A \cdot \rho_w \cdot q}{3600\, r}, \qquad
        E = E_{pt} + E_{we}

    T_v transpiration depth [mm yr⁻¹] on the days that count: give the transpiration
    of the days above 26 °C to follow the EPP method's hot-day rule, or the annual
    total where the profile says so (record which in the account's notes). Use
    transpiration, not total ET, unless the profile says otherwise: soil evaporation
    is not vegetation cooling. This variant's form is unconfirmed in the standards'
    own text (docs/regulating_methods.md §8); the physics is exact.
    """

    spec = replace(
        ClimateRegulation.spec,
        method="evapotranspiration",
        params=(
            Param(
                "transpiration",
                "mm / yr",
                "vegetation transpiration on the days counted (e.g. days above 26 °C)",
                symbol="T_v",
                example="250 mm/yr",
            ),
            *(
                _param(n)
                for n in (
                    "included",
                    "water_surface",
                    "evaporation_water",
                    "ac_energy_efficiency_ratio",
                    "latent_heat_vaporization",
                    "water_density",
                    "humidifier_energy",
                )
            ),
        ),
    )

    @staticmethod
    def physical(
        area,
        transpiration,
        included,
        water_surface,
        evaporation_water,
        ac_energy_efficiency_ratio,
        latent_heat_vaporization,
        water_density,
        humidifier_energy,
    ):
        """Electricity equivalent [kWh/yr] of transpiration cooling plus water-surface evaporation."""
        t_v = counted(included, transpiration * area * _MM_M2_TO_M3)  # m³/yr transpired
        e_pt = t_v * water_density * latent_heat_vaporization * _KJ_TO_KWH / ac_energy_efficiency_ratio
        e_w = counted(water_surface, evaporation_water * area * _MM_M2_TO_M3)  # m³/yr
        e_we = e_w * water_density * latent_heat_vaporization * _KJ_TO_KWH + humidifier_energy * e_w
        return e_pt + e_we
