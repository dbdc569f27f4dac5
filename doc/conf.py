# Sphinx configuration for the pssh documentation.
#
# Build with:  python -m sphinx -W -n -b html doc doc/_build/html
# (tests/unit/test_docs_build.py runs exactly this strict build, so CI does too.)
#
# The build needs no network: references to the Python and gevent documentation are
# resolved from inventories kept in doc/_inventories/ (copied from Debian's python3.11-doc
# and python-gevent-doc packages; see doc/_inventories/README). Refresh them by hand when
# those documentations move; the build never downloads anything.

import os
import sys
import warnings

sys.path.insert(0, os.path.abspath(".."))

# autodoc imports pssh.clients.miko, which monkey patches this (already running) process
# with gevent, as importing it does in users' programs. Sphinx has imported ssl by then,
# so gevent warns that patching came late; that is expected here and harmless for a build
# that only reads docstrings.
warnings.filterwarnings("ignore", message="Monkey-patching ssl after ssl")

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
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
]

root_doc = "index"
source_suffix = {".rst": "restructuredtext"}
exclude_patterns = ["_build", "_inventories"]
templates_path: list = []
pygments_style = "sphinx"

# Docstrings use Sphinx field lists (:param:, :type:, :raises:, :rtype:), so
# napoleon is not needed. Types are given in the docstrings; signatures stay
# as the 1.8.0 documentation printed them, without annotations.
autodoc_member_order = "bysource"
autodoc_typehints = "none"
autoclass_content = "class"

# Local inventories only (see the top of this file): (where the pages are, which file
# lists their objects). intersphinx_timeout and the cache do not matter: nothing is fetched.
intersphinx_mapping = {
    "python": ("https://docs.python.org/3", "_inventories/python.inv"),
    "gevent": ("https://www.gevent.org/", "_inventories/gevent.inv"),
}

# References the strict build (-n) cannot resolve, on purpose. Each needs a reason.
nitpick_ignore_regex = [
    # ssh2-python and paramiko publish no inventory in any package we can install without
    # network (Debian's paramiko-doc ships no HTML), so their names stay plain text.
    ("py:.*", r"ssh2(\..*)?"),
    ("py:.*", r"paramiko(\..*)?"),
]

html_theme = "alabaster"
html_static_path: list = []
html_theme_options = {
    "description": "Asynchronous parallel SSH client library",
    "show_powered_by": False,
}


def _is_private(cls: type) -> bool:
    """Whether ``cls`` is an implementation detail: its name or a part of its module's
    name starts with an underscore (mixins such as ``pssh.clients.native._transfer``)."""
    parts = [*cls.__module__.split("."), cls.__name__]
    return any(part.startswith("_") for part in parts)


def _public_bases(app, name, obj, options, bases: list) -> None:
    """autodoc-process-bases: show only public base classes.

    A private base is replaced by its own public bases (so ``ParallelSSHClient`` shows
    ``BaseParallelSSHClient`` and not the mixins it is assembled from); ``object`` is never
    shown.
    """
    shown: list = []

    def add(base) -> None:
        if not isinstance(base, type) or base is object:
            return
        if _is_private(base):
            for grand in base.__bases__:
                add(grand)
        elif base not in shown:
            shown.append(base)

    for base in bases:
        add(base)
    bases[:] = shown


def setup(app) -> None:
    app.connect("autodoc-process-bases", _public_bases)
