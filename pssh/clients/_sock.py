"""Opening the TCP connection to a host, for every backend.

Names are resolved with gevent's resolver (IP literals skip it), and each
address a name resolves to (IPv6 and IPv4 alike) is tried in turn until one
accepts, so a host with a dead first address still connects.
"""

from __future__ import annotations

import ipaddress
import socket as _stdsocket

from gevent import socket

from ..exceptions import UnknownHostException
from ._failures import Failure, exception_for


def resolve(host: str, port: int, ipv6_only: bool = False) -> list[tuple[int, tuple]]:
    """Addresses to try for ``host``: ``[(family, sockaddr), ...]``.

    :param ipv6_only: Only IPv6 addresses (parallel-ssh 2.x ``ipv6_only``):
      an IPv4 address, or a name with no IPv6 address, fails as unknown.

    :raises: :py:class:`pssh.exceptions.UnknownHostException` when the name
      does not resolve, with the 1.8.0 ``args`` ``(message, host, cause)``
      (the client appends the attempt counts).
    """
    literal = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        addr = ipaddress.ip_address(literal.split("%", 1)[0])
    except ValueError:
        pass
    else:
        if addr.version == 4:
            if ipv6_only:
                raise exception_for(
                    Failure.UNKNOWN_NAME, host, "an IPv4 address, and ipv6_only is set"
                )
            return [(socket.AF_INET, (literal, port))]
        if "%" not in literal:
            return [(socket.AF_INET6, (literal, port, 0, 0))]
    try:
        family = socket.AF_INET6 if ipv6_only else socket.AF_UNSPEC
        infos = socket.getaddrinfo(literal, port, family, socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise exception_for(Failure.UNKNOWN_NAME, host, str(exc)) from exc
    seen: list[tuple[int, tuple]] = []
    for family, _type, _proto, _name, sockaddr in infos:
        if (family, sockaddr) not in seen:
            seen.append((family, sockaddr))
    return seen


def open_socket(
    host: str,
    port: int,
    timeout: float | None = None,
    name: str | None = None,
    ipv6_only: bool = False,
) -> socket.socket:
    """A connected, non-blocking gevent socket to ``host:port``.

    :param name: The host as the user named it, when ``host`` is another
      name for it or a proxy: errors name it (``host`` is in the cause).
    :raises: :py:class:`pssh.exceptions.UnknownHostException`,
      :py:class:`pssh.exceptions.ConnectionErrorException` (refused,
      unreachable) or :py:class:`pssh.exceptions.Timeout` (no answer within
      ``timeout`` seconds), each naming the host, with the 1.8.0 ``args``
      ``(message, host, port, cause)``.
    :param ipv6_only: Connect to IPv6 addresses only (see :func:`resolve`).
    """
    errors = []
    timed_out = False
    name = name or host
    try:
        addresses = resolve(host, port, ipv6_only) if ipv6_only else resolve(host, port)
    except UnknownHostException as exc:
        if name == host:
            raise
        cause = "%s (HostName %s)" % (exc.args[-1], host)
        raise exception_for(Failure.UNKNOWN_NAME, name, cause) from exc
    for family, sockaddr in addresses:
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(sockaddr)
        except (_stdsocket.timeout, TimeoutError) as exc:
            sock.close()
            timed_out = True
            errors.append("%s: %s" % (sockaddr[0], exc or "timed out"))
            continue
        except OSError as exc:
            sock.close()
            errors.append("%s: %s" % (sockaddr[0], exc.strerror or exc))
            continue
        sock.settimeout(None)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock
    detail = "; ".join(errors)
    if timed_out and len(errors) == 1:
        cause = "no answer within %s seconds (%s)" % (timeout, detail)
        raise exception_for(Failure.UNREACHABLE, name, cause, port=port)
    raise exception_for(Failure.REFUSED, name, detail, port=port)
