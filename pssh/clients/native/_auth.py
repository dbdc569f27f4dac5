"""Authentication for the native client: the given key (a path or the key's
contents), the SSH agent, the configured or default identity files, then the
password. Every step waits through the connection (:mod:`._connection`); the failure
names the host and each method tried with its cause - a key given in memory
by its fingerprint, never by its contents, and never the password.

The failure is an :py:class:`pssh.exceptions.AuthenticationException` with
the 1.8.0 ``args`` ``(message, host, port, cause)``; it is not retried."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from ssh2.exceptions import SSH2Error

from ..._keys import is_paramiko_key, key_name, looks_like_key_text, to_openssh_pem
from ...exceptions import AuthenticationException, PKeyFileError
from ._connection import SSHConnection
from ._errors import describe, map_errors

DEFAULT_IDENTITIES = ("id_ed25519", "id_ecdsa", "id_rsa", "id_dsa", "identity")
"""Key files under ``~/.ssh`` tried when no ``pkey`` is given, in this order."""


def validate_pkey(pkey: Any) -> Any:
    """The key as the native client uses it: a path (``~`` expanded, must
    exist) or the key's contents as ``bytes``. A paramiko key object (from
    :func:`pssh.utils.load_private_key`, as 1.8.0's docs show) is exported
    in memory to an OpenSSH private key text, and key text given as a
    ``str`` is taken as contents; neither is ever written to a file.

    :raises: :py:class:`pssh.exceptions.PKeyFileError` - naming a key given
      in memory by its fingerprint only, never by its contents."""
    if pkey is None or isinstance(pkey, (bytes, bytearray)):
        return bytes(pkey) if pkey is not None else None
    if is_paramiko_key(pkey):
        try:
            return to_openssh_pem(pkey)
        except TypeError as exc:
            raise PKeyFileError("Cannot use private key: %s", exc) from None
    if isinstance(pkey, str) and looks_like_key_text(pkey):
        if "PRIVATE KEY-----" in pkey:
            return pkey.encode("utf-8")
        raise PKeyFileError("No such private key file (%s, not a file path)", key_name(pkey))
    if not isinstance(pkey, (str, os.PathLike)):
        raise PKeyFileError(
            "Private key must be a file path, the key's contents or a paramiko key, got %r",
            type(pkey).__name__,
        )
    path = os.path.expanduser(os.fspath(pkey))
    if not os.path.isfile(path):
        raise PKeyFileError("No such private key file %s", path)
    return path


class Authenticator:
    """Authenticates one connection as ``user``.

    :param conn: The connection, handshaken and its host key checked.
    :param user: User to log in as.
    :param password: Password, or ``None``.
    :param pkey: Key file path or key contents (``bytes``), or ``None``.
    :param allow_agent: Whether the SSH agent may be used.
    :param host_config: The host's OpenSSH configuration
      (:class:`pssh._ssh_config.HostConfig`: ``identities_only``, ``identity_files``).
    :param identity_auth: ``False``: the default identities under ``~/.ssh``
      are not tried (``IdentityFile`` files of the OpenSSH configuration
      still are: the user named them).
    :param keyboard_interactive: Answer keyboard-interactive prompts with
      the password (after password authentication, for servers that offer
      only keyboard-interactive).
    """

    def __init__(
        self,
        conn: SSHConnection,
        user: str,
        password: str | None,
        pkey: Any,
        allow_agent: bool,
        host_config: Any,
        *,
        identity_auth: bool = True,
        keyboard_interactive: bool = False,
    ) -> None:
        self.conn = conn
        self.host = conn.host
        self.port = conn.port
        self.timeout = conn.timeout
        self.session = conn.session
        self.user = user
        self.password = password
        self.pkey = pkey
        self.allow_agent = allow_agent
        self.ssh_host_config = host_config
        self.identity_auth = identity_auth
        self.keyboard_interactive = keyboard_interactive

    def _eagain(self, func: Any, *args: Any, timeout: float | None = None) -> Any:
        return self.conn.eagain(func, *args, timeout=timeout)

    def auth(self) -> None:
        """Authenticate: the given key (path or contents), else the SSH agent
        (unless ``IdentitiesOnly`` is set in the OpenSSH config) and the
        config's ``IdentityFile`` files or, when none is configured, the
        default identities under ``~/.ssh``; then the password, if one was
        given.

        :raises: :py:class:`pssh.exceptions.AuthenticationException` when
          no method succeeds, naming the methods tried.
        """
        tried: list[str] = []
        if self.pkey is not None:
            if self._try_auth(tried, self._pkey_name(), self._pkey_auth):
                return
        else:
            agent = self.allow_agent and not self.ssh_host_config.identities_only
            if agent and self._try_auth(tried, "agent", self._agent_auth):
                return
            for path in self._default_identities():
                if self._try_auth(tried, "key %s" % path, self._file_auth, path):
                    return
        if self.password is not None and self._try_auth(tried, "password", self._password_auth):
            return
        if (
            self.keyboard_interactive
            and self.password is not None
            and self._try_auth(tried, "keyboard-interactive", self._keyboard_interactive_auth)
        ):
            return
        raise AuthenticationException(
            "No authentication method succeeded for host %s:%s - %s",
            self.host,
            self.port,
            "user %s, tried: %s"
            % (self.user, "; ".join(tried) or "nothing (no key, agent or password)"),
            host=self.host,
        )

    def _pkey_name(self) -> str:
        # "key <path>", or the key's fingerprint: never the key itself
        name = key_name(self.pkey)
        return name if name.startswith("key ") else "key %s" % name

    def _try_auth(self, tried: list[str], label: str, func: Any, *args: Any) -> bool:
        try:
            with map_errors(self.host, "authenticating with %s" % label, auth=True):
                func(*args)
        except AuthenticationException as exc:
            cause = exc.__cause__
            tried.append("%s (%s)" % (label, describe(cause) if cause else exc))
            return False
        return True

    def _pkey_auth(self) -> None:
        if isinstance(self.pkey, bytes):
            self._eagain(
                self.session.userauth_publickey_frommemory,
                self.user,
                self.pkey,
                timeout=self.timeout,
            )
        else:
            self._file_auth(self.pkey)

    def _file_auth(self, path: str) -> None:
        pub = path + ".pub"
        self._eagain(
            self.session.userauth_publickey_fromfile,
            self.user,
            path,
            "",
            pub if os.path.isfile(pub) else None,
            timeout=self.timeout,
        )

    def _agent_auth(self) -> None:
        if not os.environ.get("SSH_AUTH_SOCK"):
            raise AuthenticationException("no SSH_AUTH_SOCK set", host=self.host)
        agent = self.session.agent_init()
        try:
            agent.connect()
            agent.list_identities()
            identities = agent.get_identities()
            for identity in identities:
                try:
                    self._eagain(agent.userauth, self.user, identity, timeout=self.timeout)
                except SSH2Error:
                    continue
                return
            raise AuthenticationException(
                "agent offered %d key(s), none accepted", len(identities), host=self.host
            )
        finally:
            agent.disconnect()

    def _default_identities(self) -> Iterator[str]:
        configured = self.ssh_host_config.identity_files
        if not configured and not self.identity_auth:
            return
        ssh_dir = os.path.expanduser("~/.ssh")
        for path in configured or [os.path.join(ssh_dir, name) for name in DEFAULT_IDENTITIES]:
            if os.path.isfile(path):
                yield path

    def _password_auth(self) -> None:
        self._eagain(self.session.userauth_password, self.user, self.password, timeout=self.timeout)

    def _keyboard_interactive_auth(self) -> None:
        # libssh2 answers every prompt of the server with the password
        self._eagain(
            self.session.userauth_keyboardinteractive,
            self.user,
            self.password,
            timeout=self.timeout,
        )
