"""The HTML reports (issue 14, point 7): the county account report and the project report.

Both are one self-contained file built with the shared template (``gepcalc/templates``). Charts are
SVG whose text the browser draws, so Chinese labels are text in the page, not pixels. The browser
test opens both reports in headless Chromium (Debian's ``chromium``, installed by ``.ci/run`` where
absent) and checks, in the rendered page, that the Chinese labels are there as text with a drawn
width and that nothing is wider than the window; it is skipped with the reason where no browser is
installed.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess

import numpy as np
import pytest
from shapely.geometry import box

import gepcalc as gep
from gepcalc.report import nice_ticks, number, svg_bars, svg_map
from gepcalc.report.maps import _scale_length

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    demo = gep.demo.chunan_dir()
    acct = gep.demo.chunan_account()
    path = acct.to_html(
        tmp_path_factory.mktemp("county") / "account.html",
        landcover=demo / "mcd12c1_2019_igbp_chunan.tif",
        regions=demo / "chunan_330127.geojson",
        region_field="name",
    )
    return acct, path


@pytest.fixture(scope="module")
def project_report(tmp_path_factory):
    res = gep.project(gep.demo.chunan_dir().parent / "project" / "PROJECT.toml", uncertainty=False)
    return res, res.to_html(tmp_path_factory.mktemp("project") / "project.html")


# -- the machinery, by hand --------------------------------------------------------------------------------


def test_ticks_numbers_and_scale_bar_by_hand():
    # 0 … 4,444.26 in about 5 steps: step 1000 (raw 888.9 → next of 1, 2, 2.5, 5 × 10^k is 1000)
    assert nice_ticks(0, 4444.26, 5) == [0, 1000, 2000, 3000, 4000, 5000]
    assert nice_ticks(-2.5, 7.5, 4) == [-2.5, 0, 2.5, 5.0, 7.5]  # raw 2.5 → 2.5
    assert number(5316.4288) == "5,316" and number(22.8658) == "22.87" and number(0.000731) == "0.000731"
    # scale bar: a fifth of the width, rounded down to 1, 2, 2.5 or 5 × 10^k m
    assert _scale_length(96_486.0) == 10_000  # 96.5 km / 5 = 19.3 km → 10 km
    assert _scale_length(60_000.0) == 10_000 and _scale_length(130_000.0) == 25_000


def test_bars_write_labels_as_text_and_values_in_the_axis_unit():
    svg = svg_bars(["水源涵养 Water conservation", "固碳 Carbon sequestration"], [188.44, -22.87], "亿元/yr")
    assert ">水源涵养 Water conservation</text>" in svg and ">固碳 Carbon sequestration</text>" in svg
    assert ">[亿元/yr]</text>" in svg and "e+" not in svg and "1e" not in svg
    # bar lengths in proportion: ticks −50 … 200 (raw 47.9 → 50) over 380 px of plot
    widths = [float(w) for w in re.findall(r'<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)"', svg)]
    assert widths[0] / widths[1] == pytest.approx(188.44 / 22.87, rel=1e-2)


def test_map_has_outline_scale_bar_and_north_arrow():
    dens = np.array([[1.0, 2.0], [np.nan, 4.0]])
    poly = box(118.0, 29.0, 119.0, 30.0)
    svg = svg_map(dens, (118.0, 119.0, 29.0, 30.0), geographic=True, outlines=[poly], unit="万元/km²/yr")
    assert svg.count("<path") == 2  # the outline and the north arrow
    # 1° of longitude at 29.5°N is 96.9 km: a fifth is 19.4 km → a 10 km bar
    assert "10 km 比例尺 scale" in svg and "北 N" in svg and "[万元/km²/yr]" in svg


# -- the county report ---------------------------------------------------------------------------------


def test_county_report_totals_charts_map_sources(county):
    acct, path = county
    page = path.read_text(encoding="utf-8")
    gep_yi = acct.gep("亿元").magnitude
    # the GEP card: 5,316 亿元 (the sum of the six indicators of the demo, README)
    assert f'<div class="v">{gep_yi:,.0f}</div>' in page
    by = acct.by("service", unit="亿元")
    for _, r in by.iterrows():  # every indicator: its bilingual label as SVG text and value (share)
        assert f">{r['name_zh']} {r['name_en']}</text>" in page
        share = r["value"] / gep_yi
        assert f"{number(r['value'])} ({share:.1%})</text>" in page
    assert ">水体 water (rivers, lakes, reservoirs)</text>" in page  # ecosystem types in both languages
    assert 'id="map"' in page and "比例尺 scale" in page and "<path d=" in page  # value map with the outline
    assert "未核算指标 Not computed" in page and "soil_retention" not in page.split('id="not-computed"')[0][-200:]
    assert "gepcalc:coefficients/" in page and "site-packages" not in page  # package-relative sources
    assert "<script" not in page and "<img" not in page  # no scripts, no raster charts
    # nothing is fetched: the only URLs are the SVG namespaces
    assert set(re.findall(r"https?://[^\"' <]+", page)) <= {
        "http://www.w3.org/2000/svg",
        "http://www.w3.org/1999/xlink",
    }


def test_project_report_uses_the_shared_page(project_report):
    _, path = project_report
    page = path.read_text(encoding="utf-8")
    assert '<main class="report" id="report">' in page and "--pos: #2a9d8f" in page  # template and stylesheet
    assert "生态系统生产总值增量 ΔGEP (with project − baseline)</text>" in page  # the change map, SVG text
    assert "比例尺 scale" in page and "项目边界" in page


# -- in the browser --------------------------------------------------------------------------------------

CHECK = """
<script>
window.addEventListener('load', () => {
  const main = document.querySelector('main.report');
  const mr = main.getBoundingClientRect();
  const texts = [...document.querySelectorAll('svg text')];
  const drawn = texts.filter(t => t.getComputedTextLength() > 0).map(t => t.textContent);
  const wide = [...main.querySelectorAll('figure, svg, h1, h2, p, .cards, .table-wrap')]
    .filter(e => e.getBoundingClientRect().right > mr.right + 1).map(e => e.tagName + '.' + e.className);
  const out = {scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
               mainScroll: main.scrollWidth, mainClient: main.clientWidth, drawn: drawn, wide: wide,
               text: document.body.innerText.slice(0, 20000)};
  const pre = document.createElement('pre'); pre.id = 'gepcalc-check'; pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>
"""


def _browser() -> str:
    for name in BROWSERS:
        if path := shutil.which(name):
            return path
    pytest.skip(f"no headless browser ({', '.join(BROWSERS)}) installed; .ci/run installs Debian's chromium")


def _open(page_path, tmp_path, width: int = 1280) -> dict:
    """Open a copy of the page with a checking script in headless Chromium; the script's findings."""
    probe = tmp_path / f"probe_{page_path.name}"
    probe.write_text(page_path.read_text(encoding="utf-8").replace("</body>", CHECK + "</body>"), encoding="utf-8")
    cmd = [
        _browser(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        f"--window-size={width},900",
        "--virtual-time-budget=5000",
        "--dump-dom",
        probe.as_uri(),
    ]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    m = re.search(r'<pre id="gepcalc-check">(.*?)</pre>', r.stdout, re.S)
    assert m, f"the browser did not run the page's check: {r.stderr[-2000:]}"
    return json.loads(html.unescape(m.group(1)))


@pytest.mark.parametrize("width", [1280, 800])
def test_both_reports_in_headless_chromium(county, project_report, tmp_path, width):
    acct, county_path = county
    _, project_path = project_report
    names = zip(acct.data["name_zh"].values, acct.data["name_en"].values, strict=True)
    for path, labels in (
        (county_path, [f"{z} {e}" for z, e in names]),
        (project_path, ["生态系统生产总值增量 ΔGEP (with project − baseline)", "北 N"]),
    ):
        found = _open(path, tmp_path, width)
        for label in labels:  # Chinese labels are text the browser drew (a width), not pixels of an image
            assert label in found["drawn"], (path.name, label)
        assert "生态系统生产总值" in found["text"]
        # nothing overflows: the page is no wider than the window, and every block stays in the main column
        assert found["scrollWidth"] <= found["innerWidth"], (path.name, found["scrollWidth"], found["innerWidth"])
        assert found["mainScroll"] <= found["mainClient"] + 1, path.name
        assert found["wide"] == [], (path.name, found["wide"])


def test_report_of_two_regions_by_hand(small_lc, halves, tmp_path):
    """The small raster's two halves: a region chart and table, and the map outlines both regions."""
    from conftest import SMALL_INPUTS, SMALL_OVERRIDES
    from test_account import expected

    acct = gep.account(
        small_lc,
        halves,
        region_field="name",
        services=["carbon_sequestration"],
        inputs=SMALL_INPUTS,
        overrides=SMALL_OVERRIDES,
        year=2020,
        price_year=2020,
        price_index=None,
    )
    page = acct.to_html(tmp_path / "a.html", "CNY", regions=halves, region_field="name").read_text(encoding="utf-8")
    # carbon: west 5 ha forest × 2 t C/ha × 44/12 × 50 CNY/t; east 1 ha grassland × 0.5 t C/ha × …
    co2 = 44.0095 / 12.011
    west, east = 5 * 2 * co2 * 50, 1 * 0.5 * co2 * 50
    assert west + east == pytest.approx(expected()["carbon_sequestration"][1], rel=1e-12)
    assert ">west</text>" in page and f"{number(west)} ({west / (west + east):.1%})</text>" in page
    assert ">east</text>" in page and f"{number(east)} ({east / (west + east):.1%})</text>" in page
    assert 'id="regions"' in page and page.count('fill="none" stroke="#222" stroke-width="1.2"') == 2  # two outlines
