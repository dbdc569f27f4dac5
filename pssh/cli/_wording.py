"""The library's messages, said in command line terms.

The library's errors and warnings name its Python arguments
(``host_key_policy='accept-new'``), which mean nothing to someone at a shell.
The command line tool shows every message through :func:`cli_words`, which
names the option that does the same thing instead (``--host-key-policy
accept-new``). The library's texts are left as they are: Python users need them.
"""

from __future__ import annotations

import re

_PHRASES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"host_key_policy\s*=\s*'?([a-z-]+)'?"), r"--host-key-policy \1"),
    (re.compile(r"\bhost_key_policy is (\w+)"), r"--host-key-policy is \1"),
    (re.compile(r"\bhost_key_policy\b"), "--host-key-policy"),
    (re.compile(r"\bknown_hosts\s*=\s*'?([^'\s,;)]+)'?"), r"--known-hosts \1"),
    (
        re.compile(r"forward_ssh_agent=True but allow_agent=False and no agent= given"),
        "--forward-agent was given with --no-agent",
    ),
    (re.compile(r"\bforward_ssh_agent(=True)?"), "--forward-agent"),
    (re.compile(r"\ballow_agent=False"), "--no-agent"),
    (re.compile(r"\bproxy_host\b"), "the jump host (-J)"),
    (re.compile(r"\bnum_retries\b"), "--retries"),
    (re.compile(r" - retry (\d+)/(\d+)$"), r" (attempt \1 of \2)"),
    (re.compile(r"\bpkey\b"), "the key (-k)"),
]


def cli_words(text: str) -> str:
    """``text`` with the library's argument names replaced by the options of
    ``pssh`` that set them."""
    for pattern, replacement in _PHRASES:
        text = pattern.sub(replacement, text)
    return text


__all__ = ["cli_words"]
