"""Checking names that a server puts in a directory listing, before they reach the local disk.

A recursive download joins each remote name onto a local path. A hostile (or broken) server
can list names such as ``../../x``, ``/etc/x`` or ``a/b`` that would write outside the
destination, so every name is decoded with the client's encoding first - the check must see
what the local file system will see: ``b".\\x00.\\x00"`` is ``..`` in UTF-16 - and refused
when it is not one plain path component. Both client families call :func:`decode_name`, so
they accept and refuse the same names.

Refused: the empty name, ``.`` and ``..``, any name holding ``/`` (or the local OS's other
path separator: a backslash on Windows; on POSIX a backslash is an ordinary character that
Unix file names may hold) and any name holding NUL. A refused name is logged as a warning
naming host, folder and name (``repr``, so control characters show), and the rest of the
listing is used. The ``.`` and ``..`` entries every server sends are skipped silently.

Names of an SCP download never come from the server: libssh2 reads the file's header but
the local name is always the one the caller gave.

A listing is also bounded: a server that never ends a directory listing would otherwise make
a download loop (and hold memory) forever. :data:`MAX_DIR_ENTRIES` entries per folder are
accepted; one more fails the download of that host with an error naming host and folder.
"""

from __future__ import annotations

import logging
import os

logger = logging.getLogger("pssh.clients.remote_names")

MAX_DIR_ENTRIES = 1_000_000
"""Most entries accepted in one remote directory listing (names refused or not). Far above
real folders; a listing going past it is taken as a server that never ends it."""

_SEPARATORS = frozenset(sep for sep in ("/", os.sep, os.altsep) if sep)
_STANDARD = (b".", b"..")


def name_problem(name: str) -> str | None:
    """Why ``name`` (decoded) cannot be used as one local path component; ``None`` if it can.

    :rtype: str or None
    """
    if not name:
        return "empty name"
    if name in (".", ".."):
        return "names the folder itself or its parent"
    if "\x00" in name:
        return "holds a NUL character"
    if any(sep in name for sep in _SEPARATORS):
        return "holds a path separator"
    return None


def decode_name(raw: bytes, encoding: str, host: str, directory: str) -> str | None:
    """``raw`` (a name from the listing of remote ``directory`` on ``host``) decoded with
    ``encoding`` (undecodable bytes kept through ``surrogateescape``), or ``None`` when it must
    not be used: the standard ``.`` / ``..`` entries silently, anything else :func:`name_problem`
    refuses with a warning on the ``pssh.clients.remote_names`` logger.

    :rtype: str or None
    """
    if raw in _STANDARD:
        return None
    try:
        name = raw.decode(encoding, "surrogateescape")
    except (UnicodeError, LookupError) as exc:
        logger.warning(
            "Skipping remote name %r in %s on host %s - cannot decode it as %s (%s)",
            raw, directory, host, encoding, exc,
        )  # fmt: skip
        return None
    problem = name_problem(name)
    if problem is None:
        return name
    logger.warning(
        "Skipping remote name %r in %s on host %s - %s (refusing to write outside the "
        "destination)", name, directory, host, problem,
    )  # fmt: skip
    return None


class ListingTooLong(Exception):
    """Raised by :func:`count_entry` when a listing passes :data:`MAX_DIR_ENTRIES`; the
    clients turn it into their SFTP error naming host and folder."""


def count_entry(count: int) -> int:
    """``count + 1``, raising :class:`ListingTooLong` past :data:`MAX_DIR_ENTRIES`.

    :rtype: int
    """
    count += 1
    if count > MAX_DIR_ENTRIES:
        raise ListingTooLong(
            f"more than {MAX_DIR_ENTRIES} entries - the server does not end the listing"
        )
    return count
