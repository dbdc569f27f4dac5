"""Options of the paramiko client: keys, OpenSSH config, the command line,
extra ``paramiko.SSHClient.connect`` arguments and the host key check.

Host keys are verified by :class:`VerifyHostKey`, a missing host key policy:
no host keys are loaded into paramiko, so paramiko consults the policy on
every connection, after the key exchange and before authentication.
:func:`transport_factory` makes paramiko offer the types of the keys recorded
for the host first, as ``ssh`` does.
"""

from __future__ import annotations

import inspect
import io
import os
import shlex
from collections.abc import Callable
from typing import IO, Any, Union

import paramiko

from ..._keys import key_name, looks_like_key_text
from ..._ssh_config import HostConfig, SSHConfig
from ...exceptions import PKeyFileError
from ...utils import load_private_key
from .._host_keys import HostKeyChecker, lookup
from ..base_single import make_command

_CONNECT_PARAMS = frozenset(inspect.signature(paramiko.SSHClient.connect).parameters) - {"self"}
_SET_BY_CLIENT = frozenset(
    {"hostname", "port", "username", "password", "pkey", "sock", "timeout", "allow_agent"}
)

PKeyArg = Union[paramiko.PKey, str, bytes, "os.PathLike[str]", IO[str], IO[bytes], None]


def check_paramiko_kwargs(kwargs: dict[str, Any]) -> None:
    """Refuse keyword arguments :meth:`paramiko.client.SSHClient.connect`
    would not take, or that the client sets itself.

    :raises: :py:class:`TypeError` naming them.
    """
    unknown = sorted(set(kwargs) - _CONNECT_PARAMS)
    if unknown:
        raise TypeError(
            f"paramiko {paramiko.__version__} SSHClient.connect() does not take "
            + ", ".join(unknown)
        )
    taken = sorted(set(kwargs) & _SET_BY_CLIENT)
    if taken:
        raise TypeError(
            "%s set by the client itself; use the client's own arguments instead"
            % (", ".join(taken) + (" is" if len(taken) == 1 else " are"))
        )


def load_pkey(pkey: PKeyArg) -> paramiko.PKey | None:
    """A paramiko key from a key object, a key file path, the key's contents
    (``bytes``, or a ``str`` holding the key text) or a file object. A key
    given in memory is named in messages by its fingerprint only.

    :raises: :py:class:`pssh.exceptions.PKeyFileError` when a path does not
      exist; :py:class:`pssh.exceptions.SSHException` (naming the file and
      the reason) when a key cannot be loaded.
    """
    if pkey is None or isinstance(pkey, paramiko.PKey):
        return pkey
    if isinstance(pkey, str) and looks_like_key_text(pkey):
        if "PRIVATE KEY-----" not in pkey:
            raise PKeyFileError("No such private key file (%s, not a file path)", key_name(pkey))
        return load_private_key(pkey)  # the key's text: loaded from memory
    if isinstance(pkey, (str, os.PathLike)):
        path = os.path.expanduser(os.fspath(pkey))
        if not os.path.isfile(path):
            raise PKeyFileError("No such private key file %s", path)
        return load_private_key(path)
    if isinstance(pkey, (bytes, bytearray)):
        return load_private_key(io.BytesIO(bytes(pkey)))
    if hasattr(pkey, "read"):
        return load_private_key(pkey)
    raise PKeyFileError(
        "Private key must be a paramiko key, a file path, the key's contents as bytes or a "
        "file object, got %r",
        type(pkey).__name__,
    )


def openssh_config(
    config: SSHConfig, host: str, user: str | None = None, port: int | None = None
) -> tuple[HostConfig, str | None]:
    """``host``'s OpenSSH configuration and the identity file to use.

    ``config`` comes from :func:`pssh.clients._host_keys.load_ssh_config`;
    explicit ``user`` and ``port`` win over it. The identity file is the
    first configured one that exists.

    :raises: :py:class:`pssh.exceptions.SSHException` for a value that
      cannot be expanded.
    """
    found = lookup(config, host, user, port)
    identity = next((path for path in found.identity_files if os.path.isfile(path)), None)
    return found, identity


def wrap_command(
    command: str, sudo: bool, user: str | None, shell: str | None, use_shell: bool
) -> str:
    """The command line sent to the host (see :func:`make_command`); with
    ``use_shell=False`` the command runs as given, without a shell."""
    if use_shell:
        return make_command(command, sudo, user, shell)
    if user:
        return f"sudo -u {shlex.quote(user)} -S {command}"
    if sudo:
        return f"sudo -S {command}"
    return command


class VerifyHostKey(paramiko.MissingHostKeyPolicy):
    """Verifies the server's key with a
    :class:`~pssh.clients._host_keys.HostKeyChecker` (see :doc:`/security`).

    :raises: :py:class:`pssh.exceptions.HostKeyError` (a subclass) from
      :py:meth:`paramiko.client.SSHClient.connect`, before authentication.
    """

    def __init__(self, checker: HostKeyChecker) -> None:
        self.checker = checker

    def missing_host_key(self, client: Any, hostname: str, key: Any) -> None:
        self.checker.check(key.asbytes())


def transport_factory(
    checker: HostKeyChecker, factory: Callable[..., Any] | None = None
) -> Callable[..., paramiko.Transport]:
    """A ``transport_factory`` for :py:meth:`paramiko.client.SSHClient.connect`
    whose transports offer the host key types recorded for the host first.

    :param factory: The transport factory to wrap (``paramiko.Transport``).
    """

    def make(sock: Any, **kwargs: Any) -> paramiko.Transport:
        transport = (factory or paramiko.Transport)(sock, **kwargs)
        options = transport.get_security_options()
        preferred = checker.algorithms(list(options.key_types))
        if preferred:
            options.key_types = preferred
        return transport

    return make
