"""Host key verification by both parallel clients against real sshd servers.

Oracles are OpenSSH's own tools: ``ssh-keygen -lf`` gives the fingerprints as
``ssh`` shows them, ``ssh-keygen -F`` finds the entries we record (plain,
``[host]:port`` and hashed), ``ssh-keygen -H`` hashes a file. Whether a
credential was sent before the key was refused is read from the sshd log.
Every test uses its own known_hosts file (never the session's ``~/.ssh``).
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import textwrap

import pytest
from backends import PARALLEL, SINGLE
from ssh2.session import LIBSSH2_METHOD_HOSTKEY

from pssh._known_hosts import parse_line
from pssh.clients.native import ParallelSSHClient as NativeParallel
from pssh.exceptions import (
    HostKeyMismatchError,
    ProxyError,
    RevokedHostKeyError,
    SessionError,
    UnknownHostKeyError,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def make_client(client_factory, family, sshd):
    return functools.partial(client_factory, PARALLEL[family], pkey=sshd.pkey, ssh_config="none")


# -- helpers -------------------------------------------------------------------------------


def fingerprint(pub_path: str) -> str:
    """``SHA256:...`` of a public key file, from ``ssh-keygen -lf``."""
    out = subprocess.run(
        ["ssh-keygen", "-lf", pub_path], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    return out.split()[1]


def pub_line(pub_path: str) -> str:
    """``type base64`` of a public key file."""
    with open(pub_path) as fh:
        return " ".join(fh.read().split()[:2])


def host_pub(keys_dir: str, key_type: str) -> str:
    return os.path.join(keys_dir, f"ssh_host_{key_type}_key.pub")


def keygen_find(known_hosts: str, name: str) -> list[str]:
    """The entries ``ssh-keygen -F`` finds for ``name`` in ``known_hosts``."""
    res = subprocess.run(
        ["ssh-keygen", "-F", name, "-f", known_hosts], capture_output=True, text=True, timeout=30
    )
    return [line for line in res.stdout.splitlines() if line and not line.startswith("#")]


def read(path: str) -> str:
    with open(path) as fh:
        return fh.read()


def entries(path: str) -> list[str]:
    with open(path) as fh:
        return [line for line in fh.read().splitlines() if line.strip()]


def name(host: str, port: int) -> str:
    return host if port == 22 else f"[{host}]:{port}"


def run(client, command: str = "echo ok", stop_on_errors: bool = False) -> dict:
    """``{host: exception or list of stdout lines}``."""
    output = client.run_command(command, stop_on_errors=stop_on_errors)
    client.join(output)
    return {
        host: out.exception if out.exception is not None else list(out.stdout)
        for host, out in output.items()
    }


class LogWatch:
    """What a server log gained since this object was made."""

    def __init__(self, path: str) -> None:
        self.path, self.offset = path, os.path.getsize(path)

    def text(self) -> str:
        with open(self.path, "rb") as fh:
            fh.seek(self.offset)
            return fh.read().decode("utf-8", "replace")


# -- unknown hosts under each policy -------------------------------------------------------


def test_strict_refuses_unknown_host_before_any_credential(family, sshd_factory, tmp_path):
    group = sshd_factory(1, first="127.0.0.60")
    cfg = group.config()
    known = tmp_path / "known_hosts"
    known.write_text("")
    log = LogWatch(cfg.log_path)
    client = PARALLEL[family](
        [cfg.host], port=cfg.port, user=cfg.user, pkey=cfg.pkey, password=cfg.password,
        num_retries=3, retry_delay=1, known_hosts=str(known), host_key_policy="strict",
        ssh_config="none",
    )  # fmt: skip
    exc = run(client)[cfg.host]
    assert isinstance(exc, UnknownHostKeyError) and isinstance(exc, SessionError)
    assert exc.host == cfg.host
    text = str(exc)
    assert name(cfg.host, cfg.port) in text and "strict" in text
    assert fingerprint(host_pub(cfg.keys_dir, "ed25519")) in text  # ed25519 offered first
    assert known.read_text() == ""
    server_log = log.text()
    # one connection (not retried), closed before authentication: no key or password was sent
    assert server_log.count("Connection from ") == 1, server_log
    for word in ("Accepted", "Failed", "Postponed", "password for", "publickey for"):
        assert word not in server_log, server_log


def test_accept_new_records_unknown_hosts(make_client, sshd, tmp_path):
    known = str(tmp_path / "known_hosts")
    results = run(make_client(known_hosts=known))  # accept-new is the default
    assert results == {host: ["ok"] for host in sshd.hosts}
    ed25519 = pub_line(host_pub(sshd.keys_dir, "ed25519"))
    assert sorted(entries(known)) == sorted(f"{name(h, sshd.port)} {ed25519}" for h in sshd.hosts)
    for host in sshd.hosts:
        assert len(keygen_find(known, name(host, sshd.port))) == 1
    assert oct(os.stat(known).st_mode & 0o777) == "0o600"
    # now known: strict accepts them, and nothing more is written
    assert run(make_client(known_hosts=known, host_key_policy="strict")) == results
    assert len(entries(known)) == len(sshd.hosts)


def test_off_accepts_any_key_and_writes_nothing(make_client, sshd, tmp_path):
    wrong = pub_line(sshd.pkey_pub)  # a valid ed25519 key, not the hosts' key
    known = tmp_path / "known_hosts"
    known.write_text("".join(f"{name(h, sshd.port)} {wrong}\n" for h in sshd.hosts))
    before = known.read_text()
    results = run(make_client(known_hosts=str(known), host_key_policy="off"))
    assert results == {host: ["ok"] for host in sshd.hosts}
    assert known.read_text() == before
    missing = tmp_path / "missing" / "known_hosts"
    assert run(make_client(known_hosts=str(missing), host_key_policy="off")) == results
    assert not missing.exists()


def test_default_files_are_in_home(make_client, sshd, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    results = run(make_client(hosts=[sshd.host]))
    assert results == {sshd.host: ["ok"]}
    path = tmp_path / ".ssh" / "known_hosts"
    assert keygen_find(str(path), name(sshd.host, sshd.port))
    assert oct(os.stat(path.parent).st_mode & 0o777) == "0o700"


def test_bad_policy_is_refused_at_construction(family, sshd):
    with pytest.raises(ValueError, match="host_key_policy"):
        PARALLEL[family]([sshd.host], host_key_policy="sometimes")
    with pytest.raises(ValueError, match="host_key_policy"):
        SINGLE[family](sshd.host, port=sshd.port, host_key_policy="sometimes")


# -- changed keys --------------------------------------------------------------------------


def test_changed_host_key_fails_that_host_only(make_client, family, sshd, sshd_factory, tmp_path):
    group = sshd_factory(2, first="127.0.0.60")
    changed = list(group.addresses)
    known = tmp_path / "known_hosts"
    group.write_known_hosts(str(tmp_path / "group_known_hosts"))
    known.write_text((tmp_path / "group_known_hosts").read_text() + read(sshd.known_hosts))
    old_fp = fingerprint(host_pub(group.keys.dir, "ed25519"))
    new_keys = group.restart_with_new_host_key()
    new_fp = fingerprint(new_keys[0] + ".pub")
    assert new_fp != old_fp and "ed25519" in new_keys[0]
    before = known.read_text()
    hosts = list(sshd.hosts[:2]) + changed
    host_config = {host: {"port": group.port} for host in changed}
    for policy in ("accept-new", "strict"):
        client = make_client(hosts, host_config=host_config, known_hosts=str(known),
                             host_key_policy=policy)  # fmt: skip
        results = run(client)
        for host in sshd.hosts[:2]:
            assert results[host] == ["ok"], (policy, host, results[host])
        for host in changed:
            exc = results[host]
            assert isinstance(exc, HostKeyMismatchError), (policy, host, exc)
            assert exc.host == host
            text = str(exc)
            assert old_fp in text and new_fp in text, text
            assert name(host, group.port) in text and "ED25519" in text
        with pytest.raises(HostKeyMismatchError) as info:
            make_client(changed, port=group.port, known_hosts=str(known),
                        host_key_policy=policy).run_command("echo ok")  # fmt: skip
        assert info.value.host == changed[0] and new_fp in str(info.value)
    assert known.read_text() == before  # a changed key is never recorded


@pytest.mark.parametrize("word", ["no", "off"])
def test_config_strict_host_key_checking_no_still_refuses_changed_keys(
    family, sshd_factory, tmp_path, word
):
    """``StrictHostKeyChecking no`` from a config file records new keys but fails a changed
    one, before any credential is sent; only an explicit host_key_policy='off' connects."""
    group = sshd_factory(1, first="127.0.0.61")
    cfg = group.config()
    known = tmp_path / "known_hosts"
    group.write_known_hosts(str(known))
    new_keys = group.restart_with_new_host_key()
    new_fp = fingerprint(new_keys[0] + ".pub")
    before = known.read_text()
    config = tmp_path / "config"
    config.write_text(f"Host *\n    StrictHostKeyChecking {word}\n"
                      f"    UserKnownHostsFile {known}\n")  # fmt: skip
    common = dict(port=cfg.port, user=cfg.user, pkey=cfg.pkey, password=cfg.password,
                  num_retries=1, ssh_config=str(config))  # fmt: skip
    log = LogWatch(cfg.log_path)
    client = PARALLEL[family]([cfg.host], **common)
    exc = run(client)[cfg.host]
    assert isinstance(exc, HostKeyMismatchError), exc
    assert exc.host == cfg.host and new_fp in str(exc)
    assert "StrictHostKeyChecking no" in str(exc) and "host_key_policy='off'" in str(exc)
    assert "Accepted" not in log.text() and "Failed" not in log.text()  # nothing was sent
    assert known.read_text() == before  # the changed key is not recorded
    with pytest.raises(HostKeyMismatchError):
        SINGLE[family](cfg.host, **common)
    # the caller's explicit 'off' wins
    assert run(PARALLEL[family]([cfg.host], host_key_policy="off", **common)) == {cfg.host: ["ok"]}
    assert known.read_text() == before


def test_config_strict_host_key_checking_no_records_new_hosts(family, sshd, tmp_path):
    known = tmp_path / "known_hosts"
    config = tmp_path / "config"
    config.write_text(f"Host *\n    StrictHostKeyChecking no\n    UserKnownHostsFile {known}\n")
    client = PARALLEL[family](list(sshd.hosts[:2]), port=sshd.port, user=sshd.user,
                              pkey=sshd.pkey, num_retries=1, ssh_config=str(config))  # fmt: skip
    assert run(client) == {host: ["ok"] for host in sshd.hosts[:2]}
    for host in sshd.hosts[:2]:
        assert len(keygen_find(str(known), name(host, sshd.port))) == 1


def test_mismatch_is_not_retried(family, sshd_factory, tmp_path):
    group = sshd_factory(1, first="127.0.0.60")
    cfg = group.config()
    known = tmp_path / "known_hosts"
    known.write_text(f"{name(cfg.host, cfg.port)} {pub_line(cfg.pkey_pub)}\n")
    log = LogWatch(cfg.log_path)
    with pytest.raises(HostKeyMismatchError) as info:
        SINGLE[family](
            cfg.host, port=cfg.port, user=cfg.user, pkey=cfg.pkey, num_retries=3, retry_delay=1,
            known_hosts=str(known), ssh_config="none",
        )  # fmt: skip
    assert info.value.host == cfg.host
    assert fingerprint(cfg.pkey_pub) in str(info.value)
    assert log.text().count("Connection from ") == 1


def test_revoked_key_fails(make_client, sshd, tmp_path):
    ed25519 = pub_line(host_pub(sshd.keys_dir, "ed25519"))
    known = tmp_path / "known_hosts"
    shutil.copy(sshd.known_hosts, known)
    with open(known, "a") as fh:
        fh.write(f"@revoked {name(sshd.host, sshd.port)} {ed25519}\n")
    results = run(make_client(known_hosts=str(known), host_key_policy="accept-new"))
    exc = results[sshd.host]
    assert isinstance(exc, RevokedHostKeyError) and exc.host == sshd.host
    assert "revoked" in str(exc) and fingerprint(host_pub(sshd.keys_dir, "ed25519")) in str(exc)
    assert all(results[h] == ["ok"] for h in sshd.hosts[1:])


# -- OpenSSH's formats ---------------------------------------------------------------------


def test_plain_port_and_hashed_entries(make_client, sshd, tmp_path):
    # the fixture's file has every key of every host as [host]:port entries
    assert entries(sshd.known_hosts)[0].startswith(f"[{sshd.host}]:{sshd.port} ")
    assert run(make_client(known_hosts=sshd.known_hosts, host_key_policy="strict")) == {
        host: ["ok"] for host in sshd.hosts
    }
    hashed = tmp_path / "hashed"
    with open(hashed, "w") as fh:
        fh.writelines(line + "\n" for line in entries(sshd.known_hosts)
                      if not line.startswith(f"[{sshd.hosts[3]}]"))  # fmt: skip
    subprocess.run(["ssh-keygen", "-H", "-f", str(hashed)], check=True, capture_output=True)
    assert all(line.startswith("|1|") for line in entries(str(hashed)))
    results = run(make_client(known_hosts=str(hashed), host_key_policy="strict"))
    assert all(results[h] == ["ok"] for h in sshd.hosts[:3])
    assert isinstance(results[sshd.hosts[3]], UnknownHostKeyError)


def test_hash_known_hosts_records_hashed_names(make_client, sshd, tmp_path):
    config = tmp_path / "config"
    config.write_text("Host *\n    HashKnownHosts yes\n")
    known = str(tmp_path / "known_hosts")
    assert run(make_client(known_hosts=known, ssh_config=str(config))) == {
        host: ["ok"] for host in sshd.hosts
    }
    lines = entries(known)
    assert len(lines) == len(sshd.hosts) and all(line.startswith("|1|") for line in lines)
    for host in sshd.hosts:
        assert len(keygen_find(known, name(host, sshd.port))) == 1


@pytest.mark.parametrize(
    ("key_type", "negotiated"),
    [("rsa", "rsa-sha2-512"), ("ecdsa", "ecdsa-sha2-nistp256"), ("ed25519", "ssh-ed25519")],
)
def test_recorded_key_type_is_preferred(make_client, family, sshd, tmp_path, key_type,
                                        negotiated):  # fmt: skip
    # several keys for the host, only one of them the server's: the recorded type is negotiated
    other = pub_line(sshd.pkey_pub)
    known = tmp_path / "known_hosts"
    line = f"{name(sshd.host, sshd.port)} {pub_line(host_pub(sshd.keys_dir, key_type))}"
    known.write_text(f"{line}\nother.example {other}\n{line.replace(' ', ',h2 ', 1)}\n")
    client = make_client([sshd.host], known_hosts=str(known), host_key_policy="strict")
    assert run(client) == {sshd.host: ["ok"]}
    single = client.host_clients[sshd.host]
    if family == "native":
        assert single.session.methods(LIBSSH2_METHOD_HOSTKEY) == negotiated
    else:
        assert single.client.get_transport().host_key_type == negotiated


# -- many new hosts at once ----------------------------------------------------------------

_WRITER = textwrap.dedent(
    """
    import sys
    from pssh.clients.native import ParallelSSHClient
    hosts, port, user, pkey, known = sys.argv[1].split(","), int(sys.argv[2]), *sys.argv[3:6]
    client = ParallelSSHClient(hosts, port=port, user=user, pkey=pkey, num_retries=2,
                               retry_delay=1, pool_size=len(hosts), known_hosts=known,
                               ssh_config="none")
    output = client.run_command("true", stop_on_errors=False)
    client.join(output)
    failed = [h for h, out in output.items() if out.exception or out.exit_code != 0]
    print(failed)
    sys.exit(1 if failed else 0)
    """
)


def check_well_formed(path: str, hosts: list[str], port: int, expected_blob: str) -> None:
    with open(path, "rb") as fh:
        data = fh.read()
    assert data.endswith(b"\n")
    names = []
    for line in data.decode().split("\n")[:-1]:
        entry = parse_line(line)
        assert entry is not None, line
        assert line.split(" ", 1)[1] == expected_blob, line
        names.append(entry.names)
    assert set(names) == {name(h, port) for h in hosts}
    listed = subprocess.run(["ssh-keygen", "-l", "-f", path], capture_output=True, text=True)
    assert listed.returncode == 0 and len(listed.stdout.splitlines()) == len(names)


@pytest.mark.native_only
def test_concurrent_first_connections_to_many_hosts(sshd_many, tmp_path):
    hosts = list(sshd_many.hosts)
    ed25519 = pub_line(host_pub(sshd_many.keys_dir, "ed25519"))
    # one client, every host at once
    known = str(tmp_path / "known_hosts")
    client = NativeParallel(hosts, port=sshd_many.port, user=sshd_many.user,
                            pkey=sshd_many.pkey, pool_size=len(hosts), known_hosts=known,
                            ssh_config="none")  # fmt: skip
    results = run(client, "true")
    assert all(value == [] for value in results.values()), results
    check_well_formed(known, hosts, sshd_many.port, ed25519)
    assert len(entries(known)) == len(hosts)  # each host recorded once
    # three processes at once, appending to one file
    shared = str(tmp_path / "shared_known_hosts")
    args = [",".join(hosts), str(sshd_many.port), sshd_many.user, sshd_many.pkey, shared]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(3)
    ]
    for proc in procs:
        out, _ = proc.communicate(timeout=300)
        assert proc.returncode == 0, out
    check_well_formed(shared, hosts, sshd_many.port, ed25519)
    assert len(hosts) <= len(entries(shared)) <= 3 * len(hosts)


# -- the proxy's own key --------------------------------------------------------------------


def test_proxy_host_key_is_checked(make_client, family, sshd, proxy_sshd, tmp_path):
    wrong = pub_line(sshd.pkey_pub)
    known = tmp_path / "known_hosts"
    known.write_text(read(sshd.known_hosts) + f"{name(proxy_sshd.host, proxy_sshd.port)} {wrong}\n")
    proxy = dict(proxy_host=proxy_sshd.host, proxy_port=proxy_sshd.port,
                 proxy_user=proxy_sshd.user, proxy_pkey=proxy_sshd.pkey)  # fmt: skip
    results = run(make_client(known_hosts=str(known), host_key_policy="strict", **proxy))
    for host in sshd.hosts:
        exc = results[host]
        assert isinstance(exc, ProxyError) and exc.host == host, exc
        assert isinstance(exc.__cause__, HostKeyMismatchError), repr(exc.__cause__)
        assert "REMOTE HOST IDENTIFICATION HAS CHANGED" in str(exc)
        assert fingerprint(sshd.pkey_pub) in str(exc)
    known.write_text(read(sshd.known_hosts) + read(proxy_sshd.known_hosts))
    results = run(make_client(known_hosts=str(known), host_key_policy="strict", **proxy))
    assert results == {host: ["ok"] for host in sshd.hosts}
