"""The 8-neighbourhood of a cell as pygeoprocessing numbers it, and the diagonal distance.

Constants shared by every routing kernel (:mod:`gepcalc.routing` and :mod:`gepcalc.tiles`).
No kernels here.
"""

from __future__ import annotations

import numpy as np

__all__ = ["DCOL", "DROW", "SQRT2", "SQRT2_INV"]

# pygeoprocessing's neighbour order: 0 = east, counter-clockwise; odd = diagonal.
#   3 2 1
#   4 x 0
#   5 6 7
DROW = np.array([0, -1, -1, -1, 0, 1, 1, 1], dtype=np.int64)
"""Row offset of neighbour ``k`` (0 = east, counter-clockwise; odd ``k`` are diagonal)."""
DCOL = np.array([1, 1, 0, -1, -1, -1, 0, 1], dtype=np.int64)
"""Column offset of neighbour ``k``."""
SQRT2 = 1.4142135623730951
"""Distance to a diagonal neighbour [cells]."""
SQRT2_INV = 1.0 / 1.4142135623730951
"""Inverse distance to a diagonal neighbour [1/cells]: a drop times this is the drop per distance."""
