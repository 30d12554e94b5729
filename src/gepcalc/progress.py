"""A rich progress bar for dask computations (shown by the CLI on long runs)."""

from __future__ import annotations

from dask.callbacks import Callback
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


class RichProgress(Callback):
    """Context manager: a progress bar counting dask tasks as they finish."""

    def __init__(self, description: str = "computing"):
        super().__init__()
        self._description = description
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            transient=True,
        )
        self._task = None

    def _start_state(self, dsk, state):
        total = sum(len(state[k]) for k in ("ready", "waiting", "running", "finished"))
        self._progress.start()
        self._task = self._progress.add_task(self._description, total=total)

    def _posttask(self, key, result, dsk, state, worker_id):
        self._progress.advance(self._task)

    def _finish(self, dsk, state, errored):
        self._progress.stop()
