"""The command line tool never shows a password: not in its ``--json`` records, its summary
or its messages, for a failed login."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from embedded_server.openssh import ServerConfig


def test_json_and_summary_never_show_the_password(sshd: ServerConfig) -> None:
    password = "Wrong-Secret-Pa55-7731"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SSH_", "PSSH_"))}
    env["PSSH_PASSWORD"] = password
    res = subprocess.run(
        [sys.executable, "-m", "pssh", "--json", "-A", "-H", sshd.host, "-l", sshd.user,
         "--port", str(sshd.port), "--no-agent", "--", "true"],
        capture_output=True, text=True, timeout=120, env=env, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert res.returncode != 0
    record = json.loads(res.stdout.splitlines()[0])
    assert record["error"]["cause"] == "auth"
    assert record["error"]["type"] == "AuthenticationException"
    assert sshd.host in record["error"]["message"]
    assert password not in res.stdout
    assert password not in res.stderr
