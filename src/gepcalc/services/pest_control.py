"""Pest control (病虫害控制): forest and grassland that recover from pests by themselves."""

from __future__ import annotations

from gepcalc.services._refs import MEE_2020, OUYANG_2013
from gepcalc.services.base import Param, Reference, Service, ServiceSpec, TableRef, counted
from gepcalc.units import factor

_M2_TO_HA = factor("m**2", "ha")


class PestControl(Service):
    """Pest control: self-recovering area valued at the cost of manual pest control.

    Physical quantity [ha] (Ouyang et al. 2013; Garze 2017 §2.4.9, prevention-cost
    method):

    .. math:: Q = \\sum_i s_i A_i, \\qquad V = \\sum_i Q_i C_i

    with s_i the share of type i's area that recovers from pest outbreaks by itself
    (natural forest and grassland; 1 = all mapped area by default), A_i its area and
    C_i the cost of manual control [CNY ha⁻¹ yr⁻¹]. Pass a natural-forest share (or a
    0/1 raster of natural stands) as ``self_recovering_share``.
    """

    spec = ServiceSpec(
        id="pest_control",
        name_zh="病虫害控制",
        name_en="Pest control",
        category="regulating",
        quantity_unit="ha",
        quantity_name="self-recovering forest and grassland area",
        method="prevention_cost",
        params=(
            Param(
                "self_recovering_share",
                "dimensionless",
                "share of the area that recovers from pests by itself",
                TableRef("pest_control", "self_recovering_share"),
                symbol="s_i",
            ),
            Param(
                "included",
                "dimensionless",
                "1 where the standard counts this ecosystem type",
                TableRef("pest_control", "included"),
                kinds=("per_ecosystem",),
            ),
        ),
        value_params=(
            Param(
                "price",
                "CNY / ha / yr",
                "cost of manual pest control per hectare and year",
                TableRef("pest_control", "control_cost"),
                kinds=("scalar", "per_ecosystem"),
                symbol="C_i",
            ),
        ),
        references=(
            MEE_2020,
            OUYANG_2013,
            Reference(
                "白玛卓嘎 等. 甘孜藏族自治州生态系统生产总值核算研究. 生态学报 37(19)", clause="§2.4.9", year=2017
            ),
        ),
        tables=("pest_control",),
    )

    @staticmethod
    def physical(area, self_recovering_share, included):
        """Self-recovering area [ha] = share × area [m²]."""
        return counted(included, self_recovering_share * area * _M2_TO_HA)
