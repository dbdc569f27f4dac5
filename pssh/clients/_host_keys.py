"""Host key checking and the OpenSSH client configuration, as every client
applies them (the pure logic is in :mod:`pssh._known_hosts` and
:mod:`pssh._ssh_config`).

Both clients resolve a host once, at construction, through its settings
(:func:`pssh.clients._settings.settings_for`): :func:`load_ssh_config` reads
the configuration (once per client: a parallel client parses it once for all
hosts), :func:`lookup` applies it to the host, and
:meth:`~pssh.clients._settings.HostSettings.host_key_checker` makes the
:class:`HostKeyChecker` that holds everything needed to verify the key the
host presents on each connection:

- the name the key is recorded under: the ``HostName`` the client connects
  to (``[name]:port`` off port 22), or ``HostKeyAlias``;
- the files: the ``known_hosts`` argument (a path or paths; new keys go into
  the first), else ``UserKnownHostsFile`` or ``~/.ssh/known_hosts``, plus
  :data:`GLOBAL_KNOWN_HOSTS`; new keys go into the first user file (not
  recorded anywhere with ``UserKnownHostsFile none``), hashed with
  ``HashKnownHosts yes``;
- the policy: the ``host_key_policy`` argument, else
  ``StrictHostKeyChecking``, else ``accept-new``. ``StrictHostKeyChecking
  no`` (or ``off``) from a config file is applied as ``accept-new``: a new
  key is accepted and recorded, a changed key fails with
  :class:`~pssh.exceptions.HostKeyMismatchError`. Only an explicit
  ``host_key_policy='off'`` turns checking off.

Files are read once per checker, or once per parallel client: the clients of
one parallel client share a ``cache`` dict of :class:`KnownHosts` objects
(keyed by the files), so concurrent first connections to many new hosts
record each key once and append to the file one line at a time.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Optional, Union

from .._known_hosts import HostKeyPolicy, KnownHosts, parse_policy, verify
from .._ssh_config import HostConfig, SSHConfig, SSHConfigError
from ..exceptions import HostKeyError, HostKeyMismatchError, SSHException
from ._warn_once import warn_once

logger = logging.getLogger(__name__)

USER_KNOWN_HOSTS = "~/.ssh/known_hosts"
GLOBAL_KNOWN_HOSTS = "/etc/ssh/ssh_known_hosts"
DEFAULT_POLICY = HostKeyPolicy.ACCEPT_NEW

# Host key algorithms offered when nothing is known about a host, best first
# (OpenSSH's order; certificates are not offered: they are not verified here).
HOST_KEY_ALGORITHMS = (
    "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
    "rsa-sha2-512", "rsa-sha2-256", "ssh-rsa",
)  # fmt: skip
_RSA_ALGORITHMS = ("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa")
_CONFIG_NO_NOTE = (
    " (StrictHostKeyChecking no in the OpenSSH configuration accepts new host keys but not "
    "changed ones in pssh; pass host_key_policy='off' to skip the check.)"
)

PathArg = Union[str, "os.PathLike[str]"]
KnownHostsArg = Union[PathArg, Sequence[PathArg], None]
ConfigArg = Union[PathArg, SSHConfig, None]
PolicyArg = Union[str, bool, HostKeyPolicy, None]


def check_policy(policy: PolicyArg) -> Optional[HostKeyPolicy]:
    """Validate a ``host_key_policy`` argument (``None``: not given).

    :raises ValueError: For anything but ``strict``, ``accept-new``, ``off``
      (or OpenSSH's ``StrictHostKeyChecking`` words).
    :rtype: HostKeyPolicy or None
    """
    return None if policy is None else parse_policy(policy)


def load_ssh_config(ssh_config: ConfigArg = None) -> SSHConfig:
    """The OpenSSH client configuration a client uses.

    :param ssh_config: ``None`` for ``~/.ssh/config`` then
      ``/etc/ssh/ssh_config``; a file; ``"none"`` for no configuration; or an
      :class:`~pssh._ssh_config.SSHConfig` already parsed.
    :raises: :py:class:`pssh.exceptions.SSHException` for a configuration
      ``ssh`` would refuse, or a given file that cannot be read.
    :rtype: SSHConfig
    """
    if isinstance(ssh_config, SSHConfig):
        return ssh_config
    path = None if ssh_config is None else os.fspath(ssh_config)
    try:
        return SSHConfig.load(path)
    except (SSHConfigError, OSError) as exc:
        raise SSHException("Cannot use OpenSSH client configuration - %s", exc) from exc


def lookup(
    config: SSHConfig, host: str, user: Optional[str] = None, port: Optional[int] = None
) -> HostConfig:
    """``config`` applied to ``host``; explicit ``user``/``port`` win.

    Options that change where or how ``ssh`` connects and that pssh cannot
    carry out (:attr:`pssh._ssh_config.HostConfig.unsupported`) are logged as
    a warning, once per host, option and config line.

    :raises: :py:class:`pssh.exceptions.SSHException` naming the host, for a
      value that cannot be expanded.
    :rtype: HostConfig
    """
    try:
        found = config.lookup(host, user=user, port=int(port) if port else None)
    except SSHConfigError as exc:
        raise SSHException(
            "Cannot use OpenSSH client configuration for host %s - %s", host, exc, host=host
        ) from exc
    for option, where in found.unsupported:
        warn_once(
            logger, ("ssh_config", host, option, where),
            "%s: ignoring %s%s from the OpenSSH client configuration: pssh does not support "
            "it, so it may connect where or how ssh would not", host, option,
            f" ({where})" if where else "",
        )  # fmt: skip
    return found


def known_hosts_files(
    known_hosts: KnownHostsArg, config: HostConfig
) -> tuple[tuple[str, ...], Optional[str]]:
    """The files to read and the file to record new keys into.

    :rtype: tuple(tuple(str), str or None)
    """
    if known_hosts is not None:
        given = [known_hosts] if isinstance(known_hosts, (str, os.PathLike)) else known_hosts
        paths = tuple(os.path.expanduser(os.fspath(p)) for p in given)
        return paths, (paths[0] if paths else None)
    user = config.user_known_hosts_files
    user = (os.path.expanduser(USER_KNOWN_HOSTS),) if user is None else user
    return (*user, GLOBAL_KNOWN_HOSTS), (user[0] if user else None)


def _unbracket(name: str) -> str:
    return name[1:-1] if name.startswith("[") and name.endswith("]") else name


class HostKeyChecker:
    """Verifies the key one host presents (see the module docstring).

    :param host: The host as the user named it (exceptions carry it).
    :param config: The host's resolved OpenSSH configuration.
    :param port: The port connected to.
    :param known_hosts: The ``known_hosts`` argument (``None``: from config).
    :param policy: The ``host_key_policy`` argument (``None``: from config).
    :param cache: :class:`KnownHosts` objects shared by clients, by files.
    """

    def __init__(
        self,
        host: str,
        config: HostConfig,
        port: int,
        known_hosts: KnownHostsArg = None,
        policy: PolicyArg = None,
        cache: Optional[dict[tuple[str, ...], KnownHosts]] = None,
    ) -> None:
        self.host = host
        explicit = check_policy(policy)
        configured = config.strict_host_key_checking
        self.config_no = explicit is None and configured is HostKeyPolicy.OFF
        """``StrictHostKeyChecking no`` from the config, applied as ``accept-new``."""
        if self.config_no:
            # A common config line must not hand passwords to an impostor: new keys are
            # accepted and recorded, a changed key still fails (only the explicit
            # host_key_policy='off' argument turns checking off). See doc/security.rst.
            self.policy = HostKeyPolicy.ACCEPT_NEW
        else:
            self.policy = explicit or configured or DEFAULT_POLICY
        if config.host_key_alias:
            self.name, self.port = config.host_key_alias, None
        else:
            self.name, self.port = _unbracket(config.hostname), port
        paths, self.write_path = known_hosts_files(known_hosts, config)
        self.hash_name = config.hash_known_hosts
        if self.policy is HostKeyPolicy.OFF:
            self.known = KnownHosts([])  # reads nothing
        elif cache is None:
            self.known = KnownHosts(paths)
        else:
            known = cache.get(paths)
            if known is None:
                known = cache[paths] = KnownHosts(paths)
            self.known = known

    def __repr__(self) -> str:
        return f"<HostKeyChecker {self.name}:{self.port} {self.policy} {self.known.paths}>"

    def known_key_types(self) -> list[str]:
        """Key types recorded for the host (looked up without the port too)."""
        types = self.known.known_key_types(self.name, self.port)
        if not types and self.port not in (None, 0, 22):
            types = self.known.known_key_types(self.name, None)
        return types

    def algorithms(self, supported: Sequence[str]) -> list[str]:
        """Host key algorithms to offer, best first: those of recorded keys
        first (as ``ssh`` does, so that a host whose other key is recorded
        presents that one), then :data:`HOST_KEY_ALGORITHMS`; only those in
        ``supported``.

        :rtype: list(str)
        """
        first: list[str] = []
        for key_type in self.known_key_types():
            first += _RSA_ALGORITHMS if key_type == "ssh-rsa" else [key_type]
        order = dict.fromkeys([*first, *HOST_KEY_ALGORITHMS])
        return [alg for alg in order if alg in supported]

    def check(self, key_blob: bytes) -> None:
        """Verify the host's key under the policy; record a new one under
        ``accept-new``.

        :raises: :py:class:`pssh.exceptions.HostKeyMismatchError`,
          :py:class:`pssh.exceptions.UnknownHostKeyError`,
          :py:class:`pssh.exceptions.RevokedHostKeyError`, or
          :py:class:`pssh.exceptions.HostKeyError` for a key that cannot be
          checked; each naming the host.
        """
        try:
            verify(
                self.known, self.policy, self.name, self.port, None, bytes(key_blob),
                self.write_path, hash_name=self.hash_name,
            )  # fmt: skip
        except HostKeyMismatchError as exc:
            args = list(exc.args)
            if self.config_no and args and isinstance(args[0], str):
                args[0] += _CONFIG_NO_NOTE
            raise type(exc)(*args, host=self.host) from None
        except HostKeyError as exc:
            raise type(exc)(*exc.args, host=self.host) from None
        except ValueError as exc:
            raise HostKeyError(
                "Cannot verify the host key of %s - %s", self.host, exc, host=self.host
            ) from exc
