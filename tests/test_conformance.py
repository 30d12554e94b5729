"""The conformance kit over every registered service, and the kit catching broken services."""

from __future__ import annotations

import pytest

from gepcalc import services
from gepcalc.services import Param, Reference, Service, ServiceSpec
from gepcalc.testing import ConformanceError, check_conformance, conformance_checks

# values for parameters whose built-in table cells are empty (no readable source): the kit needs numbers
_NATURAL = ("forest", "shrubland", "grassland", "wetland")
_WIND = ("forest", "shrubland", "grassland", "farmland", "bare")
_EMPTY_CELLS = {
    "negative_oxygen_ions": {
        "negative_oxygen_ions.vegetation_height": {"unit": "m", "values": {"forest": 10}},
        "negative_oxygen_ions.ion_lifetime": {"unit": "min", "values": {"forest": 10}},
        "negative_oxygen_ions.threshold": "600 / cm**3",  # constants row noi_threshold is empty too
        "negative_oxygen_ions.price": "5.8185 CNY/exaion",  # so is the prices row of the ion cost
    },
    "sand_fixation": {
        "sand_fixation.cog_coefficient": {"unit": "1/percent", "values": dict.fromkeys(_WIND, 0.1)},
        "sand_fixation.downwind_distance": "50 m",  # constants row rweq_downwind_distance is empty too
    },
    "water_conservation": {
        "water_conservation.crop_coefficient": {"unit": "", "values": dict.fromkeys(_NATURAL, 1.0)},
        "water_conservation.root_depth": {"unit": "mm", "values": dict.fromkeys(_NATURAL, 2000)},
        "water_conservation.velocity_coefficient": {"unit": "", "values": dict.fromkeys(_NATURAL, 300)},
    },
}
ALL = [c for cls in services.all_methods().values() for c in conformance_checks(cls, _EMPTY_CELLS.get(cls.spec.id))]


@pytest.mark.parametrize("check", ALL, ids=lambda c: c.name)
def test_every_registered_service_conforms(check):
    check()


def _toy(physical, unit="t / yr", **spec):
    class Toy(Service):
        pass

    Toy.spec = ServiceSpec(
        id="toy",
        name_zh="玩具",
        name_en="Toy",
        category="regulating",
        quantity_unit=unit,
        quantity_name="toy",
        params=(Param("rate", "t / ha / yr", "a rate", example="2 t/ha/yr"),),
        value_params=(Param("price", "CNY / t", "price", example="10 CNY/t", kinds=("scalar",)),),
        references=(Reference("a test", year=2025),),
        **spec,
    )
    Toy.physical = staticmethod(physical)
    return Toy


def _failing(cls) -> set[str]:
    failed = set()
    for c in conformance_checks(cls):
        try:
            c()
        except ConformanceError:
            failed.add(c.name.split("-", 1)[1])
    return failed


def test_a_correct_toy_passes():
    check_conformance(_toy(lambda area, rate: rate * area / 1e4))


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_kit_catches_wrong_units_eager_compute_and_silent_nodata():
    # t/ha/yr without the area is not t/yr: only the units check can tell
    assert _failing(_toy(lambda area, rate: rate * area / area)) == {"units", "zero_area", "area_scaling"}
    # computing inside physical()
    assert "lazy" in _failing(_toy(lambda area, rate: (rate * area / 1e4).persist()))
    # NaN silently replaced by 0
    assert "nodata" in _failing(
        _toy(lambda area, rate: (rate.fillna(0) if hasattr(rate, "fillna") else rate) * area / 1e4)
    )
    # not proportional to area
    assert {"zero_area", "area_scaling"} <= _failing(_toy(lambda area, rate: rate * (area + 900.0) / 1e4))


def test_kit_reports_every_failure_at_once():
    with pytest.raises(ConformanceError, match=r"fails \d check") as exc:
        check_conformance(_toy(lambda area, rate: (rate * area).persist()))
    assert "units" in str(exc.value) and "lazy" in str(exc.value)
