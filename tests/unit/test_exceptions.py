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
ALL = DOCUMENTED + HOST_KEY


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
