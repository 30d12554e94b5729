"""Growable buffers for the numba routing kernels: a binary min-heap and an append.

numba compiles no ``heapq`` and no list of arrays that grows cheaply, so the kernels keep
their queues in plain numpy arrays that these functions grow by doubling. Shared by the
priority floods of :mod:`gepcalc.routing.fill` and :mod:`gepcalc.tiles`. No routing here.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["append", "heap_pop", "heap_push"]


@numba.njit(cache=True, nogil=True, inline="always")
def heap_push(hk, hi, hn, key, idx):  # pragma: no cover - compiled
    """Push ``(key, idx)`` on the binary min-heap ``hk``/``hi`` of ``hn`` entries (grown when full).

    Returns the (possibly new) arrays and the new count.
    """
    if hn == hk.size:
        hk = np.concatenate((hk, np.empty(hk.size)))
        hi = np.concatenate((hi, np.empty(hi.size, dtype=np.int64)))
    j = hn
    while j > 0:
        parent = (j - 1) >> 1
        if hk[parent] <= key:
            break
        hk[j] = hk[parent]
        hi[j] = hi[parent]
        j = parent
    hk[j] = key
    hi[j] = idx
    return hk, hi, hn + 1


@numba.njit(cache=True, nogil=True, inline="always")
def heap_pop(hk, hi, hn):  # pragma: no cover - compiled
    """Remove the smallest entry of the heap of ``hn`` entries: returns its key, its index and the new count."""
    top_key = hk[0]
    top_idx = hi[0]
    hn -= 1
    key = hk[hn]
    last = hi[hn]
    j = 0
    while True:
        child = 2 * j + 1
        if child >= hn:
            break
        if child + 1 < hn and hk[child + 1] < hk[child]:
            child += 1
        if hk[child] >= key:
            break
        hk[j] = hk[child]
        hi[j] = hi[child]
        j = child
    if hn > 0:
        hk[j] = key
        hi[j] = last
    return top_key, top_idx, hn


@numba.njit(cache=True, nogil=True, inline="always")
def append(buf, n, value):  # pragma: no cover - compiled
    """Write ``value`` at position ``n`` of ``buf``, doubling ``buf`` first when it is full.

    Returns the (possibly new) buffer; the caller counts the entries (``n + 1`` after this).
    """
    if n == buf.size:
        buf = np.concatenate((buf, np.empty_like(buf)))
    buf[n] = value
    return buf
