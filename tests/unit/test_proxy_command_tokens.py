"""Token expansion of ``ProxyCommand`` (pssh.clients._proxy_command.expand)."""

from __future__ import annotations

import pytest

from pssh.clients._proxy_command import expand


def test_tokens_as_ssh_expands_them():
    assert expand("ssh -W %h:%p -l %r jump # %n %%h", "web1", "10.0.0.5", 2222, "admin") == (
        "ssh -W 10.0.0.5:2222 -l admin jump # web1 %h"
    )
    assert expand("nc [%h] %p", "v6", "fe80::1", 22, "u") == "nc [fe80::1] 22"


@pytest.mark.parametrize("template", ["nc %h %x", "nc %h %", "nc %C"])
def test_unknown_tokens_are_refused(template):
    with pytest.raises(ValueError, match="token"):
        expand(template, "a", "a", 22, "u")


@pytest.mark.parametrize(
    ("host", "hostname", "user"),
    [
        ("x;touch /tmp/p", "h", "u"),  # %n from a host list
        ("h", "$(id)", "u"),
        ("h", "h", "u `id`"),
        ("h", "-oProxyCommand=id", "u"),  # an option, not a host
        ("h", "h", "a'b"),
        ("h", "h\nx", "u"),
        ("h", "", "u"),
    ],
)
def test_unsafe_values_are_refused(host, hostname, user):
    with pytest.raises(ValueError, match="not safe"):
        expand("nc %h %p %r %n", host, hostname, 22, user)
