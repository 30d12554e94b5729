"""Eco-compensation between regions (生态补偿): service flows from GEP and what is owed.

* :mod:`~gepcalc.compensation.graph`: the D8/MFD flow graph of the filled DEM;
* :mod:`~gepcalc.compensation.flows`: source × receiver matrices of a per-pixel supply
  routed down the DEM (first receiver and cumulative "through"), rows adding up to supply;
* :mod:`~gepcalc.compensation.sdr`: the sediment-delivery ratio on that graph;
* :mod:`~gepcalc.compensation.layers`: the account of the flow services, each quantity
  routed and valued at the source region's unit value;
* :mod:`~gepcalc.compensation.rules`: ``gep_flow``, ``water_quality_section``,
  ``opportunity_cost``; :mod:`~gepcalc.compensation.apply` checks a configured rule and
  applies it;
* :mod:`~gepcalc.compensation.config`: reading ``CONFIG.toml``;
* :func:`compensation` (:mod:`~gepcalc.compensation.run`): the account, the flows valued at
  its prices, the rules' amounts; ``to_excel`` / ``to_html`` (:mod:`~gepcalc.compensation.export`).

See ``docs/compensation.md``.
"""

from gepcalc.compensation.flows import OUTLET, FlowMatrices, flow_graph, flow_matrices
from gepcalc.compensation.rules import gep_flow, opportunity_cost, p_index, water_quality_section
from gepcalc.compensation.run import CompensationResult, compensation, load_config, run_config

__all__ = [
    "OUTLET",
    "CompensationResult",
    "FlowMatrices",
    "compensation",
    "flow_graph",
    "flow_matrices",
    "gep_flow",
    "load_config",
    "opportunity_cost",
    "p_index",
    "run_config",
    "water_quality_section",
]


class _CallableModule(__import__("types").ModuleType):
    """``gepcalc.compensation(...)`` calls :func:`compensation`; the package stays importable as a package."""

    def __call__(self, *args, **kwargs) -> CompensationResult:
        return compensation(*args, **kwargs)


__import__("sys").modules[__name__].__class__ = _CallableModule
