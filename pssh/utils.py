"""Module containing static utility functions for parallel-ssh.

* :func:`enable_logger` / :func:`enable_host_logger` send the library's log
  records, or the output lines of remote commands, to standard output.
* :func:`load_private_key` turns a private key file (path or file object) into
  a paramiko key for the paramiko based clients.
* :func:`read_openssh_config` looks a host up in the user's OpenSSH client
  configuration.

Key loading reads the key type from the file itself (the PEM header, or the
unencrypted public part of an ``OPENSSH PRIVATE KEY``) and hands the data to
exactly one paramiko key class. Trying every class in turn would also work,
but the errors of the wrong classes ("Invalid key", "unpack requires a
buffer") would then hide the one that matters, such as a missing passphrase.
Only when the type cannot be read is each class tried in turn.
"""

from __future__ import annotations

import io
import logging
import os
import re
import sys
from typing import IO, Any, Union

import paramiko

from ._keys import IN_MEMORY, key_name, looks_like_key_text, openssh_key_header, openssh_key_type
from .exceptions import SSHException

logger = logging.getLogger("pssh")
host_logger = logging.getLogger("pssh.host_logger")

__all__ = [
    "enable_host_logger",
    "enable_logger",
    "host_logger",
    "load_private_key",
    "logger",
    "read_openssh_config",
]

_LOG_FORMAT = "%(asctime)s %(levelname)-8s %(name)s: %(message)s"
_HOST_LOG_FORMAT = "%(message)s"

KeySource = Union[str, os.PathLike, IO[str], IO[bytes]]


class _StdoutHandler(logging.StreamHandler):
    """Stream handler writing to whatever :data:`sys.stdout` is at emit time.

    Looking ``sys.stdout`` up on every record keeps the handler working when
    standard output is replaced after logging was enabled (test capture,
    daemonisation, notebooks).
    """

    def __init__(self, owner: str) -> None:
        super().__init__(sys.stdout)
        self._owner = owner

    def filter(self, record: logging.LogRecord) -> Any:
        # A record from a descendant logger that has its own stdout handler
        # was printed there already (host_logger under pssh, for example).
        lg: logging.Logger | None = logging.getLogger(record.name)
        while lg is not None and lg.name != self._owner:
            if any(isinstance(h, _StdoutHandler) for h in lg.handlers):
                return False
            lg = lg.parent
        return super().filter(record)

    @property
    def stream(self) -> Any:
        return sys.stdout

    @stream.setter
    def stream(self, value: Any) -> None:
        # logging.StreamHandler.__init__ assigns the stream; it is never stored.
        pass


def _enable_stdout_logging(_logger: logging.Logger, level: int, fmt: str) -> None:
    _logger.setLevel(level)
    for handler in _logger.handlers:
        if isinstance(handler, _StdoutHandler):
            handler.setFormatter(logging.Formatter(fmt))
            return
    handler = _StdoutHandler(_logger.name)
    handler.setFormatter(logging.Formatter(fmt))
    _logger.addHandler(handler)


def enable_logger(_logger: logging.Logger, level: int = logging.INFO) -> None:
    """Enables logging to stdout for given logger

    Calling it again for the same logger only updates the level; no second
    handler is added, so lines are never printed twice.

    :param _logger: Logger to enable, for example ``pssh.logger``.
    :type _logger: :py:class:`logging.Logger`
    :param level: Logging level to set on the logger. Defaults to
      ``logging.INFO``.
    :type level: int
    :rtype: None
    """
    _enable_stdout_logging(_logger, level, _LOG_FORMAT)


def enable_host_logger() -> None:
    """Enable host logger for logging stdout from remote commands as it
    becomes available.

    Lines are printed as ``[<host>]\\t<line>``, for example
    ``[localhost]\\tLinux``. Records still propagate to the ``pssh`` logger
    and its parents, but a stdout handler added by :func:`enable_logger` does
    not print them a second time.

    :rtype: None
    """
    _enable_stdout_logging(host_logger, logging.INFO, _HOST_LOG_FORMAT)


# ---------------------------------------------------------------------------
# Private keys

_PEM_BEGIN = re.compile(r"-----BEGIN ([A-Z0-9 ]*?) ?PRIVATE KEY-----")
_PEM_TAG_TYPES = {"RSA": "ssh-rsa", "EC": "ecdsa", "DSA": "ssh-dss"}


def _key_classes() -> dict[str, type[paramiko.PKey]]:
    classes: dict[str, type[paramiko.PKey]] = {
        "ssh-ed25519": paramiko.Ed25519Key,
        "ecdsa": paramiko.ECDSAKey,
        "ssh-rsa": paramiko.RSAKey,
    }
    dss = getattr(paramiko, "DSSKey", None)
    if dss is not None:
        classes["ssh-dss"] = dss
    return classes


def _openssh_key_info(text: str) -> tuple[str, bool] | None:
    """Key type name and encryption flag of an ``OPENSSH PRIVATE KEY`` text."""
    header = openssh_key_header(text)
    if header is None:
        return None
    cipher, public = header
    try:
        return openssh_key_type(public), cipher != b"none"
    except ValueError:
        return None


def _key_info(text: str) -> tuple[str | None, bool]:
    """Key type (``ssh-rsa``, ``ecdsa``, ...) or None, and whether encrypted."""
    match = _PEM_BEGIN.search(text)
    if match is None:
        return None, False
    tag = match.group(1)
    if tag == "OPENSSH":
        info = _openssh_key_info(text)
        if info is None:
            return None, False
        key_type, encrypted = info
        if key_type.startswith("ecdsa-sha2-"):
            key_type = "ecdsa"
        return key_type, encrypted
    encrypted = "ENCRYPTED" in tag or "Proc-Type: 4,ENCRYPTED" in text
    return _PEM_TAG_TYPES.get(tag), encrypted


def _read_key_text(_pkey: Any) -> tuple[str, str]:
    """Text of a key given as a path, file object or its own text, and a name
    for messages (never the key itself: a key given in memory is named by
    its fingerprint)."""
    if isinstance(_pkey, (str, bytes)) and looks_like_key_text(_pkey):
        text = _pkey.decode("utf-8", "replace") if isinstance(_pkey, bytes) else _pkey
        return text, key_name(text)
    if isinstance(_pkey, (str, bytes, os.PathLike)):
        path = os.path.expanduser(os.fsdecode(_pkey))
        try:
            with open(path, "rb") as fh:
                data: str | bytes = fh.read()
        except OSError as err:
            raise SSHException(
                "Could not read private key file %s: %s", path, err.strerror or err
            ) from err
        name = path
    elif hasattr(_pkey, "read"):
        file_name = getattr(_pkey, "name", None)
        name = str(file_name) if isinstance(file_name, (str, bytes)) else IN_MEMORY
        try:
            data = _pkey.read()
        except (OSError, ValueError) as err:
            raise SSHException("Could not read private key file %s: %s", name, err) from err
        if file_name is None:
            name = key_name(data)
    else:
        raise SSHException(
            "Private key must be a file path or a file object, got %s", type(_pkey).__name__
        )
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as err:
            raise SSHException("Private key file %s is not a text key file", name) from err
    return data, name


def _load_as(cls: type[paramiko.PKey], text: str, password: str | None) -> paramiko.PKey:
    return cls.from_private_key(io.StringIO(text), password=password)


def load_private_key(_pkey: KeySource, password: str | None = None) -> paramiko.PKey:
    """Load private key from pkey file object or filename.

    For Paramiko based clients only.

    Ed25519, ECDSA and RSA keys are supported in both the OpenSSH and the PEM
    formats, as are DSA keys when the installed paramiko still supports them.

    :param _pkey: File object or file name containing private key. File objects
      may be opened in text or binary mode; ``~`` in file names is expanded.
    :type _pkey: str or file object (text or binary: ``read``)
    :param password: (Optional) Passphrase of an encrypted private key.
    :type password: str
    :raises: :py:class:`pssh.exceptions.SSHException` naming the file when the
      key cannot be read, is of an unsupported type, needs a passphrase, or
      cannot be decrypted with the one given.
    :rtype: :py:class:`paramiko.pkey.PKey`
    """
    text, name = _read_key_text(_pkey)
    if _PEM_BEGIN.search(text) is None:
        raise SSHException("File %s does not contain a PEM or OpenSSH private key", name)
    key_type, encrypted = _key_info(text)
    classes = _key_classes()
    if key_type is None:
        return _load_any(classes, text, name, password)
    cls = classes.get(key_type)
    if cls is None:
        if key_type == "ssh-dss":
            raise SSHException(
                "Cannot load DSA private key %s: DSA keys are no longer supported by "
                "the installed paramiko",
                name,
            )
        raise SSHException("Unsupported private key type %s in %s", key_type, name)
    try:
        return _load_as(cls, text, password)
    except paramiko.PasswordRequiredException as err:
        raise SSHException(
            "Private key file %s is encrypted and needs a passphrase (password=...)", name
        ) from err
    except Exception as err:
        if encrypted and password is not None:
            raise SSHException(
                "Could not decrypt private key file %s: wrong passphrase or corrupt file (%s)",
                name,
                err,
            ) from err
        raise SSHException("Could not load private key file %s: %s", name, err) from err


def _load_any(
    classes: dict[str, type[paramiko.PKey]], text: str, name: str, password: str | None
) -> paramiko.PKey:
    """Fallback for keys whose type cannot be read: try every class in turn."""
    reasons = []
    for cls in classes.values():
        try:
            return _load_as(cls, text, password)
        except paramiko.PasswordRequiredException as err:
            raise SSHException(
                "Private key file %s is encrypted and needs a passphrase (password=...)", name
            ) from err
        except Exception as err:
            reasons.append(f"{cls.__name__}: {err}")
    raise SSHException(
        "Could not load private key file %s with any key type - %s", name, "; ".join(reasons)
    )


# ---------------------------------------------------------------------------
# OpenSSH client configuration


def read_openssh_config(
    host: str, config_file: str | None = None
) -> tuple[str, str | None, int | None, paramiko.PKey | None] | None:
    """Parses user's OpenSSH config for per hostname configuration for
    hostname, user, port and private key values

    :param host: Hostname to lookup in config
    :type host: str
    :param config_file: (Optional) Path of the configuration file. Defaults to
      ``~/.ssh/config``.
    :type config_file: str
    :returns: ``(hostname, user, port, pkey)`` for the host, or ``None`` when
      the configuration file does not exist. ``hostname`` is the configured
      ``HostName``, or ``host`` itself; ``user`` and ``port`` (an int) are
      ``None`` when not configured. ``pkey`` is the private key of the first
      ``IdentityFile`` that exists and loads (``~`` expanded), loaded with
      :func:`load_private_key` - a :py:class:`paramiko.pkey.PKey`, as in
      1.8.0 - or ``None`` when none does; a configured key that exists but
      cannot be loaded (it needs a passphrase, say) is skipped with a
      warning naming it.
    :raises: :py:class:`pssh.exceptions.SSHException` when the file cannot be
      read or parsed.
    :rtype: tuple or None
    """
    path = os.path.expanduser(config_file or os.path.join("~", ".ssh", "config"))
    if not os.path.isfile(path):
        return None
    ssh_config = paramiko.SSHConfig()
    try:
        with open(path) as fh:
            ssh_config.parse(fh)
        host_config = ssh_config.lookup(host)
        port = int(host_config["port"]) if "port" in host_config else None
    except (OSError, ValueError, paramiko.SSHException) as err:
        raise SSHException("Could not read OpenSSH config file %s: %s", path, err) from err
    pkey = _first_loadable_key(host_config.get("identityfile") or [], host)
    return host_config.get("hostname", host), host_config.get("user"), port, pkey


def _first_loadable_key(identity_files: list[str], host: str) -> paramiko.PKey | None:
    for identity in identity_files:
        key_path = os.path.expanduser(identity)
        if not os.path.isfile(key_path):
            continue
        try:
            return load_private_key(key_path)
        except SSHException as err:
            logger.warning("Skipping IdentityFile %s for host %s: %s", key_path, host, err)
    return None
