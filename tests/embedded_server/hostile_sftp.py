"""A small hostile SSH server (paramiko) serving a crafted, read-only SFTP tree and ``scp -f``.

Real servers never send what this one does: directory listings with names that would escape
a local destination (``../../x``, ``/abs/x``, ``a/b``, NUL, the empty name, ``..`` encoded in
UTF-16), files and folders with setuid, setgid, sticky and world-writable modes, and a listing
that does not end. Tests check that the clients refuse all of it.

Run as its own process (so that it works the same under the native client's unpatched test
process and the paramiko client's patched one)::

    python -m embedded_server.hostile_sftp ADDRESS[,ADDRESS...] AUTHORIZED_KEY_PUB

It listens on one free port on every address, prints ``PORT <n>`` once ready and serves until
killed; any user name is accepted with the given public key. :class:`HostileServer` starts
and stops it. The tree (paths as the server decodes them; see :func:`_path`):

``/names``
    ``good`` (file), ``sub/inner`` (file), ``back\\slash`` (file) and hostile names:
    ``../../x``, ``/abs/x``, ``a/b``, the empty name, ``nul\\0x``, and ``sub/../y``. Every
    path not in the tree reads as a file holding :data:`ESCAPED` (what a client that follows
    a hostile name would write).
``/utf16``
    names encoded in UTF-16 (little endian, no BOM): ``good`` (file) and ``..`` (a folder
    holding ``esc``, a file) - harmless in UTF-8, ``..`` for a client using ``utf-16``.
    (libssh2 cuts a path at its first NUL byte, so the native client cannot request UTF-16
    paths: tests use ``/utf7`` for it.)
``/utf7``
    ``good`` (file) and names that are plain ASCII bytes but ``..`` and ``a/b`` once decoded
    as UTF-7: ``+AC4-+AC4-`` (a folder holding ``esc``) and ``a+AC8-b`` (a file).
``/modes``
    ``suid`` (file, 6777), ``su`` (file, 4755), ``sticky`` (folder, 1777, holding ``f``,
    0666) and ``open`` (folder, 0777, holding ``g``, 0777).
``/endless``
    a listing of sockets named ``s<n>`` that ends only after :data:`ENDLESS_CAP` entries
    (far more than the tests allow a client to read).

``scp -f PATH`` sends the file at ``PATH`` (mode and content from the tree) under the name
``../../scp-escape``; ``scp -t`` is refused.
"""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import threading
from typing import Any

import paramiko
from paramiko.message import Message
from paramiko.sftp import SFTP_EOF, SFTP_OK, SFTP_PERMISSION_DENIED

ESCAPED = b"escaped\n"
ENDLESS_CAP = 50_000
START_TIMEOUT = 30.0

# The client may send paths in any encoding (UTF-16 for the ``/utf16`` tests): keep the bytes.
Message.get_text = lambda self: self.get_string().decode("utf-8", "surrogateescape")  # type: ignore[method-assign]


def _path(text: str) -> str:
    """A requested path as the tree names it: UTF-16 when the bytes say so."""
    raw = text.encode("utf-8", "surrogateescape")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in raw:
        return raw.decode("utf-16", "replace")
    return raw.decode("utf-8", "replace")


def _u16(name: str) -> str:
    """``name`` encoded UTF-16-LE, as the ``str`` paramiko sends byte for byte."""
    return name.encode("utf-16-le").decode("latin-1")


FILE, DIR, SOCK = stat.S_IFREG, stat.S_IFDIR, stat.S_IFSOCK
# path -> (type | mode, content or listing of (sent name, path of the entry))
TREE: dict[str, tuple[int, Any]] = {
    "/names": (DIR | 0o755, [
        ("good", "/names/good"), ("sub", "/names/sub"), ("back\\slash", "/names/back\\slash"),
        ("../../x", "/names/../../x"), ("/abs/x", "/abs/x"), ("a/b", "/names/a/b"),
        ("", "/names/"), ("nul\x00x", "/names/nul\x00x"),
    ]),
    "/names/good": (FILE | 0o644, b"good\n"),
    "/names/back\\slash": (FILE | 0o644, b"backslash\n"),
    "/names/sub": (DIR | 0o755, [("inner", "/names/sub/inner"), ("../y", "/names/sub/../y")]),
    "/names/sub/inner": (FILE | 0o644, b"inner\n"),
    "/utf16": (DIR | 0o755, [(_u16("good"), "/utf16/good"), (_u16(".."), "/utf16/..")]),
    "/utf16/good": (FILE | 0o644, b"good\n"),
    "/utf16/..": (DIR | 0o755, [(_u16("esc"), "/utf16/../esc")]),
    "/utf7": (DIR | 0o755, [
        ("good", "/utf7/good"), ("+AC4-+AC4-", "/utf7/.."), ("a+AC8-b", "/utf7/a/b"),
    ]),
    "/utf7/good": (FILE | 0o644, b"good\n"),
    "/utf7/..": (DIR | 0o755, [("esc", "/utf7/../esc")]),
    "/modes": (DIR | 0o755, [
        ("suid", "/modes/suid"), ("su", "/modes/su"), ("sticky", "/modes/sticky"),
        ("open", "/modes/open"),
    ]),
    "/modes/suid": (FILE | 0o6777, b"#!/bin/sh\necho suid\n"),
    "/modes/su": (FILE | 0o4755, b"#!/bin/sh\necho su\n"),
    "/modes/sticky": (DIR | 0o1777, [("f", "/modes/sticky/f")]),
    "/modes/sticky/f": (FILE | 0o666, b"f\n"),
    "/modes/open": (DIR | 0o777, [("g", "/modes/open/g")]),
    "/modes/open/g": (FILE | 0o777, b"g\n"),
    "/endless": (DIR | 0o755, None),
}  # fmt: skip


def _node(path: str) -> tuple[int, Any]:
    return TREE.get(path, (FILE | 0o644, ESCAPED))


def _attrs(path: str, name: str | None = None) -> paramiko.SFTPAttributes:
    mode, content = _node(path)
    attrs = paramiko.SFTPAttributes()
    attrs.st_mode = mode
    attrs.st_size = len(content) if isinstance(content, bytes) else 4096
    attrs.st_uid = attrs.st_gid = 0
    attrs.st_atime = attrs.st_mtime = 1_700_000_000
    if name is not None:
        attrs.filename = name
    return attrs


class _Endless(list):
    """A folder listing paramiko's server hands out 16 entries at a time, without end (up to
    :data:`ENDLESS_CAP`, so that a client without a bound still finishes some day)."""

    def __init__(self) -> None:
        super().__init__()
        self.sent = 0

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice) and index.start:
            return self  # what is left after a batch: as much as ever
        batch = []
        for _ in range(16 if self.sent < ENDLESS_CAP else 0):
            attrs = paramiko.SFTPAttributes()
            attrs.st_mode, attrs.st_size = SOCK | 0o755, 0
            attrs.filename = f"s{self.sent}"
            batch.append(attrs)
            self.sent += 1
        return batch


class _Handle(paramiko.SFTPHandle):
    def __init__(self, content: bytes) -> None:
        super().__init__()
        self.content = content

    def read(self, offset: int, length: int) -> bytes | int:
        if offset >= len(self.content):
            return SFTP_EOF
        return self.content[offset : offset + length]

    def stat(self) -> paramiko.SFTPAttributes:
        return paramiko.SFTPAttributes.from_stat(os.stat_result((FILE | 0o644,) + (0,) * 9))


class _SFTP(paramiko.SFTPServerInterface):
    def list_folder(self, path: str) -> Any:
        path = _path(path)
        if path == "/endless":
            return _Endless()
        mode, content = _node(path)
        if not stat.S_ISDIR(mode):
            return paramiko.sftp.SFTP_NO_SUCH_FILE
        return [_attrs(entry, name) for name, entry in content]

    def stat(self, path: str) -> Any:
        return _attrs(_path(path))

    lstat = stat

    def open(self, path: str, flags: int, attr: Any) -> Any:
        if flags & (os.O_WRONLY | os.O_RDWR):
            return SFTP_PERMISSION_DENIED
        mode, content = _node(_path(path))
        if not isinstance(content, bytes):
            return SFTP_PERMISSION_DENIED
        return _Handle(content)

    def canonicalize(self, path: str) -> str:
        return _path(path)

    def mkdir(self, path: str, attr: Any) -> int:
        return SFTP_PERMISSION_DENIED

    def chattr(self, path: str, attr: Any) -> int:
        return SFTP_OK


class _Server(paramiko.ServerInterface):
    def __init__(self, authorized: str) -> None:
        self.authorized = authorized

    def get_allowed_auths(self, username: str) -> str:
        return "publickey"

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        if key.get_base64() == self.authorized:
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED

    def check_channel_request(self, kind: str, chanid: int) -> int:
        if kind == "session":
            return paramiko.OPEN_SUCCEEDED
        return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_exec_request(self, channel: paramiko.Channel, command: bytes) -> bool:
        words = command.decode("utf-8", "surrogateescape").split(" ")
        options = [word for word in words[1:-1] if word.startswith("-")]
        if words[0] != "scp" or not any("f" in word for word in options):
            return False
        path = words[-1]
        if len(path) > 1 and path[0] == path[-1] == "'":
            path = path[1:-1]
        threading.Thread(target=_scp_source, args=(channel, path), daemon=True).start()
        return True


def _scp_source(channel: paramiko.Channel, path: str) -> None:
    """The remote side of ``scp -f``: one file, under a hostile name."""
    try:
        mode, content = _node(_path(path))
        if channel.recv(1) != b"\0" or not isinstance(content, bytes):
            channel.sendall(b"\x01scp: not a regular file\n")
            channel.send_exit_status(1)
            return
        channel.sendall(b"T1700000000 0 1700000000 0\n")
        if channel.recv(1) != b"\0":
            return
        header = "C%04o %d ../../scp-escape\n" % (stat.S_IMODE(mode), len(content))
        channel.sendall(header.encode())
        if channel.recv(1) == b"\0":
            channel.sendall(content + b"\0")
            channel.recv(1)
        channel.send_exit_status(0)
    except (OSError, EOFError):
        pass
    finally:
        channel.close()


def _serve_connection(sock: socket.socket, host_key: paramiko.PKey, authorized: str) -> None:
    transport = paramiko.Transport(sock)
    transport.add_server_key(host_key)
    transport.set_subsystem_handler("sftp", paramiko.SFTPServer, _SFTP)
    try:
        transport.start_server(server=_Server(authorized))
    except (paramiko.SSHException, EOFError, OSError):
        transport.close()


def _listen(addresses: list[str]) -> tuple[list[socket.socket], int]:
    for _attempt in range(20):
        socks: list[socket.socket] = []
        port = 0
        try:
            for address in addresses:
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                socks.append(sock)
                sock.bind((address, port))
                sock.listen(64)
                port = sock.getsockname()[1]
            return socks, port
        except OSError:
            for sock in socks:
                sock.close()
    raise OSError("no free port shared by " + ", ".join(addresses))


def _accept_loop(listener: socket.socket, host_key: paramiko.PKey, authorized: str) -> None:
    while True:
        conn, _addr = listener.accept()
        threading.Thread(
            target=_serve_connection, args=(conn, host_key, authorized), daemon=True
        ).start()


def main(argv: list[str]) -> None:
    addresses = argv[0].split(",")
    with open(argv[1]) as pub:
        authorized = pub.read().split()[1]
    host_key = paramiko.ECDSAKey.generate()
    socks, port = _listen(addresses)
    for sock in socks[1:]:
        threading.Thread(
            target=_accept_loop, args=(sock, host_key, authorized), daemon=True
        ).start()
    print(f"PORT {port}", flush=True)
    _accept_loop(socks[0], host_key, authorized)


class HostileServer:
    """The hostile server as a child process of the test session.

    :param addresses: loopback addresses to listen on (one port for all).
    :param authorized_pub: path of the public key clients log in with.
    """

    def __init__(self, addresses: list[str], authorized_pub: str) -> None:
        self.hosts = list(addresses)
        here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env = dict(os.environ, PYTHONPATH=here + os.pathsep + os.environ.get("PYTHONPATH", ""))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "embedded_server.hostile_sftp", ",".join(addresses),
             authorized_pub],
            stdout=subprocess.PIPE, env=env, text=True,
        )  # fmt: skip
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError(f"hostile SFTP server did not start: {line!r}")
        self.port = int(line.split()[1])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=START_TIMEOUT)
        if self.proc.stdout:
            self.proc.stdout.close()


if __name__ == "__main__":
    main(sys.argv[1:])
