"""``saro run --seeds 0,1,2``: one run directory per training seed, then the aggregate.

Layout::

    ROOT/seed-0/   a complete run directory (docs/rundir.md) trained with seed 0
    ROOT/seed-1/   ...
    ROOT/aggregate.{json,md,png}   saro.analysis.seeds: across-seed intervals and paired tests

Only ``seed`` changes between the runs (sampling and training); ``split_seed`` is the run's, so
every seed trains on the same side of the splits and is evaluated on the same prompts, which is
what makes the paired tests valid. The base model is not trained, so its evaluation is done once
(in the first seed's directory) and copied into the others, marked ``shared_from`` in their
``run.json``. Every seed's run resumes like a single run; rerunning the command skips finished
seeds and rewrites the aggregate.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from saro.errors import SaroError
from saro.pipeline.config import RunConfig
from saro.pipeline.rundir import Run
from saro.pipeline.runner import finished, run_pipeline
from saro.pipeline.stages import STAGES, Stage

BASE_EVAL = "eval_base"


def parse_seeds(spec: str | Sequence[int] | None) -> list[int] | None:
    """``"0,1,2"`` -> ``[0, 1, 2]``; checks for integers and duplicates."""
    if spec is None:
        return None
    items = [s.strip() for s in spec.split(",")] if isinstance(spec, str) else list(spec)
    try:
        seeds = [int(s) for s in items if str(s) != ""]
    except ValueError:
        raise SaroError(
            f"--seeds {spec!r} is not a comma-separated list of integers.",
            "Use e.g. --seeds 0,1,2.",
        ) from None
    if not seeds:
        raise SaroError("--seeds is empty.", "Use e.g. --seeds 0,1,2.")
    if len(set(seeds)) != len(seeds):
        raise SaroError(f"--seeds {spec!r} repeats a seed.", "List each seed once.")
    return seeds


def seed_dir(root: str | Path, seed: int) -> Path:
    return Path(root) / f"seed-{seed}"


def share_base_eval(first: Run, run: Run, stages: tuple[Stage, ...]) -> bool:
    """Copy the base model's finished eval from ``first`` into ``run``; True when copied."""
    stage = next((s for s in stages if s.name == BASE_EVAL), None)
    if stage is None or not finished(first, stage) or finished(run, stage):
        return False
    entry = first.state()["stages"][BASE_EVAL]
    if entry.get("skipped"):
        return False
    target = run.path("eval", "base")
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(first.path("eval", "base"), target)
    run.init_state()
    extra = {k: v for k, v in entry.items() if k not in ("status", "seconds")}
    run.mark(BASE_EVAL, "done", 0.0, **extra, shared_from=str(first.dir))
    return True


def run_seeds(
    cfg: RunConfig,
    root: str | Path,
    seeds: Sequence[int],
    *,
    start: str | None = None,
    only: list[str] | None = None,
    dry_run: bool = False,
    progress: bool = True,
    echo: Callable[[str], None] = print,
    stages: tuple[Stage, ...] = STAGES,
) -> dict:
    """Run every seed into ``ROOT/seed-<s>`` and write the aggregate; returns it (or {})."""
    from saro.analysis.seeds import write_aggregate

    first: Run | None = None
    runs = {}
    for s in seeds:
        one = replace(cfg, seed=s, seeds=None)
        d = seed_dir(root, s)
        echo(f"== seed {s} -> {d}")
        plan = stages
        if first is not None and dry_run and not only and start is None:  # copied, not rerun
            plan = tuple(st for st in stages if st.name != BASE_EVAL)
            echo(f"[share] {BASE_EVAL}: copied from {first.dir}, not planned again")
        elif first is not None and share_base_eval(first, Run(one, d), stages):
            echo(f"[share] {BASE_EVAL}: the base model's eval from {first.dir}")
        run = run_pipeline(one, d, start=start, only=only, dry_run=dry_run, progress=progress,
                           echo=echo, stages=plan, resolve=first is None,
                           n_seeds=len(seeds))  # fmt: skip
        first = first or run
        runs[s] = d
    if dry_run:
        return {}
    result = write_aggregate(root, runs)
    echo(f"Aggregate over seeds {', '.join(map(str, seeds))}: {Path(root) / 'aggregate.md'}")
    return result
