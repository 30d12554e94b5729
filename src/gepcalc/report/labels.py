"""How numbers and text appear in the reports' charts and tables: round axis ticks, number labels,
bilingual labels, escaping and a rough text width.

Pure string and arithmetic helpers; no SVG drawing here (:mod:`gepcalc.report.charts`,
:mod:`gepcalc.report.maps`) and no page layout (:mod:`gepcalc.report.page`).
"""

from __future__ import annotations

import html
import math
from typing import Any


def escape(s: Any) -> str:
    """``s`` as text safe inside HTML or SVG (``&``, ``<``, ``>`` and quotes escaped)."""
    return html.escape(str(s))


def bilingual(zh: Any, en: Any) -> str:
    """A 中文 English label: both names, or one where they are the same (or one is empty)."""
    zh, en = str(zh or "").strip(), str(en or "").strip()
    return f"{zh} {en}".strip() if zh != en else zh


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About ``n`` round tick values covering [lo, hi] (steps 1, 2, 2.5 or 5 × 10^k)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [0.0]
    if hi == lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / max(1, n)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks, t = [], start
    while t <= hi + step * 1e-9:
        ticks.append(round(t, 12))
        t += step
    if ticks[-1] < hi:
        ticks.append(ticks[-1] + step)
    return ticks


def number(x: float) -> str:
    """A number as a label: thousands separators, at most 2 decimals, no exponent for ordinary sizes."""
    if x != x:
        return ""
    a = abs(x)
    if a >= 100 or a == 0:
        return f"{x:,.0f}"
    if a >= 1:
        return f"{x:,.2f}".rstrip("0").rstrip(".")
    return f"{x:.3g}"


def text_width(s: str) -> float:
    """Rough width of ``s`` in 12-px characters (CJK characters count double)."""
    return sum(2.0 if ord(ch) > 0x2E80 else 1.0 for ch in s)
