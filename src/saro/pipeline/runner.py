"""Run (or plan) the stages of ``saro run`` in order, resumably.

Usage::

    saro run --config configs/demo.yaml --out runs/demo          # everything
    saro run --config configs/demo.yaml --out runs/demo --dry-run
    saro run --config configs/demo.yaml --out runs/demo --from opcot
    saro run --config configs/demo.yaml --out runs/demo --only eval_saro

Each stage writes into RUN_DIR (docs/rundir.md) and is marked done in ``run.json`` last; a stage
is skipped while it is marked done and every file it declares exists, so a killed run resumes
where it stopped (training from its last checkpoint, generation from the cache).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from saro.errors import SaroError, unknown_name
from saro.pipeline.config import RunConfig
from saro.pipeline.rundir import Run
from saro.pipeline.stages import STAGES, Stage


def missing_outputs(run: Run, stage: Stage) -> list[str]:
    """The files ``stage`` declares that are not in the run directory."""
    return [f for f in stage.writes if not run.path(f).exists()]


def finished(run: Run, stage: Stage) -> bool:
    """Marked done and every declared output still there; a stage recorded as left out stays
    finished while the config still leaves it out (a run that gains arms runs their stages)."""
    entry = run.state().get("stages", {}).get(stage.name, {})
    if entry.get("status") != "done":
        return False
    if entry.get("skipped"):  # left out then; still left out under this config?
        return stage.skip is None or bool(stage.skip(run))
    if stage.summary and entry.get("arms", run.cfg.arms) != list(run.cfg.arms):
        return False  # it summarised fewer arms than the run has now
    return not missing_outputs(run, stage)


def check_inputs(run: Run, stage: Stage, stages: tuple[Stage, ...]) -> None:
    """Refuse to start ``stage`` while a file it reads is missing; name the stage that writes it."""
    for f in stage.reads:
        if not run.path(f).exists():
            producer = next((s.name for s in stages if f in s.writes), None)
            raise SaroError(
                f"Stage {stage.name} needs {f}, which is not in {run.dir}.",
                f"Run stage {producer} first (saro run ... --from {producer})."
                if producer
                else "Restore that file.",
            )


def run_pipeline(
    cfg: RunConfig,
    out: str | Path,
    *,
    start: str | None = None,
    only: list[str] | None = None,
    dry_run: bool = False,
    progress: bool = True,
    echo: Callable[[str], None] = print,
    stages: tuple[Stage, ...] = STAGES,
    resolve: bool = True,
    n_seeds: int = 1,
) -> Run:
    """Run (or plan) the stages; returns the :class:`Run`.

    A dry run also resolves (``resolve``) the sources, suites, judges and endpoint calls the
    config names (:mod:`saro.pipeline.resolve`), for ``n_seeds`` training seeds.
    """
    names = [s.name for s in stages]
    for name in (only or []) + ([start] if start else []):
        if name not in names:
            raise unknown_name("stage", name, names)
    run = Run(cfg, out, progress=progress)
    chosen = [s for s in stages if (not only or s.name in only)]
    if start:
        chosen = chosen[names.index(start) :] if not only else chosen
    if dry_run:
        total_s = 0.0
        echo(f"Plan for {out} ({len(chosen)} stages):")
        for s in chosen:
            left_out = s.skip(run) if s.skip else None
            tokens, secs = (0, 0.0) if left_out else s.estimate(run)
            total_s += secs
            flag = (
                f"left out ({left_out})"
                if left_out
                else "done, skip"
                if finished(run, s)
                else f"~{tokens:,} tokens, ~{secs / 60:.1f} min"
            )
            echo(f"  {s.name:<18} {s.describe:<58} {flag}")
            if resolve and not left_out and (s.reads or s.writes):
                echo(f"      reads {', '.join(s.reads) or '-'}; writes {', '.join(s.writes)}")
        if resolve:
            from saro.pipeline import resolve as res

            echo("Prompt sources:")
            for line in res.source_lines(cfg):
                echo(line)
            echo("Eval suites:")
            for line in res.suite_lines(cfg):
                echo(line)
            echo("Endpoint calls:")
            for line in res.endpoint_calls(cfg, n_seeds):
                echo(line)
        t = cfg.throughput
        echo(
            f"Estimated total: ~{total_s / 60:.0f} min ({total_s / 3600:.1f} h) of machine time "
            f"at the config's `throughput` rates (train {t.train_tokens_per_s:,.0f} tokens/s, "
            f"DPO x{t.dpo_cost_factor}, generation {t.gen_tokens_per_s:,.0f} tokens/s)."
        )
        return run
    recorded = run.init_state()
    added = [a for a in cfg.arms if recorded is not None and a not in recorded]
    if added:  # a run grows: the stages that summarise every arm record the arms they saw
        echo(f"[grow] arms added to {out}: {', '.join(added)}")
        done = run.state().get("stages", {})
        for s in stages:
            if s.summary and s.name in done and "arms" not in done[s.name]:
                run.note(s.name, arms=recorded)
    # --only and --from rerun their stages even when done; --from also reruns everything after
    forced = set(only or []) | ({s.name for s in chosen} if start else set())
    for s in chosen:
        if finished(run, s) and s.name not in forced:
            echo(f"[skip] {s.name}: done")
            continue
        left_out = s.skip(run) if s.skip else None
        if left_out:  # an arm this run leaves out: recorded, inputs not required
            run.mark(s.name, "done", 0.0, skipped=left_out)
            echo(f"[skip] {s.name}: {left_out}")
            continue
        check_inputs(run, s, stages)
        echo(f"[run ] {s.name}: {s.describe}")
        t0 = time.time()
        run.mark(s.name, "running", 0.0)
        info = s.run(run) or {}
        lost = [] if info.get("skipped") else missing_outputs(run, s)
        if lost:
            run.mark(s.name, "failed", time.time() - t0, missing=lost)
            raise SaroError(
                f"Stage {s.name} finished without writing {', '.join(lost)}.",
                "This is a bug in saro: please report it with the run's run.json.",
            )
        if s.summary:
            info = {**info, "arms": list(cfg.arms)}
        run.mark(s.name, "done", time.time() - t0, **info)
        echo(f"[done] {s.name} in {(time.time() - t0) / 60:.1f} min")
    return run
