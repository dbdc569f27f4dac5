"""No traceback on the terminal for a host that failed.

The library runs each host's copy in a greenlet whose exception the caller
collects (``gevent.joinall(..., raise_error=True)`` or ``.get()``), and the
command line tool does collect it and prints one ``pssh: host: error: ...``
line. gevent's hub, though, also prints the traceback of every greenlet that
ends with an exception (about 40 lines per host). Here the hub of the tool's
process stops printing those of *per-host failures*: a :class:`PSSHError` or
an :class:`OSError` that names its host. Anything else - a bug in pssh itself -
still shows its traceback.
"""

from __future__ import annotations

from typing import Any

from ..exceptions import PSSHError


def is_host_failure(error: BaseException | None) -> bool:
    """Whether ``error`` is one host's failure, reported by the tool itself."""
    return isinstance(error, (PSSHError, OSError)) and getattr(error, "host", None) is not None


def quiet_host_failures() -> None:
    """Make the current gevent hub print no traceback for host failures (once per hub)."""
    from gevent.hub import get_hub

    hub = get_hub()
    if getattr(hub, "_pssh_quiet", False):
        return
    print_exception = hub.print_exception

    def print_unless_host_failure(context: Any, kind: Any, value: Any, tb: Any) -> None:
        if not is_host_failure(value):
            print_exception(context, kind, value, tb)

    hub.print_exception = print_unless_host_failure
    hub._pssh_quiet = True
