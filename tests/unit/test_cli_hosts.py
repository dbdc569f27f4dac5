"""Host specs of the ``pssh`` command: ranges, parsing, hosts files and folding back into ranges."""

from __future__ import annotations

import random

import pytest

from pssh.cli._hosts import (
    MAX_EXPANSION,
    HostSpec,
    HostSpecError,
    expand,
    fold,
    fold_groups,
    parse_hosts_lines,
    parse_spec,
    parse_specs,
    read_hosts_file,
    split_specs,
)

# -- ranges --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "names"),
    [
        ("web1", ["web1"]),
        ("web[1-3]", ["web1", "web2", "web3"]),
        ("web[01-03]", ["web01", "web02", "web03"]),
        ("web[08-11]", ["web08", "web09", "web10", "web11"]),
        ("web[8-11]", ["web8", "web9", "web10", "web11"]),
        ("db[1,3,5-7]", ["db1", "db3", "db5", "db6", "db7"]),
        ("db[7]", ["db7"]),
        ("db[ 1, 2 ]", ["db1", "db2"]),
        ("r[1-2]-n[1-2]", ["r1-n1", "r1-n2", "r2-n1", "r2-n2"]),
        ("10.0.0.[1-3]", ["10.0.0.1", "10.0.0.2", "10.0.0.3"]),
        ("u@h[1-2]:2222", ["u@h1:2222", "u@h2:2222"]),
        ("box:[2201-2202]", ["box:2201", "box:2202"]),
        ("[::1]:2222", ["[::1]:2222"]),
        ("[fe80::1]", ["[fe80::1]"]),
        ("node[001-002]", ["node001", "node002"]),
    ],
)
def test_expand(spec: str, names: list[str]) -> None:
    assert expand(spec) == names


@pytest.mark.parametrize("spec", ["web[3-1]", "web[1-]", "web[-2]", "web[1--2]", "web[,]", "web[]"])
def test_expand_rejects_malformed_ranges(spec: str) -> None:
    with pytest.raises(HostSpecError):
        expand(spec)


def test_expand_refuses_huge_ranges() -> None:
    with pytest.raises(HostSpecError, match="too large"):
        expand("h[0-%d]" % MAX_EXPANSION)
    with pytest.raises(HostSpecError, match="more than"):
        expand("a[1-1000]b[1-1000]")


def test_split_specs_on_spaces_and_commas_outside_brackets() -> None:
    assert split_specs("  web[01-02,05] db1,db2\tdb3\n") == ["web[01-02,05]", "db1", "db2", "db3"]
    assert split_specs("") == []
    with pytest.raises(HostSpecError, match="Unclosed"):
        split_specs("web[1-2")


# -- parsing -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("host", HostSpec("host")),
        ("alice@host", HostSpec("host", "alice")),
        ("host:2222", HostSpec("host", None, 2222)),
        ("alice@host:2222", HostSpec("host", "alice", 2222)),
        ("a@b@host", HostSpec("host", "a@b")),
        ("::1", HostSpec("::1")),
        ("[::1]", HostSpec("::1")),
        ("[::1]:22", HostSpec("::1", None, 22)),
        ("bob@[fe80::1]:2200", HostSpec("fe80::1", "bob", 2200)),
    ],
)
def test_parse_spec(text: str, spec: HostSpec) -> None:
    assert parse_spec(text) == spec


@pytest.mark.parametrize(
    "text", ["", "@host", "alice@", ":22", "host:0", "host:65536", "host:x", "[::1"]
)
def test_parse_spec_errors(text: str) -> None:
    with pytest.raises(HostSpecError):
        parse_spec(text)


@pytest.mark.parametrize(
    "text", ["host", "alice@host", "host:2222", "alice@host:2222", "[::1]:22", "bob@[::1]"]
)
def test_label_round_trips(text: str) -> None:
    spec = parse_spec(text)
    assert parse_spec(spec.label) == spec
    assert spec.label == text


def test_parse_specs_expands_and_drops_repeats_in_order() -> None:
    specs = parse_specs(["web[2-3]", "web[1-2]", "u@web1", "web1:22"])
    assert [s.label for s in specs] == ["web2", "web3", "web1", "u@web1", "web1:22"]


# -- hosts files ---------------------------------------------------------------------


def test_hosts_file_lines() -> None:
    lines = [
        "# production web servers\n",
        "web[01-03]\n",
        "\n",
        "   alice@db1:2222   # the primary\n",
        "[::1]:22\n",
        "#web99\n",
    ]
    assert parse_hosts_lines(lines) == ["web[01-03]", "alice@db1:2222", "[::1]:22"]


def test_hosts_file_errors_name_file_and_line() -> None:
    with pytest.raises(HostSpecError, match=r"^hosts\.txt:2: expected one"):
        parse_hosts_lines(["ok\n", "host1 host2\n"], "hosts.txt")
    with pytest.raises(HostSpecError, match=r"^f:3: Bad port"):
        parse_hosts_lines(["a", "b", "c:99999"], "f")
    with pytest.raises(HostSpecError, match=r"^f:1: Range"):
        parse_hosts_lines(["c[5-1]"], "f")


def test_read_hosts_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "hosts"
    path.write_text("a\n# c\nb[1-2]\n")
    assert read_hosts_file(str(path)) == ["a", "b[1-2]"]
    with pytest.raises(OSError):
        read_hosts_file(str(tmp_path / "missing"))


# -- folding -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("names", "folded"),
    [
        (["web01", "web02", "web03", "web07"], "web[01-03,07]"),
        (["web07", "web01", "web03", "web02"], "web[01-03,07]"),
        (["web1", "web2", "web10"], "web[1-2,10]"),
        (["web08", "web09", "web10"], "web[08-10]"),
        (["web9", "web10"], "web[9-10]"),
        (["web5"], "web5"),
        (["web05", "web5"], "web05,web5"),
        (["db1", "web1", "db2"], "db[1-2],web1"),
        (["127.0.0.2", "127.0.0.3", "127.0.0.5"], "127.0.0.[2-3,5]"),
        (["r1-n1", "r1-n2", "r2-n1"], "r1-n[1-2],r2-n1"),
        (["alpha", "beta"], "alpha,beta"),
        (["box:2201", "box:2202"], "box:[2201-2202]"),
        (["u@h1", "u@h2"], "u@h[1-2]"),
        (["[::1]:22", "[::1]:23"], "[::1]:22,[::1]:23"),
        (["n1a", "n2a", "n3b"], "n[1-2]a,n3b"),
        (["web1", "web1"], "web1"),
        ([], ""),
    ],
)
def test_fold(names: list[str], folded: str) -> None:
    assert fold(names) == folded


def test_fold_then_expand_gives_the_names_back() -> None:
    rng = random.Random(1234)
    for _ in range(200):
        names = set()
        for _ in range(rng.randint(1, 30)):
            prefix = rng.choice(["web", "db", "10.0.0.", "n", "x-"])
            number = rng.randint(0, 120)
            width = rng.choice([0, 0, 2, 3])
            names.add("%s%s%s" % (prefix, str(number).zfill(width), rng.choice(["", "", ".lan"])))
        expanded = [name for group in fold_groups(names) for name in expand(group)]
        assert sorted(expanded) == sorted(names)
        assert len(expanded) == len(names)


def test_list_hosts_prints_the_expanded_hosts_and_runs_nothing(capsys, tmp_path):
    from pssh.cli import main

    hosts_file = tmp_path / "hosts"
    hosts_file.write_text("# a comment\nroot@db1:2222\nweb02\n")
    # no command needed, nothing connected to (these names do not even resolve)
    status = main(["--list-hosts", "-H", "web[01-03].invalid !web02.invalid", "-h",
                   str(hosts_file)])  # fmt: skip
    out = capsys.readouterr()
    assert status == 0, out.err
    assert out.out.splitlines() == ["web01.invalid", "web03.invalid", "root@db1:2222", "web02"]
    assert out.err == ""
    assert main(["copy", "--list-hosts", "-H", "a,b,a", "x", ":y"]) == 0
    assert capsys.readouterr().out.splitlines() == ["a", "b"]
