"""1.8.0 behaviour of the paramiko (miko) clients only: a ``proxy_host`` without its own
credentials is logged in to with the host's user, password and key, as 1.8.0 did."""

from __future__ import annotations

import gevent
import pytest

from pssh.clients.miko import ParallelSSHClient, SSHClient
from pssh.exceptions import AuthenticationException, ProxyError, SSHException
from pssh.utils import load_private_key

pytestmark = pytest.mark.integration

GUARD = 60


def _whoami(client, host):
    with gevent.Timeout(GUARD):
        output = client.run_command("whoami")
        client.join(output)
    return list(output[host].stdout)


def test_proxy_falls_back_to_host_password(sshd, proxy_sshd):
    # no key anywhere (empty HOME, no agent): only the host's password can log in to the proxy
    client = ParallelSSHClient([sshd.host], port=sshd.port, user=sshd.user,
                               password=sshd.password, proxy_host=proxy_sshd.host,
                               proxy_port=proxy_sshd.port, num_retries=1)  # fmt: skip
    assert _whoami(client, sshd.host) == [sshd.user]
    proxy = client.host_clients[sshd.host].proxy_client
    assert proxy is not None and proxy.user == sshd.user


def test_proxy_falls_back_to_host_user_and_key(sshd, proxy_sshd):
    client = ParallelSSHClient([sshd.host], port=sshd.port, user=sshd.user,
                               pkey=load_private_key(sshd.pkey), allow_agent=False,
                               proxy_host=proxy_sshd.host, proxy_port=proxy_sshd.port,
                               num_retries=1)  # fmt: skip
    assert _whoami(client, sshd.host) == [sshd.user]


def test_proxy_credentials_given_win(sshd, proxy_sshd):
    with pytest.raises(ProxyError) as info:
        SSHClient(sshd.host, port=sshd.port, user=sshd.user, password=sshd.password,
                  proxy_host=proxy_sshd.host, proxy_port=proxy_sshd.port,
                  proxy_password="wrong-Pa55", num_retries=1)  # fmt: skip
    assert info.value.host == sshd.host
    assert "wrong-Pa55" not in str(info.value)
    assert sshd.password not in str(info.value)


# -- an SSH protocol error while logging in ---------------------------------------------------


class CorruptAfterKex:
    """A TCP relay to a real sshd that flips a byte of the first encrypted data the server
    sends after its NEWKEYS message: the key exchange succeeds, and what follows - the
    login - fails with an SSH protocol error (a bad MAC or packet length), not with a
    refused credential."""

    NEWKEYS = 21
    FLIP = 8

    def __init__(self, target: tuple[str, int]) -> None:
        from gevent.server import StreamServer

        self.target = target
        self.server = StreamServer(("127.0.0.1", 0), self._handle)
        self.server.start()
        self.port = self.server.server_port

    def _handle(self, client, _address) -> None:
        import socket

        upstream = socket.create_connection(self.target)
        up = gevent.spawn(self._pipe, client, upstream)
        try:
            self._server_to_client(upstream, client)
        finally:
            up.kill()
            upstream.close()
            client.close()

    @staticmethod
    def _pipe(src, dst) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass

    def _server_to_client(self, src, dst) -> None:
        buffer, banner_done, encrypted, flipped = b"", False, False, False
        try:
            while data := src.recv(65536):
                if flipped:
                    dst.sendall(data)
                    continue
                buffer += data
                if not banner_done:
                    if b"\n" not in buffer:
                        continue
                    banner, buffer = buffer.split(b"\n", 1)
                    dst.sendall(banner + b"\n")
                    banner_done = True
                while len(buffer) >= 6 and not encrypted:
                    size = 4 + int.from_bytes(buffer[:4], "big")
                    if len(buffer) < size:
                        break
                    packet, buffer = buffer[:size], buffer[size:]
                    dst.sendall(packet)
                    encrypted = packet[5] == self.NEWKEYS
                if encrypted and len(buffer) > self.FLIP:
                    # past the packet length: the length still reads right, the MAC does not
                    at = self.FLIP
                    dst.sendall(buffer[:at] + bytes([buffer[at] ^ 0xFF]) + buffer[at + 1 :])
                    buffer, flipped = b"", True
        except OSError:
            pass

    def close(self) -> None:
        self.server.stop()


def test_protocol_error_while_logging_in_is_ssh_exception(sshd):
    relay = CorruptAfterKex((sshd.host, sshd.port))
    try:
        with gevent.Timeout(GUARD), pytest.raises(SSHException) as info:
            SSHClient("127.0.0.1", port=relay.port, user=sshd.user, password=sshd.password,
                      host_key_policy="off", num_retries=1, timeout=10)  # fmt: skip
        assert not isinstance(info.value, AuthenticationException)
        assert info.value.args[1] == "127.0.0.1"
        assert info.value.args[2] == relay.port
        assert len(info.value.args) == 4
    finally:
        relay.close()
