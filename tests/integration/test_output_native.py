"""Native-client output behaviour: the single client's 1.8.0 output API,
dead sessions and dropped output."""

from __future__ import annotations

import socket
import sys

import pytest

from pssh.clients.native.single import SSHClient
from pssh.exceptions import SessionError

pytestmark = pytest.mark.integration


@pytest.fixture
def client(sshd):
    c = SSHClient(sshd.host, port=sshd.port, user=sshd.user, pkey=sshd.pkey, num_retries=1)
    yield c
    c.disconnect()


def test_read_output_and_read_stderr_yield_bytes_lines(client):
    channel = client.execute("printf 'a\\r\\nb\\n'; echo e >&2")
    assert list(client.read_output(channel)) == [b"a", b"b"]
    assert list(client.read_stderr(channel)) == [b"e"]


def test_read_output_buffer_decodes_with_its_encoding(client):
    # 1.8.0's single-client pattern: execute, read_output, read_output_buffer
    channel = client.execute("printf '\\303\\251t\\303\\251\\n'")
    lines = list(client.read_output_buffer(client.read_output(channel), encoding="latin-1"))
    assert lines == ["Ã©tÃ©"]
    channel = client.execute("printf '\\303\\251t\\303\\251\\n'")
    assert list(client.read_output_buffer(client.read_output(channel))) == ["été"]


def test_read_output_of_a_utf16_command_gives_lines_its_encoding_decodes(client):
    native = "utf-16-le" if sys.byteorder == "little" else "utf-16-be"
    data = "x\u0a01\ny\n".encode(native)
    command = "printf '%s'" % "".join("\\%03o" % byte for byte in data)
    channel, _host, _stdout, _stderr, _stdin = client.run_command(command, encoding="utf-16")
    raw = list(client.read_output(channel))
    assert all(isinstance(line, bytes) for line in raw)
    assert list(client.read_output_buffer(iter(raw), encoding="utf-16")) == ["x\u0a01", "y"]


def test_run_command_generators_finish_the_command(client):
    channel, _host, stdout, stderr, _stdin = client.run_command("echo o; echo e >&2; exit 6")
    assert list(stdout) == ["o"]
    assert client.get_exit_status(channel) == 6  # stderr not read yet: kept
    assert client.finished(channel)
    assert list(stderr) == ["e"]


def test_dead_connection_opening_a_channel_is_session_error_and_reconnects_later(client, sshd):
    client.sock.shutdown(socket.SHUT_RDWR)  # the server is gone, as far as we can tell
    with pytest.raises(SessionError) as info:
        client.run_command("echo x")
    assert info.value.host == sshd.host and sshd.host in str(info.value)
    assert client.session is None  # forgotten: a parallel client connects again


def test_dropped_output_is_closed_before_the_next_channel_opens(client):
    for _ in range(5):
        client.run_command("echo dropped")
    assert len(client._outputs) <= 1  # the latest may still be in flight
    channel, _host, stdout, _stderr, _stdin = client.run_command("echo kept")
    assert not client._dropped or all(ch is not channel for ch in client._dropped)
    assert list(stdout) == ["kept"]
    assert client.get_exit_status(channel) == 0


def test_read_output_buffer_drops_line_endings_of_file_lines(client):
    lines = [b"one\n", b"two\r\n", "text".encode("utf-16"), b"last"]
    assert list(client.read_output_buffer(iter(lines[:2]))) == ["one", "two"]
    assert list(client.read_output_buffer(iter(lines[2:3]), encoding="utf-16")) == ["text"]
    assert list(client.read_output_buffer(iter(["as is\n"]))) == ["as is\n"]


def test_closing_stdin_after_the_output_was_read_is_harmless(client):
    channel, _host, stdout, stderr, stdin = client.run_command("echo done")
    assert list(stdout) == ["done"]  # the channel is closed now
    stdin.close()  # as code that ends stdin last does: nothing left to end
    assert client.get_exit_status(channel) == 0


def test_join_style_wait_after_reading_keeps_no_extra_state(client):
    outputs = []
    for _ in range(3):
        channel, _host, stdout, stderr, stdin = client.run_command("echo x; exit 5")
        assert list(stdout) == ["x"] and list(stderr) == []
        client.wait_finished(channel)  # what join does after output was read
        assert client.get_exit_status(channel) == 5
        outputs.append((channel, stdout, stderr, stdin))
    assert len(client._outputs) == 3  # one per command still held, no more
    outputs.clear()
    del channel, stdout, stderr, stdin
    assert client._outputs == {}  # dropped output is forgotten
