"""Unit tests for pssh.utils: loggers, private key loading, OpenSSH config."""

from __future__ import annotations

import logging
import pathlib
import subprocess

import paramiko
import pytest

import pssh
from pssh import exceptions, utils
from pssh.utils import (
    enable_host_logger,
    enable_logger,
    load_private_key,
    read_openssh_config,
)

# --------------------------------------------------------------------------
# Loggers


@pytest.fixture
def restore_loggers():
    """Undo what enable_logger/enable_host_logger did to the pssh loggers."""
    saved = {
        lg: (list(lg.handlers), lg.level, lg.propagate) for lg in (pssh.logger, pssh.host_logger)
    }
    yield
    for lg, (handlers, level, propagate) in saved.items():
        lg.handlers[:] = handlers
        lg.setLevel(level)
        lg.propagate = propagate


def _stdout_handlers(lg: logging.Logger) -> list[logging.Handler]:
    return [h for h in lg.handlers if isinstance(h, logging.StreamHandler)]


def test_module_loggers_are_package_loggers():
    assert utils.logger is pssh.logger
    assert utils.host_logger is pssh.host_logger
    assert utils.logger.name == "pssh"
    assert utils.host_logger.name == "pssh.host_logger"


def test_enable_logger_is_idempotent(restore_loggers, capsys):
    enable_logger(pssh.logger)
    enable_logger(pssh.logger)
    assert len(_stdout_handlers(pssh.logger)) == 1
    assert pssh.logger.level == logging.INFO
    pssh.logger.info("hello %s", "world")
    out = capsys.readouterr().out
    assert out.count("hello world") == 1
    assert "INFO" in out


def test_enable_logger_updates_level(restore_loggers, capsys):
    enable_logger(pssh.logger)
    enable_logger(pssh.logger, level=logging.DEBUG)
    assert pssh.logger.level == logging.DEBUG
    assert len(_stdout_handlers(pssh.logger)) == 1
    pssh.logger.debug("debug line")
    assert capsys.readouterr().out.count("debug line") == 1


def test_enable_logger_other_logger():
    lg = logging.getLogger("pssh.tests.enable_logger")
    try:
        enable_logger(lg, level=logging.WARNING)
        assert lg.level == logging.WARNING
        assert len(_stdout_handlers(lg)) == 1
    finally:
        lg.handlers.clear()
        lg.setLevel(logging.NOTSET)


def test_host_logger_line_format(restore_loggers, capsys):
    enable_host_logger()
    enable_host_logger()
    assert len(_stdout_handlers(pssh.host_logger)) == 1
    pssh.host_logger.info("[%s]\t%s", "localhost", "Linux")
    assert capsys.readouterr().out == "[localhost]\tLinux\n"


@pytest.mark.parametrize("pssh_first", [True, False])
def test_host_logger_not_duplicated_by_pssh_logger(restore_loggers, capsys, pssh_first):
    if pssh_first:
        enable_logger(pssh.logger)
        enable_host_logger()
    else:
        enable_host_logger()
        enable_logger(pssh.logger)
    pssh.host_logger.info("[%s]\t%s", "host1", "line")
    pssh.logger.info("library message")
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "[host1]\tline"
    assert len(out) == 2
    assert out[1].endswith("library message")


def test_host_lines_reach_pssh_logger_when_host_logger_not_enabled(restore_loggers, capsys):
    enable_logger(pssh.logger)
    pssh.host_logger.info("[%s]\t%s", "host1", "line")
    out = capsys.readouterr().out
    assert out.count("[host1]\tline") == 1


def test_host_logger_still_propagates(restore_loggers, caplog):
    enable_host_logger()
    with caplog.at_level(logging.INFO):
        pssh.host_logger.info("[%s]\t%s", "host1", "line")
    assert [r.getMessage() for r in caplog.records] == ["[host1]\tline"]


# --------------------------------------------------------------------------
# Private keys


def _keygen(directory: pathlib.Path, name: str, *args: str, passphrase: str = "") -> pathlib.Path:
    path = directory / name
    subprocess.run(
        ["ssh-keygen", "-q", "-N", passphrase, "-C", name, "-f", str(path), *args],
        check=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
    )
    return path


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> dict[str, pathlib.Path]:
    directory = tmp_path_factory.mktemp("keys")
    return {
        "ed25519": _keygen(directory, "ed25519", "-t", "ed25519"),
        "ecdsa": _keygen(directory, "ecdsa", "-t", "ecdsa"),
        "rsa": _keygen(directory, "rsa", "-t", "rsa", "-b", "2048"),
        "rsa_pem": _keygen(directory, "rsa_pem", "-t", "rsa", "-b", "2048", "-m", "PEM"),
        "ecdsa_pem": _keygen(directory, "ecdsa_pem", "-t", "ecdsa", "-m", "PEM"),
        "dsa": _keygen(directory, "dsa", "-t", "dsa"),
        "ed25519_enc": _keygen(directory, "ed25519_enc", "-t", "ed25519", passphrase="s3cret!"),
        "rsa_pem_enc": _keygen(
            directory, "rsa_pem_enc", "-t", "rsa", "-b", "2048", "-m", "PEM", passphrase="s3cret!"
        ),
    }


def _public_blob(private_path: pathlib.Path) -> str:
    return pathlib.Path(f"{private_path}.pub").read_text().split()[1]


LOADABLE = ["ed25519", "ecdsa", "rsa", "rsa_pem", "ecdsa_pem"]
KEY_NAMES = {
    "ed25519": "ssh-ed25519",
    "ecdsa": "ecdsa-sha2-nistp256",
    "rsa": "ssh-rsa",
    "rsa_pem": "ssh-rsa",
    "ecdsa_pem": "ecdsa-sha2-nistp256",
}


@pytest.mark.parametrize("kind", LOADABLE)
def test_load_from_path(keys, kind):
    key = load_private_key(str(keys[kind]))
    assert isinstance(key, paramiko.PKey)
    assert key.get_name() == KEY_NAMES[kind]
    assert key.get_base64() == _public_blob(keys[kind])
    assert key.can_sign()


@pytest.mark.parametrize("kind", LOADABLE)
def test_load_from_pathlib_path(keys, kind):
    assert load_private_key(keys[kind]).get_base64() == _public_blob(keys[kind])


@pytest.mark.parametrize("kind", LOADABLE)
def test_load_from_text_file_object(keys, kind):
    with open(keys[kind]) as fh:
        key = load_private_key(fh)
    assert key.get_base64() == _public_blob(keys[kind])


@pytest.mark.parametrize("kind", LOADABLE)
def test_load_from_binary_file_object(keys, kind):
    with open(keys[kind], "rb") as fh:
        key = load_private_key(fh)
    assert key.get_base64() == _public_blob(keys[kind])


def test_load_expands_user(keys, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "my_key").write_bytes(keys["ed25519"].read_bytes())
    assert load_private_key("~/my_key").get_base64() == _public_blob(keys["ed25519"])


def test_load_dsa(keys):
    if hasattr(paramiko, "DSSKey"):
        assert load_private_key(str(keys["dsa"])).get_name() == "ssh-dss"
    else:
        with pytest.raises(exceptions.SSHException) as err:
            load_private_key(str(keys["dsa"]))
        assert str(keys["dsa"]) in str(err.value)
        assert "DSA" in str(err.value)
        assert "no longer supported" in str(err.value)


@pytest.mark.parametrize("kind", ["ed25519_enc", "rsa_pem_enc"])
def test_load_encrypted_with_password(keys, kind):
    key = load_private_key(str(keys[kind]), password="s3cret!")
    assert key.get_base64() == _public_blob(keys[kind])


@pytest.mark.parametrize("kind", ["ed25519_enc", "rsa_pem_enc"])
def test_load_encrypted_file_object_with_password(keys, kind):
    with open(keys[kind], "rb") as fh:
        key = load_private_key(fh, password="s3cret!")
    assert key.get_base64() == _public_blob(keys[kind])


@pytest.mark.parametrize("kind", ["ed25519_enc", "rsa_pem_enc"])
def test_load_encrypted_without_password(keys, kind):
    with pytest.raises(exceptions.SSHException) as err:
        load_private_key(str(keys[kind]))
    message = str(err.value)
    assert str(keys[kind]) in message
    assert "passphrase" in message


@pytest.mark.parametrize("kind", ["ed25519_enc", "rsa_pem_enc"])
def test_load_encrypted_wrong_password(keys, kind):
    with pytest.raises(exceptions.SSHException) as err:
        load_private_key(str(keys[kind]), password="not the passphrase")
    assert str(keys[kind]) in str(err.value)
    assert "wrong passphrase" in str(err.value)


def test_load_garbage_file(tmp_path):
    path = tmp_path / "garbage"
    path.write_text("this is not a key\n")
    with pytest.raises(exceptions.SSHException) as err:
        load_private_key(str(path))
    assert str(path) in str(err.value)


def test_load_corrupt_key_body(keys, tmp_path):
    lines = keys["ed25519"].read_text().splitlines()
    path = tmp_path / "corrupt"
    path.write_text("\n".join([lines[0], "AAAAnotbase64!!", lines[-1]]) + "\n")
    with pytest.raises(exceptions.SSHException) as err:
        load_private_key(str(path))
    assert str(path) in str(err.value)


def test_load_public_key_file(keys):
    path = f"{keys['rsa']}.pub"
    with pytest.raises(exceptions.SSHException) as err:
        load_private_key(path)
    assert path in str(err.value)


def test_load_binary_garbage(tmp_path):
    path = tmp_path / "binary"
    path.write_bytes(b"\xff\xfe\x00\x9c")
    with pytest.raises(exceptions.SSHException):
        load_private_key(str(path))


def test_load_missing_file(tmp_path):
    path = str(tmp_path / "no_such_key")
    with pytest.raises(exceptions.SSHException) as err:
        load_private_key(path)
    assert path in str(err.value)
    assert isinstance(err.value.__cause__, FileNotFoundError)


def test_load_wrong_argument_type():
    with pytest.raises(exceptions.SSHException):
        load_private_key(12345)  # type: ignore[arg-type]


def test_load_raises_our_ssh_exception(tmp_path):
    path = tmp_path / "garbage"
    path.write_text("garbage")
    with pytest.raises(exceptions.SSHException) as err:
        load_private_key(str(path))
    assert isinstance(err.value, exceptions.PSSHError)
    assert not isinstance(err.value, paramiko.SSHException)


# --------------------------------------------------------------------------
# OpenSSH config

CONFIG = """\
Host myhost
    HostName 10.0.0.1
    User alice
    Port 2222
    IdentityFile ~/.ssh/my_key
    IdentityFile ~/.ssh/second_key

Host *.example.com
    User bob
"""


@pytest.fixture
def config_file(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    path = tmp_path / "ssh_config"
    path.write_text(CONFIG)
    return str(path)


def test_read_openssh_config_host(config_file, tmp_path):
    # no IdentityFile exists: no key
    assert read_openssh_config("myhost", config_file=config_file) == (
        "10.0.0.1",
        "alice",
        2222,
        None,
    )


def test_read_openssh_config_returns_loaded_key(config_file, tmp_path, caplog):
    """1.8.0: the fourth value is a paramiko key (the first IdentityFile that
    exists and loads), not a path; an encrypted one is skipped, with a warning."""
    ssh_dir = tmp_path / ".ssh"
    ssh_dir.mkdir()
    _keygen(ssh_dir, "my_key", "-t", "ed25519", passphrase="secret phrase")
    second = _keygen(ssh_dir, "second_key", "-t", "rsa", "-b", "2048")
    with caplog.at_level(logging.WARNING, logger="pssh"):
        hostname, user, port, pkey = read_openssh_config("myhost", config_file)
    assert (hostname, user, port) == ("10.0.0.1", "alice", 2222)
    assert isinstance(pkey, paramiko.PKey)
    assert pkey == load_private_key(str(second))
    assert str(ssh_dir / "my_key") in caplog.text
    assert "secret phrase" not in caplog.text
    # the first one loads once it is not encrypted
    (ssh_dir / "my_key").unlink()
    first = _keygen(ssh_dir, "my_key", "-t", "ed25519")
    assert read_openssh_config("myhost", config_file)[3] == load_private_key(str(first))


def test_read_openssh_config_wildcard(config_file):
    assert read_openssh_config("web.example.com", config_file) == (
        "web.example.com",
        "bob",
        None,
        None,
    )


def test_read_openssh_config_unknown_host(config_file):
    assert read_openssh_config("other", config_file) == ("other", None, None, None)


def test_read_openssh_config_port_is_int(config_file):
    result = read_openssh_config("myhost", config_file)
    assert result is not None
    assert isinstance(result[2], int)


def test_read_openssh_config_missing_file(tmp_path):
    assert read_openssh_config("myhost", str(tmp_path / "nope")) is None


def test_read_openssh_config_default_path(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert read_openssh_config("myhost") is None
    (tmp_path / ".ssh").mkdir()
    (tmp_path / ".ssh" / "config").write_text(CONFIG)
    result = read_openssh_config("myhost")
    assert result is not None
    assert result[:3] == ("10.0.0.1", "alice", 2222)


def test_read_openssh_config_bad_port(tmp_path):
    path = tmp_path / "config"
    path.write_text("Host x\n    Port notaport\n")
    with pytest.raises(exceptions.SSHException) as err:
        read_openssh_config("x", str(path))
    assert str(path) in str(err.value)


def test_read_openssh_config_unparsable(tmp_path):
    path = tmp_path / "config"
    path.write_text("Host x\n    =broken\n")
    with pytest.raises(exceptions.SSHException) as err:
        read_openssh_config("x", str(path))
    assert str(path) in str(err.value)
