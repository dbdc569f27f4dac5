"""Key files and the login account for the embedded OpenSSH servers.

:func:`generate_keys` writes host keys and user key pairs with ``ssh-keygen`` (all jobs in
parallel, so it takes well under a second); :func:`ensure_test_user` provides the account
the servers log in as (see its docstring for root versus non-root).
"""

from __future__ import annotations

import fcntl
import getpass
import os
import pwd
import shutil
import subprocess
from collections.abc import Sequence
from typing import NamedTuple

from ._process import ServerError, run

TEST_USER = "pssh-test"
TEST_PASSWORD = "pssh-test-password"
HOST_KEY_TYPES = ("ed25519", "ecdsa", "rsa")


class KeySet(NamedTuple):
    """Key files written by :func:`generate_keys` (public keys are ``<private>.pub``)."""

    dir: str
    host_keys: tuple[str, ...]
    pkey: str
    rsa_pkey: str
    ecdsa_pkey: str
    authorized_keys: str


class TestUser(NamedTuple):
    """Account the embedded servers log in as."""

    name: str
    password: str | None
    home: str


def _keygen(path: str, key_type: str, comment: str) -> subprocess.Popen:
    argv = ["ssh-keygen", "-q", "-t", key_type, "-N", "", "-C", comment, "-f", path]
    if key_type == "rsa":
        argv[4:4] = ["-b", "2048"]
    return subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )


def _run_keygens(jobs: list[tuple[str, str, str]]) -> None:
    procs = [(_keygen(*job), job[0]) for job in jobs]  # all in parallel
    for proc, path in procs:
        out = proc.communicate()[0]
        if proc.returncode != 0:
            raise ServerError(f"ssh-keygen failed for {path}: {out.decode(errors='replace')}")


def generate_host_keys(keys_dir: str) -> tuple[str, ...]:
    """Write fresh ed25519, ecdsa and rsa host keys into ``keys_dir`` (replacing old ones).

    :returns: paths of the private host keys.
    :rtype: tuple[str, ...]
    """
    os.makedirs(keys_dir, exist_ok=True)
    paths = tuple(os.path.join(keys_dir, f"ssh_host_{kt}_key") for kt in HOST_KEY_TYPES)
    for path in paths:
        for name in (path, path + ".pub"):
            if os.path.exists(name):
                os.unlink(name)
    _run_keygens([(p, kt, "pssh-test-host") for p, kt in zip(paths, HOST_KEY_TYPES)])
    return paths


def generate_keys(keys_dir: str) -> KeySet:
    """Write host keys and user key pairs (ed25519, rsa, ecdsa; no passphrase) into ``keys_dir``.

    All three user public keys go into ``keys_dir/authorized_keys``.

    :param keys_dir: existing folder, e.g. from :func:`make_temp_dir`.
    :type keys_dir: str
    :rtype: :class:`KeySet`
    """
    host_keys = tuple(os.path.join(keys_dir, f"ssh_host_{kt}_key") for kt in HOST_KEY_TYPES)
    user_keys = {kt: os.path.join(keys_dir, f"id_{kt}") for kt in ("ed25519", "rsa", "ecdsa")}
    jobs = [(p, kt, "pssh-test-host") for p, kt in zip(host_keys, HOST_KEY_TYPES)]
    jobs += [(p, kt, f"pssh-test-{kt}") for kt, p in user_keys.items()]
    _run_keygens(jobs)
    authorized = os.path.join(keys_dir, "authorized_keys")
    with open(authorized, "w") as out:
        for path in user_keys.values():
            with open(path + ".pub") as pub:
                out.write(pub.read().strip() + "\n")
    os.chmod(authorized, 0o644)
    return KeySet(
        keys_dir, host_keys, user_keys["ed25519"], user_keys["rsa"], user_keys["ecdsa"], authorized
    )


def write_known_hosts(path: str, hosts: Sequence[str], port: int, host_keys: Sequence[str]) -> str:
    """Write an OpenSSH known_hosts file trusting every key of ``host_keys`` for each host.

    :param host_keys: private host key paths (their ``.pub`` files are read).
    :rtype: str
    """
    pubs = []
    for key in host_keys:
        with open(key + ".pub") as fh:
            pubs.append(" ".join(fh.read().split()[:2]))
    with open(path, "w") as out:
        for host in hosts:
            name = host if port == 22 else f"[{host}]:{port}"
            out.writelines(f"{name} {pub}\n" for pub in pubs)
    return path


def ensure_test_user() -> TestUser:
    """The account the servers log in as; creates ``pssh-test`` when running as root.

    As root: creates (if missing) system user ``pssh-test`` with shell ``/bin/sh`` and home
    ``/home/pssh-test``, (re)sets its password to :data:`TEST_PASSWORD` (with ``UsePAM no`` a
    locked ``!`` password field would block even key logins), and, if ``sudo`` is installed,
    writes ``/etc/sudoers.d/pssh-test`` for passwordless sudo. Safe to call concurrently from
    several sessions (an flock serialises it). Not root: returns the current user, password
    ``None``.

    :rtype: :class:`TestUser`
    """
    if os.geteuid() != 0:
        name = getpass.getuser()
        return TestUser(name, None, pwd.getpwnam(name).pw_dir)
    with open("/tmp/.pssh-test-user.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            pwd.getpwnam(TEST_USER)
        except KeyError:
            run(
                [
                    "useradd",
                    "--system",
                    "--user-group",
                    "--create-home",
                    "--home-dir",
                    f"/home/{TEST_USER}",
                    "--shell",
                    "/bin/sh",
                    TEST_USER,
                ]
            )
        entry = pwd.getpwnam(TEST_USER)
        if not os.path.isdir(entry.pw_dir):
            os.makedirs(entry.pw_dir, mode=0o755)
            os.chown(entry.pw_dir, entry.pw_uid, entry.pw_gid)
        run(["chpasswd"], stdin=f"{TEST_USER}:{TEST_PASSWORD}\n")
        if shutil.which("sudo") and os.path.isdir("/etc/sudoers.d"):
            _write_sudoers(f"/etc/sudoers.d/{TEST_USER}")
    return TestUser(TEST_USER, TEST_PASSWORD, entry.pw_dir)


def _write_sudoers(path: str) -> None:
    rule = f"{TEST_USER} ALL=(ALL:ALL) NOPASSWD: ALL\n"
    try:
        with open(path) as fh:
            if fh.read() == rule:
                return
    except OSError:
        pass
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as fh:
        fh.write(rule)
    os.chmod(tmp, 0o440)
    os.replace(tmp, path)  # sudo ignores files whose name contains a dot, like the temp one
