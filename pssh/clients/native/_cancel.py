"""Cancelling commands of the native client: the signal request and the hang-up.

Functions of the client's :class:`~._commands.Commands` part (delegated to by the
single-host client), for commands started by its ``run_command``.
"""

from __future__ import annotations

from typing import Any

from ._commands import Commands
from ._eagain import is_eagain
from ._errors import map_errors
from ._output import ChannelOutput, exit_status


def _command(commands: Commands, channel: Any) -> ChannelOutput | None:
    out = commands.outputs.get(id(channel))
    return out if out is not None and out.channel is channel else None


def command_info(commands: Commands, channel: Any) -> tuple[str | None, float | None]:
    """The exact command string sent for ``channel`` and its read timeout
    (``(None, None)`` for a channel not started by ``run_command``)."""
    out = _command(commands, channel)
    return (None, None) if out is None else (out.command, out.timeout)


def send_signal(commands: Commands, channel: Any, signame: str) -> None:
    """Send the SSH ``signal`` channel request (RFC 4254 6.9) to the command on
    ``channel``: ``signame`` without ``SIG`` (``'TERM'``). A finished command is
    left alone. The server may ignore the request (see :doc:`/advanced`).

    :raises: :py:class:`pssh.exceptions.SessionError` when disconnected."""
    out = _command(commands, channel)
    if out is None or out.closed or commands.conn is None:
        return
    conn = commands.connection()
    with map_errors(commands.host, "sending signal %s" % (signame,)):
        conn.eagain(channel.signal, signame, timeout=conn.timeout)
    out.signalled = True


def hang_up(commands: Commands, channel: Any) -> None:
    """Close ``channel`` now, without waiting for the command to end (libssh2's
    close waits for the server's, which comes once the command has exited): a
    command with a PTY is hung up (``SIGHUP``); one without keeps running until
    it ends by itself. Output not read yet is dropped; the exit code is ``-1``
    unless the command had sent one. The close is completed before the next
    channel opens."""
    conn, out = commands.conn, _command(commands, channel)
    if conn is None or out is None or out.closed:
        return
    with map_errors(commands.host, "closing channel"):
        if is_eagain(conn.call(channel.close)):
            commands.dropped.append(channel)
    out.stdout.done = out.stderr.done = out.closed = True
    out.exit_status = exit_status(channel) if channel.eof() else -1
