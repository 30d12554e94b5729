"""The compiled Budyko kernels against the numpy expression they replaced (hydrology.budyko_*).

The reference below is the numpy body of ``budyko_aet_fraction`` / ``budyko_water_yield``
before the kernels, kept verbatim; the results must be the same bit for bit (the powers are
still numpy's ``**``).  A NaN vegetated flag gives NaN, as the water-conservation service's
wrapper ``np.where(np.isnan(vegetated), np.nan, ...)`` did before it was folded into the kernel.
"""

from __future__ import annotations

import numpy as np
import pytest

from gepcalc import hydrology as h
from gepcalc.hydrology import OMEGA_MAX, OMEGA_MIN


def reference_fraction(precip, et0, kc, root_depth, restricting_depth, pawc, vegetated, z):
    """budyko_aet_fraction as it was before the compiled kernels (numpy temporaries)."""
    p = np.asarray(precip, dtype=np.float64)
    pet = np.asarray(kc, dtype=np.float64) * et0
    veg = np.asarray(vegetated) == 1
    with np.errstate(divide="ignore", invalid="ignore"):
        phi = pet / p
        awc = np.minimum(root_depth, restricting_depth) * np.asarray(pawc, dtype=np.float64)
        omega = np.minimum(awc / p * z + OMEGA_MIN, OMEGA_MAX)
        curve = 1.0 + phi - (1.0 + phi**omega) ** (1.0 / omega)
        veg_fraction = np.where(phi < curve, phi, curve)
        bare_fraction = np.minimum(pet, p) / p
        out = np.where(veg, veg_fraction, bare_fraction)
    out = np.where(p == 0, np.nan, out)
    return out


def reference_yield(precip, et0, kc, root_depth, restricting_depth, pawc, vegetated, z):
    """budyko_water_yield as it was before the compiled kernels."""
    p = np.asarray(precip, dtype=np.float64)
    fraction = reference_fraction(p, et0, kc, root_depth, restricting_depth, pawc, vegetated, z)
    return np.where(p == 0, 0.0, (1.0 - fraction) * p)


def expected(ref, *args):
    """The reference with NaN where the vegetated flag is NaN (the service's former wrapper)."""
    return np.where(np.isnan(np.asarray(args[6], dtype=float)), np.nan, ref(*args))


def _inputs(n: int = 20_000, seed: int = 7) -> tuple:
    """Random inputs with P = 0, NaN in every input, vegetated 0/1/NaN and ω at both caps."""
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.0, 3000.0, n)
    p[rng.random(n) < 0.05] = 0.0
    p[rng.random(n) < 0.02] = np.nan
    p[rng.random(n) < 0.02] = 1e-3  # PET/P far above 1
    et0 = rng.uniform(0.0, 2000.0, n)
    kc = rng.choice([0.0, 0.2, 0.65, 1.0, 1.2], n)
    root = rng.uniform(0.0, 5000.0, n)
    rest = rng.uniform(0.0, 3000.0, n)
    pawc = rng.uniform(0.0, 0.6, n)
    z = rng.uniform(1.0, 30.0, n)
    z[rng.random(n) < 0.1] = 0.0  # ω = 1.25 exactly
    z[rng.random(n) < 0.1] = 1e6  # ω capped at 5
    for a in (et0, kc, root, rest, pawc, z):
        a[rng.random(n) < 0.01] = np.nan
    veg = rng.choice([0.0, 1.0, np.nan], n, p=[0.3, 0.6, 0.1])
    return p, et0, kc, root, rest, pawc, veg, z


def _same_bits(a, b) -> None:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    assert same.all(), f"{(~same).sum()} differ, e.g. {a[~same][:3]} vs {b[~same][:3]}"


@pytest.mark.parametrize(
    "func,ref", [(h.budyko_aet_fraction, reference_fraction), (h.budyko_water_yield, reference_yield)]
)
@pytest.mark.parametrize("seed", [7, 11])
def test_kernel_is_the_numpy_expression_bit_for_bit(func, ref, seed):
    args = _inputs(seed=seed)
    _same_bits(func(*args), expected(ref, *args))


def test_kernel_broadcasts_scalars_float32_and_blocks_like_numpy():
    p, et0, kc, root, rest, pawc, veg, _ = _inputs(n=64 * 48, seed=3)
    block = [a.reshape(64, 48) for a in (p, et0, kc, root, rest, pawc, veg)]
    block[0], block[1] = block[0].astype(np.float32), block[1].astype(np.float32)  # rasters read as float32
    args = (*block, 5.0)
    out = h.budyko_water_yield(*args)
    assert out.shape == (64, 48) and out.dtype == np.float64
    _same_bits(out, expected(reference_yield, *args))
    # scalars, and booleans for the vegetated flag
    scalars = (1000.0, 800.0, 1.0, 1000.0, 1000.0, 0.2, True, 5.0)
    assert h.budyko_water_yield(*scalars) == float(reference_yield(*scalars))
    # arrays in some arguments only: PET/P or ω alone varies
    et0_only = (900.0, block[1], 1.0, 1000.0, 1000.0, 0.2, 1.0, 5.0)
    z_only = (900.0, 800.0, 1.0, 1000.0, 1000.0, 0.2, block[6], np.linspace(0.0, 40.0, 48))
    for args in (et0_only, z_only):
        _same_bits(h.budyko_water_yield(*args), expected(reference_yield, *args))
    # non-contiguous views
    view = tuple(b[:, ::2] for b in block)
    _same_bits(h.budyko_aet_fraction(*view, 3.0), expected(reference_fraction, *view, 3.0))


def test_zero_precipitation_and_caps():
    assert np.isnan(h.budyko_aet_fraction(0.0, 800.0, 1.0, 1000.0, 1000.0, 0.2, 1, 5.0))
    assert h.budyko_water_yield(0.0, 800.0, 1.0, 1000.0, 1000.0, 0.2, 0, 5.0) == 0.0
    assert np.isnan(h.budyko_water_yield(np.nan, 800.0, 1.0, 1000.0, 1000.0, 0.2, 1, 5.0))  # NaN stays NaN
    assert np.isnan(h.budyko_water_yield(0.0, 800.0, 1.0, 1000.0, 1000.0, 0.2, np.nan, 5.0))  # flag not known
    assert np.isnan(h.budyko_aet_fraction(900.0, 800.0, 1.0, 1000.0, 1000.0, 0.2, np.nan, 5.0))
    # ω capped at 5 and at its floor 1.25 (Z = 0)
    for z in (1e9, 0.0):
        got = h.budyko_aet_fraction(100.0, 50.0, 1.0, 1000.0, 1000.0, 0.1, 1, z)
        assert got == float(reference_fraction(100.0, 50.0, 1.0, 1000.0, 1000.0, 0.1, 1, z))
