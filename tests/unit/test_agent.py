"""Unit tests for pssh.agent.SSHAgent."""

from __future__ import annotations

import paramiko
import paramiko.agent
import pytest

from pssh.agent import SSHAgent


@pytest.fixture(scope="module")
def rsa_keys() -> list[paramiko.PKey]:
    return [paramiko.RSAKey.generate(bits=1024) for _ in range(2)]


def test_is_paramiko_agent():
    agent = SSHAgent()
    assert isinstance(agent, paramiko.agent.AgentSSH)


def test_new_agent_has_no_keys():
    agent = SSHAgent()
    assert agent.get_keys() == ()


def test_add_and_get_keys(rsa_keys):
    agent = SSHAgent()
    agent.add_key(rsa_keys[0])
    agent.add_key(rsa_keys[1])
    keys = agent.get_keys()
    assert isinstance(keys, tuple)
    assert keys == (rsa_keys[0], rsa_keys[1])
    assert keys[0] is rsa_keys[0]


def test_agents_do_not_share_keys(rsa_keys):
    first, second = SSHAgent(), SSHAgent()
    first.add_key(rsa_keys[0])
    assert second.get_keys() == ()


def test_get_keys_returns_snapshot(rsa_keys):
    agent = SSHAgent()
    agent.add_key(rsa_keys[0])
    keys = agent.get_keys()
    agent.add_key(rsa_keys[1])
    assert len(keys) == 1
    assert len(agent.get_keys()) == 2


def test_close_keeps_keys(rsa_keys):
    # paramiko's SSHClient.close() closes its agent; a shared agent must keep
    # its keys for the other hosts.
    agent = SSHAgent()
    agent.add_key(rsa_keys[0])
    agent.close()
    agent._close()
    assert agent.get_keys() == (rsa_keys[0],)


def test_connect_is_noop(rsa_keys):
    agent = SSHAgent()
    agent.add_key(rsa_keys[0])
    agent._connect(object())
    assert agent.get_keys() == (rsa_keys[0],)


def test_keys_can_sign(rsa_keys):
    agent = SSHAgent()
    agent.add_key(rsa_keys[0])
    (key,) = agent.get_keys()
    message = key.sign_ssh_data(b"data", "rsa-sha2-256")
    message.rewind()
    assert rsa_keys[0].verify_ssh_sig(b"data", message)
