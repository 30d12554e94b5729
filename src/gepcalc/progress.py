"""What a long run shows while it works: one progress bar or status line per phase.

The command line turns the display on (:func:`configure`, ``-q`` turns it off); the library is
silent unless asked (``account(progress=True)``).  One *phase* is one bar, however many dask
computations it runs: the account's zonal sum reads the raster in bands, one ``compute()`` each,
and they all advance the same bar (issue 14: one account showed four identical bars).  A phase
started while another is shown (routing the DEM inside the account's sum) renames the bar that is
shown instead of opening a second live display, which rich refuses.

Phases: ``importing`` (the CLI, before xarray/GDAL load), ``computing account`` (the zonal sum, with
routing inside it), ``Monte Carlo`` and ``sensitivity`` (per draw / per coefficient) and ``writing
files``.  Everything goes to standard error, so standard output stays the tables.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")

#: -1 quiet (nothing but errors), 0 normal (bars and status lines), 1 verbose (also each phase's time)
_LEVEL = {"level": 0, "enabled": False}
_ACTIVE: list = []  # the bar shown now (at most one live display at a time)


def configure(level: int = 0, *, enabled: bool = True) -> None:
    """Turn the display on for a command-line run (``level`` -1 = ``-q``, 0, 1 = ``-v``)."""
    _LEVEL["level"] = int(level)
    _LEVEL["enabled"] = bool(enabled)


def level() -> int:
    """The verbosity: -1 quiet, 0 normal, 1 verbose."""
    return int(_LEVEL["level"])


def shown(requested: bool = False) -> bool:
    """Whether bars are shown: asked for (``progress=True``) or turned on by the CLI, and not quiet."""
    return (requested or bool(_LEVEL["enabled"])) and level() >= 0


def _console():
    from rich.console import Console

    return Console(stderr=True)


def _progress(total: bool = True):
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    cols = (
        [TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
        if total
        else [SpinnerColumn(), TextColumn("[bold]{task.description}"), TimeElapsedColumn()]
    )
    return Progress(*cols, transient=True, console=_console())


def _done(description: str, start: float) -> None:
    if level() >= 1:
        from rich.markup import escape

        _console().print(f"[dim]{escape(description)}: {time.perf_counter() - start:.1f} s[/]")


@contextmanager
def phase(description: str, *, requested: bool = False) -> Iterator[None]:
    """A status line (spinner and elapsed time) while the block runs; nested: renames the bar shown."""
    if not shown(requested):
        yield
        return
    start = time.perf_counter()
    if _ACTIVE:  # inside another phase: say what it does now, then restore its name
        prog, task, old = _ACTIVE[-1]
        prog.update(task, description=f"{old} · {description}")
        try:
            yield
        finally:
            prog.update(task, description=old)
        _done(description, start)
        return
    prog = _progress(total=False)
    task = prog.add_task(description, total=None)
    _ACTIVE.append((prog, task, description))
    prog.start()
    try:
        yield
    finally:
        prog.stop()
        _ACTIVE.pop()
    _done(description, start)


def track(items: Iterable[T], description: str, total: int | None = None, *, requested: bool = False) -> Iterator[T]:
    """Iterate ``items`` with one bar (Monte Carlo draws, sensitivity rows) where the display is on."""
    if not shown(requested):
        yield from items
        return
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    if _ACTIVE:  # nested in another phase: count in its description
        prog, task, old = _ACTIVE[-1]
        try:
            for i, item in enumerate(items, start=1):
                prog.update(task, description=f"{old} · {description} {i}/{total or '?'}")
                yield item
        finally:
            prog.update(task, description=old)
        return
    start = time.perf_counter()
    prog = _progress(total=True)
    task = prog.add_task(description, total=total)
    _ACTIVE.append((prog, task, description))
    prog.start()
    try:
        for item in items:
            yield item
            prog.advance(task)
    finally:
        prog.stop()
        _ACTIVE.pop()
    _done(description, start)


def _dask_callback():
    from dask.callbacks import Callback

    return Callback


class RichProgress(_dask_callback()):
    """Context manager: one bar counting the dask tasks of every computation run inside it.

    Each ``compute()`` inside the block adds its tasks to the bar's total, so a phase that computes
    in several bands shows one bar, not one per band.  Shown where :func:`shown` (``requested``:
    ``account(progress=True)``); otherwise it counts nothing.
    """

    def __init__(self, description: str = "computing", *, requested: bool = True):
        super().__init__()
        self._description = description
        self._on = shown(requested)
        self._nested = False
        self._progress = None
        self._task = None
        self._t0 = 0.0

    def __enter__(self):
        if self._on:
            self._t0 = time.perf_counter()
            if _ACTIVE:  # inside another phase's display: count in it
                self._nested = True
                self._progress, self._task, _ = _ACTIVE[-1]
            else:
                self._progress = _progress(total=True)
                self._task = self._progress.add_task(self._description, total=0)
                _ACTIVE.append((self._progress, self._task, self._description))
                self._progress.start()
        return super().__enter__()

    def __exit__(self, *args):
        super().__exit__(*args)
        if self._on and not self._nested:
            self._progress.stop()
            _ACTIVE.pop()
            _done(self._description, self._t0)

    def _start_state(self, dsk, state):
        if not self._on:
            return
        n = sum(len(state[k]) for k in ("ready", "waiting", "running", "finished"))
        current = self._progress.tasks[[t.id for t in self._progress.tasks].index(self._task)]
        self._progress.update(self._task, total=(current.total or 0) + n)

    def _posttask(self, key, result, dsk, state, worker_id):
        if self._on:
            self._progress.advance(self._task)
