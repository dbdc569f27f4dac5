"""One helper for the deprecated import paths kept from 1.8.0.

Each shim module (:mod:`pssh.pssh_client`, :mod:`pssh.ssh_client`,
:mod:`pssh.pssh2_client`, :mod:`pssh.ssh2_client`, :mod:`pssh.tunnel`) calls
:func:`warn_moved` once, when it is first imported, and re-exports the very
same objects as the new location. As in 1.8.0 the warning is a plain
:py:class:`UserWarning`, shown by default (a ``DeprecationWarning`` would be
hidden outside ``__main__``).
"""

from __future__ import annotations

import warnings

__all__ = ["warn_moved"]


def warn_moved(old: str, new: str, note: str = "") -> None:
    """Warn that module ``old`` is deprecated in favour of ``new``.

    The warning points at the user's ``import`` statement.

    :param old: Deprecated module path, e.g. ``pssh.pssh_client``.
    :type old: str
    :param new: Where the same objects live now, e.g. ``pssh.clients.miko``.
    :type new: str
    :param note: (Optional) A sentence appended to the message.
    :type note: str
    :rtype: None
    """
    message = (
        f"Importing from {old} is deprecated and will be removed in 2.0.0; "
        f"import from {new} instead."
    )
    if note:
        message = f"{message} {note}"
    # stacklevel 3: past this function and the shim module; the warnings module skips
    # the importlib frames in between, landing on the user's import statement.
    warnings.warn(message, UserWarning, stacklevel=3)
