"""``saro sources``: list, inspect, export and split the prompt sources.

Usage::

    saro sources list
    saro sources show advbench -n 5 --split test
    saro sources show data/mine.jsonl:prompt --kind benign
    saro sources export overrefusal --split test --out overrefusal-test.jsonl
    saro sources plan --out runs/splits --seed 0
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from saro.cli.tables import FORMAT_OPTION, WIDE_OPTION, Column, check_format, emit
from saro.errors import SaroError
from saro.store import write_jsonl

app = typer.Typer(help="Prompt sources: list, show, export, split.", no_args_is_help=True)
console = Console()

_KIND_ORDER = ["harmful", "jailbreak", "benign", "general", "math", "mixed"]


def _opts(kind: str | None, id_field: str | None, category_field: str | None) -> dict:
    """Local-file options given on the command line (registered sources take none)."""
    opts = {"kind": kind, "id_field": id_field, "category_field": category_field}
    return {k: v for k, v in opts.items() if v is not None}


_KIND = typer.Option(None, "--kind", help="Prompt kind for a local file source.")
_ID_FIELD = typer.Option(None, "--id-field", help="Id field of a local file source.")
_CATEGORY_FIELD = typer.Option(None, "--category-field", help="Category field of a local file.")
_SPLIT = typer.Option(None, "--split", "-s", help="train | dev | test (default split plan).")
_SEED = typer.Option(0, "--seed", help="Split seed.")


@app.command("list")
def list_sources(fmt: str = FORMAT_OPTION, wide: bool = WIDE_OPTION) -> None:
    """Show every registered source: kind, prompt count, license, offline or online."""
    from saro.sources import SOURCES, load_source
    from saro.sources.plancache import cached_count

    check_format(fmt)
    infos = sorted(
        SOURCES.values(), key=lambda i: (not i.offline, _KIND_ORDER.index(i.kind), i.name)
    )
    rows = []
    for info in infos:
        count = None
        if info.offline:
            count = cached_count(info.name, lambda n=info.name: len(load_source(n)))
        rows.append(
            {
                "name": info.name,
                "kind": info.kind,
                "count": count,
                "count_text": f"{count:,}" if count is not None else "-",
                "license": info.license,
                "where": "offline" if info.offline else "hub",
                "description": info.description,
            }
        )
    columns = [
        Column("name"),
        Column("kind"),
        Column("count_text" if fmt == "table" else "count", "count", right=True),
        Column("license"),
        Column("where"),
        Column("description", wide=True),
    ]
    emit(
        rows, columns, title="Prompt sources", fmt=fmt, wide=wide, console=console,
        note="Any local file is a source too: PATH.jsonl[:FIELD] or PATH.csv[:COLUMN].",
    )  # fmt: skip


def _load(name: str, split: str | None, seed: int, opts: dict) -> list:
    from saro.sources import load_source

    return load_source(name, split=split, seed=seed, **opts)


@app.command("show")
def show(
    name: str = typer.Argument(..., help="Source name or PATH.jsonl[:FIELD]."),
    n: int = typer.Option(5, "-n", min=0, help="How many prompts to show."),
    split: str = _SPLIT,
    seed: int = _SEED,
    kind: str = _KIND,
    id_field: str = _ID_FIELD,
    category_field: str = _CATEGORY_FIELD,
) -> None:
    """Describe a source and show its first prompts."""
    from saro.sources import SOURCES

    prompts = _load(name, split, seed, _opts(kind, id_field, category_field))
    info = SOURCES.get(name)
    if info:
        console.print(f"[bold]{name}[/]: {info.description}", highlight=False)
        console.print(f"origin {info.origin} · license {info.license}", highlight=False)
    kinds: dict[str, int] = {}
    for p in prompts:
        kinds[p.kind] = kinds.get(p.kind, 0) + 1
    summary = ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))
    where = f" in split {split!r}" if split else ""
    console.print(f"{len(prompts):,} prompts{where} ({summary or 'none'})", highlight=False)
    if not prompts or n == 0:
        return
    table = Table(show_lines=True)
    for col in ("id", "kind", "category", "split", "text", "reference"):
        table.add_column(col, overflow="fold")
    for p in prompts[:n]:
        text = p.text if len(p.text) <= 300 else p.text[:297] + "..."
        table.add_row(p.id, p.kind, p.category, p.split or "", text, p.reference or "")
    console.print(table)


@app.command("export")
def export(
    name: str = typer.Argument(..., help="Source name or PATH.jsonl[:FIELD]."),
    out: Path = typer.Option(..., "--out", "-o", help="Output JSONL file."),
    split: str = _SPLIT,
    seed: int = _SEED,
    kind: str = _KIND,
    id_field: str = _ID_FIELD,
    category_field: str = _CATEGORY_FIELD,
) -> None:
    """Write a source's prompts (optionally one split) as JSONL prompt records."""
    prompts = _load(name, split, seed, _opts(kind, id_field, category_field))
    count = write_jsonl(out, (p.to_dict() for p in prompts))
    console.print(f"Wrote {count:,} prompts to {out}", highlight=False)


@app.command("plan")
def plan(
    out: Path = typer.Option(..., "--out", "-o", help="Folder for prompts.jsonl + manifest.json."),
    sources: list[str] = typer.Option(
        None, "--source", help="Sources to include (repeatable; default: every offline source)."
    ),
    seed: int = _SEED,
    threshold: float = typer.Option(0.7, "--threshold", help="Near-duplicate Jaccard threshold."),
) -> None:
    """Split several sources together and write the prompts and a manifest."""
    from saro.sources.splits import SplitPlan, offline_sources

    if not 0 < threshold <= 1:
        raise SaroError(f"--threshold {threshold} is out of range.", "Use a value in (0, 1].")
    split_plan = SplitPlan.of(sources or offline_sources(), seed=seed, threshold=threshold)
    prompts, manifest = split_plan.run()
    out.mkdir(parents=True, exist_ok=True)
    write_jsonl(out / "prompts.jsonl", (p.to_dict() for p in prompts))
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    table = Table(title=f"Split plan (seed {seed})")
    for col in ("source", "loaded", "train", "dev", "test", "dropped"):
        table.add_column(col, justify="left" if col == "source" else "right")
    for name, row in manifest["sources"].items():
        s = row["splits"]
        table.add_row(
            name,
            *(str(v) for v in (row["loaded"], s["train"], s["dev"], s["test"])),
            str(row["dropped"]),
        )
    console.print(table)
    totals = manifest["totals"]
    console.print(
        f"Wrote {len(prompts):,} prompts (train {totals['train']:,}, dev {totals['dev']:,}, "
        f"test {totals['test']:,}; {len(manifest['dropped'])} dropped as near-duplicates of "
        f"held-out prompts) to {out}",
        highlight=False,
    )
