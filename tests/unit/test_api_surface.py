"""Every documented module, class and function of the 1.8.0 API, with its
parameters in the documented order and with the documented defaults.

Documented parameters must come first and in order (callers pass them
positionally); parameters we added may only follow them.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import json
import subprocess
import sys

import pytest

_ = inspect.Parameter.empty
E = _  # no default

API = {
    "pssh.clients.native.parallel.ParallelSSHClient": {
        "__init__": [
            ("hosts", E),
            ("user", None),
            ("password", None),
            ("port", 22),
            ("pkey", None),
            ("num_retries", 3),
            ("timeout", None),
            ("pool_size", 10),
            ("allow_agent", True),
            ("host_config", None),
            ("retry_delay", 5),
            ("proxy_host", None),
            ("proxy_port", 22),
            ("proxy_user", None),
            ("proxy_password", None),
            ("proxy_pkey", None),
            # documented safety change: agent forwarding is off by default (doc/security.rst)
            ("forward_ssh_agent", False),
            ("tunnel_timeout", None),
        ],
        "copy_file": [
            ("local_file", E),
            ("remote_file", E),
            ("recurse", False),
            ("copy_args", None),
        ],
        "copy_remote_file": [
            ("remote_file", E),
            ("local_file", E),
            ("recurse", False),
            ("suffix_separator", "_"),
            ("copy_args", None),
            ("encoding", "utf-8"),
        ],
        "join": [("output", E), ("consume_output", False), ("timeout", None)],
        "reset_output_generators": [
            ("host_out", E),
            ("timeout", None),
            ("client", None),
            ("channel", None),
            ("encoding", "utf-8"),
        ],
        "run_command": [
            ("command", E),
            ("sudo", False),
            ("user", None),
            ("stop_on_errors", True),
            ("use_pty", False),
            ("host_args", None),
            ("shell", None),
            ("encoding", "utf-8"),
            ("timeout", None),
            ("greenlet_timeout", None),
        ],
        "finished": [("output", E)],
        "get_exit_code": [("host_output", E)],
        "get_exit_codes": [("output", E)],
        "get_last_output": [("cmds", None)],
        "get_output": [("cmd", E), ("output", E), ("timeout", None)],
    },
    "pssh.clients.native.single.SSHClient": {
        "__init__": [
            ("host", E),
            ("user", None),
            ("password", None),
            ("port", None),
            ("pkey", None),
            ("num_retries", 3),
            ("retry_delay", 5),
            ("allow_agent", True),
            ("timeout", None),
            # documented safety change: agent forwarding is off by default (doc/security.rst)
            ("forward_ssh_agent", False),
            ("proxy_host", None),
            ("_auth_thread_pool", True),
        ],
        "copy_file": [
            ("local_file", E),
            ("remote_file", E),
            ("recurse", False),
            ("sftp", None),
            ("_dir", None),
        ],
        "copy_remote_file": [
            ("remote_file", E),
            ("local_file", E),
            ("recurse", False),
            ("sftp", None),
            ("encoding", "utf-8"),
        ],
        "disconnect": [],
        "execute": [("cmd", E), ("use_pty", False), ("channel", None)],
        "mkdir": [("sftp", E), ("directory", E), ("_parent_path", None)],
        "open_session": [],
        "read_output": [("channel", E), ("timeout", None)],
        "read_output_buffer": [
            ("output_buffer", E),
            ("prefix", None),
            ("callback", None),
            ("callback_args", None),
            ("encoding", "utf-8"),
        ],
        "read_stderr": [("channel", E), ("timeout", None)],
        "run_command": [
            ("command", E),
            ("sudo", False),
            ("user", None),
            ("use_pty", False),
            ("shell", None),
            ("encoding", "utf-8"),
            ("timeout", None),
        ],
        "scp_recv": [
            ("remote_file", E),
            ("local_file", E),
            ("recurse", False),
            ("sftp", None),
            ("encoding", "utf-8"),
        ],
        "scp_send": [("local_file", E), ("remote_file", E), ("recurse", False), ("sftp", None)],
        "wait_finished": [("channel", E), ("timeout", None)],
    },
    "pssh.clients.miko.single.SSHClient": {
        "__init__": [
            ("host", E),
            ("user", None),
            ("password", None),
            ("port", None),
            ("pkey", None),
            # documented safety change: agent forwarding is off by default (doc/security.rst)
            ("forward_ssh_agent", False),
            ("num_retries", 3),
            ("agent", None),
            ("allow_agent", True),
            ("timeout", 10),
            ("proxy_host", None),
            ("proxy_port", 22),
            ("proxy_user", None),
            ("proxy_password", None),
            ("proxy_pkey", None),
            ("channel_timeout", None),
            ("_openssh_config_file", None),
        ],
        "copy_file": [("local_file", E), ("remote_file", E), ("recurse", False), ("sftp", None)],
        "copy_remote_file": [
            ("remote_file", E),
            ("local_file", E),
            ("recurse", False),
            ("sftp", None),
        ],
        "exec_command": [
            ("command", E),
            ("sudo", False),
            ("user", None),
            ("shell", None),
            ("use_shell", True),
            ("use_pty", True),
        ],
        "mkdir": [("sftp", E), ("directory", E)],
        "read_output_buffer": [
            ("output_buffer", E),
            ("prefix", None),
            ("callback", None),
            ("callback_args", None),
            ("encoding", "utf-8"),
        ],
    },
    "pssh.clients.miko.parallel.ParallelSSHClient": {
        "__init__": [
            ("hosts", E),
            ("user", None),
            ("password", None),
            ("port", None),
            ("pkey", None),
            # documented safety change: agent forwarding is off by default (doc/security.rst)
            ("forward_ssh_agent", False),
            ("num_retries", 3),
            ("timeout", 120),
            ("pool_size", 10),
            ("proxy_host", None),
            ("proxy_port", 22),
            ("proxy_user", None),
            ("proxy_password", None),
            ("proxy_pkey", None),
            ("agent", None),
            ("allow_agent", True),
            ("host_config", None),
            ("channel_timeout", None),
            ("retry_delay", 5),
        ],
        "finished": [("output", E)],
        "get_output": [("cmd", E), ("output", E), ("encoding", "utf-8")],
        "join": [("output", E), ("consume_output", False)],
        "run_command": [
            ("command", E),
            ("sudo", False),
            ("user", None),
            ("stop_on_errors", True),
            ("shell", None),
            ("use_shell", True),
            ("use_pty", True),
            ("host_args", None),
            ("encoding", "utf-8"),
        ],
        "copy_file": [
            ("local_file", E),
            ("remote_file", E),
            ("recurse", False),
            ("copy_args", None),
        ],
    },
    "pssh.clients.base_pssh.BaseParallelSSHClient": {
        "__init__": [
            ("hosts", E),
            ("user", None),
            ("password", None),
            ("port", None),
            ("pkey", None),
            ("allow_agent", True),
            ("num_retries", 3),
            ("timeout", 120),
            ("pool_size", 10),
            ("host_config", None),
            ("retry_delay", 5),
        ],
        "copy_file": [
            ("local_file", E),
            ("remote_file", E),
            ("recurse", False),
            ("copy_args", None),
        ],
        "copy_remote_file": [
            ("remote_file", E),
            ("local_file", E),
            ("recurse", False),
            ("suffix_separator", "_"),
            ("copy_args", None),
        ],
        "finished": [("output", E)],
        "get_exit_code": [("host_output", E)],
        "get_exit_codes": [("output", E)],
        "get_last_output": [("cmds", None)],
        "get_output": [("cmd", E), ("output", E), ("timeout", None)],
    },
    "pssh.output.HostOutput": {
        "__init__": [
            ("host", E),
            ("cmd", E),
            ("channel", E),
            ("stdout", E),
            ("stderr", E),
            ("stdin", E),
            ("exit_code", None),
            ("exception", None),
        ],
        # documented as update(update_dict); the default () keeps dict.update(**kw) working
        "update": [("update_dict", ())],
    },
    "pssh.agent.SSHAgent": {"__init__": [], "add_key": [("key", E)], "get_keys": []},
    "pssh.clients.native.tunnel.Tunnel": {
        "__init__": [
            ("host", E),
            ("in_q", E),
            ("out_q", E),
            ("user", None),
            ("password", None),
            ("port", None),
            ("pkey", None),
            ("num_retries", 3),
            ("retry_delay", 5),
            ("allow_agent", True),
            ("timeout", None),
            ("channel_retries", 5),
        ],
        "run": [],
    },
}

FUNCTIONS = {
    "pssh.utils.enable_host_logger": [],
    "pssh.utils.enable_logger": [("_logger", E), ("level", 20)],
    "pssh.utils.load_private_key": [("_pkey", E)],
    "pssh.utils.read_openssh_config": [("host", E), ("config_file", None)],
}

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


def _resolve(path):
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def _params(func):
    params = list(inspect.signature(func).parameters.values())
    if params and params[0].name == "self":
        params = params[1:]
    return [(p.name, p.default) for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


_SIGNATURES_ELSEWHERE = r"""
import importlib, inspect, json, sys
module, _, name = sys.argv[1].rpartition(".")
cls = getattr(importlib.import_module(module), name)
out = {}
for method in json.loads(sys.argv[2]):
    params = list(inspect.signature(getattr(cls, method)).parameters.values())
    if params and params[0].name == "self":
        params = params[1:]
    out[method] = [
        [p.name, "<empty>" if p.default is p.empty else p.default]
        for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
print(json.dumps(out))
"""


@functools.cache
def _paramiko_signatures(cls_path: str) -> dict:
    # Importing a paramiko client monkey patches the process; this one must stay unpatched.
    done = subprocess.run(
        [sys.executable, "-c", _SIGNATURES_ELSEWHERE, cls_path, json.dumps(list(API[cls_path]))],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    found = json.loads(done.stdout)
    return {
        method: [(name, E if default == "<empty>" else default) for name, default in params]
        for method, params in found.items()
    }


@pytest.mark.parametrize(
    ("cls_path", "method"), [(c, m) for c, methods in API.items() for m in methods]
)
def test_method_signature(cls_path, method):
    documented = API[cls_path][method]
    if cls_path.startswith("pssh.clients.miko."):
        actual = _paramiko_signatures(cls_path)[method]
    else:
        actual = _params(getattr(_resolve(cls_path), method))
    # A documented required parameter may have gained a default (2.x's
    # ``join(output=None)``): every 1.8.0 call still works.
    relaxed = [
        (name, E) if name == doc_name and doc_default is E else (name, default)
        for (name, default), (doc_name, doc_default) in zip(actual, documented)
    ]
    assert relaxed == documented
    for name, default in actual[len(documented) :]:
        assert default is not E, "added parameter %s must have a default" % name


@pytest.mark.parametrize("path", list(FUNCTIONS))
def test_function_signature(path):
    documented = FUNCTIONS[path]
    actual = _params(_resolve(path))
    assert actual[: len(documented)] == documented


@pytest.mark.parametrize("name", EXCEPTIONS)
def test_exceptions(name):
    exc = getattr(importlib.import_module("pssh.exceptions"), name)
    assert issubclass(exc, Exception)
    assert exc("msg", host="h").host == "h"


def test_package_reexports():
    import pssh
    from pssh import exceptions

    for name in (
        "UnknownHostException",
        "AuthenticationException",
        "ConnectionErrorException",
        "SSHException",
    ):
        assert getattr(pssh, name) is getattr(exceptions, name)


def test_default_clients_are_native():
    from pssh.clients import ParallelSSHClient, SSHClient
    from pssh.clients.native import parallel, single

    assert ParallelSSHClient is parallel.ParallelSSHClient
    assert SSHClient is single.SSHClient
