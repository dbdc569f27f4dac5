# Sphinx configuration for the pssh documentation.
#
# Build with:  python -m sphinx -b html doc doc/_build/html
# No extension here needs network access (intersphinx is deliberately off).

import os
import sys

sys.path.insert(0, os.path.abspath(".."))

_version: dict = {}
with open(os.path.join(os.path.dirname(__file__), "..", "pssh", "_version.py")) as _fh:
    exec(_fh.read(), _version)

project = "pssh"
author = "the pssh developers"
copyright = "2026, the pssh developers"
release = _version["__version__"]
version = release.split("+")[0]

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.viewcode",
]

root_doc = "index"
source_suffix = {".rst": "restructuredtext"}
exclude_patterns = ["_build"]
templates_path: list = []
pygments_style = "sphinx"

# Docstrings use Sphinx field lists (:param:, :type:, :raises:, :rtype:), so
# napoleon is not needed. Types are given in the docstrings; signatures stay
# as the 1.8.0 documentation printed them, without annotations.
autodoc_member_order = "bysource"
autodoc_typehints = "none"
autoclass_content = "class"

html_theme = "alabaster"
html_static_path: list = []
html_theme_options = {
    "description": "Asynchronous parallel SSH client library",
    "show_powered_by": False,
}
