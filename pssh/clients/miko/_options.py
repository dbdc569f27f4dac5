"""Options of the paramiko client: keys, OpenSSH config, the command line,
extra ``paramiko.SSHClient.connect`` arguments and the host key policy."""

from __future__ import annotations

import inspect
import os
import shlex
from typing import IO, Any, Union

import paramiko

from ..._ssh_config import SSHConfig, SSHConfigError
from ...exceptions import PKeyFileError, SSHException
from ...utils import load_private_key
from ..base_single import make_command

_CONNECT_PARAMS = frozenset(inspect.signature(paramiko.SSHClient.connect).parameters) - {"self"}
_SET_BY_CLIENT = frozenset(
    {"hostname", "port", "username", "password", "pkey", "sock", "timeout", "allow_agent"}
)

PKeyArg = Union[paramiko.PKey, str, "os.PathLike[str]", IO[str], IO[bytes], None]


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
    """A paramiko key from a key object, a key file path or a file object.

    :raises: :py:class:`pssh.exceptions.PKeyFileError` when a path does not
      exist; :py:class:`pssh.exceptions.SSHException` (naming the file and
      the reason) when a key cannot be loaded.
    """
    if pkey is None or isinstance(pkey, paramiko.PKey):
        return pkey
    if isinstance(pkey, (str, os.PathLike)):
        path = os.path.expanduser(os.fspath(pkey))
        if not os.path.isfile(path):
            raise PKeyFileError("No such private key file %s", path)
        return load_private_key(path)
    if hasattr(pkey, "read"):
        return load_private_key(pkey)
    raise PKeyFileError(
        "Private key must be a paramiko key, a file path or a file object, got %r",
        type(pkey).__name__,
    )


def openssh_config(
    host: str, user: str | None = None, port: int | None = None, config_file: str | None = None
) -> tuple[str, str | None, int, str | None]:
    """``(hostname, user, port, identity file)`` to use for ``host``.

    Read from ``config_file``, or else from ``~/.ssh/config`` then
    ``/etc/ssh/ssh_config``, as OpenSSH's ``ssh`` reads them (see
    :mod:`pssh._ssh_config`); explicit ``user`` and ``port`` win over the
    files. The identity file is the first configured one that exists.

    :raises: :py:class:`pssh.exceptions.SSHException` for a configuration
      ``ssh`` would refuse, or an explicit file that cannot be read.
    """
    try:
        found = SSHConfig.load(config_file).lookup(host, user=user, port=port)
    except (SSHConfigError, OSError) as exc:
        raise SSHException(
            "Cannot use OpenSSH client configuration for host %s - %s", host, exc, host=host
        ) from exc
    identity = next((path for path in found.identity_files if os.path.isfile(path)), None)
    return found.hostname, found.user, found.port, identity


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


class AcceptHostKey(paramiko.MissingHostKeyPolicy):
    """Host keys are not verified, as with the native client (see the
    security documentation)."""

    def missing_host_key(self, client: Any, hostname: str, key: Any) -> None:
        return None


def failed_in_auth(client: paramiko.SSHClient) -> bool:
    """Whether a failed ``connect`` got past the key exchange (so that what
    failed was authentication)."""
    transport = client.get_transport()
    return (
        transport is not None and transport.session_id is not None
        and not transport.is_authenticated()
    )  # fmt: skip
