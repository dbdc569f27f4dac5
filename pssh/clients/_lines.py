"""Turning a stream of byte chunks into decoded lines, a chunk at a time.

Bytes are decoded with an incremental decoder (a character split across two
chunks is kept whole; undecodable bytes become U+FFFD instead of ending the
read), ``\\r\\n`` becomes ``\\n`` (PTY output), and the text is split with
``str.split`` - all C-speed work per chunk, none per line.
"""

from __future__ import annotations

import codecs
from collections import deque


class LineSplitter:
    """Feed byte chunks in; take complete lines out of :attr:`lines`."""

    __slots__ = ("_decoder", "_rest", "lines")

    def __init__(self, encoding: str = "utf-8") -> None:
        self._decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        self._rest = ""
        self.lines: deque[str] = deque()

    def feed(self, data: bytes) -> None:
        """Add a chunk; complete lines are appended to :attr:`lines`."""
        text = self._decoder.decode(data)
        if self._rest:
            text = self._rest + text
        if "\r" in text:
            text = text.replace("\r\n", "\n")
        parts = text.split("\n")
        self._rest = parts.pop()
        if parts:
            self.lines.extend(parts)

    def close(self) -> None:
        """End of stream: the last, unterminated line (if any) becomes a line."""
        text = self._rest + self._decoder.decode(b"", final=True)
        self._rest = ""
        if text:
            self.lines.append(text[:-1] if text.endswith("\r") else text)
