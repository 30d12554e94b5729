"""Project reports: an Excel workbook (Chinese + English headers) and a self-contained HTML report.

The page, its stylesheet and its charts are the county report's (:mod:`gepcalc.report`): SVG charts
and map whose text the browser draws, so Chinese labels use the reader's fonts; one file that opens
offline.  ``map_png`` draws the change map as a PNG file for ``write_maps`` (matplotlib, English labels).

Modules: :mod:`~gepcalc.project.report.tables` (bilingual headers, number formats, the tables
workbook and page share), :mod:`~gepcalc.project.report.bank` (the bank summary and the risks),
:mod:`~gepcalc.project.report.workbook` (the sheets, :func:`write_excel`),
:mod:`~gepcalc.project.report.charts` (SVG charts, change maps, the PNG map),
:mod:`~gepcalc.project.report.page` (the HTML page, :func:`write_html`).  This package only
re-exports their public names.
"""

from __future__ import annotations

from gepcalc.project.report.bank import bank_summary, risks
from gepcalc.project.report.charts import (
    CHART_UNITS,
    change_map,
    chart_annual,
    chart_cash,
    chart_cumulative,
    chart_dscr,
    chart_mc,
    chart_services,
    chart_tornado,
    map_png,
)
from gepcalc.project.report.page import html_table, write_html
from gepcalc.project.report.tables import FIN_HEADERS, HEADERS, eod_inputs, financing_plan
from gepcalc.project.report.workbook import sheets, write_excel

__all__ = [
    "CHART_UNITS",
    "FIN_HEADERS",
    "HEADERS",
    "bank_summary",
    "change_map",
    "chart_annual",
    "chart_cash",
    "chart_cumulative",
    "chart_dscr",
    "chart_mc",
    "chart_services",
    "chart_tornado",
    "eod_inputs",
    "financing_plan",
    "html_table",
    "map_png",
    "risks",
    "sheets",
    "write_excel",
    "write_html",
]
