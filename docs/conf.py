"""Sphinx configuration of the gepcalc docs (MyST markdown, executed notebooks, API from numpydoc docstrings).

Build (warnings are errors; tests/test_docs.py runs the same when Sphinx is installed)::

    python scripts/build_docs.py                    # regenerate docs/indicators/ and docs/profiles.md
    sphinx-build -W -b html docs docs/_build/html   # pip install -e ".[docs]"

The notebooks (``docs/notebooks`` is a link to ``notebooks/``) are executed when they changed since the
last build (``cache``: results kept in ``docs/_build/.jupyter_cache``); ``GEPCALC_DOCS_EXECUTE=force``
executes them at every build (as tests/test_docs.py does), ``off`` shows their stored outputs.
"""

from __future__ import annotations

import os

import gepcalc

project = "gepcalc"
author = "gepcalc developers"
copyright = "gepcalc developers, MIT licence"
version = release = gepcalc.__version__
language = "en"

extensions = [
    "myst_nb",  # markdown pages (MyST) and notebooks
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",  # numpydoc-style docstrings
    "sphinx.ext.mathjax",
]

root_doc = "index"
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb"}

# -- MyST ---------------------------------------------------------------------------------
myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3  # links to sections: page.md#a-heading

# -- notebooks ----------------------------------------------------------------------------
nb_execution_mode = os.environ.get("GEPCALC_DOCS_EXECUTE", "cache")
nb_execution_timeout = 240  # seconds per cell
nb_execution_raise_on_error = True  # a failing cell fails the build
nb_execution_in_temp = False  # run in notebooks/, so relative paths to data/ hold; notebooks write to temp dirs
nb_merge_streams = True

# -- API reference --------------------------------------------------------------------------
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": False}
napoleon_numpy_docstring = True
napoleon_google_docstring = False
napoleon_use_rtype = False

# -- HTML ---------------------------------------------------------------------------------
html_theme = "alabaster"
html_title = f"gepcalc {release}"
html_theme_options = {
    "description": "Gross Ecosystem Product (GEP, 生态系统生产总值) accounts in Python",
    "page_width": "1360px",  # the indicator pages' parameter tables are wide
    "sidebar_width": "250px",
    "body_max_width": "none",
}
