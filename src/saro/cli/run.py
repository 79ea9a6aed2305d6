"""``saro run``: the whole chain from one config (see :mod:`saro.pipeline.runner`)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

console = Console(stderr=True)


def run(
    config: Path = typer.Option(..., "--config", "-c", help="Run config (configs/demo.yaml)."),
    out: Path = typer.Option(..., "--out", "-o", help="Run directory."),
    set_: list[str] = typer.Option(None, "--set", help="Override, e.g. eval.limit=10."),
    from_: str = typer.Option(None, "--from", help="Rerun from this stage on."),
    only: list[str] = typer.Option(None, "--only", help="Run only this stage (repeatable)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan and estimates."),
    seeds: str = typer.Option(
        None, "--seeds", help="Training seeds, e.g. 0,1,2: OUT/seed-<s> each, then an aggregate."
    ),
    progress: bool = typer.Option(True, "--progress/--no-progress"),
) -> None:
    """Run SaRO end to end: data, RW, OP/PP-COT, SRPO, baselines, eval, analyses, report.

    Finished stages are skipped, so rerunning after a kill resumes where it stopped. With
    --seeds (or `seeds:` in the config) each training seed gets its own run directory under
    OUT and OUT/aggregate.md holds the across-seed intervals and paired tests.
    """
    from saro.pipeline.config import load_run_config
    from saro.pipeline.runner import run_pipeline
    from saro.pipeline.seeds import parse_seeds, run_seeds

    cfg = load_run_config(config, set_)
    chosen = parse_seeds(seeds) or parse_seeds(cfg.seeds)
    echo = lambda s: console.print(s, highlight=False, markup=False)  # noqa: E731
    if chosen:
        run_seeds(cfg, out, chosen, start=from_, only=only or None, dry_run=dry_run,
                  progress=progress, echo=echo)  # fmt: skip
        return
    result = run_pipeline(
        cfg,
        out,
        start=from_,
        only=only or None,
        dry_run=dry_run,
        progress=progress,
        echo=echo,
    )
    if not dry_run:
        report = result.path("report.html")
        console.print(f"Report: {report if report.exists() else result.path('report.md')}")
