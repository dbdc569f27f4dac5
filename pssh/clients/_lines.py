"""Turning a stream of byte chunks into lines, a chunk at a time, in linear time.

Bytes are decoded with an incremental decoder (a character split across two
chunks is kept whole; undecodable bytes become U+FFFD instead of ending the
read), ``\\r\\n`` becomes ``\\n`` (PTY output), and the text is split with
``str.split`` - all C-speed work per chunk, none per line. Splitting happens
after decoding, so a newline is a character, never a byte inside a multi-byte
character (a UTF-16 ``\\n`` is two bytes, one of which may be ``0x0a`` inside
another character).

An unterminated line is kept as a list of pieces and joined once, when its
newline arrives: output without newlines costs time proportional to its size,
not to its size squared. A line longer than ``max_line_length`` characters is
handed out in pieces of that length, so a command printing gigabytes without a
newline cannot make the client hold them all at once.

:meth:`LineSplitter.split` hands back each chunk's lines as one list, which
a reader walks with a list iterator (``yield from``): handing out a line then
costs no Python bytecode at all. :meth:`LineSplitter.feed` queues them in
:attr:`LineSplitter.lines` instead, for readers that prefer a deque.

With ``encoding=None`` the splitter works on bytes and hands out bytes lines
(:meth:`pssh.clients.native.single.SSHClient.read_output`).
"""

from __future__ import annotations

import codecs
import sys
from collections import deque
from collections.abc import Callable
from typing import Any

MAX_LINE_LENGTH = 64 * 1024 * 1024
"""Default longest line, in characters (bytes for byte lines), handed out
whole; longer lines come in pieces of this length. No real command prints a
64 MiB line; a hostile or broken one cannot make the client hold more than
this (plus one chunk) of a stream that never ends a line."""

_BOMS = {
    "utf-16": ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")),
    "utf-32": ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be")),
}
_NATIVE = "-le" if sys.byteorder == "little" else "-be"


def codec_name(encoding: str) -> str:
    """Python's canonical name of ``encoding``; :py:class:`LookupError`
    for an unknown codec."""
    return codecs.lookup(encoding).name


def bomless(encoding: str) -> str:
    """The codec to encode single lines of ``encoding`` with: ``utf-16`` and
    ``utf-32`` would start every line with a byte-order mark, so their
    native-order variants (what ``bytes.decode('utf-16')`` assumes without a
    mark) are used; other codecs are themselves."""
    name = codec_name(encoding)
    return name + _NATIVE if name in _BOMS else encoding


class _BomDecoder:
    """Incremental decoder for ``utf-16``/``utf-32`` that accepts output with
    or without a byte-order mark. Python's own incremental decoders for them
    raise ``UnicodeError`` on a stream that does not start with a mark (which
    is how most programs write it); without one, the machine's native byte
    order is used, as :py:meth:`bytes.decode` does."""

    __slots__ = ("_family", "_decode", "_head")

    def __init__(self, family: str) -> None:
        self._family = family
        self._decode: Callable[..., str] | None = None
        self._head = b""

    def decode(self, data: bytes, final: bool = False) -> str:
        if self._decode is None:
            data = self._head + data
            size = 2 if self._family == "utf-16" else 4
            if len(data) < size and not final:
                self._head = data
                return ""
            self._head = b""
            codec = self._family + _NATIVE
            for bom, name in _BOMS[self._family]:
                if data.startswith(bom):
                    codec, data = name, data[len(bom) :]
                    break
            self._decode = codecs.getincrementaldecoder(codec)(errors="replace").decode
        return self._decode(data, final)


def incremental_decoder(encoding: str) -> Callable[..., str]:
    """``decode(data, final=False)`` for a stream of ``encoding``, replacing
    undecodable bytes rather than raising.

    :raises: :py:class:`LookupError` for an unknown codec."""
    name = codec_name(encoding)
    if name in _BOMS:
        return _BomDecoder(name).decode
    return codecs.getincrementaldecoder(encoding)(errors="replace").decode


def _keep(data: Any, final: bool = False) -> Any:
    return data


def _concat(empty: Any, pieces: list[Any]) -> Any:
    """The pieces of one line joined: the only place a kept partial line is
    copied, once per line (tests count the copies here)."""
    return empty.join(pieces)


class LineSplitter:
    """Feed byte chunks in; take complete lines out of :attr:`lines` (or use
    :meth:`split` and :meth:`finish`, which return them).

    :param encoding: Codec of the stream; ``None`` for bytes lines.
    :param max_line_length: Longest line handed out whole; a longer one is
      handed out in pieces of this many characters (bytes for bytes lines).
      Defaults to :data:`MAX_LINE_LENGTH`.
    """

    __slots__ = ("_decode", "_rest", "_rest_len", "_lines", "_limit", "_nl", "_cr", "_crlf")

    def __init__(self, encoding: str | None = "utf-8", max_line_length: int | None = None) -> None:
        self._nl: Any
        self._cr: Any
        self._crlf: Any
        if encoding is None:
            self._decode: Callable[..., Any] = _keep
            self._nl, self._cr, self._crlf = b"\n", b"\r", b"\r\n"
        else:
            self._decode = incremental_decoder(encoding)
            self._nl, self._cr, self._crlf = "\n", "\r", "\r\n"
        limit = MAX_LINE_LENGTH if max_line_length is None else max_line_length
        if not isinstance(limit, int) or limit < 1:
            raise ValueError("max_line_length must be a positive integer, got %r" % (limit,))
        self._limit = limit
        self._rest: list[Any] = []  # pieces of the unterminated line
        self._rest_len = 0
        self._lines: deque[Any] | None = None

    @property
    def lines(self) -> deque[Any]:
        """Lines queued by :meth:`feed` and :meth:`close` (made on first use:
        readers using :meth:`split` never need it, and a client holding
        thousands of hosts' streams saves the memory)."""
        if self._lines is None:
            self._lines = deque()
        return self._lines

    def split(self, data: bytes) -> list[Any]:
        """The complete lines that ``data`` ends (possibly none); the part
        after the last newline is kept for the next chunk. Lines longer than
        the limit come as pieces of it."""
        text = self._decode(data)
        if not text:
            return []
        rest = self._rest
        if rest and text[:1] == self._nl and rest[-1][-1:] == self._cr:
            rest[-1] = rest[-1][:-1]  # a "\r\n" cut in two by the chunk boundary
            self._rest_len -= 1
        if self._cr in text:
            text = text.replace(self._crlf, self._nl)
        parts = text.split(self._nl)
        tail = parts.pop()  # after the last newline: kept, never copied here
        if self._rest_len + len(text) > self._limit:
            return self._split_long(parts, tail)
        if parts:
            if rest:
                # The kept pieces join the first line only, once.
                rest.append(parts[0])
                parts[0] = _concat(self._nl[:0], rest)
                rest.clear()
            self._rest_len = 0
        if tail:
            rest.append(tail)
            self._rest_len += len(tail)
        return parts

    def _split_long(self, parts: list[Any], tail: Any) -> list[Any]:
        """:meth:`split` for a chunk that may hold, or complete, a line over
        the limit (never the case for ordinary output at the default)."""
        limit = self._limit
        empty = self._nl[:0]
        out: list[Any] = []
        for index, part in enumerate(parts):
            if index == 0 and self._rest:
                self._rest.append(part)
                part = _concat(empty, self._rest)
                self._rest.clear()
            while len(part) > limit:
                out.append(part[:limit])
                part = part[limit:]
            out.append(part)
        if parts:
            self._rest_len = 0
        if tail:
            self._rest.append(tail)
            self._rest_len += len(tail)
            if self._rest_len > limit:
                pending = _concat(empty, self._rest)
                self._rest.clear()
                while len(pending) > limit:
                    out.append(pending[:limit])
                    pending = pending[limit:]
                if pending:
                    self._rest.append(pending)
                self._rest_len = len(pending)
        return out

    def finish(self) -> list[Any]:
        """End of stream: the last, unterminated line, if there is one."""
        tail = self._decode(b"", True)
        if tail:
            self._rest.append(tail)
        text = _concat(self._nl[:0], self._rest)
        self._rest.clear()
        self._rest_len = 0
        if not text:
            return []
        if text.endswith(self._cr):
            text = text[:-1]
        if len(text) <= self._limit:
            return [text]
        return [text[i : i + self._limit] for i in range(0, len(text), self._limit)]

    def feed(self, data: bytes) -> None:
        """Add a chunk; complete lines are appended to :attr:`lines`."""
        parts = self.split(data)
        if parts:
            self.lines.extend(parts)

    def close(self) -> None:
        """End of stream: the last, unterminated line (if any) becomes a line."""
        self.lines.extend(self.finish())
