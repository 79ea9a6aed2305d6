"""``saro analyze`` and ``saro report``.

Usage::

    saro analyze runs/demo [--only reflection,effects] [--no-embeddings]
    saro report runs/demo
"""

from __future__ import annotations

import typer

from saro.errors import SaroError


def analyze_command(
    run_dir: str = typer.Argument(..., help="A run directory (saro run --out)."),
    only: str = typer.Option("", "--only", help="Comma-separated analyses (default: all)."),
    no_embeddings: bool = typer.Option(
        False,
        "--no-embeddings",
        help="Skip the embedding analysis (the only one that loads models).",
    ),
    n_per_kind: int = typer.Option(30, "--n-per-kind", help="Prompts per kind for embeddings."),
) -> None:
    """Run the paper's analyses on a run directory: PNG + JSON under RUN_DIR/analysis."""
    from saro.analysis import analyze

    if n_per_kind < 2:
        raise SaroError("--n-per-kind must be at least 2.", "Pass e.g. --n-per-kind 30.")
    names = tuple(n.strip() for n in only.split(",") if n.strip()) or None
    analyze(
        run_dir, only=names, embeddings=not no_embeddings, n_per_kind=n_per_kind, echo=typer.echo
    )


def report_command(
    run_dir: str = typer.Argument(..., help="A run directory (saro run --out)."),
    judge: str = typer.Option(
        None,
        "--judge",
        help="Instead of the report, score the saved samples with this judge (e.g. labels:FILE: "
        "readers' labels) "
        "and write RUN_DIR/judged-<name>.md with its headline table and paired tests.",
    ),
) -> None:
    """Write RUN_DIR/report.md and a self-contained RUN_DIR/report.html from disk alone.

    For the folder of a multi-seed run (seed-<s> folders, saro run --seeds) it rewrites the
    aggregate (aggregate.md/.json/.png) instead.
    """
    from pathlib import Path

    from saro.analysis.report import write_report
    from saro.analysis.rundata import read_json
    from saro.analysis.seeds import one_run, seed_runs, write_aggregate, write_judged

    runs = seed_runs(run_dir)
    if judge:
        from saro.judges import make_judge

        info = Path(run_dir) / "run.json"
        if not runs:
            if not info.exists():
                raise SaroError(f"{run_dir} is not a run directory.", "Pass saro run's --out.")
            runs = one_run(run_dir, read_json(info))
        typer.echo(str(write_judged(run_dir, runs, make_judge(judge))))
        return
    if runs and not (Path(run_dir) / "run.json").exists():
        write_aggregate(run_dir, runs)
        typer.echo(str(Path(run_dir) / "aggregate.md"))
        return

    md, html = write_report(run_dir)
    if not (md.parent / "analysis" / "index.json").exists():
        typer.echo(f"note: no analyses yet; run `saro analyze {run_dir}` for the plots.")
    typer.echo(str(md))
    typer.echo(str(html))
