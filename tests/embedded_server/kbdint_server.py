"""A small SSH server (paramiko) that allows keyboard-interactive login only.

OpenSSH here runs with ``UsePAM no``, and without PAM (or BSD auth) its
keyboard-interactive method has no device to ask anything: it cannot test a
client answering prompts. This server asks one ``Password:`` prompt (echo
off) and accepts the login when the answer is the password it was given;
password and public key authentication are refused. Every answer it gets is
appended to the log file, one per line, so a test sees what was answered.

Run as its own process::

    python -m embedded_server.kbdint_server ADDRESS PASSWORD LOGFILE

It prints ``PORT <n>`` once ready and serves until killed. :class:`KbdIntServer`
starts and stops it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading

import paramiko

START_TIMEOUT = 30.0


class _Server(paramiko.ServerInterface):
    def __init__(self, password: str, log: str) -> None:
        self.password = password
        self.log = log

    def get_allowed_auths(self, username: str) -> str:
        return "keyboard-interactive"

    def check_auth_password(self, username: str, password: str) -> int:
        return paramiko.AUTH_FAILED

    def check_auth_interactive(self, username: str, submethods: str) -> paramiko.InteractiveQuery:
        query = paramiko.InteractiveQuery("login", "answer the prompt")
        query.add_prompt("Password: ", echo=False)
        return query

    def check_auth_interactive_response(self, responses: list) -> int:
        with open(self.log, "a") as fh:
            fh.write("answers=%d\n" % len(responses))
        ok = len(responses) == 1 and responses[0] == self.password
        return paramiko.AUTH_SUCCESSFUL if ok else paramiko.AUTH_FAILED

    def check_channel_request(self, kind: str, chanid: int) -> int:
        return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED


def _serve(conn: socket.socket, key: paramiko.PKey, password: str, log: str) -> None:
    transport = paramiko.Transport(conn)
    transport.add_server_key(key)
    try:
        transport.start_server(server=_Server(password, log))
    except (paramiko.SSHException, EOFError, OSError):
        transport.close()


def main(argv: list[str]) -> None:
    address, password, log = argv
    key = paramiko.ECDSAKey.generate()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind((address, 0))
    listener.listen(16)
    print("PORT %d" % listener.getsockname()[1], flush=True)
    while True:
        conn, _addr = listener.accept()
        threading.Thread(target=_serve, args=(conn, key, password, log), daemon=True).start()


class KbdIntServer:
    """The server as a child process of the test session."""

    def __init__(self, address: str, password: str, log: str) -> None:
        here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env = dict(os.environ, PYTHONPATH=here + os.pathsep + os.environ.get("PYTHONPATH", ""))
        self.host = address
        self.log = log
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "embedded_server.kbdint_server", address, password, log],
            stdout=subprocess.PIPE, env=env, text=True,
        )  # fmt: skip
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError("keyboard-interactive server did not start: %r" % (line,))
        self.port = int(line.split()[1])

    def answers(self) -> int:
        """How many prompt answers the server got so far."""
        if not os.path.exists(self.log):
            return 0
        with open(self.log) as fh:
            return sum(1 for line in fh if line.startswith("answers="))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=START_TIMEOUT)
        if self.proc.stdout:
            self.proc.stdout.close()


if __name__ == "__main__":
    main(sys.argv[1:])
