"""pssh._known_hosts decisions compared with what OpenSSH's own ``ssh`` decides.

For each known_hosts file below, ``ssh`` connects to the embedded sshd (host key type forced
to ed25519) and its verdict (ok, unknown, changed, revoked) is compared with
:func:`pssh._known_hosts.verify` given the same server key. Files written by ``ssh`` are
read by us and files written by us are used by ``ssh``.
"""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import pytest

from pssh import exceptions
from pssh._known_hosts import KnownHosts, hash_hostname, verify

pytestmark = pytest.mark.integration


def _pub(path: str) -> tuple[str, bytes]:
    with open(path) as fh:
        key_type, b64 = fh.read().split()[:2]
    return f"{key_type} {b64}", base64.b64decode(b64)


@pytest.fixture(scope="module")
def host_keys(sshd) -> dict[str, tuple[str, bytes]]:
    folder = sshd.keys_dir
    keys = {kt: _pub(f"{folder}/ssh_host_{kt}_key.pub") for kt in ("ed25519", "ecdsa", "rsa")}
    other = Path(sshd.keys_dir).parent / "pssh-kh-other-ed25519"
    if not other.exists():
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True
        )
    keys["other"] = _pub(f"{other}.pub")
    return keys


def ssh_verdict(sshd, known_hosts: Path, policy: str = "yes") -> str:
    proc = subprocess.run(
        [
            "ssh", "-F", "/dev/null", "-i", sshd.pkey, "-p", str(sshd.port),
            "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "CheckHostIP=no",
            "-o", f"UserKnownHostsFile={known_hosts}", "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "HostKeyAlgorithms=ssh-ed25519", "-o", f"StrictHostKeyChecking={policy}",
            "-o", "ConnectTimeout=30", f"{sshd.user}@{sshd.host}", "true",
        ],
        capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120,
    )  # fmt: skip
    err = proc.stderr
    if "REVOKED HOST KEY" in err:
        return "revoked"
    if "REMOTE HOST IDENTIFICATION HAS CHANGED" in err:
        return "mismatch"
    if "No ED25519 host key is known" in err:
        return "unknown"
    assert proc.returncode == 0, err
    return "ok"


def our_verdict(sshd, known_hosts: Path, blob: bytes, policy: str = "strict") -> str:
    kh = KnownHosts(str(known_hosts))
    try:
        verdict = verify(kh, policy, sshd.host, sshd.port, "ssh-ed25519", blob, str(known_hosts))
    except exceptions.RevokedHostKeyError:
        return "revoked"
    except exceptions.HostKeyMismatchError:
        return "mismatch"
    except exceptions.UnknownHostKeyError:
        return "unknown"
    return str(verdict)


SCENARIOS = {
    "empty": ([], "unknown"),
    "right key": ([("{name}", "ed25519")], "ok"),
    "right key among others": ([("{name}", "rsa"), ("{name}", "ed25519")], "ok"),
    "other ed25519 key": ([("{name}", "other")], "mismatch"),
    "only an rsa key": ([("{name}", "rsa")], "mismatch"),
    "only an ecdsa key": ([("{name}", "ecdsa")], "mismatch"),
    "revoked": ([("@revoked {name}", "ed25519"), ("{name}", "ed25519")], "revoked"),
    "revoked wildcard": ([("@revoked *", "ed25519")], "revoked"),
    "revoked other key": ([("@revoked *", "other"), ("{name}", "ed25519")], "ok"),
    "wildcard": ([("[127.0.0.*]:{port}", "ed25519")], "ok"),
    "star": ([("*", "ed25519")], "ok"),
    "negated": ([("*,!{name}", "ed25519")], "ok"),  # found under the plain name
    "negated everywhere": ([("*,!{name},!{host}", "ed25519")], "unknown"),
    "list": ([("a.example,{name},b.example", "ed25519")], "ok"),
    "plain name without port": ([("{host}", "ed25519")], "ok"),  # ssh's fallback
    "plain name, other key": ([("{host}", "other")], "unknown"),
    "plain name and port name": ([("{host}", "ed25519"), ("{name}", "other")], "mismatch"),
    "revoked on the plain name only": ([("@revoked {host}", "other")], "unknown"),
    "hashed": ([("{hashed}", "ed25519")], "ok"),
    "hashed other key": ([("{hashed}", "other")], "mismatch"),
    "upper case": ([("{upper}", "ed25519")], "ok"),
    "cert-authority only": ([("@cert-authority *", "ed25519")], "unknown"),
    "type text differs from blob": ([("{name}", "ed25519:ssh-rsa")], "unknown"),
    "bad marker": ([("@revokd {name}", "ed25519")], "unknown"),
}


def _write(path: Path, lines, sshd, host_keys) -> None:
    name = f"[{sshd.host}]:{sshd.port}"
    fields = {
        "name": name,
        "host": sshd.host,
        "port": sshd.port,
        "hashed": hash_hostname(name),
        "upper": name.upper(),
    }
    out = []
    for names, key in lines:
        key_name, _, text_type = key.partition(":")
        pub = host_keys[key_name][0]
        if text_type:
            pub = f"{text_type} {pub.split()[1]}"
        out.append(f"{names.format(**fields)} {pub}")
    path.write_text("".join(f"{line}\n" for line in out))


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_same_verdict_as_ssh(sshd, host_keys, tmp_path, scenario):
    lines, expected = SCENARIOS[scenario]
    path = tmp_path / "known_hosts"
    _write(path, lines, sshd, host_keys)
    assert ssh_verdict(sshd, path) == expected
    assert our_verdict(sshd, path, host_keys["ed25519"][1]) == expected


def test_ssh_reads_what_we_write(sshd, host_keys, tmp_path):
    blob = host_keys["ed25519"][1]
    for hashed in (False, True):
        path = tmp_path / f"ours-{hashed}"
        kh = KnownHosts(str(path))
        assert (
            verify(kh, "accept-new", sshd.host, sshd.port, None, blob, str(path), hash_name=hashed)
            == "unknown"
        )  # noqa: E501
        assert ssh_verdict(sshd, path) == "ok"


def test_we_read_what_ssh_writes(sshd, host_keys, tmp_path):
    path = tmp_path / "theirs"
    path.write_text("# pre-existing comment\n")  # (ssh would not add a missing newline)
    assert ssh_verdict(sshd, path, policy="accept-new") == "ok"
    assert our_verdict(sshd, path, host_keys["ed25519"][1]) == "ok"
    assert our_verdict(sshd, path, host_keys["other"][1]) == "mismatch"


def test_accept_new_refuses_a_changed_key_like_ssh(sshd, host_keys, tmp_path):
    path = tmp_path / "kh"
    _write(path, [("{name}", "other")], sshd, host_keys)
    assert ssh_verdict(sshd, path, policy="accept-new") == "mismatch"
    assert our_verdict(sshd, path, host_keys["ed25519"][1], policy="accept-new") == "mismatch"
