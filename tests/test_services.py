"""Each service's formula on tiny arrays, with the arithmetic written out."""

import numpy as np
import pytest

from gepcalc.services import available, get
from gepcalc.services.base import check_service
from gepcalc.units import Q_

CO2_PER_C = 44.0095 / 12.011
O2_PER_CO2 = 31.998 / 44.0095


def test_builtin_services_are_registered_with_spec():
    for sid in ("carbon_sequestration", "oxygen_release", "water_conservation", "climate_regulation"):
        cls = available()[sid]
        check_service(cls)
        assert cls.spec.category == "regulating" and cls.spec.name_zh and cls.spec.references


def test_carbon_sequestration_by_hand():
    cs = get("carbon_sequestration")
    area = np.array([10_000.0, 20_000.0, 5_000.0])  # m²: 1 ha, 2 ha, 0.5 ha
    rate = np.array([2.0, 1.0, 3.0])  # t C/ha/yr
    included = np.array([1.0, 1.0, 0.0])
    q = cs.physical(area, rate, included)
    # 1 ha × 2 t C/ha × 44.0095/12.011 = 7.32823 t CO2;  2 ha × 1 = 7.32823;  excluded: 0
    np.testing.assert_allclose(q, [2 * CO2_PER_C, 2 * CO2_PER_C, 0.0])
    assert q[0] == pytest.approx(7.32823, rel=1e-5)
    # value: 7.32823 t × 50 CNY/t = 366.41 CNY
    assert cs.value(q[0], 50.0) * cs.value_factor() == pytest.approx(366.4115, rel=1e-5)


def test_oxygen_release_by_hand():
    ox = get("oxygen_release")
    q = ox.physical(np.array([10_000.0]), np.array([2.0]), np.array([1.0]))
    # 2 t C → 2 × 44/12 t CO2 → × 32/44 = 2 × 31.998/12.011 = 5.32812 t O2
    assert q[0] == pytest.approx(2 * 31.998 / 12.011) == pytest.approx(5.32812, rel=1e-5)


def test_water_conservation_by_hand():
    wc = get("water_conservation")
    # P = 1400 mm, α = 0.05 → R = 70 mm; ET = 800 mm; 1 km² = 1e6 m²
    # (1400 − 70 − 800) mm × 1e6 m² = 0.530 m × 1e6 m² = 530,000 m³
    q = wc.physical(
        area=np.array([1e6, 1e6]),
        precipitation=1400.0,
        evapotranspiration=np.array([800.0, np.nan]),
        runoff_coefficient=np.array([0.05, 0.0]),
        included=np.array([1.0, 0.0]),
    )
    np.testing.assert_allclose(q, [530_000.0, 0.0])  # NaN ET of an excluded type does not leak
    # value at 6.11 CNY/m³: 3,238,300 CNY
    assert wc.value(q[0], 6.11) * wc.value_factor() == pytest.approx(3_238_300.0)


def test_climate_regulation_by_hand():
    cr = get("climate_regulation")
    area = np.array([10_000.0, 10_000.0])  # 1 ha forest, 1 ha water
    q = cr.physical(
        area=area,
        transpiration_heat=np.array([2837.0, 0.0]),
        included=np.array([1.0, 0.0]),
        water_surface=np.array([0.0, 1.0]),
        hot_days=74.0,
        evaporation_water=1355.0,
        ac_energy_efficiency_ratio=3.0,
        latent_heat_vaporization=2450.0,
        water_density=1000.0,
        humidifier_energy=120.0,
    )
    # forest: 2837 kJ/m²/d × 10,000 m² × 74 d / 3600 kJ/kWh / 3 = 194,387.04 kWh
    forest = 2837 * 10_000 * 74 / 3600 / 3
    # water: 1.355 m × 10,000 m² = 13,550 m³; × 1000 kg/m³ × 2450 kJ/kg / 3600 = 9,221,527.8 kWh
    #        + 120 kWh/m³ × 13,550 m³ = 1,626,000 kWh  → 10,847,527.8 kWh
    water = 13_550 * 1000 * 2450 / 3600 + 120 * 13_550
    # items (transpiration, evaporation) stacked on the first axis; their sum is the service's quantity
    np.testing.assert_allclose(q, [[forest, 0.0], [0.0, water]])
    np.testing.assert_allclose(q.sum(axis=0), [forest, water])
    assert forest == pytest.approx(194_387.04, rel=1e-7)
    assert water == pytest.approx(10_847_527.8, rel=1e-7)


@pytest.mark.parametrize("sid", ["carbon_sequestration", "oxygen_release", "water_conservation", "climate_regulation"])
def test_physical_has_declared_dimension(sid):
    """Called with pint quantities in the declared units, the result has the declared dimension."""
    cls = get(sid)
    args = {p.name: Q_(np.array([1.0, 2.0]), p.unit) for p in cls.spec.params}
    q = cls.physical(area=Q_(np.array([1.0, 2.0]), "m**2"), **args)
    assert q.dimensionality == Q_(1, cls.spec.quantity_unit).dimensionality


def test_counted_on_dask_arrays_is_counted_on_numpy_arrays():
    """``counted``'s one block function (issue 18) = its numpy rule: expr where mask > 0, 0 where the mask
    is 0, NaN where it is NaN; over an extra dim of the expression too."""
    import xarray as xr

    from gepcalc.services.base import counted

    mask = np.array([[1.0, 0.0, np.nan], [2.0, 0.0, 1.0]])
    expr = np.array([[[5.0, np.nan, 7.0], [1.0, 2.0, np.nan]], [[-1.0, 3.0, 4.0], [0.5, 0.25, 8.0]]])  # item, y, x
    want = np.array([[[5.0, 0.0, np.nan], [1.0, 0.0, np.nan]], [[-1.0, 0.0, np.nan], [0.5, 0.0, 8.0]]])
    m = xr.DataArray(mask, dims=("y", "x")).chunk({"x": 2})
    e = xr.DataArray(expr, dims=("item", "y", "x")).chunk({"x": 2})
    got = counted(m, e).transpose("item", "y", "x")
    np.testing.assert_array_equal(got.values, want)
    np.testing.assert_array_equal(counted(mask, expr), want)
    np.testing.assert_array_equal(counted(m, 2.0).values, [[2.0, 0.0, np.nan], [2.0, 0.0, 2.0]])
    np.testing.assert_array_equal(counted(1.0, e).values, expr)
