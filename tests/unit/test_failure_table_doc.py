"""The failure table: its documentation matches it, and each row builds its class with the
host in ``.host``, ``args[1]`` and the message."""

from __future__ import annotations

import os

import pytest

from pssh import exceptions
from pssh.clients._failures import ROWS, TABLE, Failure, exception_for, rst_table

DOC = os.path.join(os.path.dirname(__file__), "..", "..", "doc", "advanced.rst")


def test_advanced_doc_shows_the_table():
    with open(DOC, encoding="utf-8") as fh:
        text = fh.read()
    assert "Which exception for which failure" in text
    assert rst_table() in text


def test_one_row_per_kind():
    assert [row.kind for row in TABLE] == list(Failure)
    assert set(ROWS) == set(Failure)


def test_documented_classes_only():
    documented = {getattr(exceptions, name) for name in (
        "AuthenticationException", "ConnectionErrorException", "ProxyError", "SFTPError",
        "SFTPIOError", "SSHException", "SessionError", "Timeout", "UnknownHostException",
        "HostKeyMismatchError")}  # fmt: skip
    for row in TABLE:
        if row.kind is Failure.LOCAL_DISK:
            assert row.exception is OSError
        else:
            assert any(issubclass(row.exception, cls) for cls in documented), row


@pytest.mark.parametrize("kind", [k for k in Failure if k is not Failure.LOCAL_DISK])
@pytest.mark.parametrize("port", [None, 2222])
def test_row_builds_its_class_naming_the_host(kind, port):
    values = {"seconds": 3, "proxy_host": "jump", "proxy_port": 22}
    exc = exception_for(kind, "web-1", "cause 100%", port=port, what="doing 50% of it",
                        **values)  # fmt: skip
    assert type(exc) is ROWS[kind].exception
    assert exc.host == "web-1" and exc.args[1] == "web-1"
    text = str(exc)
    assert "web-1" in text and "%s" not in text
    if port is not None:
        assert exc.args[2] == port and "web-1:2222" in text
    if ROWS[kind].cause:
        assert exc.args[-1] == "cause 100%" and text.endswith("cause 100%")


def test_local_disk_is_not_mapped():
    with pytest.raises(ValueError):
        exception_for(Failure.LOCAL_DISK, "web-1", "disk full")


def test_protocol_error_is_both_session_error_and_ssh_exception():
    exc = exception_for(Failure.PROTOCOL, "web-1", "kex failed", port=22, what="connecting")
    assert isinstance(exc, exceptions.SessionError)
    assert isinstance(exc, exceptions.SSHException)
    assert exc.args == ("Error connecting on host %s:%s - %s", "web-1", 22, "kex failed")
