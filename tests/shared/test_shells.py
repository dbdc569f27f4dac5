"""Interactive shells (parallel-ssh 2.x ``open_shell``), on both client families.

Commands given to one shell run in order in one remote shell process, sharing its state;
its output is read once it has been closed (joined); its exit code is the last command's.
"""

from __future__ import annotations

import functools
import inspect
import os
import pwd

import gevent
import pytest

from pssh.clients._shell import InteractiveShell
from pssh.exceptions import ConnectionErrorException, SessionError, ShellError, Timeout
from pssh.output import HostOutput

pytestmark = pytest.mark.integration

UNUSED_HOST = "127.0.0.254"  # nothing listens there: connections are refused


@pytest.fixture
def client(backend, sshd):
    c = backend.SSHClient(
        sshd.host, port=sshd.port, user=sshd.user, pkey=sshd.pkey, num_retries=1,
        allow_agent=False,
    )  # fmt: skip
    yield c
    c.disconnect()


@pytest.fixture
def make_client(client_factory, backend, sshd):
    return functools.partial(
        client_factory, backend.ParallelSSHClient, pkey=sshd.pkey, allow_agent=False
    )


def _fifo(remote_dir: str, name: str, user: str) -> str:
    """A named pipe the login user can read: ``cat`` on it waits until we write."""
    path = os.path.join(remote_dir, name)
    os.mkfifo(path)
    os.chmod(path, 0o666)
    if os.geteuid() == 0:
        entry = pwd.getpwnam(user)
        os.chown(path, entry.pw_uid, entry.pw_gid)
    return path


def _params(func):
    return [
        (p.name, p.default)
        for p in inspect.signature(func).parameters.values()
        if p.name != "self" and p.kind is not p.KEYWORD_ONLY
    ]


def test_signatures_are_the_2x_ones(backend):
    assert _params(backend.SSHClient.open_shell) == [("encoding", "utf-8"), ("read_timeout", None)]
    parallel = backend.ParallelSSHClient
    assert _params(parallel.open_shell) == [("encoding", "utf-8"), ("read_timeout", None)]
    assert [name for name, _ in _params(parallel.run_shell_commands)] == ["shells", "commands"]
    assert _params(parallel.join_shells)[1] == ("timeout", None)


@pytest.mark.native_only
def test_parallel_scp_signatures_are_the_2x_ones(backend):
    empty = inspect.Parameter.empty
    assert _params(backend.ParallelSSHClient.scp_send) == [
        ("local_file", empty), ("remote_file", empty), ("recurse", False), ("copy_args", None)
    ]  # fmt: skip
    assert _params(backend.ParallelSSHClient.scp_recv) == [
        ("remote_file", empty), ("local_file", empty), ("recurse", False), ("copy_args", None),
        ("suffix_separator", "_"),
    ]  # fmt: skip


# -- single-host clients --------------------------------------------------------


def test_cd_then_pwd_in_one_shell(client, remote_dir):
    with client.open_shell() as shell:
        shell.run("cd %s" % remote_dir)
        shell.run("pwd")
    assert isinstance(shell, InteractiveShell)
    assert list(shell.stdout) == [remote_dir]
    assert shell.exit_code == 0


def test_variables_kept_between_commands(client):
    shell = client.open_shell()
    shell.run("GREETING=hello")
    shell.run("NAME=world")
    shell.run('echo "$GREETING $NAME"')
    shell.close()
    assert list(shell.stdout) == ["hello world"]
    assert list(shell.stderr) == []


def test_exit_code_is_the_last_commands(client):
    shell = client.open_shell()
    shell.run("false")
    shell.run("echo after")
    shell.run("(exit 7)")
    assert shell.exit_code is None  # still running until closed
    shell.close()
    assert shell.exit_code == 7
    assert shell.output.exit_code == 7
    failed_last = client.open_shell()
    failed_last.run("true")
    failed_last.run("false")
    failed_last.close()
    assert failed_last.exit_code == 1


def test_output_read_after_close(client):
    shell = client.open_shell()
    shell.run("echo out1; echo err1 >&2")
    shell.run("echo out2")
    shell.close()
    assert isinstance(shell.output, HostOutput)
    assert shell.output.host == client.host
    assert shell.stdout is shell.output.stdout and shell.stderr is shell.output.stderr
    with gevent.Timeout(10):  # everything arrived: no read waits
        assert list(shell.stdout) == ["out1", "out2"]
        assert list(shell.stderr) == ["err1"]


def test_context_manager_closes_and_refuses_more_commands(client):
    with client.open_shell() as shell:
        shell.run("exit 4")
    assert shell.closed
    assert shell.exit_code == 4
    with pytest.raises(ShellError) as raised:
        shell.run("echo too late")
    assert raised.value.host == client.host
    shell.close()  # closing again does nothing


def test_run_after_the_shell_exited_raises_shell_error(client):
    shell = client.open_shell()
    shell.run("echo bye; exit 4")
    assert list(shell.stdout) == ["bye"]  # the end of its output: the shell has exited
    with pytest.raises(ShellError) as raised:
        shell.run("echo too late")
    assert raised.value.host == client.host
    assert "has exited" in str(raised.value)
    shell.close()
    assert shell.exit_code == 4


def test_encoding_of_commands_and_output(client):
    with client.open_shell(encoding="latin-1") as shell:
        shell.run("echo é")  # sent as the one byte 0xe9
        shell.run("printf '\\351\\n'")  # the byte 0xe9, read back as latin-1
        shell.run("echo é | wc -c")  # one byte and the new line
    assert list(shell.stdout) == ["é", "é", "2"]


def test_unknown_encoding_fails_before_opening(client, make_client):
    with pytest.raises(LookupError):
        client.open_shell(encoding="no-such-codec")
    with pytest.raises(LookupError):
        make_client().open_shell(encoding="no-such-codec")


def test_refused_shell_channel_raises_session_error(backend, sshd_factory):
    config = sshd_factory(extra_config=["MaxSessions 1"]).config()
    client = backend.SSHClient(
        config.host, port=config.port, user=config.user, pkey=config.pkey, num_retries=1,
        allow_agent=False,
    )  # fmt: skip
    try:
        first = client.open_shell()
        with pytest.raises(SessionError) as raised:
            client.open_shell()
        assert raised.value.host == config.host
        first.run("echo still here")
        first.close()
        assert list(first.stdout) == ["still here"]
    finally:
        client.disconnect()


def test_stdin_writes_go_to_the_shell(client):
    shell = client.open_shell()
    shell.stdin.write("echo from stdin\n")
    shell.close()
    assert list(shell.stdout) == ["from stdin"]


def test_read_timeout_reads_partial_output(client):
    shell = client.open_shell(read_timeout=0.5)
    shell.run("echo first")
    lines = []
    with pytest.raises(Timeout):
        for line in shell.stdout:
            lines.append(line)
    assert lines == ["first"]
    shell.close()


def test_shells_of_one_client_are_independent(client):
    first, second = client.open_shell(), client.open_shell()
    first.run("X=one")
    second.run("X=two")
    first.run("echo $X")
    second.run("echo $X")
    second.close()
    first.close()
    assert list(first.stdout) == ["one"]
    assert list(second.stdout) == ["two"]


# -- parallel clients -----------------------------------------------------------


def test_parallel_shells_run_commands_in_order(make_client, sshd):
    client = make_client()
    shells = client.open_shell()
    assert [shell.host for shell in shells] == list(sshd.hosts)
    client.run_shell_commands(shells, ["cd /", 'HERE="$(pwd)"', 'echo "in $HERE"'])
    client.run_shell_commands(shells, "echo second; exit 5")
    client.join_shells(shells)
    for shell in shells:
        assert list(shell.stdout) == ["in /", "second"]
        assert shell.exit_code == 5
        assert shell.closed
    with pytest.raises(ShellError):
        client.run_shell_commands(shells, "echo again")


def test_parallel_multi_line_command(make_client, sshd):
    client = make_client(hosts=list(sshd.hosts[:2]))
    shells = client.open_shell()
    client.run_shell_commands(shells, "\nA=1\necho $A\necho two\n")
    client.join_shells(shells)
    assert [list(shell.stdout) for shell in shells] == [["1", "two"]] * 2


def test_join_shells_timeout(make_client, sshd, remote_dir):
    client = make_client(hosts=list(sshd.hosts[:2]))
    fifo = _fifo(remote_dir, "wait", sshd.user)
    slow, quick = client.open_shell()
    slow.run("cat %s" % fifo)
    quick.run("echo quick")
    with pytest.raises(Timeout) as raised:
        client.join_shells([slow, quick], timeout=0.5)
    exc = raised.value
    assert exc.args[1] == 0.5
    assert exc.args[2] == [quick] and exc.finished_shells == [quick]
    assert exc.args[3] == [slow] and exc.unfinished_shells == [slow]
    assert exc.host == slow.host
    assert quick.closed and list(quick.stdout) == ["quick"]
    assert not slow.closed and slow.exit_code is None
    with open(fifo, "w") as pipe:  # let the waiting command end
        pipe.write("released\n")
    client.join_shells([slow, quick])
    assert slow.closed and slow.exit_code == 0
    assert list(slow.stdout) == ["released"]


def test_failed_host_raises_by_default(make_client, sshd):
    client = make_client(hosts=[sshd.host, UNUSED_HOST], retry_delay=0)
    with pytest.raises(ConnectionErrorException) as raised:
        client.open_shell()
    assert raised.value.host == UNUSED_HOST


def test_failed_host_kept_without_stop_on_errors(make_client, sshd):
    client = make_client(hosts=[sshd.host, UNUSED_HOST], retry_delay=0)
    good, failed = client.open_shell(stop_on_errors=False)
    assert isinstance(failed.output.exception, ConnectionErrorException)
    assert failed.output.exception.host == UNUSED_HOST
    assert failed.host == UNUSED_HOST and failed.closed
    assert good.output.exception is None
    client.run_shell_commands([good, failed], "echo fine")
    client.join_shells([good, failed])
    assert list(good.stdout) == ["fine"] and good.exit_code == 0
    assert failed.exit_code is None
    with pytest.raises(ShellError) as raised:
        failed.run("echo never")
    assert raised.value.host == UNUSED_HOST
