"""1.8.0 behaviour of the paramiko (miko) clients only: a ``proxy_host`` without its own
credentials is logged in to with the host's user, password and key, as 1.8.0 did."""

from __future__ import annotations

import gevent
import pytest

from pssh.clients.miko import ParallelSSHClient, SSHClient
from pssh.exceptions import ProxyError
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
    proxy = client.host_clients[sshd.host]._proxy_client
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
