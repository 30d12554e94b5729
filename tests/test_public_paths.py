"""Modules split into packages keep their public names where they were (issue 12, point 1).

``tables``, ``schema``, ``resolve``, ``uncertainty``, ``lines``, ``series``, ``seea``, ``deflators``,
``project.finance``, ``project.report``, ``report``, ``cli`` and ``compensation.run`` were split by
responsibility; every name they exported stays importable from the old path.
"""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from gepcalc._version import __version__

PUBLIC = {
    "gepcalc.cli": ["app", "console", "main", "show_account", "show_portfolio", "show_project", "tables"],
    "gepcalc.compensation.run": ["CompensationResult", "Layer", "compensation", "load_config", "run_config"],
    "gepcalc.deflators": [
        "CURRENT",
        "DEFAULT_TABLE",
        "NATIONAL",
        "REGION_SEP",
        "Repriced",
        "TableLike",
        "constant_prices",
        "from_mapping",
        "level",
        "money_columns",
        "price_factor",
        "price_years",
        "regional",
        "reprice",
        "row_region",
        "used_levels",
    ],
    "gepcalc.lines": [
        "LINE_COLUMNS",
        "LINE_KEY",
        "LinesLand",
        "ORIGINS",
        "PARAM_COLUMNS",
        "REQUIRED",
        "UNALLOCATED",
        "ValuedLines",
        "allocation_weights",
        "as_frame",
        "canonical_columns",
        "column_values",
        "compare_reported",
        "expected_dimension",
        "item_unit",
        "line_arrays",
        "provenance",
        "quantity_unit",
        "read_frame",
        "read_lines",
        "refuse_duplicates",
        "refuse_value_only_in_rules",
        "rule_values",
        "value_lines",
        "without_thousands",
    ],
    "gepcalc.project.definition": ["Project", "Scenario", "load_project", "parse_rate", "parse_schedule"],
    "gepcalc.project.eod": ["cash_flow", "ecological_benefit", "indicators", "parse_eod", "parse_flow", "parse_money"],
    "gepcalc.project.finance": [
        "Appraisal",
        "Debt",
        "Economic",
        "Financing",
        "Flows",
        "NoIRRError",
        "SENS_KEYS",
        "Subsidy",
        "appraise",
        "irr",
        "loan_schedule",
        "npv_at",
        "parse_financing",
        "sensitivity",
        "switching_values",
        "variant",
    ],
    "gepcalc.project.report": [
        "FIN_HEADERS",
        "HEADERS",
        "bank_summary",
        "change_map",
        "eod_inputs",
        "financing_plan",
        "map_png",
        "risks",
        "sheets",
        "write_excel",
        "write_html",
    ],
    "gepcalc.project.uncertainty": [
        "Coefficient",
        "MonteCarlo",
        "declared_ranges",
        "draw_factors",
        "finance_mc_stats",
        "finance_monte_carlo",
        "monte_carlo",
        "parse_uncertainty",
        "sensitivity",
    ],
    "gepcalc.report": [
        "Section",
        "account_sections",
        "figure",
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
    ],
    "gepcalc.resolve": ["arguments", "check_input_names", "resolve", "resolve_param", "resolve_regional", "user_value"],
    "gepcalc.schema": [
        "AccountFile",
        "AccountSection",
        "ColumnMeta",
        "DebtSection",
        "EODSection",
        "EconomicSection",
        "FileSchema",
        "FinancingSection",
        "InputTable",
        "InputsFile",
        "MonetisedSection",
        "MonitoredData",
        "OutputSection",
        "PortfolioEntry",
        "PortfolioFile",
        "ProjectFile",
        "ProjectSection",
        "ScenarioSection",
        "ScheduleSection",
        "Section",
        "SourceMeta",
        "SubsidySection",
        "TableMeta",
        "Text",
        "Year",
        "check",
        "config_error",
        "problems",
        "validate",
    ],
    "gepcalc.seea": [
        "CONDITION_INPUTS",
        "DEFAULT_USE",
        "ECONOMIC_UNITS",
        "SEEA_SERVICE",
        "SeeaTables",
        "annuity_factor",
        "asset_account",
        "change_matrix",
        "condition_account",
        "extent_account",
        "seea",
        "supply_tables",
        "use_shares",
        "use_table",
    ],
    "gepcalc.series": ["CELL_DIMS", "GROUPS", "HEADERS", "Series", "decompose_cells", "series"],
    "gepcalc.tables": [
        "COLUMN_TYPES",
        "CoefficientTable",
        "Column",
        "EMPTY",
        "HEADER_UNIT",
        "INDEX_KINDS",
        "SOURCE_STATUSES",
        "STATUS_ORDER",
        "Source",
        "builtin_tables",
        "coefficients_dir",
        "load_table",
        "lookup_array",
        "sources_report",
        "status_counts",
        "table_summary",
    ],
    "gepcalc.uncertainty": [
        "AccountUncertainty",
        "BATCH_VALUES",
        "Engine",
        "LINEARITY",
        "QUANTILES",
        "Use",
        "attach",
        "coefficient_table",
        "linearity",
        "monte_carlo",
        "one_at_a_time",
        "ranged_coefficients",
        "sobol",
        "tornado",
    ],
}


@pytest.mark.parametrize("module", sorted(PUBLIC))
def test_public_names_keep_their_paths(module):
    mod = importlib.import_module(module)
    missing = [n for n in PUBLIC[module] if not hasattr(mod, n)]
    assert not missing, f"{module} lost {missing}"


def test_moved_objects_are_the_same():
    from gepcalc.project import amounts, definition, eod, finance, uncertainty
    from gepcalc.uncertainty import ranges

    assert definition.parse_rate is amounts.parse_rate and eod.parse_flow is amounts.parse_flow
    assert uncertainty.declared_ranges is ranges.declared_ranges
    assert uncertainty.finance_monte_carlo is finance.finance_monte_carlo


def test_seea_is_still_a_module_you_can_call():
    import gepcalc

    assert callable(gepcalc.seea)
    assert gepcalc.seea.annuity_factor(0.0, 20) == 20.0


def test_python_dash_m_gepcalc_cli_prints_the_version():
    out = subprocess.run(
        [sys.executable, "-m", "gepcalc.cli", "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == f"gepcalc {__version__}"
