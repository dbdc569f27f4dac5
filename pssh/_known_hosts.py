"""Host key verification against OpenSSH ``known_hosts`` files (pure logic).

Nothing here knows about ssh2 or paramiko: a host key is the raw public key
*blob* (the bytes that the base64 field of a known_hosts line decodes to).

API
---
- :func:`fingerprint_sha256`, :func:`key_type_of`, :func:`key_label`: key facts
  as ``ssh`` shows them (``SHA256:...``, ``ssh-ed25519``, ``ED25519``).
- :class:`KnownHosts` loads files once (missing ones are fine);
  :meth:`~KnownHosts.check` returns a :class:`CheckResult` (a :class:`Verdict`
  plus the relevant lines); :meth:`~KnownHosts.add` appends an entry safely;
  :meth:`~KnownHosts.known_key_types` lists the recorded key types so a
  caller can prefer them during key exchange, as ``ssh`` does.
- :func:`parse_policy` / :class:`HostKeyPolicy`; :func:`verify` applies a
  policy, records new keys under ``accept-new`` and raises the host key
  errors of :mod:`pssh.exceptions`.

Decisions (checked against OpenSSH 9.2 ``ssh``/``ssh-keygen`` in the tests)
---------------------------------------------------------------------------
- Lookup name: ``host`` for port 22 (or ``None``/0), else ``[host]:port``,
  lower-cased. Plain name lists match case-insensitively with ``*``, ``?``
  and ``!`` (a negated match excludes the line); a hashed ``|1|salt|hash``
  field is a single HMAC-SHA1 name. Lines with a bad marker, hash, type or
  blob are skipped, as ssh skips them; the text type must match the blob.
- A host with recorded keys none of which equals the presented key is a
  **mismatch**, even when those keys are of other types: ``ssh`` reports
  "REMOTE HOST IDENTIFICATION HAS CHANGED" then (it avoids the case by
  preferring recorded types in key exchange; see ``known_key_types``).
- A matching ``@revoked`` line holding the presented key makes it **revoked**,
  which wins over everything. ``@cert-authority`` lines are parsed, never used.
- Off port 22, a host with no line for ``[host]:port`` is looked up under plain
  ``host`` too, as ssh does ("found matching key w/out port"): the key found
  there is ok (nothing is recorded), a key revoked there is revoked (stricter
  than ssh, which only warns), anything else leaves the host unknown. With
  ssh's ``HostKeyAlias``, pass the alias as ``host`` and ``port=None``.
- Optional ``ip`` (ssh's CheckHostIP): a revoked or changed key under either
  name fails; otherwise the host name decides; names with no record are in
  :attr:`CheckResult.unknown_names` and ``accept-new`` records them.
- ``strict`` fails unknown keys; ``accept-new`` records them into
  ``write_path`` (a failed write only logs a warning: ssh only warns too);
  both fail changed and revoked keys. ``off`` reads nothing and accepts
  everything (ssh's ``no`` also proceeds for changed and revoked keys, in a
  degraded mode that has no equivalent here).
"""

from __future__ import annotations

import base64
import binascii
import enum
import fcntl
import functools
import hashlib
import hmac
import logging
import os
import re
import string
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Optional, Union

from .exceptions import HostKeyMismatchError, RevokedHostKeyError, UnknownHostKeyError

logger = logging.getLogger(__name__)

DEFAULT_KNOWN_HOSTS = ("~/.ssh/known_hosts", "/etc/ssh/ssh_known_hosts")
_LABELS = {
    "ssh-rsa": "RSA",
    "ssh-dss": "DSA",
    "ssh-ed25519": "ED25519",
    "sk-ssh-ed25519@openssh.com": "ED25519-SK",
    "sk-ecdsa-sha2-nistp256@openssh.com": "ECDSA-SK",
}
# Number of fields after the type name for plain key types.
_SHAPES = {"ssh-rsa": 2, "ssh-dss": 4, "ssh-ed25519": 1, "sk-ssh-ed25519@openssh.com": 2}
_EC_POINT_LEN = {"nistp256": 65, "nistp384": 97, "nistp521": 133}
_UNSAFE_NAME = re.compile(r"[\s\x00-\x1f\x7f,*?!\[\]#|@\\\"']")
_SEP = re.compile(r"[ \t]+")


# --- key blobs ---------------------------------------------------------------


def _fields(blob: bytes, limit: int = -1) -> list[bytes]:
    out: list[bytes] = []
    off = 0
    while off < len(blob) and limit != len(out):
        size = int.from_bytes(blob[off : off + 4], "big")
        if off + 4 + size > len(blob):
            raise ValueError("truncated key blob")
        out.append(blob[off + 4 : off + 4 + size])
        off += 4 + size
    return out


def key_type_of(key_blob: bytes) -> str:
    """The SSH wire key type named at the start of a public key blob.

    :param key_blob: Public key blob, e.g. ``ssh-ed25519`` then the key.
    :type key_blob: bytes
    :raises ValueError: If the blob does not start with a printable name.
    :rtype: str
    """
    name = (_fields(bytes(key_blob), 1) or [b""])[0]
    if not name or not all(0x21 <= c < 0x7F for c in name):
        raise ValueError("key blob does not start with a key type name")
    return name.decode("ascii")


def _normalize_type(key_type: str) -> str:
    # RSA signature algorithm names name the ssh-rsa key type.
    for alg in ("rsa-sha2-256", "rsa-sha2-512"):
        if key_type.startswith(alg):
            return "ssh-rsa" + key_type[len(alg) :]
    return key_type


def _key_identity(key_blob: bytes) -> tuple[bytes, ...]:
    """Validate a blob; return what identifies its key (like ssh's sshkey_equal)."""
    blob = bytes(key_blob)
    ktype = key_type_of(blob)
    fields = _fields(blob)[1:]
    curve = ktype.rsplit("-", 1)[-1].split("@")[0]
    bad = ValueError(f"malformed {ktype} key blob")
    if "-cert-v01@" in ktype:
        return (b"", blob)
    if ktype in _SHAPES:
        if len(fields) != _SHAPES[ktype]:
            raise bad
        if "ed25519" in ktype:
            if len(fields[0]) != 32:
                raise bad
            return (ktype.encode(), *fields)
        if any(f[:1] >= b"\x80" for f in fields):
            raise bad  # negative mpint
        return (ktype.encode(), *(f.lstrip(b"\0") for f in fields))
    if ktype.startswith(("ecdsa-sha2-", "sk-ecdsa-sha2-")) and curve in _EC_POINT_LEN:
        want = 3 if ktype.startswith("sk-") else 2
        if len(fields) != want or fields[0] != curve.encode():
            raise bad
        if len(fields[1]) != _EC_POINT_LEN[curve] or fields[1][:1] != b"\x04":
            raise bad
        return (ktype.encode(), *fields)
    return (b"", blob)


def _plain_blob(blob: bytes) -> bytes:
    """The plain key inside a certificate blob (other blobs are returned as they are)."""
    ktype = key_type_of(blob)
    if not ktype.endswith("-cert-v01@openssh.com"):
        return blob
    base = ktype.replace("-cert-v01@openssh.com", "")
    base = base if base.startswith("sk-") else base.replace("@openssh.com", "")
    count = _SHAPES.get(base, 3 if base.startswith("sk-ecdsa") else 2)
    fields = _fields(blob, 2 + count)[2:]  # after the type and the nonce
    return b"".join(len(f).to_bytes(4, "big") + f for f in [base.encode(), *fields])


def fingerprint_sha256(key_blob: bytes) -> str:
    """The key's fingerprint exactly as ``ssh`` prints it: ``SHA256:<base64>``.

    For a certificate it is the fingerprint of the certified key, as in ssh.

    :param key_blob: Public key blob.
    :type key_blob: bytes
    :rtype: str
    """
    digest = hashlib.sha256(_plain_blob(bytes(key_blob))).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def key_label(key_type: str) -> str:
    """The short name ``ssh`` uses in messages, e.g. ``ED25519``, ``ECDSA``, ``RSA``.

    :param key_type: Wire key type such as ``ssh-ed25519``.
    :type key_type: str
    :rtype: str
    """
    cert = "-CERT" if "-cert-v01@openssh.com" in key_type else ""
    base = key_type.replace("-cert-v01@openssh.com", "")
    if cert and not base.startswith("sk-"):
        base = base.replace("@openssh.com", "")
    if base.startswith("ecdsa-sha2-"):
        return "ECDSA" + cert
    return _LABELS.get(base, base) + cert


# --- names and patterns ------------------------------------------------------


_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def ascii_lower(text: str) -> str:
    """Lower-case ASCII letters only, as OpenSSH's ``lowercase()`` does.

    :rtype: str
    """
    return text.translate(_ASCII_LOWER)


@functools.lru_cache(maxsize=1024)
def _pattern_regex(pattern: str) -> re.Pattern[str]:
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile("".join(parts), re.DOTALL)


def match_pattern(name: str, pattern: str) -> bool:
    """OpenSSH wildcard match, case-sensitive: ``*`` is any run of characters,
    ``?`` exactly one, everything else (``[`` included) is literal.

    :rtype: bool
    """
    return _pattern_regex(pattern).fullmatch(name) is not None


def match_pattern_list(name: str, patterns: str, ignore_case: bool = False) -> int:
    """Match ``name`` against a comma-separated pattern list with ``!`` negation.

    :returns: ``1`` for a positive match, ``-1`` if a negated pattern matched
        (which wins), ``0`` if nothing matched, as OpenSSH's function does.
    :rtype: int
    """
    if ignore_case:
        name, patterns = ascii_lower(name), ascii_lower(patterns)
    found = 0
    for pattern in patterns.split(","):
        negated = pattern.startswith("!")
        if match_pattern(name, pattern[1:] if negated else pattern):
            if negated:
                return -1
            found = 1
    return found


def known_hosts_name(host: str, port: Optional[int] = None) -> str:
    """The name a host is recorded under: ``host`` or ``[host]:port``, lower-cased.

    :rtype: str
    """
    host = ascii_lower(host)
    return host if port in (None, 0, 22) else f"[{host}]:{port}"


def hash_hostname(name: str, salt: Optional[bytes] = None) -> str:
    """Hash a known_hosts name as ``ssh-keygen -H`` does: ``|1|salt|hmac-sha1``.

    :param salt: 20 bytes; random if not given.
    :rtype: str
    """
    salt = os.urandom(20) if salt is None else salt
    digest = hmac.digest(salt, name.encode("utf-8", "surrogateescape"), "sha1")
    return f"|1|{base64.b64encode(salt).decode()}|{base64.b64encode(digest).decode()}"


def _hashed_salt(names: str) -> Optional[bytes]:
    parts = names.split("|")
    if len(parts) != 4 or parts[:2] != ["", "1"]:
        return None
    try:
        salt = base64.b64decode(parts[2], validate=True)
    except (binascii.Error, ValueError):
        return None
    return salt if len(salt) == 20 else None


# --- entries -----------------------------------------------------------------


class Verdict(str, enum.Enum):
    """What the known hosts say about a presented key."""

    OK = "ok"
    UNKNOWN = "unknown"
    MISMATCH = "mismatch"
    REVOKED = "revoked"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class KnownHostEntry:
    """One parsed line. ``lineno`` is 1-based, 0 for entries added in memory;
    ``marker`` is ``None``, ``"revoked"`` or ``"cert-authority"``."""

    path: Optional[str]
    lineno: int
    marker: Optional[str]
    names: str
    key_type: str
    key_blob: bytes
    ident: tuple[bytes, ...] = field(default=(), repr=False, compare=False)

    @property
    def fingerprint(self) -> str:
        return fingerprint_sha256(self.key_blob)

    @property
    def location(self) -> str:
        """``path:lineno`` as ssh prints it."""
        return f"{self.path}:{self.lineno}" if self.lineno else str(self.path or "<memory>")


@dataclass(frozen=True)
class CheckResult:
    """What :meth:`KnownHosts.check` found for a presented key.

    ``entries``: for ``ok`` the matching line, for ``mismatch`` every recorded
    key of the host (any type), for ``revoked`` the revoking lines.
    ``name`` is the host's known_hosts name (``[host]:port`` off port 22).
    """

    verdict: Verdict
    name: str
    key_type: str
    fingerprint: str
    entries: tuple[KnownHostEntry, ...] = ()
    unknown_names: tuple[str, ...] = ()


def parse_line(line: str, path: Optional[str] = None, lineno: int = 0) -> Optional[KnownHostEntry]:
    """Parse one known_hosts line; ``None`` for comments, blanks and bad lines.

    :rtype: KnownHostEntry or None
    """
    rest = line.lstrip(" \t").rstrip(" \t\r\n")
    marker = None
    if rest.startswith("@"):
        tag, *tail = _SEP.split(rest, maxsplit=1)
        if tag not in ("@revoked", "@cert-authority") or not tail:
            return None
        marker, rest = tag[1:], tail[0]
    parts = _SEP.split(rest, maxsplit=3)
    if len(parts) < 3 or parts[0][:1] in ("", "#", "@") or parts[1].startswith("#"):
        return None
    names, text_type, b64 = parts[:3]
    if names.startswith("|") and _hashed_salt(names) is None:
        return None
    try:
        blob = base64.b64decode(b64, validate=True)
        ident = _key_identity(blob)
        ktype = key_type_of(blob)
    except (binascii.Error, ValueError):
        return None
    if _normalize_type(text_type) != ktype:
        return None
    return KnownHostEntry(path, lineno, marker, names, ktype, blob, ident)


class KnownHosts:
    """The keys recorded in some known_hosts files, read once at construction.

    Missing files are skipped, unreadable ones too (with a warning). One object
    may serve many connections: :func:`verify` checks and records under
    :attr:`lock`, so a host is recorded once per process.

    :param paths: File or files, ``~`` expanded; default :data:`DEFAULT_KNOWN_HOSTS`.
    :type paths: str or list(str)
    """

    def __init__(self, paths: Union[str, Sequence[str], None] = None) -> None:
        paths = DEFAULT_KNOWN_HOSTS if paths is None else paths
        self.paths = [os.path.expanduser(p) for p in ([paths] if isinstance(paths, str) else paths)]
        self.lock = threading.RLock()
        self.entries: list[KnownHostEntry] = []
        self._plain: dict[str, list[int]] = {}  # name -> entries listing it literally
        self._other: dict[int, Optional[bytes]] = {}  # wildcard/hashed entries -> salt
        # name -> the wildcard/hashed entries matching it: each hashed entry
        # costs an HMAC per name, and a connection looks its name up 2-3 times
        self._other_matches: dict[str, list[int]] = {}
        for path in self.paths:
            self._load(path)

    def _load(self, path: str) -> None:
        try:
            with open(path, "rb") as fh:
                text = fh.read().decode("utf-8", "surrogateescape")
        except (FileNotFoundError, NotADirectoryError):
            return
        except OSError as exc:
            logger.warning("Cannot read known hosts file %s: %s", path, exc)
            return
        for lineno, line in enumerate(text.split("\n"), 1):
            entry = parse_line(line, path, lineno)
            if entry is not None:
                self._index(entry)
            elif line.strip(" \t\r") and not line.lstrip(" \t").startswith("#"):
                logger.debug("%s:%d: skipping unparsable known_hosts line", path, lineno)

    def _index(self, entry: KnownHostEntry) -> None:
        idx = len(self.entries)
        self.entries.append(entry)
        if entry.names.startswith("|"):
            self._other[idx] = _hashed_salt(entry.names)
            self._other_matches.clear()
        elif any(c in entry.names for c in "*?!"):
            self._other[idx] = None
            self._other_matches.clear()
        else:
            for name in set(ascii_lower(entry.names).split(",")):
                self._plain.setdefault(name, []).append(idx)

    def _matches(self, idx: int, name: str) -> bool:
        names, salt = self.entries[idx].names, self._other[idx]
        if salt is not None:
            return hmac.compare_digest(hash_hostname(name, salt), names)
        return match_pattern_list(name, names, ignore_case=True) == 1

    def lookup(self, host: str, port: Optional[int] = None) -> list[KnownHostEntry]:
        """Every line (any marker) whose names match ``host``/``port``, in file order.

        :rtype: list(KnownHostEntry)
        """
        name = known_hosts_name(host, port)
        with self.lock:
            found = set(self._plain.get(name, ()))
            others = self._other_matches.get(name)
            if others is None:
                others = [i for i in list(self._other) if self._matches(i, name)]
                self._other_matches[name] = others
            found.update(others)
            return [self.entries[i] for i in sorted(found)]

    def known_key_types(self, host: str, port: Optional[int] = None) -> list[str]:
        """Distinct key types recorded for the host (no markers), in file order.

        :rtype: list(str)
        """
        return list(dict.fromkeys(e.key_type for e in self.lookup(host, port) if not e.marker))

    def _check_name(self, host: str, port: Optional[int], ident: tuple) -> CheckResult:
        entries = self.lookup(host, port)
        name = known_hosts_name(host, port)
        plain = tuple(e for e in entries if e.marker is None)
        revoked = tuple(e for e in entries if e.marker == "revoked" and e.ident == ident)
        same = tuple(e for e in plain if e.ident == ident)[:1]
        if revoked or same or plain:
            verdict = Verdict.REVOKED if revoked else Verdict.OK if same else Verdict.MISMATCH
            return CheckResult(verdict, name, "", "", revoked or same or plain)
        if port not in (None, 0, 22):  # ssh: "found matching key w/out port"
            without = self._check_name(host, None, ident)
            if without.verdict in (Verdict.OK, Verdict.REVOKED):
                return CheckResult(without.verdict, name, "", "", without.entries)
        return CheckResult(Verdict.UNKNOWN, name, "", "", (), (name,))

    def check(
        self,
        host: str,
        port: Optional[int],
        key_type: Optional[str],
        key_blob: bytes,
        ip: Optional[str] = None,
    ) -> CheckResult:
        """Look the presented key up for ``host`` (and, optionally, its ``ip``).

        :param key_type: The key's wire type, or ``None`` to take it from the
            blob; ``rsa-sha2-256``/``-512`` are accepted for ``ssh-rsa`` keys.
        :raises ValueError: If the blob is malformed or not of ``key_type``.
        :rtype: CheckResult
        """
        ktype = _check_type(key_type, key_blob)
        ident = _key_identity(key_blob)
        results = [self._check_name(host, port, ident)]
        if ip and ascii_lower(ip) != ascii_lower(host):
            results.append(self._check_name(ip, port, ident))
        verdict = results[0].verdict
        for worst in (Verdict.MISMATCH, Verdict.REVOKED):
            if any(r.verdict is worst for r in results):
                verdict = worst
        entries = tuple(e for r in results if r.verdict is verdict for e in r.entries)
        unknown = tuple(n for r in results for n in r.unknown_names)
        fp = fingerprint_sha256(key_blob)
        return CheckResult(verdict, results[0].name, ktype, fp, entries, unknown)

    def add(
        self,
        host: str,
        port: Optional[int],
        key_type: Optional[str],
        key_blob: bytes,
        path: Optional[str],
        hash_name: bool = False,
        ip: Optional[str] = None,
    ) -> list[KnownHostEntry]:
        """Record a key for ``host`` (and ``ip``): in memory, then appended to ``path``.

        The line(s) are written with one ``write`` under an exclusive ``flock``
        of the file, preceded by ``\\n`` if the file does not end with one, then
        ``fsync``-ed; a missing directory is created ``0700``, the file ``0600``.
        ``hash_name`` writes one hashed line per name; ``path=None`` only
        updates memory.

        :raises ValueError: For a name that cannot be recorded safely (space,
            comma, wildcard, bracket, control character...) or a bad blob.
        :raises OSError: If the file cannot be written (memory is updated).
        :rtype: list(KnownHostEntry)
        """
        ktype = _check_type(key_type, key_blob)
        hosts = [host] + ([ip] if ip and ascii_lower(ip) != ascii_lower(host) else [])
        for name in hosts:
            if not name or _UNSAFE_NAME.search(name):
                raise ValueError(f"refusing to record unsafe host name {name!r}")
        names = [known_hosts_name(h, port) for h in hosts]
        fields = [hash_hostname(n) for n in names] if hash_name else [",".join(names)]
        blob = bytes(key_blob)
        new = [KnownHostEntry(path, 0, None, f, ktype, blob, _key_identity(blob)) for f in fields]
        with self.lock:
            for entry in new:
                self._index(entry)
        if path is not None:
            b64 = base64.b64encode(blob).decode("ascii")
            _append(path, "".join(f"{f} {ktype} {b64}\n" for f in fields).encode())
        return new


def _check_type(key_type: Optional[str], key_blob: bytes) -> str:
    ktype = key_type_of(key_blob)
    if key_type is not None and _normalize_type(key_type) != ktype:
        raise ValueError(f"key type {key_type!r} does not match the {ktype} key blob")
    return ktype


def _append(path: str, data: bytes) -> None:
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        os.makedirs(parent, mode=0o700, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            data = b"\n" + data
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)  # releases the lock


# --- policy ------------------------------------------------------------------


class HostKeyPolicy(str, enum.Enum):
    """``strict``, ``accept-new`` (the default) or ``off``."""

    STRICT = "strict"
    ACCEPT_NEW = "accept-new"
    OFF = "off"

    def __str__(self) -> str:
        return self.value


_POLICY_WORDS = {
    **dict.fromkeys(("strict", "yes", "ask", "true"), HostKeyPolicy.STRICT),
    **dict.fromkeys(("off", "no", "false"), HostKeyPolicy.OFF),
    "accept-new": HostKeyPolicy.ACCEPT_NEW,
}


def parse_policy(value: Union[str, bool, HostKeyPolicy]) -> HostKeyPolicy:
    """Normalise a policy: ours, OpenSSH's ``StrictHostKeyChecking`` words
    (``yes``/``ask``/``true`` are strict, ``no``/``off``/``false`` off,
    ``accept-new``; any case) or a bool (``True`` is strict).

    :raises ValueError: For anything else.
    :rtype: HostKeyPolicy
    """
    if isinstance(value, bool):
        return HostKeyPolicy.STRICT if value else HostKeyPolicy.OFF
    if isinstance(value, str) and value.strip().lower() in _POLICY_WORDS:
        return _POLICY_WORDS[value.strip().lower()]
    raise ValueError(f"host_key_policy must be 'strict', 'accept-new' or 'off', got {value!r}")


def verify(
    known_hosts: KnownHosts,
    policy: Union[str, bool, HostKeyPolicy],
    host: str,
    port: Optional[int],
    key_type: Optional[str],
    key_blob: bytes,
    write_path: Optional[str] = None,
    *,
    hash_name: bool = False,
    ip: Optional[str] = None,
) -> Optional[Verdict]:
    """Apply ``policy`` to the key ``host`` presented; raise if it must be refused.

    Under ``accept-new`` an unknown key is recorded with :meth:`KnownHosts.add`
    into ``write_path`` (memory only if ``None``). The exceptions carry
    ``host=host`` and the 1.8.0 ``args`` layout: a ``%`` format string, then
    the known_hosts name, key label, presented fingerprint and details.

    :returns: The accepted verdict (``ok``, or ``unknown`` when recorded), or
        ``None`` under ``off``, which checks nothing.
    :raises pssh.exceptions.RevokedHostKeyError: The key is marked ``@revoked``.
    :raises pssh.exceptions.HostKeyMismatchError: The host is known with other key(s).
    :raises pssh.exceptions.UnknownHostKeyError: Unknown key under ``strict``.
    :rtype: Verdict or None
    """
    policy = parse_policy(policy)
    if policy is HostKeyPolicy.OFF:
        return None
    with known_hosts.lock:
        res = known_hosts.check(host, port, key_type, key_blob, ip=ip)
        label = key_label(res.key_type)
        if res.verdict is Verdict.REVOKED:
            where = ", ".join(e.location for e in res.entries)
            raise RevokedHostKeyError(
                "Host key verification failed for %s: the %s host key %s is marked as revoked "
                "in %s. This could mean that a stolen key is being used to impersonate this "
                "host; refusing to connect.",
                res.name, label, res.fingerprint, where, host=host,
            )  # fmt: skip
        if res.verdict is Verdict.MISMATCH:
            recorded = "; ".join(
                f"{key_label(e.key_type)} key {e.fingerprint} in {e.location}" for e in res.entries
            )
            files = dict.fromkeys(e.path for e in res.entries if e.path)
            fix = " or ".join(f'ssh-keygen -f "{f}" -R "{res.name}"' for f in files)
            raise HostKeyMismatchError(
                "Host key verification failed for %s: REMOTE HOST IDENTIFICATION HAS CHANGED. "
                "The %s key sent by the remote host is %s; recorded: %s. Someone could be "
                "eavesdropping on you (man-in-the-middle attack), or the host key has just "
                "been changed. If the change is expected, remove the offending line(s), e.g. "
                "with %s, and connect again.",
                res.name, label, res.fingerprint, recorded, fix or "a new KnownHosts", host=host,
            )  # fmt: skip
        if res.verdict is Verdict.UNKNOWN and policy is HostKeyPolicy.STRICT:
            raise UnknownHostKeyError(
                "No host key is known for %s and host_key_policy is strict. The %s key sent "
                "by the remote host is %s. Verify it out of band and add it to %s (e.g. from "
                "ssh-keyscan), or use host_key_policy='accept-new'.",
                res.name, label, res.fingerprint, write_path or " or ".join(known_hosts.paths),
                host=host,
            )  # fmt: skip
        if res.unknown_names and policy is HostKeyPolicy.ACCEPT_NEW:
            new_host = res.verdict is Verdict.UNKNOWN
            first = host if new_host else str(ip)
            also = ip if new_host and len(res.unknown_names) > 1 else None
            names = ", ".join(res.unknown_names)
            try:
                known_hosts.add(first, port, res.key_type, key_blob, write_path, hash_name, also)
                logger.info("Permanently added %s (%s) to %s", names, label, write_path)
            except OSError as exc:
                logger.warning("Failed to add the host key of %s to %s: %s", names, write_path, exc)
    return res.verdict
