"""HTML reports: the county account report and the shared machinery of every gepcalc report.

One page template (``templates/report.html.j2``, jinja2) and one stylesheet (``templates/report.css``)
serve the county account (:func:`write_html`, ``Account.to_html``, ``gepcalc account … --html``) and the
project report (:mod:`gepcalc.project.report`).  Charts are SVG whose text is ``<text>`` drawn by the
browser, so Chinese labels display with the reader's fonts (no CJK font is needed on the machine that
writes the report, and none is embedded); every label is bilingual (中文 English).  Axis numbers are
written out in the unit named on the axis (万元, 亿元), never with a separate ×10ⁿ multiplier.

The value map spreads the account's region × ecosystem values over their pixels by area
(:func:`gepcalc.maps.spread_by_area`) and shows them per km², cropped to the regions, with their
outlines, a scale bar and a north arrow.

Modules:

* :mod:`~gepcalc.report.page`: the page (template, stylesheet), sections, tables, figures;
* :mod:`~gepcalc.report.charts`: SVG bars, columns and lines, histograms;
* :mod:`~gepcalc.report.maps`: the SVG value map;
* :mod:`~gepcalc.report.labels`: numbers and bilingual labels as text;
* :mod:`~gepcalc.report.county`: the county account report's sections and :func:`write_html`.
"""

from gepcalc.report.charts import NEG, PALETTE, POS, svg_bars, svg_histogram, svg_xy
from gepcalc.report.county import CATEGORIES, account_sections, write_html
from gepcalc.report.labels import nice_ticks, number
from gepcalc.report.maps import map_from_values, svg_map
from gepcalc.report.page import Section, css, figure, img, render_page, table_html

__all__ = [
    "CATEGORIES",
    "NEG",
    "PALETTE",
    "POS",
    "Section",
    "account_sections",
    "css",
    "figure",
    "img",
    "map_from_values",
    "nice_ticks",
    "number",
    "render_page",
    "svg_bars",
    "svg_histogram",
    "svg_map",
    "svg_xy",
    "table_html",
    "write_html",
]
