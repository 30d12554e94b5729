"""Climate regulation (气候调节): cooling and humidifying by transpiration and evaporation."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import xarray as xr

from gepcalc.services._refs import MEE_2020, NDRC_2022, OUYANG_2013
from gepcalc.services.base import Item, Param, Reference, Service, ServiceSpec, TableRef, counted
from gepcalc.units import factor

_KJ_TO_KWH = factor("kJ", "kWh")
_MM_M2_TO_M3 = factor("mm * m**2", "m**3")

ITEMS = (
    Item("transpiration", "植被蒸腾降温增湿", "vegetation transpiration (cooling)", unit="kWh / yr"),
    Item("evaporation", "水面蒸发降温增湿", "water-surface evaporation (cooling and humidifying)", unit="kWh / yr"),
)
#: what D, the hot days, are: the papers read define d as the days an air conditioner runs
HOT_DAYS = (
    "days a year the air conditioner would run (空调开放天数 d, Bo et al. 2017 §1.2(4); Garze 2017 §2.4.8), "
    "taken as the days with daily mean temperature above 26 °C unless the profile says daily maximum"
)
BO_2017 = Reference(
    "博文静, 王莉雁, 操建华, 王效科, 肖燚, 欧阳志云. 中国森林生态资产价值评估. 生态学报 37(12):4182-4190 "
    "(ChinaXiv 201706.00846)",
    clause="§1.2(4) 气候调节价值: V = A·GPP·d·p·10⁶/(3600·R), d 空调开放天数, R = 3.0",
    year=2017,
)
GARZE_2017 = Reference(
    "白玛卓嘎, 肖燚, 欧阳志云, 王莉雁. 甘孜藏族自治州生态系统生产总值核算研究. 生态学报 37(19):6302-6312 "
    "(ChinaXiv 201711.00120)",
    clause="§2.4.8 (1) 植被蒸腾, (2) 水面蒸发",
    year=2017,
)


def _items(e_pt, e_we):
    """Stack the two items (transpiration, evaporation) along a first axis ``item``."""
    if isinstance(e_pt, xr.DataArray) or isinstance(e_we, xr.DataArray):
        parts = [p if isinstance(p, xr.DataArray) else xr.DataArray(p) for p in (e_pt, e_we)]
        return xr.concat(xr.broadcast(*parts), dim=xr.Variable("item", [i.id for i in ITEMS]))
    if hasattr(e_pt, "units"):
        unit = e_pt.units
        return np.stack(np.broadcast_arrays(e_pt.to(unit).magnitude, e_we.to(unit).magnitude)) * unit
    return np.stack(np.broadcast_arrays(e_pt, e_we))


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
    * S_i: area of type i [m²]; D: hot days [d yr⁻¹], the days a year the air
      conditioner would run (空调开放天数: Bo et al. 2017 §1.2(4), Garze 2017 §2.4.8 name
      d so, without a temperature threshold); gepcalc takes the days with daily mean
      temperature above 26 °C (the threshold is gepcalc's reading of the method's
      reports, not found in a paper read; a profile may count daily maximum instead —
      give the days it counts)
    * r: energy-efficiency ratio of an air conditioner [-]
    * E_w = evaporation depth × water area: water evaporated [m³ yr⁻¹]
    * ρ_w: water density [kg m⁻³]; q: latent heat of vaporisation [kJ kg⁻¹]
    * y: humidifier electricity per m³ of water evaporated [kWh m⁻³]

    3600 is the kJ → kWh conversion (taken from pint here). Value = E × electricity price.
    Pass an evapotranspiration-derived heat raster as ``transpiration_heat`` or an
    evaporation raster as ``evaporation_water`` where available.

    Items (each in kWh yr⁻¹, their sum is E; Garze 2017 §2.4.8 (1) and (2)):
    ``transpiration`` = E_pt (vegetation transpiration) and ``evaporation`` = E_we
    (water-surface evaporation). A published account's two lines enter as lines of
    these items.
    """

    spec = ServiceSpec(
        id="climate_regulation",
        name_zh="气候调节",
        name_en="Climate regulation",
        category="regulating",
        quantity_unit="kWh / yr",
        quantity_name="electricity equivalent of cooling and humidifying",
        method="transpiration_evaporation",
        items=ITEMS,
        additive_items=True,
        params=(
            Param(
                "transpiration_heat",
                "kJ / m**2 / d",
                "heat absorbed by vegetation transpiration",
                TableRef("climate_regulation", "transpiration_heat"),
                symbol="EPP",
                example="2000 kJ/m**2/d",  # for the conformance kit only: the table's cells are empty (not sourced)
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
            Param("hot_days", "d / yr", HOT_DAYS, symbol="D", example="70 d/yr"),
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
                example="0.5 CNY/kWh",  # for the conformance kit only: the national default is an empty cell
            ),
        ),
        references=(MEE_2020, NDRC_2022, OUYANG_2013, BO_2017, GARZE_2017),
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
        """Electricity equivalent [kWh/yr] of vegetation cooling and of water-surface evaporation.

        Returns the items along a first axis ``item``: transpiration E_pt, evaporation E_we.
        """
        e_pt = counted(included, transpiration_heat * area * hot_days * _KJ_TO_KWH / ac_energy_efficiency_ratio)
        e_w = counted(water_surface, evaporation_water * area * _MM_M2_TO_M3)  # m³/yr
        e_we = e_w * water_density * latent_heat_vaporization * _KJ_TO_KWH + humidifier_energy * e_w
        return _items(e_pt, e_we)


def _param(name: str) -> Param:
    return ClimateRegulation.spec.param(name)


class ClimateRegulationET(ClimateRegulation):
    r"""Climate regulation with vegetation cooling from a transpiration (or ET) raster.

    Physical quantity [kWh yr⁻¹]: the EPP term is replaced by the latent heat of the
    water the vegetation transpires (the physics behind EPP), the water-surface term
    is as in :class:`ClimateRegulation`; the same two items (transpiration, evaporation):

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
        """Electricity equivalent [kWh/yr] of transpiration cooling and of water-surface evaporation.

        Returns the items along a first axis ``item``: transpiration E_pt, evaporation E_we.
        """
        t_v = counted(included, transpiration * area * _MM_M2_TO_M3)  # m³/yr transpired
        e_pt = t_v * water_density * latent_heat_vaporization * _KJ_TO_KWH / ac_energy_efficiency_ratio
        e_w = counted(water_surface, evaporation_water * area * _MM_M2_TO_M3)  # m³/yr
        e_we = e_w * water_density * latent_heat_vaporization * _KJ_TO_KWH + humidifier_energy * e_w
        return _items(e_pt, e_we)
