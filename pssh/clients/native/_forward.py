"""The forwarding engine: direct-tcpip channels of one SSH session <-> local sockets.

Every libssh2 call on the session is made by ONE greenlet, the driver. libssh2
reads all packets waiting on the socket whenever any call touches the
transport and queues each on its channel, so a greenlet that waited on the
socket for "its" channel could sleep forever after another greenlet's call had
already pulled its data in (the socket is then no longer readable). With a
single driver that services every channel after every wake-up this cannot
happen, and there is no busy loop: the driver sleeps until the session socket
is ready or a local greenlet kicks it. It sleeps in the package's one wait
primitive, :meth:`._eagain.SessionIO.wait`, told whether reading matters.

Per forwarded connection two small greenlets move bytes on the local side: one
reads the local socket into the forward's ``outbound`` queue of received chunks
(pausing above :data:`HIGH_WATER` until the driver has sent it on), one writes
what the driver read from the channel (a bounded queue) to the local socket.
Chunks are handed to libssh2 as received (a partial write keeps the rest of its
chunk) rather than gathered in one buffer and sliced again for every write. Slow readers on
either side therefore hold back the other side instead of filling memory.

Channel opens go through the driver too, one at a time (libssh2 keeps the
state of an open in progress on the session): a caller queues the request and
waits for its result with a deadline. An open whose caller gave up is finished
anyway and its channel closed, so the session's state stays consistent.
"""

from __future__ import annotations

import logging
import socket
from collections import deque
from typing import Any

import gevent
from gevent.event import AsyncResult, Event
from gevent.pool import Group
from gevent.queue import Queue
from ssh2.exceptions import SSH2Error

from ._eagain import SessionIO, is_eagain
from ._errors import _DISCONNECT

logger = logging.getLogger(__name__)

CHUNK = 256 * 1024
"""Largest read from a channel or a local socket."""
HIGH_WATER = 1024 * 1024
"""Bytes from a local socket waiting to go into a channel before reading pauses."""
QUEUED_CHUNKS = 8
"""Chunks read from a channel waiting for the local socket before reading pauses."""
PACKET = 32 * 1024
"""Small chunks queued for a channel are joined up to this size first: each write is an SSH
packet, and a download's many small requests written one by one cost the proxy a packet
(and the client an encryption and a system call) each - 20% slower measured."""


class _Open:
    """A channel open request waiting for the driver."""

    __slots__ = ("host", "port", "sport", "result", "abandoned")

    def __init__(self, host: str, port: int, sport: int) -> None:
        self.host, self.port, self.sport = host, port, sport
        self.result: AsyncResult = AsyncResult()
        self.abandoned = False


class Forward:
    """One forwarded connection: a channel and the local socket it is joined to."""

    __slots__ = (
        "channel", "sock", "outbound", "queued", "inbound", "room", "local_eof", "eof_sent",
        "remote_eof", "paused", "dead", "writer_done", "done", "_local",
    )  # fmt: skip

    def __init__(self, channel: Any, sock: Any) -> None:
        self.channel = channel
        self.sock = sock
        self.outbound: deque[bytes] = deque()  # chunks read from the local socket
        self.queued = 0  # bytes in ``outbound``
        self.inbound: Queue = Queue()
        self.room = Event()
        self.room.set()
        self.local_eof = False  # the local side will send no more
        self.eof_sent = False
        self.remote_eof = False  # the channel will deliver no more
        self.paused = False  # channel reads paused: the local side is behind
        self.dead = False
        self.writer_done = False
        self.done = Event()
        self._local: list[gevent.Greenlet] = []

    def wants_transport(self) -> bool:
        """Whether servicing this forward reads the session socket (so the
        driver may wait for it to become readable without spinning)."""
        return bool(self.outbound) or not (self.remote_eof or self.paused)


class SessionDriver:
    """Owns an authenticated non-blocking ``session`` on ``sock`` and forwards
    channels of it to local sockets until :meth:`stop`.

    :param session: Authenticated libssh2 session.
    :type session: :py:class:`ssh2.session.Session`
    :param sock: The session's socket.
    """

    def __init__(self, session: Any, sock: Any) -> None:
        self.session = session
        self.sock = sock
        self.error: BaseException | None = None
        self.forwards: list[Forward] = []
        self._opens: deque[_Open] = deque()
        self._closing: list[Any] = []
        self._io = SessionIO(session, sock, shared=False)
        self._greenlets = Group()
        self._driver = gevent.spawn(self._run)

    @property
    def alive(self) -> bool:
        return self.error is None and not self._driver.dead

    def kick(self) -> None:
        """Make the driver service every channel again."""
        self._io.wake()

    # -- requests from other greenlets ------------------------------------

    def open_channel(
        self, host: str, port: int, sport: int = 0, timeout: float | None = None
    ) -> Any:
        """A direct-tcpip channel to ``host:port`` as seen from the SSH server.

        :returns: the channel, or ``None`` when ``timeout`` seconds passed first.
        :raises: the :py:class:`ssh2.exceptions.SSH2Error` that failed the open,
          or the session's error if the session is gone.
        """
        if self.error is not None:
            raise self.error
        request = _Open(host, port, sport)
        self._opens.append(request)
        self.kick()
        request.result.wait(timeout)
        if not request.result.ready():
            request.abandoned = True
            return None
        return request.result.get()

    def attach(self, channel: Any, sock: Any) -> Forward:
        """Join ``channel`` and the connected local ``sock`` until both sides end."""
        fwd = Forward(channel, sock)
        self.forwards.append(fwd)
        fwd._local = [
            self._greenlets.spawn(self._read_local, fwd),
            self._greenlets.spawn(self._write_local, fwd),
        ]
        self.kick()
        return fwd

    def stop(self) -> None:
        """Stop forwarding: close every local socket; the session is left to its owner."""
        if gevent.getcurrent() is not self._driver:
            self._driver.kill(block=False)
        self._greenlets.kill(block=False)
        for fwd in self.forwards:
            _close_quietly(fwd.sock)
            fwd.done.set()
        self.forwards = []
        for request in self._opens:
            request.result.set_exception(self.error or _stopped())
        self._opens.clear()
        self._closing = []
        if self.error is None:
            self.error = _stopped()

    # -- local side --------------------------------------------------------

    def _read_local(self, fwd: Forward) -> None:
        try:
            while not fwd.dead:
                data = fwd.sock.recv(CHUNK)
                if not data:
                    break
                fwd.outbound.append(data)
                fwd.queued += len(data)
                self.kick()
                while fwd.queued >= HIGH_WATER and not fwd.dead:
                    fwd.room.clear()
                    fwd.room.wait()
        except OSError as exc:
            logger.debug("Local side of tunnel ended: %s", exc)
        finally:
            fwd.local_eof = True
            self._local_ended(fwd)

    def _write_local(self, fwd: Forward) -> None:
        try:
            while True:
                data = fwd.inbound.get()
                if data is None:
                    fwd.sock.shutdown(socket.SHUT_WR)
                    break
                fwd.sock.sendall(data)
                if fwd.paused:
                    self.kick()
        except OSError as exc:
            logger.debug("Local side of tunnel gone: %s", exc)
            fwd.dead = True
        finally:
            fwd.writer_done = True
            self._local_ended(fwd)

    def _local_ended(self, fwd: Forward) -> None:
        if fwd.writer_done and fwd.local_eof:
            _close_quietly(fwd.sock)
        self.kick()

    # -- the driver --------------------------------------------------------

    def _run(self) -> None:
        try:
            while True:
                progressed = self._service_opens()
                for fwd in list(self.forwards):
                    progressed = self._service(fwd) or progressed
                progressed = self._service_closing() or progressed
                if progressed:
                    gevent.sleep(0)  # let the local greenlets move what was read
                else:
                    self._wait()
        except Exception as exc:  # the session (or this code) failed: end every tunnel
            logger.debug("Tunnel session ended: %r", exc)
            self.error = exc
            self.stop()

    def _wait(self) -> None:
        # Readable only matters while a call would read the socket: waiting on
        # it for channels that are paused (or done) would spin on their data.
        reads = bool(
            self._opens or self._closing or any(f.wants_transport() for f in self.forwards)
        )
        self._io.wait(read=reads)

    def _service_opens(self) -> bool:
        progressed = False
        while self._opens:
            request = self._opens[0]
            try:
                channel = self.session.direct_tcpip_ex(
                    request.host, request.port, "127.0.0.1", request.sport
                )
            except _DISCONNECT:
                raise
            except SSH2Error as exc:
                self._opens.popleft()
                request.result.set_exception(_with_detail(exc, self.session))
                progressed = True
                continue
            if is_eagain(channel):
                break
            self._opens.popleft()
            progressed = True
            if request.abandoned:
                self._closing.append(channel)
            else:
                request.result.set(channel)
        return progressed

    def _service(self, fwd: Forward) -> bool:
        try:
            progressed = False if fwd.dead else self._pump(fwd)
        except _DISCONNECT:
            raise
        except SSH2Error as exc:
            logger.debug("Tunnel channel failed: %r", exc)
            fwd.dead = True
            progressed = True
        if fwd.dead or (fwd.remote_eof and fwd.writer_done and fwd.local_eof and fwd.eof_sent):
            self._retire(fwd)
            progressed = True
        return progressed

    def _pump(self, fwd: Forward) -> bool:
        progressed = False
        channel = fwd.channel
        outbound = fwd.outbound
        while outbound:
            # ssh2-python writes packets until the chunk is out or the channel's window
            # (or the socket) is full: then the rest of the chunk waits for the next pass.
            chunk = outbound[0]
            if len(chunk) < PACKET and len(outbound) > 1:
                chunk = _coalesce(outbound)
            _rc, written = channel.write(chunk)
            if written > 0:
                fwd.queued -= written
                progressed = True
            if written >= len(chunk):
                outbound.popleft()
                continue
            if written > 0:
                outbound[0] = chunk[written:]
            break
        if fwd.queued < HIGH_WATER // 2:
            fwd.room.set()
        eof_due = fwd.local_eof and not fwd.outbound and not fwd.eof_sent
        if eof_due and not is_eagain(channel.send_eof()):
            fwd.eof_sent = progressed = True
        fwd.paused = fwd.inbound.qsize() >= QUEUED_CHUNKS
        while not fwd.remote_eof and not fwd.paused:
            data = self._io.try_read(channel.read, CHUNK)
            if data is None:
                break
            progressed = True
            if not data:
                fwd.remote_eof = True
                fwd.inbound.put(None)
                break
            fwd.inbound.put(data)
            fwd.paused = fwd.inbound.qsize() >= QUEUED_CHUNKS
        return progressed

    def _retire(self, fwd: Forward) -> None:
        self.forwards.remove(fwd)
        self._closing.append(fwd.channel)
        if fwd.dead:
            fwd.room.set()
            for greenlet in fwd._local:
                greenlet.kill(block=False)
            _close_quietly(fwd.sock)
        fwd.done.set()

    def _service_closing(self) -> bool:
        progressed = False
        for channel in list(self._closing):
            try:
                finished = not is_eagain(channel.close())
            except _DISCONNECT:
                raise
            except SSH2Error:
                finished = True
            if finished:
                self._closing.remove(channel)
                progressed = True
        return progressed


def _coalesce(outbound: deque[bytes]) -> bytes:
    """Join the small chunks at the head of ``outbound`` into one of up to :data:`PACKET`
    bytes (it replaces them)."""
    parts, size = [], 0
    while outbound and size + len(outbound[0]) <= PACKET:
        size += len(outbound[0])
        parts.append(outbound.popleft())
    if not parts:  # the head is small, the next one too large to join: leave both
        parts.append(outbound.popleft())
    chunk = b"".join(parts)
    outbound.appendleft(chunk)
    return chunk


def _with_detail(exc: SSH2Error, session: Any) -> SSH2Error:
    """``exc`` with libssh2's last error message when it has none of its own."""
    if not str(exc).strip():
        try:
            detail = session.last_error()
        except (SSH2Error, AttributeError):
            detail = b""
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        if detail:
            exc.args = (detail,)
    return exc


def _stopped() -> ConnectionResetError:
    return ConnectionResetError("tunnel closed")


def _close_quietly(sock: Any) -> None:
    try:
        sock.close()
    except OSError:
        pass
