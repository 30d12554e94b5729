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

from gepcalc.account import Account
from gepcalc.errors import ConfigError, RegionError
from gepcalc.project.definition import merge_overrides
from gepcalc.units import factor, magnitude_in


def monitored_delta(
    result,
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
    from gepcalc.account import account

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


def _minus_baseline(result, acct: Account) -> pint.Quantity:
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
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) * factor(f"{unit} / yr", "CNY / yr")
    try:
        return magnitude_in(value, "CNY / yr", where=where)
    except Exception:
        try:
            return magnitude_in(value, "CNY", where=where)
        except Exception as exc:
            raise ConfigError(f"{where}: {value!r} is not a ΔGEP such as '120 万元' ({exc})") from None


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
        project, year, planned, monitored, gap (= monitored − planned) [unit/yr] and gap share.
    """
    from gepcalc.project.result import ProjectResult, project

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
                    f"planned ΔGEP [{unit}/yr]": p * f,
                    f"monitored ΔGEP [{unit}/yr]": m * f if m is not None else float("nan"),
                    f"gap [{unit}/yr]": (m - p) * f if m is not None else float("nan"),
                    "gap share": (m - p) / p if m is not None and p else float("nan"),
                }
            )
    return pd.DataFrame(rows)


def load_portfolio(path: str | Path) -> tuple[dict, dict]:
    """Read a PORTFOLIO.toml: ``[[projects]]`` with ``name``, ``project`` (file) and ``[projects.monitored]``.

    A monitored year is an amount (``2027 = "120 万元"``) or monitored data
    (``2027 = { landcover = "lc_2027.tif" }``) turned into an account on the boundary.
    Returns ``(projects, monitored)`` for :func:`portfolio`.
    """
    from gepcalc.io import read_toml
    from gepcalc.project.result import project

    path = Path(path).resolve()
    raw = read_toml(path, "portfolio file", ConfigError)
    projects, monitored = {}, {}
    for i, p in enumerate(raw.get("projects", [])):
        if "name" not in p or "project" not in p:
            raise ConfigError(f"{path}: [[projects]] entry {i + 1} needs `name` and `project` (a PROJECT.toml)")
        res = project(path.parent / p["project"], uncertainty=False)
        projects[p["name"]] = res
        mon = {}
        for y, v in dict(p.get("monitored", {})).items():
            if isinstance(v, Mapping):
                lc = v.get("landcover")
                mon[int(y)] = monitored_delta(
                    res, landcover=str((path.parent / lc).resolve()) if lc else None, year=int(y)
                )
            else:
                mon[int(y)] = v
        monitored[p["name"]] = mon
    return projects, monitored
