r"""Multi-year GEP: current and constant prices, growth, GEP/GDP and a change decomposition.

:func:`series` takes accounts of different years (each valued at the prices of its
``price_year``, normally its own year) and a price base year :math:`b`, and keeps for every
cell (service × item × region × ecosystem type × scenario × year) the quantity, the area and
the value at current and at constant prices:

.. math::

    V^{\mathrm{cur}}_t = V_t \, L_t / L_{p(t)}, \qquad V^{\mathrm{const}}_t = V_t \, L_b / L_{p(t)}

with :math:`L` the chain-linked price level (:mod:`gepcalc.deflators`) and :math:`p(t)` the
price year of the account of year :math:`t`.  :class:`Series` gives

* :meth:`Series.table`: GEP per year at current and constant prices, nominal and real growth
  against the previous year of the series, and GEP/GDP when GDP is given;
* :meth:`Series.by`: the same per category or service;
* :meth:`Series.decompose`: the change of constant-price value between two years split
  exactly into extent, condition and price effects (Shapley / Sun three-factor formula);
* :meth:`Series.to_excel` and :meth:`Series.plot`.

The formulas and gepcalc's choices are in ``docs/prices_and_years.md``.  Where it lives:
:mod:`gepcalc.series.build` (:func:`series`: accounts → current and constant prices, GDP),
:mod:`gepcalc.series.result` (:class:`Series`: tables, growth, Excel, plot),
:mod:`gepcalc.series.decomposition` (the extent/condition/price split); this module re-exports
their public names.
"""

from gepcalc.series.build import series
from gepcalc.series.decomposition import decompose_cells
from gepcalc.series.result import CELL_DIMS, GROUPS, HEADERS, Series

__all__ = ["CELL_DIMS", "GROUPS", "HEADERS", "Series", "decompose_cells", "series"]
