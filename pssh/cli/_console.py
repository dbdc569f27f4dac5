"""The terminal: colour, and the progress line on stderr.

Every write to stdout or stderr goes through :class:`Console`, which first
wipes the progress line (if it is showing) so output never lands in the middle
of it. A ticker greenlet redraws it a few times a second. The progress line is
only ever drawn when stderr is a terminal.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

import gevent

_HOST_COLOURS = ("36", "32", "33", "34", "35", "96", "92", "93", "94", "95")
RED = "31"
GREEN = "32"
BOLD = "1"
DIM = "2"


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def use_colour(when: str, stream: Any) -> bool:
    """``--color`` setting: ``always``, ``never`` or ``auto`` (a terminal and
    no ``NO_COLOR`` in the environment)."""
    if when == "always":
        return True
    if when == "never":
        return False
    return _isatty(stream) and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


class Console:
    """Writes to stdout/stderr, with optional colour and a progress line.

    :param colour: ``--color`` setting (``auto``, ``always``, ``never``)
    :param progress: whether a progress line may be shown at all (it also
      needs stderr to be a terminal)
    """

    TICK = 0.2
    DELAY = 1.0  # runs shorter than this never show a progress line

    def __init__(
        self,
        colour: str = "auto",
        progress: bool = True,
        out: TextIO | None = None,
        err: TextIO | None = None,
    ) -> None:
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.colour_out = use_colour(colour, self.out)
        self.colour_err = use_colour(colour, self.err)
        self.progress_enabled = progress and _isatty(self.err)
        self.total = 0
        self.done = 0
        self.failed = 0
        self.what = "hosts"
        self._shown = False
        self._drawn = ""
        self._colours: dict[str, str] = {}
        self._start = time.monotonic()
        self._ticker: gevent.Greenlet | None = None
        self.broken = False  # stdout (or stderr) was closed by the reader, as in `| head`
        self.on_broken: Callable[[], None] | None = None

    # -- colour -----------------------------------------------------------

    @staticmethod
    def _paint(text: str, code: str | None, on: bool) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if on and code else text

    def host(self, label: str, err: bool = False) -> str:
        """``label`` in its own colour (when colour is on): hosts take the
        colours in turn as they first show up, so neighbours differ."""
        code = self._colours.get(label)
        if code is None:
            code = self._colours[label] = _HOST_COLOURS[len(self._colours) % len(_HOST_COLOURS)]
        return self._paint(label, code, self.colour_err if err else self.colour_out)

    def paint(self, text: str, code: str, err: bool = False) -> str:
        return self._paint(text, code, self.colour_err if err else self.colour_out)

    # -- writing ----------------------------------------------------------

    def write_out(self, text: str) -> None:
        self._clear()
        self.out = self._write(self.out, text)

    def write_err(self, text: str) -> None:
        self._clear()
        self.err = self._write(self.err, text)

    def _write(self, stream: TextIO, text: str) -> TextIO:
        """Write and flush; when the reader has gone away (broken pipe), send
        the rest of the output to /dev/null and stop the run."""
        try:
            stream.write(text)
            stream.flush()
            return stream
        except BrokenPipeError:
            pass
        self.broken = True
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, stream.fileno())  # so that flushing at exit does not fail again
        except (OSError, ValueError, AttributeError):
            pass
        finally:
            os.close(devnull)
        if self.on_broken is not None:
            self.on_broken()
        return open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process

    def message(self, text: str, code: str | None = None) -> None:
        """A ``pssh: ...`` line on stderr."""
        body = self._paint(text, code, self.colour_err)
        self.write_err(f"pssh: {body}\n")

    # -- progress ---------------------------------------------------------

    def start_progress(self, total: int, what: str = "hosts") -> None:
        self.total = total
        self.what = what
        self._start = time.monotonic()
        if self.progress_enabled and self._ticker is None:
            self._ticker = gevent.spawn(self._tick)

    def host_done(self, failed: bool) -> None:
        self.done += 1
        if failed:
            self.failed += 1

    def stop_progress(self) -> None:
        if self._ticker is not None:
            self._ticker.kill()
            self._ticker = None
        self._clear()

    def progress_text(self) -> str:
        elapsed = time.monotonic() - self._start
        running = self.total - self.done
        text = (
            f"[{self.done}/{self.total} {self.what} done, {self.failed} failed, "
            f"{running} running, {elapsed:.0f}s]"
        )
        width = shutil.get_terminal_size((80, 24)).columns - 1
        return text[: max(width, 10)]

    def _tick(self) -> None:
        while True:
            gevent.sleep(self.TICK)
            if time.monotonic() - self._start >= self.DELAY:
                self._draw()

    def _draw(self) -> None:
        line = self._paint(self.progress_text(), DIM, self.colour_err)
        if self._shown and line == self._drawn:
            return
        self._drawn = line
        try:
            self.err.write("\r\x1b[K" + line)
            self.err.flush()
        except (OSError, ValueError):
            return
        self._shown = True

    def _clear(self) -> None:
        if self._shown:
            self._shown = False
            try:
                self.err.write("\r\x1b[K")
                self.err.flush()
            except (OSError, ValueError):
                pass
