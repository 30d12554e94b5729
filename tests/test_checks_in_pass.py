"""The input rasters' range checks run in the account's one pass over the chunks (issue 18).

Each input raster is decoded once per block: its statistics (range, fill values, holes) are
computed with the zonal sums, band by band, and judged after the pass, before anything uses the
sums; ``validate`` computes those of every raster in one pass.  What the checks say is unchanged.
"""

from __future__ import annotations

import collections

import numpy as np
import pytest
import rasterio.io

import gepcalc as gep
from conftest import SMALL_CODES, SMALL_INPUTS, SMALL_OVERRIDES, SMALL_SERVICES, small_account, write_raster
from gepcalc.errors import ImplausibleInputError, MissingInputError, NodataError
from gepcalc.plausible import check_raster, raster_check, summed_stats
from gepcalc.resolve.pending import deferred_checks

#: a land cover of 32 × 48 pixels in 16 × 16 tiles (2 × 3 blocks) from the small raster's codes
CODES = np.tile(SMALL_CODES, (11, 12))[:32]
TILES = {"tiled": True, "blockxsize": 16, "blockysize": 16}


run = small_account


def rain(path, data, nodata=-9999.0):
    """A precipitation input raster [mm/yr] written to ``path`` in 16 × 16 tiles."""
    return {"raster": str(write_raster(path, data.astype("float32"), nodata=nodata, **TILES)), "unit": "mm/yr"}


@pytest.fixture
def tiled_lc(tmp_path):
    return write_raster(tmp_path / "lc.tif", CODES, nodata=255, **TILES)


def test_an_implausible_raster_fails_the_account_with_the_same_message(tiled_lc, tmp_path):
    p = np.full(CODES.shape, 1400.0)
    p[20, :5] = -20.0  # in the second row of blocks: judged after the pass, over every band
    given = rain(tmp_path / "rain.tif", p)
    with pytest.raises(ImplausibleInputError) as e:
        run(tiled_lc, inputs={**SMALL_INPUTS, "precipitation": given}, chunks=16)
    assert str(e.value).startswith(f"input 'precipitation' of service 'water_conservation': raster {given['raster']}")
    assert "has 5 of 1536 pixels below the possible range [0, 27000] mm / yr" in str(e.value)
    assert "smallest -20 mm / yr" in str(e.value)


def test_a_fill_value_in_a_file_without_nodata_still_fails(tiled_lc, tmp_path):
    p = np.full(CODES.shape, 1400.0)
    p[31, 47] = -9999.0
    given = rain(tmp_path / "nofill.tif", p, nodata=None)
    with pytest.raises(ImplausibleInputError, match=r"has 1 pixels with a fill value .* declares no nodata"):
        run(tiled_lc, inputs={**SMALL_INPUTS, "precipitation": given}, chunks=16)


def test_usual_range_note_reaches_the_sources_and_the_notes(tiled_lc, tmp_path):
    p = np.full(CODES.shape, 1400.0)
    p[0, :7] = 9000.0
    given = rain(tmp_path / "wet.tif", p)
    acct = run(tiled_lc, inputs={**SMALL_INPUTS, "precipitation": given}, chunks=16)
    row = acct.sources[(acct.sources["parameter"] == "precipitation") & (acct.sources["table"] == "raster")]
    warning = row["warning"].iloc[0]
    assert "raster" in warning and "has 7 of 1536 pixels above the usual 8000 mm / yr" in warning
    assert "values 1400–9000 mm / yr" in warning
    assert warning in acct.notes
    # the columns come in the order the check at resolve time wrote them
    cols = list(acct.sources.columns)
    assert cols.index("unit") < cols.index("warning")


def test_holes_reach_the_gap_message(tiled_lc, tmp_path):
    p = np.full(CODES.shape, 1400.0)
    p[0, 0] = p[18, 28] = -1.0  # declared nodata on forest pixels (code 2), in two blocks
    given = rain(tmp_path / "gappy.tif", p, nodata=-1.0)
    with pytest.raises(NodataError, match=r"input raster 'precipitation' \(.*gappy.tif\) has no value on 2 pixels"):
        run(tiled_lc, inputs={**SMALL_INPUTS, "precipitation": given}, chunks=16)
    # holes where the service counts nothing (code 12): the account runs and its sources say so
    p = np.full(CODES.shape, 1400.0)
    p[1, 2] = p[19, 30] = -1.0
    given = rain(tmp_path / "holes.tif", p, nodata=-1.0)
    acct = run(tiled_lc, inputs={**SMALL_INPUTS, "precipitation": given}, chunks=16)
    row = acct.sources[(acct.sources["parameter"] == "precipitation") & (acct.sources["table"] == "raster")]
    assert row["holes"].iloc[0] == 2


def test_the_account_equals_the_scalar_one(tiled_lc, tmp_path):
    given = rain(tmp_path / "flat.tif", np.full(CODES.shape, 1400.0))
    base = run(tiled_lc, chunks=16).gep().magnitude
    acct = run(tiled_lc, inputs={**SMALL_INPUTS, "precipitation": given}, chunks=16)
    assert acct.gep().magnitude == pytest.approx(base, rel=1e-12)


def test_each_input_raster_is_read_once_per_block(tiled_lc, tmp_path, monkeypatch):
    reads = collections.Counter()
    read = rasterio.io.DatasetReader.read

    def counted(self, *args, **kwargs):
        window = kwargs.get("window")
        reads[(self.name, str(window))] += 1
        return read(self, *args, **kwargs)

    monkeypatch.setattr(rasterio.io.DatasetReader, "read", counted)
    # chunks of one 16 × 16 tile (inputs too) and bands of one chunk row: 2 bands of 3 chunks
    monkeypatch.setattr("gepcalc.io.CHUNK_PIXELS", 256)
    monkeypatch.setattr("gepcalc.zonal.CHUNK_PIXELS", 256)
    given = rain(tmp_path / "rain.tif", np.full(CODES.shape, 1400.0))
    et = rain(tmp_path / "et.tif", np.full(CODES.shape, 700.0))
    run(tiled_lc, inputs={**SMALL_INPUTS, "precipitation": given, "evapotranspiration": et})
    for name in ("rain.tif", "et.tif"):
        mine = {w: n for (path, w), n in reads.items() if path.endswith(name)}
        assert len(mine) == 6, reads  # 2 × 3 blocks
        assert set(mine.values()) == {1}, mine  # each once: the check and the zonal pass share the read
    land = {w: n for (path, w), n in reads.items() if path.endswith("lc.tif")}
    assert len(land) == 6 and max(land.values()) <= 2, land  # the class count, then the one pass


def test_the_checks_statistics_come_with_the_zonal_bands(tiled_lc, tmp_path):
    """A pending check's blocks, picked per band window, add up to the whole raster's statistics."""
    from gepcalc.io import raster_from_input
    from gepcalc.landscape import build_landscape
    from gepcalc.zonal import accounted, bands

    land = build_landscape(tiled_lc, region_name="county", chunks=16)
    p = np.full(CODES.shape, 1400.0)
    p[5, 5], p[30, 40] = 9000.0, np.nan
    da = raster_from_input(rain(tmp_path / "r.tif", p)["raster"], name="precipitation", like=land.landcover)
    check = raster_check("precipitation", da, "mm/yr", "here", sentinels=False, inside=accounted(land))
    whole = check.run()
    for per_band in (1, 2, 4):
        parts = [check.blocks(r, c).compute() for r, c in bands(da.chunks, per_band)]
        assert sum(part.shape[0] * part.shape[1] for part in parts) == 6
        assert check.judge(summed_stats(parts)) == whole
    assert whole == check_raster("precipitation", da, "mm/yr", "here", sentinels=False, inside=accounted(land))


def test_outside_the_account_a_check_runs_at_once_and_inside_it_waits(tiled_lc, tmp_path):
    from gepcalc.landscape import build_landscape
    from gepcalc.resolve import resolve
    from gepcalc.services import get

    land = build_landscape(tiled_lc, region_name="county", chunks=16)
    p = np.full(CODES.shape, -5.0)
    inputs = {"precipitation": rain(tmp_path / "neg.tif", p)}
    param = get("water_conservation").spec.param("precipitation")
    with pytest.raises(ImplausibleInputError):
        resolve(param, "water_conservation", inputs=inputs, tables={}, land=land)
    with deferred_checks() as pending:
        resolve(param, "water_conservation", inputs=inputs, tables={}, land=land)
    assert len(pending) == 1
    pending.compute()
    with pytest.raises(ImplausibleInputError, match="below the possible range"):
        pending.judge()


def test_validate_collects_two_implausible_rasters_in_one_pass(tiled_lc, tmp_path, monkeypatch):
    import dask

    computes = []
    compute = dask.compute

    def counted(*args, **kwargs):  # the computes of the checks' statistics (map_blocks of `one`)
        checks = sum(str(getattr(a, "name", "")).startswith("one-") for a in args)
        if checks:
            computes.append(checks)
        return compute(*args, **kwargs)

    wet = np.full(CODES.shape, 30_000.0)
    dry = np.full(CODES.shape, -3.0)
    inputs = {
        **SMALL_INPUTS,
        "precipitation": rain(tmp_path / "wet.tif", wet),
        "evapotranspiration": rain(tmp_path / "dry.tif", dry),
    }
    monkeypatch.setattr(dask, "compute", counted)
    rep = gep.validate(
        tiled_lc, region_name="county", inputs=inputs, services=SMALL_SERVICES, overrides=SMALL_OVERRIDES, chunks=16
    )
    msgs = [p.message for p in rep.problems if p.error == "ImplausibleInputError"]
    assert any("wet.tif has 1536 of 1536 pixels above the possible range" in m for m in msgs), rep
    assert any("dry.tif has 1536 of 1536 pixels below the possible range" in m for m in msgs), rep
    assert computes == [2], computes  # both rasters' statistics in one compute


def test_an_implausible_raster_resolved_first_is_still_the_first_error(tiled_lc, tmp_path):
    """A later service's missing input does not hide an implausible raster resolved before it."""
    p = np.full(CODES.shape, -1400.0)
    inputs = {k: v for k, v in SMALL_INPUTS.items() if k != "hot_days"}
    inputs["precipitation"] = rain(tmp_path / "neg.tif", p)
    with pytest.raises(MissingInputError):
        run(tiled_lc, inputs={**inputs, "precipitation": "1400 mm/yr"}, chunks=16)
    with pytest.raises(ImplausibleInputError, match="below the possible range"):
        run(tiled_lc, inputs=inputs, chunks=16)


@pytest.mark.parametrize("seed", range(6))
def test_block_statistics_skip_only_counts_the_min_and_max_already_give(seed):
    """A count left out because the block's min / max settle it (0 below a bound under the min, no hole
    without a NaN, no zero among values of one sign) equals the count by comparison, pixel by pixel."""
    from gepcalc.plausible import _STATS, _block_stats

    rng = np.random.default_rng(seed)
    block = rng.uniform(*[(0.5, 3.0), (-2.0, 2.0), (1.0, 9.0)][seed % 3], (40, 30))
    if seed % 2:
        block[rng.random(block.shape) < 0.1] = np.nan
    if seed == 3:
        block[0, 0], block[1, 1] = np.inf, 0.0
    if seed == 5:
        block[:] = np.nan
    inside = rng.random(block.shape) < 0.7
    for bounds in [(0.0, 5.0, 1.0, 2.5), (None, None, None, None), (-1.0, 1.0, -0.5, 0.5), (10.0, 0.0, 9.0, 0.1)]:
        got = dict(zip(_STATS, _block_stats(block, inside, bounds, sentinels=False).ravel(), strict=True))
        low, high, usual_low, usual_high = bounds
        valid = ~np.isnan(block)
        assert got["valid"] == valid.sum() and got["holes"] == (~valid & inside).sum()
        assert got["nonzero"] == (valid & (block != 0)).sum()
        for name, bound, op in [
            ("below", low, np.less),
            ("above", high, np.greater),
            ("usual_below", usual_low, np.less),
            ("usual_above", usual_high, np.greater),
        ]:
            assert got[name] == (0 if bound is None else op(block, bound).sum()), (name, bounds)
        if valid.any():
            assert (got["min"], got["max"]) == (np.nanmin(block), np.nanmax(block))
