"""Fleet operations on both clients, against a mixed fleet of real sshd hosts.

The fleet (one private sshd serving 127.0.0.70-75, plus 127.0.0.1):

========== ===============================================================
.70 - .72  good: print ``hello`` and exit 0
.73        runs, prints ``hello`` then exits 3 (its ``host_args`` entry)
.74        wrong password (``host_config``), no key: ``auth``
.75        its known_hosts entry is another key: ``host_key``
127.0.0.1  a refused port (``host_config``): ``unreachable``
========== ===============================================================

Each host that runs the command also creates ``<remote_dir>/ran-<host>``, so a
test can tell which hosts ran it (the servers share this machine's disk).
"""

from __future__ import annotations

import os
import socket

import pytest
from backends import PARALLEL

from pssh.exceptions import NotStartedError
from pssh.summary import gather, summarize

pytestmark = pytest.mark.integration

GOOD = ["127.0.0.70", "127.0.0.71", "127.0.0.72"]
FAILS, WRONG_PASSWORD, MISMATCH, REFUSED = "127.0.0.73", "127.0.0.74", "127.0.0.75", "127.0.0.1"
HOSTS = [*GOOD, FAILS, WRONG_PASSWORD, MISMATCH, REFUSED]
COMMAND = "echo hello; touch %s/ran-%s; exit %s"


def refused_port() -> int:
    """A port nothing listens on (bound, then closed, by us)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Fleet:
    def __init__(self, family, group, remote_dir, tmp_path):
        cfg = group.config()
        self.family, self.cfg, self.remote_dir = family, cfg, remote_dir
        known = tmp_path / "known_hosts"
        with open(cfg.known_hosts) as fh:
            lines = [line for line in fh if not line.startswith(f"[{MISMATCH}]")]
        with open(cfg.pkey_pub) as fh:
            lines.append(f"[{MISMATCH}]:{cfg.port} {' '.join(fh.read().split()[:2])}\n")
        known.write_text("".join(lines))
        self.known_hosts = str(known)
        self.host_config = {host: {"private_key": cfg.pkey} for host in HOSTS}
        self.host_config[WRONG_PASSWORD] = {"password": "wrong password"}
        self.host_config[REFUSED] = {"port": refused_port()}
        self.clients = []

    def client(self, hosts=HOSTS):
        client = PARALLEL[self.family](
            list(hosts), user=self.cfg.user, port=self.cfg.port, pkey=None, allow_agent=False,
            num_retries=1, retry_delay=0, timeout=20, host_config=self.host_config,
            known_hosts=self.known_hosts, host_key_policy="strict", ssh_config="none",
        )  # fmt: skip
        self.clients.append(client)
        return client

    def host_args(self, hosts=HOSTS):
        return [(self.remote_dir, host, 3 if host == FAILS else 0) for host in hosts]

    def ran(self):
        """The hosts that ran the command since the last call (markers removed)."""
        names = sorted(name[4:] for name in os.listdir(self.remote_dir) if name.startswith("ran-"))
        for name in names:
            os.remove(os.path.join(self.remote_dir, "ran-" + name))
        return names

    def close(self):
        for client in self.clients:
            for host_client in list(client.host_clients.values()):
                host_client.disconnect()


@pytest.fixture
def fleet(family, sshd_factory, remote_dir, tmp_path):
    made = Fleet(family, sshd_factory(6, first="127.0.0.70"), remote_dir, tmp_path)
    yield made
    made.close()


def run_all(fleet):
    client = fleet.client()
    output = client.run_command(
        COMMAND, host_args=fleet.host_args(), stop_on_errors=False, use_pty=False
    )
    client.join(output)
    return client, output


# -- summarize -------------------------------------------------------------------------


def test_summary_names_each_cause(fleet):
    _, output = run_all(fleet)
    summary = summarize(output)
    assert summary.succeeded == GOOD
    assert summary.failed == {
        FAILS: "exit", WRONG_PASSWORD: "auth", MISMATCH: "host_key", REFUSED: "unreachable",
    }  # fmt: skip
    assert list(summary.failed) == [FAILS, WRONG_PASSWORD, MISMATCH, REFUSED]  # output order
    assert summary.failed[FAILS].exit_code == 3
    assert summary.failed[WRONG_PASSWORD].exception is output[WRONG_PASSWORD].exception
    assert summary.counts == {"unreachable": 1, "auth": 1, "host_key": 1, "exit": 1}
    assert summary.stopped_batch is None and not summary.ok
    assert (
        summary.lines()[0] == "7 hosts: 3 ok, 4 failed (1 unreachable, 1 auth, 1 host_key, 1 exit)"
    )
    assert fleet.ran() == [*GOOD, FAILS]


# -- gather ----------------------------------------------------------------------------


def test_gather_groups_identical_results_largest_first(fleet):
    _, output = run_all(fleet)  # output not read yet: gather reads it
    groups = gather(output)
    assert groups[0].label == "127.0.0.[70-72]" and groups[0].hosts == GOOD
    assert groups[0].stdout == ["hello"] and groups[0].exit_code == 0 and groups[0].diff is None
    by_host = {group.hosts[0]: group for group in groups[1:]}
    assert sorted(by_host) == sorted([FAILS, WRONG_PASSWORD, MISMATCH, REFUSED])
    failed = by_host[FAILS]
    assert failed.label == FAILS and failed.stdout == ["hello"] and failed.exit_code == 3
    assert failed.diff[:2] == ["--- 127.0.0.[70-72]", f"+++ {FAILS}"]
    assert "-[exit 0]" in failed.diff and "+[exit 3]" in failed.diff
    assert " hello" in failed.diff  # the common line is context
    assert by_host[WRONG_PASSWORD].cause == "auth" and by_host[WRONG_PASSWORD].stdout == []
    assert "<host>" in by_host[REFUSED].message and REFUSED not in by_host[REFUSED].message
    # the lines gather read are still there to read, once, as usual
    assert list(output[GOOD[0]].stdout) == ["hello"]
    assert list(output[FAILS].stdout) == ["hello"]


# -- batches ---------------------------------------------------------------------------


def test_budget_stops_after_the_first_batch(fleet):
    client = fleet.client([FAILS, *GOOD])  # the first batch fails
    output = client.run_in_batches(
        COMMAND, batches=(1, 2, "100%"), max_failures=0,
        host_args=fleet.host_args([FAILS, *GOOD]), use_pty=False,
    )  # fmt: skip
    assert list(output) == [FAILS, *GOOD]  # every host, in host order
    assert fleet.ran() == [FAILS]  # nothing ran on (or connected to) the others
    assert output[FAILS].exit_code == 3
    for position, host in enumerate(GOOD):
        exc = output[host].exception
        assert isinstance(exc, NotStartedError) and exc.host == host
        assert exc.batch == (2 if position == 0 else 3)
        assert host not in client.host_clients
    assert output.batches == [[FAILS], [GOOD[0]], GOOD[1:]]
    assert output.stopped_batch == 1
    summary = summarize(output)
    assert summary.failed == {FAILS: "exit", **{host: "not_started" for host in GOOD}}
    assert summary.stopped_batch == 1 and summary.batches == 3
    assert "rollout stopped after batch 1 of 3" in summary.lines()[0]


def test_budget_in_percent_lets_the_rollout_go_on(fleet):
    hosts = [*GOOD, FAILS, WRONG_PASSWORD]
    client = fleet.client(hosts)
    output = client.run_in_batches(
        COMMAND, batches=("20%", "60%"), max_failures="50%",
        host_args=fleet.host_args(hosts), use_pty=False,
    )  # fmt: skip
    # batches of 1, 3, 5 hosts done: 0/1, 0/3 failed, then the last batch runs whatever it gives
    assert output.batches == [GOOD[:1], GOOD[1:], [FAILS, WRONG_PASSWORD]]
    assert output.stopped_batch is None
    assert fleet.ran() == [*GOOD, FAILS]
    assert summarize(output).failed == {FAILS: "exit", WRONG_PASSWORD: "auth"}


def test_budget_counts_failures_of_every_batch_so_far(fleet):
    hosts = [WRONG_PASSWORD, *GOOD[:2], FAILS, GOOD[2]]
    client = fleet.client(hosts)
    output = client.run_in_batches(
        COMMAND, batches=(1, 4), max_failures=1, host_args=fleet.host_args(hosts), use_pty=False
    )
    assert output.stopped_batch == 2  # 1 failure after batch 1 is within budget, 2 are not
    assert isinstance(output[GOOD[2]].exception, NotStartedError)
    assert fleet.ran() == [*GOOD[:2], FAILS]


def test_a_batch_still_running_after_join_timeout_counts_as_failed(fleet):
    client = fleet.client(GOOD)
    output = client.run_in_batches(
        "sleep %s; touch %s/ran-%s", batches=(1,), join_timeout=1, use_pty=False,
        host_args=[(15 if host == GOOD[0] else 0, fleet.remote_dir, host) for host in GOOD],
    )  # fmt: skip
    assert output.stopped_batch == 1
    assert summarize(output).failed == {
        GOOD[0]: "timeout", GOOD[1]: "not_started", GOOD[2]: "not_started",
    }  # fmt: skip
    assert fleet.ran() == []


def test_bad_plans_fail_before_anything_runs(fleet):
    client = fleet.client(GOOD)
    for kwargs in ({"batches": ()}, {"batches": ("0%",)}, {"max_failures": "-1"}):
        with pytest.raises(ValueError):
            client.run_in_batches(COMMAND, host_args=fleet.host_args(GOOD), **kwargs)
    assert client.host_clients == {} and fleet.ran() == []


# -- rerun -----------------------------------------------------------------------------


def test_rerun_touches_only_the_failed_hosts(fleet):
    client, output = run_all(fleet)
    assert fleet.ran() == [*GOOD, FAILS]
    again = client.rerun(output)
    client.join(again)
    assert list(again) == [FAILS, WRONG_PASSWORD, MISMATCH, REFUSED]
    assert fleet.ran() == [FAILS]  # with its own host_args entry
    assert again[FAILS].exit_code == 3 and list(again[FAILS].stdout) == ["hello"]
    assert summarize(again).failed == summarize(output).failed


def test_rerun_of_a_stopped_rollout_runs_the_hosts_never_started(fleet):
    hosts = [FAILS, *GOOD]
    client = fleet.client(hosts)
    output = client.run_in_batches(
        COMMAND, batches=(1,), host_args=fleet.host_args(hosts), use_pty=False
    )
    assert fleet.ran() == [FAILS]
    again = client.rerun(output, use_pty=False)
    client.join(again)
    assert list(again) == hosts
    assert fleet.ran() == sorted(hosts)
    assert summarize(again).succeeded == GOOD


def test_rerun_all_and_nothing_failed(fleet):
    client = fleet.client(GOOD)
    output = client.run_command(COMMAND, host_args=fleet.host_args(GOOD), use_pty=False)
    client.join(output)
    fleet.ran()
    assert client.rerun(output) == {}
    assert fleet.ran() == []
    again = client.rerun(output, failed_only=False)
    client.join(again)
    assert fleet.ran() == GOOD and summarize(again).succeeded == GOOD


def test_rerun_refuses_an_output_it_did_not_make(fleet):
    _, output = run_all(fleet)
    with pytest.raises(ValueError, match=FAILS):
        fleet.client().rerun(output)


# -- a list host_config, read by position in every batch and rerun ----------------------


def by_position_client(fleet, hosts):
    """A client whose 2.x ``host_config`` list gives the first host the servers' port and
    the second a refused one: which entry a host got shows in whether it connects."""
    from pssh.config import HostConfig

    cfg = fleet.cfg
    client = PARALLEL[fleet.family](
        hosts, user=cfg.user, pkey=None, allow_agent=False, num_retries=1, retry_delay=0,
        timeout=20, known_hosts=fleet.known_hosts, host_key_policy="strict", ssh_config="none",
        host_config=[HostConfig(port=cfg.port, private_key=cfg.pkey),
                     HostConfig(port=refused_port(), private_key=cfg.pkey)],
    )  # fmt: skip
    fleet.clients.append(client)
    return client


def test_batches_read_a_host_config_list_by_position(fleet):
    hosts = [GOOD[0], GOOD[1]]
    client = by_position_client(fleet, hosts)
    output = client.run_in_batches(
        COMMAND, batches=(1, 2), max_failures=1, host_args=fleet.host_args(hosts), use_pty=False
    )
    assert output.batches == [[GOOD[0]], [GOOD[1]]]
    assert output[GOOD[0]].exit_code == 0
    # the second batch's host is still the list's second entry (its refused port)
    assert summarize(output).failed == {GOOD[1]: "unreachable"}
    assert fleet.ran() == [GOOD[0]]


def test_a_host_named_twice_keeps_its_entry_in_batches_and_reruns(fleet):
    hosts = [GOOD[0], GOOD[0]]
    client = by_position_client(fleet, hosts)
    output = client.run_in_batches(
        COMMAND, batches=(1, 2), max_failures=1, host_args=fleet.host_args(hosts), use_pty=False
    )
    key = GOOD[0] + "_1"
    assert list(output) == [GOOD[0], key]
    assert output[GOOD[0]].exit_code == 0
    assert summarize(output).failed == {key: "unreachable"}
    assert fleet.ran() == [GOOD[0]]
    again = client.rerun(output)
    client.join(again)
    assert list(again) == [GOOD[0]]  # the host, rerun with its second entry: refused again
    assert summarize(again).failed == {GOOD[0]: "unreachable"}
    assert fleet.ran() == []


# -- callbacks start with each host, not in host order ---------------------------------


def test_a_host_slow_to_connect_does_not_hold_back_the_others_lines(family, fleet):
    """The first host takes the connection and never answers (it fails after the
    client's 5 s timeout); the second host's line is handed out while the first is still
    connecting, not after it failed."""
    cfg = fleet.cfg
    # Listening is enough: the kernel completes the connection, which then never gets a
    # banner (nothing accepts it).
    listener = socket.socket()
    listener.bind(("127.0.0.60", 0))
    listener.listen(8)
    silent = "127.0.0.60"
    events = []
    try:
        client = PARALLEL[family](
            [silent, GOOD[0]], user=cfg.user, port=cfg.port, pkey=cfg.pkey, allow_agent=False,
            num_retries=1, retry_delay=0, timeout=5, known_hosts=fleet.known_hosts,
            host_key_policy="strict", ssh_config="none",
            host_config={silent: {"port": listener.getsockname()[1]}},
        )  # fmt: skip
        fleet.clients.append(client)
        output = client.run_command(
            "echo hello", stop_on_errors=False,
            on_line=lambda host, stream, line: events.append(("line", host, line)),
            on_finished=lambda out: events.append(("finished", out.host)),
        )  # fmt: skip
        client.join(output)
    finally:
        listener.close()
    assert output[silent].exception is not None
    assert ("line", GOOD[0], "hello") in events and ("finished", silent) in events
    assert events.index(("line", GOOD[0], "hello")) < events.index(("finished", silent))
    assert events.count(("finished", silent)) == 1 and events.count(("finished", GOOD[0])) == 1


def test_on_started_comes_once_per_host_before_its_end_and_can_feed_stdin(family, fleet):
    hosts = [GOOD[0], GOOD[1], REFUSED]
    client = fleet.client(hosts)
    events = []

    def started(host_out):
        events.append(("started", host_out.host, host_out.exception is None))
        if host_out.stdin is not None:  # its input, as soon as this host runs
            host_out.stdin.write("from on_started\n")
            host_out.stdin.close()

    output = client.run_command(
        "read line; echo got $line", stop_on_errors=False, use_pty=False, on_started=started,
        on_finished=lambda out: events.append(("finished", out.host)),
    )  # fmt: skip
    client.join(output)
    for host in hosts:
        assert events.count(("finished", host)) == 1
        [start] = [e for e in events if e[0] == "started" and e[1] == host]
        assert events.index(start) < events.index(("finished", host))
    assert ("started", REFUSED, False) in events and ("started", GOOD[0], True) in events
    for host in GOOD[:2]:
        assert list(output[host].stdout) == ["got from on_started"]
        assert output[host].exit_code == 0
    assert summarize(output).failed == {REFUSED: "unreachable"}


def test_an_on_started_error_is_raised_by_run_command(fleet):
    client = fleet.client(GOOD[:1])

    def broken(host_out):
        raise RuntimeError("callback bug")

    with pytest.raises(RuntimeError, match="callback bug"):
        client.run_command("true", on_started=broken)
    with pytest.raises(TypeError, match="on_started"):
        client.run_command("true", on_started="not callable")
