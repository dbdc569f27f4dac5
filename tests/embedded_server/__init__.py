"""Embedded OpenSSH servers for the pssh test-suite and demo (see :mod:`.openssh`)."""

from __future__ import annotations

from .openssh import (
    TEST_PASSWORD,
    TEST_USER,
    KeySet,
    OpenSSHServer,
    PortInUseError,
    ServerConfig,
    ServerError,
    ServerGroup,
    SSHAgent,
    TestUser,
    ensure_test_user,
    free_port,
    generate_host_keys,
    generate_keys,
    host_addresses,
    make_temp_dir,
    remove_temp_dir,
    start_agent,
    start_servers,
    write_known_hosts,
)

__all__ = [
    "TEST_PASSWORD",
    "TEST_USER",
    "KeySet",
    "OpenSSHServer",
    "PortInUseError",
    "SSHAgent",
    "ServerConfig",
    "ServerError",
    "ServerGroup",
    "TestUser",
    "ensure_test_user",
    "free_port",
    "generate_host_keys",
    "generate_keys",
    "host_addresses",
    "make_temp_dir",
    "remove_temp_dir",
    "start_agent",
    "start_servers",
    "write_known_hosts",
]
