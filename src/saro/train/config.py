"""Training configs: TRL's ``SFTConfig``/``DPOConfig`` plus the few fields saro needs.

The classes only *add* fields (model, data files, LoRA, run bookkeeping) and change three
defaults for CPU machines: TRL turns on bf16 and gradient checkpointing by default, which on a
CPU without bf16 support fails or only costs time (docs/training.md), and reporting goes to no
external tracker. A YAML file gives the values; ``--set key=value`` overrides them::

    cfg = load_config("sft", "configs/train/sft-rw.yaml", ["max_steps=20", "use_lora=true"])

An unknown key is a :class:`~saro.errors.SaroError` that names the nearest real key.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trl import DPOConfig, SFTConfig

from saro.config import check_keys, check_value, merge, parse_set, read_yaml_file
from saro.errors import SaroError
from saro.train.speed import LOSS_HEADS

# Fields that change how a run is logged, saved or resumed but not what it learns: they are left
# out of the run hash, so ``--resume`` or another logging cadence does not count as a new run.
VOLATILE_FIELDS = frozenset(
    {
        "output_dir",
        "logging_dir",
        "local_rank",
        "resume",
        "overwrite",
        "resume_from_checkpoint",
        "report_to",
        "logging_steps",
        "logging_first_step",
        "save_steps",
        "save_strategy",
        "save_total_limit",
        "eval_steps",
        "eval_strategy",
        "disable_tqdm",
        "dataloader_num_workers",
        "dataset_num_proc",
        "precompute_ref_batch_size",
        "per_device_eval_batch_size",
        "hub_token",
        "push_to_hub",
        "use_cpu",
    }
)


@dataclass
class _SaroFields:
    """Fields shared by both stages (mixed into the TRL configs below)."""

    model_name_or_path: str = field(
        default="smollm2-135m",
        metadata={
            "help": "Starting model: a saro model name (see `saro models list`), a local folder "
            "(e.g. the output_dir of an earlier stage) or a Hugging Face Hub id."
        },
    )
    model_dtype: str = field(
        default="float32",
        metadata={
            "help": "dtype the weights are loaded in: float32, bfloat16, float16 or auto. Mixed "
            "precision during training is controlled separately by bf16/fp16."
        },
    )
    attn_implementation: str = field(
        default="sdpa",
        metadata={
            "help": "Attention kernel: sdpa (CPU and GPU), eager, or flash_attention_2 (GPU)."
        },
    )
    max_train_samples: int | None = field(
        default=None,
        metadata={
            "help": "Use only N training records (quick runs, small budgets): a seeded sample "
            "(SFT: of the RIT-D file; DPO: across all train_files), drawn from every kind, file "
            "and pair level rather than the first rows."
        },
    )
    use_lora: bool = field(
        default=False,
        metadata={"help": "Train a LoRA adapter (PEFT) instead of all weights."},
    )
    lora_r: int = field(default=16, metadata={"help": "LoRA rank."})
    lora_alpha: int = field(default=32, metadata={"help": "LoRA scaling numerator (alpha)."})
    lora_dropout: float = field(default=0.05, metadata={"help": "Dropout on the LoRA input."})
    lora_target_modules: list[str] | str = field(
        default="all-linear",
        metadata={
            "help": "Modules that get adapters: 'all-linear' (every linear layer but the LM head) "
            "or a list of module names such as [q_proj, v_proj]."
        },
    )
    merge_lora: bool = field(
        default=True,
        metadata={
            "help": "Merge the trained adapter into the base weights when saving, so the output "
            "folder is a plain model the next stage and the engines can load. False saves the "
            "adapter alone."
        },
    )
    sorted_batches: bool = field(
        default=True,
        metadata={
            "help": "Sort the training set by length, cut it into batches and shuffle the batch "
            "order (seeded, per epoch): ~4% padded tokens instead of ~16% with "
            "group_by_length or ~35% with random batches (bench/train.py). Ignored with packing. "
            "False leaves the order to train_sampling_strategy."
        },
    )
    resume: bool = field(
        default=False,
        metadata={"help": "Continue from the last checkpoint in output_dir (`--resume`)."},
    )
    overwrite: bool = field(
        default=False,
        metadata={
            "help": "Delete an earlier saro run in output_dir instead of refusing to touch it "
            "(`--overwrite`)."
        },
    )


@dataclass
class _CpuDefaults:
    """Defaults that differ from TRL's; listed first among the bases so these fields win."""

    bf16: bool | None = field(
        default=False,
        metadata={
            "help": "bf16 mixed precision. Off by default (TRL turns it on): most CPUs have no "
            "fast bf16 and a CPU run needs use_cpu=true with it. Turn on for GPUs."
        },
    )
    activation_checkpointing: bool | None = field(
        default=None,
        metadata={
            "help": "Recompute activations in the backward pass to save memory. Off unless set "
            "(TRL turns it on): it costs ~20% time, which a small model on CPU does not need."
        },
    )
    gradient_checkpointing: bool | None = field(
        default=None,
        metadata={"help": "Deprecated transformers alias of activation_checkpointing."},
    )
    report_to: str | list[str] | None = field(
        default="none",
        metadata={"help": "Experiment trackers (none, tensorboard, wandb, trackio...)."},
    )
    logging_steps: float = field(
        default=1, metadata={"help": "Log (and append to metrics.jsonl) every N steps."}
    )


@dataclass
class SaroSFTConfig(_CpuDefaults, SFTConfig, _SaroFields):
    """SFT config for the RW stage and the Safety-SFT baseline (TRL ``SFTConfig`` + saro fields)."""

    stage: str = field(
        default="rw",
        metadata={
            "help": "Stage name: rw (reasoning warmup) or safety-sft (baseline); recorded in "
            "run.json and metrics.jsonl."
        },
    )
    train_file: str = field(
        default="",
        metadata={
            "help": "RIT-D JSONL: one {'messages': [user, assistant], ...} record a line (TRL "
            "conversational format)."
        },
    )
    eval_file: str | None = field(
        default=None, metadata={"help": "Optional held-out RIT-D JSONL for the eval loss."}
    )
    loss_head: str = field(
        default="auto",
        metadata={
            "help": "How the loss is computed: trl (TRL's fused, tiled log-prob head, which "
            "also logs entropy and token accuracy; saves memory on GPUs), model (the model's own "
            "cross entropy on full logits: ~35% faster per step on CPU, no entropy/accuracy "
            "metrics) or auto (model on CPU-only machines, trl otherwise).",
            "choices": list(LOSS_HEADS),
        },
    )
    strip_reasoning: bool = field(
        default=False,
        metadata={
            "help": "Drop the <think>...</think> block from every assistant answer: the "
            "Safety-SFT baseline trains on the answers alone."
        },
    )

    def __post_init__(self):
        if self.loss_head not in LOSS_HEADS:
            raise ValueError(f"loss_head must be one of {LOSS_HEADS}, not {self.loss_head!r}")
        super().__post_init__()


@dataclass
class SaroDPOConfig(_CpuDefaults, DPOConfig, _SaroFields):
    """DPO config for SRPO and the direct-DPO baseline (TRL ``DPOConfig`` + saro fields)."""

    stage: str = field(
        default="srpo",
        metadata={
            "help": "Stage name: srpo, direct-dpo (baseline) or sft-dpo (control); recorded in "
            "run.json and metrics.jsonl."
        },
    )
    train_files: list[str] = field(
        default_factory=list,
        metadata={
            "help": "Preference JSONL files (OP-COT, PP-COT or direct pairs): {'prompt', "
            "'chosen', 'rejected', 'level'} records, conversational or text."
        },
    )
    eval_files: list[str] = field(
        default_factory=list,
        metadata={
            "help": "Held-out preference files; evaluated per pair level (eval_outcome_*, "
            "eval_process_*) for the reward-accuracy and margin curves."
        },
    )
    eval_fraction: float = field(
        default=0.0,
        metadata={
            "help": "Hold out this fraction of each pair level of train_files for the per-level "
            "eval curves when no eval_files are given (0 = no hold-out)."
        },
    )
    ref_model_name_or_path: str | None = field(
        default=None,
        metadata={
            "help": "Reference policy. Default: the starting model itself (SRPO: the RW model; "
            "direct DPO: the base model)."
        },
    )
    precompute_ref_log_probs: bool = field(
        default=True,
        metadata={
            "help": "Compute the frozen reference log-probs once before training and reuse them "
            "(one forward per pair instead of one per step; no reference model in memory)."
        },
    )


CONFIG_CLASSES: dict[str, type] = {"sft": SaroSFTConfig, "dpo": SaroDPOConfig}
# Which trainer each named stage uses (a config whose stage belongs to the other one is refused).
STAGE_KINDS: dict[str, str] = {
    "rw": "sft", "safety-sft": "sft", "srpo": "dpo", "direct-dpo": "dpo", "sft-dpo": "dpo",
    "srpo-op": "dpo",
}  # fmt: skip


def field_names(cls: type) -> list[str]:
    """Names a YAML file or ``--set`` may use for ``cls``."""
    return [f.name for f in dataclasses.fields(cls) if f.init]


def _hints(cls: type) -> dict[str, Any]:
    """Field types of a config class (empty where transformers' annotations do not resolve)."""
    try:
        return typing.get_type_hints(cls)
    except Exception:  # noqa: BLE001 (third-party annotations; types then go unchecked)
        return {}


def build_config(kind: str, values: dict[str, Any], *, source: str = "config") -> Any:
    """Validate ``values`` into the config class of ``kind`` ('sft' or 'dpo')."""
    cls = CONFIG_CLASSES[kind]
    known = field_names(cls)
    stage = values.get("stage")
    if stage in STAGE_KINDS and STAGE_KINDS[stage] != kind:
        raise SaroError(
            f"{source} is a {stage!r} config, which `saro train {kind}` does not run.",
            f"Use `saro train {STAGE_KINDS[stage]}`.",
        )
    check_keys(values, known, source, f"Run `saro train {kind} --help-keys` to list the keys.")
    hints = _hints(cls)
    for key, value in values.items():
        hint = hints.get(key)
        if hint is None or value is None:
            continue
        if isinstance(value, str) and typing.get_origin(hint) is list:
            continue  # TRL takes one string where it types a list (loss_type: sigmoid)
        check_value(key, value, hint, source)
    if "use_cpu" not in values and not _has_accelerator():
        # Without it, processes started by torchrun on a CPU machine do not join one gloo group
        # (accelerate treats each as a lone process), and bf16 configs are refused outright.
        values = {**values, "use_cpu": True}
    try:
        return cls(**values)
    except (ValueError, TypeError) as err:
        raise SaroError(f"Invalid value in {source}: {err}", "Fix that key and rerun.") from None


def load_config(
    kind: str, path: str | Path | None = None, overrides: list[str] | None = None, **extra: Any
) -> Any:
    """Load ``path`` (YAML), apply ``key=value`` overrides and keyword values, and validate."""
    values = merge(read_yaml_file(path) if path else {}, parse_set(overrides))
    values.update(extra)
    return build_config(kind, values, source=str(path) if path else "config")


def resolved_dict(config: Any) -> dict[str, Any]:
    """The whole resolved config as JSON-able values (tokens redacted by TRL's ``to_dict``)."""
    return json.loads(json.dumps(config.to_dict(), default=str))


def config_hash(config: Any) -> str:
    """A short hash of everything that defines what a run learns.

    That is the config (less ``VOLATILE_FIELDS``) and the inputs it names: regenerated data or a
    retrained starting model under the same path make a different run.
    """
    data = {k: v for k, v in resolved_dict(config).items() if k not in VOLATILE_FIELDS}
    data["__class__"] = type(config).__name__
    data["__inputs__"] = input_fingerprints(config)
    blob = json.dumps(data, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _has_accelerator() -> bool:
    import torch

    xpu = getattr(torch, "xpu", None)
    return torch.cuda.is_available() or bool(xpu and xpu.is_available())


def input_fingerprints(config: Any) -> dict[str, str]:
    """Content hashes of the data files, and the run hash of a starting model trained by saro."""
    files = [getattr(config, "train_file", None), getattr(config, "eval_file", None)]
    files += list(getattr(config, "train_files", []) or []) + list(
        getattr(config, "eval_files", []) or []
    )
    out = {}
    for name in filter(None, files):
        path = Path(name)
        if path.is_file():
            out[name] = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    for name in (config.model_name_or_path, getattr(config, "ref_model_name_or_path", None)):
        run = Path(name or "") / "run.json"
        if name and run.is_file():
            try:
                out[name] = json.loads(run.read_text(encoding="utf-8")).get("config_hash", "")
            except (OSError, json.JSONDecodeError):
                out[name] = "?"
    return out
