"""Negative oxygen ions (负氧离子): air ions supplied by vegetation (Zhejiang, optional)."""

from __future__ import annotations

import numpy as np

from gepcalc.services.base import Param, Reference, Service, ServiceSpec, TableRef, attach, counted
from gepcalc.units import factor

#: minutes in the 365-day year of LY/T 1721-2008 (its constant 5.256e15 = 1e4 m²/hm² × 1e6 cm³/m³ × 525,600)
MINUTES_PER_YEAR = 365 * 24 * 60
_PER_CM3_M3 = factor("1 / cm**3 * m**3", "dimensionless")  # ions/cm³ × m³ → ions


class NegativeOxygenIons(Service):
    """Negative oxygen ions supplied above the threshold concentration.

    Physical quantity [ions yr⁻¹] (LY/T 1721-2008 form as used by DB33/T 2274;
    the 600 ions cm⁻³ threshold of its value formula applied to the quantity, so
    that value = quantity × price):

    .. math:: N = \\sum_{pixels} \\max(Q - Q_0, 0) \\cdot A \\cdot H \\cdot \\frac{525\\,600}{L}

    Q ion concentration [ions cm⁻³], Q₀ threshold [ions cm⁻³], A area [m²], H
    vegetation height [m] (the air layer the ions fill), L ion lifetime [min],
    525,600 minutes per 365-day year. Value [CNY yr⁻¹] = N × production cost of
    ions [CNY per 10¹⁸ ions]. Give measured concentrations (a station-interpolated
    raster) as ``ion_concentration`` where available.
    """

    spec = ServiceSpec(
        id="negative_oxygen_ions",
        name_zh="负氧离子",
        name_en="Negative oxygen ions",
        category="regulating",
        quantity_unit="ion / yr",
        quantity_name="negative air ions supplied above the threshold",
        method="ion_lifetime",
        params=(
            Param(
                "ion_concentration",
                "1 / cm**3",
                "negative-ion concentration",
                TableRef("negative_oxygen_ions", "ion_concentration"),
                symbol="Q",
            ),
            Param(
                "threshold",
                "1 / cm**3",
                "concentration above which ions count",
                TableRef("constants", "value", row="noi_threshold"),
                kinds=("scalar",),
                symbol="Q₀",
            ),
            Param(
                "vegetation_height",
                "m",
                "vegetation (stand) height",
                TableRef("negative_oxygen_ions", "vegetation_height"),
                symbol="H",
            ),
            Param(
                "ion_lifetime",
                "min",
                "lifetime of a negative ion",
                TableRef("negative_oxygen_ions", "ion_lifetime"),
                symbol="L",
            ),
            Param(
                "included",
                "dimensionless",
                "1 where the standard counts this ecosystem type",
                TableRef("negative_oxygen_ions", "included"),
                kinds=("per_ecosystem",),
            ),
        ),
        value_params=(
            Param(
                "price",
                "CNY / exaion",
                "production cost of 10¹⁸ negative ions",
                TableRef("prices", "price", row="negative_oxygen_ion_cost"),
                kinds=("scalar",),
            ),
        ),
        references=(
            Reference("DB33/T 2274-2020 生态系统生产总值(GEP)核算技术规范 (Zhejiang)", clause="负氧离子", year=2020),
            Reference(
                "LY/T 1721-2008 森林生态系统服务功能评估规范", clause="提供负离子 (N = 5.256e15·Q·A·H/L)", year=2008
            ),
        ),
        tables=("negative_oxygen_ions", "constants", "prices"),
    )

    @staticmethod
    def physical(area, ion_concentration, threshold, vegetation_height, ion_lifetime, included):
        """Ions supplied [ions/yr] above the threshold, from concentration, height, lifetime and area."""
        excess = np.maximum(ion_concentration - threshold, 0 * threshold)
        ions = excess * area * vegetation_height * _PER_CM3_M3  # ions present [-]
        renewals = attach(MINUTES_PER_YEAR, "min / yr", ion_lifetime) / ion_lifetime  # [1/yr]
        return counted(included, ions * renewals)
