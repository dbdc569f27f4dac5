"""The Python examples of the documentation pages, and how the tests run them.

Every ``.. code-block:: python`` on a page in :data:`PAGES` is run against the embedded
OpenSSH servers, so a page cannot drift from the code. Conventions (also told to writers in
doc/troubleshooting.rst's source comment):

* A block is run unless the line before its directive (blank lines aside) is the reST
  comment ``.. not run: <reason>`` (invisible on the page). The reason must say why, and the
  tests keep the number of such blocks small (:data:`MAX_NOT_RUN`).
* A block that imports ``pssh.clients.miko`` (or the 1.8.0 ``pssh.pssh_client`` /
  ``pssh.ssh_client``) is a paramiko example: it runs in the paramiko test process
  (tests/miko/test_doc_examples_miko.py); every other block runs in the native process
  (tests/integration/test_doc_examples.py), where nothing may be monkey patched.
* The blocks of one page and one family run in order in one namespace, as a reader follows
  the page: a later block may use the ``client`` or ``output`` an earlier one made.
* Examples are written for users, with host names such as ``host1`` or ``web01``.
  :func:`example_home` makes a ``HOME`` whose ``~/.ssh/config`` sends every host name
  (except names under ``.invalid``, which never resolve) to the embedded servers as the
  test user, with the test key as the default identity, so the examples run unchanged.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PAGES = (
    "README.rst",
    "doc/migration.rst",
    "doc/parallel-ssh-2x.rst",
    "doc/scaling.rst",
    "doc/troubleshooting.rst",
    "doc/logging.rst",
    "doc/design.rst",
    "doc/quickstart.rst",
)
"""The pages whose examples are all run (paths from the repository root)."""

MAX_NOT_RUN = 4
"""At most this many examples on those pages may be marked as not run."""

NAMED_HOSTS = {
    "127.0.0.2": ("host1", "web01", "web1", "db1", "bastion"),
    "127.0.0.3": ("host2", "web02", "web2", "db2"),
    "127.0.0.4": ("host3", "web03", "web3"),
    "127.0.0.5": ("host4", "web04", "web4"),
}
"""Example host names and the embedded server address each one reaches; any other name
(outside ``.invalid``) reaches the first address."""

_DIRECTIVE = re.compile(r"^(?P<indent> *)\.\. code-block:: *python3? *$")
_NOT_RUN = re.compile(r"^ *\.\. not run: *(?P<reason>.*\S)? *$")
_MIKO = re.compile(r"^\s*(from|import)\s+pssh\.(clients\.miko|pssh_client|ssh_client)\b", re.M)


@dataclass(frozen=True)
class Example:
    """One ``code-block:: python`` of a page."""

    page: str
    line: int
    code: str
    not_run: str | None
    """The reason given in ``.. not run:``, or ``None`` when the block is run."""

    @property
    def family(self) -> str:
        return "miko" if _MIKO.search(self.code) else "native"

    @property
    def where(self) -> str:
        return "%s:%d" % (self.page, self.line)


def examples(page: str) -> list[Example]:
    """The Python code blocks of ``page`` (a path from the repository root, or an
    absolute one), in order."""
    with open(os.path.join(REPO, page), encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    found = []
    for number, text in enumerate(lines):
        match = _DIRECTIVE.match(text)
        if not match:
            continue
        indent = len(match.group("indent"))
        body_start = number + 1
        while body_start < len(lines) and re.match(r"^ *:[\w-]+:", lines[body_start]):
            body_start += 1  # directive options (:caption:, :class: ...)
        body = []
        for line in lines[body_start:]:
            if line.strip() and len(line) - len(line.lstrip()) <= indent:
                break
            body.append(line)
        code = _dedent(body)
        previous = number - 1
        while previous >= 0 and not lines[previous].strip():
            previous -= 1
        mark = _NOT_RUN.match(lines[previous]) if previous >= 0 else None
        reason = None
        if mark:
            reason = mark.group("reason") or ""
        found.append(Example(page, number + 1, code, reason))
    return found


def _dedent(body: list[str]) -> str:
    while body and not body[-1].strip():
        body.pop()
    while body and not body[0].strip():
        body.pop(0)
    margin = min((len(b) - len(b.lstrip()) for b in body if b.strip()), default=0)
    return "\n".join(b[margin:] for b in body) + "\n"


def all_examples() -> list[Example]:
    return [example for page in PAGES for example in examples(page)]


def example_home(home: str, sshd) -> str:
    """Fill the folder ``home`` as the ``HOME`` the examples run with (see the module
    docstring); returns it."""
    ssh_dir = os.path.join(home, ".ssh")
    os.makedirs(ssh_dir, mode=0o700, exist_ok=True)
    key = os.path.join(ssh_dir, "id_ed25519")
    shutil.copyfile(sshd.pkey, key)
    os.chmod(key, 0o600)
    shutil.copyfile(sshd.pkey_pub, key + ".pub")
    shutil.copyfile(sshd.pkey, os.path.join(ssh_dir, "my_pkey"))  # the key examples name
    os.chmod(os.path.join(ssh_dir, "my_pkey"), 0o600)
    blocks = []
    for address, names in NAMED_HOSTS.items():
        blocks.append("Host %s\n    HostName %s\n" % (" ".join(names), address))
    blocks.append("Host * !*.invalid\n    HostName %s\n" % sshd.host)
    blocks.append("Host *\n    Port %d\n    User %s\n" % (sshd.port, sshd.user))
    with open(os.path.join(ssh_dir, "config"), "w") as fh:
        fh.write("\n".join(blocks))
    return home


def run_examples(page_examples: list[Example], namespace: dict | None = None) -> dict:
    """Run the examples in order in one namespace (``__name__`` is ``'__main__'``, as in a
    user's script); returns the namespace. A failing example raises, naming its line."""
    namespace = {"__name__": "__main__"} if namespace is None else namespace
    for example in page_examples:
        try:
            exec(compile(example.code, example.where, "exec"), namespace)
        except Exception as exc:
            raise AssertionError("example at %s failed: %r" % (example.where, exc)) from exc
    return namespace


def disconnect_all(namespace: dict) -> None:
    """Close the connections of the clients an example left in ``namespace``."""
    for value in list(namespace.values()):
        host_clients = getattr(value, "host_clients", None)
        if isinstance(host_clients, dict):
            for client in list(host_clients.values()):
                client.disconnect()
        elif hasattr(value, "disconnect") and hasattr(value, "host"):
            try:
                value.disconnect()
            except Exception:  # an example's client in any state: closing is best effort
                pass


@contextmanager
def kept_logging() -> Iterator[None]:
    """Undo what examples do to the ``pssh`` loggers (``enable_host_logger`` and the
    like), so one page's logging does not change the next page's run."""
    loggers = [logging.getLogger(name) for name in ("pssh", "pssh.host_logger")]
    saved = [(lg, lg.level, list(lg.handlers)) for lg in loggers]
    try:
        yield
    finally:
        for lg, level, handlers in saved:
            lg.setLevel(level)
            lg.handlers[:] = handlers


def run_page(page: str, family: str) -> None:
    """Run the examples of ``page`` for the client ``family`` (``'native'`` or
    ``'miko'``) in order, in one namespace as a reader would, then disconnect the
    clients they left."""
    page_examples = [e for e in examples(page) if e.not_run is None and e.family == family]
    namespace: dict = {"__name__": "__main__"}
    try:
        with kept_logging():
            run_examples(page_examples, namespace)
    finally:
        disconnect_all(namespace)
