"""doc/logging.rst names every logger pssh logs to, so the page cannot miss one that a
change adds (the command line tool, pssh.cli, has its own page)."""

from __future__ import annotations

import os
import re

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_GET = re.compile(r"""(\w+)\s*=\s*logging\.getLogger\((__name__|["']([\w.]+)["'])\)""")


def _loggers_used() -> dict[str, str]:
    """Logger name -> a module that logs to it."""
    used = {}
    package = os.path.join(REPO, "pssh")
    for folder, _dirs, files in os.walk(package):
        if os.path.relpath(folder, package).split(os.sep)[0] == "cli":
            continue
        for name in files:
            if not name.endswith(".py"):
                continue
            path = os.path.join(folder, name)
            module = os.path.relpath(path, REPO)[:-3].replace(os.sep, ".")
            module = module.removesuffix(".__init__")
            with open(path, encoding="utf-8") as fh:
                source = fh.read()
            for var, arg, literal in _GET.findall(source):
                logger = module if arg == "__name__" else literal
                calls = re.search(
                    r"\b%s\.(debug|info|warning|error|exception|critical)\b|warn_once\(\s*%s\b"
                    % (var, var),
                    source,
                )
                if calls:
                    used.setdefault(logger, module)
            inline = re.search(r"logging\.getLogger\(__name__\)\.(debug|info|warning)", source)
            if inline:
                used.setdefault(module, module)
    return used


def test_every_logger_is_on_the_logging_page():
    with open(os.path.join(REPO, "doc", "logging.rst"), encoding="utf-8") as fh:
        page = fh.read()
    used = _loggers_used()
    assert "pssh.host_logger" in used and "pssh.clients" in used, used
    missing = {name: module for name, module in used.items() if "``%s``" % name not in page}
    assert not missing, "loggers not described in doc/logging.rst: %r" % missing
