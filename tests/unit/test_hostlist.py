"""pssh.hostlist: expanding host expressions (ranges, operators, groups) and folding names back."""

from __future__ import annotations

import random

import pytest

from pssh.hostlist import MAX_EXPANSION, HostlistError, expand, fold, fold_groups


def test_issue_example() -> None:
    assert expand("web[01-20],db[1,3,5-7]") == [f"web{n:02d}" for n in range(1, 21)] + [
        "db1", "db3", "db5", "db6", "db7",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("a b,c", ["a", "b", "c"]),
        ("web[1-3] web2", ["web1", "web2", "web3"]),  # repeats dropped, first kept
        ("web[1-5]!web[2-3]", ["web1", "web4", "web5"]),
        ("web[1-5]&web[4-9]", ["web4", "web5"]),
        ("web[1-4]^web[3-6]", ["web1", "web2", "web5", "web6"]),
        ("web[1-3],db1!web2", ["web1", "web3", "db1"]),  # left to right
        ("web[1-3]!web2,web2", ["web1", "web3", "web2"]),
        ("[::1]:2222,[fe80::1]", ["[::1]:2222", "[fe80::1]"]),
        ("u@h[1-2]:22", ["u@h1:22", "u@h2:22"]),
        ("db[ 1, 2 ]", ["db1", "db2"]),
        ("", []),
    ],
)
def test_expand(text: str, names: list[str]) -> None:
    assert expand(text) == names


def test_expand_takes_a_list_of_expressions() -> None:
    assert expand(["web[1-2]", "db1"]) == ["web1", "web2", "db1"]


def test_groups() -> None:
    groups = {"web": "web[1-4]", "down": ["web2"], "all": "@web,db1"}
    assert expand("@web!@down", groups=groups) == ["web1", "web3", "web4"]
    assert expand("@all", groups=groups) == ["web1", "web2", "web3", "web4", "db1"]
    with pytest.raises(HostlistError, match="@nope"):
        expand("@nope", groups=groups)
    with pytest.raises(HostlistError, match="itself"):
        expand("@a", groups={"a": "x,@b", "b": "@a"})


@pytest.mark.parametrize("text", ["web[1-", "web[3-1]", "web[1--2]", "web[1-2]!", "a&"])
def test_errors(text: str) -> None:
    with pytest.raises(HostlistError):
        expand(text)


def test_refuses_huge_ranges() -> None:
    with pytest.raises(HostlistError, match="too large"):
        expand(f"n[0-{MAX_EXPANSION}]")
    assert issubclass(HostlistError, ValueError)


def test_fold() -> None:
    assert fold(["web01", "web02", "web03", "web07", "db1"]) == "web[01-03,07],db1"
    assert fold([f"web{n:02d}" for n in range(1, 21)] + ["web33"]) == "web[01-20,33]"
    assert fold(["a!b"]) == "a!b"


def test_fold_then_expand_gives_the_names_back() -> None:
    rng = random.Random(99)
    for _ in range(200):
        names = {
            "%s%s"
            % (
                rng.choice(["web", "db", "10.0.0.", "x-"]),
                str(rng.randint(0, 150)).zfill(rng.choice([0, 2, 3])),
            )
            for _ in range(rng.randint(1, 30))
        }
        assert sorted(expand(fold(names))) == sorted(names)
        assert sorted(expand(fold_groups(names))) == sorted(names)


def test_the_command_line_uses_the_same_functions() -> None:
    from pssh import hostlist
    from pssh.cli import _hosts

    assert _hosts.fold is hostlist.fold
    assert _hosts.expand is hostlist.expand_term
    assert _hosts.HostSpecError is hostlist.HostlistError
