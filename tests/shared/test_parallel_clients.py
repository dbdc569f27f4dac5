"""Behaviour both parallel clients share, written once and run for each.

Every test takes ``make_client``, which is parametrized over the native
(libssh2) and the paramiko (miko) ``ParallelSSHClient``. Options are passed
the way both take them: key file paths for ``pkey``/``private_key``, and
``use_pty`` given explicitly where output depends on it (the two clients
default differently).

Importing the miko client monkey patches this whole pytest process; the
native client must, and does, work in a patched process too.
"""

from __future__ import annotations

import functools
import logging
import os
import socket

import gevent
import pytest

from pssh.exceptions import (
    AuthenticationException,
    ConnectionErrorException,
    HostArgumentException,
    ProxyError,
    SFTPError,
    UnknownHostException,
)
from pssh.output import HostOutput

pytestmark = pytest.mark.integration


@pytest.fixture
def client_cls(backend):
    return backend.ParallelSSHClient


@pytest.fixture
def make_client(client_factory, client_cls, sshd):
    return functools.partial(client_factory, client_cls, pkey=sshd.pkey)


def refused_port() -> int:
    """A port nothing listens on (bound, then closed, by us)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- running commands -------------------------------------------------------


def test_stdout_stderr_exit_codes(make_client, sshd):
    client = make_client()
    output = client.run_command("echo out; echo err >&2; exit 3", use_pty=False)
    assert list(output) == list(sshd.hosts)
    for host, host_out in output.items():
        assert isinstance(host_out, HostOutput)
        assert host_out.host == host
        assert host_out.exception is None
        assert list(host_out.stdout) == ["out"]
        assert list(host_out.stderr) == ["err"]
    client.join(output)
    assert {out.exit_code for out in output.values()} == {3}


def test_output_kept_after_join_and_consumed_with_consume_output(make_client):
    client = make_client()
    output = client.run_command("seq 1 2000", use_pty=False)
    client.join(output)
    for host_out in output.values():
        assert host_out.exit_code == 0
        assert list(host_out.stdout) == [str(i) for i in range(1, 2001)]
    output = client.run_command("seq 1 10; exit 1", use_pty=False)
    client.join(output, consume_output=True)
    for host_out in output.values():
        assert host_out.exit_code == 1
        assert list(host_out.stdout) == []


def test_large_output_without_reading_does_not_stall_join(make_client, sshd):
    """More output than the SSH window holds, joined before anything is read."""
    client = make_client(hosts=[sshd.host])
    output = client.run_command(
        "head -c 8000000 /dev/zero | tr '\\0' 'x' | fold -w 1000", use_pty=False
    )
    client.join(output)
    host_out = output[sshd.host]
    assert host_out.exit_code == 0
    lines = list(host_out.stdout)
    assert len(lines) == 8000 and set(lines) == {"x" * 1000}


def test_exit_codes_finished_and_get_last_output(make_client, sshd):
    client = make_client()
    output = client.run_command("exit 7", use_pty=False)
    client.join(output)
    assert client.finished(output)
    client.get_exit_codes(output)
    assert {client.get_exit_code(out) for out in output.values()} == {7}
    last = client.get_last_output()
    assert list(last) == list(sshd.hosts)
    assert len(client.cmds) == len(sshd.hosts)


def test_pty_merges_stderr_into_stdout(make_client, sshd):
    client = make_client(hosts=[sshd.host])
    output = client.run_command("echo to-err >&2", use_pty=True)
    client.join(output)
    assert list(output[sshd.host].stdout) == ["to-err"]
    assert list(output[sshd.host].stderr) == []


def test_shell_override(make_client, sshd):
    client = make_client(hosts=[sshd.host])
    output = client.run_command("echo $0", shell="bash -c", use_pty=False)
    assert list(output[sshd.host].stdout) == ["bash"]


def test_stdin(make_client):
    client = make_client()
    output = client.run_command("read line; echo got-$line", use_pty=False)
    for host_out in output.values():
        host_out.stdin.write("hello\n")
        host_out.stdin.flush()
    client.join(output)
    assert {tuple(out.stdout) for out in output.values()} == {("got-hello",)}


def test_sudo_and_sudo_user(make_client, sshd):
    client = make_client(hosts=[sshd.host])
    output = client.run_command("whoami", sudo=True, use_pty=False)
    client.join(output)
    assert list(output[sshd.host].stdout) == ["root"]
    output = client.run_command("whoami", user="nobody", use_pty=False)
    client.join(output)
    assert list(output[sshd.host].stdout) == ["nobody"]


def test_encoding(make_client, sshd):
    client = make_client(hosts=[sshd.host])
    # "hé" and "wörld" as UTF-16-LE, one line each
    cmd = "printf 'h\\000\\351\\000\\n\\000w\\000\\366\\000r\\000l\\000d\\000\\n\\000'"
    output = client.run_command(cmd, encoding="utf-16-le", use_pty=False)
    assert list(output[sshd.host].stdout) == ["hé", "wörld"]
    with pytest.raises(LookupError):
        client.run_command("true", encoding="no-such-codec")


def test_duplicate_hosts_keep_both_outputs(make_client, sshd):
    client = make_client(hosts=[sshd.host, sshd.host])
    output = client.run_command("echo $SSH_CONNECTION", use_pty=False)
    assert len(output) == 2
    assert sshd.host in output
    assert all(out.host == sshd.host for out in output.values())
    client.join(output)
    assert all(out.exit_code == 0 for out in output.values())


def test_hosts_string_is_type_error(client_cls, sshd):
    with pytest.raises(TypeError):
        client_cls(sshd.host, port=sshd.port)


# -- per-host arguments and configuration ------------------------------------


def test_host_args(make_client, sshd):
    client = make_client()
    output = client.run_command("echo %s", host_args=[f"arg-{i}" for i in range(4)], use_pty=False)
    assert [list(out.stdout) for out in output.values()] == [[f"arg-{i}"] for i in range(4)]
    output = client.run_command(
        "echo %s %s", host_args=[(i, i * 2) for i in range(4)], use_pty=False
    )
    assert [list(out.stdout) for out in output.values()] == [[f"{i} {i * 2}"] for i in range(4)]
    output = client.run_command(
        "echo %(cmd)s", host_args=[{"cmd": f"host-index-{i}"} for i in range(4)], use_pty=False
    )
    assert [list(out.stdout) for out in output.values()] == [[f"host-index-{i}"] for i in range(4)]


def test_host_args_errors(make_client):
    client = make_client()
    with pytest.raises(HostArgumentException):
        client.run_command("echo %s", host_args=["only-one"])
    with pytest.raises(TypeError):
        client.run_command("echo %s %s", host_args=[("a",)] * 4)
    with pytest.raises(KeyError):
        client.run_command("echo %(cmd)s", host_args=[{"other": 1}] * 4)


def test_host_config_port_user_key(client_cls, sshd):
    """Per-host port, user and key override defaults that would fail."""
    first, second = sshd.hosts[:2]
    host_config = {
        first: {"port": sshd.port, "user": sshd.user, "private_key": sshd.pkey},
        second: {"port": sshd.port, "user": sshd.user, "private_key": sshd.rsa_pkey},
    }
    client = client_cls(
        [first, second], port=refused_port(), user="nobody-here", allow_agent=False,
        host_config=host_config, num_retries=1,
    )  # fmt: skip
    output = client.run_command("whoami", use_pty=False)
    client.join(output)
    assert {h: list(o.stdout) for h, o in output.items()} == {
        first: [sshd.user],
        second: [sshd.user],
    }


def test_host_config_password(make_client, sshd):
    if sshd.password is None:
        pytest.fail("the embedded server has no password login (tests must run as root)")
    client = make_client(
        hosts=[sshd.host], pkey=None, allow_agent=False,
        host_config={sshd.host: {"password": sshd.password}},
    )  # fmt: skip
    output = client.run_command("whoami", use_pty=False)
    assert list(output[sshd.host].stdout) == [sshd.user]


# -- errors -----------------------------------------------------------------


def test_refused_port_raises_with_host(make_client, sshd):
    client = make_client(port=refused_port(), retry_delay=0)
    with pytest.raises(ConnectionErrorException) as info:
        client.run_command("true")
    assert info.value.host in sshd.hosts


def test_unresolvable_name_raises_with_host(make_client):
    client = make_client(hosts=["no-such-host.invalid"])
    with pytest.raises(UnknownHostException) as info:
        client.run_command("true")
    assert info.value.host == "no-such-host.invalid"


def test_authentication_failure_raises_with_host(make_client, sshd):
    client = make_client(
        hosts=[sshd.host], pkey=None, password="wrong password", allow_agent=False, retry_delay=0
    )
    with pytest.raises(AuthenticationException) as info:
        client.run_command("true")
    assert info.value.host == sshd.host


def test_stop_on_errors_false_keeps_every_host(make_client, sshd):
    bad_name = "no-such-host.invalid"
    client = make_client(
        hosts=[sshd.host, bad_name], retry_delay=0,
        host_config={sshd.hosts[1]: {"port": refused_port()}},
    )  # fmt: skip
    client.hosts = [sshd.host, bad_name, sshd.hosts[1]]
    output = client.run_command("echo ok", stop_on_errors=False, use_pty=False)
    client.join(output)
    assert list(output) == [sshd.host, bad_name, sshd.hosts[1]]
    good = output[sshd.host]
    assert good.exception is None and good.exit_code == 0 and list(good.stdout) == ["ok"]
    unknown = output[bad_name]
    assert isinstance(unknown.exception, UnknownHostException)
    assert unknown.exception.host == bad_name and unknown.exit_code is None
    refused = output[sshd.hosts[1]]
    assert isinstance(refused.exception, ConnectionErrorException)
    assert refused.exception.host == sshd.hosts[1] and refused.exit_code is None


# -- copying files ------------------------------------------------------------


def test_copy_file_and_copy_remote_file(make_client, sshd, tmp_path, remote_dir):
    client = make_client()
    local = tmp_path / "upload.txt"
    local.write_bytes(b"line 1\nline 2\n" * 1000)
    local.chmod(0o640)
    remote = os.path.join(remote_dir, "%(host)s", "sub", "upload.txt")
    copy_args = [{"host": host} for host in sshd.hosts]
    gevent.joinall(client.copy_file(str(local), remote, copy_args=copy_args), raise_error=True)
    for host in sshd.hosts:
        with open(remote % {"host": host}, "rb") as fh:
            assert fh.read() == local.read_bytes()
        assert os.stat(remote % {"host": host}).st_mode & 0o777 == 0o640

    remote_file = os.path.join(remote_dir, sshd.host, "sub", "upload.txt")
    gevent.joinall(
        client.copy_remote_file(remote_file, str(tmp_path / "down.txt")), raise_error=True
    )
    for host in sshd.hosts:
        assert (tmp_path / f"down.txt_{host}").read_bytes() == local.read_bytes()
        assert (tmp_path / f"down.txt_{host}").stat().st_mode & 0o777 == 0o640


def test_copy_directories_recursively(make_client, sshd, tmp_path, remote_dir):
    client = make_client(hosts=[sshd.host])
    tree = tmp_path / "tree"
    (tree / "a" / "b").mkdir(parents=True)
    (tree / "top.txt").write_text("top")
    (tree / "a" / "b" / "deep.txt").write_text("deep")
    with pytest.raises(ValueError):
        gevent.joinall(client.copy_file(str(tree), remote_dir + "/tree"), raise_error=True)
    gevent.joinall(
        client.copy_file(str(tree), remote_dir + "/tree", recurse=True), raise_error=True
    )
    with open(os.path.join(remote_dir, "tree", "a", "b", "deep.txt")) as fh:
        assert fh.read() == "deep"
    gevent.joinall(
        client.copy_remote_file(remote_dir + "/tree", str(tmp_path / "back"), recurse=True),
        raise_error=True,
    )
    back = tmp_path / f"back_{sshd.host}"
    assert (back / "top.txt").read_text() == "top"
    assert (back / "a" / "b" / "deep.txt").read_text() == "deep"


def test_copy_remote_missing_file_is_sftp_error_with_host(make_client, sshd, tmp_path, remote_dir):
    client = make_client(hosts=[sshd.host])
    (greenlet,) = client.copy_remote_file(remote_dir + "/missing", str(tmp_path / "x"))
    with pytest.raises(SFTPError) as info:
        greenlet.get()
    assert info.value.host == sshd.host
    assert not any(name.startswith("x") for name in os.listdir(tmp_path))


def test_copy_args_count_checked(make_client, tmp_path):
    client = make_client()
    with pytest.raises(HostArgumentException):
        client.copy_file(str(tmp_path), "x", copy_args=[{}])


# -- proxy ------------------------------------------------------------------


def proxy_logins(proxy_sshd) -> int:
    with open(proxy_sshd.log_path) as fh:
        return fh.read().count(f"Accepted publickey for {proxy_sshd.user}")


def test_proxy_through_bastion(make_client, sshd, proxy_sshd):
    logins = proxy_logins(proxy_sshd)
    client = make_client(
        proxy_host=proxy_sshd.host, proxy_port=proxy_sshd.port, proxy_user=proxy_sshd.user,
        proxy_pkey=proxy_sshd.pkey,
    )  # fmt: skip
    output = client.run_command("echo $SSH_CONNECTION", use_pty=False)
    client.join(output)
    assert list(output) == list(sshd.hosts)
    for host, host_out in output.items():
        assert host_out.exit_code == 0
        # SSH_CONNECTION: client address, client port, server address, server port
        assert list(host_out.stdout)[0].split()[2:] == [host, str(sshd.port)]
    assert proxy_logins(proxy_sshd) > logins


def test_proxy_refused_is_proxy_error_with_host(make_client, sshd):
    client = make_client(
        hosts=[sshd.host], proxy_host="127.0.0.1", proxy_port=refused_port(), retry_delay=0
    )
    with pytest.raises(ProxyError) as info:
        client.run_command("true")
    assert info.value.host == sshd.host


# -- the same for both clients ------------------------------------------------


def test_get_exit_code_and_codes_and_finished(make_client):
    client = make_client()
    output = client.run_command("sleep 0.5; exit 2")
    assert not client.finished(output)
    assert client.get_exit_code(next(iter(output.values()))) is None
    client.join(output)
    assert client.finished(output)
    for out in output.values():
        out.exit_code = None
    client.get_exit_codes(output)
    assert [out.exit_code for out in output.values()] == [2] * 4
    assert all(client.get_exit_code(out) == 2 for out in output.values())


def test_dict_style_access(make_client):
    client = make_client()
    output = client.run_command("echo dict")
    client.join(output)
    host = client.hosts[0]
    assert list(output[host]["stdout"]) == ["dict"]
    assert output[host]["exit_code"] == 0


def test_hosts_any_iterable_and_reassignment(make_client, sshd):
    client = make_client(hosts=(h for h in sshd.hosts if h != sshd.hosts[0]))
    assert set(client.run_command("true")) == set(sshd.hosts[1:])
    assert set(client.run_command("true")) == set(sshd.hosts[1:])  # generator read once, kept
    client.hosts = filter(lambda h: h == sshd.hosts[0], sshd.hosts)
    output = client.run_command("exit 0")
    assert list(output) == [sshd.hosts[0]]
    client.hosts = [sshd.hosts[1]]
    assert list(client.run_command("exit 0")) == [sshd.hosts[1]]


def test_get_last_output_and_cmds(make_client, sshd):
    client = make_client()
    client.run_command("echo last")
    assert len(client.cmds) == 4
    output = client.get_last_output()
    assert list(output) == list(sshd.hosts)
    client.join(output)
    assert [list(o.stdout) for o in output.values()] == [["last"]] * 4
    again = {}
    for cmd in client.cmds:
        client.get_output(cmd, again)
    assert list(again) == list(sshd.hosts)


def test_host_logger_on_join_consume(make_client, caplog):
    client = make_client()
    caplog.set_level(logging.INFO, logger="pssh.host_logger")
    output = client.run_command("echo logged-line; echo err-line >&2")
    client.join(output, consume_output=True)
    messages = [r.getMessage() for r in caplog.records if r.name == "pssh.host_logger"]
    for host in client.hosts:
        assert "[%s]\tlogged-line" % host in messages
        assert "[%s]\terr-line" % host in messages
    assert all(list(o.stdout) == [] for o in output.values())
    assert [o.exit_code for o in output.values()] == [0] * 4
