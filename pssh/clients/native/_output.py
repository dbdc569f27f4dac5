"""Per-command output state for the native client.

Each command's channel gets a :class:`ChannelOutput` holding its two streams.
A stream is read lazily, a large chunk at a time, by whoever needs it next:
the user's ``stdout``/``stderr`` generator, or ``join`` draining the channel
so the command can finish. What ``join`` drains is kept (raw bytes) for the
generators unless output is being consumed, so nothing is lost and a
generator stopped by a timeout can be replaced by a fresh one that resumes
exactly where the old one stopped.

The functions below read a channel's streams through the client's connection
(:class:`~._connection.SSHConnection`): one chunk for a reader, all of it for
``join``, or what has arrived for an exit status check.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from operator import length_hint
from typing import Any

from ...exceptions import Timeout
from .._lines import LineSplitter
from ._connection import SSHConnection
from ._errors import map_errors

CHUNK = 128 * 1024
"""Bytes asked of libssh2 per read (and written per call). Reads this size keep
ssh2-python's read buffer and the chunk's bytes and text below the sizes at
which glibc maps and unmaps (or trims) memory for each chunk, which at 256 KiB
cost ~100 page faults per MB read."""


POLL_CHUNKS = 16
"""Most chunks of each stream a non-waiting exit status check takes in."""


class StreamState:
    """One stream (stdout or stderr) of a channel.

    Lines ready to hand out are :attr:`current`, an iterator over one chunk's
    lines; it is shared, so a generator replacing one that stopped half-way
    through a chunk goes on exactly where that one stopped.
    """

    __slots__ = ("read", "splitter", "pending", "current", "done", "closed")

    def __init__(self, read: Any, encoding: str | None, max_line_length: int | None = None) -> None:
        self.read = read
        self.splitter = LineSplitter(encoding, max_line_length)
        self.pending: deque[bytes] | None = None  # made when first needed
        self.current: Iterator[str] | None = None
        self.done = False  # the channel said end of stream
        self.closed = False  # the splitter has been flushed

    def take(self, data: bytes) -> None:
        """Chunk read off the channel (``b''`` = end of stream) to keep."""
        if data:
            if self.pending is None:
                self.pending = deque()
            self.pending.append(data)
        else:
            self.done = True

    def next_lines(self) -> bool:
        """Make the next kept chunk's lines :attr:`current` (or, at the end of
        the stream, the last unterminated line); ``False`` if there is none."""
        pending = self.pending
        while pending:
            lines = self.splitter.split(pending.popleft())
            if lines:
                self.current = iter(lines)
                return True
        if self.done and not self.closed:
            self.closed = True
            self.current = iter(self.splitter.finish())
            return True
        return False

    @property
    def has_lines(self) -> bool:
        """Lines are kept that no generator has handed out yet."""
        return bool(self.pending) or (self.current is not None and length_hint(self.current) > 0)


class ChannelOutput:
    """Both streams of one channel.

    :param encoding: Codec of the output; ``None`` for byte lines (a channel
      read with :meth:`pssh.clients.native.single.SSHClient.read_output`).
    """

    __slots__ = (
        "channel", "stdout", "stderr", "encoding", "closed", "timeout", "exit_status",
        "holders", "closing", "command", "signalled",
    )  # fmt: skip

    def __init__(
        self,
        channel: Any,
        encoding: str | None = "utf-8",
        timeout: float | None = None,
        max_line_length: int | None = None,
    ) -> None:
        self.channel = channel
        self.timeout = timeout  # the read timeout the command was started with
        self.encoding = encoding
        self.closed = False  # the channel has been closed both ways
        self.closing = False  # being closed (closing sends our EOF too)
        self.exit_status: int | None = None  # known once closed
        self.holders: Any = None  # what the user holds of a command's output (run_command)
        self.command: str | None = None  # the exact command string sent (run_command)
        self.signalled = False  # a signal request was sent (cancel)
        self.stdout = StreamState(channel.read, encoding, max_line_length)
        self.stderr = StreamState(channel.read_stderr, encoding, max_line_length)

    @property
    def finished(self) -> bool:
        """Both streams have ended on the remote side."""
        return self.stdout.done and self.stderr.done

    @property
    def exhausted(self) -> bool:
        """Closed, and every line has been handed out."""
        return (
            self.closed
            and self.stdout.closed
            and self.stderr.closed
            and not self.stdout.has_lines
            and not self.stderr.has_lines
        )


def exit_status(channel: Any, signalled: bool = False) -> int:
    """The exit status a closed channel's command sent; ``-1`` when it sent none
    (ended by a signal: the server sends ``exit-signal`` instead), as paramiko
    reports it. libssh2 reports ``0`` when no status came, and ssh2-python did not
    report the ``exit-signal`` of a command ended by a signal request (measured), so
    ``0`` after a signal request (``signalled``) is taken as ``-1`` too."""
    signal = channel.get_exit_signal()
    if len(signal) > 1 and signal[1]:
        return -1
    status = channel.get_exit_status()
    return -1 if signalled and status == 0 else status


def queued(channel: Any) -> bool:
    """Whether libssh2 already holds data (or the end) of ``channel``'s
    streams: a read of one stream, or of another channel, takes every packet
    waiting on the socket into libssh2's queue, so the socket can be empty
    while there is output to read - waiting on it then could wait forever."""
    return channel.poll_channel_read(1) > 0 or bool(channel.eof())


def read_chunk(
    conn: SSHConnection | None,
    out: ChannelOutput,
    stream: StreamState,
    timeout: float | None,
    host: str,
) -> bytes:
    """The next chunk of ``stream`` (of ``out``), waiting at most ``timeout`` seconds for
    it; ``b''`` at its end or when disconnected (``conn`` is ``None``). While it has
    nothing, what the other stream has is kept for its reader: a command blocked writing a
    stream nobody reads yet (stderr, while the user reads stdout to the end) would otherwise
    never finish the one being read.

    :raises: :py:class:`pssh.exceptions.Timeout` naming ``host``."""
    if conn is None:
        return b""
    other = out.stderr if stream is out.stdout else out.stdout

    def meanwhile() -> bool:
        if other.done:
            return False
        data = conn.try_read(other.read, CHUNK)
        if data is None:
            # That read may have taken this stream's data off the socket
            # into libssh2's queue: then try again rather than wait.
            return queued(out.channel)
        other.take(data)
        return True

    try:
        with map_errors(host, "reading output"):
            return conn.read(stream.read, CHUNK, timeout, meanwhile)
    except Timeout:
        raise Timeout("No output from host %s for %s seconds", host, timeout, host=host) from None


def drain(conn: SSHConnection, out: ChannelOutput, keep_output: bool, host: str) -> None:
    """Read both streams of ``out`` until the remote side ends them, keeping (or
    dropping) what arrives, so the remote command never stalls on a full
    window while we wait for it."""
    try_read, streams = conn.try_read, (out.stdout, out.stderr)
    with map_errors(host, "waiting for command to finish"):
        while not out.finished:
            progressed = False
            for stream in streams:
                if stream.done:
                    continue
                data = try_read(stream.read, CHUNK)
                if data is None:
                    continue
                progressed = True
                if data and not keep_output:
                    continue
                stream.take(data)
            if not progressed and not queued(out.channel):
                conn.wait()


def take_arrived(conn: SSHConnection, out: ChannelOutput, host: str) -> None:
    """Take what output has arrived for ``out`` (kept for its readers), without waiting."""
    with map_errors(host, "reading output"):
        for stream in (out.stdout, out.stderr):
            for _ in range(POLL_CHUNKS):  # a fast talker is not "finished"
                if stream.done:
                    break
                data = conn.try_read(stream.read, CHUNK)
                if data is None:
                    break
                stream.take(data)


class Stdin:
    """File-like writer to a command's standard input.

    :param commands: The client's commands part (:class:`~._commands.Commands`): its
      ``write(channel, data)``, ``send_eof(channel)`` and ``host``.
    """

    def __init__(self, commands: Any, channel: Any, encoding: str = "utf-8") -> None:
        self.commands = commands
        self.channel = channel
        self.encoding = encoding

    def write(self, data: str | bytes) -> None:
        """Send ``data`` (text is encoded with the command's encoding)."""
        if isinstance(data, str):
            data = data.encode(self.encoding)
        self.commands.write(self.channel, data)

    def flush(self) -> None:
        """Writes are sent at once; kept for file-like compatibility."""

    def close(self) -> None:
        """Send end-of-file: the remote command sees its input end."""
        self.commands.send_eof(self.channel)

    def __repr__(self) -> str:
        return "<Stdin for %s>" % (self.commands.host,)
