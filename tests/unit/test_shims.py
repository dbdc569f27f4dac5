"""The deprecated 1.8.0 import paths, and where gevent monkey patching happens.

Each check runs in a fresh interpreter: a module warns only when first
imported, and importing a paramiko client patches the whole process (which
must not happen to this one).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# old module -> {name it exports: "new.module:name" that must be the very same object}
SHIMS = {
    "pssh.pssh_client": {
        "ParallelSSHClient": "pssh.clients.miko.parallel:ParallelSSHClient",
        "SSHClient": "pssh.clients.miko.single:SSHClient",
        "logger": "pssh.clients.miko.parallel:logger",
    },
    "pssh.ssh_client": {
        "SSHClient": "pssh.clients.miko.single:SSHClient",
        "logger": "pssh.clients.miko.single:logger",
    },
    "pssh.pssh2_client": {
        "ParallelSSHClient": "pssh.clients.native.parallel:ParallelSSHClient",
        "ParallelSSH2Client": "pssh.clients.native.parallel:ParallelSSHClient",
        "logger": "pssh.clients.native.parallel:logger",
    },
    "pssh.ssh2_client": {
        "SSHClient": "pssh.clients.native.single:SSHClient",
        "logger": "pssh.clients.native.single:logger",
    },
    "pssh.tunnel": {"Tunnel": "pssh.clients.native.tunnel:Tunnel"},
}
NEW_HOME = {
    "pssh.pssh_client": "pssh.clients.miko",
    "pssh.ssh_client": "pssh.clients.miko",
    "pssh.pssh2_client": "pssh.clients.native",
    "pssh.ssh2_client": "pssh.clients.native",
    "pssh.tunnel": "pssh.clients.native.tunnel",
}

IMPORT_SHIM = r"""
import importlib, json, sys, warnings
old, checks = sys.argv[1], json.loads(sys.argv[2])
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    exec("import " + old)  # the warning should point at this import statement
    mod = sys.modules[old]
    exec("import " + old)  # a second import does not warn again
same = {}
for name, target in checks.items():
    module, attr = target.split(":")
    same[name] = getattr(mod, name) is getattr(importlib.import_module(module), attr)
print(json.dumps({
    "warnings": [[w.category.__name__, str(w.message), w.filename] for w in caught],
    "same": same,
}))
"""

PATCHED = r"""
import sys
for name in sys.argv[2:]:
    __import__(name)
import gevent.monkey
print(int(gevent.monkey.is_module_patched(sys.argv[1])))
"""


def run_python(code: str, *args: str) -> str:
    res = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120
    )
    assert res.returncode == 0, res.stderr
    return res.stdout


@pytest.mark.parametrize("old", sorted(SHIMS))
def test_shim_warns_once_and_reexports_same_objects(old):
    result = json.loads(run_python(IMPORT_SHIM, old, json.dumps(SHIMS[old])))
    assert result["same"] == {name: True for name in SHIMS[old]}
    assert len(result["warnings"]) == 1, result["warnings"]
    category, message, filename = result["warnings"][0]
    assert category == "UserWarning"
    assert old in message and NEW_HOME[old] in message and "deprecated" in message
    assert filename == "<string>"  # the user's import line, not the shim's


@pytest.mark.parametrize(
    "modules",
    [
        ["pssh"],
        ["pssh.clients"],
        ["pssh.clients.native"],
        ["pssh.clients.native.parallel", "pssh.clients.native.single"],
        ["pssh.utils", "pssh.agent", "pssh.output", "pssh.exceptions"],
        ["pssh.pssh2_client", "pssh.ssh2_client", "pssh.tunnel"],
    ],
    ids=lambda mods: "+".join(mods),
)
def test_native_and_shared_modules_patch_nothing(modules):
    for patchable in ("socket", "threading", "ssl", "select", "time"):
        assert run_python(PATCHED, patchable, *modules).strip() == "0", patchable


@pytest.mark.parametrize(
    "module",
    [
        "pssh.clients.miko",
        "pssh.clients.miko.parallel",
        "pssh.clients.miko.single",
        "pssh.pssh_client",
        "pssh.ssh_client",
    ],
)
def test_paramiko_client_imports_patch(module):
    for patchable in ("socket", "threading", "ssl", "select", "time"):
        assert run_python(PATCHED, patchable, module).strip() == "1", patchable


def test_paramiko_is_loaded_only_after_patching():
    """Importing ``pssh.clients.miko`` as the first import patches before
    paramiko (and the clients built on it) are loaded."""
    code = (
        "import sys, gevent.monkey\n"
        "seen = []\n"
        "class Spy:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'paramiko':\n"
        "            seen.append(gevent.monkey.is_module_patched('socket'))\n"
        "sys.meta_path.insert(0, Spy())\n"
        "import pssh.clients.miko\n"
        "print(seen)\n"
    )
    assert run_python(code).strip() == "[True]"
