"""SRPO and the direct-DPO baseline: TRL's DPOTrainer on preference pairs.

Usage::

    saro train dpo --config configs/train/dpo-srpo.yaml     # SRPO: from the RW model, ref = RW
    saro train dpo --config configs/train/dpo-direct.yaml   # direct DPO: from the base model
    accelerate launch --config_file configs/accelerate/ddp.yaml \\
        -m saro.cli train dpo --config configs/train/dpo-srpo.yaml

The reference policy is the starting model unless ``ref_model_name_or_path`` says otherwise; its
log-probs are computed once before training and reused (``precompute_ref_log_probs``, on by
default), so no second model sits in memory and no reference forward runs per step. Eval pairs
are split by level, so ``metrics.jsonl`` holds ``eval_outcome_rewards/accuracies``,
``eval_process_rewards/margins`` and so on next to the training curves. The loss is TRL's; a test
pins it to the closed form -log σ(β((π_c − r_c) − (π_r − r_r))).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from trl import DPOTrainer

from saro.errors import SaroError
from saro.train.callbacks import MetricsJsonlCallback
from saro.train.common import (
    load_tokenizer,
    lora_config,
    model_init_kwargs,
    resolve_model_path,
    train_stage,
)
from saro.train.config import SaroDPOConfig
from saro.train.data import split_by_level, train_and_held
from saro.train.speed import SortedBatchesMixin


class PretokenizedDPOTrainer(SortedBatchesMixin, DPOTrainer):
    """``DPOTrainer`` that uses pairs tokenized by :func:`saro.train.data.load_pairs` as they are.

    TRL would re-tokenize ``prompt + chosen`` jointly and cut the prompt where the token ids
    diverge; saro tokenizes the parts separately so the completion starts exactly at the prefix
    end (see :mod:`saro.train.data`). Untokenized datasets still go through TRL's own path.
    """

    def _set_signature_columns_if_needed(self):
        super()._set_signature_columns_if_needed()
        if "length" not in self._signature_columns:  # keep it for group_by_length sampling
            self._signature_columns = [*self._signature_columns, "length"]

    def _prepare_dataset(self, dataset, processing_class, args, dataset_name):
        if "prompt_ids" in (dataset.column_names or []):
            return dataset
        return super()._prepare_dataset(dataset, processing_class, args, dataset_name)


def _datasets(config: SaroDPOConfig, tokenizer: Any) -> tuple[Any, dict[str, Any] | None]:
    from datasets import Dataset

    rows, held = train_and_held(
        config.train_files,
        config.eval_files or [],
        tokenizer,
        max_length=config.max_length,
        limit=config.max_train_samples,
        eval_fraction=config.eval_fraction,
        seed=config.seed,
    )
    return Dataset.from_list(rows), (split_by_level(held) or None)


def build_trainer(config: SaroDPOConfig, *, callbacks: list[Any] | None = None) -> Any:
    """Load model, reference, tokenizer and pairs and return a ready ``DPOTrainer``."""
    config.model_init_kwargs = model_init_kwargs(config)  # idempotent: main() sets it too
    model_path = resolve_model_path(
        config.model_name_or_path, trust_remote_code=config.trust_remote_code
    )
    tokenizer = load_tokenizer(model_path, trust_remote_code=config.trust_remote_code)
    train, evals = _datasets(config, tokenizer)
    ref_model = None
    if config.ref_model_name_or_path and config.ref_model_name_or_path != config.model_name_or_path:
        from transformers import AutoModelForCausalLM

        ref_path = resolve_model_path(
            config.ref_model_name_or_path, trust_remote_code=config.trust_remote_code
        )
        ref_model = AutoModelForCausalLM.from_pretrained(ref_path, **config.model_init_kwargs)
    args = config
    if evals is None and str(getattr(config.eval_strategy, "value", config.eval_strategy)) != "no":
        # Too few pairs to hold any out: train without evaluation rather than fail. A copy, so
        # the config (and its hash in run.json) stays as the user wrote it.
        import copy

        from transformers.trainer_utils import IntervalStrategy

        args = copy.copy(config)
        args.eval_strategy = IntervalStrategy.NO
    return PretokenizedDPOTrainer(
        model=model_path,
        ref_model=ref_model,
        args=args,
        train_dataset=train,
        eval_dataset=evals,
        processing_class=tokenizer,
        peft_config=lora_config(config),
        callbacks=[MetricsJsonlCallback(config.output_dir, stage=config.stage), *(callbacks or [])],
    )


def main(config: SaroDPOConfig, *, callbacks: list[Any] | None = None) -> Path:
    """Train one DPO stage and return its output dir (a finished identical run is reused).

    Args:
        config: The resolved config (see :func:`saro.train.config.load_config`).
        callbacks: Extra ``TrainerCallback`` objects (tests use them to interrupt a run).
    """
    if not config.train_files:
        raise SaroError(
            "No train_files are set.", "List the preference JSONL files in train_files:."
        )
    return train_stage(config, build_trainer, callbacks=callbacks)
