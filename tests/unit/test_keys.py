"""Keys given in memory: named by fingerprint, never shown; paramiko key objects exported in
memory for the native client."""

from __future__ import annotations

import pathlib
import subprocess

import pytest

from pssh import _keys
from pssh.utils import load_private_key


def _keygen(directory: pathlib.Path, name: str, *args: str, passphrase: str = "") -> str:
    path = directory / name
    subprocess.run(
        ["ssh-keygen", "-q", "-N", passphrase, "-f", str(path), *args],
        check=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
    )
    return str(path)


def _ssh_keygen_fingerprint(path: str) -> str:
    out = subprocess.run(["ssh-keygen", "-l", "-f", path], check=True, capture_output=True)
    return out.stdout.decode().split()[1]


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> dict[str, str]:
    directory = tmp_path_factory.mktemp("keys")
    return {
        "ed25519": _keygen(directory, "ed25519", "-t", "ed25519"),
        "rsa": _keygen(directory, "rsa", "-t", "rsa", "-b", "2048"),
        "ecdsa": _keygen(directory, "ecdsa", "-t", "ecdsa"),
        "rsa-pem": _keygen(directory, "rsa-pem", "-t", "rsa", "-b", "2048", "-m", "PEM"),
        "encrypted": _keygen(directory, "encrypted", "-t", "ed25519", passphrase="pass phrase"),
    }


@pytest.mark.parametrize("kind", ["ed25519", "rsa", "ecdsa", "rsa-pem", "encrypted"])
def test_fingerprint_of_key_text_matches_ssh_keygen(keys, kind):
    with open(keys[kind]) as fh:
        text = fh.read()
    want = _ssh_keygen_fingerprint(keys[kind])
    assert _keys.fingerprint(text) == want
    assert _keys.fingerprint(text.encode()) == want
    assert _keys.key_name(text) == "key %s given in memory" % want


@pytest.mark.parametrize("kind", ["ed25519", "rsa", "ecdsa", "rsa-pem"])
def test_paramiko_key_exported_in_memory(keys, kind):
    pkey = load_private_key(keys[kind])
    want = _ssh_keygen_fingerprint(keys[kind])
    assert _keys.is_paramiko_key(pkey)
    assert _keys.fingerprint(pkey) == want
    pem = _keys.to_openssh_pem(pkey)
    assert pem.startswith(b"-----BEGIN OPENSSH PRIVATE KEY-----")
    assert _keys.fingerprint(pem) == want
    assert load_private_key(pem.decode()) == pkey  # the same private key


def test_unreadable_key_text_is_key_given_in_memory():
    garbled = "-----BEGIN OPENSSH PRIVATE KEY-----\nSECRET\n-----END OPENSSH PRIVATE KEY-----\n"
    assert _keys.fingerprint(garbled) is None
    assert _keys.key_name(garbled) == _keys.IN_MEMORY
    assert _keys.key_name(b"\x00\x01secret") == _keys.IN_MEMORY


def test_paths_are_named_as_they_are():
    assert _keys.key_name("/home/me/.ssh/id_ed25519") == "/home/me/.ssh/id_ed25519"
    assert not _keys.looks_like_key_text("~/.ssh/id_rsa")
    assert _keys.looks_like_key_text("-----BEGIN RSA PRIVATE KEY-----")
    assert _keys.looks_like_key_text("two\nlines")


def test_agent_key_cannot_be_exported():
    with pytest.raises(TypeError) as info:
        _keys.to_openssh_pem(object())
    assert "no private key" in str(info.value)


def test_load_private_key_error_never_shows_key_text():
    text = (
        "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA-SECRET-MATERIAL\n"
        "-----END OPENSSH PRIVATE KEY-----\n"
    )
    with pytest.raises(Exception) as info:
        load_private_key(text)
    assert "SECRET-MATERIAL" not in str(info.value)
    assert "in memory" in str(info.value)


def test_cli_error_text_cuts_out_key_blocks():
    from pssh.cli._summary import describe_error

    text = "-----BEGIN OPENSSH PRIVATE KEY-----\nSECRET-MATERIAL\n-----END OPENSSH PRIVATE KEY-----"
    described = describe_error(ValueError("bad key %s here" % text))
    assert "SECRET-MATERIAL" not in described
    assert described == "bad key [private key removed] here"
    assert "SECRET" not in describe_error(ValueError("-----BEGIN RSA PRIVATE KEY-----\nSECRET"))
