"""gepcalc — Gross Ecosystem Product (GEP, 生态系统生产总值) accounts.

Quick use::

    import gepcalc as gep
    acct = gep.account("landcover.tif", "regions.gpkg", inputs={"precipitation": "1430 mm/yr", ...},
                       year=2020, price_year=2020)
    acct.total("亿元"); acct.summary(); acct.table(); acct.to_excel("gep.xlsx")

or ``gep.demo.chunan_account()`` for the embedded Chun'an county demo.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("gepcalc")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0+source"

from gepcalc import demo, errors, project, regions, services
from gepcalc.account import TIDY_COLUMNS, Account, account, concat
from gepcalc.landscape import build_landscape
from gepcalc.profiles import load_profile
from gepcalc.tables import CoefficientTable, builtin_tables, load_table
from gepcalc.units import Q_, Quantity, ureg

__all__ = [
    "Q_",
    "TIDY_COLUMNS",
    "Account",
    "CoefficientTable",
    "Quantity",
    "__version__",
    "account",
    "build_landscape",
    "builtin_tables",
    "concat",
    "demo",
    "errors",
    "load_profile",
    "load_table",
    "project",
    "regions",
    "services",
    "ureg",
]
