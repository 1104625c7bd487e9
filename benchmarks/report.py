"""Shared output for the benchmarks: a plain-text table and the same figures as JSON.

Every benchmark prints its figures with :func:`table` and, given ``--json PATH``,
writes them with :func:`write_json`, which adds where and when they were taken.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any


def machine() -> dict[str, Any]:
    """What the figures depend on: cores, Python, load when the run started."""
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "taken_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
    }


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str], title: str = "") -> str:
    """Rows as an aligned text table with the given columns (missing values shown as ``-``)."""
    cells = [[_cell(row.get(column)) for column in columns] for row in rows]
    widths = [max([len(column)] + [len(line[i]) for line in cells]) for i, column in enumerate(columns)]
    lines = [title] if title else []
    lines.append("  ".join(column.rjust(width) for column, width in zip(columns, widths, strict=True)))
    lines.append("  ".join("-" * width for width in widths))
    lines += ["  ".join(cell.rjust(width) for cell, width in zip(line, widths, strict=True)) for line in cells]
    text = "\n".join(lines)
    print(text, flush=True)
    return text


def write_json(path: str | None, figures: dict[str, Any]) -> None:
    """Write ``figures`` plus the machine description to ``path`` (nothing when ``None``)."""
    if path:
        Path(path).write_text(json.dumps({"machine": machine(), **figures}, indent=2) + "\n")
        print(f"figures written to {path}")


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)
