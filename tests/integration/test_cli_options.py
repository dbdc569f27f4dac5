"""The options people bring from classic ``pssh``/``parallel-ssh`` and from ClusterShell's
``clush``, one test per option family, as subprocess runs against the real sshd: what
reaches stdout and stderr, and the exit status.
"""

from __future__ import annotations

import os
import re

import pytest
from embedded_server.openssh import ServerConfig
from test_cli import UNREACHABLE, WHOAMI, login, pssh, summary

pytestmark = pytest.mark.integration

ODD = "127.0.0.5"
# "same" everywhere but on ODD, which says "other" and exits 3; every host writes to stderr
SPLIT = (f'set -- $SSH_CONNECTION; echo "warn $3" >&2; if [ "$3" = {ODD} ]; then '
         "echo other; exit 3; fi; echo same")  # fmt: skip


# -- classic pssh ----------------------------------------------------------------------


def test_print_as_it_arrives_with_outdir(sshd: ServerConfig, tmp_path) -> None:  # type: ignore[no-untyped-def]
    outdir = tmp_path / "out"
    res = pssh("-P", "-o", str(outdir), "-H", "127.0.0.[2-3]", *login(sshd), "--", WHOAMI)
    assert res.returncode == 0, res.stderr
    assert sorted(res.stdout.splitlines()) == ["127.0.0.2: ip=127.0.0.2", "127.0.0.3: ip=127.0.0.3"]
    assert (outdir / "127.0.0.2").read_text() == "ip=127.0.0.2\n"


def test_ssh_options_with_capital_o(sshd: ServerConfig) -> None:
    res = pssh("-H", sshd.host, "-O", f"User={sshd.user}", "-O", f"Port={sshd.port}",
               "-O", f"IdentityFile={sshd.pkey}", "-O", "StrictHostKeyChecking=no",
               "-O", "ConnectTimeout=5", "-O", "ServerAliveInterval=30", "--no-agent",
               "--", "echo via -O")  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert res.stdout == f"{sshd.host}: via -O\n"
    # a dedicated option wins over -O, as a flag wins over ssh_config
    res = pssh("-H", sshd.host, *login(sshd), "-O", "User=nosuchuser", "--", "true")
    assert res.returncode == 0, res.stderr


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("LocalForward=8080 localhost:80", "-O LocalForward: not an OpenSSH option pssh can"),
        ("Port=http", "-O Port=http: not a port number"),
        ("StrictHostKeyChecking=maybe", "expected yes, accept-new or no"),
        ("User", "expected OPTION=VALUE"),
    ],
)
def test_ssh_options_pssh_cannot_carry_out_are_usage_errors(option: str, message: str) -> None:
    res = pssh("-H", "127.0.0.2", "-O", option, "--", "true")
    assert res.returncode == 3
    assert res.stdout == ""
    assert res.stderr == f"pssh: error: {res.stderr.split('pssh: error: ', 1)[1]}"
    assert message in res.stderr, res.stderr


def test_extra_ssh_arguments(sshd: ServerConfig) -> None:
    extra = f"-l {sshd.user} -p {sshd.port} -i {sshd.pkey} -o ConnectTimeout=5 -q -T"
    res = pssh("-H", sshd.host, "-x", extra, "--no-agent", "--", "echo via -x")
    assert res.returncode == 0, res.stderr
    assert res.stdout == f"{sshd.host}: via -x\n"
    # -X: one word at a time, the way classic pssh takes it (a value may start with -)
    res = pssh("-H", sshd.host, "-X", "-o", "-X", f"User={sshd.user}", "-X", f"-p{sshd.port}",
               "-k", sshd.pkey, "--no-agent", "--", "echo", "-X", "kept")  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert res.stdout == f"{sshd.host}: -X kept\n"  # the command's own -X is left alone
    bad = pssh("-H", sshd.host, "-x", "-L 8080:localhost:80", "--", "true")
    assert bad.returncode == 3
    assert "-x: ssh argument '-L' is not one pssh can carry out" in bad.stderr


def test_timeout_zero_means_no_limit(sshd: ServerConfig) -> None:
    res = pssh("-t", "0", "-H", sshd.host, *login(sshd), "--", "sleep 1.5; echo done")
    assert res.returncode == 0, res.stderr
    assert res.stdout == f"{sshd.host}: done\n"
    bad = pssh("-t", "-1", "-H", sshd.host, "--", "true")
    assert bad.returncode == 3 and "must be 0 (no limit) or more" in bad.stderr


# -- clush -----------------------------------------------------------------------------


def test_nodes_exclude_and_fanout(sshd: ServerConfig) -> None:
    res = pssh("-w", "127.0.0.[2-5]", "--exclude", "127.0.0.[3-4]", "-f", "1", *login(sshd),
               "--", WHOAMI)  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert sorted(res.stdout.splitlines()) == ["127.0.0.2: ip=127.0.0.2", "127.0.0.5: ip=127.0.0.5"]
    listed = pssh("-w", "web[1-5]", "--exclude", "web[2-3]", "--list-hosts")
    assert listed.stdout == "web1\nweb4\nweb5\n"


def test_no_prefix(sshd: ServerConfig) -> None:
    res = pssh("-N", "-H", "127.0.0.[2-3]", *login(sshd), "--", WHOAMI + "; echo e >&2")
    assert res.returncode == 0, res.stderr
    assert sorted(res.stdout.splitlines()) == ["ip=127.0.0.2", "ip=127.0.0.3"]
    assert res.stderr.splitlines()[:2] == ["e", "e"]


def test_largest_exit_code(sshd: ServerConfig) -> None:
    command = 'set -- $SSH_CONNECTION; exit "${3##*.}"'  # exits with the address's last number
    res = pssh("-S", "-H", "127.0.0.[2-4]", *login(sshd), "--", command)
    assert res.returncode == 4, res.stderr
    ok = pssh("-S", "-H", "127.0.0.[2-4]", *login(sshd), "--", "true")
    assert ok.returncode == 0
    down = pssh("-S", "-H", f"127.0.0.2 {UNREACHABLE}", *login(sshd), "--", "exit 7")
    assert down.returncode == 255  # a host that ran nothing counts as ssh's 255


def test_gather_with_stderr(sshd: ServerConfig) -> None:
    res = pssh("-B", "-H", "127.0.0.[2-5]", *login(sshd), "--", SPLIT)
    assert res.returncode == 1
    # stderr differs on every host, so with -B (stderr compared) every host is its own group
    assert res.stdout.count("==> ") == 4
    for host in sshd.hosts:
        assert f"{host}: warn {host}\n" in res.stderr  # stderr lines carry their host


def test_gather_stdout_only(sshd: ServerConfig) -> None:
    res = pssh("-b", "-H", "127.0.0.[2-5]", *login(sshd), "--", SPLIT)
    assert res.returncode == 1
    assert res.stdout.split("\n\n") == [
        "==> 127.0.0.[2-4] (3) <== ok\nsame",
        f"==> {ODD} (1) <== exit 3\nother\n",
    ]
    for host in sshd.hosts:
        assert f"{host}: warn {host}\n" in res.stderr
    assert summary(res.stderr) == "4 hosts: 3 ok, 1 failed (1 non-zero exit)"


def test_gather_prefixes_stderr_with_the_group(sshd: ServerConfig) -> None:
    res = pssh("-g", "-H", "127.0.0.[2-5]", *login(sshd), "--", "echo same; echo err >&2")
    assert res.returncode == 0, res.stderr
    assert res.stdout == "==> 127.0.0.[2-5] (4) <== ok\nsame\n"
    assert res.stderr.startswith("127.0.0.[2-5]: err\n")


def test_inline_prefixes_stderr_with_the_host(sshd: ServerConfig) -> None:
    res = pssh("-i", "-H", "127.0.0.[2-3]", *login(sshd), "--", WHOAMI + '; echo "e $3" >&2')
    assert res.returncode == 0, res.stderr
    for host in ("127.0.0.2", "127.0.0.3"):
        assert f"{host}: e {host}\n" in res.stderr


def test_diff_against_the_largest_group(sshd: ServerConfig) -> None:
    command = f'set -- $SSH_CONNECTION; echo one; [ "$3" = {ODD} ] && echo two || echo TWO'
    res = pssh("--diff", "-H", "127.0.0.[2-5]", *login(sshd), "--", command)
    assert res.returncode == 0, res.stderr
    blocks = res.stdout.split("\n\n")
    assert blocks[0] == "==> 127.0.0.[2-4] (3) <== ok\none\nTWO"
    assert blocks[1].splitlines() == [
        f"==> {ODD} (1) <== ok",
        "--- 127.0.0.[2-4]",
        f"+++ {ODD}",
        "@@ -1,3 +1,3 @@",
        " one",
        "-TWO",
        "+two",
        " [exit 0]",
    ]


# -- names, errors, help ---------------------------------------------------------------


def test_same_host_under_two_users_is_a_usage_error() -> None:
    res = pssh("-H", "alice@127.0.0.2 bob@127.0.0.2", "--", "true")
    assert res.returncode == 3
    assert "alice@127.0.0.2 and bob@127.0.0.2 are the same host" in res.stderr


def test_help_shows_the_classic_and_clush_spellings() -> None:
    res = pssh("--help")
    assert res.returncode == 0
    for needle in ("-P, --print", "-O OPTION=VALUE", "-x ARGS", "-X ARG", "-w", "--exclude NODES",
                   "-N, --no-prefix", "-S, --largest-exit", "-b, --gather-stdout", "-B",
                   "--diff", "--fanout N", "-v, --verbose", "--cancel-on-timeout"):  # fmt: skip
        assert needle in res.stdout, needle
    assert re.search(r"^\s+-S\s", res.stdout, re.M)  # the exit status section names -S


def test_batches_with_cancel_on_timeout(sshd: ServerConfig, remote_dir: str) -> None:
    """A batch's commands still running at -t are stopped before the budget is checked."""
    flag = os.path.join(remote_dir, "second-batch-ran")
    command = (f'set -- $SSH_CONNECTION; if [ "$3" = 127.0.0.2 ]; then sleep 30; '
               f"else touch {flag}; fi")  # fmt: skip
    res = pssh("-t", "1", "--cancel-on-timeout", "--batches", "1,100%", "-H", "127.0.0.[2-3]",
               *login(sshd), "--", command)  # fmt: skip
    assert res.returncode == 1
    assert summary(res.stderr) == (
        "2 hosts: 0 ok, 2 failed (1 timed out, 1 not started)"
        " - rollout stopped after batch 1 of 2 (--max-failures)"
    )
    assert "pssh: 127.0.0.2: timed out: still running after 1s; sent SIGTERM" in res.stderr
    assert not os.path.exists(flag)


def test_outdir_file_that_cannot_be_written(sshd: ServerConfig, tmp_path) -> None:  # type: ignore[no-untyped-def]
    outdir = tmp_path / "out"
    (outdir / "127.0.0.2").mkdir(parents=True)  # where the host's file should go
    res = pssh("-P", "-o", str(outdir), "-H", "127.0.0.[2-3]", *login(sshd), "--", "echo hi")
    assert res.returncode == 1
    assert "Traceback" not in res.stderr
    assert sorted(res.stdout.splitlines()) == ["127.0.0.2: hi", "127.0.0.3: hi"]
    assert res.stderr.count("pssh: 127.0.0.2: cannot write output: ") == 1, res.stderr
    assert summary(res.stderr) == "2 hosts: 1 ok, 1 failed (1 error)"
    assert (outdir / "127.0.0.3").read_text() == "hi\n"


def test_send_input_in_every_batch(sshd: ServerConfig) -> None:
    res = pssh("-I", "--batches", "1,100%", "-H", "127.0.0.[2-3]", *login(sshd), "--",
               "tr a-z A-Z", input="hello\n")  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == ["127.0.0.2: HELLO", "127.0.0.3: HELLO"]  # batch order
    # without -I a command reading its input ends at once in every batch too
    res = pssh("--batches", "1,100%", "-H", "127.0.0.[2-3]", *login(sshd), "--", "cat; echo end")
    assert res.stdout.splitlines() == ["127.0.0.2: end", "127.0.0.3: end"], res.stderr
