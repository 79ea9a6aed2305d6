"""The stages of ``saro run``: what each runs, the files it reads and the files it writes.

Each stage takes the :class:`~saro.pipeline.rundir.Run` (paths and config), builds its own
copy of its config section with the run's seeds filled in (the user's config is never changed),
and writes only the files it declares: the runner checks them after the stage and treats a
stage as done only while they all exist. Paths are relative to the run directory.

The order is the chain: ``splits`` → ``rit`` → RW and Safety-SFT → OP-COT, PP-COT (from RW) →
direct pairs (from the base) and control pairs (from Safety-SFT) → SaRO (SRPO), Direct-DPO and
Safety-SFT→DPO → one eval per roster arm → ``analyze`` → ``report``. An arm left out of the
config's ``arms`` is skipped with its pairs, training and eval (recorded as skipped in
``run.json``). ``tests/test_chain.py`` runs it over a tiny model.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from saro.pipeline import estimate as est
from saro.pipeline.roster import ROSTER, Arm, arm
from saro.pipeline.rundir import Run
from saro.store import write_json

RIT_FILES = ("rit/rit.jsonl", "rit/safety_sft.jsonl", "rit/card.json", "rit/card.md")
CARD = ("pairs.jsonl", "card.json", "card.md")


@dataclass(frozen=True)
class Stage:
    """One step of the chain.

    Attributes:
        name: Stage name (``--from``, ``--only``, ``run.json``).
        run: Does the work; returns a few numbers for ``run.json``.
        estimate: ``(tokens, seconds)`` for ``--dry-run``.
        describe: One line for the plan.
        reads: Files it needs from earlier stages (run-relative).
        writes: Files it writes (run-relative); all must exist after it runs.
        skip: ``skip(run) -> reason or None``: why this run leaves the stage out (an arm not
            in the config's ``arms``); the runner then records it as skipped without
            checking its inputs.
        summary: It summarises every arm (analysis, report): rerun when a run gains arms.
    """

    name: str
    run: Callable[[Run], dict[str, Any] | None]
    estimate: Callable[[Run], tuple[int, float]]
    describe: str
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    skip: Callable[[Run], str | None] | None = None
    summary: bool = False


def model_files(key: str) -> tuple[str, ...]:
    """What a trained arm's folder must hold to count as written (nothing for the base)."""
    return (f"models/{key}/config.json", f"models/{key}/run.json") if arm(key).trained else ()


# -- the work ------------------------------------------------------------------------------
def _splits(run: Run) -> dict[str, Any]:
    from saro.attacks import load_attacks, split_attacks
    from saro.sources.splits import default_plan

    seed = run.cfg.split_seed
    _, manifest = default_plan(seed).run()
    attacks = split_attacks(load_attacks(), seed=seed).manifest()
    write_json(run.path("splits", "manifest.json"), {"prompts": manifest, "attacks": attacks})
    return {}


def _rit(run: Run) -> dict[str, Any]:
    from saro.datagen.rit.build import build_rit

    cfg = dataclasses.replace(run.cfg.rit, seed=run.cfg.seed, split_seed=run.cfg.split_seed)
    card = build_rit(cfg, run.path("rit"), progress=run.progress)
    return {
        "rows": card["rows"],
        "seed_traces_left_out": sum(card["seed_traces_left_out"].values()),
    }


def _pref_cfg(run: Run) -> Any:
    p = run.cfg.pref
    return dataclasses.replace(
        p,
        seed=run.cfg.seed,
        split_seed=run.cfg.split_seed,
        rit=p.rit or str(run.path("rit", "rit.jsonl")),
    )


def _pref(which: str) -> Callable[[Run], dict[str, Any]]:
    def stage(run: Run) -> dict[str, Any]:
        from saro.datagen.preference.build import build_opcot_dir, build_ppcot_dir

        if skipped := _skipped(run, *PREF_USERS[which]):
            return skipped
        build = build_opcot_dir if which == "opcot" else build_ppcot_dir
        card = build(run.model_path("rw"), _pref_cfg(run), run.path("pref", which),
                     progress=run.progress)  # fmt: skip
        return {"pairs": card["pairs"]}

    return stage


def _left_out(*keys: str) -> Callable[[Run], str | None]:
    """Why a stage is skipped: none of the arms it serves is in the run (a training stage serves
    its own arm; a data stage the arms that train on it, e.g. OP-COT: SaRO and its OP-COT-only
    ablation)."""

    def reason(run: Run) -> str | None:
        if any(k in run.cfg.arms for k in keys):
            return None
        return f"{' and '.join(keys)} not in arms"

    return reason


PREF_USERS = {"opcot": ("saro", "saro_op"), "ppcot": ("saro",)}


def _eval_left_out(key: str) -> Callable[[Run], str | None]:
    def reason(run: Run) -> str | None:
        if left_out := _left_out(key)(run):
            return left_out
        return None if key in run.cfg.eval.models else f"{key} not in eval.models"

    return reason


def _skipped(run: Run, *keys: str) -> dict[str, Any] | None:
    """The stage's result when called directly for arms the run leaves out (the runner
    skips such stages before calling them, by :attr:`Stage.skip`)."""
    reason = _left_out(*keys)(run)
    return {"skipped": reason} if reason else None


def _direct_pairs(key: str) -> Callable[[Run], dict[str, Any]]:
    """Pairs without reasoning for ``direct_dpo`` (from the base, chosen = Safety-SFT answers)
    or ``sft_dpo`` (the control: from Safety-SFT, chosen = its own accepted answers)."""

    def stage(run: Run) -> dict[str, Any]:
        from saro.datagen.preference.build import build_direct_dir

        if skipped := _skipped(run, key):
            return skipped
        control = key == "sft_dpo"
        d, p = (run.cfg.control if control else run.cfg.direct), run.cfg.pref
        cfg = dataclasses.replace(d, seed=run.cfg.seed, engine=d.engine or p.sampling.engine,
                                  policy=d.policy or p.policy)  # fmt: skip
        card = build_direct_dir(
            run.model_path(arm(key).start or "base"), cfg, run.path("rit", "safety_sft.jsonl"),
            run.path(arm(key).data[0]).parent, progress=run.progress, on_policy_chosen=control,
            dataset="Safety-SFT→DPO pairs (control)" if control else "Direct pairs",
        )  # fmt: skip
        return {"pairs": card["pairs"]}

    return stage


def _train(a: Arm) -> Callable[[Run], dict[str, Any]]:
    def stage(run: Run) -> dict[str, Any]:
        from saro.train.common import last_checkpoint
        from saro.train.config import build_config

        if skipped := _skipped(run, a.key):
            return skipped
        out = run.path("models", a.key)
        files = [str(run.path(f)) for f in a.data]
        values = {
            **run.cfg.train.get(a.key, {}),
            "model_name_or_path": run.model_path(a.start or "base"),
            "output_dir": str(out),
            "seed": run.cfg.seed,
            "stage": a.stage,
            **({"train_file": files[0]} if a.trainer == "sft" else {"train_files": files}),
        }
        values["resume"] = last_checkpoint(out) is not None
        # a finished run whose model files are gone is trained again, not reported as done
        gone = any(not run.path(f).exists() for f in model_files(a.key))
        if gone and (out / "run.json").exists() and not values["resume"]:
            values["overwrite"] = True
        config = build_config(a.trainer, values, source=f"train.{a.key}")
        if a.trainer == "sft":
            from saro.train.sft import main
        else:
            from saro.train.dpo import main
        main(config)
        return {}

    return stage


def _eval(key: str) -> Callable[[Run], dict[str, Any]]:
    def stage(run: Run) -> dict[str, Any]:
        from saro.engines.forcing import budget_of
        from saro.evaluate.runner import evaluate

        e = run.cfg.eval
        if reason := _eval_left_out(key)(run):
            return {"skipped": reason}
        metrics = evaluate(
            run.model_path(key),
            e.suites,
            run.path("eval", key),
            limit=e.limit,
            # limits of suites a --set suites=[...] leaves out do not apply (names checked at load)
            limits={k: v for k, v in e.limits.items() if k in e.suites},
            engine=e.engine,
            judges=e.judges,
            max_new_tokens=e.max_new_tokens,
            budget=budget_of(e.max_reasoning_tokens, e.max_answer_tokens),
            seed=run.cfg.seed,
            split_seed=run.cfg.split_seed,
            progress=run.progress,
            force=True,
        )
        return {"suites": sorted(metrics.get("suites", metrics))}

    return stage


def _analyze(run: Run) -> dict[str, Any]:
    from saro.analysis import analyze

    a = run.cfg.analysis
    analyze(run.dir, embeddings=a.embeddings, n_per_kind=a.n_per_kind)
    return {}


def _report(run: Run) -> dict[str, Any]:
    from saro.analysis.report import write_report

    md, _ = write_report(run.dir)
    return {"report": str(md)}


# -- the chain -----------------------------------------------------------------------------
def _train_stage(key: str, estimate: Callable[[Run], tuple[int, float]]) -> Stage:
    a = arm(key)
    return Stage(
        f"train_{key}", _train(a), estimate, f"{a.describe} -> models/{key}",
        reads=a.data + model_files(a.start or "base"), writes=model_files(key),
        skip=_left_out(key),
    )  # fmt: skip


def _eval_stage(a: Arm) -> Stage:
    return Stage(
        f"eval_{a.key}", _eval(a.key), est.gen(est.eval_tokens),
        f"evaluate {a.display} on every suite -> eval/{a.key}",
        reads=model_files(a.key), writes=(f"eval/{a.key}/metrics.json", f"eval/{a.key}/results.md"),
        skip=_eval_left_out(a.key),
    )  # fmt: skip


def _pref_stage(which: str, describe: str, estimate: Callable) -> Stage:
    extra = ("rollouts.jsonl",) if which == "opcot" else ()
    return Stage(
        which, _pref(which), est.gen(estimate), describe,
        reads=("rit/rit.jsonl", *model_files("rw")),
        writes=tuple(f"pref/{which}/{f}" for f in CARD + extra),
        skip=_left_out(*PREF_USERS[which]),
    )  # fmt: skip


STAGES: tuple[Stage, ...] = (
    Stage("splits", _splits, est.zero, "prompt splits and attack splits -> splits/",
          writes=("splits/manifest.json",)),
    Stage("rit", _rit, est.zero, "RIT-D + Safety-SFT variant (SRS) -> rit/", writes=RIT_FILES),
    _train_stage("rw", est.train("rw", est.RIT_TOKENS, est.n_rit)),
    _train_stage("safety_sft", est.train("safety_sft", est.DIRECT_TOKENS, est.n_rit)),
    _pref_stage("opcot", "OP-COT: on-policy rollouts of RW, judged pairs -> pref/opcot",
                est.opcot_tokens),
    _pref_stage("ppcot", "PP-COT: stepwise-reflection pairs -> pref/ppcot", est.ppcot_tokens),
    Stage("direct_pairs", _direct_pairs("direct_dpo"), est.gen(est.direct_tokens("direct")),
          "direct pairs from the base model -> pref/direct",
          reads=("rit/safety_sft.jsonl",), writes=tuple(f"pref/direct/{f}" for f in CARD),
          skip=_left_out("direct_dpo")),
    Stage("control_pairs", _direct_pairs("sft_dpo"), est.gen(est.direct_tokens("control")),
          "control pairs: Safety-SFT's own answers, judged -> pref/control",
          reads=("rit/safety_sft.jsonl", *model_files("safety_sft")),
          writes=tuple(f"pref/control/{f}" for f in CARD), skip=_left_out("sft_dpo")),
    _train_stage("saro", est.train("saro", 420, est.pref_pairs, dpo=True)),
    _train_stage("saro_op", est.train("saro_op", 420, est.pref_pairs, dpo=True)),
    _train_stage("direct_dpo", est.train("direct_dpo", 180, est.n_rit, dpo=True)),
    _train_stage("sft_dpo", est.train("sft_dpo", 180, est.n_rit, dpo=True)),
    *(_eval_stage(a) for a in ROSTER),
    Stage("analyze", _analyze, est.zero,
          "embeddings, DPO curves, reflection, cost -> analysis/", writes=("analysis/index.json",),
          summary=True),
    Stage("report", _report, est.zero, "report.md + report.html",
          writes=("report.md", "report.html"), summary=True),
)  # fmt: skip
