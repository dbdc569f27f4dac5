"""Interactive shells of the paramiko client: the channel part.

A shell is a channel on which the login shell is requested (``invoke_shell``) instead of a
command, without a PTY, so the shell reads its commands from standard input and nothing is
echoed. Its output is pumped, read and bounded exactly as a command's
(:mod:`pssh.clients.miko._output`). The shared shell object is
:class:`pssh.clients._shell.InteractiveShell`; the client is its
:class:`~pssh.clients._shell.ShellClient`.
"""

from __future__ import annotations

from typing import Any

from .._lines import codec_name
from .._shell import InteractiveShell
from ._errors import map_errors
from ._forward import forward_agent


def open_shell(
    client: Any,
    encoding: str = "utf-8",
    read_timeout: float | None = None,
    max_line_length: int | None = None,
) -> InteractiveShell:
    """Open a login shell on a new channel of ``client``'s connection.

    :param client: The :class:`pssh.clients.miko.single.SSHClient`.
    :param encoding: Codec of the commands written and of the output.
    :param read_timeout: Seconds without output after which reading raises
      :py:class:`pssh.exceptions.Timeout`; ``None``: the client's ``channel_timeout``.
    :param max_line_length: Longest line handed out whole (as ``run_command``).
    :raises: :py:class:`pssh.exceptions.SessionError` naming the host when the
      connection is gone or the server refuses the channel.
    """
    codec_name(encoding)  # an unknown codec fails here, before anything opens
    channel = client.open_session()
    with map_errors(client.host, "opening a shell"):
        if client.forward_ssh_agent:
            forward_agent(channel, client.host, client.agent, client.allow_agent)
        channel.invoke_shell()
    stdout, stderr, stdin = client.keep_output(channel, encoding, read_timeout, max_line_length)
    return InteractiveShell(client, channel, stdout, stderr, stdin, encoding)
