"""Wind prevention and sand fixation (防风固沙): wind erosion prevented by vegetation (RWEQ)."""

from __future__ import annotations

import numpy as np
import xarray as xr

from gepcalc.services._refs import MEE_2020, NDRC_2022, OUYANG_2013
from gepcalc.services.base import Param, Reference, Service, ServiceSpec, TableRef, attach, counted, strip
from gepcalc.units import factor

_KG_TO_T = factor("kg", "t")


def _const(item: str) -> TableRef:
    return TableRef("constants", "value", row=item)


def soil_loss(factors, z, a, s_coef, s_exp):
    """RWEQ soil loss SL [kg m⁻² yr⁻¹] at downwind distance z [m] for the product of factors.

    Empirical (Fryrear et al. 1998): with F = WF·EF·SCF·K′·COG (WF in kg m⁻¹ yr⁻¹),
    Q_max = a·F [kg m⁻¹ yr⁻¹], s = s_coef·F^(−s_exp) [m], SL = 2z/s²·Q_max·exp(−(z/s)²).
    """
    f = strip(factors, "kg / m / yr")
    zm = strip(z, "m")
    q_max = a * f
    # F = 0 (no erosive wind or soil) gives no loss; the fitted s is undefined there
    positive = f.where(f > 0) if isinstance(f, xr.DataArray) else np.where(f > 0, f, np.nan)
    s = s_coef * positive ** (-s_exp)
    sl = 2.0 * zm / s**2 * q_max * np.exp(-((zm / s) ** 2))
    sl = sl.where(f != 0, 0.0) if isinstance(sl, xr.DataArray) else np.where(f == 0, 0.0, sl)
    return attach(sl, "kg / m**2 / yr", factors)


class SandFixation(Service):
    """Sand fixation: potential minus actual wind erosion by the Revised Wind Erosion Equation.

    Physical quantity [t yr⁻¹] (MEE 2020 guide, 防风固沙; Ouyang et al. 2013;
    RWEQ, Fryrear et al. 1998):

    .. math::

        SR = (SL_p - SL) A, \\quad SL = \\frac{2z}{s^2} Q_{max} e^{-(z/s)^2},
        \\quad Q_{max} = 109.8\\,F, \\quad s = 150.71\\,F^{-0.3711}

    with F = WF·EF·SCF·K′·COG for the actual and F = WF·EF·SCF·K′ (no vegetation)
    for the potential erosion; WF weather factor [kg m⁻¹ yr⁻¹], EF erodible fraction,
    SCF soil-crust factor, K′ surface roughness [-], COG = exp(−a_i·SC) vegetation
    factor with SC the vegetation cover [%], z downwind distance [m]. Value
    [CNY yr⁻¹] = SR / (ρ h) × sand-control cost [CNY m⁻²] (ρ sand bulk density,
    h sand-cover depth).
    """

    spec = ServiceSpec(
        id="sand_fixation",
        name_zh="防风固沙",
        name_en="Wind prevention and sand fixation",
        category="regulating",
        quantity_unit="t / yr",
        quantity_name="wind erosion prevented",
        method="rweq",
        params=(
            Param("weather_factor", "kg / m / yr", "RWEQ weather factor", symbol="WF", example="30 kg/m/yr"),
            Param("erodible_fraction", "dimensionless", "soil erodible fraction", symbol="EF", example="0.35"),
            Param("soil_crust_factor", "dimensionless", "soil-crust factor", symbol="SCF", example="0.6"),
            Param("roughness_factor", "dimensionless", "surface roughness factor", symbol="K′", example="0.8"),
            Param("vegetation_cover", "percent", "vegetation cover", symbol="SC", example="40 percent"),
            Param(
                "cog_coefficient",
                "1 / percent",
                "a_i in COG = exp(−a_i·SC)",
                TableRef("sand_fixation", "cog_coefficient"),
                symbol="a_i",
            ),
            Param(
                "included",
                "dimensionless",
                "1 where vegetation counts",
                TableRef("sand_fixation", "included"),
                kinds=("per_ecosystem",),
            ),
            Param("downwind_distance", "m", "downwind distance", _const("rweq_downwind_distance"), ("scalar",), "z"),
        ),
        value_params=(
            Param(
                "price",
                "CNY / m**2",
                "sand-control cost",
                TableRef("prices", "price", row="sand_control_cost"),
                ("scalar",),
            ),
            Param("sand_bulk_density", "t / m**3", "sand bulk density", _const("sand_bulk_density"), ("scalar",), "ρ"),
            Param(
                "sand_cover_depth",
                "m",
                "sand-cover depth of desertified land",
                _const("sand_cover_depth"),
                ("scalar",),
                "h",
            ),
        ),
        references=(
            MEE_2020,
            NDRC_2022,
            OUYANG_2013,
            Reference("Fryrear D.W. et al. RWEQ: Revised Wind Erosion Equation. USDA-ARS Tech. Bull. 1", year=1998),
        ),
        tables=("sand_fixation", "constants", "prices"),
    )

    @staticmethod
    def physical(
        area,
        weather_factor,
        erodible_fraction,
        soil_crust_factor,
        roughness_factor,
        vegetation_cover,
        cog_coefficient,
        included,
        downwind_distance,
    ):
        """Wind erosion prevented [t/yr] = (SL_p − SL) × area."""
        bare = weather_factor * erodible_fraction * soil_crust_factor * roughness_factor
        cog = np.exp(-cog_coefficient * vegetation_cover)
        potential = soil_loss(bare, downwind_distance, 109.8, 150.71, 0.3711)
        actual = soil_loss(bare * cog, downwind_distance, 109.8, 150.71, 0.3711)
        return counted(included, (potential - actual) * area * _KG_TO_T)

    @staticmethod
    def value(quantity, price, sand_bulk_density, sand_cover_depth):
        """Value [CNY/yr] = SR / (ρ h) × sand-control cost (area of land kept from being buried)."""
        return quantity / (sand_bulk_density * sand_cover_depth) * price
