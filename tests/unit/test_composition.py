"""The native client is composed of small parts that use each other through documented
interfaces: no code reaches into another object's private attributes or methods, and
no module grows into a tower again."""

from __future__ import annotations

import ast
import inspect
import logging
import os

import pytest

import pssh
from pssh.clients.native import _auth, _commands, _scp, _transfer
from pssh.clients.native._connection import Connection, Part, SSHConnection
from pssh.clients.native.single import SSHClient

PACKAGE = os.path.dirname(pssh.__file__)
NATIVE = os.path.join(PACKAGE, "clients", "native")
CHECKED = [
    os.path.join(NATIVE, name) for name in sorted(os.listdir(NATIVE)) if name.endswith(".py")
] + [
    os.path.join(PACKAGE, "clients", name)
    for name in ("base_single.py", "_copy.py", "_download.py", "_lines.py")
]
EVERY_MODULE = sorted(
    os.path.join(folder, name)
    for folder, _dirs, files in os.walk(PACKAGE)
    for name in files
    if name.endswith(".py")
)

MAX_LINES = 440  # "about 400": one concern per module
# Over the size on purpose: the two cohesive parsers (OpenSSH's known_hosts and ssh_config).
PARSERS = {"pssh/_known_hosts.py", "pssh/_ssh_config.py"}
# The public client classes: their modules are mostly the documented API's docstrings (the
# 1.8.0 pages are generated from them), and their code only delegates to composed parts
# (pssh.clients._completion, _copy_fanout, _rollout, ... and the native client's parts). Their
# code, docstrings and comments not counted, stays under CODE_LINES.
FACADES = {
    "pssh/clients/base_pssh.py",
    "pssh/clients/native/parallel.py",
    "pssh/clients/native/single.py",
    "pssh/clients/miko/single.py",
}
CODE_LINES = 300


def code_lines(path: str) -> int:
    """Lines of ``path`` that are neither blank, comments nor docstrings."""
    with open(path, encoding="utf-8") as handle:
        source = handle.read()
    docstrings: set[int] = set()
    for node in ast.walk(ast.parse(source, path)):
        body = getattr(node, "body", None)
        for stmt in body if isinstance(body, list) else ():
            if (
                isinstance(stmt, ast.Expr)
                and isinstance(stmt.value, ast.Constant)
                and isinstance(stmt.value.value, str)
            ):
                docstrings.update(range(stmt.lineno, (stmt.end_lineno or stmt.lineno) + 1))
    return sum(
        1
        for number, line in enumerate(source.splitlines(), 1)
        if line.strip() and not line.strip().startswith("#") and number not in docstrings
    )


# (module file, attribute): private names of other objects that may be used.
ALLOWED = {
    # ssh2-python's raw directory read: the library has no public form of it.
    ("_sftp.py", "_readdir_ex"),
    # the forwarding driver's own record of one forward, in the same module.
    ("_forward.py", "_local"),
}


def private_uses(path: str) -> list[tuple[int, str]]:
    """``(line, 'obj._name')`` for every private attribute used on something other than
    ``self`` or ``cls`` (dunder names are not private)."""
    with open(path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read(), path)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        name = node.attr
        if not name.startswith("_") or name.startswith("__"):
            continue
        if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
            continue
        if (os.path.basename(path), name) in ALLOWED:
            continue
        found.append((node.lineno, "%s.%s" % (ast.unparse(node.value), name)))
    return found


@pytest.mark.parametrize("path", CHECKED, ids=os.path.basename)
def test_no_private_access_on_other_objects(path):
    assert private_uses(path) == []


def test_the_check_finds_a_helper_calling_a_private_method(tmp_path):
    source = tmp_path / "helper.py"
    source.write_text("def f(client):\n    return client._eagain(print)\n")
    assert private_uses(str(source)) == [(2, "client._eagain")]


def _relative(path: str) -> str:
    return os.path.relpath(path, os.path.dirname(PACKAGE))


@pytest.mark.parametrize(
    "path", [p for p in EVERY_MODULE if _relative(p) not in PARSERS | FACADES], ids=_relative
)
def test_modules_stay_small(path):
    with open(path, encoding="utf-8") as handle:
        assert len(handle.readlines()) <= MAX_LINES


@pytest.mark.parametrize("name", sorted(FACADES))
def test_client_facades_hold_documentation_not_code(name):
    path = os.path.join(os.path.dirname(PACKAGE), name)
    assert code_lines(path) <= CODE_LINES


def test_code_lines_skips_docstrings_and_comments(tmp_path):
    source = tmp_path / "m.py"
    source.write_text(
        '"""Doc\n\nmore."""\n\n# note\nx = 1\n\n\ndef f():\n    """Doc."""\n    return x\n'
    )
    assert code_lines(str(source)) == 3


def test_connection_satisfies_its_protocol():
    members = {
        name
        for name, value in vars(SSHConnection).items()
        if not name.startswith("_") and callable(value)
    }
    assert members <= set(dir(Connection)) | {"call", "read", "try_read", "write", "wait"}
    assert {"eagain", "open", "send_all", "recv"} <= members


def test_client_is_composed_not_stacked():
    assert SSHClient.__mro__[1].__name__ == "BaseSSHClient"
    parts = (_auth.Authenticator, _commands.Commands, _transfer.SFTPTransfers, _scp.SCPTransfers)
    for part in parts:
        # no tower: at most the one small base every part shares (host + current connection)
        assert part.__mro__[1:] in ((object,), (Part, object))
        assert part.__doc__


@pytest.mark.parametrize(
    "name",
    ["run_command", "read_output", "wait_finished", "get_exit_status", "copy_file",
     "copy_remote_file", "scp_send", "scp_recv", "mkdir", "execute"],
)  # fmt: skip
def test_delegations_keep_documented_signatures_and_docs(name):
    method = getattr(SSHClient, name)
    assert method.__doc__
    assert list(inspect.signature(method).parameters)[0] == "self"


def test_one_host_logger_line_loop_for_both_clients(caplog):
    from pssh.clients import base_single
    from pssh.clients.native import _commands

    caplog.set_level(logging.INFO, logger="pssh.host_logger")
    lines = base_single.logged_lines("host1", iter(["a", "b"]), "\t[out]")
    assert next(lines) == "a"
    assert [r.getMessage() for r in caplog.records] == ["[host1]\t[out]\ta"]  # as handed out
    assert list(lines) == ["b"]
    assert [r.getMessage() for r in caplog.records][-1] == "[host1]\t[out]\tb"
    assert _commands.logged_lines is base_single.logged_lines
    for path in CHECKED + [os.path.join(PACKAGE, "clients", "miko", "_output.py")]:
        with open(path, encoding="utf-8") as handle:
            source = handle.read()
        if not path.endswith("base_single.py"):
            assert "host_logger.info" not in source, path
