"""Host specifications for the command line: parsing, ranges, hosts files and folding.

A host spec is ``[user@]host[:port]``. Numeric ranges in square brackets expand
textually, so they work anywhere in a spec: ``web[01-20]``, ``db[1,3,5-7]``,
``rack[1-2]-node[01-04]`` (every combination), ``10.0.0.[1-9]``, even
``alice@box:[2201-2203]``. A bracket group that holds anything but digits, commas
and dashes is left alone, so IPv6 literals such as ``[::1]:2222`` work.

Range bounds that start with a zero set the width (``[01-10]`` gives ``01`` ..
``10``); others do not (``[1-10]`` gives ``1`` .. ``10``). :func:`fold` is the
inverse: it turns a list of names back into the shortest such expression
(``web01 web02 web03 web07`` -> ``web[01-03,07]``).

Ranges and folding are :mod:`pssh.hostlist` (one implementation for the library
and the command line); this module adds what only the command line needs:
``[user@]host[:port]`` specs and hosts files. Everything here is pure logic
with no I/O except :func:`read_hosts_file`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from ..hostlist import MAX_EXPANSION, HostlistError, fold, fold_groups
from ..hostlist import expand_term as expand
from ..hostlist import split_terms as split_specs

HostSpecError = HostlistError
"""A host spec, range or hosts file line that cannot be understood."""


class HostSpec(NamedTuple):
    """One target: ``host`` with the ``user`` and ``port`` its spec named (if any).

    ``label`` is how the host is shown and written back (``[user@]host[:port]``
    with only the parts the spec gave), so a list of labels can be fed back to
    ``-h``.
    """

    host: str
    user: str | None = None
    port: int | None = None

    @property
    def label(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        text = host if self.port is None else f"{host}:{self.port}"
        return text if self.user is None else f"{self.user}@{text}"


# -- single specs ----------------------------------------------------------


def parse_spec(text: str) -> HostSpec:
    """Parse one expanded ``[user@]host[:port]`` (``[v6addr]:port`` for IPv6).

    :raises: :class:`HostSpecError` on an empty host or a bad port.
    :rtype: HostSpec
    """
    user: str | None = None
    rest = text
    if "@" in rest:
        user, _, rest = rest.rpartition("@")
        if not user:
            raise HostSpecError(f"Empty user name in {text!r}")
    port_text: str | None = None
    if rest.startswith("["):
        host, sep, after = rest[1:].partition("]")
        if not sep or (after and not after.startswith(":")):
            raise HostSpecError(f"Malformed bracketed address in {text!r}")
        port_text = after[1:] if after else None
    elif rest.count(":") == 1:
        host, _, port_text = rest.partition(":")
    else:
        host = rest  # a name, or a bare IPv6 address (no port possible)
    if not host:
        raise HostSpecError(f"No host name in {text!r}")
    port: int | None = None
    if port_text is not None:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise HostSpecError(f"Bad port {port_text!r} in {text!r}")
        port = int(port_text)
    return HostSpec(host, user, port)


def parse_specs(texts: Iterable[str]) -> list[HostSpec]:
    """Expand and parse specs, dropping exact repeats (first one kept).

    :raises: :class:`HostSpecError`
    :rtype: list[HostSpec]
    """
    seen: set[HostSpec] = set()
    result: list[HostSpec] = []
    for text in texts:
        for name in expand(text):
            spec = parse_spec(name)
            if spec not in seen:
                seen.add(spec)
                result.append(spec)
    return result


# -- hosts files -----------------------------------------------------------


def parse_hosts_lines(lines: Iterable[str], source: str = "<hosts>") -> list[str]:
    """The specs in a hosts file's lines: one ``[user@]host[:port]`` (ranges
    allowed) per line; ``#`` starts a comment; blank lines are skipped.

    :raises: :class:`HostSpecError` naming ``source`` and the line number.
    :rtype: list[str]
    """
    specs: list[str] = []
    for number, raw in enumerate(lines, 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        fields = line.split()
        if len(fields) != 1:
            raise HostSpecError(
                f"{source}:{number}: expected one [user@]host[:port] per line, got {line!r}"
            )
        try:
            for name in expand(fields[0]):
                parse_spec(name)
        except HostSpecError as exc:
            raise HostSpecError(f"{source}:{number}: {exc}") from None
        specs.append(fields[0])
    return specs


def read_hosts_file(path: str) -> list[str]:
    """The specs in hosts file ``path`` (``-`` reads standard input).

    :raises: :class:`HostSpecError` on a bad line; :class:`OSError` when the
      file cannot be read.
    :rtype: list[str]
    """
    if path == "-":
        import sys

        return parse_hosts_lines(sys.stdin, "<stdin>")
    with open(path, encoding="utf-8") as fh:
        return parse_hosts_lines(fh, path)


__all__ = [
    "MAX_EXPANSION",
    "HostSpec",
    "HostSpecError",
    "expand",
    "fold",
    "fold_groups",
    "parse_hosts_lines",
    "parse_spec",
    "parse_specs",
    "read_hosts_file",
    "split_specs",
]
