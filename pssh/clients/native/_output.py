"""Per-command output state for the native client.

Each command's channel gets a :class:`ChannelOutput` holding its two streams.
A stream is read lazily, a large chunk at a time, by whoever needs it next:
the user's ``stdout``/``stderr`` generator, or ``join`` draining the channel
so the command can finish. What ``join`` drains is kept (raw bytes) for the
generators unless output is being consumed, so nothing is lost and a
generator stopped by a timeout can be replaced by a fresh one that resumes
exactly where the old one stopped.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from operator import length_hint
from typing import Any

from .._lines import LineSplitter

CHUNK = 128 * 1024
"""Bytes asked of libssh2 per read (and written per call). Reads this size keep
ssh2-python's read buffer and the chunk's bytes and text below the sizes at
which glibc maps and unmaps (or trims) memory for each chunk, which at 256 KiB
cost ~100 page faults per MB read."""


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
        "holders", "closing",
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


class Stdin:
    """File-like writer to a command's standard input."""

    def __init__(self, client: Any, channel: Any, encoding: str = "utf-8") -> None:
        self._client = client
        self._channel = channel
        self.encoding = encoding

    def write(self, data: str | bytes) -> None:
        """Send ``data`` (text is encoded with the command's encoding)."""
        if isinstance(data, str):
            data = data.encode(self.encoding)
        self._client._write(self._channel, data)

    def flush(self) -> None:
        """Writes are sent at once; kept for file-like compatibility."""

    def close(self) -> None:
        """Send end-of-file: the remote command sees its input end."""
        self._client._send_eof(self._channel)

    def __repr__(self) -> str:
        return "<Stdin for %s>" % (self._client.host,)
