"""The parallel client raises the open-files limit for every host it will keep
connected, not just for ``pool_size`` at once (no server needed: clients
connect lazily)."""

from __future__ import annotations

import resource

import pytest

from pssh.clients.native import ParallelSSHClient


@pytest.fixture
def low_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 2100:
        pytest.fail("hard open-files limit %s is below what this test needs" % hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def _hosts(n):
    return ["127.1.%d.%d" % divmod(i, 250) for i in range(n)]


def test_limit_covers_every_host_with_a_small_pool(low_limit):
    ParallelSSHClient(_hosts(500), pool_size=10)
    assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] >= 500 * 2


def test_limit_follows_a_longer_host_list(low_limit):
    client = ParallelSSHClient(_hosts(10), pool_size=10)
    client.hosts = _hosts(1000)
    assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] >= 1000 * 2
