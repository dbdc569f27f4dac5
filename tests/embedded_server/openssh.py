"""Throwaway OpenSSH servers (and an ssh-agent) for tests and demos. No pytest in here.

Typical use::

    keys = generate_keys(make_temp_dir())
    user = ensure_test_user()
    group = start_servers(host_addresses(4), keys=keys)   # free port, ceil(n/16) sshd
    config = group.config(user)                            # frozen ServerConfig
    ...
    group.stop()

Every server is a real ``/usr/sbin/sshd -D`` with its own ``sshd_config``, pid file and log
(``LogLevel VERBOSE``, written with ``-E``) inside a temp folder. ``sshd`` accepts at most 16
``ListenAddress`` lines, so :class:`ServerGroup` runs one process per 16 addresses, all on one
port. Ports come from binding ``127.0.0.1:0`` so that several test sessions can share a machine.

Login user: when running as root, :func:`ensure_test_user` provides the system user
``pssh-test`` (shell ``/bin/sh``, password ``pssh-test-password``, passwordless sudo if sudo
is installed), because root's own shell start-up is slow on the test machines. When not
root, the login user is simply the current user and the password is unknown (``None``);
sshd then only lets that user log in, by key.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Sequence
from typing import NamedTuple

from ._process import (
    PortInUseError,
    ServerError,
    make_temp_dir,
    make_temp_dir_in,
    pid_alive,
    remove_temp_dir,
)
from .agent import SSHAgent, start_agent
from .keys import (
    TEST_PASSWORD,
    TEST_USER,
    KeySet,
    TestUser,
    ensure_test_user,
    generate_host_keys,
    generate_keys,
    write_known_hosts,
)
from .server import (
    MAX_LISTEN_ADDRESSES,
    SSHD,
    START_TIMEOUT,
    OpenSSHServer,
    free_port,
    host_addresses,
    sshd_version,
)

__all__ = [
    "MAX_LISTEN_ADDRESSES", "SSHD", "START_TIMEOUT", "TEST_PASSWORD", "TEST_USER", "KeySet",
    "OpenSSHServer", "PortInUseError", "SSHAgent", "ServerConfig", "ServerError",
    "ServerGroup", "TestUser", "ensure_test_user", "free_port", "generate_host_keys",
    "generate_keys", "host_addresses", "make_temp_dir", "pid_alive", "remove_temp_dir",
    "sshd_version", "start_agent", "start_servers", "write_known_hosts",
]  # fmt: skip


class ServerConfig(NamedTuple):
    """Everything a test needs to reach a group of embedded servers.

    ``host`` is ``hosts[0]``; ``pkey`` is the ed25519 user key (``pkey_pub`` its public half);
    ``log_path`` is the log of the sshd serving ``host`` and ``log_paths`` all logs;
    ``known_hosts`` holds every host key for every ``[host]:port``; ``home`` is the login
    user's home folder.
    """

    host: str
    port: int
    user: str
    password: str | None
    pkey: str
    pkey_pub: str
    hosts: tuple[str, ...]
    log_path: str
    log_paths: tuple[str, ...]
    rsa_pkey: str
    ecdsa_pkey: str
    keys_dir: str
    known_hosts: str
    home: str


class ServerGroup:
    """``ceil(n/16)`` :class:`OpenSSHServer` processes serving ``n`` addresses on one port.

    :param addresses: every address to serve.
    :param port: shared TCP port.
    :param keys: key files from :func:`generate_keys` (shared by all processes).
    :param workdir: folder for the per-process sub-folders (a new temp folder by default).
    :param extra_config: extra ``sshd_config`` lines for every process.
    :param user: login account reported by :meth:`config` (default :func:`ensure_test_user`).
    """

    def __init__(
        self,
        addresses: Sequence[str],
        port: int,
        keys: KeySet,
        workdir: str | None = None,
        extra_config: Sequence[str] = (),
        user: TestUser | None = None,
    ) -> None:
        if not addresses:
            raise ValueError("no addresses")
        self.user = user
        self.addresses = tuple(addresses)
        self.port = port
        self.keys = keys
        self.workdir = workdir or make_temp_dir("pssh-sshd-")
        count = math.ceil(len(addresses) / MAX_LISTEN_ADDRESSES)
        self.servers = [
            OpenSSHServer(
                self.addresses[i * MAX_LISTEN_ADDRESSES : (i + 1) * MAX_LISTEN_ADDRESSES],
                port,
                keys,
                make_temp_dir_in(self.workdir, f"sshd{i}-"),
                extra_config,
            )
            for i in range(count)
        ]
        self.known_hosts = os.path.join(self.workdir, "known_hosts")

    def __repr__(self) -> str:
        return f"<ServerGroup {len(self.addresses)} hosts :{self.port} {self.servers}>"

    def start(self, timeout: float = START_TIMEOUT) -> ServerGroup:
        """Launch every sshd at once, then wait for all. Stops them all on failure.

        :raises ServerError: one did not come up.
        :rtype: :class:`ServerGroup`
        """
        try:
            for server in self.servers:
                server.launch()
            deadline = time.monotonic() + timeout
            for server in self.servers:
                server.wait_ready(max(0.5, deadline - time.monotonic()))
        except BaseException:
            self.stop()
            raise
        if not os.path.exists(self.known_hosts):  # keeps the first keys across restarts
            self.write_known_hosts(self.known_hosts)
        return self

    def write_known_hosts(self, path: str) -> str:
        """Write a known_hosts file trusting the host keys the group serves right now.

        :rtype: str
        """
        return write_known_hosts(path, self.addresses, self.port, self.servers[0].host_keys)

    def stop(self) -> None:
        """Stop every sshd of the group (idempotent)."""
        for server in self.servers:
            server.stop()

    @property
    def running(self) -> bool:
        """True if every sshd of the group is alive.

        :rtype: bool
        """
        return all(server.running for server in self.servers)

    def server_for(self, address: str) -> OpenSSHServer:
        """The sshd process serving ``address``.

        :rtype: :class:`OpenSSHServer`
        """
        for server in self.servers:
            if address in server.addresses:
                return server
        raise KeyError(address)

    def restart_with_new_host_key(self) -> tuple[str, ...]:
        """Restart every sshd with one new set of host keys.

        ``self.known_hosts`` keeps the old keys (so clients using it see a mismatch); call
        :meth:`write_known_hosts` for a file with the new ones.

        :returns: the new private host key paths.
        :rtype: tuple[str, ...]
        """
        self.stop()
        keys_dir = make_temp_dir_in(self.workdir, "hostkeys-")
        host_keys = generate_host_keys(keys_dir)
        for server in self.servers:
            server.host_keys = host_keys
        self.start()
        return host_keys

    def config(self, user: TestUser | None = None) -> ServerConfig:
        """A :class:`ServerConfig` describing this group for ``user`` (default: ``self.user``).

        :rtype: :class:`ServerConfig`
        """
        if user is None:
            if self.user is None:
                self.user = ensure_test_user()
            user = self.user
        keys = self.keys
        return ServerConfig(
            host=self.addresses[0],
            port=self.port,
            user=user.name,
            password=user.password,
            pkey=keys.pkey,
            pkey_pub=keys.pkey + ".pub",
            hosts=self.addresses,
            log_path=self.servers[0].log_path,
            log_paths=tuple(s.log_path for s in self.servers),
            rsa_pkey=keys.rsa_pkey,
            ecdsa_pkey=keys.ecdsa_pkey,
            keys_dir=keys.dir,
            known_hosts=self.known_hosts,
            home=user.home,
        )


def start_servers(
    addresses: Sequence[str],
    keys: KeySet,
    port: int | None = None,
    workdir: str | None = None,
    extra_config: Sequence[str] = (),
    user: TestUser | None = None,
    attempts: int = 3,
) -> ServerGroup:
    """Start a :class:`ServerGroup`; with ``port=None`` pick a free port.

    A freshly picked port can be taken by another process before sshd binds it; then a new
    port is tried, up to ``attempts`` times in total.

    :rtype: :class:`ServerGroup`
    :raises ServerError: the servers did not come up.
    """
    for attempt in range(1, attempts + 1):
        chosen = port or free_port(addresses)
        group = ServerGroup(addresses, chosen, keys, workdir, extra_config, user)
        try:
            return group.start()
        except PortInUseError:
            if port is not None or attempt == attempts:
                raise
    raise AssertionError("unreachable")
