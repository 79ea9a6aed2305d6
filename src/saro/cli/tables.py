"""Listing tables that fit a terminal: narrow by default, ``--wide`` for long text columns,
``--format json|csv`` for scripts (every column, whatever the width)."""

from __future__ import annotations

import csv
import json
import sys
from dataclasses import dataclass
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from saro.errors import unknown_name

FORMATS = ("table", "json", "csv")
FORMAT_OPTION = typer.Option("table", "--format", help="table | json | csv (for scripts).")
WIDE_OPTION = typer.Option(False, "--wide", help="Also show the long text columns.")


@dataclass(frozen=True)
class Column:
    """One column: its row key, header, and how it behaves in a narrow table.

    Attributes:
        wide: Long text shown only with ``--wide`` (always in json and csv).
        fold: Wrap inside long words (ids, paths) instead of at spaces.
    """

    key: str
    label: str | None = None
    wide: bool = False
    right: bool = False
    fold: bool = False


def check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise unknown_name("format", fmt, FORMATS)


def emit(
    rows: list[dict[str, Any]],
    columns: list[Column],
    *,
    title: str,
    fmt: str = "table",
    wide: bool = False,
    console: Console | None = None,
    note: str | None = None,
) -> None:
    """Print ``rows`` as a rich table (narrow unless ``wide``), JSON or CSV."""
    check_format(fmt)
    if fmt == "json":
        data = [{c.key: r.get(c.key) for c in columns} for r in rows]
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=1) + "\n")
        return
    if fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=[c.key for c in columns])
        writer.writeheader()
        writer.writerows({c.key: r.get(c.key) for c in columns} for r in rows)
        return
    console = console or Console()
    shown = [c for c in columns if wide or not c.wide]
    table = Table(title=title)
    for c in shown:
        table.add_column(
            c.label or c.key,
            justify="right" if c.right else "left",
            overflow="fold" if c.fold else "ellipsis",
            no_wrap=not (c.fold or c.wide),
        )
    for r in rows:
        table.add_row(*("" if r.get(c.key) is None else str(r.get(c.key)) for c in shown))
    console.print(table)
    hidden = [c.label or c.key for c in columns if c.wide and not wide]
    tips = [note] if note else []
    if hidden:
        tips.append(f"--wide shows {', '.join(hidden)}; --format json|csv gives every column.")
    for tip in tips:
        console.print(tip, highlight=False, markup=False)
