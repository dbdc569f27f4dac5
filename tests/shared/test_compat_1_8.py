"""1.8.0 code against both client families: exceptions as 1.8.0 code reads them, paramiko
key objects as 1.8.0's docs pass them, and no secret in what a failure shows.

The tests are written the way 1.8.0's documentation writes code: ``except IOError``,
``except socket.timeout``, ``ex.args[1]`` for the host and ``ex.args[-2:]`` for the
attempt counts, keys from :func:`pssh.utils.load_private_key`.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess

import gevent
import pytest
from backends import PARALLEL, SINGLE

from pssh.exceptions import (
    AuthenticationException,
    ConnectionErrorException,
    PKeyFileError,
    SFTPIOError,
    SSHException,
    Timeout,
    UnknownHostException,
)
from pssh.utils import load_private_key

pytestmark = pytest.mark.integration

GUARD = 60  # seconds: a hung test fails instead of blocking the run


def refused_port() -> int:
    """A port nothing listens on (bound, then closed, by us)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def blackhole():
    """A port whose connection attempts are never answered: its listen queue
    (backlog 0) is full, so Linux drops every further SYN."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    filler = socket.create_connection(("127.0.0.1", port))
    try:
        yield port
    finally:
        filler.close()
        listener.close()


def keygen(path) -> str:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)],
        check=True,
        stdin=subprocess.DEVNULL,
    )
    return str(path)


def fingerprint(path: str) -> str:
    out = subprocess.run(
        ["ssh-keygen", "-l", "-f", path], check=True, capture_output=True, text=True
    ).stdout
    return out.split()[1]


# -- 13.3 exception args ---------------------------------------------------------------------


def test_connection_refused_args_and_retry_counts(family):
    port = refused_port()
    try:
        SINGLE[family]("127.0.0.1", port=port, num_retries=2, retry_delay=0, timeout=5)
    except ConnectionErrorException as ex:
        assert ex.args[1] == "127.0.0.1"
        assert ex.args[2] == port
        assert isinstance(ex.args[3], str) and ex.args[3]
        assert ex.args[-2:] == (2, 2)
        assert len(ex.args) == 6
        assert ex.host == "127.0.0.1"
        assert str(ex).startswith("Error connecting to host 127.0.0.1:%s - " % port)
        assert str(ex).endswith(" - retry 2/2")
    else:
        pytest.fail("no ConnectionErrorException")


def test_parallel_output_exception_has_1_8_args(family):
    port = refused_port()
    client = PARALLEL[family](["127.0.0.1"], port=port, num_retries=1, retry_delay=0, timeout=5)
    output = client.run_command("true", stop_on_errors=False)
    ex = output["127.0.0.1"].exception
    assert isinstance(ex, ConnectionErrorException)
    assert (ex.args[1], ex.args[2]) == ("127.0.0.1", port)
    assert ex.args[-2:] == (1, 1)


def test_unknown_host_args(family):
    try:
        SINGLE[family]("nosuchhost.invalid", num_retries=2, retry_delay=0, timeout=5)
    except UnknownHostException as ex:
        assert ex.args[1] == "nosuchhost.invalid"
        assert isinstance(ex.args[2], str) and ex.args[2]
        assert ex.args[-2:] == (2, 2)
        assert len(ex.args) == 5  # no port, as in 1.8.0
        assert ex.host == "nosuchhost.invalid"
        assert "nosuchhost.invalid" in str(ex)
    else:
        pytest.fail("no UnknownHostException")


def test_num_retries_zero_is_one_attempt(family, sshd):
    try:
        SINGLE[family]("127.0.0.1", port=refused_port(), num_retries=0, retry_delay=0, timeout=5)
    except ConnectionErrorException as ex:
        assert ex.args[-2:] == (1, 1)
    else:
        pytest.fail("no ConnectionErrorException")
    client = SINGLE[family](sshd.host, port=sshd.port, user=sshd.user, pkey=sshd.pkey,
                            num_retries=0)  # fmt: skip
    client.disconnect()


def test_wrong_password_args_and_not_retried(family, sshd):
    # a retry would sleep retry_delay (300 s) first: the guard (30 s) would expire
    with gevent.Timeout(30, AssertionError("failed authentication was retried")):
        try:
            SINGLE[family](sshd.host, port=sshd.port, user=sshd.user, password="wrong-Pa55",
                           num_retries=3, retry_delay=300, timeout=10)  # fmt: skip
        except AuthenticationException as ex:
            assert ex.args[1] == sshd.host
            assert ex.args[2] == sshd.port
            assert isinstance(ex.args[3], str) and ex.args[3]
            assert len(ex.args) == 4
            assert ex.host == sshd.host
            assert sshd.host in str(ex)
        else:
            pytest.fail("no AuthenticationException")


def test_parallel_wrong_password_not_retried(family, sshd):
    client = PARALLEL[family](list(sshd.hosts[:2]), port=sshd.port, user=sshd.user,
                              password="wrong-Pa55", num_retries=3, retry_delay=300,
                              timeout=10)  # fmt: skip
    with gevent.Timeout(30, AssertionError("failed authentication was retried")):
        output = client.run_command("true", stop_on_errors=False)
    for host in sshd.hosts[:2]:
        ex = output[host].exception
        assert isinstance(ex, AuthenticationException)
        assert ex.args[1] == host


def test_connect_timeout_is_socket_timeout(family, blackhole):
    with gevent.Timeout(GUARD):
        try:
            SINGLE[family]("127.0.0.1", port=blackhole, num_retries=1, timeout=1)
        except socket.timeout as ex:  # 1.8.0 code catches the standard timeout
            assert isinstance(ex, Timeout)
            assert ex.args[1] == "127.0.0.1"
            assert ex.args[2] == blackhole
            assert isinstance(ex.args[3], str)
            assert len(ex.args) == 4
            assert str(ex).startswith("Timed out connecting to host 127.0.0.1:%s" % blackhole)
        else:
            pytest.fail("no timeout")


def test_sftp_io_error_is_ioerror(family, sshd, tmp_path):
    client = SINGLE[family](sshd.host, port=sshd.port, user=sshd.user, pkey=sshd.pkey,
                            num_retries=1)  # fmt: skip
    try:
        client.copy_remote_file("/nonexistent-dir/file", str(tmp_path / "file"))
    except IOError as ex:  # noqa: UP024 (1.8.0's docs say copy functions raise IOError)
        assert isinstance(ex, SFTPIOError)
        assert ex.host == sshd.host
        assert ex.args[0] and isinstance(ex.args[0], str)
        assert "nonexistent-dir" in str(ex)
        assert not str(ex).startswith("[Errno")
    else:
        pytest.fail("no IOError")
    finally:
        client.disconnect()


# -- 13.7 proxies ------------------------------------------------------------------------------


def test_proxy_timeout_is_timeout(family, sshd, blackhole):
    client = PARALLEL[family]([sshd.host], port=sshd.port, user=sshd.user, pkey=sshd.pkey,
                              proxy_host="127.0.0.1", proxy_port=blackhole, num_retries=1,
                              timeout=1)  # fmt: skip
    with gevent.Timeout(GUARD):
        output = client.run_command("true", stop_on_errors=False)
    ex = output[sshd.host].exception
    assert isinstance(ex, Timeout)
    assert isinstance(ex, socket.timeout)
    assert ex.args[1] == sshd.host
    assert ex.host == sshd.host
    assert "127.0.0.1:%s" % blackhole in str(ex)  # says which proxy did not answer


@pytest.mark.parametrize("jump", [True, False], ids=["proxy-jump", "direct"])
def test_failed_alias_keeps_its_name(family, sshd, sshd_factory, tmp_path, jump):
    hop = sshd_factory(1, first="127.0.0.60").config()
    proxy_jump = f"ProxyJump {hop.user}@{hop.host}:{hop.port}" if jump else ""
    config = tmp_path / "config"
    config.write_text(f"""
Host web-alias
    HostName 127.0.0.1
    {proxy_jump}
Host *
    User {sshd.user}
    IdentityFile {sshd.pkey}
""")  # fmt: skip
    client = PARALLEL[family](["web-alias", sshd.host], port=sshd.port, ssh_config=str(config),
                              known_hosts=str(tmp_path / "known_hosts"), num_retries=1,
                              retry_delay=0)  # fmt: skip
    with gevent.Timeout(GUARD):
        output = client.run_command("whoami", stop_on_errors=False)
        client.join(output)
    assert sorted(output) == sorted(["web-alias", sshd.host])  # not under its HostName
    assert output["web-alias"].exception is not None
    assert output["web-alias"].exception.host == "web-alias"
    assert list(output[sshd.host].stdout) == [sshd.user]


# -- 13.9 paramiko key objects -------------------------------------------------------------


def test_paramiko_key_object_as_pkey(family, sshd):
    pkey = load_private_key(sshd.pkey)
    client = SINGLE[family](sshd.host, port=sshd.port, user=sshd.user, pkey=pkey,
                            allow_agent=False, num_retries=1)  # fmt: skip
    _channel, _host, stdout, _stderr, _stdin = client.run_command("whoami")
    assert list(stdout) == [sshd.user]
    client.disconnect()


@pytest.mark.parametrize("key", ["pkey", "rsa_pkey", "ecdsa_pkey"])
def test_parallel_paramiko_key_objects_and_host_config(family, sshd, key):
    pkey = load_private_key(getattr(sshd, key))
    client = PARALLEL[family](list(sshd.hosts[:2]), port=sshd.port, user=sshd.user, pkey=pkey,
                              allow_agent=False, num_retries=1,
                              host_config={sshd.hosts[1]: {"private_key": pkey}})  # fmt: skip
    output = client.run_command("whoami")
    client.join(output)
    assert {host: list(out.stdout) for host, out in output.items()} == {
        host: [sshd.user] for host in sshd.hosts[:2]
    }


def test_paramiko_key_object_as_proxy_pkey(family, sshd, proxy_sshd):
    pkey = load_private_key(sshd.pkey)
    client = PARALLEL[family]([sshd.host], port=sshd.port, user=sshd.user, pkey=pkey,
                              proxy_host=proxy_sshd.host, proxy_port=proxy_sshd.port,
                              proxy_user=proxy_sshd.user,
                              proxy_pkey=load_private_key(proxy_sshd.pkey),
                              allow_agent=False, num_retries=1)  # fmt: skip
    with gevent.Timeout(GUARD):
        output = client.run_command("whoami")
        client.join(output)
    assert list(output[sshd.host].stdout) == [sshd.user]


# -- 12.5 no secret in messages, reprs and logs ----------------------------------------------


@pytest.fixture
def debug_logs(caplog):
    caplog.set_level(logging.DEBUG)
    return caplog


def assert_hidden(secret: str, exc: BaseException, client_repr: str, logs: str) -> None:
    for part in [line for line in secret.splitlines() if len(line) > 8] or [secret]:
        assert part not in str(exc)
        assert part not in repr(exc)
        assert all(part not in str(arg) for arg in exc.args)
        assert part not in client_repr
        assert part not in logs


def test_wrong_password_never_shown(family, sshd, debug_logs):
    password = "Secret-Pa55word-1234"
    client = PARALLEL[family]([sshd.host], port=sshd.port, user=sshd.user, password=password,
                              num_retries=1, retry_delay=0)  # fmt: skip
    output = client.run_command("true", stop_on_errors=False)
    exc = output[sshd.host].exception
    assert isinstance(exc, AuthenticationException)
    assert_hidden(password, exc, repr(client) + repr(output[sshd.host]), debug_logs.text)


def test_unauthorised_key_text_named_by_fingerprint(family, sshd, tmp_path, debug_logs):
    path = keygen(tmp_path / "stranger")
    with open(path) as fh:
        text = fh.read()
    try:
        client = SINGLE[family](sshd.host, port=sshd.port, user=sshd.user,
                                pkey=text if family == "native" else text.encode(),
                                allow_agent=False, num_retries=1)  # fmt: skip
    except AuthenticationException as exc:
        if family == "native":  # the native client names each key it tried
            assert fingerprint(path) in str(exc)
        assert_hidden(text, exc, "", debug_logs.text)
    else:
        client.disconnect()
        pytest.fail("a key the server does not know was accepted")


@pytest.mark.parametrize(
    "text",
    [
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA-GARBLED-SECRET-MATERIAL\n"
        "-----END OPENSSH PRIVATE KEY-----\n",
        "not-a-path-SECRET-MATERIAL\nsecond-line-SECRET-MATERIAL",
    ],
    ids=["bad-key-text", "missing-file-given-as-text"],
)
def test_bad_key_text_never_shown(family, sshd, text, debug_logs):
    with pytest.raises((PKeyFileError, SSHException, AuthenticationException)) as info:
        SINGLE[family](sshd.host, port=sshd.port, user=sshd.user, pkey=text,
                       allow_agent=False, num_retries=1)  # fmt: skip
    assert "SECRET-MATERIAL" not in str(info.value)
    assert "SECRET-MATERIAL" not in repr(info.value)
    assert "SECRET-MATERIAL" not in debug_logs.text
    assert "in memory" in str(info.value)


def test_key_file_path_still_named(family, sshd, tmp_path):
    missing = str(tmp_path / "no-such-key")
    with pytest.raises(PKeyFileError) as info:
        SINGLE[family](sshd.host, port=sshd.port, user=sshd.user, pkey=missing, num_retries=1)
    assert missing in str(info.value)
    assert not os.path.exists(missing)


def test_unknown_hostname_of_alias_names_the_alias(family, tmp_path):
    config = tmp_path / "config"
    config.write_text("Host db-alias\n    HostName nosuchhost.invalid\n")
    client = PARALLEL[family](["db-alias"], ssh_config=str(config), num_retries=1, timeout=5)
    output = client.run_command("true", stop_on_errors=False)
    ex = output["db-alias"].exception
    assert isinstance(ex, UnknownHostException)
    assert ex.args[1] == "db-alias" and ex.host == "db-alias"
    assert "HostName nosuchhost.invalid" in str(ex)


def test_failed_proxy_login_not_retried(family, sshd, proxy_sshd):
    # no key anywhere: the proxy's only way in is the (wrong) proxy_password
    client = PARALLEL[family]([sshd.host], port=sshd.port, user=sshd.user,
                              password=sshd.password, proxy_host=proxy_sshd.host,
                              proxy_port=proxy_sshd.port, proxy_user=proxy_sshd.user,
                              proxy_password="wrong-Pa55",
                              allow_agent=False, num_retries=3, retry_delay=300)  # fmt: skip
    # a retry would sleep retry_delay (300 s) first: the guard (30 s) would expire
    with gevent.Timeout(30, AssertionError("failed proxy authentication was retried")):
        output = client.run_command("true", stop_on_errors=False)
    ex = output[sshd.host].exception
    assert ex is not None and ex.host == sshd.host
    assert "wrong-Pa55" not in str(ex)
