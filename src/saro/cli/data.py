"""``saro data``: build the training datasets (RIT-D now; OP-COT and PP-COT pairs later)."""

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
    from saro.build.rit import RitConfig
    from saro.build.rit_build import build_rit
    from saro.config import load_stage_config

    cfg = load_stage_config(RitConfig, config, set_)
    card = build_rit(cfg, out, progress=progress)
    srs = card["srs"]
    kinds = ", ".join(f"{k} {v}" for k, v in card["per_kind"].items())
    console.print(
        f"RIT-D: {card['rows']} traces ({kinds}); {srs['accepted']}/{srs['sampled']} samples "
        f"accepted, {srs['skipped']} prompts skipped. Wrote {out}/rit.jsonl, safety_sft.jsonl, "
        "card.md."
    )
