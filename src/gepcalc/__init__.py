"""gepcalc — Gross Ecosystem Product (GEP, 生态系统生产总值) accounts.

Quick use::

    import gepcalc as gep
    acct = gep.account("landcover.tif", "regions.gpkg", inputs={"precipitation": "1430 mm/yr", ...},
                       year=2020, price_year=2020)
    acct.total("亿元"); acct.summary(); acct.table(); acct.to_excel("gep.xlsx")

or ``gep.demo.chunan_account()`` for the embedded Chun'an county demo.

The names below are imported on first use (PEP 562), so that ``import gepcalc`` and
``gepcalc --help`` do not load xarray, dask, GDAL and pint (docs/benchmarks.md). A new public
name goes into ``_LAZY`` (name → module), not into an ``import`` line here.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING

from gepcalc._version import __version__

#: public name → the module that defines it (a submodule where name and module coincide)
_LAZY: dict[str, str] = {
    "PerRegion": "gepcalc.inputs",
    "PerType": "gepcalc.inputs",
    "Q_": "gepcalc.units",
    "Raster": "gepcalc.inputs",
    "Scalar": "gepcalc.inputs",
    "TIDY_COLUMNS": "gepcalc.account",
    "Account": "gepcalc.account",
    "CoefficientTable": "gepcalc.tables",
    "Quantity": "gepcalc.units",
    "account": "gepcalc.account",
    "build_landscape": "gepcalc.landscape",
    "builtin_tables": "gepcalc.tables",
    "compensation": "gepcalc.compensation",  # a package you can call: gepcalc.compensation(...)
    "concat": "gepcalc.account",
    "demo": "gepcalc.demo",
    "errors": "gepcalc.errors",
    "load_profile": "gepcalc.profiles",
    "load_table": "gepcalc.tables",
    "project": "gepcalc.project",
    "regions": "gepcalc.regions",
    "seea": "gepcalc.seea",  # a module you can call: gepcalc.seea(opening, closing, ...) (SEEA EA tables)
    "services": "gepcalc.services",
    "ureg": "gepcalc.units",
    "validate": "gepcalc.preflight",
}

__all__ = [  # the same names as _LAZY, and the version
    "Q_",
    "TIDY_COLUMNS",
    "Account",
    "CoefficientTable",
    "PerRegion",
    "PerType",
    "Quantity",
    "Raster",
    "Scalar",
    "__version__",
    "account",
    "build_landscape",
    "builtin_tables",
    "compensation",
    "concat",
    "demo",
    "errors",
    "load_profile",
    "load_table",
    "project",
    "regions",
    "seea",
    "services",
    "ureg",
    "validate",
]


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'gepcalc' has no attribute {name!r}")
    mod = importlib.import_module(module)
    # a submodule named like the attribute is the attribute (gep.demo, gep.project, gep.seea …); the one
    # exception, gepcalc.account (module) vs account (function), is the property of _Package below
    value = mod if module == f"gepcalc.{name}" else getattr(mod, name)
    globals()[name] = value
    return value


class _Package(types.ModuleType):
    """``gepcalc.account`` is the function, although a submodule has the same name.

    The import system sets a package's attribute to each submodule it loads; with lazy names the
    submodule ``gepcalc.account`` may load first (``from gepcalc.account import Account``) and would
    hide the function. A property on the package's class wins over that and ignores the assignment.
    """

    @property
    def account(self):
        from gepcalc.account import account

        return account

    @account.setter
    def account(self, value) -> None:  # the import system's setattr(package, "account", submodule)
        pass


sys.modules[__name__].__class__ = _Package


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


if TYPE_CHECKING:  # for type checkers and IDEs: the same names, imported eagerly
    from gepcalc import demo, errors, project, regions, services
    from gepcalc.account import TIDY_COLUMNS, Account, account, concat
    from gepcalc.inputs import PerRegion, PerType, Raster, Scalar
    from gepcalc.landscape import build_landscape
    from gepcalc.preflight import validate
    from gepcalc.profiles import load_profile
    from gepcalc.tables import CoefficientTable, builtin_tables, load_table
    from gepcalc.units import Q_, Quantity, ureg
