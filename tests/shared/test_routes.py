"""Routes as both single clients follow them when used directly: decided once, in the
client's settings (:func:`pssh.clients._settings.settings_for`), each proxy or jump host's
client made from the hop's own settings there. Against real sshd servers; jump hosts log
at DEBUG1, so their logs name every target they forwarded to."""

from __future__ import annotations

import os
import re

import gevent
import pytest
from backends import SINGLE

from pssh.clients._route import Direct, Via, hops

pytestmark = pytest.mark.integration

DEBUG = ["Match all", "LogLevel DEBUG1"]
FORWARD_RE = re.compile(
    r"server_request_direct_tcpip: originator \S+ port \d+, target (\S+) port (\d+)"
)
GUARD = 60  # seconds: a hung test fails instead of blocking the run


def forwards_since(path: str, offset: int) -> list[tuple[str, int]]:
    with open(path, "rb") as fh:
        fh.seek(offset)
        text = fh.read().decode("utf-8", "replace")
    return [(host, int(port)) for host, port in FORWARD_RE.findall(text)]


def test_single_client_follows_two_hops_from_its_settings(family, sshd, sshd_factory, tmp_path):
    first = sshd_factory(1, first="127.0.0.60", extra_config=DEBUG).config()
    second = sshd_factory(1, first="127.0.0.61", extra_config=DEBUG).config()
    known = str(tmp_path / "known_hosts")
    config = tmp_path / "config"
    # the hops' ports come from their own Host blocks, not from the ProxyJump line
    config.write_text(f"""
Host target
    HostName {sshd.host}
    Port {sshd.port}
    ProxyJump {first.host},{second.host}
Host {first.host}
    Port {first.port}
Host {second.host}
    Port {second.port}
Host *
    User {sshd.user}
    IdentityFile {sshd.pkey}
""")  # fmt: skip
    offsets = [os.path.getsize(first.log_path), os.path.getsize(second.log_path)]
    with gevent.Timeout(GUARD):
        client = SINGLE[family]("target", ssh_config=str(config), known_hosts=known,
                                num_retries=1)  # fmt: skip
    try:
        route = client.settings.route
        assert isinstance(route, Via) and (route.address, route.port) == (sshd.host, sshd.port)
        chain = hops(route)
        assert [(hop.host, hop.login_port) for hop in chain] == [
            (first.host, first.port), (second.host, second.port),
        ]  # fmt: skip
        assert chain[0].route == Direct(first.host, first.port)
        assert forwards_since(first.log_path, offsets[0]) == [(second.host, second.port)]
        assert forwards_since(second.log_path, offsets[1]) == [(sshd.host, sshd.port)]
        # every hop's key was checked against (and recorded in) the client's known_hosts
        with open(known) as fh:
            names = sorted(line.split()[0] for line in fh)
        assert names == sorted(
            f"[{host}]:{port}"
            for host, port in ((first.host, first.port), (second.host, second.port),
                               (sshd.host, sshd.port))
        )  # fmt: skip
    finally:
        client.disconnect()
