"""Agent forwarding on the paramiko client forwards only the agent the user allowed,
checked from the remote side (``$SSH_AUTH_SOCK``, ``ssh-add -l``, and a login made
from the host with the forwarded agent) against a real sshd."""

from __future__ import annotations

import logging
import struct
import subprocess

import gevent
import paramiko
import pytest

from pssh.agent import SSHAgent
from pssh.clients import _warn_once
from pssh.clients.miko import ParallelSSHClient
from pssh.clients.miko._forward import MAX_MESSAGE, _KeyServer
from pssh.utils import load_private_key

pytestmark = pytest.mark.integration

USES_AGENT = 'echo "[$SSH_AUTH_SOCK]"; ssh-add -l; echo "rc=$?"'


@pytest.fixture(autouse=True)
def fresh_warnings(monkeypatch, ssh_agent):
    monkeypatch.setattr(_warn_once, "_warned", set())
    monkeypatch.setenv("SSH_AUTH_SOCK", ssh_agent)  # the system agent: the ed25519 key


def fingerprint(path: str) -> str:
    out = subprocess.run(["ssh-keygen", "-lf", path], capture_output=True, text=True,
                         check=True, timeout=30).stdout  # fmt: skip
    return out.split()[1]


def run(client, command: str) -> list[str]:
    with gevent.Timeout(60):
        output = client.run_command(command, use_pty=False)
        client.join(output)
    (host_out,) = output.values()
    assert host_out.exception is None
    return list(host_out.stdout)


@pytest.fixture
def make(client_factory, sshd):
    def make(**kwargs):
        kwargs.setdefault("pkey", sshd.pkey)
        return client_factory(ParallelSSHClient, hosts=[sshd.host], ssh_config="none",
                              host_key_policy="off", **kwargs)  # fmt: skip

    return make


def test_default_is_off(make):
    out = run(make(), USES_AGENT)
    assert out[0] == "[]" and out[-1] == "rc=2"


def test_system_agent_forwarded_when_asked(make, sshd):
    out = run(make(forward_ssh_agent=True), USES_AGENT)
    assert out[0] != "[]" and out[-1] == "rc=0"
    assert fingerprint(sshd.pkey) in " ".join(out)


def test_no_agent_forwarded_with_allow_agent_false(make, sshd, caplog):
    caplog.set_level(logging.WARNING)
    client = make(forward_ssh_agent=True, allow_agent=False)
    for _ in range(2):
        out = run(client, USES_AGENT)
        assert out[0] == "[]" and out[-1] == "rc=2"
    found = [
        r.getMessage()
        for r in caplog.records
        if r.getMessage().startswith(f"Not forwarding an SSH agent to {sshd.host}")
    ]
    assert len(found) == 1 and "allow_agent=False" in found[0]


def test_programmatic_agent_forwards_its_keys_only(make, sshd):
    agent = SSHAgent()
    agent.add_key(load_private_key(sshd.rsa_pkey))
    client = make(forward_ssh_agent=True, agent=agent, pkey=None)
    out = run(client, USES_AGENT)
    listed = " ".join(out)
    assert out[0] != "[]" and out[-1] == "rc=0"
    assert fingerprint(sshd.rsa_pkey) in listed
    assert fingerprint(sshd.pkey) not in listed  # the system agent's key is not reachable
    # the host can sign with it: log in from the host to another host with the agent only
    hop = (
        "ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=no "
        f"-o UserKnownHostsFile=/dev/null -o IdentityFile=/nonexistent -p {sshd.port} "
        f"{sshd.user}@{sshd.hosts[1]} echo signed-in 2>/dev/null"
    )
    assert run(client, hop) == ["signed-in"]


# -- the in-process agent serving a programmatic agent's keys (no server needed) ----------


class FakeChannel:
    """The server's side of a forwarded agent connection: requests in, replies out."""

    def __init__(self, data: bytes) -> None:
        self.data, self.sent, self.closed = data, b"", False

    def recv(self, size: int) -> bytes:
        chunk, self.data = self.data[:size], self.data[size:]
        return chunk

    def sendall(self, data: bytes) -> None:
        self.sent += data

    def close(self) -> None:
        self.closed = True


def frame(body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + body


def replies(sent: bytes) -> list[bytes]:
    out = []
    while sent:
        (length,) = struct.unpack(">I", sent[:4])
        out.append(sent[4 : 4 + length])
        sent = sent[4 + length :]
    return out


def test_key_server_refuses_what_it_does_not_serve(sshd):
    agent = SSHAgent()
    key = load_private_key(sshd.pkey)
    agent.add_key(key)
    requests = [
        bytes([17]) + b"\0\0\0\x07ssh-rsa",  # add identity: refused
        bytes([13]) + b"\0\0\0\xff",  # truncated sign request: refused
        bytes([13]) + frame(b"unknown-blob") + frame(b"data") + b"\0\0\0\0",  # not our key
        bytes([19]),  # remove all identities: refused
        bytes([11]),  # list: still answered after all that
    ]
    channel = FakeChannel(b"".join(frame(r) for r in requests))
    _KeyServer(agent).serve(channel)
    answers = replies(channel.sent)
    assert answers[:4] == [bytes([5])] * 4
    assert answers[4][0] == 12 and struct.unpack(">I", answers[4][1:5]) == (1,)
    assert key.asbytes() in answers[4]
    assert channel.closed and agent.get_keys() == (key,)


def test_key_server_signs_and_drops_oversized_messages(sshd):
    agent = SSHAgent()
    key = load_private_key(sshd.pkey)
    agent.add_key(key)
    sign = bytes([13]) + frame(key.asbytes()) + frame(b"to sign") + b"\0\0\0\0"
    channel = FakeChannel(frame(sign) + struct.pack(">I", MAX_MESSAGE + 1) + b"x" * 64)
    _KeyServer(agent).serve(channel)
    (answer,) = replies(channel.sent)  # the oversized message ended the connection
    assert answer[0] == 14
    signature = paramiko.Message(answer[1:]).get_binary()
    public = paramiko.PKey.from_type_string(key.get_name(), key.asbytes())
    assert public.verify_ssh_sig(b"to sign", paramiko.Message(signature))
    assert channel.closed
