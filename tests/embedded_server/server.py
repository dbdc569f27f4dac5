"""One throwaway ``sshd -D`` process: config, start with readiness check, stop, restart.

See :mod:`.openssh` for the whole picture; :class:`OpenSSHServer` serves up to 16 addresses
(sshd's ``ListenAddress`` limit) on one port, with its own config, pid file and log.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
from collections.abc import Sequence

from ._process import (
    PortInUseError,
    ServerError,
    kill_tree,
    make_temp_dir,
    make_temp_dir_in,
    pid_alive,
    register,
    spawn,
    tail,
    unregister,
)
from .keys import KeySet, generate_host_keys

SSHD = os.environ.get("PSSH_TEST_SSHD", "/usr/sbin/sshd")
MAX_LISTEN_ADDRESSES = 16
START_TIMEOUT = 15.0
# Fixed part of every sshd_config (ListenAddress, HostKey, PidFile, AuthorizedKeysFile vary).
_BASE_CONFIG = """
UsePAM no
StrictModes no
PermitRootLogin yes
UseDNS no
PubkeyAuthentication yes
PasswordAuthentication yes
KbdInteractiveAuthentication no
PermitEmptyPasswords no
PubkeyAcceptedAlgorithms +ssh-rsa
HostKeyAlgorithms +ssh-rsa
AllowAgentForwarding yes
AllowTcpForwarding yes
X11Forwarding no
Subsystem sftp internal-sftp
MaxStartups 2000:30:3000
MaxSessions 1000
MaxAuthTries 30
LoginGraceTime 120
ClientAliveInterval 0
PrintMotd no
PrintLastLog no
AcceptEnv LANG LC_*
LogLevel VERBOSE
"""


def host_addresses(count: int, first: str = "127.0.0.2") -> list[str]:
    """``count`` consecutive IPv4 addresses starting at ``first`` (e.g. 127.0.0.2..5).

    :rtype: list[str]
    """
    start = int.from_bytes(socket.inet_aton(first), "big")
    return [socket.inet_ntoa((start + i).to_bytes(4, "big")) for i in range(count)]


def free_port(addresses: Sequence[str] = ()) -> int:
    """A TCP port that is free on 127.0.0.1 (kernel's pick) and on every one of ``addresses``.

    :rtype: int
    """
    for _attempt in range(50):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if all(_can_bind(addr, port) for addr in addresses):
            return port
    raise ServerError(f"no free port found for {list(addresses)}")


def _can_bind(address: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family) as sock:
        try:
            sock.bind((address, port))
        except OSError:
            return False
    return True


_version_cache: list[tuple[int, int]] = []


def sshd_version(sshd: str = SSHD) -> tuple[int, int]:
    """(major, minor) of the OpenSSH server binary, e.g. (9, 2).

    :rtype: tuple[int, int]
    """
    if not _version_cache:
        out = subprocess.run([sshd, "-V"], capture_output=True, text=True, check=False)
        match = re.search(r"OpenSSH_(\d+)\.(\d+)", out.stdout + out.stderr)
        _version_cache.append((int(match.group(1)), int(match.group(2))) if match else (0, 0))
    return _version_cache[0]


class OpenSSHServer:
    """One ``sshd -D`` process listening on up to 16 addresses on one port.

    :param addresses: IPv4 addresses to listen on (at most 16).
    :param port: TCP port for every address (see :func:`free_port`).
    :param keys: key files from :func:`generate_keys`.
    :param workdir: folder for config, pid file and log (a new temp folder by default).
    :param extra_config: extra ``sshd_config`` lines, appended last; a
      keyword given before any ``Match`` line replaces the base config's
      (``MaxSessions 10``).
    """

    def __init__(
        self,
        addresses: Sequence[str],
        port: int,
        keys: KeySet,
        workdir: str | None = None,
        extra_config: Sequence[str] = (),
    ) -> None:
        if not 1 <= len(addresses) <= MAX_LISTEN_ADDRESSES:
            raise ValueError(
                f"sshd takes 1..{MAX_LISTEN_ADDRESSES} addresses, not {len(addresses)}"
            )
        self.addresses = tuple(addresses)
        self.port = port
        self.keys = keys
        self.host_keys = keys.host_keys
        self.workdir = workdir or make_temp_dir("pssh-sshd-")
        self.extra_config = tuple(extra_config)
        self.config_path = os.path.join(self.workdir, "sshd_config")
        self.pid_file = os.path.join(self.workdir, "sshd.pid")
        self.log_path = os.path.join(self.workdir, "sshd.log")
        self.proc: subprocess.Popen | None = None
        self.stopped_pids: list[int] = []

    def __repr__(self) -> str:
        proc = self.proc
        state = f"pid={proc.pid}" if proc is not None and proc.poll() is None else "stopped"
        return f"<OpenSSHServer {self.addresses[0]}..({len(self.addresses)}):{self.port} {state}>"

    @property
    def running(self) -> bool:
        """True while the sshd process is alive.

        :rtype: bool
        """
        return self.proc is not None and self.proc.poll() is None

    def config_text(self) -> str:
        """The ``sshd_config`` this server runs with.

        :rtype: str
        """
        lines = [
            f"ListenAddress [{addr}]:{self.port}"
            if ":" in addr
            else f"ListenAddress {addr}:{self.port}"
            for addr in self.addresses
        ]
        lines += [f"HostKey {key}" for key in self.host_keys]
        lines += [f"PidFile {self.pid_file}", f"AuthorizedKeysFile {self.keys.authorized_keys}"]
        # sshd keeps the first value of a keyword: a global keyword of
        # extra_config (one before any Match) replaces the base config's line
        extra = list(self.extra_config)
        words = [line.split()[0].lower() if line.split() else "" for line in extra]
        end = words.index("match") if "match" in words else len(words)
        overridden = set(words[:end])
        lines += [
            line
            for line in _BASE_CONFIG.strip().splitlines()
            if line.split()[0].lower() not in overridden
        ]
        if sshd_version() >= (9, 8):
            lines.append("PerSourcePenalties no")  # tests fail auth on purpose, many times
        lines += self.extra_config
        return "\n".join(lines) + "\n"

    def launch(self) -> None:
        """Write the config and spawn sshd without waiting (see :meth:`wait_ready`)."""
        if self.running:
            raise ServerError(f"{self!r} is already running")
        if os.geteuid() == 0 and not os.path.isdir("/run/sshd"):
            os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # privilege separation dir
        with open(self.config_path, "w") as fh:
            fh.write(self.config_text())
        with open(self.log_path, "ab") as fh:
            fh.write(f"--- starting sshd on port {self.port} ---\n".encode())
        self._log_start = os.path.getsize(self.log_path)
        argv = [SSHD, "-D", "-e", "-f", self.config_path, "-E", self.log_path]
        self.proc = spawn(argv, self.log_path)
        register(self)

    def _new_log(self) -> str:
        try:
            with open(self.log_path, "rb") as fh:
                fh.seek(self._log_start)
                return fh.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def _error(self, cls: type[ServerError], why: str) -> ServerError:
        return cls(
            f"sshd {self.addresses[0]}..:{self.port} {why}; "
            f"log {self.log_path}:\n{tail(self.log_path)}"
        )

    def poll_ready(self) -> bool:
        """One readiness check: every address listening (per the log) and sending a banner.

        :raises ServerError: sshd exited. :raises PortInUseError: an address failed to bind.
        :rtype: bool
        """
        if self.proc is None:
            raise ServerError("sshd was not launched")
        log = self._new_log()
        if f"Bind to port {self.port} on " in log:
            raise self._error(PortInUseError, "could not bind")
        if self.proc.poll() is not None:
            raise self._error(ServerError, f"exited with code {self.proc.returncode}")
        if any(f"Server listening on {a} port {self.port}." not in log for a in self.addresses):
            return False
        return all(_banner_ok(addr, self.port) for addr in self.addresses)

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        """Block until :meth:`poll_ready` passes; on failure stop sshd and raise.

        :raises ServerError: not ready within ``timeout`` seconds, or sshd died.
        """
        deadline = time.monotonic() + timeout
        try:
            while not self.poll_ready():
                if time.monotonic() > deadline:
                    raise self._error(ServerError, f"not ready after {timeout:.0f}s")
                time.sleep(0.005)
        except BaseException:
            self.stop()
            raise

    def start(self, timeout: float = START_TIMEOUT) -> OpenSSHServer:
        """Launch sshd and wait until it is ready. Returns ``self``.

        :raises ServerError: sshd did not come up (message has the log tail).
        :rtype: :class:`OpenSSHServer`
        """
        self.launch()
        self.wait_ready(timeout)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop sshd and every process it forked (connections, user commands), reap it."""
        proc, self.proc = self.proc, None
        unregister(self)
        if proc is None:
            return
        self.stopped_pids = [proc.pid, *kill_tree(proc, timeout)]
        pid = _read_pid(self.pid_file)
        if pid is not None and pid != proc.pid and pid_alive(pid):
            os.kill(pid, 9)  # a stray daemon from this config (should never happen)
        if os.path.exists(self.pid_file):
            os.unlink(self.pid_file)

    def restart_with_new_host_key(self, keys_dir: str | None = None) -> tuple[str, ...]:
        """Stop, switch to freshly generated host keys, start again on the same addresses.

        :param keys_dir: where to write the new host keys (default: a new sub-folder).
        :returns: the new private host key paths.
        :rtype: tuple[str, ...]
        """
        self.stop()
        if keys_dir is None:
            keys_dir = make_temp_dir_in(self.workdir, "hostkeys-")
        self.host_keys = generate_host_keys(keys_dir)
        self.start()
        return self.host_keys


def _read_pid(path: str) -> int | None:
    try:
        with open(path) as fh:
            return int(fh.read().strip())
    except (OSError, ValueError):
        return None


def _banner_ok(address: str, port: int) -> bool:
    try:
        with socket.create_connection((address, port), timeout=2) as sock:
            data = b""
            while b"\n" not in data and len(data) < 512:
                chunk = sock.recv(256)
                if not chunk:
                    break
                data += chunk
    except OSError:
        return False
    return data.startswith(b"SSH-2.0-")
