"""Interactive shells of the native client: the channel part.

A shell is a channel of the client's connection on which the login shell is requested
(``shell``) instead of a command (``execute``), without a PTY, so the shell reads its
commands from standard input and nothing is echoed. Its output state is a
:class:`~._output.ChannelOutput` kept by the client's :class:`~._commands.Commands`, exactly
as a command's, so reading, ``read_timeout``, the per-line memory bound, finishing and
closing a dropped shell's channel are the commands' own. The shared shell object is
:class:`pssh.clients._shell.InteractiveShell`, which finishes the shell through the
:class:`~._commands.Commands` (its :class:`~pssh.clients._shell.ShellClient`).
"""

from __future__ import annotations

import functools
import weakref
from typing import Any

from .._lines import codec_name
from .._shell import InteractiveShell
from ..base_single import Holders
from ._commands import Commands
from ._errors import map_errors
from ._output import ChannelOutput, Stdin


def _shell_dropped(commands_ref: Any, out: ChannelOutput) -> None:
    """The user dropped the shell (its output and stdin): forget its output; its channel,
    if still open, is closed before the next one opens (see
    :meth:`~._commands.Commands.close_dropped`)."""
    commands = commands_ref()
    if commands is not None:
        commands.forget(out)


def open_shell(
    commands: Commands,
    encoding: str = "utf-8",
    read_timeout: float | None = None,
    max_line_length: int | None = None,
) -> InteractiveShell:
    """Open a login shell on a new channel of ``commands``' connection.

    :param commands: The client's commands part: opens the channel and keeps the output.
    :param encoding: Codec of the commands written and of the output.
    :param read_timeout: Seconds without output after which reading raises
      :py:class:`pssh.exceptions.Timeout`; ``None`` waits.
    :param max_line_length: Longest line handed out whole (as ``run_command``).
    :raises: :py:class:`pssh.exceptions.SessionError` naming the host when the server
      refuses the channel or the shell; other failures as the failure table says.
    """
    codec_name(encoding)  # an unknown codec fails here, before anything opens
    channel = commands.open_session()
    conn = commands.connection()
    with map_errors(commands.host, "opening a shell"):
        conn.eagain(channel.shell, timeout=conn.timeout)
    out = ChannelOutput(channel, encoding, read_timeout, max_line_length)
    commands.outputs[id(channel)] = out
    out.holders = Holders(functools.partial(_shell_dropped, weakref.ref(commands), out))
    stdout = out.holders.hold(commands.iter_lines(out, out.stdout, read_timeout))
    stderr = out.holders.hold(commands.iter_lines(out, out.stderr, read_timeout))
    stdin = out.holders.hold(Stdin(commands, channel, encoding))
    return InteractiveShell(commands, channel, stdout, stderr, stdin, encoding)
