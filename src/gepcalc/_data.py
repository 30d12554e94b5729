"""Where the package's data files are.

The repository keeps them in top-level ``data/`` (``coefficients``, ``demo``,
``profiles``); the wheel ships them as ``gepcalc/_data/``.  An editable install
or a source checkout reads the repository's folder directly.
"""

from __future__ import annotations

from pathlib import Path


def data_dir(kind: str) -> Path:
    """Folder of the packaged data of ``kind`` ('coefficients', 'demo' or 'profiles')."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_data" / kind, here.parents[1] / "data" / kind):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"gepcalc's {kind} data folder is missing (looked in {here / '_data'} and "
        f"{here.parents[1] / 'data'}); reinstall the package"
    )
