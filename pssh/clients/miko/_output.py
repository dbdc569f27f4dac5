"""Per-command output state for the paramiko client.

paramiko only returns SSH window space to the server as output is read off
a channel, and stdout and stderr share one window. A command whose output
nobody reads (yet) would therefore stall once the window is full, and reading
only stdout could wait forever behind unread stderr. So each stream of each
command gets a *pump*: a greenlet that reads the stream as it arrives and
turns it into lines. The user's ``stdout``/``stderr`` generators, ``join``
and the host logger take lines from the pumps; what is not taken stays
available, so a generator stopped by a timeout can be replaced by a fresh one
that resumes exactly where the old one stopped.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

import gevent
from gevent.event import Event
from paramiko.common import cMSG_CHANNEL_REQUEST
from paramiko.message import Message

from ...exceptions import Timeout
from .._lines import LineSplitter
from ..base_single import host_logging, logged_lines
from ._errors import connection_lost, map_errors

CHUNK = 256 * 1024
host_logger = logging.getLogger("pssh.host_logger")


class StreamPump:
    """Reads one stream of a channel into lines until end of stream."""

    __slots__ = ("splitter", "done", "error", "_event", "_greenlet")

    def __init__(
        self, recv: Callable[[int], bytes], encoding: str, max_line_length: int | None = None
    ) -> None:
        self.splitter = LineSplitter(encoding, max_line_length)
        self.done = False
        self.error: BaseException | None = None
        self._event = Event()
        self._greenlet = gevent.spawn(self._run, recv)

    def _run(self, recv: Callable[[int], bytes]) -> None:
        feed = self.splitter.feed
        try:
            while True:
                data = recv(CHUNK)
                if not data:
                    self.error = connection_lost(getattr(recv, "__self__", None))
                    break
                feed(data)
                self._event.set()
        except Exception as exc:  # handed to whoever reads the stream next
            self.error = exc
        finally:
            self.splitter.close()
            self.done = True
            self._event.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for more lines or the end of the stream; ``False`` on timeout."""
        if self.splitter.lines or self.done:
            return True
        self._event.clear()
        return self._event.wait(timeout)

    def wait_done(self) -> None:
        """Wait until the stream has ended (lines not taken are kept)."""
        self._greenlet.join()

    def stop(self) -> None:
        """Stop reading (the channel is going away)."""
        self._greenlet.kill(block=False)


def _close_when_done(channel: Any, stdout: StreamPump, stderr: StreamPump) -> None:
    """Once both streams have ended and the exit status has come (or the
    channel was closed), close the channel: a command's channel never stays
    open after its end, whether or not its output is read (the pumps keep
    it). Takes no :class:`ChannelOutput`, which must be free to be dropped."""
    stdout.wait_done()
    stderr.wait_done()
    channel.status_event.wait()
    try:
        channel.close()
    except Exception as exc:  # the connection is gone: nothing left to close
        logging.getLogger(__name__).debug("Closing a finished channel: %s", exc)


def output_dropped(outputs: dict, channel: Any) -> None:
    """Every generator (and the stdin) of a command is gone: forget its
    output and close its channel (in a greenlet of its own: this runs from
    the garbage collector, which must not block), so a command nobody reads
    does not hold one of the server's sessions."""
    out = outputs.pop(channel, None)
    if out is not None:
        out.stop()
    if not channel.closed:
        gevent.spawn(channel.close)


class ChannelOutput:
    """Both streams of one command's channel."""

    __slots__ = ("channel", "stdout", "stderr", "timeout", "closer", "holders", "command")

    def __init__(
        self,
        channel: Any,
        encoding: str,
        timeout: float | None,
        max_line_length: int | None = None,
    ) -> None:
        self.channel = channel
        self.timeout = timeout
        self.stdout = StreamPump(channel.recv, encoding, max_line_length)
        self.stderr = StreamPump(channel.recv_stderr, encoding, max_line_length)
        self.closer = gevent.spawn(_close_when_done, channel, self.stdout, self.stderr)
        self.holders: Any = None  # what the user holds of the output
        self.command: str | None = None  # the exact command string sent

    def finish(self, timeout: float | None) -> None:
        """Wait (at most ``timeout`` seconds) until the command has ended and
        its channel is closed, so its exit status is known."""
        self.closer.join(timeout)

    @property
    def done(self) -> bool:
        """Both streams have ended."""
        return self.stdout.done and self.stderr.done

    def wait_done(self) -> None:
        """Wait until both streams have ended."""
        self.stdout.wait_done()
        self.stderr.wait_done()

    def stop(self) -> None:
        """Stop both pumps."""
        self.stdout.stop()
        self.stderr.stop()
        self.closer.kill(block=False)


def iter_lines(
    host: str, out: ChannelOutput, pump: StreamPump, timeout: float | None, prefix: str = ""
) -> Iterator[str]:
    """Lines of one stream (``pump``, of ``out``) as they arrive, logged to
    ``host_logger``. At the end of the stream the command is waited for (at
    most ``timeout``), so that its exit code is known when reading ends.

    :raises: :py:class:`pssh.exceptions.Timeout` when no line arrives within
      ``timeout`` seconds; errors of the connection, mapped to
      :mod:`pssh.exceptions`, at the end of the stream.
    """
    lines = pump.splitter.lines
    log = host_logging()
    while True:
        if log:
            yield from logged_lines(host, _take_all(lines), prefix)
        while lines:
            yield lines.popleft()
        if pump.done:
            if pump.error is not None:
                error, pump.error = pump.error, None
                with map_errors(host, "reading output"):
                    raise error
            out.finish(timeout)
            return
        if not pump.wait(timeout):
            raise Timeout("No output from host %s for %s seconds", host, timeout, host=host)


def _take_all(lines: deque[str]) -> Iterator[str]:
    # the lines queued, taken one at a time as they are handed out
    while lines:
        yield lines.popleft()


class Stdin:
    """File-like writer to a command's standard input."""

    def __init__(self, host: str, channel: Any, encoding: str = "utf-8") -> None:
        self.host = host
        self.channel = channel
        self.encoding = encoding

    def write(self, data: str | bytes) -> None:
        """Send ``data`` (text is encoded with the command's encoding)."""
        if isinstance(data, str):
            data = data.encode(self.encoding)
        with map_errors(self.host, "writing to stdin"):
            self.channel.sendall(data)

    def flush(self) -> None:
        """Writes are sent at once; kept for file-like compatibility."""

    def close(self) -> None:
        """Send end-of-file: the remote command sees its input end."""
        with map_errors(self.host, "closing stdin"):
            self.channel.shutdown_write()

    def __repr__(self) -> str:
        return f"<Stdin for {self.host}>"


def send_signal(channel: Any, signame: str) -> None:
    """Send the SSH ``signal`` channel request (RFC 4254 6.9) for the command
    on ``channel``, unless it has ended. paramiko's
    :py:class:`~paramiko.channel.Channel` has no method for it, so the request
    is built with paramiko's message API and sent on the channel's transport,
    as paramiko sends its own channel requests."""
    if channel is None or channel.closed or channel.exit_status_ready():
        return
    msg = Message()
    msg.add_byte(cMSG_CHANNEL_REQUEST)
    msg.add_int(channel.remote_chanid)
    msg.add_string("signal")
    msg.add_boolean(False)
    msg.add_string(signame)
    channel.transport._send_user_message(msg)
