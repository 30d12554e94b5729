"""Raster checks put off to the account's one pass over the chunks, and the records they complete.

Resolving a raster parameter (:func:`gepcalc.resolve.params.resolve`) checks the raster against
its plausible range (:mod:`gepcalc.plausible`).  Computed there, the check would decode the raster
once more than the zonal pass does; inside :func:`deferred_checks` it is only registered
(:class:`PendingChecks`): the account computes its statistics with each band of the zonal pass
(:meth:`PendingChecks.band`, :meth:`PendingChecks.add`) and judges them after it
(:meth:`PendingChecks.judge`), and ``validate`` computes those of every raster in one
``dask.compute`` (:meth:`PendingChecks.compute`).  Judging completes the raster's provenance
records (the usual-range ``warning``, the ``holes``) as the check at resolve time wrote them.
Outside :func:`deferred_checks` a check is computed and judged at once, as before.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

import dask
import numpy as np

from gepcalc.plausible import RasterCheck, summed_stats
from gepcalc.resolve.provenance import range_warning


@dataclass
class Pending:
    """One raster check not yet judged, the records it completes and what it concerns."""

    check: RasterCheck
    records: list[dict]
    subject: str = ""
    #: the statistics of its blocks computed so far (one array per band)
    parts: list[np.ndarray] = field(default_factory=list)


class PendingChecks:
    """The raster checks registered inside :func:`deferred_checks`, in the order they were made."""

    def __init__(self) -> None:
        self.entries: list[Pending] = []
        self.subject = ""

    def __len__(self) -> int:
        return len(self.entries)

    def add(self, check: RasterCheck, record: dict) -> None:
        """Register ``check``; judging it completes ``record`` (and the copies :func:`copy_record` made)."""
        self.entries.append(Pending(check, [record], self.subject))

    def copied(self, record: dict, copy: dict) -> None:
        """``copy`` is a copy of ``record``: complete it too when ``record``'s check is judged."""
        for e in self.entries:
            if any(r is record for r in e.records):
                e.records.append(copy)

    def band(self, rows: slice, cols: slice) -> list:
        """The statistics (lazy) of every check's blocks that start in the window, to compute with a band."""
        return [e.check.blocks(rows, cols) for e in self.entries]

    def add_band(self, computed: Sequence[np.ndarray]) -> None:
        """The statistics :meth:`band` asked for, computed."""
        for e, got in zip(self.entries, computed, strict=True):
            e.parts.append(np.asarray(got))

    def compute(self) -> None:
        """Compute the statistics of every check in one ``dask.compute`` (one pass over all the rasters)."""
        got = dask.compute(*[e.check.stats for e in self.entries]) if self.entries else ()
        for e, per in zip(self.entries, got, strict=True):
            e.parts = [np.asarray(per)]

    def judge(self) -> None:
        """Judge every check on its computed statistics and complete its records, in order.

        Raises
        ------
        ImplausibleInputError
            The first raster that fails its check (as :func:`gepcalc.plausible.check_raster` says).
        """
        for e in self.entries:
            if sum(np.size(p) for p in e.parts) != e.check.stats.size:  # not every block came with the bands
                e.parts = [np.asarray(e.check.stats.compute())]
            judge_one(e)


def judge_one(entry: Pending) -> None:
    """Judge one check on its computed statistics and complete its records (raises as the check does)."""
    notes, holes = entry.check.judge(summed_stats(entry.parts))
    complete(entry.records, notes, holes)


_ACTIVE: ContextVar[PendingChecks | None] = ContextVar("gepcalc_pending_checks", default=None)


@contextmanager
def deferred_checks() -> Iterator[PendingChecks]:
    """Within: raster checks are registered in the :class:`PendingChecks` yielded instead of computed."""
    pending = PendingChecks()
    token = _ACTIVE.set(pending)
    try:
        yield pending
    finally:
        _ACTIVE.reset(token)


def defer_or_run(check: RasterCheck, record: dict) -> None:
    """Register ``check`` inside :func:`deferred_checks`; elsewhere compute and judge it now."""
    pending = _ACTIVE.get()
    if pending is None:
        complete([record], *check.run())
    else:
        pending.add(check, record)


def copy_record(record: dict, copy: dict) -> dict:
    """``copy`` (a copy of ``record`` with keys added), completed with ``record`` where its check is pending."""
    pending = _ACTIVE.get()
    if pending is not None:
        pending.copied(record, copy)
    return copy


def complete(records: list[dict], notes: list[str], holes: int) -> None:
    """Add the check's ``warning`` and ``holes`` to each record, after its ``unit`` (where the check put them)."""
    extra = {**range_warning(notes), **({"holes": holes} if holes else {})}
    if not extra:
        return
    for rec in records:
        keys = list(rec)
        at = keys.index("unit") + 1 if "unit" in keys else len(keys)
        items = list(rec.items())
        rec.clear()
        rec.update(items[:at])
        rec.update(extra)
        rec.update(items[at:])
