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

Everything here is pure logic with no I/O except :func:`read_hosts_file`.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from typing import NamedTuple

MAX_EXPANSION = 100_000
"""Most hosts one spec may expand to (a guard against a mistyped range)."""

_RANGE_BODY = re.compile(r"^[0-9]+(?:-[0-9]+)?(?:,[0-9]+(?:-[0-9]+)?)*$")
_BRACKET = re.compile(r"\[([^\[\]]*)\]")
_TRAILING_NUMBER = re.compile(r"^(.*?)([0-9]+)([^0-9]*)$")


class HostSpecError(ValueError):
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


# -- ranges ----------------------------------------------------------------


def _expand_body(body: str, spec: str) -> list[str]:
    """``01-03,07`` -> ``['01', '02', '03', '07']``."""
    values: list[str] = []
    for part in body.split(","):
        lo_text, _, hi_text = part.partition("-")
        if not hi_text:
            values.append(lo_text)
            continue
        lo, hi = int(lo_text), int(hi_text)
        if lo > hi:
            raise HostSpecError(f"Range {lo_text}-{hi_text} in {spec!r} goes backwards")
        if hi - lo >= MAX_EXPANSION:
            raise HostSpecError(f"Range {lo_text}-{hi_text} in {spec!r} is too large")
        width = len(lo_text) if lo_text.startswith("0") else 0
        values.extend(str(n).zfill(width) for n in range(lo, hi + 1))
    return values


def expand(spec: str) -> list[str]:
    """All the names a spec with ranges stands for, in order.

    >>> expand("web[01-03]")
    ['web01', 'web02', 'web03']

    :raises: :class:`HostSpecError` on a malformed or oversized range.
    :rtype: list[str]
    """
    pieces: list[list[str]] = []
    pos = 0
    for match in _BRACKET.finditer(spec):
        body = match.group(1).replace(" ", "")
        if not _RANGE_BODY.match(body):
            if re.fullmatch(r"[0-9,\- ]*", body):
                raise HostSpecError(f"Malformed range [{match.group(1)}] in {spec!r}")
            continue  # an IPv6 literal or other bracketed text: keep as is
        pieces.append([spec[pos : match.start()]])
        pieces.append(_expand_body(body, spec))
        pos = match.end()
    pieces.append([spec[pos:]])
    total = 1
    for choices in pieces:
        total *= len(choices)
        if total > MAX_EXPANSION:
            raise HostSpecError(f"{spec!r} expands to more than {MAX_EXPANSION} hosts")
    return ["".join(combo) for combo in itertools.product(*pieces)]


def split_specs(text: str) -> list[str]:
    """Split an ``-H`` value into specs at whitespace and at commas outside brackets.

    >>> split_specs("web[01-02,05] db1,db2")
    ['web[01-02,05]', 'db1', 'db2']
    """
    specs: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char == "[":
            depth += 1
        elif char == "]":
            depth = max(0, depth - 1)
        if depth == 0 and (char.isspace() or char == ","):
            if current:
                specs.append("".join(current))
                current = []
            continue
        current.append(char)
    if depth:
        raise HostSpecError(f"Unclosed [ in {text!r}")
    if current:
        specs.append("".join(current))
    return specs


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


# -- folding ---------------------------------------------------------------


def _runs(numbers: list[int]) -> Iterator[tuple[int, int]]:
    numbers = sorted(set(numbers))
    start = prev = numbers[0]
    for n in numbers[1:]:
        if n != prev + 1:
            yield start, prev
            start = n
        prev = n
    yield start, prev


def _fold_group(prefix: str, suffix: str, width: int, numbers: list[int]) -> str:
    parts = []
    for lo, hi in _runs(numbers):
        lo_s, hi_s = str(lo).zfill(width), str(hi).zfill(width)
        parts.append(lo_s if lo == hi else f"{lo_s}-{hi_s}")
    if len(parts) == 1 and "-" not in parts[0]:
        return prefix + parts[0] + suffix
    return "{}[{}]{}".format(prefix, ",".join(parts), suffix)


def fold(names: Iterable[str]) -> str:
    """Fold names into range expressions, groups joined by commas, in order of
    first appearance. ``expand`` of each group gives the names back.

    >>> fold(["web01", "web02", "web03", "web07", "db1"])
    'web[01-03,07],db1'

    :rtype: str
    """
    return ",".join(fold_groups(names))


def fold_groups(names: Iterable[str]) -> list[str]:
    """Like :func:`fold`, as a list of range expressions.

    Names are grouped by the text around their last number. A number with a
    leading zero fixes its group's width; a number without one joins a padded
    group of its own length if there is one, else the unpadded group.

    :rtype: list[str]
    """
    unique = list(dict.fromkeys(names))
    padded: dict[tuple[str, str], set[int]] = {}
    for name in unique:
        match = _TRAILING_NUMBER.match(name)
        if match and "[" not in name and match.group(2).startswith("0") and len(match.group(2)) > 1:
            padded.setdefault((match.group(1), match.group(3)), set()).add(len(match.group(2)))
    groups: dict[tuple[str, str, int] | tuple[str], list[int]] = {}
    for name in unique:
        match = _TRAILING_NUMBER.match(name)
        if not match or "[" in name or "]" in name:
            groups.setdefault((name,), [])
            continue
        prefix, digits, suffix = match.groups()
        widths = padded.get((prefix, suffix), set())
        if digits.startswith("0") and len(digits) > 1:
            width = len(digits)
        else:
            width = len(digits) if len(digits) in widths else 0
        groups.setdefault((prefix, suffix, width), []).append(int(digits))
    result = []
    for key, numbers in groups.items():
        if len(key) == 1:
            result.append(key[0])
        else:
            prefix, suffix, width = key  # type: ignore[misc]
            result.append(_fold_group(prefix, suffix, width, numbers))
    return result


__all__ = [
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
