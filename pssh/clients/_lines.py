"""Turning a stream of byte chunks into decoded lines, a chunk at a time.

Bytes are decoded with an incremental decoder (a character split across two
chunks is kept whole; undecodable bytes become U+FFFD instead of ending the
read), ``\\r\\n`` becomes ``\\n`` (PTY output), and the text is split with
``str.split`` - all C-speed work per chunk, none per line.

:meth:`LineSplitter.split` hands back each chunk's lines as one list, which
a reader walks with a list iterator (``yield from``): handing out a line then
costs no Python bytecode at all. :meth:`LineSplitter.feed` queues them in
:attr:`LineSplitter.lines` instead, for readers that prefer a deque.
"""

from __future__ import annotations

import codecs
from collections import deque


class LineSplitter:
    """Feed byte chunks in; take complete lines out of :attr:`lines` (or use
    :meth:`split` and :meth:`finish`, which return them)."""

    __slots__ = ("_decode", "_rest", "_lines")

    def __init__(self, encoding: str = "utf-8") -> None:
        self._decode = codecs.getincrementaldecoder(encoding)(errors="replace").decode
        self._rest = ""
        self._lines: deque[str] | None = None

    @property
    def lines(self) -> deque[str]:
        """Lines queued by :meth:`feed` and :meth:`close` (made on first use:
        readers using :meth:`split` never need it, and a client holding
        thousands of hosts' streams saves the memory)."""
        if self._lines is None:
            self._lines = deque()
        return self._lines

    def split(self, data: bytes) -> list[str]:
        """The complete lines that ``data`` ends (possibly none); the part
        after the last newline is kept for the next chunk."""
        text = self._decode(data)
        rest = self._rest
        if rest and rest[-1] == "\r" and text[:1] == "\n":
            rest = rest[:-1]  # a "\r\n" cut in two by the chunk boundary
        if "\r" in text:
            text = text.replace("\r\n", "\n")
        parts = text.split("\n")
        if rest:
            # The kept part joins the first piece only: joining it to the
            # whole chunk would copy the chunk once more.
            parts[0] = rest + parts[0]
        self._rest = parts.pop()
        return parts

    def finish(self) -> list[str]:
        """End of stream: the last, unterminated line, if there is one."""
        text = self._rest + self._decode(b"", True)
        self._rest = ""
        if not text:
            return []
        return [text[:-1] if text.endswith("\r") else text]

    def feed(self, data: bytes) -> None:
        """Add a chunk; complete lines are appended to :attr:`lines`."""
        parts = self.split(data)
        if parts:
            self.lines.extend(parts)

    def close(self) -> None:
        """End of stream: the last, unterminated line (if any) becomes a line."""
        self.lines.extend(self.finish())
