"""Private keys given in memory: naming them without showing them, and
handing a paramiko key object to the native (libssh2) client.

A key given as its contents (``str`` or ``bytes``) or as a paramiko key object
must never appear in a message, ``repr`` or log line: it is named by the
SHA-256 fingerprint of its public half, as ``ssh-keygen -l`` shows it
(``SHA256:...``), or as ``key given in memory`` when that cannot be read
without a passphrase. Paths are shown as they are - unless the "path" is in
fact key text, which :func:`looks_like_key_text` tells.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
import sys
from typing import Any

IN_MEMORY = "key given in memory"
"""How a key given in memory is named when its fingerprint cannot be read."""

_BEGIN = re.compile(r"-----BEGIN ([A-Z0-9 ]*?) ?PRIVATE KEY-----")
_OPENSSH_BODY = re.compile(
    r"-----BEGIN OPENSSH PRIVATE KEY-----(.*?)-----END OPENSSH PRIVATE KEY-----", re.DOTALL
)
_OPENSSH_MAGIC = b"openssh-key-v1\x00"


def looks_like_key_text(value: str | bytes) -> bool:
    """Whether ``value``, given where a key file path was expected, is the
    text of a key (or anything else that is no path and must not be shown:
    a path has no line breaks and no PEM armour)."""
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    return "-----BEGIN" in text or "PRIVATE KEY" in text or "\n" in text or "\r" in text


def _paramiko_key_class() -> Any:
    # Only an already imported paramiko can have made a key object: the
    # native client does not import paramiko for this check.
    paramiko = sys.modules.get("paramiko")
    return getattr(paramiko, "PKey", None) if paramiko is not None else None


def is_paramiko_key(value: Any) -> bool:
    """Whether ``value`` is a :py:class:`paramiko.pkey.PKey`."""
    cls = _paramiko_key_class()
    return cls is not None and isinstance(value, cls)


def _sha256(blob: bytes) -> str:
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode("ascii")
    return "SHA256:" + digest.rstrip("=")


def _read_string(data: bytes, offset: int) -> tuple[bytes, int]:
    (length,) = struct.unpack(">I", data[offset : offset + 4])
    start = offset + 4
    if start + length > len(data):
        raise ValueError("truncated key data")
    return data[start : start + length], start + length


def openssh_key_header(text: str) -> tuple[bytes, bytes] | None:
    """The cipher name and the public key blob of an ``OPENSSH PRIVATE KEY``
    text (both stored unencrypted), or ``None`` when ``text`` holds none."""
    body = _OPENSSH_BODY.search(text)
    if body is None:
        return None
    try:
        blob = base64.b64decode("".join(body.group(1).split()), validate=True)
        if not blob.startswith(_OPENSSH_MAGIC):
            return None
        cipher, offset = _read_string(blob, len(_OPENSSH_MAGIC))
        for _ in range(2):  # kdf, kdf options
            _skipped, offset = _read_string(blob, offset)
        public, _ = _read_string(blob, offset + 4)  # after the number of keys
        return cipher, public
    except (binascii.Error, ValueError, struct.error):
        return None


def openssh_key_type(public_blob: bytes) -> str:
    """The key type name (``ssh-ed25519``...) a public key blob starts with.

    :raises ValueError: for a blob too short or not ASCII.
    """
    try:
        return _read_string(public_blob, 0)[0].decode("ascii")
    except (struct.error, UnicodeDecodeError) as exc:
        raise ValueError("not a public key blob") from exc


def _openssh_public_blob(text: str) -> bytes | None:
    header = openssh_key_header(text)
    return None if header is None else header[1]


def _pem_public_blob(data: bytes) -> bytes | None:
    # PEM (PKCS#1, SEC1, PKCS#8) keys: only unencrypted ones can be read
    try:
        from cryptography.hazmat.primitives import serialization

        key = serialization.load_pem_private_key(data, password=None)
        line = key.public_key().public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
        )
        return base64.b64decode(line.split()[1])
    except Exception:  # encrypted, corrupt or not a key: no fingerprint
        return None


def fingerprint(key: Any) -> str | None:
    """``SHA256:...`` of a key given as contents (``str``/``bytes``) or as a
    paramiko key object; ``None`` when it cannot be read (encrypted PEM,
    garbage)."""
    if is_paramiko_key(key):
        try:
            return _sha256(key.asbytes())
        except Exception:
            return None
    if isinstance(key, (bytes, bytearray)):
        data = bytes(key)
        text = data.decode("latin-1")
    elif isinstance(key, str):
        text = key
        data = key.encode("utf-8", "replace")
    else:
        return None
    blob = _openssh_public_blob(text)
    if blob is None and _BEGIN.search(text):
        blob = _pem_public_blob(data)
    return _sha256(blob) if blob else None


def key_name(key: Any) -> str:
    """A name for a key fit for messages and logs: its path, or
    ``key SHA256:... given in memory`` / :data:`IN_MEMORY` for a key given as
    contents or as an object."""
    if isinstance(key, str) and not looks_like_key_text(key):
        return key
    found = fingerprint(key)
    return "key %s given in memory" % found if found else IN_MEMORY


def to_openssh_pem(key: Any) -> bytes:
    """The private key of a paramiko key object as an unencrypted OpenSSH
    ``PRIVATE KEY`` text, made in memory (never written to a file) for
    libssh2's ``userauth_publickey_frommemory``.

    :raises: :py:class:`TypeError` for a key without its private half (an
      agent key) or of a type that cannot be exported.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    private: Any = None
    for attribute in ("key", "signing_key"):  # RSAKey.key, ECDSAKey.signing_key
        value = getattr(key, attribute, None)
        if hasattr(value, "private_bytes"):
            private = value
            break
    if private is None:
        signing = getattr(key, "_signing_key", None)  # Ed25519Key: a nacl SigningKey
        if signing is not None:
            private = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(signing)[:32])
    if private is None:
        raise TypeError(
            "paramiko %s has no private key that can be exported (%s)"
            % (type(key).__name__, key_name(key))
        )
    return bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        )
    )
