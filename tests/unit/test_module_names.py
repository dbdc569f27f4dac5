"""The module-level names 1.8.0 code imports, module by module.

The lists are written from the 1.8.0 documentation (the module index, the
classes and functions it documents, the loggers its text names:
``host_logger``, ``pssh.utils.enable_logger(logger)``) and from the 1.8.0
import lines users wrote, such as ``from pssh.clients.native import
SSHClient, logger`` and ``from pssh.pssh_client import ParallelSSHClient,
logger``.

Everything is imported in fresh interpreters: importing a paramiko client
module monkey patches the process (this one must stay unpatched), and the
deprecated modules warn only on their first import.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

LOGGER, HOST_LOGGER, CLASS, FUNCTION, CONSTANT = "logger", "host_logger", "class", "function", "int"

EXCEPTIONS = [
    "AuthenticationException",
    "ConnectionErrorException",
    "HostArgumentException",
    "PKeyFileError",
    "ProxyError",
    "SCPError",
    "SFTPError",
    "SFTPIOError",
    "SSHException",
    "SessionError",
    "Timeout",
    "UnknownHostException",
]

NATIVE = {
    "pssh": {"logger": LOGGER, "host_logger": HOST_LOGGER},
    "pssh.constants": {"DEFAULT_RETRIES": CONSTANT, "RETRY_DELAY": CONSTANT},
    "pssh.exceptions": dict.fromkeys(EXCEPTIONS, CLASS),
    "pssh.output": {"HostOutput": CLASS},
    "pssh.agent": {"SSHAgent": CLASS},
    "pssh.utils": {
        "logger": LOGGER,
        "host_logger": HOST_LOGGER,
        "enable_logger": FUNCTION,
        "enable_host_logger": FUNCTION,
        "load_private_key": FUNCTION,
        "read_openssh_config": FUNCTION,
    },
    "pssh.clients": {"ParallelSSHClient": CLASS, "SSHClient": CLASS},
    "pssh.clients.base_pssh": {
        "BaseParallelSSHClient": CLASS,
        "logger": LOGGER,
        "host_logger": HOST_LOGGER,
    },
    "pssh.clients.native": {"ParallelSSHClient": CLASS, "SSHClient": CLASS, "logger": LOGGER},
    "pssh.clients.native.single": {
        "SSHClient": CLASS,
        "logger": LOGGER,
        "host_logger": HOST_LOGGER,
    },
    "pssh.clients.native.parallel": {"ParallelSSHClient": CLASS, "logger": LOGGER},
    "pssh.clients.native.tunnel": {"Tunnel": CLASS, "logger": LOGGER},
    "pssh.pssh2_client": {"ParallelSSHClient": CLASS, "logger": LOGGER},
    "pssh.ssh2_client": {"SSHClient": CLASS, "logger": LOGGER},
    "pssh.tunnel": {"Tunnel": CLASS, "logger": LOGGER},
}

MIKO = {
    "pssh.clients.miko": {"ParallelSSHClient": CLASS, "SSHClient": CLASS, "logger": LOGGER},
    "pssh.clients.miko.single": {"SSHClient": CLASS, "logger": LOGGER, "host_logger": HOST_LOGGER},
    "pssh.clients.miko.parallel": {"ParallelSSHClient": CLASS, "logger": LOGGER},
    "pssh.pssh_client": {"ParallelSSHClient": CLASS, "SSHClient": CLASS, "logger": LOGGER},
    "pssh.ssh_client": {"SSHClient": CLASS, "logger": LOGGER},
}

CHECK = r"""
import importlib, inspect, json, logging, sys, warnings
warnings.simplefilter("ignore")
expected = json.loads(sys.argv[1])
problems = []
for module_name, names in expected.items():
    module = importlib.import_module(module_name)
    for name, kind in names.items():
        if not hasattr(module, name):
            problems.append("%s.%s is missing" % (module_name, name))
            continue
        value = getattr(module, name)
        if kind in ("logger", "host_logger"):
            ok = isinstance(value, logging.Logger) and (
                value.name == "pssh.host_logger" if kind == "host_logger"
                else value.name == "pssh" or value.name.startswith("pssh.")
            )
        elif kind == "class":
            ok = inspect.isclass(value)
        elif kind == "function":
            ok = inspect.isfunction(value)
        else:
            ok = type(value).__name__ == kind
        if not ok:
            problems.append("%s.%s is %r, not a %s" % (module_name, name, value, kind))
    # ``from module import *`` gives the documented names too
    star = {}
    exec("from %s import *" % module_name, star)
    lacking = [name for name in names if name not in star]
    problems += ["%s: import * lacks %s" % (module_name, name) for name in lacking]
patched = "gevent.monkey" in sys.modules and bool(
    sys.modules["gevent.monkey"].saved.get("socket")
)
print(json.dumps({"problems": problems, "patched": patched}))
"""


def _check(expected: dict) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", CHECK, json.dumps(expected)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("module", sorted(NATIVE))
def test_native_module_names(module):
    result = _check({module: NATIVE[module]})
    assert result["problems"] == []
    assert not result["patched"], "importing %s monkey patched the process" % module


@pytest.mark.parametrize("module", sorted(MIKO))
def test_paramiko_module_names(module):
    result = _check({module: MIKO[module]})
    assert result["problems"] == []


def test_package_loggers_are_parents_of_module_loggers():
    """``enable_logger(pssh.clients.native.logger)`` shows the native client's
    log records: the package loggers are the parents of the modules' ones."""
    # run in a fresh interpreter: importing the paramiko client patches its process
    code = textwrap.dedent(
        r"""
        import json, logging, warnings
        warnings.simplefilter("ignore")
        import pssh.clients.native as native, pssh.clients.native.single as single
        import pssh.clients.miko as miko, pssh.clients.miko.single as msingle
        print(json.dumps([single.logger.parent is native.logger or
                          single.logger.name.startswith(native.logger.name + "."),
                          msingle.logger.name.startswith(miko.logger.name + ".")]))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [True, True]
