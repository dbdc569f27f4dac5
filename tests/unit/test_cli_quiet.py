"""The command line tool's hub prints no traceback for a host's failure, and still
prints one for anything else (a bug in pssh itself)."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_only_host_failures_are_quiet():
    code = textwrap.dedent(
        """
        import gevent
        from pssh.cli._quiet import quiet_host_failures
        from pssh.exceptions import SFTPIOError

        quiet_host_failures()
        quiet_host_failures()  # once per hub, whatever the calls

        def host_failure():
            raise SFTPIOError("Error copying %s from host %s", "f", "h1", host="h1")

        def local_failure():
            error = FileExistsError(17, "File exists")
            error.host = "h2"
            raise error

        def bug():
            raise AttributeError("a bug in pssh")

        gevent.joinall([gevent.spawn(f) for f in (host_failure, local_failure, bug)])
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "AttributeError: a bug in pssh" in done.stderr
    assert done.stderr.count("Traceback") == 1, done.stderr
    assert "SFTPIOError" not in done.stderr and "FileExistsError" not in done.stderr
