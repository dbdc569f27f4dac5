"""Results as hosts finish, callbacks, 2.x output options and cancelling
(issue 15 point 4, issue 16 points 1, 2, 6), on both client families.

The "mixed" client has four hosts: two good ones whose commands differ by
``host_args``, one whose login fails (a user the server does not know) and one
whose port refuses connections. Order is asserted, never durations; waits for a
process to disappear have a deadline, not a fixed sleep.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import time

import gevent
import pytest

from pssh.clients.base_single import make_command
from pssh.exceptions import AuthenticationException, ConnectionErrorException, Timeout
from pssh.output import HostOutput

pytestmark = pytest.mark.integration


def refused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def marker() -> str:
    """A ``sleep`` argument unique to this test: ``sleep 600.<digits>`` can be
    found with ``pgrep -f``."""
    return "600.%d" % random.randint(10**8, 10**9 - 1)


def pids(mark: str) -> list[int]:
    done = subprocess.run(["pgrep", "-f", "sleep %s" % mark], capture_output=True, text=True)
    return [int(pid) for pid in done.stdout.split() if int(pid) != os.getpid()]


def gone(mark: str, within: float = 10) -> bool:
    """Whether every process with ``mark`` has ended, waiting at most ``within`` seconds."""
    deadline = time.monotonic() + within
    while pids(mark):
        if time.monotonic() > deadline:
            return False
        gevent.sleep(0.1)
    return True


@pytest.fixture
def reap():
    """Marks whose processes are killed (by pid) after the test, whatever happened."""
    marks: list[str] = []
    yield marks
    for mark in marks:
        for pid in pids(mark):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


@pytest.fixture
def make_client(client_factory, backend, sshd):
    def make(hosts=None, **kwargs):
        return client_factory(backend.ParallelSSHClient, hosts=hosts, pkey=sshd.pkey, **kwargs)

    return make


@pytest.fixture
def mixed(make_client, sshd):
    """(client, good1, good2, bad_auth, refused)."""
    good1, good2, bad_auth, refused = sshd.hosts[:4]
    host_config = {bad_auth: {"user": "pssh-no-such-user"}, refused: {"port": refused_port()}}
    client = make_client(list(sshd.hosts[:4]), host_config=host_config, allow_agent=False)
    return client, good1, good2, bad_auth, refused


SLOW = "sleep 2; echo slow"
FAST = "echo fast; echo oops >&2; exit 3"


def run_mixed(mixed, **kwargs):
    client, good1, good2, bad_auth, refused = mixed
    return client.run_command(
        "%s", host_args=[SLOW, FAST, "true", "true"], stop_on_errors=False, use_pty=False,
        **kwargs,
    )  # fmt: skip


# -- as_completed ------------------------------------------------------------


def test_as_completed_yields_in_completion_order(mixed):
    client, slow, fast, bad_auth, refused = mixed
    output = run_mixed(mixed)
    order = [out.host for out in client.as_completed(output)]
    assert sorted(order) == sorted([slow, fast, bad_auth, refused])
    # the failed hosts and the fast command end while the slow one sleeps
    assert order[-1] == slow
    assert isinstance(output[bad_auth].exception, AuthenticationException)
    assert isinstance(output[refused].exception, ConnectionErrorException)
    # exit codes set, output still readable afterwards
    assert output[fast].exit_code == 3
    assert output[slow].exit_code == 0
    assert list(output[fast].stdout) == ["fast"]
    assert list(output[fast].stderr) == ["oops"]
    assert list(output[slow].stdout) == ["slow"]


def test_as_completed_defaults_to_last_run_and_takes_a_list(make_client, sshd):
    client = make_client(list(sshd.hosts[:2]))
    output = client.run_command("echo hi", use_pty=False, return_list=True)
    assert [out.host for out in client.as_completed()] != []
    assert {out.host for out in client.as_completed(output)} == set(sshd.hosts[:2])
    assert [out.exit_code for out in output] == [0, 0]


def test_as_completed_timeout_names_running_hosts(make_client, sshd, reap):
    mark = marker()
    reap.append(mark)
    fast, hung = sshd.hosts[:2]
    client = make_client([fast, hung])
    output = client.run_command("%s", host_args=["echo ok", "sleep %s" % mark], use_pty=False)
    seen = []
    with pytest.raises(Timeout) as raised:
        for out in client.as_completed(output, timeout=1):
            seen.append(out.host)
    assert seen == [fast]
    assert hung in str(raised.value)
    assert [out.host for out in raised.value.args[3]] == [hung]
    assert [out.host for out in raised.value.args[2]] == [fast]
    client.cancel(output)
    assert gone(mark)


# -- on_finished / on_line ---------------------------------------------------


def test_on_finished_called_once_per_host_in_completion_order(mixed):
    client, slow, fast, bad_auth, refused = mixed
    calls: list[HostOutput] = []
    output = run_mixed(mixed, on_finished=calls.append)
    client.join(output)
    hosts = [out.host for out in calls]
    assert sorted(hosts) == sorted([slow, fast, bad_auth, refused])  # once each
    # the failed hosts and the fast command end while the slow one sleeps
    assert hosts[-1] == slow
    # the callback sees the finished output
    assert output[fast].exit_code == 3 and output[slow].exit_code == 0
    assert isinstance(output[bad_auth].exception, AuthenticationException)
    assert all(out is output[out.host] for out in calls)
    client.join(output)  # joining again calls nothing again
    assert len(calls) == 4


def test_join_waits_for_callbacks_of_failed_hosts(mixed):
    client, slow, fast, bad_auth, refused = mixed
    calls = []

    def slow_callback(host_out):
        if host_out.exception is not None:
            gevent.sleep(0.5)  # yields, longer than the good hosts take: join still waits
        calls.append(host_out.host)

    output = client.run_command(
        "true", stop_on_errors=False, use_pty=False, on_finished=slow_callback
    )
    client.join(output)
    assert sorted(calls) == sorted([slow, fast, bad_auth, refused])


def test_on_line_gets_every_line_with_host_and_stream(make_client, sshd):
    hosts = list(sshd.hosts[:2])
    client = make_client(hosts)
    lines: list[tuple[str, str, str]] = []
    cmd = "for i in $(seq 1 500); do echo out$i; echo err$i >&2; done; exit 4"
    output = client.run_command(cmd, use_pty=False, on_line=lambda *args: lines.append(args))
    client.join(output)
    for host in hosts:
        out_lines = [line for h, stream, line in lines if h == host and stream == "stdout"]
        err_lines = [line for h, stream, line in lines if h == host and stream == "stderr"]
        assert out_lines == ["out%d" % i for i in range(1, 501)]
        assert err_lines == ["err%d" % i for i in range(1, 501)]
        assert output[host].exit_code == 4
        # nothing kept
        assert list(output[host].stdout) == []
        assert list(output[host].stderr) == []
    assert {stream for _, stream, _ in lines} == {"stdout", "stderr"}


def test_on_line_keep_output(make_client, sshd):
    host = sshd.hosts[0]
    client = make_client([host])
    lines = []
    output = client.run_command(
        "echo a; echo b >&2", use_pty=False, on_line=lambda *a: lines.append(a), keep_output=True
    )
    client.join()
    assert sorted(lines) == [(host, "stderr", "b"), (host, "stdout", "a")]
    assert list(output[host].stdout) == ["a"]
    assert list(output[host].stderr) == ["b"]


def test_callback_error_is_raised_by_join(make_client, sshd):
    client = make_client(list(sshd.hosts[:1]))

    def boom(host, stream, line):
        raise RuntimeError("callback failed on %s" % line)

    output = client.run_command("echo x", use_pty=False, on_line=boom)
    with pytest.raises(RuntimeError, match="callback failed on x"):
        client.join(output)


def test_callbacks_must_be_callable(make_client):
    client = make_client()
    with pytest.raises(TypeError, match="on_line"):
        client.run_command("true", on_line="print")


# -- 2.x output options ------------------------------------------------------


def test_return_list_in_host_order(make_client, sshd):
    hosts = list(reversed(sshd.hosts[:3]))
    client = make_client(hosts)
    output = client.run_command("echo hi", use_pty=False, return_list=True)
    assert isinstance(output, list)
    assert [out.host for out in output] == hosts
    client.join(output)
    assert [list(out.stdout) for out in output] == [["hi"]] * 3
    assert [out.exit_code for out in output] == [0] * 3


def test_read_timeout(make_client, sshd, family):
    host = sshd.hosts[0]
    client = make_client([host])
    output = client.run_command("sleep 3; echo late", use_pty=False, read_timeout=0.5)
    assert output[host].read_timeout == 0.5
    with pytest.raises(Timeout):
        list(output[host].stdout)
    client.join(output)
    assert output[host].exit_code == 0
    if family == "native":  # the 1.8.0 name, on the client that documents it
        output = client.run_command("echo x", timeout=7)
        assert output[host].read_timeout == 7
        with pytest.raises(ValueError, match="read_timeout"):
            client.run_command("echo x", timeout=1, read_timeout=1)
    output = client.run_command("echo x", use_pty=False)
    assert output[host].read_timeout is None


def test_fully_qualified_command(make_client, sshd):
    host = sshd.hosts[0]
    client = make_client([host])
    output = client.run_command("echo 'it''s'", shell="sh -c", use_pty=False)
    assert output[host].fully_qualified_command == make_command("echo 'it''s'", shell="sh -c")
    assert output[host].fully_qualified_command == "sh -c 'echo '\"'\"'it'\"'\"''\"'\"'s'\"'\"''"
    output = client.run_command("id -u", sudo=True, use_pty=False)
    assert output[host].fully_qualified_command == "sudo -S $SHELL -c 'id -u'"
    client.join(output)


def test_alias_from_the_host_client(make_client, sshd):
    host = sshd.hosts[0]
    client = make_client([host])
    output = client.run_command("true", use_pty=False)
    assert output[host].alias is getattr(client.host_clients[host], "alias", None)
    client.host_clients[host].alias = "web-01"
    output = client.run_command("true", use_pty=False)
    assert output[host].alias == "web-01"
    assert "alias" not in dict(output[host])  # the 1.8.0 keys are unchanged


def test_join_without_output_joins_last_run(make_client, sshd):
    client = make_client(list(sshd.hosts[:2]))
    client.run_command("echo one", use_pty=False)
    output = client.run_command("exit 5", use_pty=False)
    client.join()
    assert [out.exit_code for out in output.values()] == [5, 5]


def test_join_timeout_carries_finished_and_unfinished(make_client, sshd, reap):
    mark = marker()
    reap.append(mark)
    fast, hung = sshd.hosts[:2]
    client = make_client([fast, hung])
    output = client.run_command("%s", host_args=["echo ok", "sleep %s" % mark], use_pty=False)
    with pytest.raises(Timeout) as raised:
        client.join(output, timeout=1)
    finished, unfinished = raised.value.args[2], raised.value.args[3]
    assert [out.host for out in finished] == [fast]
    assert [out.host for out in unfinished] == [hung]
    assert finished[0] is output[fast] and unfinished[0] is output[hung]
    assert hung in str(raised.value)
    assert list(output[fast].stdout) == ["ok"]
    assert pids(mark)  # without cancel_on_timeout it still runs
    client.cancel(unfinished)
    assert gone(mark)


# -- cancelling --------------------------------------------------------------


@pytest.mark.parametrize("use_pty", [False, True])
@pytest.mark.parametrize("command", ["sleep %s", "while :; do sleep %s; done"])
def test_cancel_stops_remote_command(make_client, sshd, reap, use_pty, command):
    mark = marker()
    reap.append(mark)
    host = sshd.hosts[0]
    client = make_client([host])
    output = client.run_command(command % mark, use_pty=use_pty)
    deadline = time.monotonic() + 10
    while not pids(mark) and time.monotonic() < deadline:
        gevent.sleep(0.05)
    assert pids(mark)
    client.cancel(output, grace=5)
    assert gone(mark)
    assert output[host].exit_code == -1  # no exit status: ended by the signal
    client.join(output, timeout=10)  # joins at once: nothing is left running


def test_cancel_without_signal_hangs_up_a_pty(make_client, sshd, reap):
    mark = marker()
    reap.append(mark)
    host = sshd.hosts[0]
    client = make_client([host])
    output = client.run_command("sleep %s" % mark, use_pty=True)
    deadline = time.monotonic() + 10
    while not pids(mark) and time.monotonic() < deadline:
        gevent.sleep(0.05)
    client.cancel(output, signal=None)
    assert gone(mark)
    assert output[host].exit_code == -1


def test_cancel_leaves_finished_commands_alone(make_client, sshd):
    host = sshd.hosts[0]
    client = make_client([host])
    output = client.run_command("echo done; exit 2", use_pty=False)
    client.join(output)
    client.cancel(output)
    assert output[host].exit_code == 2
    assert list(output[host].stdout) == ["done"]


def test_join_cancel_on_timeout(make_client, sshd, reap):
    mark = marker()
    reap.append(mark)
    fast, hung = sshd.hosts[:2]
    client = make_client([fast, hung])
    output = client.run_command("%s", host_args=["echo ok", "sleep %s" % mark], use_pty=False)
    with pytest.raises(Timeout) as raised:
        client.join(output, timeout=1, cancel_on_timeout=True)
    assert [out.host for out in raised.value.args[3]] == [hung]
    assert gone(mark)
    assert output[fast].exit_code == 0


def test_alias_from_host_config_reaches_the_output(backend, sshd):
    from pssh.config import HostConfig

    hosts = list(sshd.hosts[:2])
    client = backend.ParallelSSHClient(
        hosts, port=sshd.port, user=sshd.user, pkey=sshd.pkey, num_retries=1,
        host_config=[HostConfig(alias="web-01"), HostConfig()],
    )  # fmt: skip
    output = client.run_command("true", use_pty=False)
    client.join(output)
    assert [out.alias for out in output.values()] == ["web-01", None]
    assert [out.host for out in output.values()] == hosts  # the output keys stay the hosts
