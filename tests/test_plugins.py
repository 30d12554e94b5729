"""Outside services plug in through the entry-point group or at run time."""

import sys
import textwrap

import pytest

import gepcalc as gep
from conftest import SMALL_INPUTS, SMALL_OVERRIDES
from gepcalc import services
from gepcalc.errors import ServiceError
from gepcalc.services import Param, Reference, Service, ServiceSpec


class PestControl(Service):
    """Toy outside service: 375 CNY/ha of forest (the guide's forest pest-control cost)."""

    spec = ServiceSpec(
        id="toy_pest_control",
        name_zh="病虫害控制(测试)",
        name_en="Pest control (test)",
        category="regulating",
        quantity_unit="ha / yr",
        quantity_name="forest area",
        params=(Param("included", "dimensionless", "forest only", kinds=("per_ecosystem",)),),
        value_params=(Param("price", "CNY / ha", "control cost"),),
        references=(Reference("test", year=2020),),
    )

    @staticmethod
    def physical(area, included):
        return included * area * 1e-4  # m² → ha, the factor written out for the test


def test_register_at_run_time_and_see_it_in_an_account(small_lc):
    services.register(PestControl)
    try:
        acct = gep.account(
            small_lc,
            inputs={
                **SMALL_INPUTS,
                "included": {"forest": 1, "grassland": 0, "farmland": 0, "urban": 0, "water": 0},
                "price": "375 CNY/ha",
            },
            services=["toy_pest_control"],
            overrides=SMALL_OVERRIDES,
            region_name="county",
        )
        # 5 ha of forest × 375 CNY/ha = 1,875 CNY
        assert acct.gep("CNY").magnitude == pytest.approx(1875.0)
        with pytest.raises(ServiceError, match="already registered"):
            services.register(PestControl)
    finally:
        services.unregister("toy_pest_control")


def test_installed_entry_point_is_discovered(tmp_path, monkeypatch):
    """A package that declares [project.entry-points."gepcalc.services"] is found like a built-in."""
    pkg = tmp_path / "gep_toy"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(
        textwrap.dedent("""
        from gepcalc.services import Param, Reference, Service, ServiceSpec

        class Toy(Service):
            spec = ServiceSpec(id="toy_area", name_zh="面积", name_en="Area", category="cultural",
                               quantity_unit="m**2 / yr", quantity_name="area",
                               params=(), value_params=(Param("price", "CNY / m**2", "price"),),
                               references=(Reference("test", year=2026),))

            @staticmethod
            def physical(area):
                return area
    """)
    )
    dist = tmp_path / "gep_toy-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: gep-toy\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[gepcalc.services]\ntoy_area = gep_toy:Toy\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    services.refresh()
    try:
        assert "toy_area" in services.available()
        assert services.get("toy_area").spec.category == "cultural"
    finally:
        sys.modules.pop("gep_toy", None)
        monkeypatch.undo()
        services.refresh()
    assert "toy_area" not in services.available()


def test_invalid_service_is_refused_with_all_problems():
    class Bad(Service):
        spec = ServiceSpec(
            id="Bad-Id",
            name_zh="",
            name_en="x",
            category="magic",
            quantity_unit="m**3 / yr",
            quantity_name="x",
            params=(),
            value_params=(Param("price", "CNY / kg", "p"),),
            references=(),
        )

        @staticmethod
        def physical(area, extra):
            return area

    with pytest.raises(ServiceError) as e:
        services.register(Bad)
    msg = str(e.value)
    for part in ("lower_snake_case", "category 'magic'", "name_zh", "reference", "physical() takes"):
        assert part in msg

    class NoPhysical(Service):
        spec = PestControl.spec

    with pytest.raises(ServiceError, match=r"physical\(\) is missing"):
        services.register(NoPhysical)
    with pytest.raises(ServiceError, match="no service 'nope'"):
        services.get("nope")
