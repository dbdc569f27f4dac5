"""The ``pssh`` command, run as a subprocess against the embedded OpenSSH servers.

Every test starts ``python -m pssh`` (one also the installed ``pssh`` script) with a
timeout, and checks what a person or a script sees: stdout, stderr, exit status and
files. Terminal behaviour (password prompt, progress line, colour) runs under a
pseudo-terminal made with :func:`pty.fork`.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Sequence

import pytest
from embedded_server.openssh import ServerConfig

pytestmark = pytest.mark.integration

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
UNREACHABLE = "127.0.0.9"  # nothing listens there on the servers' port: connection refused
# Prints the address the client connected to (SSH_CONNECTION's third field).
WHOAMI = 'set -- $SSH_CONNECTION; echo "ip=$3"'


def pssh_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SSH_", "PSSH_"))}
    env.pop("NO_COLOR", None)
    env.update(extra)
    return env


def login(sshd: ServerConfig) -> list[str]:
    return ["-l", sshd.user, "--port", str(sshd.port), "-k", sshd.pkey, "--no-agent"]


def pssh(
    *args: str, input: str | None = None, timeout: float = 120, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    # Either input or stdin, never both keywords: once the miko client is imported in this
    # process, subprocess is gevent's, which refuses the pair even when stdin is None.
    feed = {"input": input} if input is not None else {"stdin": subprocess.DEVNULL}
    return subprocess.run(
        [sys.executable, "-m", "pssh", *args], capture_output=True, text=True,
        timeout=timeout, env=env or pssh_env(), **feed,
    )  # fmt: skip


def in_pty(
    argv: Sequence[str], answer: bytes | None = None, prompt: bytes = b"Password:",
    env: dict[str, str] | None = None, timeout: float = 120,
) -> tuple[int, str]:  # fmt: skip
    """Run ``argv`` on a new pseudo-terminal (its controlling terminal, so /dev/tty works);
    type ``answer`` once ``prompt`` shows. Returns (exit status, everything the terminal got)."""
    pid, fd = pty.fork()
    if pid == 0:  # child
        try:
            os.execvpe(argv[0], list(argv), env or pssh_env())
        finally:
            os._exit(127)
    seen = bytearray()
    answered = answer is None
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if not ready:
                continue
            try:
                data = os.read(fd, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            seen += data
            if not answered and prompt in seen:
                os.write(fd, answer)  # type: ignore[arg-type]
                answered = True
        else:
            os.kill(pid, signal.SIGKILL)
            pytest.fail("timed out; terminal showed: %r" % bytes(seen))
    finally:
        os.close(fd)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), seen.decode("utf-8", "replace")


def summary(stderr: str) -> str:
    """The summary's first line (without the ``pssh: `` prefix)."""
    lines = [line for line in stderr.splitlines() if re.match(r"pssh: \d+ hosts?: ", line)]
    assert len(lines) == 1, stderr
    return lines[0][len("pssh: ") :]


# -- the command itself ------------------------------------------------------------------


def test_installed_console_script_and_module(sshd: ServerConfig) -> None:
    script = os.path.join(os.path.dirname(sys.executable), "pssh")
    res = subprocess.run(
        [script, "-H", sshd.host, *login(sshd), "--", "echo", "installed"],
        capture_output=True, text=True, timeout=120, env=pssh_env(), stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert res.stdout == f"{sshd.host}: installed\n"
    version = pssh("--version")
    assert version.returncode == 0
    assert version.stdout.startswith("pssh ")


def test_help_documents_options_and_exit_status() -> None:
    res = pssh("--help")
    assert res.returncode == 0
    text = res.stdout
    needles = ("-H", "-h FILE", "--inline", "--gather", "--json", "--outdir", "--errdir",
               "--failed-hosts", "--askpass", "--proxy", "--host-key-policy",
               "--connect-timeout", "--timeout", "--par", "exit status:", "web[01-20]",
               "--forward-agent")  # fmt: skip
    for needle in needles:
        assert needle in text, needle
    for status in ("0 ", "1 ", "2 ", "3 ", "130"):
        assert re.search(r"^\s+%s" % re.escape(status), text, re.M), status
    copy_help = pssh("copy", "--help")
    assert copy_help.returncode == 0
    assert ":REMOTE" in copy_help.stdout and "exit status:" in copy_help.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--", "true"], "no hosts"),
        (["-H", "web[3-1]", "true"], "goes backwards"),
        (["-H", "host"], "no command"),
        (["-h", "/nonexistent/hosts", "true"], "cannot read hosts file"),
        (["-H", "host", "-k", "/nonexistent/key", "true"], "no such key file"),
        (["-H", "host", "--bogus", "true"], "unrecognized arguments"),
        (["-H", "host", "-p", "0", "true"], "must be at least 1"),
        (["copy", "-H", "host", "a", "b"], "leading colon"),
    ],
)
def test_usage_errors_exit_3(args: list[str], message: str) -> None:
    res = pssh(*args)
    assert res.returncode == 3, res.stderr
    assert message in res.stderr
    assert res.stdout == ""


# -- output modes ---------------------------------------------------------------------


def test_live_mode_prefixes_lines_with_host(sshd: ServerConfig) -> None:
    res = pssh("-H", "127.0.0.[2-5]", *login(sshd), "--", WHOAMI + "; echo oops >&2")
    assert res.returncode == 0, res.stderr
    assert sorted(res.stdout.splitlines()) == [f"{h}: ip={h}" for h in sshd.hosts]
    for host in sshd.hosts:
        assert f"{host}: oops\n" in res.stderr
    assert not ANSI.search(res.stdout + res.stderr)  # no colour when not on a terminal
    assert summary(res.stderr) == "4 hosts: 4 ok"


def test_live_lines_are_not_held_back_by_a_slow_host(sshd: ServerConfig, remote_dir: str) -> None:
    """127.0.0.2 waits for a file that the test creates only after it has seen the
    other three hosts' lines: if pssh held lines back, this would never finish."""
    go = os.path.join(remote_dir, "go")
    command = (
        f'set -- $SSH_CONNECTION; if [ "$3" = {sshd.hosts[0]} ]; then '
        f'while [ ! -e {go} ]; do sleep 0.05; done; fi; echo "ip=$3"; echo done'
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "pssh", "-H", "127.0.0.[2-5]", *login(sshd), "--", command],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
        env=pssh_env(),
    )  # fmt: skip
    try:
        early = []
        while len(early) < 6:
            line = proc.stdout.readline()  # type: ignore[union-attr]
            assert line, "pssh ended early: %s" % proc.stderr.read()  # type: ignore[union-attr]
            early.append(line)
        assert not any(line.startswith(sshd.hosts[0] + ":") for line in early)
        with open(go, "w"):
            pass
        rest, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert rest.splitlines() == [f"{sshd.hosts[0]}: ip={sshd.hosts[0]}", f"{sshd.hosts[0]}: done"]


def test_inline_prints_each_host_as_one_block(sshd: ServerConfig) -> None:
    command = WHOAMI + '; sleep 0.2; echo "second $3"; echo "err $3" >&2; exit 4'
    res = pssh("-i", "-H", "127.0.0.[2-5]", *login(sshd), "--", command)
    assert res.returncode == 1
    lines = res.stdout.splitlines()
    headers = [i for i, line in enumerate(lines) if line.startswith("==> ")]
    assert len(headers) == 4
    seen = set()
    for i in headers:
        host = lines[i].split()[1]
        seen.add(host)
        assert re.fullmatch(r"==> %s <== exit 4, [0-9.]+s" % re.escape(host), lines[i])
        assert lines[i + 1 : i + 3] == [f"ip={host}", f"second {host}"]
    assert seen == set(sshd.hosts)
    for host in sshd.hosts:
        assert f"err {host}\n" in res.stderr
    assert "non-zero exit: 127.0.0.[2-5]" in res.stderr


def test_gather_groups_identical_output_largest_first(sshd: ServerConfig) -> None:
    odd = sshd.hosts[3]
    command = f'set -- $SSH_CONNECTION; if [ "$3" = {odd} ]; then echo other; exit 3; fi; echo same'
    res = pssh("-g", "-H", f"127.0.0.[2-5] {UNREACHABLE}", *login(sshd), "--", command)
    assert res.returncode == 2, res.stderr
    blocks = res.stdout.split("\n\n")
    assert blocks[0] == "==> 127.0.0.[2-4] (3) <== ok\nsame"
    assert blocks[1] == f"==> {odd} (1) <== exit 3\nother"
    assert blocks[2].startswith(f"==> {UNREACHABLE} (1) <== unreachable: ")
    assert len(blocks) == 3
    assert summary(res.stderr) == "5 hosts: 3 ok, 2 failed (1 unreachable, 1 non-zero exit)"


def test_json_one_record_per_host(sshd: ServerConfig) -> None:
    command = WHOAMI + '; echo "to stderr" >&2; [ "$3" != 127.0.0.3 ]'
    res = pssh("--json", "-H", f"127.0.0.[2-3] {UNREACHABLE}", *login(sshd), "--", command)
    assert res.returncode == 2
    records = {r["host"]: r for r in map(json.loads, res.stdout.splitlines())}
    assert set(records) == {"127.0.0.2", "127.0.0.3", UNREACHABLE}
    good, bad, down = records["127.0.0.2"], records["127.0.0.3"], records[UNREACHABLE]
    assert good["ok"] is True and good["exit_code"] == 0 and good["error"] is None
    assert good["stdout"] == "ip=127.0.0.2\n" and good["stderr"] == "to stderr\n"
    assert bad["ok"] is False and bad["exit_code"] == 1 and bad["error"] is None
    assert down["ok"] is False and down["exit_code"] is None and down["stdout"] == ""
    assert down["error"]["cause"] == "unreachable"
    assert down["error"]["type"] == "ConnectionErrorException"
    assert UNREACHABLE in down["error"]["message"]
    for record in (good, bad):  # connecting and the command, measured apart
        timings = record["timings"]
        assert timings["connect"] >= 0 and timings["command"] >= 0
        assert timings["connect"] + timings["command"] <= timings["total"] + 0.001
    timings = down["timings"]  # never started: nothing to split
    assert timings["connect"] is None and timings["command"] is None and timings["total"] >= 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", good["timings"]["started_at"])


def test_outdir_and_errdir_hold_a_file_per_host(sshd: ServerConfig, tmp_path) -> None:  # type: ignore[no-untyped-def]
    outdir, errdir = tmp_path / "out", tmp_path / "err"
    res = pssh("-o", str(outdir), "-e", str(errdir), "-H", "127.0.0.[2-5]", *login(sshd),
               "--", WHOAMI + '; echo "e $3" >&2')  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert sorted(os.listdir(outdir)) == sorted(sshd.hosts) == sorted(os.listdir(errdir))
    for host in sshd.hosts:
        assert (outdir / host).read_text() == f"ip={host}\n"
        assert (errdir / host).read_text() == f"e {host}\n"
    # Without a display mode, one status line per host.
    assert len(res.stdout.splitlines()) == 4
    for host in sshd.hosts:
        assert re.search(r"^%s: ok \([0-9.]+s\)$" % re.escape(host), res.stdout, re.M)


# -- hosts ----------------------------------------------------------------------------


def test_hosts_file_with_ranges_users_ports_and_comments(sshd: ServerConfig, tmp_path) -> None:  # type: ignore[no-untyped-def]
    hosts = tmp_path / "hosts"
    hosts.write_text(
        "# web tier\n"
        f"{sshd.user}@127.0.0.[2-3]:{sshd.port}   # user and port given here\n"
        "\n"
        f"127.0.0.4:{sshd.port}\n"
    )
    res = pssh("-h", str(hosts), "-H", "127.0.0.5", "--port", str(sshd.port), "-k", sshd.pkey,
               "-l", sshd.user, "--", WHOAMI)  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert sorted(res.stdout.splitlines()) == sorted([
        f"{sshd.user}@127.0.0.2:{sshd.port}: ip=127.0.0.2",
        f"{sshd.user}@127.0.0.3:{sshd.port}: ip=127.0.0.3",
        f"127.0.0.4:{sshd.port}: ip=127.0.0.4",
        "127.0.0.5: ip=127.0.0.5",
    ])  # fmt: skip


def test_ranges_with_lists_and_comma_separated_hosts(sshd: ServerConfig) -> None:
    res = pssh("-H", "127.0.0.[2,4-5]", "-H", "127.0.0.3,127.0.0.2", *login(sshd), "--", WHOAMI)
    assert res.returncode == 0, res.stderr
    assert sorted(res.stdout.splitlines()) == [f"{h}: ip={h}" for h in sshd.hosts]
    assert summary(res.stderr) == "4 hosts: 4 ok"  # the repeated host ran once


# -- failures, summary, exit status -----------------------------------------------------


def test_mixed_hosts_summary_failed_hosts_file_and_exit_status(
    sshd: ServerConfig, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    failed = tmp_path / "failed.txt"
    hosts = f"127.0.0.[2-4] {UNREACHABLE} nosuchuser@127.0.0.5"
    command = '[ "$(echo $SSH_CONNECTION | cut -d" " -f3)" != 127.0.0.4 ]'
    res = pssh("-H", hosts, *login(sshd), "--failed-hosts", str(failed), "--", command)
    assert res.returncode == 2, res.stderr
    assert summary(res.stderr) == (
        "5 hosts: 2 ok, 3 failed (1 unreachable, 1 authentication failed, 1 non-zero exit)"
    )
    assert "  unreachable:           127.0.0.9\n" in res.stderr
    assert "  authentication failed: nosuchuser@127.0.0.5\n" in res.stderr
    assert "  non-zero exit:         127.0.0.4\n" in res.stderr
    # each failure explained as it happened
    assert f"pssh: {UNREACHABLE}: unreachable: " in res.stderr
    assert "pssh: 127.0.0.4: command exited with code 1" in res.stderr
    assert sorted(failed.read_text().splitlines()) == sorted(
        ["127.0.0.4", UNREACHABLE, "nosuchuser@127.0.0.5"]
    )
    # The file feeds a rerun of just those hosts.
    rerun = pssh("-h", str(failed), *login(sshd), "--failed-hosts", str(failed), "--", "true")
    assert rerun.returncode == 2
    assert summary(rerun.stderr).startswith("3 hosts: 1 ok, 2 failed")
    assert sorted(failed.read_text().splitlines()) == [UNREACHABLE, "nosuchuser@127.0.0.5"]


def test_exit_status_1_when_all_reached_but_commands_fail(sshd: ServerConfig, tmp_path) -> None:  # type: ignore[no-untyped-def]
    failed = tmp_path / "failed"
    res = pssh("-H", "127.0.0.[2-3]", *login(sshd), "--failed-hosts", str(failed), "--", "exit 7")
    assert res.returncode == 1
    assert summary(res.stderr) == "2 hosts: 0 ok, 2 failed (2 non-zero exit)"
    assert "  non-zero exit: 127.0.0.[2-3]\n" in res.stderr
    ok = pssh("-H", "127.0.0.[2-3]", *login(sshd), "--failed-hosts", str(failed), "--", "true")
    assert ok.returncode == 0
    assert failed.read_text() == ""


def test_command_timeout_reports_the_host(sshd: ServerConfig) -> None:
    res = pssh("-t", "1", "-H", "127.0.0.[2-3]", *login(sshd), "--", "echo started; sleep 60")
    assert res.returncode == 1, res.stderr
    assert sorted(res.stdout.splitlines()) == ["127.0.0.2: started", "127.0.0.3: started"]
    assert summary(res.stderr) == "2 hosts: 0 ok, 2 failed (2 timed out)"
    assert (
        "pssh: 127.0.0.2: timed out: still running after 1s; pssh stopped waiting and left "
        "the remote command running (--cancel-on-timeout stops it)\n"
    ) in res.stderr


def test_send_input_and_closed_stdin(sshd: ServerConfig) -> None:
    res = pssh("-I", "-H", "127.0.0.[2-3]", *login(sshd), "--", "tr a-z A-Z", input="hello\n")
    assert res.returncode == 0, res.stderr
    assert sorted(res.stdout.splitlines()) == ["127.0.0.2: HELLO", "127.0.0.3: HELLO"]
    # Without -I the command's input is empty: cat ends at once.
    res = pssh("-H", sshd.host, *login(sshd), "--", "cat; echo after")
    assert res.returncode == 0 and res.stdout == f"{sshd.host}: after\n"


def test_closed_stdout_ends_the_run_quietly(sshd: ServerConfig) -> None:
    command = "i=0; while [ $i -lt 2000 ]; do echo line $i; i=$((i+1)); sleep 0.01; done"
    proc = subprocess.Popen(
        [sys.executable, "-m", "pssh", "-H", "127.0.0.[2-3]", *login(sshd), "--", command],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=pssh_env(),
    )  # fmt: skip
    try:
        assert proc.stdout.readline()  # type: ignore[union-attr]
        proc.stdout.close()  # type: ignore[union-attr]  # as `| head -1` does
        err = proc.stderr.read().decode()  # type: ignore[union-attr]
        proc.wait(timeout=60)  # 2000 lines at 10ms would take 20s: it must stop well before
    finally:
        proc.kill()
    assert proc.returncode == 141
    assert "Traceback" not in err


def test_ctrl_c_summarises_and_lists_unfinished_hosts(sshd: ServerConfig, tmp_path) -> None:  # type: ignore[no-untyped-def]
    failed = tmp_path / "failed"
    argv = [sys.executable, "-m", "pssh", "-H", "127.0.0.[2-3]", *login(sshd),
            "--failed-hosts", str(failed), "--", "echo started; sleep 60"]  # fmt: skip
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
        text=True, env=pssh_env(),
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    try:
        for _ in range(2):  # both commands are running
            assert proc.stdout.readline().endswith(": started\n")  # type: ignore[union-attr]
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert summary(err) == "2 hosts: 0 ok, 2 not finished - interrupted"
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert sorted(failed.read_text().splitlines()) == ["127.0.0.2", "127.0.0.3"]


# -- the terminal --------------------------------------------------------------------------


def test_password_prompt_is_not_echoed(sshd: ServerConfig) -> None:
    argv = [sys.executable, "-m", "pssh", "-A", "-H", "127.0.0.[2-3]", "-l", sshd.user,
            "--port", str(sshd.port), "--no-agent", "--", "echo authed"]  # fmt: skip
    secret = sshd.password
    assert secret
    status, screen = in_pty(argv, answer=secret.encode() + b"\n", env=pssh_env(HOME="/nonexistent"))
    assert status == 0, screen
    assert "Password:" in screen
    assert secret not in screen
    plain = ANSI.sub("", screen)
    assert "127.0.0.2: authed" in plain and "127.0.0.3: authed" in plain


def test_password_from_environment_and_no_terminal(sshd: ServerConfig) -> None:
    base = ["-A", "-H", sshd.host, "-l", sshd.user, "--port", str(sshd.port), "--no-agent"]
    env = pssh_env(HOME="/nonexistent", PSSH_PASSWORD=sshd.password or "")
    res = subprocess.run(
        [sys.executable, "-m", "pssh", *base, "--", "echo authed"], capture_output=True,
        text=True, timeout=120, env=env, stdin=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert res.stdout == f"{sshd.host}: authed\n"
    assert (sshd.password or "") not in res.stdout + res.stderr
    # No terminal and no PSSH_PASSWORD: a usage error, not a prompt on stdin.
    res = subprocess.run(
        [sys.executable, "-m", "pssh", *base, "--", "true"], capture_output=True, text=True,
        timeout=120, env=pssh_env(), stdin=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    assert res.returncode == 3
    assert "PSSH_PASSWORD" in res.stderr


def test_progress_line_on_a_terminal_only(sshd: ServerConfig) -> None:
    args = ["-H", f"127.0.0.[2-5] {UNREACHABLE}", *login(sshd), "--", "sleep 2.5; echo finished"]
    status, screen = in_pty([sys.executable, "-m", "pssh", *args])
    assert status == 2, screen
    plain = ANSI.sub("", screen)
    assert re.search(r"\[\d/5 hosts done, 1 failed, \d running, \d+s\]", plain), plain
    assert "\x1b[" in screen  # colour on a terminal
    res = pssh(*args)
    assert res.returncode == 2
    assert "hosts done" not in res.stderr and "\r" not in res.stderr
    assert not ANSI.search(res.stderr)


# -- proxy and host keys ------------------------------------------------------------------


def test_proxy(sshd: ServerConfig, proxy_sshd: ServerConfig) -> None:
    def logins() -> int:
        with open(proxy_sshd.log_path) as fh:
            return fh.read().count(f"Accepted publickey for {proxy_sshd.user}")

    before = logins()
    jump = f"{proxy_sshd.user}@{proxy_sshd.host}:{proxy_sshd.port}"
    res = pssh("-J", jump, "-H", "127.0.0.[2-3]", *login(sshd), "--", WHOAMI)
    assert res.returncode == 0, res.stderr
    assert sorted(res.stdout.splitlines()) == ["127.0.0.2: ip=127.0.0.2", "127.0.0.3: ip=127.0.0.3"]
    assert logins() > before


def test_host_key_policy_flag(sshd: ServerConfig, tmp_path) -> None:  # type: ignore[no-untyped-def]
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    args = ["--host-key-policy", "strict", "--known-hosts", str(empty), "-H", sshd.host,
            *login(sshd), "--", "true"]  # fmt: skip
    res = pssh(*args)
    assert res.returncode == 2, res.stderr
    assert summary(res.stderr) == "1 host: 0 ok, 1 failed (1 host key rejected)"
    good = pssh("--host-key-policy", "strict", "--known-hosts", sshd.known_hosts,
                "-H", sshd.host, *login(sshd), "--", "true")  # fmt: skip
    assert good.returncode == 0, good.stderr


# -- copy ---------------------------------------------------------------------------------


def test_copy_upload_and_download(sshd: ServerConfig, remote_dir: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "app.conf"
    src.write_text("setting = 1\n" * 1000)
    res = pssh("copy", "-H", "127.0.0.[2-5]", *login(sshd), str(src), f":{remote_dir}/")
    assert res.returncode == 0, res.stderr
    assert summary(res.stderr) == "4 hosts: 4 ok"
    with open(os.path.join(remote_dir, "app.conf")) as fh:
        assert fh.read() == src.read_text()

    down = tmp_path / "down"
    res = pssh("copy", "-H", "127.0.0.[2-5]", *login(sshd), f":{remote_dir}/app.conf", str(down))
    assert res.returncode == 0, res.stderr
    assert sorted(os.listdir(down)) == sorted(sshd.hosts)
    for host in sshd.hosts:
        assert (down / host / "app.conf").read_text() == src.read_text()


def test_copy_folder_recursively_both_ways(sshd: ServerConfig, remote_dir: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    tree = tmp_path / "site"
    (tree / "css").mkdir(parents=True)
    (tree / "index.html").write_text("<p>hi</p>\n")
    (tree / "css" / "a.css").write_text("p {}\n")
    no_r = pssh("copy", "-H", sshd.host, *login(sshd), str(tree), f":{remote_dir}/")
    assert no_r.returncode == 3 and "-r" in no_r.stderr
    res = pssh("copy", "-r", "-H", sshd.host, *login(sshd), str(tree), f":{remote_dir}/")
    assert res.returncode == 0, res.stderr
    with open(os.path.join(remote_dir, "site", "css", "a.css")) as fh:
        assert fh.read() == "p {}\n"
    down = tmp_path / "down"
    res = pssh("copy", "-r", "-H", "127.0.0.[2-3]", *login(sshd), f":{remote_dir}/site", str(down))
    assert res.returncode == 0, res.stderr
    for host in ("127.0.0.2", "127.0.0.3"):
        assert (down / host / "site" / "index.html").read_text() == "<p>hi</p>\n"


def test_copy_failures_summary_and_json(sshd: ServerConfig, remote_dir: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    failed = tmp_path / "failed"
    res = pssh("copy", "-H", f"127.0.0.[2-3] {UNREACHABLE}", *login(sshd), "--failed-hosts",
               str(failed), f":{remote_dir}/missing.txt", str(tmp_path / "down"))  # fmt: skip
    assert res.returncode == 2
    assert summary(res.stderr) == "3 hosts: 0 ok, 3 failed (1 unreachable, 2 errors)"
    assert sorted(failed.read_text().splitlines()) == ["127.0.0.2", "127.0.0.3", UNREACHABLE]
    # one error line per failed host, and no traceback of the failed copies
    assert "Traceback" not in res.stderr and " failed with " not in res.stderr, res.stderr
    assert res.stderr.count("no such file") == 2, res.stderr

    src = tmp_path / "f.txt"
    src.write_text("x\n")
    res = pssh("copy", "--json", "-H", f"{sshd.host} {UNREACHABLE}", *login(sshd), str(src),
               f":{remote_dir}/f.txt")  # fmt: skip
    assert res.returncode == 2
    records = {r["host"]: r for r in map(json.loads, res.stdout.splitlines())}
    assert records[sshd.host]["ok"] is True
    assert records[UNREACHABLE]["error"]["cause"] == "unreachable"


# -- agent forwarding ---------------------------------------------------------------------


def test_agent_is_forwarded_only_with_forward_agent(sshd: ServerConfig, ssh_agent: str) -> None:
    base = ["-H", sshd.host, "-l", sshd.user, "--port", str(sshd.port), "-k", sshd.pkey]
    env = pssh_env(SSH_AUTH_SOCK=ssh_agent)
    command = 'echo "[$SSH_AUTH_SOCK]"; ssh-add -l >/dev/null; echo "rc=$?"'
    res = pssh(*base, "--", command, env=env)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == [f"{sshd.host}: []", f"{sshd.host}: rc=2"]
    # -A is still the password prompt, not agent forwarding
    res = pssh("-A", *base, "--", command, env=pssh_env(SSH_AUTH_SOCK=ssh_agent, PSSH_PASSWORD="x"))
    assert res.stdout.splitlines()[-1] == f"{sshd.host}: rc=2", res.stderr
    # --forward-agent: the agent is usable on the host (through the paramiko client)
    res = pssh("--forward-agent", *base, "--", command, env=env)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0] != f"{sshd.host}: []" and lines[-1] == f"{sshd.host}: rc=0", res.stderr
    # with --no-agent there is no agent to forward: nothing is, and a warning says so
    res = pssh("--forward-agent", "--no-agent", *base, "--", command, env=env)
    assert res.stdout.splitlines() == [f"{sshd.host}: []", f"{sshd.host}: rc=2"], res.stderr
    assert f"pssh: warning: Not forwarding an SSH agent to {sshd.host}" in res.stderr


# -- fleet: batches, failure budgets, reruns, host expressions ----------------------------


def ran_on(remote_dir: str) -> list[str]:
    """The hosts whose ``touch {remote_dir}/ran-<ip>`` ran (markers removed)."""
    names = sorted(n[4:] for n in os.listdir(remote_dir) if n.startswith("ran-"))
    for name in names:
        os.remove(os.path.join(remote_dir, "ran-" + name))
    return names


def marking(remote_dir: str, fail_on: str = "") -> str:
    """A command that marks the host it ran on, and exits 3 on ``fail_on``."""
    return (f'set -- $SSH_CONNECTION; touch {remote_dir}/ran-$3; echo hi; '
            f'[ "$3" != "{fail_on}" ] || exit 3')  # fmt: skip


def test_batches_stop_when_the_failure_budget_is_spent(
    sshd: ServerConfig, remote_dir: str, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    failed = tmp_path / "failed"
    res = pssh("-H", "127.0.0.[2-5]", *login(sshd), "--batches", "1,50%,100%",
               "--max-failures", "0", "--failed-hosts", str(failed), "--",
               marking(remote_dir, fail_on="127.0.0.2"))  # fmt: skip
    assert res.returncode == 1, res.stderr
    assert summary(res.stderr) == (
        "4 hosts: 0 ok, 4 failed (1 non-zero exit, 3 not started)"
        " - rollout stopped after batch 1 of 3 (--max-failures)"
    )
    assert "  not started:   127.0.0.[3-5]\n" in res.stderr
    assert ran_on(remote_dir) == ["127.0.0.2"]  # nothing ran on the others
    assert res.stdout == "127.0.0.2: hi\n"
    assert failed.read_text().splitlines() == ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"]


def test_batches_go_on_within_the_budget(sshd: ServerConfig, remote_dir: str) -> None:
    res = pssh("-g", "-H", "127.0.0.[2-5]", *login(sshd), "--batches", "1,2",
               "--max-failures", "50%", "--", marking(remote_dir, fail_on="127.0.0.3"))  # fmt: skip
    assert res.returncode == 1, res.stderr
    assert summary(res.stderr) == "4 hosts: 3 ok, 1 failed (1 non-zero exit)"
    assert ran_on(remote_dir) == list(sshd.hosts)
    # -g gathers over every batch, once, at the end
    assert res.stdout.split("\n\n") == [
        "==> 127.0.0.[2,4-5] (3) <== ok\nhi",
        "==> 127.0.0.3 (1) <== exit 3\nhi\n",
    ]


def test_rerun_failed_runs_only_the_failed_hosts(
    sshd: ServerConfig, remote_dir: str, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    failed = tmp_path / "failed"
    first = pssh("-H", "127.0.0.[2-5]", *login(sshd), "--failed-hosts", str(failed), "--",
                 marking(remote_dir, fail_on="127.0.0.4"))  # fmt: skip
    assert first.returncode == 1 and failed.read_text() == "127.0.0.4\n"
    assert ran_on(remote_dir) == list(sshd.hosts)
    again = pssh("--rerun-failed", str(failed), *login(sshd), "--failed-hosts", str(failed),
                 "--", marking(remote_dir))  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert summary(again.stderr) == "1 host: 1 ok"
    assert ran_on(remote_dir) == ["127.0.0.4"]
    assert failed.read_text() == ""
    nothing = pssh("--rerun-failed", str(failed), *login(sshd), "--", marking(remote_dir))
    assert nothing.returncode == 0
    assert nothing.stderr == "pssh: --rerun-failed: no failed hosts listed; nothing to run\n"
    assert ran_on(remote_dir) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--batches", "0,10%"], "--batches: not a list of batch sizes"),
        (["--batches", "1", "--max-failures", "x"], "--max-failures: not a number of hosts"),
        (["--max-failures", "2"], "--max-failures needs --batches"),
        (["--rerun-failed", "/nonexistent/failed"], "cannot read hosts file /nonexistent/failed"),
        (["--rerun-failed", "f", "-h", "g"], "--rerun-failed takes its hosts from its file"),
        (["-H", "web[1-3]!"], "Nothing after '!'"),
    ],
)
def test_fleet_usage_errors(args: list[str], message: str) -> None:
    extra = [] if any(a in args for a in ("-H", "--rerun-failed")) else ["-H", "127.0.0.2"]
    res = pssh(*extra, *args, "--", "true")
    assert res.returncode == 3, res.stderr
    assert message in res.stderr


def test_host_expressions_with_operators(sshd: ServerConfig) -> None:
    res = pssh("-H", "127.0.0.[2-5]!127.0.0.3", "-H", "127.0.0.[2-9]&127.0.0.[3-4]", *login(sshd),
               "--", WHOAMI)  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert sorted(res.stdout.splitlines()) == [f"{h}: ip={h}" for h in sshd.hosts]
    assert summary(res.stderr) == "4 hosts: 4 ok"


def test_help_lists_the_fleet_options_without_loading_the_clients() -> None:
    res = pssh("--help")
    assert res.returncode == 0
    for needle in (
        "--batches SIZES",
        "--max-failures N|P%",
        "--rerun-failed FILE",
        "web[01-20]!web07",
    ):
        assert needle in res.stdout
    # --help never imports gevent or a client (most of the start-up time)
    code = "import sys; from pssh.cli import main\ntry: main(['--help'])\nexcept SystemExit: pass\n"
    code += (
        "print(sorted(m for m in sys.modules if m.startswith(('gevent', 'pssh.clients', 'ssh2'))))"
    )
    probe = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert probe.stdout.splitlines()[-1] == "[]", probe.stdout + probe.stderr
