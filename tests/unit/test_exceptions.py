"""Unit tests for pssh.exceptions."""

from __future__ import annotations

import pytest

import pssh
from pssh import exceptions

DOCUMENTED = [
    "AuthenticationException",
    "ConnectionErrorException",
    "HostArgumentException",
    "PKeyFileError",
    "ProxyError",
    "SCPError",
    "SFTPError",
    "SFTPIOError",
    "SSHException",
    "SessionError",
    "Timeout",
    "UnknownHostException",
]
HOST_KEY = ["HostKeyError", "UnknownHostKeyError", "HostKeyMismatchError", "RevokedHostKeyError"]
ALL = DOCUMENTED + HOST_KEY + ["SSHProtocolError"]


@pytest.mark.parametrize("name", ALL)
def test_exists_and_subclasses_base(name):
    cls = getattr(exceptions, name)
    assert issubclass(cls, exceptions.PSSHError)
    assert issubclass(cls, Exception)


def test_base_is_exception():
    assert issubclass(exceptions.PSSHError, Exception)


def test_connection_error_alias():
    assert exceptions.ConnectionError is exceptions.ConnectionErrorException


@pytest.mark.parametrize(
    "name",
    ["AuthenticationException", "ConnectionErrorException", "SSHException", "UnknownHostException"],
)
def test_reexported_from_package(name):
    assert getattr(pssh, name) is getattr(exceptions, name)


@pytest.mark.parametrize("name", ALL)
def test_host_keyword(name):
    cls = getattr(exceptions, name)
    err = cls("Error on host %s", "h1", host="h1")
    assert err.host == "h1"
    assert err.args == ("Error on host %s", "h1")


@pytest.mark.parametrize("name", ALL)
def test_host_defaults_to_none(name):
    assert getattr(exceptions, name)("message").host is None


def test_str_formats_percent_args():
    err = exceptions.ConnectionErrorException(
        "Error connecting to host '%s:%s' - %s - retry %s/%s", "host1", 22, "refused", 3, 3
    )
    assert str(err) == "Error connecting to host 'host1:22' - refused - retry 3/3"


def test_str_single_argument():
    assert str(exceptions.Timeout("timed out")) == "timed out"


def test_str_with_non_matching_args_does_not_raise():
    err = exceptions.SSHException("no placeholders", "extra")
    text = str(err)
    assert "no placeholders" in text
    assert "extra" in text


def test_str_empty():
    assert str(exceptions.SessionError()) == ""


def test_sftpioerror_is_sftperror():
    assert issubclass(exceptions.SFTPIOError, exceptions.SFTPError)
    with pytest.raises(exceptions.SFTPError):
        raise exceptions.SFTPIOError("io error", host="h")


@pytest.mark.parametrize("name", HOST_KEY)
def test_host_key_errors_are_session_errors(name):
    cls = getattr(exceptions, name)
    assert issubclass(cls, exceptions.SessionError)
    assert issubclass(cls, exceptions.HostKeyError)


def test_raise_and_catch_with_host():
    with pytest.raises(exceptions.AuthenticationException) as err:
        raise exceptions.AuthenticationException("auth failed for %s", "user", host="h2")
    assert err.value.host == "h2"
    assert str(err.value) == "auth failed for user"


# -- 1.8.0 shapes: OSError/TimeoutError subclasses with args intact ------------------------


def test_sftpioerror_is_ioerror_with_args_intact():
    err = exceptions.SFTPIOError("Error reading %s on host %s - %s", "/f", "h", "denied", host="h")
    assert isinstance(err, IOError)
    assert isinstance(err, OSError)
    # OSError would keep only (errno, strerror) of two to five arguments
    assert err.args == ("Error reading %s on host %s - %s", "/f", "h", "denied")
    assert str(err) == "Error reading /f on host h - denied"
    assert err.errno is None
    assert err.host == "h"
    try:
        raise err
    except IOError as caught:  # noqa: UP024 (how 1.8.0 code catches it)
        assert caught is err


def test_timeout_is_socket_timeout_with_args_intact():
    import socket

    err = exceptions.Timeout("Timed out connecting to host %s:%s - %s", "h", 22, "no answer")
    assert isinstance(err, socket.timeout)
    assert isinstance(err, TimeoutError)
    assert err.args == ("Timed out connecting to host %s:%s - %s", "h", 22, "no answer")
    assert str(err) == "Timed out connecting to host h:22 - no answer"
    assert repr(err).startswith("Timeout(")
    assert str(exceptions.Timeout()) == ""
    assert str(exceptions.Timeout("timed out")) == "timed out"


@pytest.mark.parametrize("name", ALL)
def test_pickle_keeps_args_and_host(name):
    import pickle

    err = getattr(exceptions, name)("Error on host %s:%s - %s", "h", 22, "cause", host="h")
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is type(err)
    assert copy.args == err.args
    assert copy.host == "h"
    assert str(copy) == "Error on host h:22 - cause"


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("ConnectionErrorException", ("Error connecting to host %s:%s - %s", "h", 22, "refused")),
        ("UnknownHostException", ("Unknown host %s - %s", "h", "not known")),
    ],
)
def test_retry_counts_appended_once(name, args):
    err = getattr(exceptions, name)(*args, host="h")
    err.add_retries(3, 3)
    err.add_retries(1, 5)  # an outer client adds nothing: the first count stays
    assert err.args == (args[0] + " - retry %s/%s", *args[1:], 3, 3)
    assert err.args[1] == "h"
    assert err.args[-2:] == (3, 3)
    assert str(err).endswith(" - retry 3/3")
    assert (err.retry, err.num_retries) == (3, 3)


def test_retry_policy_appends_counts_to_connection_errors():
    from pssh._retry import RetryPolicy

    def refuse():
        raise exceptions.ConnectionErrorException(
            "Error connecting to host %s:%s - %s", "h", 22, "refused", host="h"
        )

    with pytest.raises(exceptions.ConnectionErrorException) as info:
        RetryPolicy(2, 0).call(refuse, retry_on=(exceptions.ConnectionErrorException,))
    assert info.value.args[-2:] == (2, 2)
    assert len(info.value.args) == 6


def test_retry_policy_gives_up_at_once_with_counts():
    from pssh._retry import RetryPolicy

    calls = []

    def fail():
        calls.append(1)
        raise exceptions.UnknownHostException("Unknown host %s - %s", "h", "x", host="h")

    with pytest.raises(exceptions.UnknownHostException) as info:
        RetryPolicy(3, 0).call(
            fail, retry_on=(Exception,), give_up_on=(exceptions.UnknownHostException,)
        )
    assert calls == [1]
    assert info.value.args[-2:] == (1, 3)


# -- the native client's classification (pssh.clients.native._errors) ------------------------


def _native():
    from ssh2 import exceptions as ssh2_exc

    from pssh.clients.native import _errors

    return ssh2_exc, _errors


def test_native_classify_kinds():
    import socket

    from pssh.clients._failures import Failure

    ssh2_exc, errors = _native()
    assert errors.classify(ssh2_exc.SocketDisconnectError()) is Failure.CONNECTION_LOST
    assert errors.classify(ssh2_exc.AuthenticationError(), auth=True) is Failure.AUTH
    assert errors.classify(ssh2_exc.AuthenticationError()) is Failure.PROTOCOL
    assert errors.classify(ssh2_exc.SFTPProtocolError()) is Failure.REMOTE_IO
    assert errors.classify(ssh2_exc.KexFailureError()) is Failure.PROTOCOL
    assert errors.classify(socket.timeout()) is Failure.CONNECT_TIMEOUT
    assert errors.classify(OSError(28, "No space left on device"), sftp=True) is None
    assert errors.classify(ConnectionResetError(104, "reset")) is Failure.CONNECTION_LOST


def test_native_map_errors_uses_the_table():
    ssh2_exc, errors = _native()
    handshake = errors.map_errors("web-1", "performing SSH handshake", port=22)
    with pytest.raises(exceptions.SSHProtocolError) as info, handshake:
        raise ssh2_exc.KexFailureError()
    assert isinstance(info.value, exceptions.SessionError)  # as 1.8.0's native client
    assert isinstance(info.value, exceptions.SSHException)  # as 1.8.0's paramiko client
    assert info.value.args[1:3] == ("web-1", 22) and info.value.host == "web-1"
    assert isinstance(info.value.__cause__, ssh2_exc.KexFailureError)
    with pytest.raises(exceptions.Timeout) as timed, errors.map_errors("web-1", "reading output"):
        raise TimeoutError()
    assert timed.value.args[1] == "web-1"
    copying = errors.map_errors("web-1", "copying", sftp=True)
    with pytest.raises(PermissionError), copying:  # a local file's error passes as it is
        raise PermissionError(13, "Permission denied")
