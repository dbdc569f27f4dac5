"""Deprecated: use :class:`pssh.clients.native.tunnel.Tunnel`."""

from __future__ import annotations

from typing import Any

from ._deprecate import warn_moved

warn_moved("pssh.tunnel", "pssh.clients.native.tunnel")

__all__ = ["Tunnel", "logger"]  # noqa: F822 (module __getattr__ provides them)


def __getattr__(name: str) -> Any:
    # Imported on first use, so that importing this module stays cheap.
    if name in ("Tunnel", "logger"):
        from .clients.native import tunnel

        return getattr(tunnel, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
