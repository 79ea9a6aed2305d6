"""``saro run``: the whole SaRO chain from one config, resumable stage by stage.

Usage::

    saro run --config configs/demo.yaml --out runs/demo          # everything
    saro run --config configs/demo.yaml --out runs/demo --dry-run
    saro run --config configs/demo.yaml --out runs/demo --from opcot
    saro run --config configs/demo.yaml --out runs/demo --only eval_saro

Stages (in order): splits, rit, train_rw, train_safety_sft, opcot, ppcot, direct_pairs,
train_saro, train_direct_dpo, eval_<model> for each model, analyze, report. Each writes into
RUN_DIR (docs/rundir.md) and marks itself done last; a finished stage is skipped, so a killed run
resumes where it stopped (training resumes from its last checkpoint).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from saro import __version__
from saro.build.outcome import PrefConfig
from saro.build.rit import RitConfig
from saro.config import from_dict, merge, parse_set, read_yaml_file, to_dict
from saro.errors import SaroError, unknown_name
from saro.security import redact

MODELS = ("base", "safety_sft", "direct_dpo", "rw", "saro")
DISPLAY = {
    "base": "Base",
    "safety_sft": "Safety-SFT",
    "direct_dpo": "Direct-DPO",
    "rw": "RW",
    "saro": "SaRO",
}


@dataclass
class DirectConfig:
    """Direct (no-reasoning) pairs for the direct-DPO baseline.

    Attributes:
        kinds: RIT-D kinds to use.
        n: Base-model samples per prompt.
        temperature: Sampling temperature.
        max_new_tokens: Cap per sample.
        limit: Use a seeded sample of this many prompts (None: all of the kinds' prompts).
    """

    kinds: list[str] = field(default_factory=lambda: ["harmful", "jailbreak", "benign"])
    n: int = 2
    temperature: float = 1.0
    max_new_tokens: int = 160
    limit: int | None = None


@dataclass
class EvalConfig:
    """Evaluation of every model.

    Attributes:
        suites: Suite names (``saro eval --help``).
        limit: Prompts per suite (None: each suite's default).
        limits: Per-suite prompt counts overriding ``limit``, e.g. ``{gsm8k: 10}``.
        max_new_tokens: Generation budget (None: each suite's default).
        judges: Safety judge specs; the first gives the headline numbers.
        models: Which models to evaluate.
        engine: Generation engine for evaluation (``hf`` or ``vllm``).
    """

    suites: list[str] = field(
        default_factory=lambda: ["jailbreak", "harmful", "overrefusal", "gsm8k", "arc_easy"]
    )
    limit: int | None = None
    limits: dict[str, int] = field(default_factory=dict)
    max_new_tokens: int | None = None
    judges: list[str] = field(default_factory=lambda: ["refusal"])
    models: list[str] = field(default_factory=lambda: list(MODELS))
    engine: str = "hf"


@dataclass
class AnalysisConfig:
    """``saro analyze`` settings.

    Attributes:
        embeddings: Run the embedding-overlap analysis (two models' forward passes).
        n_per_kind: Prompts per kind for the embedding analysis.
    """

    embeddings: bool = True
    n_per_kind: int = 30


@dataclass
class Throughput:
    """Rates ``--dry-run`` uses to estimate time (2-core CPU; see docs/performance.md).

    Attributes:
        train_tokens_per_s: SFT tokens per second (full fine-tune).
        dpo_cost_factor: DPO cost per pair token relative to SFT.
        gen_tokens_per_s: Generation tokens per second (hf engine, batched).
    """

    train_tokens_per_s: float = 77.0  # RW and Safety-SFT at batch 4 in the demo (results.md)
    dpo_cost_factor: float = 1.6
    gen_tokens_per_s: float = 74.0  # OP-COT rollouts and eval in the demo, incl. loading/judging


@dataclass
class RunConfig:
    """Everything ``saro run`` needs (configs/demo.yaml documents each section).

    Attributes:
        base_model: The model SaRO starts from (name, folder or hub id).
        seed: Seed for splits, sampling and training.
        rit: RIT-D settings (``saro data rit``).
        pref: OP-COT / PP-COT settings (``saro data opcot|ppcot``).
        direct: Direct pairs for the direct-DPO baseline.
        train: Per-stage training settings (``rw``, ``safety_sft``, ``saro``, ``direct_dpo``):
            any ``saro train`` key; paths are filled in by the pipeline.
        eval: Evaluation settings.
        analysis: Analysis settings.
        throughput: Rates for ``--dry-run`` estimates.
    """

    base_model: str = "smollm2-135m"
    seed: int = 0
    rit: RitConfig = field(default_factory=RitConfig)
    pref: PrefConfig = field(default_factory=PrefConfig)
    direct: DirectConfig = field(default_factory=DirectConfig)
    train: dict[str, dict[str, Any]] = field(default_factory=dict)
    eval: EvalConfig = field(default_factory=EvalConfig)
    analysis: AnalysisConfig = field(default_factory=AnalysisConfig)
    throughput: Throughput = field(default_factory=Throughput)


def load_run_config(path: str | Path, overrides: list[str] | None = None) -> RunConfig:
    data = merge(read_yaml_file(path), parse_set(overrides))
    cfg = from_dict(RunConfig, data, where=str(path))
    for key in cfg.train:
        if key not in ("rw", "safety_sft", "saro", "direct_dpo"):
            raise unknown_name("training stage", key, ("rw", "safety_sft", "saro", "direct_dpo"))
    for m in cfg.eval.models:
        if m not in MODELS:
            raise unknown_name("model key", m, MODELS)
    check_train_sections(cfg)
    return cfg


TRAIN_KINDS = {"rw": "sft", "safety_sft": "sft", "saro": "dpo", "direct_dpo": "dpo"}


def check_train_sections(cfg: RunConfig) -> None:
    """Validate every ``train`` section now, so a typo fails before hours of work."""
    from saro.train.config import build_config

    for key, kind in TRAIN_KINDS.items():
        values = {
            **cfg.train.get(key, {}),
            "model_name_or_path": cfg.base_model,
            "output_dir": "unused",
        }
        values["train_file" if kind == "sft" else "train_files"] = (
            "unused.jsonl" if kind == "sft" else ["unused.jsonl"]
        )
        build_config(kind, values, source=f"train.{key}")


class Run:
    """A run directory plus its config; stages read and write through it."""

    def __init__(self, cfg: RunConfig, out: str | Path, *, progress: bool = True):
        self.cfg = cfg
        self.dir = Path(out)
        self.progress = progress

    def path(self, *parts: str) -> Path:
        return self.dir.joinpath(*parts)

    def model_path(self, key: str) -> str:
        return self.cfg.base_model if key == "base" else str(self.path("models", key))

    # -- bookkeeping ----------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        f = self.path("run.json")
        return json.loads(f.read_text()) if f.exists() else {}

    def save_state(self, state: dict[str, Any]) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = self.path("run.json.tmp")
        tmp.write_text(json.dumps(state, indent=2, default=str))
        tmp.replace(self.path("run.json"))

    def init_state(self) -> None:
        from saro.wheels import WHEELS

        state = self.state()
        resolved = redact(to_dict(self.cfg))
        if state.get("config") not in (None, resolved):
            raise SaroError(
                f"{self.dir} holds a run of a different config.",
                "Use another --out, or delete the directory to start over.",
            )
        state.setdefault("stages", {})
        state.update(
            config=resolved,
            seed=self.cfg.seed,
            saro_version=__version__,
            wheels={w.dist: {"version": w.version, "sha256": w.sha256} for w in WHEELS.values()},
        )
        self.save_state(state)

    def done(self, stage: str) -> bool:
        return self.state().get("stages", {}).get(stage, {}).get("status") == "done"

    def mark(self, stage: str, status: str, seconds: float, **extra: Any) -> None:
        state = self.state()
        state.setdefault("stages", {})[stage] = {
            "status": status,
            "seconds": round(seconds, 1),
            **extra,
        }
        self.save_state(state)


@dataclass
class Stage:
    name: str
    run: Callable[[Run], dict[str, Any] | None]
    estimate: Callable[[Run], tuple[int, float]]  # (tokens, seconds)
    describe: str


def run_pipeline(
    cfg: RunConfig,
    out: str | Path,
    *,
    start: str | None = None,
    only: list[str] | None = None,
    dry_run: bool = False,
    progress: bool = True,
    echo: Callable[[str], None] = print,
) -> Run:
    """Run (or plan) the stages; returns the :class:`Run`."""
    from saro.stages import STAGES

    names = [s.name for s in STAGES]
    for name in (only or []) + ([start] if start else []):
        if name not in names:
            raise unknown_name("stage", name, names)
    run = Run(cfg, out, progress=progress)
    chosen = [s for s in STAGES if (not only or s.name in only)]
    if start:
        chosen = chosen[names.index(start) :] if not only else chosen
    if dry_run:
        total_s = 0.0
        echo(f"Plan for {out} ({len(chosen)} stages):")
        for s in chosen:
            tokens, secs = s.estimate(run)
            total_s += secs
            flag = "done, skip" if run.done(s.name) else f"~{tokens:,} tokens, ~{secs / 60:.1f} min"
            echo(f"  {s.name:<18} {s.describe:<58} {flag}")
        echo(
            f"Estimated total: ~{total_s / 60:.0f} min on this machine "
            f"(rates in config `throughput`)."
        )
        return run
    run.init_state()
    # --only and --from rerun their stages even when done; --from also reruns everything after
    forced = set(only or []) | ({s.name for s in chosen} if start else set())
    for s in chosen:
        if run.done(s.name) and s.name not in forced:
            echo(f"[skip] {s.name}: done")
            continue
        echo(f"[run ] {s.name}: {s.describe}")
        t0 = time.time()
        run.mark(s.name, "running", 0.0)
        info = s.run(run) or {}
        run.mark(s.name, "done", time.time() - t0, **info)
        echo(f"[done] {s.name} in {(time.time() - t0) / 60:.1f} min")
    return run
