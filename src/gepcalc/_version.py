"""gepcalc's version: the installed distribution's, or ``0.0.0+source`` when run from a source tree.

Its own module so that the CLI, the run log and the reports can read it without importing the
package root (which would import everything, and make a cycle with it).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("gepcalc")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0+source"
