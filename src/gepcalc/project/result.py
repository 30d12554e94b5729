"""Running a project appraisal: :func:`project` → :class:`ProjectResult` (tables, maps, exports)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import pint
import xarray as xr

from gepcalc.io import write_bytes
from gepcalc.project import delta as dl
from gepcalc.project import eod as eodm
from gepcalc.project import finance as fm
from gepcalc.project.definition import Project, load_project
from gepcalc.project.maps import change_maps, write_geotiff
from gepcalc.project.report import bank_summary, map_png, write_excel, write_html
from gepcalc.project.schedule import npv
from gepcalc.project.uncertainty import MonteCarlo, monte_carlo, parse_uncertainty, sensitivity
from gepcalc.units import Q_, VALUE_UNIT, factor


class ProjectResult:
    """A project appraisal: both accounts, ΔGEP, schedule, EOD tables, uncertainty and maps.

    Money is held in CNY and shown in ``unit`` (default 万元).  ΔGEP "at full effect" is
    the yearly change once the project works fully [CNY/yr]; the yearly ΔGEP is that
    times the schedule's effect fraction f_t.

    Attributes
    ----------
    project : Project
        The definition.
    baseline, with_project : State
        The two computed states (``.account`` is a :class:`gepcalc.Account`).
    delta : xarray.Dataset
        with − baseline by service, item, region, ecosystem (:func:`gepcalc.project.delta.difference`).
    eod : EOD or None
        Parsed ``[eod]`` section.
    sensitivity_table : pandas.DataFrame or None
        One-at-a-time sensitivity (after :meth:`run_sensitivity`).
    mc : MonteCarlo or None
        Monte Carlo draws (after :meth:`run_monte_carlo`).
    notes : list of str
        What the reader should know.
    """

    def __init__(self, project: Project, baseline: dl.State, with_project: dl.State, notes=()):
        self.project = project
        self.baseline = baseline
        self.with_project = with_project
        self.delta = dl.difference(baseline.account, with_project.account)
        self.schedule = project.schedule
        units = dict(zip(self.delta["service"].values, self.delta["quantity_unit"].values, strict=True))
        self.eod = eodm.parse_eod(project.eod, self.schedule, list(self.delta["service"].values), units, project.source)
        self.financing: fm.Financing | None = project.financing
        self.sensitivity_table: pd.DataFrame | None = None
        self.mc: MonteCarlo | None = None
        self.finance_sensitivity: pd.DataFrame | None = None
        self.finance_mc: pd.DataFrame | None = None
        self._appraisal: fm.Appraisal | None = None
        self._switching: pd.DataFrame | None = None
        self._maps: tuple[dict, dict] | None = None
        self.notes = list(dict.fromkeys([*notes, *baseline.account.notes, *with_project.account.notes]))

    def __repr__(self) -> str:
        return (
            f"<gepcalc ProjectResult {self.project.name!r}: ΔGEP {self.gep_change('万元').magnitude:,.2f} 万元/yr "
            f"at full effect, NPV {self.npv('万元').magnitude:,.2f} 万元 over "
            f"{self.schedule.years[0]}–{self.schedule.years[-1]} at {self.schedule.discount_rate:.2%}>"
        )

    # -- ΔGEP -------------------------------------------------------------------------------------------
    def service_totals(self) -> pd.Series:
        """ΔGEP at full effect per service [CNY/yr]."""
        return dl.service_totals(self.delta)

    def gep_change(self, unit: str = "CNY") -> pint.Quantity:
        """ΔGEP at full effect, summed over everything [unit/yr]."""
        return Q_(float(self.delta["value"].sum()), VALUE_UNIT).to(f"{unit} / yr")

    def by_service(self, unit: str = "万元") -> pd.DataFrame:
        """Per service and item: Δquantity with unit, baseline, with-project and Δ value [unit/yr].

        Machine columns with units in ``df.attrs["units"]`` (:func:`gepcalc.project.delta.by_service`).
        """
        return dl.by_service(self.delta, unit)

    def by(self, dim: str, unit: str = "万元") -> pd.DataFrame:
        """ΔGEP [unit/yr] by ``category``, ``ecosystem`` or ``region`` (:func:`gepcalc.project.delta.by`)."""
        return dl.by(self.delta, dim, unit)

    def annual(self, unit: str = "万元") -> pd.DataFrame:
        """Per year: phase, effect f_t, ΔGEP per service and total, discount factor, discounted, cumulative sums."""
        f = factor("CNY", unit)
        sched = self.schedule.table().set_index("year")
        per = self.service_totals()
        df = pd.DataFrame(index=sched.index)
        df["phase"] = sched["phase"]
        df["effect"] = sched["effect"]
        for s, v in per.items():
            df[s] = sched["effect"] * float(v) * f
        df["total"] = sched["effect"] * float(per.sum()) * f
        df["discount_factor"] = sched["discount_factor"]
        df["discounted"] = df["total"] * df["discount_factor"]
        df["cumulative"] = df["total"].cumsum()
        df["cumulative_discounted"] = df["discounted"].cumsum()
        df.attrs["unit"] = unit
        return df.reset_index()

    def cumulative(self, unit: str = "CNY") -> pint.Quantity:
        """Σ_t ΔGEP_t over the horizon (undiscounted) [unit]."""
        return Q_(float(self.gep_change().magnitude) * float(self.schedule.effect().sum()), "CNY").to(unit)

    def npv(self, unit: str = "CNY") -> pint.Quantity:
        """NPV of the ΔGEP: Σ_t f_t · ΔGEP · d_t [unit]."""
        return Q_(float(self.gep_change().magnitude) * self.schedule.annuity(), "CNY").to(unit)

    # -- EOD --------------------------------------------------------------------------------------------
    def cash_flow(self, unit: str = "万元") -> pd.DataFrame | None:
        """Yearly cash flow [unit] (investment, operating cost, revenues, monetised ΔGEP, net, cumulative)."""
        if self.eod is None:
            return None
        df = eodm.cash_flow(self.eod, self.schedule, self.service_totals(), dl.quantity_totals(self.delta))
        money = [c for c in df if c != "discount_factor"]
        df[money] = df[money] * factor("CNY", unit)
        return df.reset_index()

    def ecological_benefit(self, unit: str = "万元") -> pd.DataFrame:
        """Yearly ΔGEP [unit]: per service, total, market part (monetised shares), non-market rest."""
        df = eodm.ecological_benefit(self.schedule, self.service_totals(), self.eod)
        money = [c for c in df if c != "discount_factor"]
        df[money] = df[money] * factor("CNY", unit)
        return df.reset_index()

    def indicators(self) -> dict:
        """EOD appraisal figures in CNY (see :func:`gepcalc.project.eod.indicators`); {} without [eod]."""
        if self.eod is None:
            return {}
        cash = eodm.cash_flow(self.eod, self.schedule, self.service_totals(), dl.quantity_totals(self.delta))
        ben = eodm.ecological_benefit(self.schedule, self.service_totals(), self.eod)
        return eodm.indicators(cash, ben)

    # -- financing, loans and the bank's indicators --------------------------------------------------
    def finance_flows(self, delta_value: pd.Series | None = None) -> fm.Flows:
        """Investment, operating cost, revenue, monetised and non-market ΔGEP [CNY by year] for :mod:`finance`.

        ``delta_value`` replaces the full-effect ΔGEP per service [CNY/yr] (a Monte Carlo draw).
        """
        if self.eod is None:
            raise ValueError("the project has no [eod] section: no cash flows to appraise")
        dv = self.service_totals() if delta_value is None else delta_value
        f = self.schedule.effect()
        mon = eodm.monetised_flows(self.eod, f, dv, dl.quantity_totals(self.delta))
        zero = pd.Series(0.0, index=f.index)
        by_value = [mon[m.name] for m in self.eod.monetised if m.price is None]
        by_market = [mon[m.name] for m in self.eod.monetised if m.price is not None]
        ben = eodm.ecological_benefit(self.schedule, dv, self.eod)
        return fm.Flows(
            investment=self.eod.investment,
            operating_cost=self.eod.operating_cost,
            revenue=sum(self.eod.revenue.values(), zero),
            monetised_value=sum(by_value, zero),
            monetised_market=sum(by_market, zero),
            non_market=ben["non_market"],
        )

    def appraisal(self) -> fm.Appraisal | None:
        """Loan schedules, the three cash-flow tables, debt cover and indicators (None without [financing])."""
        if self.financing is None:
            return None
        if self._appraisal is None:
            self._appraisal = fm.appraise(self.finance_flows(), self.financing, self.schedule)
        return self._appraisal

    def _money(self, df: pd.DataFrame, unit: str, keep=("dscr", "icr")) -> pd.DataFrame:
        df = df.copy()
        money = [c for c in df.columns if c not in keep]
        df[money] = df[money] * factor("CNY", unit)
        return df.reset_index()

    def loan_schedules(self, unit: str = "万元") -> pd.DataFrame | None:
        """Every loan and bond by year [unit]: opening, drawdown, interest (capitalised, paid), principal, closing."""
        a = self.appraisal()
        if a is None:
            return None
        parts = [self._money(t, unit).assign(debt=name) for name, t in a.loans.items()]
        df = pd.concat(parts, ignore_index=True)
        return df[["debt", *[c for c in df.columns if c != "debt"]]]

    def investment_cash_flow(self, unit: str = "万元") -> pd.DataFrame | None:
        """项目投资现金流量表 [unit] (before financing; see :mod:`gepcalc.project.finance`)."""
        a = self.appraisal()
        return None if a is None else self._money(a.investment_cf, unit)

    def capital_cash_flow(self, unit: str = "万元") -> pd.DataFrame | None:
        """项目资本金现金流量表 [unit]."""
        a = self.appraisal()
        return None if a is None else self._money(a.capital_cf, unit)

    def financial_plan(self, unit: str = "万元") -> pd.DataFrame | None:
        """财务计划现金流量表 [unit] with the cumulative surplus."""
        a = self.appraisal()
        return None if a is None else self._money(a.plan_cf, unit)

    def debt_cover(self, unit: str = "万元") -> pd.DataFrame | None:
        """DSCR and ICR by year with their numerators and denominators [unit, 1]."""
        a = self.appraisal()
        return None if a is None else self._money(a.coverage, unit)

    def economic_flows(self, unit: str = "万元") -> pd.DataFrame | None:
        """Economic benefits and costs by year at the conversion factors [unit]."""
        a = self.appraisal()
        return None if a is None else self._money(a.economic, unit)

    def finance_indicators(self) -> dict:
        """FIRR, FNPV, payback, EIRR, ENPV, BCR, DSCR/ICR minima, self-balance [CNY, 1/yr, 1]; {} if no plan."""
        a = self.appraisal()
        return {} if a is None else dict(a.indicators)

    def switching_values(self) -> pd.DataFrame | None:
        """Change of investment, revenue, ΔGEP prices or delay that brings FIRR to the benchmark or DSCR min to 1."""
        if self.financing is None:
            return None
        if self._switching is None:
            self._switching = fm.switching_values(self.finance_flows(), self.financing, self.schedule)
        return self._switching

    def bank_summary(self, unit: str = "万元") -> pd.DataFrame | None:
        """The one-page bilingual summary a credit committee reads first (see :func:`report.bank_summary`)."""
        return None if self.financing is None else bank_summary(self, unit)

    def summary(self, unit: str = "万元") -> pd.DataFrame:
        """Key figures: ``name_zh``, ``name_en`` (their Chinese and English labels), ``value``, ``unit``.

        One row per figure, each with its own unit; :func:`gepcalc.export.labelled` with
        :data:`gepcalc.export.PROJECT_SUMMARY_HEADERS` makes the headers of the workbook and report.
        """
        f = factor("CNY", unit)
        s = self.schedule
        rows = [
            ("项目", "project", self.project.name, ""),
            ("评估期", "appraisal years", f"{s.years[0]}–{s.years[-1]}", ""),
            ("建设期", "construction years", ", ".join(map(str, s.construction_years)) or "-", ""),
            ("折现率", "discount rate", s.discount_rate, "1"),
            ("价格基准年", "price year", self.delta.attrs.get("price_year"), ""),
            ("满效年生态系统生产总值增量", "ΔGEP at full effect", float(self.gep_change(unit).magnitude), f"{unit}/a"),
            ("累计增量", "cumulative ΔGEP", float(self.cumulative(unit).magnitude), unit),
            ("增量净现值", "NPV of ΔGEP", float(self.npv(unit).magnitude), unit),
        ]
        ind = self.indicators()
        if ind:
            rows += [
                ("现金流入现值", "PV of inflows", ind["pv_inflow"] * f, unit),
                ("其中: 生态产品变现", "of which monetised ΔGEP", ind["pv_monetised"] * f, unit),
                ("投资与运营成本现值", "PV of investment + operating cost", ind["pv_outflow"] * f, unit),
                ("资金自平衡率", "fund self-balance ratio", ind["self_balance_ratio"], "1"),
                ("财务净现值", "financial NPV", ind["financial_npv"] * f, unit),
                ("静态投资回收期", "payback period", ind["payback_period"], "yr"),
                ("回收年份", "payback year", ind["payback_year"], ""),
                ("动态投资回收期", "discounted payback period", ind["discounted_payback_period"], "yr"),
                ("含非市场生态效益的净现值", "NPV incl. non-market ΔGEP", ind["npv_with_non_market"] * f, unit),
            ]
        fi = self.finance_indicators()
        if fi:
            rows += [
                ("项目投资财务内部收益率(税前)", "FIRR before tax", fi["firr_before_tax"], "1"),
                ("项目投资财务内部收益率(税后)", "FIRR after tax", fi["firr_after_tax"], "1"),
                ("资本金财务内部收益率", "FIRR on capital", fi["firr_capital"], "1"),
                ("财务基准收益率", "benchmark rate", fi["benchmark_rate"], "1"),
                ("项目投资财务净现值(税后)", "FNPV after tax", fi["fnpv_after_tax"] * f, unit),
                ("最低偿债备付率", "minimum DSCR", fi["dscr_min"], "1"),
                ("最低利息备付率", "minimum ICR", fi["icr_min"], "1"),
                ("资金自平衡率(融资后)", "fund self-balance ratio (financed)", fi["self_balance_financed"], "1"),
                ("经济内部收益率", "EIRR", fi["eirr"], "1"),
                ("经济净现值", "ENPV", fi["enpv"] * f, unit),
                ("效益费用比", "benefit-cost ratio", fi["bcr"], "1"),
            ]
        if self.mc is not None:
            st = self.mc.stats()
            for col, zh, en, u in (("total", "增量", "ΔGEP", f"{unit}/a"), ("npv", "净现值", "NPV", unit)):
                for q in ("mean", "P5", "P50", "P95"):
                    rows.append((f"蒙特卡洛 {zh} {q}", f"Monte Carlo {en} {q}", st.at[col, q] * f, u))
        return pd.DataFrame(rows, columns=["name_zh", "name_en", "value", "unit"])

    # -- uncertainty ------------------------------------------------------------------------------------
    def run_sensitivity(self, step: float = 0.1, tables=None) -> pd.DataFrame:
        """One-at-a-time sensitivity (:func:`~gepcalc.project.uncertainty.sensitivity`) into ``sensitivity_table``.

        With a ``[financing]`` plan also the financial sensitivity (investment, revenue, ΔGEP prices ±``step``,
        construction delays) into ``finance_sensitivity``.
        """
        self.sensitivity_table = sensitivity(
            self.baseline, self.with_project, self.schedule.annuity(), step=step, tables=tables
        )
        if self.financing is not None:
            self.finance_sensitivity = fm.sensitivity(self.finance_flows(), self.financing, self.schedule, step=step)
        return self.sensitivity_table

    def run_monte_carlo(
        self,
        n: int = 500,
        seed: int = 0,
        distribution: str = "triangular",
        physical: bool = False,
        tables=None,
        investment: float = 0.1,
        revenue: float = 0.1,
    ) -> MonteCarlo:
        """Seeded Monte Carlo over declared ranges (see :func:`gepcalc.project.uncertainty.monte_carlo`).

        With a ``[financing]`` plan each draw's ΔGEP also goes through the financial appraisal, with the
        investment and the revenues drawn within ±``investment`` and ±``revenue``
        (:func:`~gepcalc.project.finance.monte_carlo.finance_monte_carlo`) into ``finance_mc``.
        """
        self.mc = monte_carlo(
            self.baseline,
            self.with_project,
            self.schedule.annuity(),
            n=n,
            seed=seed,
            distribution=distribution,
            physical=physical,
            tables=tables,
        )
        if self.financing is not None:
            self.finance_mc = fm.finance_monte_carlo(
                self, self.mc, seed=seed, distribution=distribution, investment=investment, revenue=revenue
            )
        if self.mc.held:
            self.notes.append(
                "Monte Carlo held these physical coefficients at their values (set physical = true to draw them): "
                + ", ".join(self.mc.held)
            )
        return self.mc

    # -- maps -------------------------------------------------------------------------------------------
    def maps(self) -> dict[str, xr.DataArray]:
        """ΔGEP per pixel [CNY/yr] per service and ``total`` (lazy DataArrays, NaN outside the boundary)."""
        if self._maps is None:
            self._maps = change_maps(self.baseline, self.with_project)
        return self._maps[0]

    @property
    def maps_computed(self) -> bool:
        """Whether :meth:`maps` has been computed (reports list map methods only then)."""
        return self._maps is not None

    def map_methods(self) -> dict[str, str]:
        """How each service's map was made: ``per pixel`` or ``spread by area``."""
        self.maps()
        return self._maps[1]

    def write_maps(self, out_dir: str | Path, services: bool = True) -> list[Path]:
        """Write ``delta_gep_total.tif`` (and one per service) [CNY/yr per pixel] and ``delta_gep_total.png``."""
        out_dir = Path(out_dir)
        paths = []
        for k, da in self.maps().items():
            if k != "total" and not services:
                continue
            paths.append(write_geotiff(da, out_dir / f"delta_gep_{k}.tif"))
        png = out_dir / "delta_gep_total.png"
        write_bytes(png, map_png(self))
        paths.append(png)
        return paths

    # -- exports ----------------------------------------------------------------------------------------
    def to_excel(self, path: str | Path, unit: str = "万元") -> Path:
        """Write the appraisal workbook (summary, ΔGEP tables, yearly, cash flow, uncertainty, sources, notes)."""
        return write_excel(self, Path(path), unit)

    def to_html(self, path: str | Path, unit: str = "万元") -> Path:
        """Write a self-contained HTML report with charts and the change map (PNG embedded)."""
        return write_html(self, Path(path), unit)


def project(
    spec: str | Path | Mapping | Project,
    *,
    base: str | Path | None = None,
    progress: bool = False,
    uncertainty: bool | None = None,
) -> ProjectResult:
    """Appraise a project: baseline and with-project accounts on its boundary, ΔGEP, NPV, EOD tables.

    Parameters
    ----------
    spec
        PROJECT.toml path, a dict of the same shape, or a :class:`Project` (format: ``docs/project.md``).
    base
        Folder that relative paths of a dict refer to.
    progress
        Show progress bars while the accounts compute.
    uncertainty
        Run the sensitivity and Monte Carlo of ``[uncertainty]`` (default: when the section is present).

    Returns
    -------
    ProjectResult
        ``.by_service()``, ``.annual()``, ``.npv()``, ``.cash_flow()``, ``.summary()``, ``.maps()``,
        ``.to_excel()``, ``.to_html()``.

    Raises
    ------
    gepcalc.errors.GepcalcError
        ConfigError for a bad project file or schedule, GridMismatchError when the two land covers
        are on different grids, RegionError when the boundary lies outside the raster, and every
        error of :func:`gepcalc.account`.
    """
    proj = spec if isinstance(spec, Project) else load_project(spec, base=base)
    unc = parse_uncertainty(proj.uncertainty, proj.source)
    chunks = proj.account.get("chunks", True)
    lc = dl.check_grids(proj.baseline.landcover, proj.with_project.landcover, chunks=chunks)
    boundary, notes = dl.project_boundary(proj, lc)
    base_state = dl.run_state(proj, proj.baseline, "baseline", boundary, progress=progress)
    with_state = dl.run_state(proj, proj.with_project, "with_project", boundary, progress=progress)
    result = ProjectResult(proj, base_state, with_state, notes)
    run = unc["run"] if uncertainty is None else uncertainty
    if run:
        result.run_sensitivity(step=unc["step"], tables=unc["tables"])
        result.run_monte_carlo(
            n=unc["n"],
            seed=unc["seed"],
            distribution=unc["distribution"],
            physical=unc["physical"],
            tables=unc["tables"],
            investment=unc["investment"],
            revenue=unc["revenue"],
        )
    return result


__all__ = ["ProjectResult", "npv", "project"]
