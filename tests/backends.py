"""Which client family a test process drives, and lazy access to both families' classes.

The test suite runs in two processes (``ci/run-tests`` starts both): the native client's
process, where nothing may be monkey patched (as users run it), and the paramiko (miko)
client's process, patched by ``import pssh.clients.miko`` as 1.8.0 documents. Tests of
behaviour both families share live in ``tests/shared`` and run once in each process, on the
family the process was started for (``pytest --backend miko``). ``PARALLEL[name]`` and
``SINGLE[name]`` import a family only when asked for it, so naming ``"miko"`` in a module of
the native process imports (and patches) nothing until a test really uses it, which the
collection rules in ``conftest.py`` prevent.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import NamedTuple

FAMILIES = ("native", "miko")


class Backend(NamedTuple):
    """One client family: its name and its parallel and single-host client classes."""

    name: str
    ParallelSSHClient: type
    SSHClient: type


def load_backend(name: str) -> Backend:
    """Import the family ``name`` (``'native'`` or ``'miko'``) and return its classes."""
    if name not in FAMILIES:
        raise ValueError(f"unknown client family {name!r}; expected one of {FAMILIES}")
    module = importlib.import_module(f"pssh.clients.{name}")
    return Backend(name, module.ParallelSSHClient, module.SSHClient)


class _Classes(Mapping):
    def __init__(self, attribute: str) -> None:
        self._attribute = attribute

    def __getitem__(self, name: str) -> type:
        return getattr(load_backend(name), self._attribute)

    def __iter__(self) -> Iterator[str]:
        return iter(FAMILIES)

    def __len__(self) -> int:
        return len(FAMILIES)


PARALLEL: Mapping[str, type] = _Classes("ParallelSSHClient")
SINGLE: Mapping[str, type] = _Classes("SSHClient")
