"""pssh.summary on synthetic outputs: causes by exception class, gathering, diffs, re-reading."""

from __future__ import annotations

import pytest

from pssh._batches import BatchOutput
from pssh.exceptions import (
    AuthenticationException,
    ConnectionErrorException,
    HostKeyMismatchError,
    NotStartedError,
    ProxyError,
    SessionError,
    Timeout,
    UnknownHostException,
    UnknownHostKeyError,
)
from pssh.output import HostOutput
from pssh.summary import Cause, Record, gather, group, render, summarize


def ran(host, stdout=(), stderr=(), exit_code=0):
    return HostOutput(host, None, object(), iter(stdout), iter(stderr), None, exit_code=exit_code)


def failed(host, exc, started=False):
    return HostOutput(host, None, object() if started else None, None, None, None, exception=exc)


@pytest.mark.parametrize(
    ("exc", "started", "cause"),
    [
        (ConnectionErrorException("Error connecting to host %s", "h"), False, "unreachable"),
        (ConnectionErrorException("Connection to host %s lost", "h"), True, "error"),
        (UnknownHostException("Unknown host %s", "h"), False, "unreachable"),
        (ProxyError("proxy down"), False, "unreachable"),
        (Timeout("Timed out connecting"), False, "unreachable"),
        (Timeout("No output for 5 seconds"), True, "timeout"),
        (AuthenticationException("auth"), False, "auth"),
        (HostKeyMismatchError("changed"), False, "host_key"),
        (UnknownHostKeyError("unknown"), False, "host_key"),
        (SessionError("channel refused"), False, "error"),
        (ConnectionRefusedError(111, "refused"), False, "unreachable"),
        (RuntimeError("bug"), True, "error"),
        (NotStartedError("not started %s", "h", 2, host="h"), False, "not_started"),
    ],
)
def test_causes_by_exception_class(exc, started, cause) -> None:
    summary = summarize({"h": failed("h", exc, started)})
    assert summary.failed == {"h": cause}
    assert summary.failed["h"].exception is exc
    assert summary.counts == {cause: 1} and summary.succeeded == []


def test_exit_codes_and_counts_in_cause_order() -> None:
    output = {
        "a": ran("a"), "b": ran("b", exit_code=3), "c": failed("c", AuthenticationException("x")),
        "d": ran("d", exit_code=1), "e": failed("e", ConnectionErrorException("x")),
    }  # fmt: skip
    summary = summarize(output)
    assert summary.succeeded == ["a"]
    assert summary.failed["b"] == "exit" and summary.failed["b"].exit_code == 3
    assert repr(summary.failed["b"]) == "Cause('exit', exit_code=3)"
    assert list(summary.counts.items()) == [("unreachable", 1), ("auth", 1), ("exit", 2)]
    assert summary.hosts("exit") == ["b", "d"]
    assert summary.lines() == [
        "5 hosts: 1 ok, 4 failed (1 unreachable, 1 auth, 2 exit)",
        "  unreachable: e", "  auth: c", "  exit: b,d",
    ]  # fmt: skip
    with pytest.raises(ValueError):
        Cause("nope")


def test_a_command_without_exit_code_counts_as_timeout() -> None:
    assert summarize({"a": ran("a", exit_code=None)}).failed == {"a": "timeout"}


def test_batch_output_tells_where_the_rollout_stopped() -> None:
    output = BatchOutput(a=ran("a", exit_code=1), b=failed("b", NotStartedError("x", host="b")))
    output.batches, output.stopped_batch = [["a"], ["b"]], 1
    summary = summarize(output)
    assert summary.stopped_batch == 1 and summary.batches == 2
    assert summary.lines()[0].endswith("; rollout stopped after batch 1 of 2")


def test_gather_groups_largest_first_with_folded_names_and_diffs() -> None:
    output = {f"web{n:02d}": ran(f"web{n:02d}", ["v1", "ok"]) for n in range(1, 21)}
    output["web33"] = ran("web33", ["v1", "ok"])
    output["db1"] = ran("db1", ["v2", "ok"], ["warn"], exit_code=2)
    output["db2"] = failed("db2", ConnectionErrorException("Error connecting to host %s", "db2"))
    output["db3"] = failed("db3", ConnectionErrorException("Error connecting to host %s", "db3"))
    groups = gather(output)
    assert [g.label for g in groups] == ["web[01-20,33]", "db[2-3]", "db1"]
    assert groups[0].stdout == ["v1", "ok"] and groups[0].diff is None
    assert (
        groups[1].cause == "unreachable" and groups[1].message == "Error connecting to host <host>"
    )
    assert groups[2].diff == [
        "--- web[01-20,33]", "+++ db1", "@@ -1,3 +1,4 @@",
        "-v1", "+v2", " ok", "-[exit 0]", "+[stderr] warn", "+[exit 2]",
    ]  # fmt: skip
    # read once by gather, readable once more afterwards
    assert list(output["db1"].stdout) == ["v2", "ok"] and list(output["db1"].stderr) == ["warn"]
    assert list(output["db1"].stdout) == []
    assert [g.label for g in gather({k: output[k] for k in ("db2", "db3")})] == ["db[2-3]"]


def test_gather_regathers_and_takes_lists() -> None:
    output = {
        "a": ran("a", ["x"]),
        "b": HostOutput("b", None, object(), ["x"], [], None, exit_code=0),
    }
    assert [g.hosts for g in gather(output)] == [["a", "b"]]
    assert [g.hosts for g in gather(output)] == [["a", "b"]]  # iterators were put back
    assert output["b"].stdout == ["x"]  # a list is read, not replaced


def test_gather_timeout_names_the_hosts_still_running() -> None:
    import gevent

    def slow():
        yield "first"
        gevent.sleep(30)
        yield "never"

    output = {"quick": ran("quick", ["x"]), "slow": ran("slow", slow(), exit_code=None)}
    with pytest.raises(Timeout, match="slow") as info:
        gather(output, timeout=0.5)
    assert info.value.host == "slow"
    assert list(output["slow"].stdout) == ["first"] and list(output["quick"].stdout) == ["x"]


def test_group_and_render_on_records() -> None:
    records = [
        Record("a", ["x"], [], 0),
        Record("b", ["x"], [], 0),
        Record("c", [], [], None, "auth", "denied"),
    ]
    groups = group(records)
    assert [g.label for g in groups] == ["a,b", "c"]
    assert render(groups[1]) == ["[auth: denied]"]
    assert group([]) == []


# every row of the failure table (pssh.clients._failures) has its cause
TABLE_CAUSES = {
    # kind: (started, cause)
    "REFUSED": (False, "unreachable"),
    "UNREACHABLE": (False, "unreachable"),
    "UNKNOWN_NAME": (False, "unreachable"),
    "AUTH": (False, "auth"),
    "HOST_KEY_MISMATCH": (False, "host_key"),
    "CONNECT_TIMEOUT": (False, "unreachable"),
    "READ_TIMEOUT": (True, "timeout"),
    "CONNECTION_LOST": (True, "error"),
    "REMOTE_MISSING": (True, "error"),
    "REMOTE_DENIED": (True, "error"),
    "REMOTE_IO": (True, "error"),
    "SFTP": (True, "error"),
    "CHANNEL": (False, "error"),
    "PROTOCOL": (False, "unreachable"),
    "LOCAL_DISK": (True, "error"),
    "PROXY_DOWN": (False, "unreachable"),
}


def test_every_row_of_the_failure_table_has_a_cause() -> None:
    from pssh.clients._failures import TABLE
    from pssh.summary import exception_cause

    assert {row.kind.name for row in TABLE} == set(TABLE_CAUSES)
    for row in TABLE:
        started, cause = TABLE_CAUSES[row.kind.name]
        exc = row.exception(2, "x") if row.exception is OSError else row.exception("x")
        assert exception_cause(exc, started) == cause, row.kind
