"""Unit tests for pssh.clients._settings: the merge order of a host's settings
(``host_config``, then the constructor arguments, then the OpenSSH
configuration, then the defaults) and the route decided with them."""

from __future__ import annotations

import dataclasses
import getpass

import pytest

from pssh._known_hosts import HostKeyPolicy
from pssh._ssh_config import JumpHost, SSHConfig
from pssh.clients._route import Command, Direct, Via, hops
from pssh.clients._settings import (
    HostSettings,
    ProxyArgs,
    check_host_config,
    host_config_entry,
    settings_for,
)

CONFIG = """
Host web
    HostName 10.0.0.7
    User cfguser
    Port 2200
    IdentityFile /nonexistent/cfg_key
    ConnectTimeout 7
    StrictHostKeyChecking yes
Host jumped
    ProxyJump alice@j1:2201,j2
Host j2
    Port 2202
    User bob
    ProxyJump ignored-hop
Host commanded
    ProxyCommand nc %h %p
Host both
    ProxyJump j1
    ProxyCommand nc %h %p
Host bastion
    Port 2022
    User baston-user
"""


def given(text: str = CONFIG, **kwargs):
    return HostSettings.given(ssh_config=SSHConfig.from_string(text), **kwargs)


# -- merge order ---------------------------------------------------------------------------


def test_defaults_when_nothing_is_given():
    s = settings_for("plain", given(""))
    assert (s.host, s.user, s.port, s.password, s.pkey) == ("plain", None, None, None, None)
    assert s.login_user == getpass.getuser()
    assert s.login_port == 22 and s.hostname == "plain"
    assert s.route == Direct("plain", 22)
    assert s.connect_timeout is None


def test_openssh_config_fills_what_was_not_given():
    s = settings_for("web", given())
    assert s.login_user == "cfguser" and s.login_port == 2200 and s.hostname == "10.0.0.7"
    assert s.route == Direct("10.0.0.7", 2200)
    assert s.connect_timeout == 7
    assert s.user is None and s.port is None  # not given: the config's values apply


def test_arguments_win_over_the_openssh_config():
    s = settings_for("web", given(user="arguser", port=2300, timeout=3))
    assert s.login_user == "arguser" and s.login_port == 2300
    assert s.connect_timeout == 3
    assert s.route == Direct("10.0.0.7", 2300)


def test_host_config_wins_over_arguments():
    host_config = {"web": {"user": "hcuser", "port": 2400, "password": "hcpw",
                           "private_key": b"hckey"}}  # fmt: skip
    args = given(user="arguser", port=2300, password="argpw", pkey="/arg/key")
    s = settings_for("web", args, host_config)
    assert (s.login_user, s.login_port, s.password, s.pkey) == ("hcuser", 2400, "hcpw", b"hckey")
    # another host of the same client keeps the arguments
    other = settings_for("other", args, host_config)
    assert (other.login_user, other.login_port, other.password, other.pkey) == (
        "arguser", 2300, "argpw", "/arg/key",
    )  # fmt: skip


def test_host_config_values_of_none_are_not_given():
    s = settings_for("web", given(user="arguser"), {"web": {"user": None, "port": None}})
    assert s.login_user == "arguser" and s.login_port == 2200


def test_the_documented_default_port_is_not_given():
    # native ParallelSSHClient: port=22 is its documented default, so the config's Port wins
    assert settings_for("web", given(port=22, port_default=22)).login_port == 2200
    assert settings_for("web", given(port=2300, port_default=22)).login_port == 2300
    # the other clients' port defaults to None: 22 given is 22
    assert settings_for("web", given(port=22)).login_port == 22
    # a host_config port is always given
    assert settings_for("web", given(port_default=22), {"web": {"port": 22}}).login_port == 22


def test_host_key_settings_merge():
    s = settings_for("web", given())
    assert s.host_key_checker().policy is HostKeyPolicy.STRICT  # StrictHostKeyChecking yes
    s = settings_for("web", given(host_key_policy="off"))
    assert s.host_key_checker().policy is HostKeyPolicy.OFF  # the argument wins
    checker = settings_for("web", given(known_hosts="/tmp/kh")).host_key_checker()
    assert checker.write_path == "/tmp/kh" and (checker.name, checker.port) == ("10.0.0.7", 2200)


def test_given_checks_the_arguments_once():
    with pytest.raises(ValueError):
        HostSettings.given(host_key_policy="sometimes")
    with pytest.raises(TypeError, match="host_config must be a dict"):
        settings_for("web", given(), "user=x")
    # a list is 2.x's form: its entries must be HostConfig objects
    with pytest.raises(TypeError, match=r"host_config\[0\] must be a pssh.config.HostConfig"):
        settings_for("web", given(), [{"user": "x"}], 0)
    assert host_config_entry(None, "web") == {}


def test_settings_are_frozen_and_keep_secrets_out_of_repr():
    s = settings_for("web", given(password="hunter2", pkey=b"-----BEGIN key text"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.user = "other"  # type: ignore[misc]
    assert "hunter2" not in repr(s) and "key text" not in repr(s)
    assert s.retry.num_retries == 3


# -- the route -----------------------------------------------------------------------------


def test_proxy_command_route():
    s = settings_for("commanded", given(port=2222))
    assert s.route == Command("nc %h %p")
    assert s.proxy_command().command == "nc commanded 2222"
    assert settings_for("web", given()).proxy_command() is None
    # a ProxyJump in the configuration wins over its ProxyCommand
    assert isinstance(settings_for("both", given()).route, Via)


def test_proxy_jump_chain():
    s = settings_for("jumped", given(user="me", timeout=4, num_retries=2, pkey="/k",
                                     password="pw", forward_ssh_agent=True))  # fmt: skip
    route = s.route
    assert isinstance(route, Via)
    assert (route.address, route.port) == ("jumped", 22)
    j1, j2 = hops(route)
    assert (j1.host, j1.login_user, j1.login_port) == ("j1", "alice", 2201)
    # the hop's own configuration: User and Port, but not its own ProxyJump
    assert (j2.host, j2.login_user, j2.login_port) == ("j2", "bob", 2202)
    assert route.proxy is j2 and isinstance(j2.route, Via) and j2.route.proxy is j1
    assert j1.route == Direct("j1", 2201)
    assert (j2.route.address, j2.route.port) == ("j2", 2202)
    for hop in (j1, j2):
        # the client's timeout, retries and host key settings; their own credentials
        assert (hop.timeout, hop.num_retries, hop.password, hop.pkey) == (4, 2, None, None)
        assert hop.forward_ssh_agent is False
    # sharing keys: hosts behind the same hops share the connections
    assert route.key == ("ProxyJump", JumpHost("alice", "j1", 2201), JumpHost(None, "j2", None))
    assert j2.route.key == ("ProxyJump", JumpHost("alice", "j1", 2201))


def test_tunnel_timeout_and_hop_retries_apply_to_hops():
    s = settings_for("jumped", given(timeout=4, tunnel_timeout=9, num_retries=3, hop_num_retries=1))
    for hop in hops(s.route):
        assert (hop.timeout, hop.num_retries) == (9, 1)
    assert (s.timeout, s.num_retries) == (4, 3)


def test_proxy_host_wins_over_proxy_jump_and_proxy_command():
    proxy = ProxyArgs("bastion", 22, "puser", "ppw", b"pkey")
    for host in ("jumped", "commanded", "web"):
        s = settings_for(host, given(proxy=proxy))
        assert isinstance(s.route, Via) and s.route.key == ("proxy_host",)
        (hop,) = hops(s.route)
        # proxy_port=22 is the documented default: the proxy's own Port applies
        assert (hop.host, hop.login_port, hop.login_user) == ("bastion", 2022, "puser")
        assert (hop.password, hop.pkey) == ("ppw", b"pkey")
        assert hop.route == Direct("bastion", 2022)
    s = settings_for("web", given(proxy=ProxyArgs("bastion", 2023)))
    assert hops(s.route)[0].login_port == 2023
    assert (s.route.address, s.route.port) == ("10.0.0.7", 2200)


def test_proxy_credentials_inherited_only_when_asked():
    args = dict(user="huser", password="hpw", pkey="/host/key", proxy=ProxyArgs("bastion"))
    (hop,) = hops(settings_for("web", given(**args)).route)
    assert (hop.login_user, hop.password, hop.pkey) == ("baston-user", None, None)
    # paramiko clients, as 1.8.0: a proxy without its own credentials gets the host's
    (hop,) = hops(settings_for("web", given(proxy_inherits_credentials=True, **args)).route)
    assert (hop.login_user, hop.password, hop.pkey) == ("huser", "hpw", "/host/key")


def test_tunnel_address_is_a_direct_route():
    # native SSHClient(proxy_host=...) (1.8.0): connect to a local tunnel end instead
    s = settings_for("jumped", given(tunnel_address="127.0.0.1", port=4000))
    assert s.route == Direct("127.0.0.1", 4000)
    assert settings_for("commanded", given(tunnel_address="127.0.0.1")).route == Direct(
        "127.0.0.1", 22
    )


def test_hops_do_not_follow_their_own_proxy_jump():
    s = settings_for("j2", given(follow_proxy_jump=False))
    assert s.route == Direct("j2", 2202)
    assert isinstance(settings_for("j2", given()).route, Via)


def test_a_new_host_reuses_the_parsed_config_and_cache():
    args = given()
    a, b = settings_for("web", args), settings_for("jumped", args)
    assert a.ssh_config is b.ssh_config is args.ssh_config
    assert a.known_hosts_cache is b.known_hosts_cache is hops(b.route)[0].known_hosts_cache


# -- parallel-ssh 2.x HostConfig (issue 15) ---------------------------------------------------


def test_host_config_list_by_position_overrides_client_and_falls_back():
    from pssh.config import HostConfig

    args = given(user="client-user", password="client-pw", timeout=5, num_retries=2)
    config = [
        HostConfig(user="u0", port=2200, alias="a0", timeout=9, identity_auth=False),
        HostConfig(password="pw1", keepalive_seconds=0, read_timeout=3.5, compress=True),
    ]
    first = settings_for("web", args, config, 0)
    second = settings_for("web", args, config, 1)  # the same host, its second entry
    assert (first.user, first.port, first.alias, first.timeout) == ("u0", 2200, "a0", 9)
    assert first.identity_auth is False and first.password == "client-pw"
    assert first.num_retries == 2  # not set: the client's
    assert (second.user, second.port, second.alias) == ("client-user", None, None)
    assert second.password == "pw1" and second.read_timeout == 3.5 and second.compress
    assert second.keepalive_interval == 0
    assert first.keepalive_interval == 0  # keepalive_default of given() is 0


def test_host_config_list_needs_an_entry_per_position():
    from pssh.config import HostConfig

    with pytest.raises(ValueError, match="no entry for host web at position 2"):
        settings_for("web", given(), [HostConfig(), HostConfig()], 2)
    with pytest.raises(ValueError, match="2 entries for 3 hosts"):
        check_host_config([HostConfig(), HostConfig()], ["a", "b", "c"])
    check_host_config((HostConfig(),), ["a"])  # a tuple works too


def test_host_config_dict_may_hold_hostconfig_objects():
    from pssh.config import HostConfig

    s = settings_for("web", given(), {"web": HostConfig(user="u", alias="w")})
    assert (s.user, s.alias) == ("u", "w")


def test_hostconfig_fields_are_the_2x_fields_and_repr_hides_secrets():
    from pssh.config import FIELDS, HostConfig

    assert set(FIELDS) == {
        "user", "port", "password", "private_key", "allow_agent", "alias", "num_retries",
        "retry_delay", "timeout", "identity_auth", "proxy_host", "proxy_port", "proxy_user",
        "proxy_password", "proxy_pkey", "keepalive_seconds", "ipv6_only", "forward_ssh_agent",
        "compress", "keyboard_interactive", "read_timeout",
    }  # fmt: skip
    shown = repr(HostConfig(user="u", password="hunter2", private_key=b"KEYTEXT"))
    assert "hunter2" not in shown and "KEYTEXT" not in shown and "'u'" in shown
    assert HostConfig(port=2) == HostConfig(port=2) != HostConfig(port=3)


def test_per_host_proxies_get_their_own_connection_key():
    from pssh.config import HostConfig

    args = given(proxy=ProxyArgs("bastion-0"))
    config = [
        HostConfig(),  # the client's proxy
        HostConfig(proxy_host="bastion-1", proxy_user="jump"),
        HostConfig(proxy_host="bastion-2", proxy_port=2222),
        HostConfig(proxy_host="bastion-1", proxy_user="jump"),
    ]
    routes = [settings_for("h%d" % i, args, config, i).route for i in range(4)]
    assert [r.proxy.host for r in routes] == ["bastion-0", "bastion-1", "bastion-2", "bastion-1"]
    assert routes[0].key == ("proxy_host",)
    assert routes[1].key == routes[3].key != routes[2].key
    assert routes[1].key != routes[0].key
    assert routes[1].proxy.login_user == "jump" and routes[2].proxy.login_port == 2222
    assert routes[1].proxy.alias is None  # a host's alias is not its proxy's


def test_keepalive_default_gives_way_to_server_alive_interval(tmp_path):
    from pssh.clients._settings import KEEPALIVE_DEFAULT, keepalive_args

    cfg = tmp_path / "config"
    cfg.write_text("Host web\n  ServerAliveInterval 15\n")
    native = HostSettings.given(ssh_config=str(cfg), **keepalive_args(KEEPALIVE_DEFAULT))
    assert settings_for("web", native).keepalive_interval == 15
    assert settings_for("other", native).keepalive_interval == 60
    explicit = HostSettings.given(ssh_config=str(cfg), **keepalive_args(30))
    assert settings_for("web", explicit).keepalive_interval == 30
    off = HostSettings.given(ssh_config=str(cfg), **keepalive_args(0))
    assert settings_for("web", off).keepalive_interval == 0
    with pytest.raises(ValueError, match="keepalive_seconds"):
        keepalive_args(-1)


def test_every_hostconfig_field_reaches_the_settings():
    from pssh.config import HostConfig

    entry = HostConfig(
        user="u", port=2200, password="pw", private_key=b"KEY", allow_agent=False,
        alias="a", num_retries=0, retry_delay=0.5, timeout=4, identity_auth=False,
        proxy_host="bastion", proxy_port=2022, proxy_user="pu", proxy_password="ppw",
        proxy_pkey=b"PKEY", keepalive_seconds=9, ipv6_only=True, forward_ssh_agent=True,
        compress=True, keyboard_interactive=True, read_timeout=2.5,
    )  # fmt: skip
    s = settings_for("web", given(), [entry], 0)
    assert (s.user, s.port, s.password, s.pkey, s.allow_agent) == ("u", 2200, "pw", b"KEY", False)
    assert (s.alias, s.num_retries, s.retry_delay, s.timeout) == ("a", 0, 0.5, 4)
    assert (s.identity_auth, s.keepalive_seconds, s.ipv6_only) == (False, 9, True)
    assert (s.forward_ssh_agent, s.compress, s.keyboard_interactive) == (True, True, True)
    assert s.read_timeout == 2.5
    proxy = s.route.proxy
    assert (proxy.host, proxy.login_port, proxy.login_user) == ("bastion", 2022, "pu")
    assert (proxy.password, proxy.pkey) == ("ppw", b"PKEY")
    assert proxy.keyboard_interactive is False and proxy.forward_ssh_agent is False


def test_keyboard_interactive_without_any_password_names_the_host():
    from pssh.config import HostConfig

    with pytest.raises(ValueError, match="host web"):
        settings_for("web", given(keyboard_interactive=True))
    # a password from host_config is enough
    s = settings_for("web", given(keyboard_interactive=True), [HostConfig(password="x")], 0)
    assert s.keyboard_interactive
