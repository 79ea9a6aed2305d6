"""``saro eval`` and ``saro compare``.

Usage::

    saro eval --model smollm2-135m --suites jailbreak,harmful,overrefusal,gsm8k,arc_easy \\
        --out runs/base/eval
    saro eval --model runs/rw/model --prompts mine.jsonl:question --kind benign --out runs/rw/mine
    saro eval --list
    saro compare runs/base/eval runs/saro/eval --out compare.md

Only metrics are printed; responses stay in ``DIR/samples/`` (they may answer harmful prompts).
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from saro.errors import SaroError


def _console() -> Console:
    """A console made per call: piped output (files, tests) gets a wide fixed width so the
    tables are not squeezed to 80 columns."""
    return Console() if sys.stdout.isatty() else Console(width=160)


def _list_suites(fmt: str = "table", wide: bool = False) -> None:
    from saro.cli.tables import Column, emit
    from saro.evaluate.suites import DEFAULT_SUITES, SUITES

    rows = [
        {"suite": s.name + (" *" if s.name in DEFAULT_SUITES else ""), "metric": s.metric,
         "mode": s.mode, "size": s.size, "description": s.description}
        for s in SUITES.values()
    ]  # fmt: skip
    columns = [Column("suite"), Column("metric"), Column("mode"), Column("size", right=True),
               Column("description", wide=True)]  # fmt: skip
    emit(rows, columns, title="Evaluation suites (* = default)", fmt=fmt, wide=wide)


def _print_table(header: list[str], rows: list[list[str]], title: str) -> None:
    table = Table(title=title)
    for col in header:
        table.add_column(col)
    for row in rows:
        table.add_row(*row)
    _console().print(table)


def eval_command(
    out: Path = typer.Option(None, "--out", "-o", help="Eval directory to write."),
    model: str = typer.Option("smollm2-135m", "--model", "-m", help="Model name, folder, hub id."),
    suites: str = typer.Option(
        None, "--suites", "-s", help="Comma-separated suites, or 'all' (default: the * ones)."
    ),
    limit: int = typer.Option(None, "--limit", min=1, help="Prompts per suite."),
    engine: str = typer.Option("hf", "--engine", "-e", help="hf | openai | vllm | mock."),
    judge: list[str] = typer.Option(
        ["refusal"], "--judge", "-j", help="Safety judge spec (repeat for several)."
    ),
    prompts: str = typer.Option(None, "--prompts", help="Your own prompts: FILE[:FIELD]."),
    kind: str = typer.Option(None, "--kind", help="harmful | benign (with --prompts)."),
    max_new_tokens: int = typer.Option(
        None, "--max-new-tokens", min=1, help="Token budget (default: per suite, 384 for most)."
    ),
    max_reasoning_tokens: int = typer.Option(
        None,
        "--max-reasoning-tokens",
        min=1,
        help="Budget forcing: reasoning budget; an unfinished reasoning is closed and answered.",
    ),
    max_answer_tokens: int = typer.Option(
        None, "--max-answer-tokens", min=1, help="Budget forcing: the answer's own budget."
    ),
    split_seed: int = typer.Option(
        0,
        "--split-seed",
        help="Split seed: which held-out prompts and attacks (a run's split_seed).",
    ),
    seed: int = typer.Option(0, "--seed", help="Generation seed (sampling engines only)."),
    system: str = typer.Option(None, "--system", help="Optional system prompt."),
    base_url: str = typer.Option(None, "--base-url", help="Endpoint for --engine openai."),
    api_key_env: str = typer.Option("OPENAI_API_KEY", "--api-key-env"),
    force: bool = typer.Option(False, "--force", help="Overwrite an older or foreign eval dir."),
    list_suites: bool = typer.Option(False, "--list", help="List the suites and exit."),
    wide: bool = typer.Option(False, "--wide", help="With --list: show the descriptions too."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
) -> None:
    """Evaluate a model on safety, over-refusal and capability suites.

    Writes DIR/samples/<suite>.jsonl, DIR/metrics.json and DIR/results.md (docs/eval.md).
    Reruns regenerate nothing (generation cache).
    """
    from saro.engines.forcing import budget_of
    from saro.evaluate import evaluate, file_suite, parse_suites
    from saro.evaluate.suites import DEFAULT_SUITES
    from saro.evaluate.tables import SUITE_HEADER, suite_row

    if list_suites:
        _list_suites(wide=wide)
        return
    if out is None:
        raise SaroError("No output directory given.", "Pass --out DIR.")
    chosen = []
    if suites or not prompts:
        chosen = parse_suites(suites or ",".join(DEFAULT_SUITES))
    if prompts:
        if not kind:
            raise SaroError("--prompts needs --kind.", "Pass --kind harmful or --kind benign.")
        chosen.append(file_suite(prompts, kind))
    elif kind:
        raise SaroError("--kind only applies to --prompts.", "Pass --prompts FILE as well.")
    judges = [j.strip() for spec in judge for j in spec.split(",") if j.strip()]
    options = {"base_url": base_url, "api_key_env": api_key_env} if engine == "openai" else {}
    metrics = evaluate(
        model,
        chosen,
        out,
        limit=limit,
        engine=engine,
        judges=judges,
        max_new_tokens=max_new_tokens,
        budget=budget_of(max_reasoning_tokens, max_answer_tokens),
        seed=seed,
        split_seed=split_seed,
        system=system,
        progress=not quiet,
        force=force,
        engine_options=options,
    )
    rows = [suite_row(name, e) for name, e in metrics["suites"].items()]
    _print_table(list(SUITE_HEADER), rows, f"{model}: {out}")
    _console().print(f"Wrote {out}/metrics.json, results.md and samples/.")


def compare_command(
    dirs: list[Path] = typer.Argument(..., help="Eval directories; the first is the reference."),
    out: Path = typer.Option(None, "--out", "-o", help="Also write the table as markdown."),
) -> None:
    """Compare eval directories side by side: deltas and McNemar p-values per suite."""
    from saro.evaluate.compare import compare_dirs, compare_markdown, table_rows

    result = compare_dirs(dirs)
    header, rows = table_rows(result)
    _print_table(header, rows, "Comparison (values in %, Δ in points vs [0])")
    console = _console()
    for i, d in enumerate(result["dirs"]):
        console.print(f"[{i}] {d}", highlight=False)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(compare_markdown(result), encoding="utf-8")
        console.print(f"Wrote {out}.")
