"""``saro data``: build the training datasets: RIT-D, OP-COT and PP-COT pairs, direct pairs."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

app = typer.Typer(help="Build training datasets.", no_args_is_help=True)
console = Console(stderr=True)


@app.command("rit")
def rit(
    out: Path = typer.Option(..., "--out", "-o", help="Output directory."),
    config: Path = typer.Option(
        None, "--config", "-c", help="YAML config (configs/data/rit.yaml)."
    ),
    set_: list[str] = typer.Option(None, "--set", help="Override, e.g. teacher.k=8 (repeatable)."),
    progress: bool = typer.Option(True, "--progress/--no-progress"),
) -> None:
    """Build RIT-D (+ the Safety-SFT variant, a card and a LLaMA-Factory export)."""
    from saro.config import load_stage_config
    from saro.datagen.rit.build import build_rit
    from saro.datagen.rit.config import RitConfig

    cfg = load_stage_config(RitConfig, config, set_)
    card = build_rit(cfg, out, progress=progress)
    srs = card["srs"]
    kinds = ", ".join(f"{k} {v}" for k, v in card["per_kind"].items())
    console.print(
        f"RIT-D: {card['rows']} traces ({kinds}); {srs['accepted']}/{srs['sampled']} samples "
        f"accepted, {srs['skipped']} prompts skipped. Wrote {out}/rit.jsonl, safety_sft.jsonl, "
        "card.md."
    )


def _pref(
    kind: str, model: str, out: Path, config: Path | None, set_: list[str] | None, progress: bool
) -> None:
    from saro.config import load_stage_config
    from saro.datagen.preference.build import build_opcot_dir, build_ppcot_dir
    from saro.datagen.preference.config import PrefConfig
    from saro.models import resolve_model

    cfg = load_stage_config(PrefConfig, config, set_)
    resolve_model(model)  # a clear error for a folder that is not a causal LM
    build = build_opcot_dir if kind == "opcot" else build_ppcot_dir
    card = build(model, cfg, out, progress=progress)
    per_kind = ", ".join(f"{k} {v}" for k, v in sorted(card["pairs_per_kind"].items()))
    console.print(
        f"{card['dataset']}: {card['pairs']} pairs ({per_kind or 'none'}). "
        f"Wrote {out}/pairs.jsonl and card.md."
    )


@app.command("opcot")
def opcot(
    model: str = typer.Option(..., "--model", "-m", help="Policy model (the RW model)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output directory."),
    config: Path = typer.Option(None, "--config", "-c", help="YAML config."),
    set_: list[str] = typer.Option(None, "--set", help="Override, e.g. sampling.n=8."),
    progress: bool = typer.Option(True, "--progress/--no-progress"),
) -> None:
    """Outcome-level pairs (OP-COT) from on-policy, judged rollouts."""
    _pref("opcot", model, out, config, set_, progress)


@app.command("ppcot")
def ppcot(
    model: str = typer.Option(..., "--model", "-m", help="Policy model (the RW model)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output directory."),
    config: Path = typer.Option(None, "--config", "-c", help="YAML config."),
    set_: list[str] = typer.Option(None, "--set", help="Override, e.g. ppcot.steps=all."),
    progress: bool = typer.Option(True, "--progress/--no-progress"),
) -> None:
    """Process-level pairs (PP-COT) by stepwise reflection on rejected rollouts."""
    _pref("ppcot", model, out, config, set_, progress)


@app.command("direct")
def direct(
    model: str = typer.Option(..., "--model", "-m", help="Starting model (the base model)."),
    safety_sft: Path = typer.Option(
        ..., "--safety-sft", help="The Safety-SFT file of a RIT-D build (rit/safety_sft.jsonl)."
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Output directory."),
    config: Path = typer.Option(
        None, "--config", "-c", help="YAML file with the keys of a run config's direct section."
    ),
    set_: list[str] = typer.Option(None, "--set", help="Override, e.g. n=4 (repeatable)."),
    progress: bool = typer.Option(True, "--progress/--no-progress"),
) -> None:
    """Direct pairs (no reasoning) for the direct-DPO baseline: Safety-SFT answer vs the model's."""
    from saro.config import load_stage_config
    from saro.datagen.preference.build import build_direct_dir
    from saro.datagen.preference.config import DirectConfig
    from saro.models import resolve_model

    cfg = load_stage_config(DirectConfig, config, set_)
    resolve_model(model)
    card = build_direct_dir(model, cfg, safety_sft, out, progress=progress)
    per_kind = ", ".join(f"{k} {v}" for k, v in sorted(card["pairs_per_kind"].items()))
    console.print(
        f"{card['dataset']}: {card['pairs']} pairs ({per_kind or 'none'}). "
        f"Wrote {out}/pairs.jsonl and card.md."
    )
