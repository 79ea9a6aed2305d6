"""RW (reasoning-style warmup) and the Safety-SFT baseline: TRL's SFTTrainer on RIT-D.

Usage::

    saro train sft --config configs/train/sft-rw.yaml             # RW on the default model
    saro train sft --config configs/train/sft-safety.yaml         # Safety-SFT baseline
    saro train sft --config configs/train/sft-rw.yaml --set use_lora=true --set max_steps=50
    accelerate launch --config_file configs/accelerate/ddp.yaml \\
        -m saro.cli train sft --config configs/train/sft-rw.yaml      # several processes

Loss is on the final assistant turn only: RIT-D records become conversational prompt-completion
examples and TRL's ``completion_only_loss`` gives every prompt token label -100 (see
:mod:`saro.train.data`). The output dir ends up holding a plain model folder with the tokenizer
and its original chat template, ready for the next stage or an engine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from saro.errors import SaroError
from saro.train.callbacks import MetricsJsonlCallback
from saro.train.common import (
    load_tokenizer,
    lora_config,
    model_init_kwargs,
    resolve_model_path,
    train_stage,
)
from saro.train.config import SaroSFTConfig
from saro.train.data import load_rit
from saro.train.speed import SortedBatchesMixin, use_model_loss


def _trainer_class() -> type:
    """``SFTTrainer`` with sorted batches and the choice of loss head (see saro.train.speed)."""
    from transformers import Trainer
    from trl import SFTTrainer

    class SaroSFTTrainer(SortedBatchesMixin, SFTTrainer):
        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            if not use_model_loss(self.args):
                return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
            # the model's own cross entropy; labels already hold -100 outside the completion
            inputs = {**inputs, "use_cache": False}
            return Trainer.compute_loss(self, model, inputs, return_outputs, num_items_in_batch)

    return SaroSFTTrainer


def build_trainer(config: SaroSFTConfig, *, callbacks: list[Any] | None = None) -> Any:
    """Load model, tokenizer and data and return a ready ``SFTTrainer`` (no training yet)."""
    config.model_init_kwargs = model_init_kwargs(config)  # idempotent: main() sets it too
    model_path = resolve_model_path(
        config.model_name_or_path, trust_remote_code=config.trust_remote_code
    )
    tokenizer = load_tokenizer(model_path, trust_remote_code=config.trust_remote_code)
    train = load_rit(
        config.train_file,
        tokenizer,
        strip_reasoning=config.strip_reasoning,
        limit=config.max_train_samples,
        seed=config.seed,
    )
    evals = None
    if config.eval_file:
        evals = load_rit(config.eval_file, tokenizer, strip_reasoning=config.strip_reasoning)
    return _trainer_class()(
        model=model_path,
        args=config,
        train_dataset=train,
        eval_dataset=evals,
        processing_class=tokenizer,
        peft_config=lora_config(config),
        callbacks=[MetricsJsonlCallback(config.output_dir, stage=config.stage), *(callbacks or [])],
    )


def main(config: SaroSFTConfig, *, callbacks: list[Any] | None = None) -> Path:
    """Train one SFT stage and return its output dir (a finished identical run is reused).

    Args:
        config: The resolved config (see :func:`saro.train.config.load_config`).
        callbacks: Extra ``TrainerCallback`` objects (tests use them to interrupt a run).
    """
    if not config.train_file:
        raise SaroError("No train_file is set.", "Point train_file: at a RIT-D JSONL file.")
    return train_stage(config, build_trainer, callbacks=callbacks)
