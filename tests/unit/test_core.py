"""Pure logic of the clients: command wrapping, retries, line splitting,
per-host arguments and the confinement of libssh2's EAGAIN."""

from __future__ import annotations

import pathlib

import pytest

import pssh
from pssh._retry import RetryPolicy
from pssh.clients._lines import LineSplitter
from pssh.clients.base_pssh import dedupe_key, format_per_host
from pssh.clients.base_single import make_command
from pssh.constants import DEFAULT_RETRIES, RETRY_DELAY


def test_make_command_plain_and_shell():
    assert make_command("echo hi") == "$SHELL -c 'echo hi'"
    assert make_command("echo hi", shell="bash -c") == "bash -c 'echo hi'"
    assert make_command("echo 'q'") == """$SHELL -c 'echo '"'"'q'"'"''"""


def test_make_command_sudo_and_user():
    assert make_command("id", sudo=True) == "sudo -S $SHELL -c id"
    assert make_command("id", user="web") == "sudo -u web -S $SHELL -c id"
    assert make_command("id", user="a b") == "sudo -u 'a b' -S $SHELL -c id"


def test_make_command_rejects_non_strings():
    with pytest.raises(TypeError):
        make_command(b"id")


def test_constants():
    assert DEFAULT_RETRIES == 3
    assert RETRY_DELAY == 5


def test_retry_policy_attempts_and_delays(monkeypatch):
    slept = []
    monkeypatch.setattr("gevent.sleep", slept.append)
    calls = []

    def fail():
        calls.append(1)
        raise ConnectionError("no")

    policy = RetryPolicy.from_args(3, 0.5)
    with pytest.raises(ConnectionError) as info:
        policy.call(fail, retry_on=(ConnectionError,))
    assert len(calls) == 3
    assert slept == [0.5, 0.5]
    assert info.value.attempts == 3


def test_retry_policy_success_and_unlisted_errors():
    policy = RetryPolicy.from_args(None, None)
    assert policy == RetryPolicy(DEFAULT_RETRIES, RETRY_DELAY)
    assert policy.call(lambda: 42) == 42
    calls = []

    def boom():
        calls.append(1)
        raise KeyError("x")

    with pytest.raises(KeyError):
        RetryPolicy(3, 0).call(boom, retry_on=(ConnectionError,))
    assert calls == [1]


@pytest.mark.parametrize(("retries", "delay"), [(-1, 1), (1, -1)])
def test_retry_policy_rejects_bad_values(retries, delay):
    with pytest.raises(ValueError):
        RetryPolicy.from_args(retries, delay)


def test_retry_policy_zero_retries_is_one_attempt():
    # 1.8.0: num_retries=0 ("no retries") still makes the one attempt
    calls = []

    def fail():
        calls.append(1)
        raise ConnectionError("no")

    with pytest.raises(ConnectionError) as info:
        RetryPolicy.from_args(0, 0).call(fail, retry_on=(ConnectionError,))
    assert calls == [1]
    assert info.value.attempts == 1


def test_line_splitter_chunks_and_partial_lines():
    splitter = LineSplitter()
    splitter.feed(b"one\ntw")
    assert list(splitter.lines) == ["one"]
    splitter.feed(b"o\r")
    splitter.feed(b"\nthree")
    splitter.close()
    assert list(splitter.lines) == ["one", "two", "three"]


def test_line_splitter_multibyte_across_chunks_and_bad_bytes():
    data = "h\u00e9llo w\u00f6rld\n".encode()
    splitter = LineSplitter()
    for i in range(len(data)):
        splitter.feed(data[i : i + 1])
    splitter.feed(b"\xff\xfebad\n")
    splitter.close()
    assert list(splitter.lines) == ["h\u00e9llo w\u00f6rld", "\ufffd\ufffdbad"]


def test_line_splitter_other_encoding_and_empty_lines():
    splitter = LineSplitter("utf-16-le")
    splitter.feed("a\n\nb\n".encode("utf-16-le"))
    splitter.close()
    assert list(splitter.lines) == ["a", "", "b"]


def test_format_per_host_forms():
    assert format_per_host("echo %s", "a") == "echo a"
    assert format_per_host("echo %s %s", ("a", "b")) == "echo a b"
    assert format_per_host("echo %(x)s", {"x": 1}) == "echo 1"
    with pytest.raises(TypeError):
        format_per_host("echo %s %s", ("a",))
    with pytest.raises(KeyError):
        format_per_host("echo %(y)s", {"x": 1})


def test_dedupe_key():
    output = {}
    for host in ["a", "a", "b", "a", "a_1"]:
        output[dedupe_key(host, output)] = host
    assert list(output) == ["a", "a_1", "b", "a_2", "a_1_1"]


def test_eagain_is_named_only_in_the_helper():
    root = pathlib.Path(pssh.__file__).parent
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if "LIBSSH2_ERROR_EAGAIN" in path.read_text() and path.name != "_eagain.py"
    ]
    assert offenders == []


def test_retry_policy_gives_up_at_once_on_final_errors():
    class Retried(Exception):
        pass

    class Final(Retried):
        pass

    calls = []

    def fail():
        calls.append(1)
        raise Final("no retry helps")

    with pytest.raises(Final):
        RetryPolicy(3, 0).call(fail, retry_on=(Retried,), give_up_on=(Final,))
    assert calls == [1]
