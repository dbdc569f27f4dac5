"""paramiko client: the parallel-ssh 2.x connection keywords where paramiko differs."""

from __future__ import annotations

import pytest

from pssh.clients.miko import SSHClient


@pytest.fixture
def kbdint_server(tmp_path):
    from embedded_server.kbdint_server import KbdIntServer

    server = KbdIntServer("127.0.0.88", "open sesame", str(tmp_path / "kbdint.log"))
    yield server
    server.stop()


@pytest.mark.parametrize("keyboard_interactive", [True, False])
def test_paramiko_answers_keyboard_interactive_with_the_password(
    kbdint_server, keyboard_interactive
):
    # paramiko falls back to keyboard-interactive by itself: the keyword changes nothing
    client = SSHClient(
        kbdint_server.host, port=kbdint_server.port, user="anyone", password="open sesame",
        allow_agent=False, identity_auth=False, num_retries=0, host_key_policy="off",
        ssh_config="none", keyboard_interactive=keyboard_interactive,
    )  # fmt: skip
    assert client.connected
    assert kbdint_server.answers() == 1
    client.disconnect()


def test_paramiko_single_client_2x_keywords(sshd):
    client = SSHClient(
        sshd.host, port=sshd.port, user=sshd.user, pkey=sshd.pkey, num_retries=0,
        alias="web-1", keepalive_seconds=5, compress=True,
    )  # fmt: skip
    try:
        assert client.alias == "web-1"
        transport = client.client.get_transport()
        assert transport.packetizer._Packetizer__keepalive_interval == 5
        assert "zlib" in transport.local_compression
    finally:
        client.disconnect()


def test_paramiko_keyboard_interactive_needs_a_password(sshd):
    with pytest.raises(ValueError, match="keyboard_interactive needs a password"):
        SSHClient(sshd.host, port=sshd.port, user=sshd.user, keyboard_interactive=True)
