"""Per-host settings in the parallel-ssh 2.x form: a list of
:class:`HostConfig`, one per entry of ``hosts``, given as a parallel
client's ``host_config``.

Every field defaults to ``None``, meaning "not given": the client's own
argument (then the OpenSSH configuration, then the default) applies. So a
:class:`HostConfig` names only what differs for its host.
"""

from __future__ import annotations

from typing import Any, Optional

FIELDS = (
    "user", "port", "password", "private_key", "allow_agent", "alias",
    "num_retries", "retry_delay", "timeout", "identity_auth", "proxy_host",
    "proxy_port", "proxy_user", "proxy_password", "proxy_pkey",
    "keepalive_seconds", "ipv6_only", "forward_ssh_agent", "compress",
    "keyboard_interactive", "read_timeout",
)  # fmt: skip
"""The fields of :class:`HostConfig`, in parallel-ssh 2.x's order."""

_SECRETS = frozenset({"password", "private_key", "proxy_password", "proxy_pkey"})


class HostConfig:
    """Settings of one host of a parallel client (the 2.x ``host_config`` entry).

    :param user: User to log in as.
    :param port: Port to connect to.
    :param password: Password to log in with (also the answer to
      keyboard-interactive prompts when ``keyboard_interactive`` is set).
    :param private_key: Private key: a file path, or the key's contents.
    :param allow_agent: Whether the SSH agent may be used.
    :param alias: Name of the host in output (``HostOutput.alias``) and in
      the single client's ``alias``; the host is still connected to by its name.
    :param num_retries: Connection attempts after the first.
    :param retry_delay: Seconds between attempts.
    :param timeout: Seconds for connecting, the handshake, authentication
      and opening channels.
    :param identity_auth: ``False``: the default identities under ``~/.ssh``
      are not tried.
    :param proxy_host: A proxy (bastion) to reach this host through; hosts
      naming the same proxy (host, port and user) share one connection to it.
    :param proxy_port: The proxy's port.
    :param proxy_user: User on the proxy.
    :param proxy_password: Password on the proxy.
    :param proxy_pkey: Private key for the proxy.
    :param keepalive_seconds: Seconds between keepalive messages (0: none).
    :param ipv6_only: Connect over IPv6 only.
    :param forward_ssh_agent: Ask for agent forwarding (paramiko client only).
    :param compress: Ask for compression of the connection.
    :param keyboard_interactive: Answer keyboard-interactive password prompts
      with ``password``.
    :param read_timeout: Default seconds to wait for output of this host's commands.
    """

    __slots__ = FIELDS

    def __init__(
        self,
        user: Optional[str] = None,
        port: Optional[int] = None,
        password: Optional[str] = None,
        private_key: Any = None,
        allow_agent: Optional[bool] = None,
        alias: Optional[str] = None,
        num_retries: Optional[int] = None,
        retry_delay: Optional[float] = None,
        timeout: Optional[float] = None,
        identity_auth: Optional[bool] = None,
        proxy_host: Optional[str] = None,
        proxy_port: Optional[int] = None,
        proxy_user: Optional[str] = None,
        proxy_password: Optional[str] = None,
        proxy_pkey: Any = None,
        keepalive_seconds: Optional[int] = None,
        ipv6_only: Optional[bool] = None,
        forward_ssh_agent: Optional[bool] = None,
        compress: Optional[bool] = None,
        keyboard_interactive: Optional[bool] = None,
        read_timeout: Optional[float] = None,
    ) -> None:
        values = locals()
        for name in FIELDS:
            setattr(self, name, values[name])

    def given(self) -> dict[str, Any]:
        """The fields set (not ``None``), by name.

        :rtype: dict
        """
        values = ((name, getattr(self, name)) for name in FIELDS)
        return {name: value for name, value in values if value is not None}

    def __repr__(self) -> str:
        shown = ", ".join(
            "%s=%s" % (name, "<hidden>" if name in _SECRETS else repr(value))
            for name, value in self.given().items()
        )
        return "HostConfig(%s)" % (shown,)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, HostConfig):
            return NotImplemented
        return self.given() == other.given()

    __hash__ = None  # type: ignore[assignment]


__all__ = ["FIELDS", "HostConfig"]
