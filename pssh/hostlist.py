"""Host lists written as ranges: ``web[01-20],db[1,3,5-7]`` and back.

:func:`expand` turns a host expression into the names it stands for;
:func:`fold` turns names back into the shortest such expression, so a list of
a thousand hosts can be shown (or written to a log line) as ``web[0001-1000]``.
The ``pssh`` command line tool uses the same two functions, so a host
expression means the same in a script and on the command line.

Syntax
------

A numeric range in square brackets expands textually, anywhere in a name:
``web[01-20]`` (a bound with a leading zero sets the width), ``db[1,3,5-7]``,
``rack[1-2]-node[01-04]`` (every combination), ``10.0.0.[1-9]``,
``alice@box:[2201-2203]``. A bracket holding anything but digits, commas,
dashes and spaces is left alone, so IPv6 literals (``[::1]:2222``) pass
through.

Terms are combined left to right, as ClusterShell's node sets do:
``,`` (or white space) adds, ``!`` removes, ``&`` keeps only the hosts in
both sides, ``^`` keeps the hosts in exactly one side:
``web[01-20]!web[05-06]``, ``web[01-20]&web[10-30]``. A term ``@name`` is the
group ``name`` from the ``groups`` mapping given to :func:`expand`. Order of
first appearance is kept and repeats are dropped.

ClusterShell or our own parser
------------------------------

ClusterShell's ``NodeSet`` (pip package ``ClusterShell`` 1.10.1, LGPLv2+,
which would be compatible with pssh's LGPL-2.1; it requires PyYAML) is what
HPC users already write, so it was evaluated as the parser. Measured on this
project's machine (Python 3.11, 2 shared cores, ``python -X importtime`` and
``time.perf_counter``, warm file cache, several runs):

==============================================================  ==============
``import ClusterShell.NodeSet`` in a fresh interpreter          22-30 ms
the same, on top of what ``pssh.cli`` already imports           7-11 ms
                                                                (48 ms cold)
first ``NodeSet('web[01-20],db[1,3,5-7]')``                     0.3-0.6 ms
``import pssh.hostlist`` (stdlib only)                          3.4-5 ms
first ``expand('web[01-20],db[1,3,5-7]')``                      0.1 ms
``pssh --help`` (whole process, this parser)                    0.08-0.10 s
==============================================================  ==============

Decision: keep our own parser, with ClusterShell's syntax for what a host
list for SSH needs (ranges, several ranges per name, ``@group``, ``!``, ``&``,
``^``, evaluated left to right). Start-up cost alone would not decide it; the
semantics do: ``NodeSet`` *sorts* its names (``web[1-2],db1`` comes back as
``db1, web1, web2``), while pssh keeps the order given, which is the order of
the output and the order ``run_in_batches`` cuts batches in; and it rejects
IPv6 literals (``[::1]:2222`` is a "bad range"), which pssh's host specs
allow. It would also be a second dependency chain (PyYAML) for every library
user, for the sake of the command line. ClusterShell's group *sources*
(``groups.conf``, external resolvers) are not read: pass groups as a mapping;
with ClusterShell installed, ``expand(str(NodeSet(...)))`` works too.

Everything here is pure logic with no I/O.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator, Mapping

MAX_EXPANSION = 100_000
"""Most hosts one term may expand to (a guard against a mistyped range)."""

_RANGE_BODY = re.compile(r"^[0-9]+(?:-[0-9]+)?(?:,[0-9]+(?:-[0-9]+)?)*$")
_BRACKET = re.compile(r"\[([^\[\]]*)\]")
_TRAILING_NUMBER = re.compile(r"^(.*?)([0-9]+)([^0-9]*)$")
_OPERATORS = {",": "union", "!": "difference", "&": "intersection", "^": "xor"}


class HostlistError(ValueError):
    """A host expression that cannot be understood (names the expression)."""


# -- one term ------------------------------------------------------------------------


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
            raise HostlistError(f"Range {lo_text}-{hi_text} in {spec!r} goes backwards")
        if hi - lo >= MAX_EXPANSION:
            raise HostlistError(f"Range {lo_text}-{hi_text} in {spec!r} is too large")
        width = len(lo_text) if lo_text.startswith("0") else 0
        values.extend(str(n).zfill(width) for n in range(lo, hi + 1))
    return values


def expand_term(spec: str) -> list[str]:
    """All the names one term (no ``,``/``!``/``&``/``^`` outside brackets) stands for.

    >>> expand_term("web[01-03]")
    ['web01', 'web02', 'web03']

    :raises: :class:`HostlistError` on a malformed or oversized range.
    :rtype: list[str]
    """
    pieces: list[list[str]] = []
    pos = 0
    for match in _BRACKET.finditer(spec):
        body = match.group(1).replace(" ", "")
        if not _RANGE_BODY.match(body):
            if re.fullmatch(r"[0-9,\- ]*", body):
                raise HostlistError(f"Malformed range [{match.group(1)}] in {spec!r}")
            continue  # an IPv6 literal or other bracketed text: kept as is
        pieces.append([spec[pos : match.start()]])
        pieces.append(_expand_body(body, spec))
        pos = match.end()
    pieces.append([spec[pos:]])
    total = 1
    for choices in pieces:
        total *= len(choices)
        if total > MAX_EXPANSION:
            raise HostlistError(f"{spec!r} expands to more than {MAX_EXPANSION} hosts")
    return ["".join(combo) for combo in itertools.product(*pieces)]


# -- expressions ---------------------------------------------------------------------


def _tokens(text: str) -> Iterator[tuple[str, str]]:
    """``(operator, term)`` pairs; the first operator is ``,``. Commas and
    white space inside brackets belong to the term."""
    operator, depth = ",", 0
    current: list[str] = []
    for char in text:
        if char == "[":
            depth += 1
        elif char == "]":
            depth = max(0, depth - 1)
        if depth == 0 and (char.isspace() or char in _OPERATORS):
            if current:
                yield operator, "".join(current)
                current, operator = [], ","
            if char in _OPERATORS and char != ",":
                operator = char
            continue
        current.append(char)
    if depth:
        raise HostlistError(f"Unclosed [ in {text!r}")
    if current:
        yield operator, "".join(current)
    elif operator != ",":
        raise HostlistError(f"Nothing after {operator!r} in {text!r}")


def split_terms(text: str) -> list[str]:
    """Split at white space and commas outside brackets (no other operator).

    >>> split_terms("web[01-02,05] db1,db2")
    ['web[01-02,05]', 'db1', 'db2']

    :rtype: list[str]
    """
    terms = []
    for operator, term in _tokens(text):
        if operator != ",":
            raise HostlistError(f"Operator {operator!r} not allowed here: {text!r}")
        terms.append(term)
    return terms


def expand(
    text: str | Iterable[str], groups: Mapping[str, str | Iterable[str]] | None = None
) -> list[str]:
    """The hosts a host expression names, in order, without repeats.

    >>> expand("web[01-03],db[1,3]")
    ['web01', 'web02', 'web03', 'db1', 'db3']
    >>> expand("web[1-5]!web[2-3]")
    ['web1', 'web4', 'web5']

    :param text: the expression, or several (an iterable of expressions is
      read as if they were joined with ``,``)
    :param groups: what ``@name`` stands for: a name to an expression or to a
      list of hosts. Groups may name groups (a loop is an error).
    :raises: :class:`HostlistError` on a malformed range, an unknown group or
      more than :data:`MAX_EXPANSION` hosts in one term.
    :rtype: list[str]
    """
    if not isinstance(text, str):
        text = ",".join(text)
    return list(_evaluate(text, groups or {}, ()))


def _evaluate(text: str, groups: Mapping[str, str | Iterable[str]], seen: tuple) -> dict:
    result: dict[str, None] = {}
    for operator, term in _tokens(text):
        names = _term(term, groups, seen)
        if operator == ",":
            result.update(names)
        elif operator == "!":
            result = {n: None for n in result if n not in names}
        elif operator == "&":
            result = {n: None for n in result if n in names}
        else:  # ^
            both = {n: None for n in result if n not in names}
            both.update((n, None) for n in names if n not in result)
            result = both
    return result


def _term(term: str, groups: Mapping[str, str | Iterable[str]], seen: tuple) -> dict:
    if not term.startswith("@"):
        return dict.fromkeys(expand_term(term))
    name = term[1:]
    if name not in groups:
        raise HostlistError(f"Unknown group @{name}")
    if name in seen:
        raise HostlistError(f"Group @{name} contains itself")
    members = groups[name]
    if not isinstance(members, str):
        members = ",".join(members)
    return _evaluate(members, groups, (*seen, name))


# -- folding -------------------------------------------------------------------------


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


def fold(hosts: Iterable[str]) -> str:
    """Fold host names into range expressions joined by commas, in order of
    first appearance; :func:`expand` of the result gives the same set back.

    >>> fold(["web01", "web02", "web03", "web07", "db1"])
    'web[01-03,07],db1'

    :rtype: str
    """
    return ",".join(fold_groups(hosts))


def fold_groups(hosts: Iterable[str]) -> list[str]:
    """Like :func:`fold`, as a list of range expressions.

    Names are grouped by the text around their last number. A number with a
    leading zero fixes its group's width; a number without one joins a padded
    group of its own length if there is one, else the unpadded group.

    :rtype: list[str]
    """
    unique = list(dict.fromkeys(hosts))
    padded: dict[tuple[str, str], set[int]] = {}
    for name in unique:
        match = _TRAILING_NUMBER.match(name)
        if match and "[" not in name and match.group(2).startswith("0") and len(match.group(2)) > 1:
            padded.setdefault((match.group(1), match.group(3)), set()).add(len(match.group(2)))
    groups: dict[tuple[str, str, int] | tuple[str], list[int]] = {}
    for name in unique:
        match = _TRAILING_NUMBER.match(name)
        if not match or "[" in name or "]" in name or any(op in name for op in "!&^,"):
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
    "MAX_EXPANSION",
    "HostlistError",
    "expand",
    "expand_term",
    "fold",
    "fold_groups",
    "split_terms",
]
