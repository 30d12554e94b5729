"""gepcalc.validate: every problem of an account's configuration at once, before the computation."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import gepcalc as gep
from conftest import SMALL_CODES, SMALL_INPUTS, SMALL_OVERRIDES, SMALL_SERVICES, write_raster
from gepcalc.config import load_config
from gepcalc.demo import chunan_config
from gepcalc.errors import ConfigError


def test_a_good_account_has_no_problem(small_lc):
    rep = gep.validate(
        small_lc, region_name="county", inputs=SMALL_INPUTS, services=SMALL_SERVICES, overrides=SMALL_OVERRIDES
    )
    assert rep.ok and not rep.problems and str(rep).startswith("no problems found")
    # the same keyword arguments compute the account
    gep.account(small_lc, region_name="county", inputs=SMALL_INPUTS, services=SMALL_SERVICES, overrides=SMALL_OVERRIDES)


def test_every_problem_is_reported_at_once(tmp_path):
    codes = SMALL_CODES.copy()
    codes[0, 0] = 77  # a code the IGBP table lacks
    lc = write_raster(tmp_path / "lc.tif", codes, nodata=255)
    inputs = {**SMALL_INPUTS, "precipitation": "-3 mm/yr", "hot_days": "400 d/yr", "precipitaton": "1 mm/yr"}
    overrides = copy.deepcopy(SMALL_OVERRIDES)
    overrides["water_conservation"]["forrest"] = {"runoff_coefficient": 0.2}
    rep = gep.validate(
        lc, region_name="county", inputs=inputs, services=[*SMALL_SERVICES, "nonexistent"], overrides=overrides
    )
    got = {(p.stage, p.error) for p in rep.problems}
    assert got == {
        ("services", "ServiceError"),
        ("inputs", "ConfigError"),
        ("tables", "TableProblem"),
        ("land cover", "UnmappedClassError"),
    }, str(rep)
    text = str(rep)
    assert text.startswith("4 problem(s):")
    assert "'nonexistent'" in text and "did you mean 'precipitation'" in text and "did you mean 'forest'" in text
    assert "land-cover codes 77 (1 pixels)" in text
    with pytest.raises(ConfigError, match="4 problem"):
        rep.raise_if_any()


def test_parameter_problems_of_every_service(small_lc):
    inputs = {k: v for k, v in SMALL_INPUTS.items() if k != "evapotranspiration"}
    inputs |= {"precipitation": "-3 mm/yr", "hot_days": "400 d/yr"}
    rep = gep.validate(
        small_lc, region_name="county", inputs=inputs, services=SMALL_SERVICES, overrides=SMALL_OVERRIDES
    )
    assert [(p.subject, p.error) for p in rep.problems] == [
        ("water_conservation.precipitation", "ImplausibleInputError"),
        ("water_conservation.evapotranspiration", "MissingInputError"),
        ("climate_regulation.hot_days", "ImplausibleInputError"),
    ]
    # with missing="list" a missing input is what the account would list as not computed: a note
    listed = gep.validate(
        small_lc,
        region_name="county",
        inputs=inputs,
        services=SMALL_SERVICES,
        overrides=SMALL_OVERRIDES,
        missing="list",
    )
    assert [p.subject for p in listed.problems] == ["water_conservation.precipitation", "climate_regulation.hot_days"]
    assert any(n.startswith("not computed: water_conservation.evapotranspiration") for n in listed.notes)


def test_the_demo_config_validates():
    kwargs, _ = load_config(chunan_config())
    rep = gep.validate(**kwargs)
    assert rep.ok, str(rep)
    assert any(n.startswith("not computed:") for n in rep.notes)  # the demo lists what it cannot compute


def test_raster_holes_are_noted(small_lc, tmp_path):
    p = np.full(SMALL_CODES.shape, 1400.0, "float32")
    p[0, 0] = -1.0
    path = write_raster(tmp_path / "gappy.tif", p, nodata=-1.0)
    inputs = {**SMALL_INPUTS, "precipitation": {"raster": str(path), "unit": "mm/yr"}}
    rep = gep.validate(
        small_lc, region_name="county", inputs=inputs, services=SMALL_SERVICES, overrides=SMALL_OVERRIDES
    )
    assert any("gappy.tif has no value on 1 accounted pixels" in n for n in rep.notes)


def test_cli_validate_and_account_report_every_problem(tmp_path, small_lc, halves):
    from typer.testing import CliRunner

    from gepcalc.cli import app
    from test_cli import write_config

    runner = CliRunner()
    cfg = write_config(tmp_path, small_lc, halves)
    res = runner.invoke(app, ["validate", str(cfg)])
    assert res.exit_code == 0 and "no problems found" in res.output, res.output
    text = cfg.read_text(encoding="utf-8").replace('precipitation = "1400 mm/yr"', 'precipitation = "-1400 mm/yr"')
    text = text.replace("[overrides.water_conservation.forest]", "[overrides.water_conservation.forrest]")
    cfg.write_text(text, encoding="utf-8")
    res = runner.invoke(app, ["validate", str(cfg)])
    out = " ".join(res.output.split())  # rich wraps long lines
    assert res.exit_code == 2 and "2 problem(s)" in out, res.output
    assert "did you mean 'forest'?" in out and "-1400 mm / yr is outside the possible range" in out
    res = runner.invoke(app, ["account", str(cfg)])  # the account runs the same checks first
    assert res.exit_code == 2 and "2 problem(s)" in res.output and not (tmp_path / "out").exists()
