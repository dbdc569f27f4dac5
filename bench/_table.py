"""The suite's one table: a row per case (ours next to a reference), Markdown."""

from __future__ import annotations

import os
import platform
import subprocess
import time
from collections.abc import Sequence
from typing import Any

from _common import MAX_PROCS, MB, cores

Row = dict[str, Any]
HEAD = ("case", "ours wall s", "ours CPU s", "MB/s", "peak RSS MB", "others' load",
        "reference", "ref", "ratio", "target", "met?")  # fmt: skip


def row(
    case: str,
    ours: dict[str, Any] | None,
    ref: str,
    ref_value: str,
    ratio: float | None,
    target: str = "",
    met: bool | None = None,
    **extra: Any,
) -> Row:
    """One table row. ``ours`` is a worker's result (``wall``, ``cpu``, ``rss_mb``,
    ``others`` and ``bytes`` where there is a throughput), or None for a row that only
    adds a reference to the row above."""
    out: Row = {"case": case, "ref": ref, "ref_value": ref_value, "ratio": ratio,
                "target": target, "met": met, **extra}  # fmt: skip
    if ours is not None:
        out.update(wall=ours["wall"], cpu=ours["cpu"], rss=ours.get("rss_mb"))
        out["others"] = ours.get("others")
        if "bytes" in ours:
            out["mbs"] = ours["bytes"] / MB / ours["wall"]
    return out


def _cells(r: Row) -> list[str]:
    def num(key: str, fmt: str) -> str:
        value = r.get(key)
        return "" if value is None or value != value else format(value, fmt)

    return [r["case"], num("wall", ".3f"), num("cpu", ".3f"), num("mbs", ".0f"),
            num("rss", ".0f"), num("others", ".0%"), r["ref"], r["ref_value"],
            "" if r["ratio"] is None else f"{r['ratio']:.2f}x", r["target"],
            {True: "yes", False: "NO", None: ""}[r["met"]]]  # fmt: skip


def format_table(rows: Sequence[Row]) -> str:
    """The rows as a Markdown table (readable as plain text too), then the notes."""
    cells = [list(HEAD)] + [_cells(r) for r in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(HEAD))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(line, widths)) + " |" for line in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    notes = [f"- {r['case'] or '(above)'}: {r['note']}" for r in rows if r.get("note")]
    return "\n".join(lines + ([""] + notes if notes else []))


def share_note(ours: dict[str, Any], floor: float) -> str:
    """With other work on the machine, the floor on the cores' share that was left."""
    others = ours.get("others") or 0.0
    if others < 0.05 or others >= 0.95:
        return ""
    left = floor / (1 - others)
    return (
        f"others took {others:.0%} of the cores meanwhile; on the share left the floor is "
        f"{left:.3f} s (ratio {ours['wall'] / left:.2f}x)"
    )


def at_once(n: int) -> str:
    """How many OpenSSH processes ran together, when not all."""
    return f", {MAX_PROCS} at once" if n > MAX_PROCS else ""


def environment() -> str:
    """One line on the machine and the versions measured."""
    ssh = subprocess.run(["ssh", "-V"], capture_output=True, text=True).stderr.strip()
    import ssh2

    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{time.strftime('%Y-%m-%d %H:%M')}; {cores()} cores, load {load}; Python "
        f"{platform.python_version()}; ssh2-python {ssh2.__version__}; {ssh}"
    )
