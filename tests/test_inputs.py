"""Typed inputs (gepcalc.inputs, issue 12 point 3): the same account from the typed and the plain forms."""

from __future__ import annotations

import numpy as np
import pytest

import gepcalc as gep
from conftest import SMALL_CODES, SMALL_INPUTS, SMALL_OVERRIDES, SMALL_SERVICES, write_raster
from gepcalc.errors import InputTypeError
from gepcalc.inputs import PerRegion, PerType, Raster, Scalar, parse


def run(lc, inputs, **kw):
    return gep.account(
        lc,
        region_name="county",
        inputs=inputs,
        services=kw.pop("services", SMALL_SERVICES),
        overrides=SMALL_OVERRIDES,
        **kw,
    )


def test_plain_forms_parse_to_the_typed_ones(tmp_path):
    where = "input 'x'"
    assert parse("1430 mm/yr", where) == Scalar("1430 mm/yr")
    assert parse({"raster": "p.tif", "unit": "mm/yr"}, where) == Raster("p.tif", "mm/yr")
    assert parse({"unit": "mm/yr", "values": {"forest": 800}}, where) == PerType({"forest": 800}, "mm/yr")
    assert parse({"forest": "800 mm/yr", "note": "n"}, where) == PerType({"forest": "800 mm/yr"})
    assert parse({"landcover": "lc2.tif"}, where) == PerType({}, None, landcover="lc2.tif")
    assert parse({"all": "1 m**3"}, where, per_region=True) == PerRegion({"all": "1 m**3"})
    typed = Scalar("1 mm/yr")
    assert parse(typed, where) is typed


def test_typed_and_plain_inputs_give_the_same_account(small_lc, tmp_path):
    rain = write_raster(tmp_path / "rain.tif", np.full(SMALL_CODES.shape, 1400.0, "float32"))
    plain = run(small_lc, {**SMALL_INPUTS, "precipitation": {"raster": str(rain), "unit": "mm/yr"}})
    typed = run(
        small_lc,
        {
            "precipitation": Raster(rain, "mm/yr"),
            "evapotranspiration": PerType({"forest": 800, "grassland": 600}, "mm/yr"),
            "hot_days": Scalar("74 d/yr"),
            "evaporation_water": Scalar("1355 mm/yr"),
        },
    )
    assert typed.gep().magnitude == plain.gep().magnitude > 0


def test_per_region_typed(small_lc):
    inputs = {"flood_regulation.reservoir_capacity": PerRegion({"all": 2.0}, "亿m**3")}
    acct = gep.account(
        small_lc,
        region_name="county",
        inputs=inputs,
        services=["flood_regulation"],
        items={"flood_regulation": ["reservoir"]},
        overrides={"prices": SMALL_OVERRIDES["prices"]},
    )
    # 2 亿m³ × the table's reservoir flood share, valued at 6.11 CNY/m³ (the test's price)
    share = acct.sources.query("parameter == 'reservoir_flood_share'")["value"].astype(float).iloc[0]
    assert float(acct.data["quantity"].sum()) == pytest.approx(2e8 * share)


@pytest.mark.parametrize("bad", [[1400, 1500], True, ("1400 mm/yr",)])
def test_a_value_of_no_form_is_an_input_type_error_naming_the_parameter(small_lc, bad):
    with pytest.raises(InputTypeError, match=r"input 'precipitation' of service 'water_conservation': cannot use a"):
        run(small_lc, {**SMALL_INPUTS, "precipitation": bad})
    assert issubclass(InputTypeError, TypeError)


def test_a_per_region_value_for_a_pixel_parameter_is_a_type_error(small_lc):
    with pytest.raises(InputTypeError, match="is not given per region"):
        run(small_lc, {**SMALL_INPUTS, "precipitation": PerRegion({"all": "1400 mm/yr"})})
