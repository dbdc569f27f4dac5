"""Unit tests for pssh._known_hosts, cross-checked against OpenSSH's ssh-keygen.

Keys are real ones made by ``ssh-keygen`` in a temporary folder; fingerprints are compared
with ``ssh-keygen -lf``, hashed names with ``ssh-keygen -H`` and lookups with
``ssh-keygen -F``.
"""

from __future__ import annotations

import base64
import multiprocessing
import os
import re
import stat
import subprocess
import threading
from pathlib import Path

import pytest

from pssh import exceptions
from pssh._known_hosts import (
    DEFAULT_KNOWN_HOSTS,
    HostKeyPolicy,
    KnownHosts,
    Verdict,
    fingerprint_sha256,
    hash_hostname,
    key_label,
    key_type_of,
    known_hosts_name,
    match_pattern,
    match_pattern_list,
    parse_line,
    parse_policy,
    verify,
)

KEY_SPECS = {
    "ed25519": ["-t", "ed25519"],
    "rsa": ["-t", "rsa", "-b", "2048"],
    "ecdsa256": ["-t", "ecdsa", "-b", "256"],
    "ecdsa384": ["-t", "ecdsa", "-b", "384"],
    "ecdsa521": ["-t", "ecdsa", "-b", "521"],
    "dsa": ["-t", "dsa"],
    "ed25519b": ["-t", "ed25519"],
    "rsab": ["-t", "rsa", "-b", "2048"],
}


def _string(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


class Key:
    """A public key: wire type, blob, base64 text and its .pub path."""

    def __init__(self, pub: Path) -> None:
        self.pub = pub
        fields = pub.read_text().split()
        self.text_type, self.b64 = fields[0], fields[1]
        self.blob = base64.b64decode(self.b64)
        self.type = key_type_of(self.blob)

    def line(self, names: str, marker: str = "") -> str:
        return f"{marker + ' ' if marker else ''}{names} {self.text_type} {self.b64}"


def _write_pub(path: Path, blob: bytes) -> Path:
    path.write_text(f"{key_type_of(blob)} {base64.b64encode(blob).decode()} made-by-test\n")
    return path


@pytest.fixture(scope="session")
def keys(tmp_path_factory) -> dict[str, Key]:
    folder = tmp_path_factory.mktemp("hostkeys")
    procs = []
    for name, spec in KEY_SPECS.items():
        argv = ["ssh-keygen", "-q", *spec, "-N", "", "-C", name, "-f", str(folder / name)]
        procs.append(subprocess.Popen(argv, stdin=subprocess.DEVNULL))
    assert all(p.wait() == 0 for p in procs)
    out = {name: Key(folder / f"{name}.pub") for name in KEY_SPECS}
    # A host certificate signed by the ed25519b key.
    subprocess.run(
        ["ssh-keygen", "-q", "-s", str(folder / "ed25519b"), "-I", "host", "-h",
         "-n", "h.example", str(folder / "ed25519.pub")],
        check=True,
    )  # fmt: skip
    out["cert"] = Key(folder / "ed25519-cert.pub")
    # Security-key types cannot be generated without hardware; build their blobs by hand
    # from real key material (ssh-keygen -lf validates them).
    ed_pk = out["ed25519"].blob[-32:]
    sk_ed = _string(b"sk-ssh-ed25519@openssh.com") + _string(ed_pk) + _string(b"ssh:")
    out["sk-ed25519"] = Key(_write_pub(folder / "sk_ed.pub", sk_ed))
    point = out["ecdsa256"].blob[-65:]
    sk_ec = (
        _string(b"sk-ecdsa-sha2-nistp256@openssh.com")
        + _string(b"nistp256")
        + _string(point)
        + _string(b"ssh:")
    )
    out["sk-ecdsa"] = Key(_write_pub(folder / "sk_ec.pub", sk_ec))
    return out


def keygen_fingerprint(pub: Path) -> tuple[str, str]:
    out = subprocess.run(
        ["ssh-keygen", "-l", "-E", "sha256", "-f", str(pub)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    match = re.match(r"\d+ (SHA256:\S+) .* \((\S+)\)$", out.strip())
    assert match, out
    return match.group(1), match.group(2)


def keygen_find(name: str, path: Path) -> list[int]:
    out = subprocess.run(
        ["ssh-keygen", "-F", name, "-f", str(path)], capture_output=True, text=True
    ).stdout
    return [int(n) for n in re.findall(r"found: line (\d+)", out)]


# --------------------------------------------------------------------------
# Key facts


ALL_KEYS = [*KEY_SPECS, "cert", "sk-ed25519", "sk-ecdsa"]


@pytest.mark.parametrize("name", ALL_KEYS)
def test_fingerprint_and_label_match_ssh_keygen(keys, name):
    key = keys[name]
    fingerprint, label = keygen_fingerprint(key.pub)
    assert fingerprint_sha256(key.blob) == fingerprint
    assert "=" not in fingerprint_sha256(key.blob)
    assert key_label(key.type) == label


@pytest.mark.parametrize(
    ("name", "wire"),
    [
        ("ed25519", "ssh-ed25519"),
        ("rsa", "ssh-rsa"),
        ("ecdsa256", "ecdsa-sha2-nistp256"),
        ("ecdsa384", "ecdsa-sha2-nistp384"),
        ("ecdsa521", "ecdsa-sha2-nistp521"),
        ("dsa", "ssh-dss"),
        ("cert", "ssh-ed25519-cert-v01@openssh.com"),
        ("sk-ed25519", "sk-ssh-ed25519@openssh.com"),
    ],
)
def test_key_type_of(keys, name, wire):
    assert key_type_of(keys[name].blob) == wire
    assert key_type_of(bytearray(keys[name].blob)) == wire


@pytest.mark.parametrize(
    "blob",
    [b"", b"\x00\x00", b"\x00\x00\x00\x10ssh-ed25519", b"\x00\x00\x00\x00", _string(b"a b")],
)
def test_key_type_of_rejects_malformed_blobs(blob):
    with pytest.raises(ValueError):
        key_type_of(blob)


def test_known_hosts_name():
    assert known_hosts_name("Host.Example") == "host.example"
    assert known_hosts_name("h", 22) == "h"
    assert known_hosts_name("h", 0) == "h"
    assert known_hosts_name("h", 2222) == "[h]:2222"
    assert known_hosts_name("::1", 2222) == "[::1]:2222"
    assert known_hosts_name("ÄB.example") == "Äb.example"  # ASCII only, as OpenSSH


def test_hash_hostname_matches_ssh_keygen_H(tmp_path, keys):
    path = tmp_path / "kh"
    path.write_text(keys["ed25519"].line("h.example") + "\n" + keys["rsa"].line("[h]:2222") + "\n")
    subprocess.run(["ssh-keygen", "-q", "-H", "-f", str(path)], check=True, capture_output=True)
    hashed = [line.split()[0] for line in path.read_text().splitlines()]
    for field, name in zip(hashed, ["h.example", "[h]:2222"]):
        salt = base64.b64decode(field.split("|")[2])
        assert hash_hostname(name, salt) == field
    random_one = hash_hostname("h.example")
    assert random_one.startswith("|1|") and random_one != hashed[0]
    assert len(base64.b64decode(random_one.split("|")[2])) == 20


def test_match_pattern():
    assert match_pattern("abc", "a*")
    assert match_pattern("", "*")
    assert match_pattern("abc", "a?c")
    assert not match_pattern("ac", "a?c")
    assert match_pattern("[h]:22", "[h]:2?")  # brackets are literal
    assert not match_pattern("h", "[h]")
    assert not match_pattern("ABC", "abc")
    assert match_pattern("a.b", "a.b") and not match_pattern("axb", "a.b")
    assert match_pattern_list("x.example", "*.example,!bad.example") == 1
    assert match_pattern_list("bad.example", "*.example,!bad.example") == -1
    assert match_pattern_list("bad.example", "!bad.example") == -1
    assert match_pattern_list("other", "!bad.example") == 0
    assert match_pattern_list("HOST", "host") == 0
    assert match_pattern_list("HOST", "host", ignore_case=True) == 1


# --------------------------------------------------------------------------
# Parsing


def test_parse_line_variants(keys):
    ed = keys["ed25519"]
    assert parse_line("") is None
    assert parse_line("   # comment " + ed.line("h")) is None
    entry = parse_line("  " + ed.line("a,b") + " the comment  \r\n", "f", 3)
    assert (entry.path, entry.lineno, entry.names, entry.marker) == ("f", 3, "a,b", None)
    assert entry.key_blob == ed.blob and entry.key_type == "ssh-ed25519"
    assert entry.location == "f:3"
    assert parse_line(ed.line("h").replace(" ", "\t")).names == "h"
    assert parse_line(ed.line("h", "@revoked")).marker == "revoked"
    assert parse_line(ed.line("h", "@cert-authority")).marker == "cert-authority"
    assert parse_line("@revoked\t" + ed.line("h")).marker == "revoked"


@pytest.mark.parametrize(
    "line",
    [
        "@revokedx h ssh-ed25519 {b64}",  # unknown marker
        "@revoked @revoked h ssh-ed25519 {b64}",  # two markers
        "@revoked",
        "h ssh-ed25519",  # no key
        "h",
        "h #ssh-ed25519 {b64}",  # truncated before key type
        "h ssh-rsa {b64}",  # text type differs from the blob's
        "h ssh-ed25519 {b64}x",  # bad base64
        "h ssh-ed25519 AAAA{b64}",  # blob no longer parses
        "|1|c2FsdA==|aGFzaA== ssh-ed25519 {b64}",  # salt is not 20 bytes
        "|2|x|y ssh-ed25519 {b64}",
        "|1|bad ssh-ed25519 {b64}",
    ],
)
def test_parse_line_rejects(keys, line):
    assert parse_line(line.format(b64=keys["ed25519"].b64)) is None


def test_parse_line_accepts_rsa_signature_type_names(keys):
    rsa = keys["rsa"]
    assert parse_line(f"h rsa-sha2-512 {rsa.b64}").key_type == "ssh-rsa"


def test_malformed_blob_structures_are_rejected(keys):
    rsa = keys["rsa"].blob
    for blob in (
        _string(b"ssh-ed25519") + _string(b"x" * 31),  # short ed25519 key
        _string(b"ssh-rsa") + _string(b"\x01\x00\x01"),  # missing modulus
        _string(b"ssh-rsa") + _string(b"\x81") + _string(b"\x01"),  # negative exponent
        rsa + b"\x00",  # trailing garbage
        _string(b"ecdsa-sha2-nistp256") + _string(b"nistp384") + _string(b"\x04" + b"x" * 64),
        _string(b"ecdsa-sha2-nistp256") + _string(b"nistp256") + _string(b"\x02" + b"x" * 64),
    ):
        line = f"h {key_type_of(blob)} {base64.b64encode(blob).decode()}"
        assert parse_line(line) is None, line


def test_missing_and_unreadable_files_are_skipped(tmp_path, keys, caplog):
    folder = tmp_path / "dir"
    folder.mkdir()
    good = tmp_path / "good"
    good.write_text(keys["ed25519"].line("h") + "\n")
    kh = KnownHosts([str(tmp_path / "missing"), str(folder), str(good), str(good / "x")])
    assert [e.names for e in kh.entries] == ["h"]
    assert "Cannot read known hosts file" in caplog.text  # the directory


def test_default_paths_and_tilde(monkeypatch, tmp_path, keys):
    assert DEFAULT_KNOWN_HOSTS == ("~/.ssh/known_hosts", "/etc/ssh/ssh_known_hosts")
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".ssh").mkdir()
    (tmp_path / ".ssh" / "known_hosts").write_text(keys["ed25519"].line("h") + "\n")
    kh = KnownHosts()
    assert kh.paths[0] == str(tmp_path / ".ssh" / "known_hosts")
    assert kh.paths[1] == "/etc/ssh/ssh_known_hosts"
    assert kh.check("h", 22, None, keys["ed25519"].blob).verdict is Verdict.OK
    assert KnownHosts("~/.ssh/known_hosts").paths == [str(tmp_path / ".ssh" / "known_hosts")]


# --------------------------------------------------------------------------
# Lookups, cross-checked with ssh-keygen -F


def _lookup_file(tmp_path: Path, keys) -> Path:
    ed, rsa, ec = keys["ed25519"], keys["rsa"], keys["ecdsa256"]
    hashed = hash_hostname("hashed.example")
    hashed_port = hash_hostname("[hashed.example]:2200")
    lines = [
        "# known hosts for the lookup tests",
        "",
        ed.line("plain.example,10.0.0.1"),
        rsa.line("[plain.example]:2222"),
        ec.line("Mixed.Example"),
        rsa.line("*.wild.example,!bad.wild.example"),
        ed.line("host?.example"),
        ed.line(hashed),
        rsa.line(hashed_port),
        ed.line("*.wild.example", "@revoked"),
        rsa.line("[*.wild.example]:*"),
        ec.line("[10.0.0.1]:2222,[10.0.0.1]:2223"),
        ed.line("*", "@cert-authority"),
        ed.line("::1"),
        rsa.line("[::1]:2222"),
        "   " + ec.line("plain.example") + "  trailing comment",
    ]
    path = tmp_path / "known_hosts"
    path.write_text("\n".join(lines) + "\n")
    return path


LOOKUP_NAMES = [
    ("plain.example", None),
    ("PLAIN.example", 22),
    ("plain.example", 2222),
    ("plain.example", 2223),
    ("10.0.0.1", None),
    ("10.0.0.1", 2222),
    ("10.0.0.1", 2223),
    ("mixed.example", None),
    ("x.wild.example", None),
    ("bad.wild.example", None),
    ("x.wild.example", 2200),
    ("host1.example", None),
    ("host12.example", None),
    ("hashed.example", None),
    ("hashed.example", 2200),
    ("hashed.example", 2201),
    ("::1", None),
    ("::1", 2222),
    ("nothing.example", None),
]


@pytest.mark.parametrize(("host", "port"), LOOKUP_NAMES)
def test_lookup_agrees_with_ssh_keygen_F(tmp_path, keys, host, port):
    path = _lookup_file(tmp_path, keys)
    kh = KnownHosts(str(path))
    ours = [e.lineno for e in kh.lookup(host, port)]
    assert ours == keygen_find(known_hosts_name(host, port), path)


def test_lookup_file_entries_are_all_parsed(tmp_path, keys):
    kh = KnownHosts(str(_lookup_file(tmp_path, keys)))
    assert len(kh.entries) == 14
    assert kh.known_key_types("plain.example") == ["ssh-ed25519", "ecdsa-sha2-nistp256"]
    assert kh.known_key_types("x.wild.example", 9) == ["ssh-rsa"]
    assert kh.known_key_types("nothing") == []


# --------------------------------------------------------------------------
# check()


@pytest.fixture
def kh_file(tmp_path, keys) -> Path:
    return _lookup_file(tmp_path, keys)


def test_check_ok_unknown_mismatch(kh_file, keys):
    kh = KnownHosts(str(kh_file))
    ed, rsa, ec = keys["ed25519"], keys["rsa"], keys["ecdsa256"]
    res = kh.check("plain.example", 22, "ssh-ed25519", ed.blob)
    assert res.verdict is Verdict.OK and res.verdict == "ok"
    assert res.entries[0].lineno == 3 and res.name == "plain.example"
    assert res.key_type == "ssh-ed25519" and res.fingerprint == fingerprint_sha256(ed.blob)
    # Several keys per host: the second recorded key is fine too.
    assert kh.check("plain.example", None, None, ec.blob).verdict is Verdict.OK
    # Port 2222 is a different name with its own key.
    assert kh.check("plain.example", 2222, "ssh-rsa", rsa.blob).verdict is Verdict.OK
    res = kh.check("plain.example", 2222, None, ed.blob)
    assert res.verdict is Verdict.MISMATCH and res.name == "[plain.example]:2222"
    assert [e.lineno for e in res.entries] == [4]
    res = kh.check("nowhere.example", 22, None, ed.blob)
    assert res.verdict is Verdict.UNKNOWN and res.entries == ()
    assert res.unknown_names == ("nowhere.example",)
    assert kh.check("plain.example", 2223, None, keys["rsa"].blob).verdict is Verdict.UNKNOWN


def test_check_key_of_other_type_is_a_mismatch(kh_file, keys):
    # ssh reports a changed key when a host only has keys of other types (see the
    # integration test, which checks this against ssh itself).
    kh = KnownHosts(str(kh_file))
    res = kh.check("plain.example", 22, None, keys["rsa"].blob)
    assert res.verdict is Verdict.MISMATCH
    assert [(e.lineno, e.key_type) for e in res.entries] == [
        (3, "ssh-ed25519"),
        (16, "ecdsa-sha2-nistp256"),
    ]
    assert kh.check("mixed.example", 22, None, keys["ecdsa384"].blob).verdict == "mismatch"


def test_check_wildcards_negation_hashes_and_case(kh_file, keys):
    kh = KnownHosts(str(kh_file))
    ed, rsa = keys["ed25519"], keys["rsa"]
    assert kh.check("MIXED.EXAMPLE", 22, None, keys["ecdsa256"].blob).verdict == "ok"
    assert kh.check("a.wild.example", 22, None, rsa.blob).verdict == "ok"
    assert kh.check("bad.wild.example", 22, None, rsa.blob).verdict == "unknown"
    assert kh.check("a.wild.example", 4000, None, rsa.blob).verdict == "ok"
    assert kh.check("host7.example", 22, None, ed.blob).verdict == "ok"
    assert kh.check("host77.example", 22, None, ed.blob).verdict == "unknown"
    assert kh.check("hashed.example", 22, None, ed.blob).verdict == "ok"
    assert kh.check("Hashed.Example", 22, None, ed.blob).verdict == "ok"
    assert kh.check("hashed.example", 2200, None, rsa.blob).verdict == "ok"
    assert kh.check("hashed.example", 2200, None, ed.blob).verdict == "mismatch"
    assert kh.check("hashed.example", 2201, None, rsa.blob).verdict == "unknown"
    assert kh.check("::1", None, None, ed.blob).verdict == "ok"
    assert kh.check("::1", 2222, None, rsa.blob).verdict == "ok"


def test_check_falls_back_to_the_name_without_port(tmp_path, keys):
    # ssh: "found matching key w/out port" (checked against ssh in the integration test).
    ed, rsa, other = keys["ed25519"], keys["rsa"], keys["ed25519b"]
    path = tmp_path / "kh"
    path.write_text(
        ed.line("h.example") + "\n" + rsa.line("[h.example]:2200") + "\n"
        + other.line("r.example", "@revoked") + "\n"
    )  # fmt: skip
    kh = KnownHosts(str(path))
    res = kh.check("h.example", 2222, None, ed.blob)
    assert res.verdict is Verdict.OK and res.name == "[h.example]:2222"
    assert [e.lineno for e in res.entries] == [1]
    assert res.unknown_names == ()
    # Another key under the plain name: the port is simply unknown.
    res = kh.check("h.example", 2222, None, rsa.blob)
    assert res.verdict is Verdict.UNKNOWN and res.unknown_names == ("[h.example]:2222",)
    # A line for [host]:port decides alone.
    assert kh.check("h.example", 2200, None, ed.blob).verdict is Verdict.MISMATCH
    # Revoked under the plain name: revoked (ssh only warns here; we refuse).
    assert kh.check("r.example", 2222, None, other.blob).verdict is Verdict.REVOKED
    assert kh.check("r.example", 2222, None, ed.blob).verdict is Verdict.UNKNOWN
    # Nothing is recorded under accept-new when the plain name vouches for the key.
    assert verify(kh, "accept-new", "h.example", 2222, None, ed.blob, str(path)) == "ok"
    assert path.read_text().count("\n") == 3


def test_check_revoked_wins(kh_file, keys):
    kh = KnownHosts(str(kh_file))
    ed = keys["ed25519"]
    res = kh.check("x.wild.example", 22, None, ed.blob)
    assert res.verdict is Verdict.REVOKED
    assert [e.lineno for e in res.entries] == [10]
    # The revoked line only covers names it matches.
    assert kh.check("plain.example", 22, None, ed.blob).verdict == "ok"
    # Revoked even though the same key is also recorded as valid for the host.
    kh2 = KnownHosts(str(kh_file))
    kh2.add("ok.wild.example", 22, None, ed.blob, None)
    assert kh2.check("ok.wild.example", 22, None, ed.blob).verdict == "revoked"


def test_cert_authority_lines_are_ignored_for_plain_keys(tmp_path, keys):
    path = tmp_path / "kh"
    path.write_text(keys["ed25519"].line("*", "@cert-authority") + "\n")
    res = KnownHosts(str(path)).check("any", 22, None, keys["ed25519"].blob)
    assert res.verdict is Verdict.UNKNOWN


def test_check_with_ip(kh_file, keys):
    kh = KnownHosts(str(kh_file))
    ed, ec = keys["ed25519"], keys["ecdsa256"]
    # Host and address both record the key.
    assert kh.check("plain.example", 22, None, ed.blob, ip="10.0.0.1").verdict == "ok"
    # Host fine, address new: ok, and the address is listed for recording.
    res = kh.check("plain.example", 2222, None, keys["rsa"].blob, ip="10.0.0.9")
    assert res.verdict == "ok" and res.unknown_names == ("[10.0.0.9]:2222",)
    # The key recorded for the address differs: a changed key fails.
    res = kh.check("new.example", 2222, None, ed.blob, ip="10.0.0.1")
    assert res.verdict == "mismatch" and [e.lineno for e in res.entries] == [12]
    # Only the address knows the key: the host itself is still unknown.
    res = kh.check("new.example", 2222, None, ec.blob, ip="10.0.0.1")
    assert res.verdict == "unknown" and res.unknown_names == ("[new.example]:2222",)
    # Same name twice is one lookup.
    assert kh.check("10.0.0.1", 22, None, ed.blob, ip="10.0.0.1").unknown_names == ()


def test_check_rejects_bad_input(keys):
    kh = KnownHosts([])
    with pytest.raises(ValueError, match="does not match"):
        kh.check("h", 22, "ssh-rsa", keys["ed25519"].blob)
    with pytest.raises(ValueError):
        kh.check("h", 22, None, b"\x00\x00\x00\x07ssh-rsa")
    assert kh.check("h", 22, "rsa-sha2-256", keys["rsa"].blob).verdict == "unknown"


def test_non_minimal_mpint_is_the_same_rsa_key(tmp_path, keys):
    # OpenSSH compares key material, not encodings: a zero-padded exponent is the same key.
    blob = keys["rsa"].blob
    type_field, exponent = _string(b"ssh-rsa"), b"\x01\x00\x01"
    assert blob.startswith(type_field + _string(exponent))
    padded = type_field + _string(b"\x00" + exponent) + blob[len(type_field) + 7 :]
    path = tmp_path / "kh"
    path.write_text(f"h ssh-rsa {base64.b64encode(padded).decode()} padded\n")
    assert KnownHosts(str(path)).check("h", 22, None, blob).verdict == "ok"
    path.write_text(keys["rsa"].line("h", "@revoked") + "\n")
    assert KnownHosts(str(path)).check("h", 22, None, padded).verdict == "revoked"


# --------------------------------------------------------------------------
# add()


def test_add_creates_private_dir_and_file(tmp_path, keys):
    path = tmp_path / "new" / "sub" / "known_hosts"
    kh = KnownHosts(str(path))
    added = kh.add("Host.Example", 2222, "ssh-ed25519", keys["ed25519"].blob, str(path))
    assert added[0].names == "[host.example]:2222" and added[0].lineno == 0
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == f"[host.example]:2222 ssh-ed25519 {keys['ed25519'].b64}\n"
    assert keygen_find("[host.example]:2222", path) == [1]
    # In memory at once, and in the file for a fresh reader.
    assert kh.check("host.example", 2222, None, keys["ed25519"].blob).verdict == "ok"
    assert (
        KnownHosts(str(path)).check("host.example", 2222, None, keys["ed25519"].blob).verdict
        == "ok"
    )


def test_add_port_22_is_plain_and_ip_joins_the_line(tmp_path, keys):
    path = tmp_path / "kh"
    kh = KnownHosts(str(path))
    kh.add("h.example", 22, None, keys["rsa"].blob, str(path), ip="10.1.1.1")
    kh.add("g.example", None, "rsa-sha2-512", keys["rsa"].blob, str(path))
    lines = path.read_text().splitlines()
    assert lines == [
        f"h.example,10.1.1.1 ssh-rsa {keys['rsa'].b64}",
        f"g.example ssh-rsa {keys['rsa'].b64}",
    ]
    assert keygen_find("10.1.1.1", path) == [1]


def test_add_hashed(tmp_path, keys):
    path = tmp_path / "kh"
    kh = KnownHosts(str(path))
    kh.add("h.example", 2200, None, keys["ecdsa384"].blob, str(path), hash_name=True, ip="::1")
    lines = path.read_text().splitlines()
    assert len(lines) == 2 and all(line.startswith("|1|") for line in lines)
    assert "h.example" not in path.read_text()
    assert keygen_find("[h.example]:2200", path) == [1]
    assert keygen_find("[::1]:2200", path) == [2]
    fresh = KnownHosts(str(path))
    assert fresh.check("h.example", 2200, None, keys["ecdsa384"].blob).verdict == "ok"
    assert fresh.check("::1", 2200, None, keys["ecdsa384"].blob).verdict == "ok"


def test_add_after_file_without_final_newline(tmp_path, keys):
    path = tmp_path / "kh"
    path.write_text(keys["ed25519"].line("first"))  # no newline at the end
    KnownHosts(str(path)).add("second", 22, None, keys["rsa"].blob, str(path))
    assert path.read_text().splitlines() == [
        keys["ed25519"].line("first"),
        keys["rsa"].line("second"),
    ]
    assert path.read_text().endswith("\n")


@pytest.mark.parametrize(
    "host",
    ["", "a b", "a,b", "*", "a*", "h?", "!h", "[h]", "h]", "#h", "|1|x|y", "@revoked",
     "h\n", "h\x00", "h\\", 'h"', "user@h"],
)  # fmt: skip
def test_add_refuses_unsafe_names(tmp_path, keys, host):
    path = tmp_path / "kh"
    kh = KnownHosts(str(path))
    with pytest.raises(ValueError, match="unsafe host name"):
        kh.add(host, 22, None, keys["ed25519"].blob, str(path))
    with pytest.raises(ValueError, match="unsafe host name"):
        kh.add("ok", 22, None, keys["ed25519"].blob, str(path), ip=host or " ")
    assert not path.exists() and kh.entries == []


def test_add_rejects_wrong_type_and_bad_blob(tmp_path, keys):
    kh = KnownHosts([])
    with pytest.raises(ValueError):
        kh.add("h", 22, "ssh-ed25519", keys["rsa"].blob, str(tmp_path / "kh"))
    with pytest.raises(ValueError):
        kh.add("h", 22, None, b"junk", str(tmp_path / "kh"))
    assert not (tmp_path / "kh").exists()


def test_add_memory_only(keys):
    kh = KnownHosts([])
    kh.add("h", 22, None, keys["ed25519"].blob, None)
    assert kh.check("h", 22, None, keys["ed25519"].blob).verdict == "ok"
    assert kh.entries[0].location == "<memory>"


def _check_file(path: Path, expected_names: set[str], blob: bytes) -> None:
    text = path.read_text()
    assert text.endswith("\n") and "\n\n" not in text
    lines = text.splitlines()
    assert len(lines) == len(expected_names)
    entries = [parse_line(line) for line in lines]
    assert all(e is not None and e.key_blob == blob for e in entries), lines
    assert {e.names for e in entries} == expected_names


def test_many_threads_add_at_once(tmp_path, keys):
    path = tmp_path / "kh"
    blob = keys["rsa"].blob
    shared = KnownHosts(str(path))
    start = threading.Barrier(16)
    errors = []

    def worker(n: int) -> None:
        own = KnownHosts(str(path))  # separate objects contend on the file lock only
        start.wait()
        try:
            for i in range(25):
                target = shared if i % 2 else own
                target.add(f"t{n}-{i}.example", 2000 + i, None, blob, str(path))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    expected = {f"[t{n}-{i}.example]:{2000 + i}" for n in range(16) for i in range(25)}
    _check_file(path, expected, blob)
    assert len([e for e in shared.entries if e.names.startswith("[t")]) == 16 * 12  # the odd i


def _process_worker(path: str, n: int, b64: str, hashed: bool) -> None:
    blob = base64.b64decode(b64)
    kh = KnownHosts(path)
    for i in range(40):
        kh.add(f"p{n}-{i}.example", None, None, blob, path, hash_name=hashed)


def test_many_processes_add_at_once(tmp_path, keys):
    path = tmp_path / "kh"
    path.write_text("# starts with a comment and no newline")
    ctx = multiprocessing.get_context("fork")
    procs = [
        ctx.Process(target=_process_worker, args=(str(path), n, keys["rsa"].b64, n % 2 == 1))
        for n in range(6)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0] * 6
    lines = path.read_text().splitlines()
    assert lines[0] == "# starts with a comment and no newline"
    body = path.parent / "body"
    body.write_text("\n".join(lines[1:]) + "\n")
    plain = {f"p{n}-{i}.example" for n in range(0, 6, 2) for i in range(40)}
    entries = [parse_line(line) for line in lines[1:]]
    assert len(entries) == 240 and all(e is not None for e in entries)
    assert {e.names for e in entries if not e.names.startswith("|")} == plain
    assert sum(e.names.startswith("|1|") for e in entries) == 120
    kh = KnownHosts(str(path))
    for n in range(6):
        for i in (0, 17, 39):
            assert kh.check(f"p{n}-{i}.example", 22, None, keys["rsa"].blob).verdict == "ok"
    assert keygen_find("p5-39.example", body) != []


# --------------------------------------------------------------------------
# Policies and verify()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("strict", "strict"), ("STRICT", "strict"), ("yes", "strict"), ("ask", "strict"),
        ("true", "strict"), (True, "strict"), ("accept-new", "accept-new"),
        ("Accept-New", "accept-new"), ("off", "off"), ("no", "off"), ("false", "off"),
        (False, "off"), (HostKeyPolicy.OFF, "off"), (" no ", "off"),
    ],
)  # fmt: skip
def test_parse_policy(value, expected):
    policy = parse_policy(value)
    assert isinstance(policy, HostKeyPolicy)
    assert policy == expected and str(policy) == expected


@pytest.mark.parametrize("value", ["", "maybe", "accept_new", None, 1, 0, "strict,off"])
def test_parse_policy_rejects(value):
    with pytest.raises(ValueError, match="host_key_policy"):
        parse_policy(value)


def test_verify_strict_unknown(tmp_path, keys):
    path = tmp_path / "kh"
    kh = KnownHosts(str(path))
    with pytest.raises(exceptions.UnknownHostKeyError) as info:
        verify(kh, "strict", "h.example", 2222, None, keys["ed25519"].blob, str(path))
    err = info.value
    assert isinstance(err, exceptions.HostKeyError) and isinstance(err, exceptions.SessionError)
    assert err.host == "h.example"
    text = str(err)
    assert "[h.example]:2222" in text and "ED25519" in text
    assert fingerprint_sha256(keys["ed25519"].blob) in text and str(path) in text
    assert err.args[1:4] == (
        "[h.example]:2222",
        "ED25519",
        fingerprint_sha256(keys["ed25519"].blob),
    )
    assert not path.exists()


def test_verify_accept_new_records_then_accepts(tmp_path, keys, caplog):
    path = tmp_path / ".ssh" / "known_hosts"
    kh = KnownHosts(str(path))
    blob = keys["ed25519"].blob
    caplog.set_level("INFO", logger="pssh._known_hosts")
    assert verify(kh, "accept-new", "h.example", 22, None, blob, str(path)) is Verdict.UNKNOWN
    assert "Permanently added h.example (ED25519)" in caplog.text
    assert verify(kh, "accept-new", "h.example", 22, None, blob, str(path)) is Verdict.OK
    assert verify(kh, "strict", "h.example", 22, None, blob, str(path)) is Verdict.OK
    assert path.read_text().count("\n") == 1
    assert keygen_find("h.example", path) == [1]
    assert verify(KnownHosts(str(path)), "strict", "h.example", 22, None, blob) == "ok"


def test_verify_accept_new_hashed_with_ip(tmp_path, keys):
    path = tmp_path / "kh"
    kh = KnownHosts(str(path))
    blob = keys["ecdsa256"].blob
    verify(kh, "accept-new", "h.example", 22, None, blob, str(path), hash_name=True, ip="10.2.2.2")
    assert keygen_find("h.example", path) == [1] and keygen_find("10.2.2.2", path) == [2]
    # Host known, address new: the address is recorded too.
    verify(kh, "accept-new", "h.example", 22, None, blob, str(path), ip="10.3.3.3")
    assert keygen_find("10.3.3.3", path) == [3]
    # Under strict the address is not recorded, but the host key is accepted.
    assert verify(kh, "strict", "h.example", 22, None, blob, str(path), ip="10.4.4.4") == "ok"
    assert keygen_find("10.4.4.4", path) == []


def test_verify_accept_new_survives_unwritable_file(tmp_path, keys, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("")
    bad_path = str(blocker / "known_hosts")  # parent is a regular file
    kh = KnownHosts(bad_path)
    blob = keys["ed25519"].blob
    assert verify(kh, "accept-new", "h", 22, None, blob, bad_path) == "unknown"
    assert "Failed to add the host key of h" in caplog.text
    assert verify(kh, "strict", "h", 22, None, blob, bad_path) == "ok"  # kept in memory
    assert verify(KnownHosts([]), "accept-new", "h", 22, None, blob, None) == "unknown"


@pytest.mark.parametrize("policy", ["strict", "accept-new", "yes", "ask"])
def test_verify_mismatch_message_and_remedy(tmp_path, keys, policy):
    path = tmp_path / "known_hosts"
    path.write_text("# header\n" + keys["rsa"].line("[h.example]:2222") + "\n")
    kh = KnownHosts(str(path))
    blob = keys["ed25519"].blob
    with pytest.raises(exceptions.HostKeyMismatchError) as info:
        verify(kh, policy, "h.example", 2222, "ssh-ed25519", blob, str(path))
    err = info.value
    text = str(err)
    assert err.host == "h.example"
    assert "[h.example]:2222" in text and "CHANGED" in text and "ED25519" in text
    assert fingerprint_sha256(blob) in text  # presented
    assert fingerprint_sha256(keys["rsa"].blob) in text  # recorded
    assert f"RSA key {fingerprint_sha256(keys['rsa'].blob)} in {path}:2" in text
    command = re.search(r'ssh-keygen -f "[^"]+" -R "[^"]+"', text).group(0)
    assert path.read_text().count("\n") == 2  # nothing recorded
    # The suggested command really removes the offending line.
    subprocess.run(command, shell=True, check=True, capture_output=True)
    assert (
        verify(KnownHosts(str(path)), "accept-new", "h.example", 2222, None, blob, str(path))
        == "unknown"
    )


def test_verify_revoked_under_every_checking_policy(tmp_path, keys):
    path = tmp_path / "kh"
    blob = keys["ed25519"].blob
    path.write_text(keys["ed25519"].line("h", "@revoked") + "\n" + keys["ed25519"].line("h") + "\n")
    kh = KnownHosts(str(path))
    for policy in ("strict", "accept-new"):
        with pytest.raises(exceptions.RevokedHostKeyError) as info:
            verify(kh, policy, "h", 22, None, blob, str(path))
        assert info.value.host == "h"
        assert "revoked" in str(info.value) and f"{path}:1" in str(info.value)
        assert fingerprint_sha256(blob) in str(info.value)
    assert path.read_text().count("\n") == 2


def test_verify_off_checks_and_writes_nothing(tmp_path, keys):
    path = tmp_path / "kh"
    path.write_text(keys["ed25519"].line("h", "@revoked") + "\n" + keys["rsa"].line("m") + "\n")
    kh = KnownHosts(str(path))
    before = path.read_text()
    for host in ("h", "m", "new"):
        assert verify(kh, "off", host, 22, None, keys["ed25519"].blob, str(path)) is None
        assert verify(kh, False, host, 22, None, keys["ed25519"].blob, str(path)) is None
    assert path.read_text() == before


def test_verify_rejects_bad_policy(keys):
    with pytest.raises(ValueError):
        verify(KnownHosts([]), "sometimes", "h", 22, None, keys["ed25519"].blob)


def test_verify_concurrent_same_host_records_once(tmp_path, keys):
    path = tmp_path / "kh"
    kh = KnownHosts(str(path))
    start = threading.Barrier(8)
    verdicts = []

    def worker() -> None:
        start.wait()
        verdicts.append(verify(kh, "accept-new", "same", 22, None, keys["rsa"].blob, str(path)))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(verdicts) == ["ok"] * 7 + ["unknown"]
    assert path.read_text().count("\n") == 1


def test_paths_are_kept(tmp_path):
    kh = KnownHosts([str(tmp_path / "a"), "~/b"])
    assert kh.paths == [str(tmp_path / "a"), os.path.expanduser("~/b")]


# --------------------------------------------------------------------------
# Differential test: random name patterns (fixed seeds) looked up by us and by ssh-keygen -F

NAME_PARTS = ["a", "b", "ab", "A", "*", "?", "a*", "*b", "?b", "h1", "H1", "[h1]:2222",
              "[h*]:22??", "[*]:*", "10.0.0.1", "10.0.0.*", "::1", "[::1]:2222"]  # fmt: skip
QUERIES = [("a", None), ("ab", None), ("b", None), ("h1", None), ("h1", 2222), ("h2", 2200),
           ("10.0.0.1", None), ("10.0.0.12", None), ("::1", None), ("::1", 2222)]  # fmt: skip


@pytest.mark.parametrize("seed", range(25))
def test_random_patterns_like_ssh_keygen(tmp_path, keys, seed):
    import random

    rng = random.Random(seed)
    lines = []
    for _ in range(8):
        names = [("!" if rng.random() < 0.25 else "") + rng.choice(NAME_PARTS) for _ in range(3)]
        if rng.random() < 0.15:
            names = [hash_hostname(known_hosts_name(*rng.choice(QUERIES)))]
        marker = rng.choice(["", "", "", "@revoked", "@cert-authority"])
        lines.append(
            keys[rng.choice(["ed25519", "rsa"])].line(",".join(names[: rng.randint(1, 3)]), marker)
        )
    path = tmp_path / "kh"
    path.write_text("\n".join(lines) + "\n")
    kh = KnownHosts(str(path))
    for host, port in QUERIES:
        assert [e.lineno for e in kh.lookup(host, port)] == keygen_find(
            known_hosts_name(host, port), path
        )


def test_many_greenlets_verify_at_once(tmp_path, keys):
    import gevent

    path = tmp_path / "kh"
    kh = KnownHosts(str(path))
    blob = keys["ed25519"].blob

    def connect(n: int):
        gevent.sleep(0)
        return verify(kh, "accept-new", f"g{n % 40}.example", 2200, None, blob, str(path))

    jobs = [gevent.spawn(connect, n) for n in range(120)]
    gevent.joinall(jobs, raise_error=True)
    verdicts = [job.value for job in jobs]
    assert verdicts.count("unknown") == 40 and verdicts.count("ok") == 80
    _check_file(path, {f"[g{n}.example]:2200" for n in range(40)}, blob)
