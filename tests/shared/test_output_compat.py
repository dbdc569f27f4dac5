"""Reading output as 1.8.0 code reads it, on both client families.

The patterns are written as 1.8.0's documentation writes them: iterate
``host_out.stdout``, then read ``host_out.exit_code`` - no ``join``.
"""

from __future__ import annotations

import functools
import socket
import sys

import pytest

from pssh.exceptions import SessionError, Timeout
from pssh.output import HostOutput

pytestmark = pytest.mark.integration


@pytest.fixture
def make_client(client_factory, backend, sshd):
    return functools.partial(client_factory, backend.ParallelSSHClient, pkey=sshd.pkey)


def _run(client, family, command, **kwargs):
    """``run_command`` with a read timeout given the way each family takes it."""
    timeout = kwargs.pop("timeout", None)
    if timeout is not None and family == "native":
        kwargs["timeout"] = timeout
    return client.run_command(command, **kwargs)


# -- 13.2: reading output finishes the command ------------------------------------


@pytest.mark.parametrize("use_pty", [False, True])
def test_exit_code_after_reading_stdout_without_join(make_client, use_pty):
    client = make_client()
    output = client.run_command("echo out; exit 3", use_pty=use_pty)
    for host, host_out in output.items():  # noqa: B007 (as 1.8.0 writes it)
        for line in host_out.stdout:
            assert line == "out"
    for host, host_out in output.items():  # noqa: B007 (as 1.8.0 writes it)
        assert host_out.exit_code == 3
        assert output[host]["exit_code"] == 3  # dictionary style too
    assert client.finished(output)
    client.get_exit_codes(output)
    assert [host_out.exit_code for host_out in output.values()] == [3] * len(output)


def test_exit_code_when_only_stdout_was_read_and_stderr_is_kept(make_client, sshd):
    client = make_client(hosts=[sshd.host])
    # more stderr than the SSH window holds, never read before the exit code
    output = client.run_command("seq 1 100000 >&2; echo done; exit 2", use_pty=False)
    host_out = output[sshd.host]
    assert list(host_out.stdout) == ["done"]
    assert host_out.exit_code == 2
    stderr = list(host_out.stderr)  # what arrived is still there
    assert len(stderr) == 100000 and stderr[-1] == "100000"


def test_finished_and_exit_codes_agree_while_running_and_after(make_client, sshd):
    client = make_client(hosts=[sshd.host])
    output = client.run_command("read line; echo got $line", use_pty=False)
    host_out = output[sshd.host]
    assert not client.finished(output)
    client.get_exit_codes(output)
    assert host_out.exit_code is None and client.get_exit_code(host_out) is None
    host_out.stdin.write("x\n")
    host_out.stdin.flush()
    assert list(host_out.stdout) == ["got x"]
    assert client.finished(output)
    assert client.get_exit_code(host_out) == 0 and host_out.exit_code == 0


def test_thousand_commands_read_without_join_on_a_server_with_max_sessions_10(
    client_factory, backend, sshd_factory, sshd
):
    server = sshd_factory(1, first="127.0.0.70", extra_config=["MaxSessions 10"]).config()
    client = client_factory(
        backend.ParallelSSHClient, hosts=[server.host], port=server.port, pkey=server.pkey
    )
    for number in range(1000):
        output = client.run_command("echo %d" % (number,), use_pty=False)
        for host, host_out in output.items():  # noqa: B007 (as 1.8.0 writes it)
            assert list(host_out.stdout) == [str(number)]
            assert host_out.exit_code == 0


def test_output_read_to_the_end_and_kept_does_not_hold_its_channel(
    client_factory, backend, sshd_factory
):
    server = sshd_factory(1, first="127.0.0.72", extra_config=["MaxSessions 10"]).config()
    client = client_factory(
        backend.ParallelSSHClient, hosts=[server.host], port=server.port, pkey=server.pkey
    )
    kept = []
    for number in range(30):
        output = client.run_command("echo %d" % (number,), use_pty=False)
        kept.append(output)  # every output stays referenced
        for host, host_out in output.items():  # noqa: B007 (as 1.8.0 writes it)
            for line in host_out.stdout:
                assert line == str(number)
    assert [out[server.host].exit_code for out in kept] == [0] * 30


def test_output_dropped_unread_does_not_hold_its_channel(client_factory, backend, sshd_factory):
    server = sshd_factory(1, first="127.0.0.71", extra_config=["MaxSessions 10"]).config()
    client = client_factory(
        backend.ParallelSSHClient, hosts=[server.host], port=server.port, pkey=server.pkey
    )
    for _ in range(30):
        client.run_command("echo unread", use_pty=False)  # output never looked at
    output = client.run_command("echo last", use_pty=False)
    for host, host_out in output.items():  # noqa: B007 (as 1.8.0 writes it)
        assert list(host_out.stdout) == ["last"]
        assert host_out.exit_code == 0


# -- 13.4: defensive helpers ------------------------------------------------------


def test_get_last_output_before_any_command_is_none(make_client):
    assert make_client().get_last_output() is None


def test_helpers_skip_entries_that_are_not_host_output(make_client, sshd):
    client = make_client(hosts=[sshd.host])
    output = client.run_command("exit 4", use_pty=False)
    output["none"] = None
    output["text"] = "not output"
    client.join(output)
    client.get_exit_codes(output)
    assert output[sshd.host].exit_code == 4
    assert client.get_exit_code(None) is None
    assert client.get_exit_code("not output") is None
    assert client.finished(output)
    assert isinstance(output[sshd.host], HostOutput)


def test_opening_a_channel_on_a_disconnected_client_is_session_error(backend, sshd):
    client = backend.SSHClient(
        sshd.host, user=sshd.user, port=sshd.port, pkey=sshd.pkey, num_retries=1
    )
    client.disconnect()
    with pytest.raises(SessionError) as info:
        client.run_command("echo x")
    assert info.value.host == sshd.host
    assert sshd.host in str(info.value)


# -- 13.5: reset_output_generators -----------------------------------------------


def test_reset_output_generators_without_timeout_has_none(client_factory, backend, sshd, family):
    kwargs = {"channel_timeout": 0.3} if family == "miko" else {}
    client = client_factory(backend.ParallelSSHClient, hosts=[sshd.host], pkey=sshd.pkey, **kwargs)
    output = _run(client, family, "echo one; sleep 1.5; echo two", use_pty=False, timeout=0.3)
    for host, host_out in output.items():  # noqa: B007 (as 1.8.0 writes it)
        seen = []
        try:
            for line in host_out.stdout:
                seen.append(line)
        except Timeout:
            client.reset_output_generators(host_out)
        # the new generator has no timeout: it waits for "two"
        assert seen + list(host_out.stdout) == ["one", "two"]
        assert host_out.exit_code == 0


def test_reset_output_generators_with_a_timeout(make_client, sshd, family):
    client = make_client(hosts=[sshd.host])
    output = client.run_command("echo one; sleep 3; echo two", use_pty=False)
    host_out = output[sshd.host]
    assert next(iter(host_out.stdout)) == "one"
    client.reset_output_generators(host_out, timeout=0.3)
    with pytest.raises(Timeout):
        list(host_out.stdout)


# -- 13.6 and 12.7: encodings and long lines -----------------------------------


def _printf(data: bytes) -> str:
    return "printf '%s'" % "".join("\\%03o" % byte for byte in data)


@pytest.mark.parametrize("bom", [b"", b"mark"])
def test_utf16_output_with_and_without_byte_order_mark(make_client, sshd, bom):
    native = "utf-16-le" if sys.byteorder == "little" else "utf-16-be"
    text = "a\u0a01b\nc\u0a0a\n"  # U+0A01 and U+0A0A hold a 0x0a byte
    data = text.encode(native)
    if bom:
        data = text.encode("utf-16")  # with a mark
    client = make_client(hosts=[sshd.host])
    output = client.run_command(_printf(data), use_pty=False, encoding="utf-16")
    for host, host_out in output.items():  # noqa: B007 (as 1.8.0 writes it)
        assert list(host_out.stdout) == ["a\u0a01b", "c\u0a0a"]
        assert host_out.exit_code == 0


def test_utf32_output(make_client, sshd):
    client = make_client(hosts=[sshd.host])
    data = "é\n\U0001f600\n".encode("utf-32-le" if sys.byteorder == "little" else "utf-32-be")
    output = client.run_command(_printf(data), use_pty=False, encoding="utf-32")
    assert list(output[sshd.host].stdout) == ["é", "\U0001f600"]


def test_long_line_comes_in_pieces_of_max_line_length(make_client, sshd):
    client = make_client(hosts=[sshd.host])
    output = client.run_command(
        "head -c 100000 /dev/zero | tr '\\0' a; echo; echo end",
        use_pty=False,
        max_line_length=30000,
    )
    lines = list(output[sshd.host].stdout)
    assert [len(line) for line in lines] == [30000, 30000, 30000, 10000, 3]
    assert "".join(lines[:4]) == "a" * 100000 and lines[4] == "end"


def test_default_limit_keeps_long_lines_whole(make_client, sshd):
    client = make_client(hosts=[sshd.host])
    output = client.run_command("head -c 3000000 /dev/zero | tr '\\0' b", use_pty=False)
    assert [len(line) for line in output[sshd.host].stdout] == [3000000]


def test_opening_a_channel_after_the_connection_died_is_session_error(backend, sshd, family):
    client = backend.SSHClient(
        sshd.host, user=sshd.user, port=sshd.port, pkey=sshd.pkey, num_retries=1
    )
    # the connection goes away under the client, as when the server is gone
    sock = client.sock if family == "native" else client.client.get_transport().sock
    sock.shutdown(socket.SHUT_RDWR)
    with pytest.raises(SessionError) as info:
        client.run_command("echo x")
    assert info.value.host == sshd.host and sshd.host in str(info.value)
