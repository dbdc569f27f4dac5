"""The library's log on the terminal: its warnings always, everything with ``-v``.

Without ``-v``, the library's warnings (an ssh_config option pssh cannot carry
out, agent forwarding that cannot be given...) show as ``pssh: warning:``
lines: they concern what the user asked for. ``-v`` shows its informational
messages too, ``-vv`` its debug messages, each with the logger's name, and
each host failure's traceback follows its message (see
:class:`pssh.cli._engine.Runner`). gevent's own traceback printing of failed
host greenlets stays off in every case (:mod:`pssh.cli._quiet`): the tool
reports each failure once, itself.
"""

from __future__ import annotations

import logging

from ._console import Console
from ._wording import cli_words


class _ConsoleLog(logging.Handler):
    """Log records as ``pssh: ...`` lines through the console (so they never
    land inside the progress line), in command line terms."""

    def __init__(self, console: Console, level: int, verbose: bool) -> None:
        super().__init__(level)
        self.console = console
        self.verbose = verbose

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = cli_words(record.getMessage())
            if self.verbose:
                text = f"[{record.name}] {record.levelname.lower()}: {text}"
            else:
                text = f"warning: {text}"
            self.console.message(text)
        except Exception:  # never let a log line end the run
            self.handleError(record)


def show_library_log(console: Console, verbose: int) -> None:
    """Send the ``pssh`` loggers' records to ``console``: warnings, or with
    ``verbose`` 1 informational messages and from 2 debug messages."""
    from ._quiet import quiet_host_failures

    quiet_host_failures()  # each failed host gets one error line, not a gevent traceback too
    library = logging.getLogger("pssh")
    for handler in list(library.handlers):
        if isinstance(handler, _ConsoleLog):
            library.removeHandler(handler)  # main() called again in one process
    level = logging.WARNING if not verbose else logging.INFO if verbose == 1 else logging.DEBUG
    library.addHandler(_ConsoleLog(console, level, bool(verbose)))
    if verbose:
        library.setLevel(level)


__all__ = ["show_library_log"]
