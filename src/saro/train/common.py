"""What both training stages share: the run directory, model and tokenizer, LoRA, run and save.

A run directory (the config's ``output_dir``) holds::

    run.json          stage, resolved config, its hash, saro version, status (running|done),
                      and when done: train_tokens (tokens trained on, all epochs), steps, loss
    metrics.jsonl     one line per log (see callbacks.py)
    checkpoint-N/     Trainer checkpoints (for --resume; removed once the run is done)
    config.json, model.safetensors, tokenizer files, chat_template.jinja   the final model

:func:`prepare_run_dir` refuses a directory that holds a different run (another config hash) or
anything not made by saro, unless ``overwrite``; a finished run with the same hash is reused.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

from saro import __version__
from saro.errors import SaroError
from saro.store import write_json
from saro.train.config import config_hash, resolved_dict

RUN_FILE = "run.json"


def is_main_process() -> bool:
    from accelerate import PartialState

    return PartialState().is_main_process


def wait_for_everyone() -> None:
    from accelerate import PartialState

    PartialState().wait_for_everyone()


def resolve_model_path(name_or_path: str, *, trust_remote_code: bool = False) -> str:
    """Turn a model name, folder or hub id into a local folder (the main process prepares it)."""
    from accelerate import PartialState

    from saro.models import resolve_model

    with PartialState().main_process_first():
        return str(resolve_model(name_or_path, trust_remote_code=trust_remote_code))


def read_run(output_dir: Path) -> dict[str, Any] | None:
    path = output_dir / RUN_FILE
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return {}


def write_run(output_dir: Path, config: Any, *, status: str, **extra: Any) -> None:
    """Write run.json atomically (only the main process writes)."""
    from accelerate import PartialState

    if not is_main_process():
        return
    record = {
        "stage": config.stage,
        "status": status,
        "config_hash": config_hash(config),
        "saro_version": __version__,
        "world_size": PartialState().num_processes,
        "updated": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "config": resolved_dict(config),
        **extra,
    }
    write_json(output_dir / RUN_FILE, record)


def last_checkpoint(output_dir: Path) -> Path | None:
    """The newest complete checkpoint (one whose trainer_state.json was written)."""
    found = []
    for path in output_dir.glob("checkpoint-*"):
        step = path.name.removeprefix("checkpoint-")
        if step.isdigit() and (path / "trainer_state.json").exists():
            found.append((int(step), path))
    return max(found)[1] if found else None


def prepare_run_dir(config: Any) -> tuple[Path, Path | None, bool]:
    """Check and claim ``config.output_dir``.

    Returns:
        ``(output_dir, checkpoint_to_resume_from, already_done)``.

    Raises:
        SaroError: the directory holds another run or foreign files (without ``overwrite``), or
            an unfinished run and neither ``resume`` nor ``overwrite`` was given.
    """
    if not config.output_dir:
        raise SaroError("No output_dir is set.", "Add output_dir: to the config or --set it.")
    out = Path(config.output_dir)
    want = config_hash(config)
    run = read_run(out)
    # Every process reaches the same verdict from the same files (nothing is written before the
    # barrier below), so all of them raise, return or go on together.
    wipe = False
    if out.is_dir() and any(out.iterdir()):
        if run is None:
            raise SaroError(
                f"Output dir {str(out)!r} holds files that are not a saro run.",
                "Choose an empty or new output_dir.",
            )
        if config.overwrite:
            wipe = True
        elif run.get("config_hash") != want:
            raise SaroError(
                f"Output dir {str(out)!r} holds a different run (config hash "
                f"{run.get('config_hash')} != {want}).",
                "Pass --overwrite to replace it, or choose another output_dir.",
            )
        elif run.get("status") == "done":  # finished: reuse it, even when asked to resume
            return out, None, True
        elif not config.resume and last_checkpoint(out) is not None:
            raise SaroError(
                f"Output dir {str(out)!r} holds an unfinished run of this config.",
                "Pass --resume to continue it from its last checkpoint, or --overwrite.",
            )
    wait_for_everyone()
    if wipe and is_main_process():
        shutil.rmtree(out)
    wait_for_everyone()
    out.mkdir(parents=True, exist_ok=True)
    return out, last_checkpoint(out) if config.resume else None, False


def load_tokenizer(path: str, *, trust_remote_code: bool = False) -> Any:
    """Load the tokenizer; a missing pad token becomes the EOS token (as TRL does)."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(path, trust_remote_code=trust_remote_code)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return tok


def model_init_kwargs(config: Any) -> dict[str, Any]:
    """Keyword arguments TRL passes to ``from_pretrained`` (user's model_init_kwargs win)."""
    kwargs = {"dtype": config.model_dtype, "attn_implementation": config.attn_implementation}
    kwargs.update(config.model_init_kwargs or {})
    return kwargs


def lora_config(config: Any) -> Any:
    """A PEFT ``LoraConfig`` from the config's lora_* fields, or None for full fine-tuning."""
    if not config.use_lora:
        return None
    from peft import LoraConfig

    return LoraConfig(
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=config.lora_target_modules,
        task_type="CAUSAL_LM",
    )


_OOM_MARKS = ("out of memory", "can't allocate memory", "defaultcpuallocator", "cannot allocate")


def run_training(trainer: Any, resume_from: Path | None) -> Any:
    """``trainer.train()`` with an out-of-memory error turned into a hint the user can act on."""
    import torch

    try:
        return trainer.train(resume_from_checkpoint=str(resume_from) if resume_from else None)
    except (torch.OutOfMemoryError, MemoryError) as err:
        raise _oom(trainer, err) from None
    except RuntimeError as err:
        if any(mark in str(err).lower() for mark in _OOM_MARKS):
            raise _oom(trainer, err) from None
        raise


def _oom(trainer: Any, err: BaseException) -> SaroError:
    args = trainer.args
    return SaroError(
        f"Training ran out of memory with per_device_train_batch_size="
        f"{args.per_device_train_batch_size} and max_length={args.max_length} "
        f"({type(err).__name__}).",
        "Lower per_device_train_batch_size (raise gradient_accumulation_steps to keep the "
        "effective batch), lower max_length, set activation_checkpointing=true, or use_lora=true.",
    )


def save_final(trainer: Any, tokenizer: Any, config: Any, output_dir: Path) -> None:
    """Save the trained model with its tokenizer and original chat template into output_dir.

    A LoRA adapter is merged into the base weights when ``merge_lora`` (the default), so the
    folder loads like any model.
    """
    from accelerate.utils import is_peft_model

    model = trainer.model
    if (
        config.use_lora
        and config.merge_lora
        and is_peft_model(trainer.accelerator.unwrap_model(model))
    ):
        trainer.accelerator.wait_for_everyone()
        if is_main_process():
            merged = trainer.accelerator.unwrap_model(model).merge_and_unload()
            merged.save_pretrained(output_dir)
    else:
        trainer.save_model(str(output_dir))
    if is_main_process():
        tokenizer.save_pretrained(output_dir)
    wait_for_everyone()


def trained_tokens(trainer: Any, epochs: float) -> int:
    """Tokens the model was trained on, all steps, for compute-aware comparisons: TRL's own
    ``num_tokens`` count where it logs one (non-padding tokens of every batch; a DPO pair counts
    its prompt twice), else the train set's ``input_ids`` lengths times ``epochs``."""
    for record in reversed(trainer.state.log_history):
        if "num_tokens" in record:
            return int(float(record["num_tokens"]))
    dataset = trainer.train_dataset
    if dataset is None or "input_ids" not in dataset.column_names:
        return 0
    return int(sum(len(ids) for ids in dataset["input_ids"]) * epochs)


def train_stage(config: Any, build_trainer: Any, *, callbacks: list[Any] | None = None) -> Path:
    """Run one training stage end to end and return its output dir.

    Shared by ``saro train sft`` and ``saro train dpo``: prepare (or reuse, or resume) the output
    dir, mark the run as running, build the trainer with ``build_trainer(config, callbacks=...)``,
    train, save the final model with its tokenizer, and record the outcome in ``run.json``.
    A finished run of the same config is returned untouched.
    """
    config.model_init_kwargs = model_init_kwargs(config)
    out, resume_from, done = prepare_run_dir(config)
    if done:
        return out
    write_run(out, config, status="running")
    trainer = build_trainer(config, callbacks=callbacks)
    result = run_training(trainer, resume_from)
    save_final(trainer, trainer.processing_class, config, out)
    write_run(
        out,
        config,
        status="done",
        train_tokens=trained_tokens(trainer, float(result.metrics.get("epoch") or 1.0)),
        global_step=trainer.state.global_step,
        train_loss=result.training_loss,
        metrics=result.metrics,
    )
    drop_checkpoints(out)
    return out


def drop_checkpoints(out: Path) -> None:
    """Remove a finished run's ``checkpoint-*`` folders: they only serve to resume an unfinished
    run, and each holds the weights again plus the optimizer state (about three times the
    model's size), which filled the disk of a multi-seed run here. Only the main process does it,
    after ``run.json`` says done."""
    if not is_main_process():
        return
    for path in out.glob("checkpoint-*"):
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
