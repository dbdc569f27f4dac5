"""Unit tests for pssh._ssh_config, cross-checked against ``ssh -G`` (OpenSSH's resolved
configuration; it connects nowhere)."""

from __future__ import annotations

import hashlib
import os
import pwd
import socket
import subprocess
from pathlib import Path

import pytest

from pssh import _ssh_config
from pssh._known_hosts import HostKeyPolicy
from pssh._ssh_config import (
    HostConfig,
    JumpHost,
    SSHConfig,
    SSHConfigError,
    parse_proxy_jump,
    parse_time,
    split_args,
)

PW = pwd.getpwuid(os.getuid())
LOCAL_USER = PW.pw_name
PW_HOME = PW.pw_dir


@pytest.fixture(autouse=True)
def _passwd_home(monkeypatch):
    """``ssh -G`` expands ``~`` with the passwd home, whatever HOME says: compare like
    with like by running every test with HOME set to it (tests may still override)."""
    monkeypatch.setenv("HOME", PW_HOME)


def ssh_G(config: Path, host: str, user=None, port=None, home=None):
    """``ssh -G`` output as {keyword: [values]}, or None if ssh refuses the config."""
    argv = ["ssh", "-G", "-F", str(config)]
    argv += ["-l", user] if user else []
    argv += ["-p", str(port)] if port else []
    env = dict(os.environ, HOME=str(home)) if home else None
    proc = subprocess.run(
        [*argv, host], capture_output=True, text=True, stdin=subprocess.DEVNULL, env=env
    )
    if proc.returncode != 0:
        return None
    out: dict[str, list[str]] = {}
    for line in proc.stdout.splitlines():
        key, _, value = line.partition(" ")
        out.setdefault(key, []).append(value)
    return out


def assert_like_ssh(config: Path, host: str, user=None, port=None, home=None) -> HostConfig:
    """Resolve ``host`` with our reader and with ``ssh -G``; compare every field."""
    g = ssh_G(config, host, user, port, home)
    assert g is not None, f"ssh -G refused {config}"
    hc = SSHConfig.load(str(config)).lookup(host, user=user, port=port)
    assert hc.host == host
    assert hc.hostname == g["hostname"][0]
    assert (hc.user or LOCAL_USER) == g["user"][0]
    assert hc.port == int(g["port"][0])
    timeout = g["connecttimeout"][0]
    assert hc.connect_timeout == (None if timeout in ("none", "0") else float(timeout))
    assert (hc.server_alive_interval or 0) == int(g["serveraliveinterval"][0])
    assert hc.identities_only == (g["identitiesonly"][0] == "yes")
    assert hc.hash_known_hosts == (g["hashknownhosts"][0] == "yes")
    strict = g["stricthostkeychecking"][0]
    if hc.strict_host_key_checking is None:
        assert strict == "ask"
    else:
        words = {"true": "strict", "ask": "strict", "false": "off", "accept-new": "accept-new"}
        assert hc.strict_host_key_checking == words[strict]
    known = g["userknownhostsfile"][0]
    if hc.user_known_hosts_files is None:
        assert known == f"{PW_HOME}/.ssh/known_hosts {PW_HOME}/.ssh/known_hosts2"
    else:
        assert " ".join(hc.user_known_hosts_files or ("none",)) == known
    # ssh -G prints the last ProxyJump hop rebuilt from its parts, so compare parsed hops.
    assert hc.proxy_jump == parse_proxy_jump(g.get("proxyjump", ["none"])[0])
    assert hc.options.get("proxycommand", ("none",))[0] == g.get("proxycommand", ["none"])[0]
    if "identityfile" in hc.options:
        assert list(hc.options["identityfile"]) == g["identityfile"]
    assert g.get("hostkeyalias", [None])[0] == hc.host_key_alias
    return hc


def write(path: Path, text: str, mode: int = 0o644) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    return path


# --------------------------------------------------------------------------
# Small parsers


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("0", 0), ("90", 90), ("1m30s", 90), ("2h", 7200), ("1d", 86400), ("1w", 604800),
     ("1M1S", 61), ("10s5", 15), ("none", None)],
)  # fmt: skip
def test_parse_time(text, seconds):
    assert parse_time(text) == seconds


@pytest.mark.parametrize("text", ["", "-1", "1x", "m", "1.5", "1 m", "None", "s1"])
def test_parse_time_rejects(text):
    with pytest.raises(ValueError):
        parse_time(text)


@pytest.mark.parametrize(
    ("text", "args"),
    [
        ("a b\tc", ["a", "b", "c"]),
        ('"a b" c', ["a b", "c"]),
        ("'a b' \"c'd\"", ["a b", "c'd"]),
        ("a\\ b", ["a b"]),
        ('a\\"b', ['a"b']),
        ("a\\\\b", ["a\\b"]),
        ("a\\xb", ["a\\xb"]),
        ('x"y z"w', ["xy zw"]),
        ("a #comment", ["a"]),
        ("a b#c", ["a", "b#c"]),
        ("#all comment", []),
        ('""', [""]),
        ("  ", []),
    ],
)
def test_split_args(text, args):
    assert split_args(text) == args


@pytest.mark.parametrize("text", ['"abc', "a 'b", 'x"'])
def test_split_args_rejects_open_quotes(text):
    with pytest.raises(ValueError, match="quotes"):
        split_args(text)


def test_parse_proxy_jump():
    assert parse_proxy_jump("none") == ()
    assert parse_proxy_jump("NONE") == ()
    assert parse_proxy_jump("j1") == (JumpHost(None, "j1", None),)
    assert parse_proxy_jump("alice@j1:2201,j2,ssh://bob@j3:23,[::1]:24,u@[fe80::1],j4/2222") == (
        JumpHost("alice", "j1", 2201),
        JumpHost(None, "j2", None),
        JumpHost("bob", "j3", 23),
        JumpHost(None, "::1", 24),
        JumpHost("u", "fe80::1", None),
        JumpHost(None, "j4", 2222),
    )
    assert parse_proxy_jump("a@b@host:ssh") == (JumpHost("a@b", "host", 22),)
    assert parse_proxy_jump("ssh://us%65r@h/") == (JumpHost("user", "h", None),)
    assert parse_proxy_jump("h1 , h2 # comment") == (
        JumpHost(None, "h1", None),
        JumpHost(None, "h2", None),
    )  # noqa: E501


@pytest.mark.parametrize(
    "text",
    ["", "@h", "h:0", "h:99999", "h:x1", "[::1", "[::1]x", "a,,b", ":22", "ssh://", "ssh://h/p"],
)
def test_parse_proxy_jump_rejects(text):
    with pytest.raises(ValueError):
        parse_proxy_jump(text)


def test_empty_config_defaults():
    hc = SSHConfig().lookup("Some.Host")
    assert hc == HostConfig(host="Some.Host", hostname="some.host")
    assert hc.port == 22 and hc.user is None and hc.identity_files == ()
    assert hc.proxy_jump == () and hc.user_known_hosts_files is None
    assert dict(hc.options) == {}
    hc = SSHConfig.load("none").lookup("h", user="u", port=2)
    assert (hc.user, hc.port) == ("u", 2)
    with pytest.raises(AttributeError):
        hc.port = 3  # frozen


# --------------------------------------------------------------------------
# Against ssh -G


KEYWORDS = """\
# every keyword read here
Host alias1
    HostName %h.example.com
    User alice
    Port 2022
    IdentityFile ~/.ssh/id_%h_%r_%u
    IdentityFile "/tmp/with space/%p"
    IdentitiesOnly yes
    ProxyJump bob@jump1:2201,jump2,ssh://carol@jump3:23
    ConnectTimeout 1m5s
    ServerAliveInterval=30
    StrictHostKeyChecking accept-new
    UserKnownHostsFile ~/kh1 /tmp/kh_%h_%p_%r %d/kh3
    HostKeyAlias Alias.Key
    HashKnownHosts yes
Host alias2
    hostname=Target2
    USER = bob
    port 2200
    StrictHostKeyChecking no
    ConnectTimeout 0
    IdentitiesOnly no
Host alias3
    StrictHostKeyChecking yes
    UserKnownHostsFile none
    ProxyJump none
    ProxyCommand nc %h %p # kept raw
Host alias4
    StrictHostKeyChecking ask
    ProxyCommand none
    ProxyJump ignored
Host *
    User default
    IdentityFile ~/.ssh/id_%h_%r_%u
    IdentityFile ~/.ssh/generic
    ConnectTimeout 7
    ServerAliveInterval 5m
    StrictHostKeyChecking off
"""


@pytest.mark.parametrize("host", ["alias1", "alias2", "alias3", "alias4", "other", "ALIAS1"])
@pytest.mark.parametrize("user", [None, "explicit"])
def test_keywords_like_ssh(tmp_path, host, user):
    config = write(tmp_path / "config", KEYWORDS)
    assert_like_ssh(config, host, user=user)
    assert_like_ssh(config, host, user=user, port=4000)


def test_keywords_values(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    config = SSHConfig.load(str(write(tmp_path / "config", KEYWORDS)))
    hc = config.lookup("alias1")
    assert hc.hostname == "alias1.example.com" and hc.user == "alice" and hc.port == 2022
    assert hc.identity_files == (
        f"{tmp_path}/.ssh/id_alias1.example.com_alice_{LOCAL_USER}",
        "/tmp/with space/2022",
        f"{tmp_path}/.ssh/generic",  # from Host *; the duplicate line was dropped
    )
    assert hc.identities_only is True and hc.hash_known_hosts is True
    assert hc.proxy_jump == (
        JumpHost("bob", "jump1", 2201),
        JumpHost(None, "jump2", None),
        JumpHost("carol", "jump3", 23),
    )
    assert hc.connect_timeout == 65.0 and hc.server_alive_interval == 30
    assert hc.strict_host_key_checking is HostKeyPolicy.ACCEPT_NEW
    assert hc.user_known_hosts_files == (
        f"{tmp_path}/kh1",
        "/tmp/kh_alias1.example.com_2022_alice",
        f"{tmp_path}/kh3",
    )
    assert hc.host_key_alias == "alias.key"
    assert hc.options["serveraliveinterval"] == ("30",)
    assert hc.options["identityfile"] == (
        "~/.ssh/id_%h_%r_%u",
        "/tmp/with space/%p",
        "~/.ssh/generic",
    )
    hc = config.lookup("alias2")
    assert (hc.hostname, hc.user, hc.port) == ("target2", "bob", 2200)
    assert hc.connect_timeout is None and hc.identities_only is False
    assert hc.strict_host_key_checking is HostKeyPolicy.OFF
    assert hc.server_alive_interval == 300
    hc = config.lookup("alias3")
    assert hc.user_known_hosts_files == () and hc.proxy_jump == ()
    assert hc.options["proxycommand"] == ("nc %h %p # kept raw",)
    assert hc.strict_host_key_checking is HostKeyPolicy.STRICT
    hc = config.lookup("alias4")
    assert hc.proxy_jump == () and "proxyjump" not in hc.options
    hc = config.lookup("alias1", user="zed", port=9)
    assert (hc.user, hc.port) == ("zed", 9)
    assert hc.identity_files[:2] == (
        f"{tmp_path}/.ssh/id_alias1.example.com_zed_{LOCAL_USER}",
        "/tmp/with space/9",
    )


PRECEDENCE = """\
Host *
    ServerAliveInterval 1
Host web*.example !web2.example
    Port 1001
    User webuser
Host web?.example db.example
    Port 1002
    HostName %h.internal
Host !nothing
    Port 1003
Host *.example
    User fallback
    Port 1004
    ServerAliveInterval 2
Host "quoted name"
    Port 1005
"""


@pytest.mark.parametrize(
    ("host", "port", "user"),
    [
        ("web1.example", 1001, "webuser"),
        ("web12.example", 1001, "webuser"),
        ("web2.example", 1002, "fallback"),
        ("db.example", 1002, "fallback"),
        ("x.example", 1004, "fallback"),
        ("Web1.example", 1004, "fallback"),  # Host patterns are case-sensitive
        ("other", 22, None),
        ("quoted name", 1005, None),
    ],
)
def test_precedence_and_patterns(tmp_path, host, port, user):
    config = write(tmp_path / "config", PRECEDENCE)
    hc = SSHConfig.load(str(config)).lookup(host)
    assert (hc.port, hc.user, hc.server_alive_interval) == (port, user, 1)
    if " " not in host:  # ssh refuses host names with spaces
        assert_like_ssh(config, host)


def test_negated_pattern_alone_never_matches():
    config = SSHConfig.from_string("Host !a\n  Port 1\nHost !a *\n  Port 2\n")
    assert config.lookup("b").port == 2
    assert config.lookup("a").port == 22


def test_syntax_variants(tmp_path):
    text = (
        "  # indented comment\n"
        "\n"
        "HOST=one\n"
        "\tpOrT\t=\t2001\n"
        "Host two  # trailing comment\n"
        "  Port=2002\r\n"
        "  User 'single quoted'\n"
        "Host three\n"
        '  HostName "quoted.example"\f\n'
        "  Port 2003 # comment\n"
        "Host =four\n"
        "  User = =u\n"
        "Host five\n"
        "  User==u\n"
    )
    config = write(tmp_path / "config", text)
    ours = SSHConfig.load(str(config))
    assert ours.lookup("one").port == 2001
    assert (ours.lookup("two").port, ours.lookup("two").user) == (2002, "single quoted")
    assert ours.lookup("three").hostname == "quoted.example"
    assert ours.lookup("four").user == "=u"
    assert ours.lookup("five").user == "=u"
    with pytest.raises(SSHConfigError, match="extra arguments"):
        SSHConfig.from_string("User = = u\n")  # ssh: "extra arguments at end of line"
    for host in ("one", "two", "three", "four", "five"):
        assert_like_ssh(config, host)


# --------------------------------------------------------------------------
# Include


def test_include_relative_glob_conditional_and_nested(tmp_path, monkeypatch):
    home = tmp_path / "home"
    ssh_dir = home / ".ssh"
    write(ssh_dir / "conf.d" / "b.conf", "Port 2222\nUser from-b\n")
    write(ssh_dir / "conf.d" / "a.conf", "Port 1111\n")
    write(ssh_dir / "conf.d" / "c.txt", "Port 3333\n")
    write(
        ssh_dir / "hosts.conf",
        "HostName inherits.example\nHost other\n  User other-user\nInclude nested.conf\n",
    )
    write(ssh_dir / "nested.conf", "ServerAliveInterval 44\n")
    config = write(
        tmp_path / "config",
        "Host inc\n"
        "  Include conf.d/*.conf does-not-exist*.conf\n"
        "  ConnectTimeout 9\n"
        "Host never\n"
        "  Include hosts.conf\n"
        "Host cond\n"
        f"  Include {ssh_dir}/hosts.conf\n"
        "  User after-include\n"
        "Host *\n"
        "  Include ~/.ssh/nested.conf\n",
    )
    monkeypatch.setenv("HOME", str(home))
    ours = SSHConfig.load(str(config))
    hc = ours.lookup("inc")
    assert (hc.port, hc.user, hc.connect_timeout) == (1111, "from-b", 9.0)
    assert hc.server_alive_interval == 44
    # A Host line inside an included file does not end the including block.
    hc = ours.lookup("cond")
    assert (hc.hostname, hc.user) == ("inherits.example", "after-include")
    # Included from a block that does not match: nothing applies, not even its Host lines.
    hc = ours.lookup("other")
    assert (hc.hostname, hc.user, hc.server_alive_interval) == ("other", None, 44)
    for host in ("inc", "cond", "other", "never"):
        g = ssh_G(config, host, home=home)
        hc = ours.lookup(host)
        assert (hc.hostname, hc.user or LOCAL_USER, hc.port) == (
            g["hostname"][0],
            g["user"][0],
            int(g["port"][0]),
        )
        assert (hc.server_alive_interval or 0) == int(g["serveraliveinterval"][0])


def test_include_recursion_limit(tmp_path):
    loop = write(tmp_path / "loop.conf", "")
    loop.write_text(f"Include {loop}\n")
    with pytest.raises(SSHConfigError, match="too many recursive"):
        SSHConfig.load(str(loop))
    assert ssh_G(loop, "h") is None
    # 16 levels are fine.
    for i in range(17):
        write(
            tmp_path / f"l{i}.conf", f"Include {tmp_path}/l{i + 1}.conf\n" if i < 16 else "Port 7\n"
        )
    assert SSHConfig.load(str(tmp_path / "l0.conf")).lookup("h").port == 7
    assert ssh_G(tmp_path / "l0.conf", "h")["port"] == ["7"]


def test_include_permissions(tmp_path):
    write(tmp_path / "loose.conf", "Port 5\n", mode=0o666)
    config = write(tmp_path / "config", f"Include {tmp_path}/loose.conf\n")
    with pytest.raises(SSHConfigError, match="Bad owner or permissions"):
        SSHConfig.load(str(config))
    assert ssh_G(config, "h") is None
    # The explicitly given file itself is not checked (ssh -F does not either).
    loose_main = write(tmp_path / "loose_main", "Port 6\n", mode=0o666)
    assert SSHConfig.load(str(loose_main)).lookup("h").port == 6
    assert ssh_G(loose_main, "h")["port"] == ["6"]


def test_system_file_includes(tmp_path, monkeypatch):
    etc = tmp_path / "etc"
    write(etc / "ssh_config.d" / "x.conf", "Port 2345\n")
    system = write(etc / "ssh_config", "Include ssh_config.d/*.conf\nPort 1\nUser sysuser\n")
    monkeypatch.setattr(_ssh_config, "SYSTEM_CONFIG", str(system))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    write(tmp_path / "home" / ".ssh" / "config", "Host h\n  User me\n", mode=0o600)
    config = SSHConfig.load()
    hc = config.lookup("h")
    assert (hc.port, hc.user) == (2345, "me")
    assert config.lookup("g").user == "sysuser"
    assert config.files == [str(tmp_path / "home" / ".ssh" / "config"), str(system)]
    write(etc / "bad", "Include ~/x.conf\n")
    monkeypatch.setattr(_ssh_config, "SYSTEM_CONFIG", str(etc / "bad"))
    with pytest.raises(SSHConfigError, match="bad include path"):
        SSHConfig.load()


def test_default_files_order_and_user_permissions(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    system = write(tmp_path / "ssh_config", "Host *\n  Port 2\n  User sys\n  ConnectTimeout 4\n")
    monkeypatch.setattr(_ssh_config, "SYSTEM_CONFIG", str(system))
    hc = SSHConfig.load().lookup("h")  # no user file at all
    assert (hc.port, hc.user, hc.connect_timeout) == (2, "sys", 4.0)
    user_file = write(
        home / ".ssh" / "config", "Host h\n  Port 1\nHost *\n  User mine\n", mode=0o600
    )
    hc = SSHConfig.load().lookup("h")
    assert (hc.port, hc.user, hc.connect_timeout) == (1, "mine", 4.0)
    user_file.chmod(0o620)
    with pytest.raises(SSHConfigError, match="Bad owner or permissions"):
        SSHConfig.load()
    monkeypatch.setattr(_ssh_config, "SYSTEM_CONFIG", str(tmp_path / "missing"))
    user_file.chmod(0o600)
    assert SSHConfig.load().lookup("h").port == 1


def test_explicit_missing_file_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        SSHConfig.load(str(tmp_path / "missing"))


def test_real_default_files_like_ssh():
    """The machine's own ~/.ssh/config and /etc/ssh/ssh_config, as plain ``ssh -G`` reads them."""
    proc = subprocess.run(
        ["ssh", "-G", "pssh-test-host.invalid"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    g = {}
    for line in proc.stdout.splitlines():
        key, _, value = line.partition(" ")
        g.setdefault(key, value)
    hc = SSHConfig.load().lookup("pssh-test-host.invalid")
    assert hc.hostname == g["hostname"] and hc.port == int(g["port"])
    assert (hc.user or LOCAL_USER) == g["user"]
    assert hc.hash_known_hosts == (g["hashknownhosts"] == "yes")


# --------------------------------------------------------------------------
# Match


MATCH = """\
Match host target.example,!skip*
    ConnectTimeout 3
Host alias
    HostName Target.Example
Match host target.example
    Port 4444
Match originalhost ali* user bob
    ServerAliveInterval 7
Match !user bob localuser {local}
    IdentitiesOnly yes
Match all
    User everyone
Match canonical host *
    Port 5
Host *
    HostKeyAlias fallback
"""


MATCH_CASES = [("alias", None), ("alias", "bob"), ("target.example", "x"), ("skipme", None),
               ("other", "bob")]  # fmt: skip


@pytest.mark.parametrize(("host", "user"), MATCH_CASES)
def test_match_like_ssh(tmp_path, host, user):
    config = write(tmp_path / "config", MATCH.format(local=LOCAL_USER))
    hc = SSHConfig.load(str(config)).lookup(host, user=user)
    assert_like_ssh(config, host, user=user)
    # Spot checks that do not depend on ssh.
    assert hc.port == (4444 if host in ("alias", "target.example") else 22)
    assert hc.user == (user or "everyone")


def test_match_exec_never_matches():
    # Documented difference: nothing is executed, a Match line using exec never matches.
    config = SSHConfig.from_string(
        'Match exec "true" host *\n  Port 1\nMatch !exec "false"\n  Port 2\n'
        "Match localnetwork 10.0.0.0/8\n  Port 3\nMatch tagged x\n  Port 4\n"
    )
    assert config.lookup("h").port == 22


def test_match_final_second_pass(tmp_path):
    text = (
        "Match final host foo.final\n  Port 4444\n  User finaluser\n"
        "Host alias\n  HostName Foo.Final\n"
        "Match !final\n  ServerAliveInterval 3\n"
        "Match final\n  ServerAliveInterval 4\n  IdentityFile ~/only-final\n"
        "Host *\n  IdentityFile ~/both\n"
    )
    config = write(tmp_path / "config", text)
    hc = SSHConfig.load(str(config)).lookup("alias")
    assert (hc.port, hc.user, hc.server_alive_interval) == (4444, "finaluser", 3)
    assert hc.options["identityfile"] == ("~/both", "~/only-final")
    assert_like_ssh(config, "alias")
    assert_like_ssh(config, "other")
    # HostName is settled before the final pass.
    late = write(tmp_path / "late", "Match final\n  HostName changed.example\n")
    assert SSHConfig.load(str(late)).lookup("x").hostname == "x"
    assert ssh_G(late, "x")["hostname"] == ["x"]


@pytest.mark.parametrize(
    "text",
    [
        "Match\n",
        "Match bogus x\n",
        "Match host\n",
        "Match all host x\n",
        "Match canonical final all\n",
        "Match user # comment\n",
    ],
)
def test_match_syntax_errors_like_ssh(tmp_path, text):
    config = write(tmp_path / "config", text + "  Port 1\n")
    with pytest.raises(SSHConfigError, match="line 1"):
        SSHConfig.load(str(config))
    assert ssh_G(config, "h") is None


# --------------------------------------------------------------------------
# Values, expansions and errors


@pytest.mark.parametrize(
    "line",
    [
        "Port abc", "Port 0", "Port 70000", "Port 22 23", "Port", "Port # nothing",
        "ConnectTimeout soon", "ServerAliveInterval -1", "IdentitiesOnly maybe",
        "StrictHostKeyChecking sometimes", "HashKnownHosts 2", "User 'open",
        "ProxyJump @h", "ProxyJump h:0", "ProxyJump [::1", "HostName a b",
        "IdentityFile a b",
    ],
)  # fmt: skip
def test_bad_values_fail_like_ssh(tmp_path, line):
    config = write(tmp_path / "config", f"Host nomatch\n  {line}\n")
    with pytest.raises(SSHConfigError, match=r"config line 2"):
        SSHConfig.load(str(config))
    assert ssh_G(config, "h") is None  # ssh refuses it too, even in a block that does not match


def test_service_name_port_and_none_times(tmp_path):
    config = write(
        tmp_path / "config",
        "Host h\n  Port ssh\n  ConnectTimeout none\n  ServerAliveInterval none\n"
        "Host *\n  ConnectTimeout 8\n  ServerAliveInterval 9\n",
    )
    hc = SSHConfig.load(str(config)).lookup("h")
    assert (hc.port, hc.connect_timeout, hc.server_alive_interval) == (22, 8.0, 9)
    assert_like_ssh(config, "h")


@pytest.mark.parametrize("host", ["a", "A.Example", "10.1.2.3", "FE80::1"])
def test_tokens_like_ssh(tmp_path, host):
    tokens = "%C_%d_%h_%i_%k_%L_%l_%n_%p_%r_%u_%%_${HOME}"
    config = write(
        tmp_path / "config",
        "Host a\n  User u1\n  HostKeyAlias KeyAlias\n"
        f"Host *\n  UserKnownHostsFile /tmp/x_{tokens} ~/y\n",
    )
    hc = assert_like_ssh(config, host, port=2022)
    assert_like_ssh(config, host, user="someone")
    local = socket.gethostname()
    hostname = hc.hostname
    digest = hashlib.sha1(f"{local}{hostname}2022{hc.user or LOCAL_USER}".encode()).hexdigest()
    assert hc.user_known_hosts_files[0].startswith(f"/tmp/x_{digest}_{PW_HOME}_{hostname}_")


def test_identity_file_expansions(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("KEYDIR", "/keys")
    root_home = pwd.getpwnam("root").pw_dir
    config = SSHConfig.from_string(
        "Host h\n"
        "  HostName Real.Example\n"
        "  User remote\n"
        "  Port 2200\n"
        "  IdentityFile ~\n"
        "  IdentityFile ~/k_%h_%n_%r_%u_%p_%%_%d\n"
        "  IdentityFile ${KEYDIR}/k_%i_%L\n"
        "  IdentityFile ~root/rootkey\n"
        "  IdentityFile /abs/%k\n"
    )
    hc = config.lookup("h")
    assert hc.identity_files == (
        str(tmp_path),
        f"{tmp_path}/k_real.example_h_remote_{LOCAL_USER}_2200_%_{tmp_path}",
        f"/keys/k_{os.getuid()}_{socket.gethostname().split('.')[0]}",
        f"{root_home.rstrip('/')}/rootkey",
        "/abs/h",
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("IdentityFile ~/k_%x", "unknown or misplaced token %x"),
        ("IdentityFile ~/k_%", "unknown or misplaced token"),
        ("IdentityFile ${PSSH_SURELY_UNSET_VAR}/k", "PSSH_SURELY_UNSET_VAR not set"),
        ("IdentityFile ${HOME/k", "unterminated"),
        ("IdentityFile ~pssh-no-such-user/k", "no such user"),
        ("UserKnownHostsFile /k_%x", "unknown or misplaced token"),
        ("HostName %p.example", "unknown or misplaced token %p"),
    ],
)
def test_expansion_errors_at_lookup(line, message):
    config = SSHConfig.from_string(f"Host h\n  {line}\n")  # parses fine
    with pytest.raises(SSHConfigError, match=message):
        config.lookup("h")
    assert config.lookup("other").port == 22


def test_hostname_ip_literals_keep_their_case():
    config = SSHConfig.from_string("Host v6\n  HostName FE80::ABCD\nHost name\n  HostName MiXeD\n")
    assert config.lookup("v6").hostname == "FE80::ABCD"
    assert config.lookup("name").hostname == "mixed"
    assert config.lookup("%h").hostname == "%h"


def test_proxyjump_multiple_hops_and_precedence():
    config = SSHConfig.from_string(
        "Host a\n  ProxyJump u1@h1:2201,h2,[::1]:2203\n"
        "Host b\n  ProxyCommand ssh -W %h:%p gw\n"
        "Host c\n  ProxyJump none\n"
        "Host *\n  ProxyJump fallback\n"
    )
    assert config.lookup("a").proxy_jump == (
        JumpHost("u1", "h1", 2201),
        JumpHost(None, "h2", None),
        JumpHost(None, "::1", 2203),
    )
    b = config.lookup("b")
    assert b.proxy_jump == () and b.options["proxycommand"] == ("ssh -W %h:%p gw",)
    assert config.lookup("c").proxy_jump == ()
    assert config.lookup("d").proxy_jump == (JumpHost(None, "fallback", None),)


def test_unknown_keywords_are_kept():
    config = SSHConfig.from_string(
        "Host h\n  Compression yes\n  SendEnv LANG LC_*\n  SendEnv FOO\n"
        "  LocalForward 8080 localhost:80\n  SomeFutureOption x y\nHost *\n  Compression no\n"
    )
    options = config.lookup("h").options
    assert options["compression"] == ("yes",)
    assert options["sendenv"] == ("LANG", "LC_*", "FOO")
    assert options["localforward"] == ("8080", "localhost:80")
    assert options["somefutureoption"] == ("x", "y")
    with pytest.raises(TypeError):
        options["compression"] = ("no",)  # read-only


def test_errors_name_file_and_line(tmp_path):
    config = write(tmp_path / "cfg", "Host a\n\n  Port nope\n")
    with pytest.raises(SSHConfigError, match=r"cfg line 3: bad port 'nope'"):
        SSHConfig.load(str(config))
    with pytest.raises(SSHConfigError, match=r"<string> line 2"):
        SSHConfig.from_string("Host a\n  Port\n")
    assert issubclass(SSHConfigError, ValueError)


# --------------------------------------------------------------------------
# Differential test: random configurations (fixed seeds) resolved by us and by ssh -G

PATTERNS = ["*", "a*", "?b", "ab", "!ab", "c.example", "*.example", "!x.example", "A*", "t*"]
CRITERIA = ["host", "!host", "originalhost", "user", "!user", "localuser"]
OPTIONS = [
    "Port {n}", "User u{n}", "HostName %h.d{n}", "HostName Target{n}", "HostName ab",
    "ConnectTimeout {n}", "ConnectTimeout 1m{n}s", "ConnectTimeout none",
    "ServerAliveInterval {n}", "IdentitiesOnly yes", "IdentitiesOnly no",
    "StrictHostKeyChecking accept-new", "StrictHostKeyChecking no", "StrictHostKeyChecking yes",
    "ProxyJump j{n},u@k{n}:2{n}", "ProxyJump none", "ProxyCommand nc %h {n}",
    "UserKnownHostsFile /tmp/k{n}_%h_%p_%r_%n none2", "UserKnownHostsFile none",
    "IdentityFile ~/.ssh/id_{n}_%r", "HostKeyAlias Alias{n}", "HashKnownHosts yes",
]  # fmt: skip


def _random_config(rng) -> str:
    lines = []
    for _ in range(rng.randint(0, 2)):
        lines.append(rng.choice(OPTIONS).format(n=rng.randint(1, 9)))
    for _ in range(rng.randint(1, 6)):
        if rng.random() < 0.6:
            lines.append("Host " + " ".join(rng.sample(PATTERNS, rng.randint(1, 3))))
        elif rng.random() < 0.15:
            lines.append("Match " + rng.choice(["all", "final", "!final", "canonical"]))
        else:
            crits = []
            for _ in range(rng.randint(1, 2)):
                attr = rng.choice(CRITERIA)
                value = LOCAL_USER if "user" in attr and rng.random() < 0.5 else None
                value = value or ",".join(rng.sample(PATTERNS + ["u1", "u3"], rng.randint(1, 2)))
                crits.append(f"{attr} {value}")
            lines.append("Match " + " ".join(crits))
        for _ in range(rng.randint(1, 4)):
            lines.append("  " + rng.choice(OPTIONS).format(n=rng.randint(1, 9)))
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("seed", range(40))
def test_random_configs_like_ssh(tmp_path, seed):
    import random

    rng = random.Random(seed)
    config = write(tmp_path / "config", _random_config(rng))
    for host in ("ab", "a1", "xb", "c.example", "x.example", "AB", "t.example"):
        assert_like_ssh(config, host, user=rng.choice([None, "u1"]))


# --------------------------------------------------------------------------
# ProxyCommand and the options pssh does not carry out


def test_proxy_command_raw_and_none(tmp_path):
    config = write(
        tmp_path / "config",
        """\
Host direct
    ProxyCommand none
Host jumped
    ProxyJump j1
Host *
    ProxyCommand ssh -W '%h:%p' "bastion" 2>/dev/null
""",
    )
    conf = SSHConfig.load(str(config))
    assert conf.lookup("a").proxy_command == "ssh -W '%h:%p' \"bastion\" 2>/dev/null"
    assert conf.lookup("direct").proxy_command is None  # first obtained: none = direct
    assert conf.lookup("jumped").proxy_command is None  # ProxyJump came first
    assert SSHConfig().lookup("a").proxy_command is None


def test_unsupported_options_listed_with_file_and_line(tmp_path):
    config = write(
        tmp_path / "config",
        """\
Host a
    CertificateFile ~/.ssh/cert.pub
Match exec "test -f /x" host a
    User x
Host *
    KnownHostsCommand /usr/bin/kh %H
    PKCS11Provider none
Host b
    PKCS11Provider /usr/lib/p11.so
    Match localnetwork 10.0.0.0/8
""",
    )
    conf = SSHConfig.load(str(config))
    # a Match line is evaluated for every host (it is not nested in the Host block above it)
    assert conf.lookup("a").unsupported == (
        ("Match exec", f"{config} line 3"),
        ("Match localnetwork", f"{config} line 10"),
        ("KnownHostsCommand", f"{config} line 6"),
        ("CertificateFile", f"{config} line 2"),
    )
    # PKCS11Provider none was obtained first for b: nothing to warn about
    assert dict(conf.lookup("b").unsupported) == {
        "Match exec": f"{config} line 3",
        "Match localnetwork": f"{config} line 10",
        "KnownHostsCommand": f"{config} line 6",
    }
    assert SSHConfig.from_string("Host *\n  User u\n").lookup("a").unsupported == ()
