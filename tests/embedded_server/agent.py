"""A throwaway ``ssh-agent`` holding given keys, for agent-authentication tests."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Sequence

from ._process import (
    ServerError,
    kill_tree,
    make_temp_dir,
    register,
    remove_temp_dir,
    spawn,
    tail,
    unregister,
)


class SSHAgent:
    """A running ``ssh-agent -D``; ``sock`` is its ``SSH_AUTH_SOCK``."""

    def __init__(self, sock: str, proc: subprocess.Popen, workdir: str) -> None:
        self.sock = sock
        self.proc: subprocess.Popen | None = proc
        self.workdir = workdir

    def __repr__(self) -> str:
        return f"<SSHAgent {self.sock}>"

    def stop(self) -> None:
        """Kill and reap the agent and remove its socket folder (idempotent)."""
        proc, self.proc = self.proc, None
        unregister(self)
        if proc is not None:
            kill_tree(proc)
        remove_temp_dir(self.workdir)


def start_agent(key_paths: Sequence[str], timeout: float = 10.0) -> SSHAgent:
    """Start ``ssh-agent -D -a <sock>`` in a fresh temp folder and ``ssh-add`` the keys.

    :param key_paths: private key files to load.
    :rtype: :class:`SSHAgent`
    :raises ServerError: the agent did not come up or a key could not be added.
    """
    workdir = make_temp_dir("pssh-agent-")
    os.chmod(workdir, 0o700)
    sock = os.path.join(workdir, "agent.sock")
    log = os.path.join(workdir, "agent.log")
    agent = SSHAgent(sock, spawn(["ssh-agent", "-D", "-a", sock], log), workdir)
    register(agent)
    try:
        deadline = time.monotonic() + timeout
        while not os.path.exists(sock):
            if agent.proc is None or agent.proc.poll() is not None or time.monotonic() > deadline:
                raise ServerError(f"ssh-agent did not start: {tail(log)}")
            time.sleep(0.005)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SSH_", "DISPLAY"))}
        env["SSH_AUTH_SOCK"] = sock
        if key_paths:
            res = subprocess.run(
                ["ssh-add", *key_paths],
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
            if res.returncode != 0:
                raise ServerError(f"ssh-add failed ({res.returncode}): {res.stderr.strip()}")
    except BaseException:
        agent.stop()
        raise
    return agent
