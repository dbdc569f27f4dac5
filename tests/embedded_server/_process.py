"""Process and temp-folder helpers shared by the embedded OpenSSH servers and agent.

Everything started here is registered, so that :func:`cleanup_all` (run by
:mod:`atexit`) can stop it even when a test session is interrupted. Children also get
``PR_SET_PDEATHSIG`` (Linux) so that a killed test process does not leave them behind.
"""

from __future__ import annotations

import atexit
import ctypes
import ctypes.util
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from typing import Any, Callable, Protocol

_PR_SET_PDEATHSIG = 1


class ServerError(RuntimeError):
    """An embedded sshd did not start (the message carries the tail of its log)."""


class PortInUseError(ServerError):
    """sshd could not bind its port on some address (another process got there first)."""


class Stoppable(Protocol):
    def stop(self) -> None: ...


_lock = threading.Lock()
_live: list[Stoppable] = []
_temp_dirs: list[str] = []


def register(obj: Stoppable) -> None:
    """Remember a running server or agent so :func:`cleanup_all` can stop it."""
    with _lock:
        if obj not in _live:
            _live.append(obj)


def unregister(obj: Stoppable) -> None:
    """Forget an object registered with :func:`register` (it stopped by itself)."""
    with _lock:
        if obj in _live:
            _live.remove(obj)


def make_temp_dir(prefix: str = "pssh-test-") -> str:
    """Create a fresh folder under the system temp dir, removed at interpreter exit.

    The folder is mode 0711 so that an unprivileged login user can reach files inside it
    by name (sshd opens ``AuthorizedKeysFile`` with the user's privileges) while nobody
    else can list it. Private keys inside stay 0600.

    :rtype: str
    """
    path = tempfile.mkdtemp(prefix=prefix)
    os.chmod(path, 0o711)
    with _lock:
        _temp_dirs.append(path)
    return path


def make_temp_dir_in(parent: str, prefix: str) -> str:
    """A new uniquely named sub-folder of ``parent``.

    :rtype: str
    """
    return tempfile.mkdtemp(prefix=prefix, dir=parent)


def remove_temp_dir(path: str) -> None:
    """Remove a folder made by :func:`make_temp_dir` (missing is fine).

    With ``PSSH_TEST_KEEP=1`` in the environment folders are kept (sshd logs, configs).
    """
    if os.environ.get("PSSH_TEST_KEEP") != "1":
        shutil.rmtree(path, ignore_errors=True)
    with _lock:
        if path in _temp_dirs:
            _temp_dirs.remove(path)


def cleanup_all() -> None:
    """Stop every registered server/agent and remove every temp folder. Idempotent."""
    with _lock:
        live = list(reversed(_live))
        dirs = list(_temp_dirs)
    for obj in live:
        try:
            obj.stop()
        except Exception:  # noqa: BLE001 - best effort at exit, keep stopping the rest
            pass
    for path in dirs:
        remove_temp_dir(path)


atexit.register(cleanup_all)


def _pdeathsig_preexec() -> Callable[[], None] | None:
    libc_name = ctypes.util.find_library("c")
    if not libc_name or not hasattr(os, "fork"):
        return None
    try:
        libc = ctypes.CDLL(libc_name, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return None

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)

    return preexec


_PREEXEC = _pdeathsig_preexec()


def spawn(argv: list[str], log_path: str | None = None, **kwargs: Any) -> subprocess.Popen:
    """Start a background child with no stdin; stdout/stderr appended to ``log_path``.

    :param argv: command line.
    :type argv: list[str]
    :param log_path: file for stdout and stderr, or ``None`` to discard them.
    :type log_path: str
    :rtype: :class:`subprocess.Popen`
    """
    if log_path is None:
        out: Any = subprocess.DEVNULL
    else:
        out = open(log_path, "ab")  # noqa: SIM115 - closed right after the fork
    try:
        return subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            close_fds=True,
            preexec_fn=_PREEXEC,
            **kwargs,
        )
    finally:
        if log_path is not None:
            out.close()


def _proc_table() -> dict[int, tuple[int, str]]:
    """Map pid -> (ppid, state) for every process visible in /proc."""
    table: dict[int, tuple[int, str]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                stat = fh.read().decode("ascii", "replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) >= 2:
            table[int(name)] = (int(fields[1]), fields[0])
    return table


def descendants(pid: int) -> list[int]:
    """All live descendants of ``pid`` (children, grandchildren, ...).

    :rtype: list[int]
    """
    children: dict[int, list[int]] = {}
    for child, (ppid, _state) in _proc_table().items():
        children.setdefault(ppid, []).append(child)
    found: list[int] = []
    todo = list(children.get(pid, []))
    while todo:
        child = todo.pop()
        found.append(child)
        todo.extend(children.get(child, []))
    return found


def pid_alive(pid: int) -> bool:
    """True if ``pid`` exists and is not a zombie.

    :rtype: bool
    """
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            state = fh.read().decode("ascii", "replace").rsplit(")", 1)[-1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def kill_tree(proc: subprocess.Popen, timeout: float = 5.0) -> list[int]:
    """Terminate ``proc`` and everything it forked, then reap ``proc``.

    SIGTERM first; whatever is still alive after ``timeout`` seconds gets SIGKILL.

    :returns: the pids of the descendants that were found (all gone on return).
    :rtype: list[int]
    """
    others = descendants(proc.pid) if proc.poll() is None else []
    if proc.poll() is None:
        proc.terminate()
    for pid in others:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    try:
        proc.wait(timeout=max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    # Descendants were re-parented away from us: poll them, escalate once if needed.
    killed = False
    while True:
        alive = [pid for pid in others if pid_alive(pid)]
        if not alive:
            break
        if time.monotonic() >= deadline:
            if killed:
                break
            for pid in alive:
                _signal(pid, signal.SIGKILL)
            killed = True
            deadline = time.monotonic() + timeout
        time.sleep(0.01)
    return others


def tail(path: str, lines: int = 30) -> str:
    """Last ``lines`` lines of a text file ('' if it cannot be read).

    :rtype: str
    """
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return ""
    return "\n".join(data.decode("utf-8", "replace").splitlines()[-lines:])


def run(argv: list[str], stdin: str | None = None) -> None:
    """Run a short command to completion.

    :raises ServerError: it exited non-zero (message has its stderr).
    """
    res = subprocess.run(argv, input=stdin, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise ServerError(f"{' '.join(argv)} failed ({res.returncode}): {res.stderr.strip()}")
