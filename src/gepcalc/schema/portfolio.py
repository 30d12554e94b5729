"""Schema of a portfolio file (PORTFOLIO.toml): :class:`PortfolioFile` and its ``[[projects]]`` entries.

Read by :func:`gepcalc.project.portfolio.load_portfolio`, which loads each project itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from gepcalc.schema.base import FileSchema, Section
from gepcalc.schema.fields import Amount, File, Text, either, is_year


class MonitoredData(Section):
    """Monitored data of one year: the land cover surveyed (an account on the boundary − the baseline)."""

    landcover: File


class PortfolioEntry(Section):
    """``[[projects]]``: a project's name, its PROJECT.toml and monitored ΔGEP by year."""

    name: Text
    project: File
    monitored: dict[str, either(MonitoredData, Amount)] | None = None

    @classmethod
    def rules(cls, raw: Mapping) -> list[str]:
        mon = raw.get("monitored")
        return [
            f"monitored year {y!r} is not a year" for y in (mon if isinstance(mon, Mapping) else ()) if not is_year(y)
        ]


class PortfolioFile(FileSchema):
    """A PORTFOLIO.toml: :func:`gepcalc.project.portfolio.load_portfolio`."""

    HINTS: ClassVar[dict[tuple, str]] = {
        ("projects", "*", "name"): "has no `name` (the project's name)",
        ("projects", "*", "project"): "has no `project` (its PROJECT.toml, relative to this file)",
        (
            "projects",
            "*",
            "monitored",
            "*",
            "landcover",
        ): 'monitored data needs `landcover = "FILE"` (or give an amount)',
        ("projects",): "needs [[projects]] entries (each with `name` and `project`)",
    }

    projects: list[PortfolioEntry]

    @classmethod
    def rules(cls, raw: Mapping) -> list[str]:
        entries = raw.get("projects")
        if not isinstance(entries, list):
            return []  # missing or not a list: pydantic says so
        if not entries:
            return ["needs [[projects]] entries (each with `name` and `project`)"]
        names = [str(p["name"]) for p in entries if isinstance(p, Mapping) and "name" in p]
        return [
            f"project name {n!r} appears twice in [[projects]]"
            for n in sorted({n for n in names if names.count(n) > 1})
        ]

    @classmethod
    def label(cls, loc: tuple, raw: Any) -> str | None:
        if len(loc) >= 4 and loc[0] == "projects" and loc[2] == "monitored":
            try:
                name = raw["projects"][loc[1]]["name"]
            except (KeyError, IndexError, TypeError):
                name = f"entry {loc[1] + 1}"
            return f"project {name!r}, monitored year {loc[3]!r}"
        return None
