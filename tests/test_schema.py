"""Configs validated by schema (issue 12, point 4): every problem of a file at once, each naming its table and key."""

from __future__ import annotations

import pytest

from conftest import ROOT
from gepcalc.config import load_config
from gepcalc.errors import CoefficientTableError, ConfigError
from gepcalc.io import read_toml
from gepcalc.project.definition import load_project
from gepcalc.project.portfolio import load_portfolio
from gepcalc.project.uncertainty import parse_uncertainty
from gepcalc.schema import AccountFile, PortfolioFile, ProjectFile, validate
from gepcalc.tables import load_table

ACCOUNT_EXPECTED = (
    "['areas', 'chunks', 'ecosystems', 'inputs', 'items', 'landcover', 'landcover_classes', 'lines', 'methods', "
    "'missing', 'price_index', 'price_region', 'price_year', 'profile', 'region_field', 'region_name', 'regions', "
    "'scenario', 'services', 'title', 'year']"
)
INPUT_EXPECTED = "['name_en', 'name_zh', 'note', 'raster', 'region', 'source', 'unit', 'value', 'values']"


def test_every_problem_of_an_account_config_at_once(tmp_path):
    cfg = tmp_path / "account.toml"
    cfg.write_text(
        "[account]\n"
        'landcover = "lc.tif"\n'
        'year = "2020"\n'  # a text where a year is expected
        'landcovr_classes = "landcover_igbp"\n'  # a typo
        'missing = "skip"\n'  # not one of the two choices
        "[inputs.precipitation]\n"
        "value = 1430\n"  # no unit
        "[inputs.hot_days]\n"
        'raster = "hot.tif"\n'
        'untis = "d/yr"\n'  # a typo inside an input's table
        "[overrides]\n"
        "prices = 7.06\n"  # not a table of rows
        "[output]\n"
        'dri = "out"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as err:
        load_config(cfg)
    assert err.value.problems == [
        "[account] `year` must be a whole number (a year), got '2020'",
        "[account] `missing` must be 'error' or 'list', got 'skip'",
        "unknown key(s) ['landcovr_classes'] in [account] (did you mean 'landcovr_classes' → 'landcover_classes'?); "
        f"expected {ACCOUNT_EXPECTED}",
        "[inputs.precipitation] has a value but no `unit`",
        f"unknown key(s) ['untis'] in [inputs.hot_days] (did you mean 'untis' → 'unit'?); expected {INPUT_EXPECTED}",
        "[overrides.prices] must hold one table per row, e.g. [overrides.prices.<row>] with column = value lines "
        "(got 7.06)",
        "unknown key(s) ['dri'] in [output] (did you mean 'dri' → 'dir'?); expected ['csv', 'dir', 'xlsx']",
    ]
    text = str(err.value)
    assert text.startswith(f"{cfg}: 7 problems:\n  - [account] `year` must be a whole number")
    assert text.count("\n  - ") == 7


def test_one_problem_keeps_the_one_line_message(tmp_path):
    cfg = tmp_path / "a.toml"
    cfg.write_text('[account]\nlandcover = "lc.tif"\n[output]\ndri = "x"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(cfg)
    assert str(err.value) == (
        f"{cfg}: unknown key(s) ['dri'] in [output] (did you mean 'dri' → 'dir'?); expected ['csv', 'dir', 'xlsx']"
    )
    cfg.write_text("[account]\nyear = 2020\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"a\.toml: \[account\] needs `landcover = \"FILE\"`"):
        load_config(cfg)


def test_an_inputs_file_is_checked_and_named(tmp_path):
    (tmp_path / "inputs.toml").write_text(
        '[inputs.evapotranspiration]\nunit = "mm/yr"\nvalus = { forest = 800 }\n[sources.x]\nnote = "kept"\n',
        encoding="utf-8",
    )
    cfg = tmp_path / "a.toml"
    cfg.write_text('[account]\nlandcover = "lc.tif"\ninputs = "inputs.toml"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(cfg)
    # a rule across keys (one of value, raster, values) is reported with the unknown key
    assert str(err.value).startswith(f"{tmp_path / 'inputs.toml'}: 2 problems:\n")
    assert err.value.problems == [
        "unknown key(s) ['valus'] in [inputs.evapotranspiration] (did you mean 'valus' → 'values'?); "
        f"expected {INPUT_EXPECTED}",
        "[inputs.evapotranspiration] needs `value`, `raster` or `values` (with `unit`)",
    ]


def test_every_problem_of_a_project_at_once(tmp_path):
    spec = {
        "project": {"name": "p", "year": 2020.5},  # no boundary; a year with a fraction
        "schedule": {"start_year": 2025, "horizon": "20", "ramp": 3},
        "baseline": {"landcover_file": "lc.tif"},
        "with_project": {"inputs": 5},
        "eod": {"investment": 5, "monetised": {"carbon": {"service": "carbon_sequestration", "shares": 0.8}}},
        "financing": {"loan": {}, "loans": {"bank": {"share": 0.5, "rate": "3 %", "term": 10, "tenor": 10}}},
        "nothing": 1,
    }
    with pytest.raises(ConfigError) as err:
        load_project(spec, base=tmp_path)
    assert str(err.value).startswith("project dict: 11 problems:\n  - [project] needs `boundary")
    assert err.value.problems == [
        '[project] needs `boundary = "FILE"` (the project boundary polygon(s))',
        "[project] `year` must be a whole number (a year), got 2020.5",
        "[schedule] `horizon` must be a whole number, got '20'",
        "unknown key(s) ['ramp'] in [schedule] (did you mean 'ramp' → 'ramp_up'?); expected ['base_year', "
        "'construction', 'cumulative', 'discount_rate', 'horizon', 'ramp_up', 'start_year', 'timing']",
        "unknown key(s) ['landcover_file'] in [baseline] (did you mean 'landcover_file' → 'landcover'?); "
        "expected ['inputs', 'landcover', 'overrides', 'tables']",
        "[with_project] `inputs` must be a file name or a table of inputs, got 5",
        "[eod.investment] must be a table (got 5)",
        "unknown key(s) ['shares'] in [eod.monetised.carbon] (did you mean 'shares' → 'share'?); "
        "expected ['kind', 'name_en', 'name_zh', 'note', 'price', 'service', 'share']",
        "unknown key(s) ['tenor'] in [financing.loans.bank] (did you mean 'tenor' → 'term'?); expected ['drawdown', "
        "'grace', 'idc', 'name_en', 'name_zh', 'note', 'rate', 'repayment', 'share', 'term']",
        "unknown key(s) ['loan'] in [financing] (did you mean 'loan' → 'loans'?); expected ['benchmark_rate', "
        "'bonds', 'capital', 'capital_benchmark', 'capital_share', 'depreciation_years', 'dscr_required', "
        "'economic', 'income_tax', 'loans', 'note', 'subsidies', 'unit']",
        "unknown key(s) ['nothing'] in the file's sections; expected ['baseline', 'eod', 'financing', 'output', "
        "'project', 'schedule', 'uncertainty', 'with_project']",
    ]


def test_uncertainty_section_of_a_project_is_checked_by_its_schema():
    spec = {"draw": 200, "seed": "7", "distribution": "triangular"}
    with pytest.raises(ConfigError) as err:
        parse_uncertainty(spec, "PROJECT.toml")
    assert err.value.problems == [
        "`seed` must be a whole number, got '7'",
        "unknown key(s) ['draw'] (did you mean 'draw' → 'draws'?); expected ['distribution', 'draws', "
        "'investment', 'physical', 'revenue', 'run', 'seed', 'sensitivity', 'tables']",
    ]
    assert parse_uncertainty({"draws": 200, "sensitivity": "15 %"}, "PROJECT.toml")["n"] == 200


def test_python_objects_pass_in_a_project_dict():
    class Frame:  # stands for a GeoDataFrame, a DataArray, a CoefficientTable
        pass

    spec = {
        "project": {"boundary": Frame(), "landcover_classes": Frame(), "services": ["carbon_sequestration", Frame]},
        "schedule": {"start_year": 2025, "horizon": 3},
        "baseline": {"landcover": Frame(), "inputs": {"dem": Frame(), "p": {"all": Frame()}}, "tables": {"x": Frame()}},
    }
    validate(ProjectFile, spec, "project dict")  # no error


def test_portfolio_entries_are_all_checked_before_any_project_runs(tmp_path):
    path = tmp_path / "PORTFOLIO.toml"
    path.write_text(
        '[[projects]]\nname = "east"\nproject = "missing/PROJECT.toml"\n'
        '[projects.monitored]\n2027 = true\n2028 = { landcovr = "lc.tif" }\n'
        '[[projects]]\nname = "west"\nprojet = "W.toml"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as err:  # not a FileNotFoundError of missing/PROJECT.toml: nothing was run
        load_portfolio(path)
    assert str(err.value).startswith(f"{path}: 5 problems:")
    assert err.value.problems == [
        "project 'east', monitored year '2027': must be an amount such as 500 or '500 万元', got True",
        "project 'east', monitored year '2028': monitored data needs `landcover = \"FILE\"` (or give an amount)",
        "project 'east', monitored year '2028': unknown key(s) ['landcovr'] (did you mean 'landcovr' → 'landcover'?); "
        "expected ['landcover']",
        "[[projects]] entry 2 has no `project` (its PROJECT.toml, relative to this file)",
        "unknown key(s) ['projet'] in [[projects]] entry 2 (did you mean 'projet' → 'project'?); "
        "expected ['monitored', 'name', 'project']",
    ]


@pytest.mark.parametrize(
    ("schema", "path"),
    [
        (AccountFile, "data/demo/chunan/account.toml"),
        (AccountFile, "data/demo/zhejiang/counties.toml"),
        (AccountFile, "data/demo/shenzhen2020/account.toml"),
        (ProjectFile, "data/demo/project/PROJECT.toml"),
        (PortfolioFile, "data/demo/project/PORTFOLIO.toml"),
    ],
)
def test_the_shipped_examples_fit_their_schema(schema, path):
    validate(schema, read_toml(ROOT / path, "example"), path)


def test_table_metadata_keys_are_checked_with_the_rest_of_the_table(tmp_path):
    csv = tmp_path / "price.csv"
    csv.write_text("item,price,source\nwater,6.11,std\n", encoding="utf-8")
    meta = {
        "name": "price",
        "index": "item",
        "index_kind": "item",
        "price_yaer": 2020,  # a typo: silently ignored before the schema
        "columns": {"price": {"unit": "CNY / m**3", "min": "0"}},  # a bound given as text
        "sources": {"std": {"document": "Standard", "year": 2008, "status": "primary", "clauses": "A.1"}},
    }
    with pytest.raises(CoefficientTableError) as err:
        load_table(csv, meta=meta)
    assert [str(e) for e in err.value.exceptions] == [
        "[columns.price] `min` must be a number, got '0'",
        "unknown key(s) ['clauses'] in [sources.std] (did you mean 'clauses' → 'clause'?); "
        "expected ['clause', 'document', 'note', 'status', 'url', 'year']",
        "unknown key(s) ['price_yaer'] in the metadata (did you mean 'price_yaer' → 'price_year'?); expected "
        "['columns', 'default_source', 'description', 'index', 'index_kind', 'name', 'price_year', 'sources', "
        "'title', 'title_zh']",
    ]
    assert str(err.value).startswith(f"coefficient table 'price' ({csv}) has 3 problem(s)")


def test_portfolio_rules_across_entries(tmp_path):
    path = tmp_path / "PORTFOLIO.toml"
    path.write_text(
        '[[projects]]\nname = "a"\nproject = "A.toml"\n[projects.monitored]\nsoon = "5 万元"\n'
        '[[projects]]\nname = "a"\nproject = "B.toml"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as err:
        load_portfolio(path)
    assert err.value.problems == [
        "[[projects]] entry 1 monitored year 'soon' is not a year",
        "project name 'a' appears twice in [[projects]]",
    ]
    path.write_text("projects = []\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_portfolio(path)
    assert str(err.value) == f"{path}: needs [[projects]] entries (each with `name` and `project`)"
