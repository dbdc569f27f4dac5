"""Session-wide fixtures: throwaway OpenSSH servers, an ssh-agent and the login account.

All servers are real ``/usr/sbin/sshd`` processes started by :mod:`embedded_server.openssh`
on free ports, so several test sessions can run on one machine at once. Fixtures:

``sshd``
    :class:`~embedded_server.openssh.ServerConfig` for 4 hosts, 127.0.0.2 .. 127.0.0.5, on one
    port (``sshd.host`` is 127.0.0.2). Log in as ``sshd.user`` with ``pkey=sshd.pkey`` (ed25519;
    ``rsa_pkey``/``ecdsa_pkey`` also authorised) or ``password=sshd.password``.
``sshd_group``
    the :class:`~embedded_server.openssh.ServerGroup` behind ``sshd`` (logs, ``server_for``).
``sshd_many``
    100 hosts, 127.0.0.2 .. 127.0.0.101, on one port (7 sshd processes); started on first use.
``proxy_sshd``
    an independent server on 127.0.0.50 with its own port, for proxy/tunnel tests; its log
    (``proxy_sshd.log_path``, ``LogLevel VERBOSE``) shows the forwarded connections.
``ssh_agent``
    socket path of an ``ssh-agent`` holding the ed25519 user key. ``SSH_AUTH_SOCK`` is removed
    from the environment at session start; tests opt in with
    ``monkeypatch.setenv("SSH_AUTH_SOCK", ssh_agent)``.
``sshd_factory``
    function-scoped: ``sshd_factory(count=1, first="127.0.0.60", extra_config=())`` starts a
    private :class:`~embedded_server.openssh.ServerGroup` (stopped after the test), for tests
    that restart or stop servers (``group.restart_with_new_host_key()``, ``group.stop()``);
    ``group.config()`` gives its ServerConfig.
``remote_dir``
    function-scoped: a fresh empty folder owned by the login user (inside its home), for
    remote-side paths of copy tests; removed after the test.

The login user is ``pssh-test`` when the tests run as root (root's own shell start-up is
slow), otherwise the current user; see :func:`embedded_server.openssh.ensure_test_user`.
``HOME`` is an empty temporary folder (``session_home``) for the integration tests, so none
reads or writes the real ``~/.ssh`` (known_hosts, config, keys). Everything is stopped at
session end, and by :mod:`atexit` on interruption. To look at the sshd logs and configs
afterwards, run with ``PSSH_TEST_KEEP=1`` (temp folders are kept).
"""

from __future__ import annotations

import os
import pwd
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence

import pytest

_TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
if _TESTS_DIR not in sys.path:
    sys.path.insert(0, _TESTS_DIR)

from backends import FAMILIES, Backend, load_backend  # noqa: E402
from embedded_server.openssh import (  # noqa: E402
    KeySet,
    ServerConfig,
    ServerGroup,
    TestUser,
    ensure_test_user,
    generate_keys,
    host_addresses,
    make_temp_dir,
    remove_temp_dir,
    start_agent,
    start_servers,
)

SSHD_HOSTS = host_addresses(4, "127.0.0.2")
MANY_HOSTS = host_addresses(100, "127.0.0.2")
PROXY_HOSTS = ["127.0.0.50"]
_REAL_HOME = os.environ.get("HOME")


_SHARED_DIR = os.path.join(_TESTS_DIR, "shared")
_MIKO_DIR = os.path.join(_TESTS_DIR, "miko")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backend", choices=FAMILIES, default="native",
        help="client family this process tests: 'native' (default; tests/unit, "
        "tests/integration and tests/shared, nothing monkey patched) or 'miko' (tests/miko "
        "and tests/shared, patched by importing pssh.clients.miko)",
    )  # fmt: skip


def pytest_configure(config: pytest.Config) -> None:
    # A developer's own agent must never take part in (or rescue) authentication tests.
    os.environ.pop("SSH_AUTH_SOCK", None)
    config.addinivalue_line("markers", "native_only: in tests/shared, native client only")


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder + os.sep)


def pytest_ignore_collect(collection_path: os.PathLike, config: pytest.Config) -> bool | None:
    """The native process never collects tests/miko (collecting imports the paramiko client,
    which monkey patches the process); the miko process collects only tests/miko and
    tests/shared."""
    path = os.path.abspath(os.fspath(collection_path))
    if not _inside(path, _TESTS_DIR) or path == _TESTS_DIR:
        return None
    if config.getoption("backend") == "native":
        return True if _inside(path, _MIKO_DIR) else None
    if _inside(path, _MIKO_DIR) or _inside(path, _SHARED_DIR):
        return None
    return True if os.path.isdir(path) or path.endswith(".py") else None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("backend") == "native":
        return
    native_only = [item for item in items if item.get_closest_marker("native_only")]
    if native_only:
        config.hook.pytest_deselected(items=native_only)
        items[:] = [item for item in items if not item.get_closest_marker("native_only")]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The native process must end as unpatched as users run it: a test module that imported
    the paramiko client would have turned every native test into a test of the patched case."""
    if session.config.getoption("backend") != "native":
        return
    import gevent.monkey

    if gevent.monkey.is_anything_patched():
        session.config.get_terminal_writer().line(
            "ERROR: the native test process was monkey patched (a test imported "
            "pssh.clients.miko outside tests/miko)", red=True,
        )  # fmt: skip
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> Backend:
    """The client family this process tests (``--backend``, default native)."""
    return load_backend(request.config.getoption("backend"))


@pytest.fixture(scope="session")
def family(backend: Backend) -> str:
    """Name of the client family under test: ``'native'`` or ``'miko'``."""
    return backend.name


@pytest.fixture(scope="session", autouse=True)
def session_home() -> Iterator[str]:
    """``HOME`` for the whole run: an empty folder. The clients read ``~/.ssh/config`` and
    record the keys of new hosts in ``~/.ssh/known_hosts``; the test servers' ports and keys
    change from run to run, and a developer's own files must neither be changed nor change
    the results. Tests may still monkeypatch ``HOME``."""
    home = tempfile.mkdtemp(prefix="pssh-test-home-")
    os.environ["HOME"] = home
    try:
        yield home
    finally:
        if _REAL_HOME is not None:
            os.environ["HOME"] = _REAL_HOME
        if not os.environ.get("PSSH_TEST_KEEP"):
            shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(autouse=True)
def _unit_tests_keep_home(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    # Unit tests connect to nothing; some compare with ``ssh -G``, which expands ``~`` to the
    # passwd home, so they see the real HOME (as they do at collection time).
    if request.node.get_closest_marker("integration") is None and _REAL_HOME is not None:
        monkeypatch.setenv("HOME", _REAL_HOME)


@pytest.fixture(scope="session")
def ssh_keys() -> Iterator[KeySet]:
    """Host keys and user key pairs (ed25519, rsa, ecdsa) for the whole session."""
    keys_dir = make_temp_dir("pssh-keys-")
    try:
        yield generate_keys(keys_dir)
    finally:
        remove_temp_dir(keys_dir)


@pytest.fixture(scope="session")
def test_user() -> TestUser:
    """The account the servers log in as (``pssh-test`` as root, else the current user)."""
    return ensure_test_user()


def _serve(addresses: Sequence[str], keys: KeySet, user: TestUser) -> Iterator[ServerGroup]:
    workdir = make_temp_dir("pssh-sshd-")
    group = None
    try:
        group = start_servers(addresses, keys, workdir=workdir, user=user)
        yield group
    finally:
        if group is not None:
            group.stop()
        remove_temp_dir(workdir)


@pytest.fixture(scope="session")
def sshd_group(ssh_keys: KeySet, test_user: TestUser) -> Iterator[ServerGroup]:
    """The server group behind :func:`sshd` (4 hosts, one sshd process)."""
    yield from _serve(SSHD_HOSTS, ssh_keys, test_user)


@pytest.fixture(scope="session")
def sshd(sshd_group: ServerGroup) -> ServerConfig:
    """4 hosts, 127.0.0.2 .. 127.0.0.5, on one free port."""
    return sshd_group.config()


@pytest.fixture(scope="session")
def sshd_many_group(ssh_keys: KeySet, test_user: TestUser) -> Iterator[ServerGroup]:
    """The server group behind :func:`sshd_many` (100 hosts, 7 sshd processes)."""
    yield from _serve(MANY_HOSTS, ssh_keys, test_user)


@pytest.fixture(scope="session")
def sshd_many(sshd_many_group: ServerGroup) -> ServerConfig:
    """100 hosts, 127.0.0.2 .. 127.0.0.101, on one free port."""
    return sshd_many_group.config()


@pytest.fixture(scope="session")
def proxy_sshd_group(ssh_keys: KeySet, test_user: TestUser) -> Iterator[ServerGroup]:
    """The server group behind :func:`proxy_sshd`."""
    yield from _serve(PROXY_HOSTS, ssh_keys, test_user)


@pytest.fixture(scope="session")
def proxy_sshd(proxy_sshd_group: ServerGroup) -> ServerConfig:
    """An independent server on 127.0.0.50 with its own free port (proxy/tunnel tests)."""
    return proxy_sshd_group.config()


@pytest.fixture(scope="session")
def ssh_agent(ssh_keys: KeySet) -> Iterator[str]:
    """``SSH_AUTH_SOCK`` of an agent holding the ed25519 user key (not set in the env)."""
    agent = start_agent([ssh_keys.pkey])
    try:
        yield agent.sock
    finally:
        agent.stop()


@pytest.fixture
def sshd_factory(ssh_keys: KeySet, test_user: TestUser) -> Iterator[Callable[..., ServerGroup]]:
    """Start private server groups that live until the end of the test."""
    groups: list[ServerGroup] = []
    workdir = make_temp_dir("pssh-sshd-")

    def factory(
        count: int = 1, first: str = "127.0.0.60", extra_config: Sequence[str] = ()
    ) -> ServerGroup:
        sub = tempfile.mkdtemp(dir=workdir)
        group = start_servers(
            host_addresses(count, first), ssh_keys, workdir=sub, extra_config=extra_config,
            user=test_user,
        )  # fmt: skip
        groups.append(group)
        return group

    try:
        yield factory
    finally:
        for group in groups:
            group.stop()
        remove_temp_dir(workdir)


@pytest.fixture
def remote_dir(test_user: TestUser) -> Iterator[str]:
    """A fresh empty folder owned by the login user, inside its home."""
    path = tempfile.mkdtemp(prefix="pssh-remote-", dir=test_user.home)
    if os.geteuid() == 0:
        entry = pwd.getpwnam(test_user.name)
        os.chown(path, entry.pw_uid, entry.pw_gid)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """Umask 022 for the test: downloads keep ``remote mode & 0o777 & ~umask``, and tests
    that expect modes assume the usual umask, whatever the developer's is."""
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture
def root_only_dir(tmp_path) -> str:
    """A local folder the login user cannot write to (owned by root)."""
    from transfer_helpers import make_root_only_dir

    return make_root_only_dir(tmp_path)


@pytest.fixture
def unreadable_file(remote_dir: str) -> str:
    """A remote file the login user cannot read."""
    from transfer_helpers import make_unreadable_file

    return make_unreadable_file(remote_dir)


@pytest.fixture
def client_factory(sshd: ServerConfig) -> Iterator[Callable[..., object]]:
    """``make(cls, hosts=None, **kwargs)``: a parallel client of class ``cls`` for the
    ``sshd`` hosts (or ``hosts``), logging in as the test user on the servers' port with one
    attempt unless ``kwargs`` say otherwise. Its connections are closed after the test."""
    made: list = []

    def make(cls: type, hosts: Sequence[str] | None = None, **kwargs: object) -> object:
        kwargs.setdefault("port", sshd.port)
        kwargs.setdefault("user", sshd.user)
        kwargs.setdefault("num_retries", 1)
        client = cls(list(sshd.hosts) if hosts is None else hosts, **kwargs)
        made.append(client)
        return client

    yield make
    for client in made:
        for host_client in list(client.host_clients.values()):
            host_client.disconnect()


@pytest.fixture
def example_env(sshd, tmp_path, monkeypatch):
    """A user's machine as the documentation's examples assume it (tests/doc_examples.py):
    ``HOME`` whose ``~/.ssh/config`` reaches the example host names, and a fresh working
    folder, which is returned."""
    from doc_examples import example_home

    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", example_home(str(home), sshd))
    work = tmp_path / "work"
    work.mkdir()
    shutil.copyfile(sshd.pkey, work / "my_pkey.pem")  # a key examples load
    (work / "my_pkey.pem").chmod(0o600)
    monkeypatch.chdir(work)
    return work
