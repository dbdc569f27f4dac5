"""Commands and their output for the native client.

:class:`Commands` starts commands on channels of the client's current
:class:`~._connection.SSHConnection` and reads their output (state per channel in
:mod:`._output`). Reading is lazy, a large chunk at a time, by whoever needs it next: a
``stdout``/``stderr`` generator, or ``join`` draining the channel so the command can finish.
Reading a stream to its end finishes the command (its channel is closed and its exit status
kept); output dropped unread closes its channel before the next one opens.
"""

from __future__ import annotations

import functools
import logging
import weakref
from collections.abc import Callable, Iterator
from typing import Any

from gevent import Timeout as GTimeout

from ...exceptions import ConnectionErrorException, SessionError, Timeout
from .._lines import bomless, codec_name
from ..base_single import Holders, host_logging, logged_lines, make_command
from ._connection import Part
from ._eagain import is_eagain
from ._errors import map_errors
from ._output import (
    CHUNK,
    ChannelOutput,
    Stdin,
    StreamState,
    drain,
    exit_status,
    read_chunk,
    take_arrived,
)

logger = logging.getLogger("pssh.clients.native.single")


def _output_dropped(commands_ref: Any, out: ChannelOutput) -> None:
    """Every generator (and the stdin) of a command is gone: forget its
    output; a channel not yet closed is closed before the next channel
    opens (never here: this runs from the garbage collector, possibly in
    the middle of another libssh2 call)."""
    commands = commands_ref()
    if commands is not None:
        commands.forget(out)


class Commands(Part):
    """Commands and output of the native single host client.

    :param host: Host name, for messages.
    :param open_session: Opens a new channel (the client's
      :meth:`~pssh.clients.native.single.SSHClient.open_session`, which also
      calls :meth:`close_dropped`).
    :param outputs: Output state per channel (``id(channel)``), until read or
      dropped; the client's, so it survives reconnects.
    :param dropped: Channels of dropped output, still to close.
    """

    def __init__(
        self,
        host: str,
        open_session: Callable[[], Any],
        outputs: dict[int, ChannelOutput],
        dropped: list[Any],
    ) -> None:
        super().__init__(host)
        self.open_session = open_session
        self.outputs = outputs
        self.dropped = dropped

    def forget(self, out: ChannelOutput) -> None:
        """The user dropped every generator and the stdin of ``out``'s command:
        forget it; its channel, if still open, is closed by :meth:`close_dropped`."""
        if self.outputs.get(id(out.channel)) is out:
            del self.outputs[id(out.channel)]
        if not out.closed and self.conn is not None:
            self.dropped.append(out.channel)

    def close_dropped(self, wait: bool = False) -> None:
        """Close the channels of commands whose output the user dropped
        (every generator gone) before it ended, so that they do not count
        against the server's ``MaxSessions``. A finished command's channel is
        closed completely; a running one is sent our close without waiting
        (the server closes it when the command exits), and checked again
        next time - or, with ``wait``, waited for (``timeout``, else 10
        seconds, each)."""
        dropped = list(self.dropped)
        self.dropped.clear()
        conn = self.conn
        if conn is None:
            return
        for channel in dropped:
            try:
                with map_errors(self.host, "closing a dropped channel"):
                    for read in (channel.read, channel.read_stderr):
                        while conn.try_read(read, CHUNK):  # output nobody will read
                            pass
                    if wait or channel.eof():
                        conn.eagain(channel.close, timeout=conn.timeout or 10)
                        continue
                    if is_eagain(conn.call(channel.close)):
                        self.dropped.append(channel)  # not closed by the server yet
            except Timeout:
                self.dropped.append(channel)  # still running: next time
            except (SessionError, ConnectionErrorException) as exc:
                logger.debug("Could not close a dropped channel on %s: %s", self.host, exc)

    def execute(self, cmd: str, use_pty: bool = False, channel: Any = None) -> Any:
        """Execute command on remote server.

        :param cmd: Command to execute.
        :type cmd: str
        :param use_pty: Whether or not to obtain a PTY on the channel.
        :type use_pty: bool
        :param channel: Use provided channel for execute rather than creating
          a new one.
        :type channel: :py:class:`ssh2.channel.Channel`
        :rtype: :py:class:`ssh2.channel.Channel`
        """
        channel = self.open_session() if channel is None else channel
        conn = self.connection()
        with map_errors(self.host, "executing command"):
            if use_pty:
                conn.eagain(channel.pty, timeout=conn.timeout)
            conn.eagain(channel.execute, cmd, timeout=conn.timeout)
        return channel

    def run_command(
        self,
        command: str,
        sudo: bool = False,
        user: str | None = None,
        use_pty: bool = False,
        shell: str | None = None,
        encoding: str = "utf-8",
        timeout: float | None = None,
        *,
        max_line_length: int | None = None,
    ) -> tuple[Any, str, Iterator[str], Iterator[str], Stdin]:
        """Run remote command.

        :param command: Command to run.
        :type command: str
        :param sudo: Run command via sudo as super-user.
        :type sudo: bool
        :param user: Run command as user via sudo
        :type user: str
        :param use_pty: Whether or not to obtain a PTY on the channel.
        :type use_pty: bool
        :param shell: (Optional) Override shell to use to run command with.
          Defaults to login user's defined shell. Use the shell's command
          syntax, eg `shell='bash -c'` or `shell='zsh -c'`.
        :type shell: str
        :param encoding: Encoding to use for output. Must be valid
          `Python codec <https://docs.python.org/library/codecs.html>`_
        :type encoding: str
        :param timeout: (Optional) Seconds without output after which reading
          stdout or stderr raises :py:class:`pssh.exceptions.Timeout`.
        :type timeout: float
        :param max_line_length: (Optional, keyword only) Longest line, in
          characters, handed out whole; a longer line comes as several lines
          of this length, so that output without newlines cannot fill memory.
          Defaults to ``pssh.clients._lines.MAX_LINE_LENGTH`` (64 MiB).
        :type max_line_length: int

        When both ``stdout`` and ``stderr`` have been read to their end, the
        command has finished: its channel is closed and its exit code is
        available (:py:meth:`get_exit_status`). Output that is dropped
        unread (every generator gone) closes its channel too.

        :rtype: tuple ``(channel, host, stdout, stderr, stdin)``
        """
        codec_name(encoding)  # an unknown codec fails here, before anything runs
        sent = make_command(command, sudo, user, shell)
        channel = self.execute(sent, use_pty=use_pty)
        out = ChannelOutput(channel, encoding, timeout, max_line_length)
        out.command = sent
        self.outputs[id(channel)] = out
        out.holders = Holders(functools.partial(_output_dropped, weakref.ref(self), out))
        stdout = out.holders.hold(self.iter_lines(out, out.stdout, timeout))
        stderr = out.holders.hold(self.iter_lines(out, out.stderr, timeout))
        stdin = out.holders.hold(Stdin(self, channel, encoding))
        return channel, self.host, stdout, stderr, stdin

    def _lookup(self, channel: Any) -> ChannelOutput | None:
        out = self.outputs.get(id(channel))
        return out if out is not None and out.channel is channel else None

    def output_of(self, channel: Any, encoding: str | None = None) -> ChannelOutput:
        """The output state of ``channel``; for a channel not started by
        :py:meth:`run_command` (:py:meth:`execute`), made here, reading
        ``encoding`` lines (``None``: bytes)."""
        out = self._lookup(channel)
        if out is None:
            out = self.outputs[id(channel)] = ChannelOutput(channel, encoding)
        return out

    def output_streams(
        self, channel: Any, timeout: float | None = None, *, keep_timeout: bool = True
    ) -> tuple[Iterator[str], Iterator[str]]:
        """Fresh stdout and stderr line generators for ``channel``, resuming
        where earlier ones stopped (used to restart output after a timeout).

        :param timeout: Read timeout of the new generators; ``None`` keeps the
          command's own when ``keep_timeout``, else means no timeout.
        """
        out = self.output_of(channel, "utf-8")
        if timeout is None and keep_timeout:
            timeout = out.timeout
        stdout = self._text_lines(out, out.stdout, timeout)
        stderr = self._text_lines(out, out.stderr, timeout)
        if out.holders is not None:
            out.holders.hold(stdout)
            out.holders.hold(stderr)
        return stdout, stderr

    def _text_lines(
        self, out: ChannelOutput, stream: StreamState, timeout: float | None
    ) -> Iterator[str]:
        lines = self.iter_lines(out, stream, timeout)
        if out.encoding is None:  # a channel read as bytes so far
            return (line.decode("utf-8", "replace") for line in lines)
        return lines

    def _byte_lines(
        self, out: ChannelOutput, stream: StreamState, timeout: float | None
    ) -> Iterator[bytes]:
        lines = self.iter_lines(out, stream, timeout)
        if out.encoding is not None:  # a command's channel: lines were decoded
            codec = bomless(out.encoding)
            return (line.encode(codec) for line in lines)
        return lines

    def read_output(self, channel: Any, timeout: float | None = None) -> Iterator[bytes]:
        """Read standard output buffer from channel.

        A generator of the output's lines as ``bytes``, without their line
        endings, as 1.8.0 gave them: decode them with
        :py:meth:`read_output_buffer`. For a channel of :py:meth:`run_command`
        the lines are its decoded lines encoded again with its encoding.

        :param channel: Channel to read output from.
        :type channel: :py:class:`ssh2.channel.Channel`
        :param timeout: Seconds without output before
          :py:class:`pssh.exceptions.Timeout` is raised.
        """
        out = self.output_of(channel)
        return self._byte_lines(out, out.stdout, timeout)

    def read_stderr(self, channel: Any, timeout: float | None = None) -> Iterator[bytes]:
        """Read standard error buffer from channel: lines as ``bytes``, as
        :py:meth:`read_output`.

        :param channel: Channel to read output from.
        :type channel: :py:class:`ssh2.channel.Channel`
        """
        out = self.output_of(channel)
        return self._byte_lines(out, out.stderr, timeout)

    def iter_lines(
        self, out: ChannelOutput, stream: StreamState, timeout: float | None
    ) -> Iterator[Any]:
        """Lines of ``stream`` (of ``out``) as they arrive, logged to ``host_logger`` when it
        is enabled; reading to the end finishes the command (see :meth:`wait_finished`)."""
        # One chunk's lines at a time through the stream's shared iterator:
        # ``yield from`` hands each line out without running any bytecode here.
        log = host_logging()
        while True:
            lines = stream.current
            if lines is not None:
                yield from logged_lines(self.host, lines) if log else lines
                if stream.current is lines:
                    stream.current = None
                continue
            if stream.next_lines():
                continue
            if stream.closed:
                self._complete(out, timeout)
                self._release(out)
                return
            stream.take(read_chunk(self.conn, out, stream, timeout, self.host))

    def write(self, channel: Any, data: bytes) -> None:
        """Send all of ``data`` to the standard input of the command on ``channel``."""
        write = self.connection().write
        with map_errors(self.host, "writing to stdin"):
            for start in range(0, len(data), CHUNK):
                write(channel.write, data[start : start + CHUNK])

    def send_eof(self, channel: Any) -> None:
        """End the standard input of the command on ``channel``."""
        out = self._lookup(channel)
        if out is not None and (out.closed or out.closing):
            return  # the command has ended: closing its channel sends EOF
        with map_errors(self.host, "closing stdin"):
            self.connection().eagain(channel.send_eof)

    # -- completion -------------------------------------------------------

    def _complete(self, out: ChannelOutput, timeout: float | None) -> None:
        """A stream was read to its end, which is the channel's end: finish
        the command (what is left of the other stream is kept for its
        reader), close the channel and keep its exit status, so that reading
        output is all a caller needs to do before asking for the exit code.
        A command that ended its output but not itself within ``timeout``
        keeps running; its exit code comes later."""
        if out.closed or self.conn is None:
            return
        out.closing = True
        try:
            self._finish(out.channel, keep_output=True, timeout=timeout)
        except Timeout:
            logger.debug("Command on %s ended its output but is still running", self.host)
        finally:
            out.closing = False

    def wait_finished(self, channel: Any, timeout: float | None = None) -> None:
        """Wait for EOF from channel and close channel.

        Used to wait for remote command completion and be able to gather
        exit code. Output not yet read is kept for the output generators.

        :param channel: The channel to use.
        :type channel: :py:class:`ssh2.channel.Channel`
        :param timeout: Seconds to wait at most.
        :raises: :py:class:`pssh.exceptions.Timeout` when the command has not
          finished within ``timeout`` seconds.
        """
        self._finish(channel, keep_output=True, timeout=timeout)

    def _finish(self, channel: Any, keep_output: bool, timeout: float | None) -> None:
        if channel is None or self.conn is None:
            return
        out = self.output_of(channel)
        expired = Timeout(
            "Command on host %s still running after %s seconds", self.host, timeout, host=self.host
        )
        with GTimeout(timeout, expired):
            drain(self.connection(), out, keep_output, self.host)
            self.close_channel(channel)

    def close_channel(self, channel: Any) -> None:
        """Close channel: the remote side sees its end; with a PTY, the
        running command is terminated.

        :param channel: The channel to close.
        :type channel: :py:class:`ssh2.channel.Channel`
        """
        conn = self.conn
        if conn is None:
            return
        out = self.output_of(channel)
        if out.closed:  # closed already (finished, or hung up by cancel)
            return
        with map_errors(self.host, "closing channel"):
            conn.eagain(channel.close)
            if channel.eof():
                # libssh2 can wait for the remote close only after its EOF;
                # a command still running is left to the server to end.
                conn.eagain(channel.wait_closed)
        out.stdout.done = out.stderr.done = out.closed = True
        out.exit_status = exit_status(channel, out.signalled)
        self._release(out)

    def _release(self, out: ChannelOutput) -> None:
        """Forget a channel's state once it is closed and fully read. A
        command's (:py:meth:`run_command`) is kept, with its exit status,
        until the user drops its output."""
        if out.holders is not None:
            return
        if out.exhausted and self.outputs.get(id(out.channel)) is out:
            del self.outputs[id(out.channel)]

    def get_exit_status(self, channel: Any) -> int | None:
        """Exit status of a finished command, ``None`` while it runs.

        A command has finished once its output was read to the end, or it was
        waited for with :py:meth:`wait_finished`, or its output has all
        arrived (what arrived is kept for the output generators): its
        channel is then closed, without waiting for output.
        """
        if channel is None:
            return None
        out = self._lookup(channel)
        if out is None:
            return channel.get_exit_status() if channel.eof() else None
        if not out.closed and not self._poll(out):
            return None
        return out.exit_status

    def _poll(self, out: ChannelOutput) -> bool:
        """Take what output has arrived for ``out`` (kept for its readers),
        without waiting; when both streams have ended, close the channel.
        Whether the channel is closed."""
        conn = self.conn
        if conn is None:
            return False
        take_arrived(conn, out, self.host)
        if not out.finished:
            return False
        self._complete(out, conn.timeout)
        return out.closed

    def finished(self, channel: Any) -> bool:
        """Whether the command on ``channel`` has finished, without waiting
        for output (as :py:meth:`get_exit_status`)."""
        return channel is None or self.get_exit_status(channel) is not None
