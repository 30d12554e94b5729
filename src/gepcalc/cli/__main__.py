"""``python -m gepcalc.cli``: the command line, as ``gepcalc``."""

from gepcalc.cli import app

app()
