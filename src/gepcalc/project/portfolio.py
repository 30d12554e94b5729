"""A portfolio of projects over years: planned (appraisal) vs monitored ΔGEP per project and year.

Planned ΔGEP_t = f_t · ΔGEP_full from each project's appraisal.  Monitored ΔGEP is
entered (an amount per year), or computed from monitored data: an account of the
monitored state on the project's boundary minus the project's baseline account
(:func:`monitored_delta`), same price year and tables.  gap = monitored − planned.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pint

from gepcalc.account import Account, account
from gepcalc.errors import ConfigError, RegionError
from gepcalc.export import labelled, write_sheets
from gepcalc.io import read_toml
from gepcalc.project.amounts import parse_money
from gepcalc.project.definition import merge_overrides
from gepcalc.project.result import ProjectResult, project
from gepcalc.schema import PortfolioFile, validate
from gepcalc.units import factor


def monitored_delta(
    result: ProjectResult,
    *,
    landcover: Any = None,
    inputs: Mapping | None = None,
    tables: Mapping | None = None,
    overrides: Mapping | None = None,
    year: int | None = None,
) -> pint.Quantity:
    """Monitored ΔGEP [CNY/yr]: account of monitored data on the boundary − the project's baseline account.

    The monitored state starts from the with-project state and replaces what is
    given (land cover of the monitoring year, measured inputs, tables, overrides).
    """
    st = result.with_project
    kw = dict(st.kwargs)
    if landcover is not None:
        kw["landcover"] = landcover
    kw["inputs"] = {**kw.get("inputs", {}), **(inputs or {})}
    kw["tables"] = {**kw.get("tables", {}), **(tables or {})}
    kw["overrides"] = merge_overrides(kw.get("overrides") or {}, overrides or {})
    kw["scenario"] = "monitored"
    if year is not None:
        kw["year"] = year
    acct = account(**kw)
    return _minus_baseline(result, acct)


def _minus_baseline(result: ProjectResult, acct: Account) -> pint.Quantity:
    base = result.baseline.account
    if list(acct.data["region"].values) != list(base.data["region"].values):
        raise RegionError(
            f"the monitored account's regions {list(acct.data['region'].values)} are not the project's boundary "
            f"{list(base.data['region'].values)}; compute it with regions= the project boundary"
        )
    return acct.gep("CNY") - base.gep("CNY")


def _amount(value, result, unit: str, where: str) -> float:
    """A monitored ΔGEP in CNY/yr from a number (in ``unit``/yr), a string/Quantity, or an Account."""
    if isinstance(value, Account):
        return float(_minus_baseline(result, value).magnitude)
    return parse_money(value, unit, where)  # a number in ``unit``, or money (per year) with its unit


def portfolio(
    projects: Mapping[str, Any],
    monitored: Mapping[str, Mapping[int, Any]] | None = None,
    *,
    unit: str = "万元",
) -> pd.DataFrame:
    """Planned vs monitored ΔGEP per project and year, with the gap.

    Parameters
    ----------
    projects
        ``{name: ProjectResult}`` (or a PROJECT.toml path / dict, appraised here).
    monitored
        ``{name: {year: ΔGEP}}``; a ΔGEP is a number in ``unit``/yr, a string or Quantity with a
        money unit, or an :class:`~gepcalc.Account` of monitored data on the project's boundary.
    unit
        Money unit of the table (万元 by default).

    Returns
    -------
    pandas.DataFrame
        ``project, year, planned, monitored, gap`` (= monitored − planned) [``unit``/yr, named in
        ``df.attrs["units"]``] and ``gap_share``; :func:`bilingual` makes the headers people read.
    """
    monitored = monitored or {}
    unknown = sorted(set(monitored) - set(projects))
    if unknown:
        raise ConfigError(f"monitored ΔGEP given for unknown project(s) {unknown}; projects: {sorted(projects)}")
    f = factor("CNY", unit)
    rows = []
    for name, res in projects.items():
        if not isinstance(res, ProjectResult):
            res = project(res, uncertainty=False)
        planned = res.schedule.effect() * float(res.gep_change("CNY").magnitude)
        mon = monitored.get(name, {})
        for y in mon:
            if int(y) not in planned.index:
                raise ConfigError(
                    f"project {name!r}: monitored year {y} is outside its appraisal horizon "
                    f"{planned.index[0]}–{planned.index[-1]}"
                )
        mon = {int(y): _amount(v, res, unit, f"project {name!r}, monitored year {y}") for y, v in mon.items()}
        for y, p in planned.items():
            m = mon.get(int(y))
            rows.append(
                {
                    "project": name,
                    "year": int(y),
                    "planned": p * f,
                    "monitored": m * f if m is not None else float("nan"),
                    "gap": (m - p) * f if m is not None else float("nan"),
                    "gap_share": (m - p) / p if m is not None and p else float("nan"),
                }
            )
    df = pd.DataFrame(rows, columns=["project", "year", "planned", "monitored", "gap", "gap_share"])
    df.attrs["units"] = {c: f"{unit}/yr" for c in ("planned", "monitored", "gap")}
    return df


def load_portfolio(path: str | Path, *, progress: bool = False) -> tuple[dict, dict]:
    """Read a PORTFOLIO.toml: ``[[projects]]`` with ``name``, ``project`` (file) and ``[projects.monitored]``.

    A monitored year is an amount (``2027 = "120 万元"``) or monitored data
    (``2027 = { landcover = "lc_2027.tif" }``) turned into an account on the boundary
    (:func:`monitored_delta`).  Paths are relative to the portfolio file; the projects are
    appraised without uncertainty.

    Parameters
    ----------
    path
        The PORTFOLIO.toml file (format: ``docs/project.md``).
    progress
        Show progress bars while the projects' accounts compute.

    Returns
    -------
    tuple of dict
        ``(projects, monitored)`` for :func:`portfolio`: ``{name: ProjectResult}`` and
        ``{name: {year: amount or ΔGEP}}``.

    Raises
    ------
    gepcalc.errors.ConfigError
        An invalid file, an entry without ``name`` or ``project``, a repeated name, a
        monitored year that is not a year, or monitored data other than ``landcover``.
    """
    path = Path(path).resolve()
    raw = read_toml(path, "portfolio file", ConfigError)
    validate(PortfolioFile, raw, str(path))  # every entry checked before any project is appraised
    projects, monitored = {}, {}
    for p in raw["projects"]:
        name = str(p["name"])
        res = project(path.parent / p["project"], uncertainty=False, progress=progress)
        projects[name] = res
        mon = {}
        for y, v in p.get("monitored", {}).items():
            year = int(y)
            if isinstance(v, Mapping):
                mon[year] = monitored_delta(res, landcover=str((path.parent / v["landcover"]).resolve()), year=year)
            else:
                mon[year] = v
        monitored[name] = mon
    return projects, monitored


#: Chinese + English column headers of the portfolio table (:func:`bilingual` adds the units)
HEADERS = {
    "project": "项目 project",
    "year": "年份 year",
    "planned": "计划增量 planned ΔGEP",
    "monitored": "监测增量 monitored ΔGEP",
    "gap": "差额 gap",
    "gap_share": "差额比例 gap share",
}

#: sheet name of the portfolio workbook
SHEET = "portfolio 项目组合"


def bilingual(table: pd.DataFrame) -> pd.DataFrame:
    """The :func:`portfolio` table with Chinese + English headers, e.g. ``计划增量 planned ΔGEP [万元/yr]``.

    Parameters
    ----------
    table
        A table from :func:`portfolio` (its units in ``attrs["units"]``).

    Returns
    -------
    pandas.DataFrame
        The same table, columns renamed (:func:`gepcalc.export.labelled` with :data:`HEADERS`).
    """
    return labelled(table, headers=HEADERS)


def to_excel(table: pd.DataFrame, path: str | Path) -> Path:
    """Write a :func:`portfolio` table to a workbook: one sheet, bilingual headers, frozen header row.

    Parameters
    ----------
    table
        A table from :func:`portfolio`.
    path
        The .xlsx file to write (its folder is created).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    return write_sheets(Path(path), {SHEET: bilingual(table)}, max_width=50)
