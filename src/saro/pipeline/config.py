"""The run config: one section per stage, loaded from one YAML file plus ``--set`` overrides.

``configs/demo.yaml`` documents each section. Seeds: ``split_seed`` decides the prompt and
attack splits and which prompts every evaluation suite draws, for training and evaluation
alike; ``seed`` seeds sampling and training only. Runs that differ only in ``seed`` therefore
train on the same side of the same splits and are evaluated on the same prompts, which is what
paired comparisons across seeds need.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from saro.config import from_dict, merge, parse_set, read_yaml_file
from saro.datagen.preference.config import DirectConfig, PrefConfig
from saro.datagen.rit.config import RitConfig
from saro.errors import SaroError, unknown_name
from saro.pipeline.roster import DEFAULT_ARMS, MODELS, TRAINED, arm


@dataclass
class EvalConfig:
    """Evaluation of every model.

    Attributes:
        suites: Suite names (``saro eval --help``).
        limit: Prompts per suite (None: each suite's default).
        limits: Per-suite prompt counts overriding ``limit``, e.g. ``{gsm8k: 10}``.
        max_new_tokens: Generation budget (None: each suite's default).
        max_reasoning_tokens: Budget forcing: the reasoning's budget; an unfinished reasoning is
            closed and the answer generated (set with ``max_answer_tokens``; None: off).
        max_answer_tokens: Budget forcing: the answer's own budget.
        judges: Safety judge specs; the first gives the headline numbers.
        models: Which models to evaluate (keys of the roster).
        engine: Generation engine for evaluation (``hf`` or ``vllm``).
    """

    suites: list[str] = field(
        default_factory=lambda: ["jailbreak", "harmful", "overrefusal", "gsm8k", "arc_easy"]
    )
    limit: int | None = None
    limits: dict[str, int] = field(default_factory=dict)
    max_new_tokens: int | None = None
    max_reasoning_tokens: int | None = None
    max_answer_tokens: int | None = None
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

    # fitted to the quiet demo of 2026-12-06 (docs/results.md: 21.9 min of stages, estimate 25)
    train_tokens_per_s: float = 125.0  # per estimated token (RIT-D rows estimated at 295 tokens)
    dpo_cost_factor: float = 2.2
    gen_tokens_per_s: float = 115.0  # rollouts and eval, with budget forcing, loading and judging


@dataclass
class RunConfig:
    """Everything ``saro run`` needs.

    Attributes:
        base_model: The model SaRO starts from (name, folder or hub id).
        seed: Seed for sampling and training.
        split_seed: Seed of the prompt and attack splits and of each eval suite's prompts.
        seeds: Training seeds for a multi-seed run (``saro run --seeds``): one run directory
            per seed under the output folder, then an aggregate with paired tests
            (saro.pipeline.seeds). None: one run with ``seed``.
        rit: RIT-D settings (``saro data rit``).
        pref: OP-COT / PP-COT settings (``saro data opcot|ppcot``).
        direct: Direct pairs for the direct-DPO baseline (``saro data direct``).
        control: Pairs for the control arm, Safety-SFT -> DPO: the Safety-SFT model's own
            accepted answers over its own failures, no reasoning (same settings as ``direct``).
        arms: The roster arms this run trains and evaluates (default: every arm but the
            ablations, such as ``saro_op``); an arm needs the arm it starts from (``sft_dpo``
            needs ``safety_sft``, ``saro`` and ``saro_op`` need ``rw``).
        train: Per-arm training settings (``rw``, ``safety_sft``, ``sft_dpo``, ``saro``,
            ``direct_dpo``): any ``saro train`` key; model, data and output paths are filled
            in by the pipeline.
        eval: Evaluation settings.
        analysis: Analysis settings.
        throughput: Rates for ``--dry-run`` estimates.
    """

    base_model: str = "smollm2-135m"
    seed: int = 0
    split_seed: int = 0
    seeds: list[int] | None = None
    rit: RitConfig = field(default_factory=RitConfig)
    pref: PrefConfig = field(default_factory=PrefConfig)
    direct: DirectConfig = field(default_factory=DirectConfig)
    control: DirectConfig = field(default_factory=DirectConfig)
    arms: list[str] = field(default_factory=lambda: list(DEFAULT_ARMS))
    train: dict[str, dict[str, Any]] = field(default_factory=dict)
    eval: EvalConfig = field(default_factory=EvalConfig)
    analysis: AnalysisConfig = field(default_factory=AnalysisConfig)
    throughput: Throughput = field(default_factory=Throughput)


# Keys the pipeline sets itself; a stage section that sets them is refused (they would be ignored).
PIPELINE_KEYS = {
    "rit": ("seed", "split_seed"),
    "pref": ("seed", "split_seed"),
    "direct": ("seed",),
    "control": ("seed",),
}


# Training keys the pipeline fills in from the run (refused in a train.<arm> section).
PIPELINE_TRAIN_KEYS = frozenset(
    {"model_name_or_path", "output_dir", "seed", "stage", "train_file", "train_files", "resume"}
)


def load_run_config(path: str | Path, overrides: list[str] | None = None) -> RunConfig:
    """Read, merge and check a run config (every section, every training arm) before any work."""
    data = merge(read_yaml_file(path), parse_set(overrides))
    for section, keys in PIPELINE_KEYS.items():
        for key in keys:
            section_data = data.get(section)
            if isinstance(section_data, dict) and key in section_data:
                raise SaroError(
                    f"{path}: {section}.{key} is set by the pipeline from the run's top-level "
                    f"{'split_seed' if key == 'split_seed' else 'seed'}.",
                    f"Remove {section}.{key} and set the top-level key instead.",
                )
    cfg = from_dict(RunConfig, data, where=str(path))
    for key in cfg.train:
        if key not in TRAINED:
            raise unknown_name("training arm", key, TRAINED)
    for m in cfg.eval.models:
        arm(m)
    from saro.evaluate.suites import get_suite

    for name in [*cfg.eval.suites, *cfg.eval.limits]:  # a typo fails now, not after training
        get_suite(name)
    for key in cfg.arms:
        start = arm(key).start
        if start and arm(start).trained and start not in cfg.arms:
            raise SaroError(
                f"{path}: arms lists {key!r} but not {start!r}, which it is trained from.",
                f"Add {start!r} to arms, or remove {key!r}.",
            )
    check_train_sections(cfg)
    return cfg


def check_train_sections(cfg: RunConfig) -> None:
    """Validate every ``train`` section now, so a typo fails before hours of work."""
    from saro.train.config import build_config

    for key in TRAINED:
        a = arm(key)
        values = {
            **cfg.train.get(key, {}),
            "model_name_or_path": cfg.base_model,
            "output_dir": "unused",
        }
        if a.trainer == "sft":
            values["train_file"] = "unused.jsonl"
        else:
            values["train_files"] = ["unused.jsonl"]
        config = build_config(a.trainer, values, source=f"train.{key}")
        if config.use_lora and not config.merge_lora:
            raise SaroError(
                f"train.{key} saves a LoRA adapter alone (merge_lora: false), which the next "
                "stages cannot load as a model.",
                f"Remove train.{key}.merge_lora (saro run merges adapters into the weights).",
            )
        owned = sorted(set(cfg.train.get(key, {})) & PIPELINE_TRAIN_KEYS)
        if owned:
            raise SaroError(
                f"train.{key} sets {', '.join(owned)}, which saro run fills in itself.",
                "Remove them (the run's seed and paths are used).",
            )
