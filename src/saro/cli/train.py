"""``saro train sft|dpo --config FILE [--set key=value ...] [--resume] [--overwrite]``."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import typer

app = typer.Typer(
    help="Train a stage: sft (RW, Safety-SFT) or dpo (SRPO, direct DPO). Thin layers over TRL.",
    no_args_is_help=True,
)

_CONFIG = typer.Option(None, "--config", "-c", help="YAML config (see configs/train/).")
_SET = typer.Option(
    None, "--set", "-s", help="Override one key, e.g. --set max_steps=20 (repeatable)."
)
_RESUME = typer.Option(False, "--resume", help="Continue from the last checkpoint in output_dir.")
_OVERWRITE = typer.Option(False, "--overwrite", help="Replace an earlier saro run in output_dir.")
_KEYS = typer.Option(False, "--help-keys", help="List every config key with its help and exit.")


def _run(
    kind: str,
    config: Path | None,
    sets: list[str] | None,
    resume: bool,
    overwrite: bool,
    help_keys: bool,
) -> None:
    from saro.errors import SaroError
    from saro.train.config import CONFIG_CLASSES, load_config

    if help_keys:
        for f in dataclasses.fields(CONFIG_CLASSES[kind]):
            if f.init:
                typer.echo(f"{f.name}: {f.metadata.get('help', '')}")
        return
    if config is None and not sets:
        raise SaroError(f"`saro train {kind}` needs --config FILE.", "See configs/train/.")
    extra = {"resume": True} if resume else {}
    if overwrite:
        extra["overwrite"] = True
    cfg = load_config(kind, config, sets or [], **extra)
    if kind == "sft":
        from saro.train.sft import main
    else:
        from saro.train.dpo import main
    out = main(cfg)
    typer.echo(f"{cfg.stage}: model and metrics in {out}")


@app.command()
def sft(
    config: Path = _CONFIG,
    sets: list[str] = _SET,
    resume: bool = _RESUME,
    overwrite: bool = _OVERWRITE,
    help_keys: bool = _KEYS,
) -> None:
    """Supervised fine-tuning on RIT-D (RW stage, or Safety-SFT with strip_reasoning)."""
    _run("sft", config, sets, resume, overwrite, help_keys)


@app.command()
def dpo(
    config: Path = _CONFIG,
    sets: list[str] = _SET,
    resume: bool = _RESUME,
    overwrite: bool = _OVERWRITE,
    help_keys: bool = _KEYS,
) -> None:
    """Preference optimisation on OP-COT/PP-COT (SRPO) or direct pairs (direct DPO)."""
    _run("dpo", config, sets, resume, overwrite, help_keys)
