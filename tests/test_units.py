import pint
import pytest

from gepcalc.errors import GepcalcError, UnitError
from gepcalc.units import Q_, factor, magnitude_in, to_quantity


def test_money_round_trips():
    # 1 亿元 = 10^8 CNY, 1 万元 = 10^4 CNY
    assert Q_(2.6e11, "CNY").to("亿元").magnitude == pytest.approx(2600)
    assert Q_(2600, "亿元").to("CNY").magnitude == pytest.approx(2.6e11)
    assert Q_(1, "亿元").to("万元").magnitude == pytest.approx(1e4)
    assert Q_(3.5, "万元").to("CNY").to("万元").magnitude == pytest.approx(3.5)
    assert Q_("1 元").to("CNY").magnitude == 1


def test_area_round_trips():
    # 1 ha = 15 mu, 1 mu = 10000/15 m² = 666.67 m²
    assert Q_(1, "ha").to("mu").magnitude == pytest.approx(15)
    assert Q_(1, "亩").to("m**2").magnitude == pytest.approx(666.6667, rel=1e-6)
    assert Q_(4428, "km**2").to("mu").to("km**2").magnitude == pytest.approx(4428)


def test_factor_replaces_bare_powers_of_ten():
    assert factor("mm * m**2", "m**3") == pytest.approx(1e-3)
    assert factor("kJ", "kWh") == pytest.approx(1 / 3600)
    assert factor("t / ha * m**2", "t") == pytest.approx(1e-4)


def test_quantities_need_units_and_the_right_dimension():
    assert magnitude_in("1.5 m", "mm") == pytest.approx(1500)
    assert magnitude_in(3, "t/ha", default_unit="t/ha") == 3
    with pytest.raises(UnitError, match="has no unit"):
        to_quantity(3.0)
    with pytest.raises(UnitError, match="cannot be expressed in t / ha") as e:
        magnitude_in("2 kg", "t / ha", where="rate")
    assert isinstance(e.value, ValueError) and isinstance(e.value, GepcalcError)
    assert isinstance(to_quantity("2 t/km**2"), pint.Quantity)
