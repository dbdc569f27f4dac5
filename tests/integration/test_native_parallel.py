"""The native parallel client against several real sshd hosts."""

from __future__ import annotations

import logging
import time

import gevent
import pytest

from pssh.clients import ParallelSSHClient
from pssh.clients.native import ParallelSSHClient as NativeParallel
from pssh.clients.native.parallel import ParallelSSHClient as NativeParallelModule
from pssh.exceptions import (
    AuthenticationException,
    ConnectionErrorException,
    HostArgumentException,
    Timeout,
    UnknownHostException,
)
from pssh.output import HostOutput

pytestmark = pytest.mark.integration


@pytest.fixture
def make_client(sshd):
    made = []

    def make(hosts=None, **kwargs):
        kwargs.setdefault("port", sshd.port)
        kwargs.setdefault("user", sshd.user)
        kwargs.setdefault("pkey", sshd.pkey)
        kwargs.setdefault("num_retries", 1)
        client = ParallelSSHClient(list(sshd.hosts) if hosts is None else hosts, **kwargs)
        made.append(client)
        return client

    yield make
    for client in made:
        for host_client in client.host_clients.values():
            host_client.disconnect()


def test_default_client_is_native():
    assert ParallelSSHClient is NativeParallel is NativeParallelModule


def test_run_join_stdout_exit_codes(make_client, sshd):
    client = make_client()
    output = client.run_command("echo $SSH_CONNECTION; exit 5")
    assert list(output) == list(sshd.hosts)
    for host, host_out in output.items():
        assert isinstance(host_out, HostOutput)
        assert host_out.host == host
        assert host_out.exception is None
        assert list(host_out.stdout)[0].split()[2] == host
    client.join(output)
    assert {out.exit_code for out in output.values()} == {5}


def test_exit_codes_without_reading_output(make_client):
    client = make_client()
    output = client.run_command("seq 1 100000; exit 3")
    client.join(output)
    assert [out.exit_code for out in output.values()] == [3] * 4
    assert all(len(list(out.stdout)) == 100000 for out in output.values())


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


def test_string_hosts_is_type_error(sshd):
    with pytest.raises(TypeError):
        ParallelSSHClient("127.0.0.2")
    client = ParallelSSHClient(["127.0.0.2"])
    with pytest.raises(TypeError):
        client.hosts = "127.0.0.2"


def test_connections_are_lazy_and_reused(make_client, sshd):
    client = make_client()
    assert client.host_clients == {}
    client.join(client.run_command("true"))
    first = {h: c for h, c in client.host_clients.items()}
    socks = {h: c.sock.getsockname() for h, c in first.items()}
    output = client.run_command("echo $SSH_CONNECTION")
    client.join(output)
    assert client.host_clients == first
    for host, out in output.items():
        # same TCP connection: the client's source port is unchanged
        assert int(list(out.stdout)[0].split()[1]) == socks[host][1]


def test_duplicate_hosts_keep_both_outputs(make_client, sshd):
    host = sshd.hosts[0]
    client = make_client(hosts=[host, host, sshd.hosts[1]])
    output = client.run_command("echo %s", host_args=("a", "b", "c"))
    client.join(output)
    assert len(output) == 3
    assert [out.host for out in output.values()] == [host, host, sshd.hosts[1]]
    assert sorted(list(out.stdout)[0] for out in output.values()) == ["a", "b", "c"]


def test_stop_on_errors_false_mixes_failures(make_client, sshd, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    good = sshd.hosts[0]
    hosts = [good, "no-such-host.invalid", "127.0.0.1", sshd.hosts[1]]
    client = make_client(
        hosts=hosts,
        allow_agent=False,
        host_config={
            "127.0.0.1": {"port": 1},
            sshd.hosts[1]: {"pkey": None, "private_key": None, "password": "wrong"},
        },
        pkey=None,
        password=None,
    )
    client.host_config[good] = {"private_key": sshd.pkey}
    output = client.run_command("echo ok", stop_on_errors=False)
    client.join(output)
    assert list(output[good].stdout) == ["ok"] and output[good].exit_code == 0
    assert isinstance(output["no-such-host.invalid"].exception, UnknownHostException)
    assert isinstance(output["127.0.0.1"].exception, ConnectionErrorException)
    assert isinstance(output[sshd.hosts[1]].exception, AuthenticationException)
    for host in hosts[1:]:
        assert output[host].exception.host == host
        assert output[host].exit_code is None


def test_stop_on_errors_raises_with_host(make_client, sshd):
    client = make_client(hosts=[sshd.hosts[0], "no-such-host.invalid"])
    with pytest.raises(UnknownHostException) as info:
        client.run_command("true")
    assert info.value.host == "no-such-host.invalid"


def test_host_args_forms(make_client, sshd):
    client = make_client(hosts=list(sshd.hosts[:3]))
    out = client.run_command("echo %s", host_args=("x", "y", "z"))
    assert [list(o.stdout) for o in out.values()] == [["x"], ["y"], ["z"]]
    out = client.run_command("echo %s %s", host_args=(("a", 1), ("b", 2), ("c", 3)))
    assert [list(o.stdout) for o in out.values()] == [["a 1"], ["b 2"], ["c 3"]]
    args = [{"cmd": "host-index-%s" % i} for i in range(3)]
    out = client.run_command("echo %(cmd)s", host_args=args)
    assert [list(o.stdout) for o in out.values()] == [
        ["host-index-0"],
        ["host-index-1"],
        ["host-index-2"],
    ]


def test_host_args_errors(make_client, sshd):
    client = make_client(hosts=list(sshd.hosts[:3]))
    with pytest.raises(HostArgumentException):
        client.run_command("echo %s", host_args=("only", "two"))
    with pytest.raises(TypeError):
        client.run_command("echo %s %s", host_args=("a", "b", "c"))
    with pytest.raises(KeyError):
        client.run_command("echo %(missing)s", host_args=[{"cmd": 1}] * 3)
    assert client.host_clients == {}  # nothing ran


def test_host_config_user_port_key_password(make_client, sshd, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    h0, h1, h2 = sshd.hosts[:3]
    host_config = {
        h0: {"user": sshd.user, "port": sshd.port, "private_key": sshd.rsa_pkey},
        h1: {"user": sshd.user, "password": sshd.password, "port": sshd.port},
        h2: {"port": sshd.port, "private_key": sshd.ecdsa_pkey},
    }
    client = make_client(
        hosts=[h0, h1, h2], host_config=host_config, port=1, pkey=None, allow_agent=False
    )
    output = client.run_command("whoami")
    client.join(output)
    assert [list(o.stdout) for o in output.values()] == [[sshd.user]] * 3


def test_pool_size_bounds_concurrency(make_client):
    client = make_client(pool_size=1)
    started = time.monotonic()
    output = client.run_command("true")
    client.join(output)
    assert len(output) == 4
    assert client.pool.size == 1
    assert time.monotonic() - started >= 0


def test_join_timeout_then_output_still_readable(make_client):
    client = make_client()
    output = client.run_command("echo before; sleep 2; echo after")
    with pytest.raises(Timeout):
        client.join(output, timeout=0.5)
    assert not client.finished(output)
    client.join(output)
    for out in output.values():
        assert list(out.stdout) == ["before", "after"]
        assert out.exit_code == 0


def test_join_timeout_is_total(make_client):
    client = make_client()
    output = client.run_command("sleep 1")
    started = time.monotonic()
    client.join(output, timeout=10)
    assert time.monotonic() - started < 9
    assert [o.exit_code for o in output.values()] == [0] * 4


def test_read_timeout_and_reset_output_generators(make_client):
    client = make_client()
    output = client.run_command("echo one; sleep 3; echo two", timeout=0.3)
    seen = {host: [] for host in output}
    for host, out in output.items():
        with pytest.raises(Timeout) as info:
            for line in out.stdout:
                seen[host].append(line)
        assert info.value.host == out.host
        client.reset_output_generators(out)
    client.join(output)
    for host, out in output.items():
        seen[host].extend(out.stdout)
        assert seen[host] == ["one", "two"]


def test_one_host_does_not_wait_for_another(make_client, sshd):
    client = make_client(hosts=list(sshd.hosts[:2]))
    output = client.run_command("echo $SSH_CONNECTION | cut -d' ' -f3")
    slow, fast = output.values()
    client2 = make_client(hosts=[slow.host])
    long = client2.run_command("sleep 3; echo slow")
    started = time.monotonic()
    assert list(fast.stdout) == [fast.host]
    assert time.monotonic() - started < 2
    client2.join(long)


def test_greenlet_timeout_raises_gevent_timeout(make_client, sshd):
    client = make_client(hosts=[sshd.hosts[0]])
    client.join(client.run_command("true"))
    with pytest.raises(gevent.Timeout):
        client.run_command("true", greenlet_timeout=1e-9)


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


def test_close_channel_with_pty_then_join(make_client):
    client = make_client()
    output = client.run_command("tail -f /dev/null", use_pty=True, timeout=0.3)
    for out in output.values():
        with pytest.raises(Timeout):
            list(out.stdout)
    for host, out in output.items():
        client.host_clients[host].close_channel(out.channel)
    client.join(output, timeout=10)


def test_stdin_per_host(make_client):
    client = make_client()
    output = client.run_command("read line; echo got-$line")
    for out in output.values():
        out.stdin.write("%s\n" % out.host)
        out.stdin.flush()
    client.join(output)
    assert [list(o.stdout) for o in output.values()] == [["got-%s" % h] for h in client.hosts]


def test_sudo_in_parallel(make_client):
    client = make_client()
    output = client.run_command("whoami", sudo=True)
    client.join(output)
    assert [list(o.stdout) for o in output.values()] == [["root"]] * 4


def test_use_pty_and_shell(make_client):
    client = make_client()
    output = client.run_command("echo $0; echo e >&2", use_pty=True, shell="bash -c")
    client.join(output)
    assert [list(o.stdout) for o in output.values()] == [["bash", "e"]] * 4


def test_many_hosts(sshd_many):
    client = ParallelSSHClient(
        list(sshd_many.hosts),
        port=sshd_many.port,
        user=sshd_many.user,
        pkey=sshd_many.pkey,
        num_retries=1,
        pool_size=100,
    )
    output = client.run_command("echo hi")
    client.join(output)
    assert len(output) == 100
    assert all(list(o.stdout) == ["hi"] and o.exit_code == 0 for o in output.values())
